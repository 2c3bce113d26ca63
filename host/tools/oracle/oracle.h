/*
 * Shared by the oracle probes (zz_oracle*.c). oracle-compare.sh copies the
 * probes and this header into a scratch tree's kernel/tests/.
 */
#ifndef ORACLE_H
#define ORACLE_H

#include <stdint.h>

#include "lib/barrier.h"
#include "xen/start_info.h"

/* Xen system time in ns from the vcpu_time_info protocol (version retry). */
static inline uint64_t now_ns(void)
{
	const struct vcpu_time_info *t = &shared_info->vcpu_info[0].time;
	uint32_t v;
	uint64_t tsc, st, d;

	do {
		v = READ_ONCE(t->version);
		asm volatile("" ::: "memory");
		uint32_t lo, hi;
		asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
		tsc = ((uint64_t)hi << 32) | lo;
		d = tsc - t->tsc_timestamp;
		if (t->tsc_shift < 0) d >>= -t->tsc_shift; else d <<= t->tsc_shift;
		st = t->system_time + (uint64_t)(((unsigned __int128)d * t->tsc_to_system_mul) >> 32);
		asm volatile("" ::: "memory");
	} while ((v & 1) || v != READ_ONCE(t->version));
	return st;
}

#endif
