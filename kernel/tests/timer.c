/*
 * Time and timers as Xen 4.17 gives them to a PV guest: the clock in
 * vcpu_time_info and shared_info, set_timer_op, the VCPUOP timers, and
 * blocking until one fires. Expectations are orderings Xen guarantees
 * (a timer never fires before its deadline, a periodic timer never more
 * often than its period), never durations measured on one machine.
 */
#include <xen/errno.h>
#include <xen/vcpu.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/tests/capture.h"
#include "xen/evtchn.h"
#include "xen/start_info.h"
#include "xen/time.h"

#define MS		1000000ull

static evtchn_port_t timer_port;

static void set_mask(uint8_t m)
{
	WRITE_ONCE(shared_info->vcpu_info[0].evtchn_upcall_mask, m);
}

static bool port_pending(evtchn_port_t p)
{
	return evtchn_is_pending(p);
}

/*
 * VIRQ_TIMER on a port of its own (the kernel lends us its VIRQ), no
 * timer running, no other event. The port gets an empty handler so that
 * the upcall acknowledges it and counts it (evtchn_upcalls).
 */
static long timer_bind(void)
{
	struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
	long rc;

	time_lend_virq();
	rc = hypercall_event_channel_op(EVTCHNOP_bind_virq, &bv);
	if (rc) {
		time_reclaim_virq();
		return rc;
	}
	timer_port = bv.port;
	hypercall_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
	hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
	_hypercall1(__HYPERVISOR_set_timer_op, 0);
	events_quiet(timer_port);
	evtchn_clear_pending(timer_port);
	evtchn_set_handler(timer_port, NULL, NULL);
	return 0;
}

static void timer_unbind(void)
{
	set_mask(1);
	hypercall_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
	hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
	_hypercall1(__HYPERVISOR_set_timer_op, 0);
	evtchn_close(timer_port);
	events_unquiet();
	time_reclaim_virq();
}

/* Poll the timer port (events masked): true if it became pending. */
static bool timer_fires_within(uint64_t ns)
{
	struct sched_poll sp = { .nr_ports = 1, .timeout = xen_system_time() + ns };

	set_xen_guest_handle(sp.ports, &timer_port);
	hypercall_sched_op(SCHEDOP_poll, &sp);
	return port_pending(timer_port);
}

KTEST(timer, clock)
{
	const struct vcpu_time_info *t = &shared_info->vcpu_info[0].time;
	uint64_t a = xen_system_time(), b = xen_system_time();

	/* Xen updates it while we are not running: we never see it odd. */
	KT_ASSERT(!(READ_ONCE(t->version) & 1), "vcpu_time_info version %u", t->version);
	KT_ASSERT(t->tsc_to_system_mul != 0, "no TSC scale");
	/* Xen sets PVCLOCK_TSC_STABLE only with clocksource=tsc. */
	KT_ASSERT_EQ(t->flags, 0, "vcpu_time_info flags");
	KT_ASSERT(a > 0 && b >= a, "system time %lu then %lu", a, b);
	KT_ASSERT(!(READ_ONCE(shared_info->wc_version) & 1), "wall clock being updated");
	/* The wall clock is set (past 2001) and well-formed. */
	KT_ASSERT(shared_info->wc_sec > 1000000000u && shared_info->wc_nsec < 1000000000u,
		  "wall clock %u.%09u", shared_info->wc_sec, shared_info->wc_nsec);
}

KTEST(timer, block_until_set_timer_op)
{
	uint64_t t0, t1, upcalls;
	long rc_timer, rc_block;
	uint8_t mask;

	KT_ASSERT_EQ(timer_bind(), 0, "bind VIRQ_TIMER");
	upcalls = evtchn_upcalls;
	t0 = xen_system_time();
	rc_timer = _hypercall1(__HYPERVISOR_set_timer_op, t0 + 5 * MS);
	rc_block = hypercall_sched_op(SCHEDOP_block, NULL);
	t1 = xen_system_time();
	mask = READ_ONCE(shared_info->vcpu_info[0].evtchn_upcall_mask);
	timer_unbind();
	KT_ASSERT_EQ(rc_timer, 0, "set_timer_op");
	KT_ASSERT_EQ(rc_block, 0, "SCHEDOP_block");
	KT_ASSERT(t1 - t0 >= 5 * MS, "woke after %lu ns, before the 5 ms deadline", t1 - t0);
	/* Blocking turns event delivery on: the timer's upcall came. */
	KT_ASSERT_EQ(mask, 0, "upcall mask after SCHEDOP_block");
	KT_ASSERT(evtchn_upcalls > upcalls, "no upcall for the timer");
}

KTEST(timer, set_timer_op_cancel)
{
	bool fired;

	KT_ASSERT_EQ(timer_bind(), 0, "bind VIRQ_TIMER");
	/* Far enough out that the cancel surely comes first, even under TCG. */
	_hypercall1(__HYPERVISOR_set_timer_op, xen_system_time() + 50 * MS);
	KT_ASSERT_EQ(_hypercall1(__HYPERVISOR_set_timer_op, 0), 0, "set_timer_op(0)");
	fired = timer_fires_within(80 * MS);
	timer_unbind();
	KT_ASSERT(!fired, "a cancelled timer fired");
}

/* A single-shot deadline of 1 ns (long past) with these flags: set_singleshot_timer's answer. */
static long past_deadline(uint32_t flags, bool *fired)
{
	struct vcpu_set_singleshot_timer st = { .timeout_abs_ns = 1, .flags = flags };
	long rc, bound = timer_bind();

	if (bound)
		return bound;
	rc = hypercall_vcpu_op(VCPUOP_set_singleshot_timer, 0, &st);
	*fired = timer_fires_within(1000 * MS);
	timer_unbind();
	return rc;
}

KTEST(timer, singleshot_in_the_past)
{
	bool fired = false;

	KT_ASSERT_EQ(past_deadline(0, &fired), 0, "bind VIRQ_TIMER, set_singleshot_timer");
	KT_ASSERT(fired, "a timer due in the past did not fire");
}

KTEST(timer, singleshot_future_flag_ignored)
{
	/* Xen 4.17 no longer refuses a past deadline with VCPU_SSHOTTMR_future. */
	bool fired = false;

	KT_ASSERT_EQ(past_deadline(VCPU_SSHOTTMR_future, &fired), 0,
		     "bind VIRQ_TIMER, set_singleshot_timer(past, future)");
	KT_ASSERT(fired, "the timer did not fire");
}

KTEST(timer, singleshot_stop)
{
	struct vcpu_set_singleshot_timer st = { .flags = 0 };
	long rc;
	bool fired;

	KT_ASSERT_EQ(timer_bind(), 0, "bind VIRQ_TIMER");
	/* Far enough out that the stop surely comes first, even under TCG. */
	st.timeout_abs_ns = xen_system_time() + 50 * MS;
	hypercall_vcpu_op(VCPUOP_set_singleshot_timer, 0, &st);
	rc = hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
	fired = timer_fires_within(80 * MS);
	timer_unbind();
	KT_ASSERT_EQ(rc, 0, "stop_singleshot_timer");
	KT_ASSERT(!fired, "a stopped timer fired");
}

KTEST(timer, periodic_period_limits)
{
	struct vcpu_set_periodic_timer pt = { .period_ns = 1 * MS - 1 };

	/* Xen's floor is 1 ms. */
	KT_ASSERT_EQ(hypercall_vcpu_op(VCPUOP_set_periodic_timer, 0, &pt), -XEN_EINVAL,
		     "period 1 ms - 1 ns");
	pt.period_ns = 1 * MS;
	KT_ASSERT_EQ(hypercall_vcpu_op(VCPUOP_set_periodic_timer, 0, &pt), 0, "period 1 ms");
	KT_ASSERT_EQ(hypercall_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0, "stop");
}

KTEST(timer, periodic)
{
	struct vcpu_set_periodic_timer pt = { .period_ns = 10 * MS };
	uint64_t t0, t1, n, upcalls;
	long rc;

	KT_ASSERT_EQ(timer_bind(), 0, "bind VIRQ_TIMER");
	rc = hypercall_vcpu_op(VCPUOP_set_periodic_timer, 0, &pt);
	upcalls = evtchn_upcalls;
	set_mask(0);
	t0 = xen_system_time();
	/*
	 * 60 ms, and on until the first tick (at most 1 s): an emulator thread
	 * off the host CPU for the whole 60 ms comes back to a loop that ends
	 * before the overdue tick can be delivered.
	 */
	do
		t1 = xen_system_time();
	while (t1 - t0 < 60 * MS || (evtchn_upcalls == upcalls && t1 - t0 < 1000 * MS));
	set_mask(1);
	n = evtchn_upcalls - upcalls;
	timer_unbind();
	KT_ASSERT_EQ(rc, 0, "set_periodic_timer(10 ms)");
	/* At least one tick, and never more than one per period. */
	KT_ASSERT(n >= 1 && n <= (t1 - t0) / (10 * MS) + 1, "%lu upcalls in %lu ns", n, t1 - t0);
}
