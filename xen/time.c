/*
 * pvclock (xen.h's struct vcpu_time_info): Xen bumps version to an odd
 * value before it updates the record and to an even one after, so a
 * reader that saw an odd version, or a different one afterwards, read a
 * torn record and tries again. Between updates, time advances with the
 * TSC, scaled by tsc_to_system_mul (a 32.32 fraction) after tsc_shift.
 */
#include <xen/xen.h>

#include "kernel/kernel.h"
#include "xen/start_info.h"
#include "xen/time.h"

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static uint64_t scale(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t xen_system_time(void)
{
	const volatile struct vcpu_time_info *t = &shared_info->vcpu_info[0].time;
	uint32_t version, mul;
	uint64_t base, stamp, tsc;
	int8_t shift;

	do {
		version = t->version;
		rmb();
		base = t->system_time;
		stamp = t->tsc_timestamp;
		mul = t->tsc_to_system_mul;
		shift = t->tsc_shift;
		tsc = rdtsc();
		rmb();
	} while ((version & 1) || version != t->version);
	return base + scale(tsc - stamp, mul, shift);
}
