/*
 * pvclock (xen.h's struct vcpu_time_info): Xen makes version odd before
 * it updates the record and even again after, so a reader that saw an
 * odd version, or a different one afterwards, read a torn record and
 * tries again. Between updates time advances with the TSC: the delta
 * since tsc_timestamp, shifted by tsc_shift, times tsc_to_system_mul (a
 * 32.32 fraction, hence a 128-bit product).
 */
#include <xen/xen.h>
#include <xen/vcpu.h>

#include <xen/errno.h>

#include "arch/x86/hypercall.h"
#include "kernel/kernel.h"
#include "kernel/timer.h"
#include "xen/evtchn.h"
#include "xen/start_info.h"
#include "xen/time.h"

uint64_t boot_entry_tsc;

/* LFENCE first: RDTSC must not run ahead of the record's loads. */
static uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

struct stamp {
	uint64_t tsc, system_time;
	uint32_t mul;
	int8_t shift;
};

static void read_stamp(struct stamp *s, uint64_t *tsc_now)
{
	const volatile struct vcpu_time_info *t = &shared_info->vcpu_info[0].time;
	uint32_t version;

	do {
		version = t->version;
		rmb();
		s->tsc = t->tsc_timestamp;
		s->system_time = t->system_time;
		s->mul = t->tsc_to_system_mul;
		s->shift = t->tsc_shift;
		if (tsc_now)
			*tsc_now = rdtsc_ordered();
		rmb();
	} while ((version & 1) || version != t->version);
}

uint64_t xen_tsc_to_system_time(uint64_t tsc)
{
	struct stamp s;

	read_stamp(&s, NULL);
	if (tsc >= s.tsc)
		return s.system_time + pvclock_scale(tsc - s.tsc, s.mul, s.shift);
	return s.system_time - pvclock_scale(s.tsc - tsc, s.mul, s.shift);
}

/*
 * Xen recalibrates now and then; the new record may put "now" a little
 * behind what the old one said (Xen does not promise TSC_STABLE here).
 * So we never return less than before, as Linux's pvclock does without
 * that flag. The compare-and-swap makes an upcall in between harmless.
 */
static uint64_t last_time;

uint64_t xen_system_time(void)
{
	struct stamp s;
	uint64_t tsc, now, last;

	read_stamp(&s, &tsc);
	now = s.system_time + pvclock_scale(tsc - s.tsc, s.mul, s.shift);
	last = __atomic_load_n(&last_time, __ATOMIC_RELAXED);
	do {
		if (now <= last)
			return last;
	} while (!__atomic_compare_exchange_n(&last_time, &last, now, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	return now;
}

/* shared_info's wc_* follow the same odd/even rule, with wc_version. */
void xen_wallclock(uint64_t *sec, uint32_t *nsec)
{
	const volatile struct shared_info *s = shared_info;
	uint32_t version, wc_nsec;
	uint64_t wc_sec, now, ns;

	do {
		version = s->wc_version;
		rmb();
		wc_sec = s->wc_sec | ((uint64_t)s->wc_sec_hi << 32);
		wc_nsec = s->wc_nsec;
		rmb();
	} while ((version & 1) || version != s->wc_version);
	now = xen_system_time();
	ns = wc_nsec + now % NSEC_PER_SEC;
	*sec = wc_sec + now / NSEC_PER_SEC + ns / NSEC_PER_SEC;
	*nsec = (uint32_t)(ns % NSEC_PER_SEC);
}

/* ---- the single-shot timer ------------------------------------------- */

uint64_t time_deadlines_set;
static long virq_port;
static uint64_t programmed;	/* the deadline Xen holds; 0 = none */
static bool lent;

static void set_singleshot(uint64_t deadline)
{
	struct vcpu_set_singleshot_timer t = {
		.timeout_abs_ns = deadline, .flags = VCPU_SSHOTTMR_future,
	};

	time_deadlines_set++;
	/* Xen before 4.17 refuses a deadline already past: then fire at once. */
	if (hypercall_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t) == -XEN_ETIME) {
		t.flags = 0;
		hypercall_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
	}
}

void time_program(uint64_t deadline)
{
	unsigned int f = upcalls_off();

	if (!lent && deadline != programmed) {
		if (deadline)
			set_singleshot(deadline);
		else
			hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
		programmed = deadline;
	}
	upcalls_restore(f);
}

static void timer_event(evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	/* The one-shot is spent; timers_expire() programs the next one. */
	programmed = 0;
	timers_expire();
}

static void bind_timer(void)
{
	virq_port = evtchn_bind_virq(VIRQ_TIMER, timer_event, NULL);
	if (virq_port < 0)
		panic("time: bind_virq(VIRQ_TIMER) = %ld", virq_port);
	/*
	 * Xen starts a PV vCPU with a 100 Hz periodic timer. We only want
	 * events we asked for: an idle guest must not be woken 100 times a
	 * second.
	 */
	hypercall_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
}

void time_init(void)
{
	bind_timer();
	programmed = 0;
	hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
}

unsigned int time_virq_port(void)
{
	return lent ? 0 : (unsigned int)virq_port;
}

void time_lend_virq(void)
{
	unsigned int f = upcalls_off();

	hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
	evtchn_close((evtchn_port_t)virq_port);
	programmed = 0;
	lent = true;
	upcalls_restore(f);
}

void time_reclaim_virq(void)
{
	unsigned int f = upcalls_off();

	lent = false;
	bind_timer();
	hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
	programmed = 0;
	/* Whatever came due while the test had the VIRQ runs now. */
	timers_expire();
	upcalls_restore(f);
}
