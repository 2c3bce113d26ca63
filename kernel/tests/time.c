/*
 * The kernel's time (xen/time.c, kernel/timer.c) on Xen's: pvclock read
 * right, the wall clock, software timers behind the one single-shot
 * deadline, sleeping, and tickless idle. Expectations are orderings and
 * rates Xen guarantees (never early, in deadline order, monotonic), not
 * durations measured on one machine. The raw timer hypercalls are the
 * timer group's.
 */
#include <xen/arch-x86/cpuid.h>

#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/timer.h"
#include "xen/evtchn.h"
#include "xen/start_info.h"
#include "xen/time.h"

#define MS	NSEC_PER_MSEC

/* The conversion, against values worked out by hand, where 64 bits overflow. */
KTEST(time, pvclock_scale)
{
	/* 2^40 ticks at mul 2^32 - 1: the product needs 72 bits. */
	KT_ASSERT_EQ(pvclock_scale(1UL << 40, 0xffffffffU, 0), (1UL << 40) - 256,
		     "2^40 x (2^32-1) >> 32");
	/* A 3 GHz TSC as Xen scales it: shift -1, mul 0xaaaaaaab (2/3 after the shift). */
	KT_ASSERT_EQ(pvclock_scale(3000000000UL, 0xaaaaaaabU, -1), 1000000000UL,
		     "3e9 ticks of a 3 GHz TSC");
	/* A 200 MHz TSC (Bochs): shift 3 (x8 = 1.6e9), mul 0xa0000000 (5/8). */
	KT_ASSERT_EQ(pvclock_scale(200000000UL, 0xa0000000U, 3), 1000000000UL,
		     "2e8 ticks of a 200 MHz TSC");
	/* Large deltas keep every bit: 2^50 ticks at 5/8 after x8. */
	KT_ASSERT_EQ(pvclock_scale(1UL << 50, 0xa0000000U, 3), 5UL << 50,
		     "2^50 ticks, shift 3");
	KT_ASSERT_EQ(pvclock_scale(12345, 0, 0), 0, "mul 0");
}

KTEST(time, monotonic_over_a_million_reads)
{
	uint64_t prev = xen_system_time(), backwards = 0, first = prev;

	for (unsigned int i = 0; i < 1000000; i++) {
		uint64_t now = xen_system_time();

		if (now < prev)
			backwards++;
		prev = now;
	}
	KT_ASSERT_EQ(backwards, 0, "reads that went backwards");
	KT_ASSERT(prev > first, "time stood still over 10^6 reads (%lu)", prev);
}

/*
 * Over a second of sleep: the wall clock moves exactly as system time
 * does (it is Xen's base plus system time), and system time moves as the
 * TSC does at the frequency Xen reports in its CPUID time leaf (within
 * 1%: Xen's calibration and its scale are separate measurements).
 */
static uint32_t host_tsc_khz(void)
{
	uint32_t a, b, c, d;

	asm volatile("ud2; .ascii \"xen\"; cpuid"
		     : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(XEN_CPUID_LEAF(3)), "c"(2));
	return a;
}

static uint64_t tsc(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

KTEST(time, wall_clock_rate)
{
	uint64_t s0, s1, w0, w1, t0, t1, sys0, sys1, after0, after1, wall, sys, slack, by_tsc;
	uint32_t n0, n1, khz = host_tsc_khz();

	sys0 = xen_system_time();
	t0 = tsc();
	xen_wallclock(&s0, &n0);
	after0 = xen_system_time();
	sleep_ns(NSEC_PER_SEC);
	sys1 = xen_system_time();
	t1 = tsc();
	xen_wallclock(&s1, &n1);
	after1 = xen_system_time();
	w0 = s0 * NSEC_PER_SEC + n0;
	w1 = s1 * NSEC_PER_SEC + n1;
	wall = w1 - w0;
	sys = sys1 - sys0;
	/* Each wall clock read saw system time somewhere between its brackets. */
	slack = (after0 - sys0) + (after1 - sys1) + 1000000;
	KT_ASSERT(n0 < NSEC_PER_SEC && n1 < NSEC_PER_SEC, "nanoseconds %u, %u", n0, n1);
	KT_ASSERT(s0 > 1000000000UL, "wall clock %lu s: not set", s0);
	KT_ASSERT(sys >= NSEC_PER_SEC, "slept %lu ns of 1 s", sys);
	KT_ASSERT(wall + slack > sys && sys + slack > wall,
		  "wall clock moved %lu ns, system time %lu ns (+-%lu)", wall, sys, slack);
	KT_ASSERT(khz != 0, "Xen's CPUID time leaf gives no TSC frequency");
	by_tsc = (t1 - t0) * 1000 / khz * 1000;
	/*
	 * 5%: a wrong scale is off by far more, and Xen in QEMU on a loaded
	 * host once gave 1.0% between the two over this second (1010.9 ms of
	 * system time, 1000.8 ms by the TSC).
	 */
	KT_ASSERT(by_tsc / 100 * 95 < sys && sys < by_tsc / 100 * 105,
		  "system time moved %lu ns, the TSC at %u kHz says %lu ns", sys, khz, by_tsc);
}

/* ---- software timers ------------------------------------------------------------ */

struct stamp_timer {
	struct timer t;
	uint64_t fired_at;
	unsigned int order;
};

static unsigned int fired;

static void stamp_fire(struct timer *t)
{
	struct stamp_timer *s = t->arg;

	s->fired_at = xen_system_time();
	s->order = ++fired;
}

/* Armed out of order, they fire in deadline order, none before its deadline. */
KTEST(time, timers_never_early_in_order)
{
	static const unsigned int ms[] = { 7, 1, 4, 2, 9 };
	struct stamp_timer st[ARRAY_SIZE(ms)];
	uint64_t base = xen_system_time();

	fired = 0;
	for (unsigned int i = 0; i < ARRAY_SIZE(ms); i++) {
		st[i] = (struct stamp_timer){ .t = { .fn = stamp_fire, .arg = &st[i] } };
		timer_arm(&st[i].t, base + ms[i] * MS);
	}
	sleep_until(base + 12 * MS);
	for (unsigned int i = 0; i < ARRAY_SIZE(ms); i++)
		timer_cancel(&st[i].t);
	KT_ASSERT_EQ(fired, ARRAY_SIZE(ms), "timers fired");
	for (unsigned int i = 0; i < ARRAY_SIZE(ms); i++) {
		unsigned int earlier = 0;

		KT_ASSERT(st[i].fired_at >= base + ms[i] * MS, "the %u ms timer fired %lu ns early",
			  ms[i], base + ms[i] * MS - st[i].fired_at);
		for (unsigned int j = 0; j < ARRAY_SIZE(ms); j++)
			earlier += ms[j] < ms[i];
		KT_ASSERT_EQ(st[i].order, earlier + 1, "position of the timer in firing order");
	}
}

KTEST(time, cancelled_timer_never_fires)
{
	struct stamp_timer st = { .t = { .fn = stamp_fire, .arg = &st } };
	bool was_armed;

	fired = 0;
	timer_arm(&st.t, xen_system_time() + 5 * MS);
	was_armed = timer_cancel(&st.t);
	sleep_ns(10 * MS);
	KT_ASSERT(was_armed, "timer_cancel found nothing armed");
	KT_ASSERT_EQ(fired, 0, "a cancelled timer fired");
	KT_ASSERT(!timer_cancel(&st.t), "cancelled twice");
}

/* Sleepers started longest first wake shortest first, none early. */
struct sleeper {
	uint64_t ns, deadline, woke_at;
	unsigned int order;
};

static unsigned int woken;

static void sleeper(void *arg)
{
	struct sleeper *s = arg;

	s->deadline = xen_system_time() + s->ns;
	sleep_until(s->deadline);
	s->woke_at = xen_system_time();
	s->order = ++woken;
}

KTEST(time, sleeps_wake_in_deadline_order)
{
	struct sleeper s[3] = { { .ns = 100 * MS }, { .ns = 10 * MS }, { .ns = 1 * MS } };
	struct thread *t[3];

	woken = 0;
	for (unsigned int i = 0; i < 3; i++)
		t[i] = thread_create("sleeper", sleeper, &s[i]);
	for (unsigned int i = 0; i < 3; i++)
		if (t[i])
			thread_join(t[i]);
	for (unsigned int i = 0; i < 3; i++)
		KT_ASSERT(t[i], "no memory for a thread");
	for (unsigned int i = 0; i < 3; i++) {
		KT_ASSERT(s[i].woke_at >= s[i].deadline, "the %lu ms sleep woke %lu ns early",
			  s[i].ns / MS, s[i].deadline - s[i].woke_at);
		KT_ASSERT_EQ(s[i].order, 3 - i, "wake-up position of a sleeper");
	}
}

/*
 * Tickless: with nothing waiting on time, no deadline is programmed and
 * no timer event comes at all (Xen's 100 Hz periodic timer is stopped).
 * 50 ms of spinning with upcalls on would see five periodic ticks.
 */
KTEST(time, tickless_when_nothing_waits)
{
	unsigned int port = time_virq_port();
	uint64_t before, after, end, armed = timers_armed(), next = timers_next();

	KT_ASSERT(port != 0, "the kernel holds no VIRQ_TIMER port");
	before = evtchn_count(port);
	upcalls_on();
	end = xen_system_time() + 50 * MS;
	while (xen_system_time() < end)
		;
	upcalls_off();
	after = evtchn_count(port);
	KT_ASSERT_EQ(armed, 0, "software timers armed while idle");
	KT_ASSERT_EQ(next, 0, "the next deadline while idle");
	KT_ASSERT_EQ(after - before, 0, "timer events in 50 ms with nothing armed");
}

/* A deadline already past fires at once, and only once. */
KTEST(time, past_deadline_fires_once)
{
	struct stamp_timer st = { .t = { .fn = stamp_fire, .arg = &st } };
	uint64_t armed_at = xen_system_time();

	fired = 0;
	timer_arm(&st.t, armed_at - MS);
	sleep_ns(5 * MS);
	KT_ASSERT_EQ(fired, 1, "times a past deadline fired");
	KT_ASSERT(st.fired_at >= armed_at, "fired before it was armed");
}

KTEST(time, boot_entry_precedes_ready)
{
	uint64_t entry = xen_tsc_to_system_time(boot_entry_tsc);
	uint64_t ready = xen_tsc_to_system_time(boot_ready_tsc);

	KT_ASSERT(boot_entry_tsc && boot_ready_tsc > boot_entry_tsc,
		  "TSC at entry %#lx, at ready %#lx", boot_entry_tsc, boot_ready_tsc);
	KT_ASSERT(entry < ready && ready <= xen_system_time(),
		  "entry at %lu ns, ready at %lu ns", entry, ready);
}
