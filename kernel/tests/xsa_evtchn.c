/*
 * XSAs about event channels and timers: SCHEDOP_poll on every port, the
 * FIFO ABI's entry points on a domain that stays 2-level, port exhaustion,
 * far-future timer deadlines. Upcalls stay masked throughout: each test
 * waits with SCHEDOP_poll, which needs no handler.
 */
#include <xen/errno.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "lib/barrier.h"
#include "xen/evtchn.h"
#include "xen/start_info.h"
#include "xen/time.h"

#define NR_2L_PORTS	4096	/* 64 x 64 bits for a 64-bit guest */

static void clear_pending(evtchn_port_t port)
{
	evtchn_clear_pending(port);
}

static bool is_pending(evtchn_port_t port)
{
	return evtchn_is_pending(port);
}

static long close_port(evtchn_port_t port)
{
	struct evtchn_close c = { .port = port };

	return hypercall_event_channel_op(EVTCHNOP_close, &c);
}

static long poll_one(evtchn_port_t port, uint64_t deadline)
{
	struct sched_poll p = { .nr_ports = 1, .timeout = deadline };

	set_xen_guest_handle(p.ports, &port);
	return hypercall_sched_op(SCHEDOP_poll, &p);
}

static uint64_t system_time(void)
{
	const struct vcpu_time_info *t = &shared_info->vcpu_info[0].time;
	uint32_t version;
	uint64_t ns;

	do {
		uint32_t lo, hi;
		uint64_t delta;

		version = READ_ONCE(t->version);
		barrier();
		asm volatile ("rdtsc" : "=a" (lo), "=d" (hi));
		delta = (((uint64_t)hi << 32) | lo) - t->tsc_timestamp;
		delta = t->tsc_shift < 0 ? delta >> -t->tsc_shift : delta << t->tsc_shift;
		ns = t->system_time + (uint64_t)(((unsigned __int128)delta *
						   t->tsc_to_system_mul) >> 32);
		barrier();
	} while ((version & 1) || version != READ_ONCE(t->version));
	return ns;
}

/* A fresh IPI port to ourselves: something real to send on. */
static long ipi_works(void)
{
	struct evtchn_bind_ipi b = { .vcpu = 0 };
	struct evtchn_send s;
	long rc = hypercall_event_channel_op(EVTCHNOP_bind_ipi, &b);

	if (rc)
		return rc;
	s.port = b.port;
	rc = hypercall_event_channel_op(EVTCHNOP_send, &s);
	if (!rc && !is_pending(b.port))
		rc = -1;
	clear_pending(b.port);
	close_port(b.port);
	return rc;
}

/* Xen's view of a port: in use or not (closed, reserved, never allocated). */
static bool port_in_use(evtchn_port_t port)
{
	struct evtchn_status s = { .dom = DOMID_SELF, .port = port };

	return hypercall_event_channel_op(EVTCHNOP_status, &s) == 0 &&
		s.status != EVTCHNSTAT_closed;
}

/*
 * XSA-221: SCHEDOP_poll looked at ports whose bucket was never allocated
 * and followed a NULL pointer. Xen now checks each port first: a port in
 * use can be polled (0 once the deadline, already past, fires); a free,
 * reserved or never-allocated one is -EINVAL, and so is 4096, beyond the
 * 2-level ABI. An IPI port we bind shows both sides.
 */
KTEST(xsa, xsa_221_poll_every_port)
{
	struct evtchn_bind_ipi b = { .vcpu = 0 };

	for (evtchn_port_t port = 0; port < NR_2L_PORTS; port++) {
		long expect = port_in_use(port) ? 0 : -XEN_EINVAL;
		long rc = poll_one(port, 1);

		KT_ASSERT(rc == expect, "poll(port %u) = %ld, expected %ld", port, rc, expect);
	}
	KT_ASSERT_EQ(poll_one(NR_2L_PORTS, 1), -XEN_EINVAL, "poll(port 4096)");
	KT_ASSERT_EQ(hypercall_event_channel_op(EVTCHNOP_bind_ipi, &b), 0, "bind_ipi");
	KT_ASSERT_EQ(poll_one(b.port, 1), 0, "poll of a bound IPI port");
	KT_ASSERT_EQ(close_port(b.port), 0, "close");
	KT_ASSERT_EQ(poll_one(b.port, 1), -XEN_EINVAL, "poll of the port once closed");
}

/*
 * XSA-107: FIFO operations on a domain that never set FIFO up used its
 * missing control blocks. On a 2-level domain Xen now refuses them:
 * expand_array -EOPNOTSUPP, set_priority (2-level has no priorities)
 * -ENOSYS; the domain's events are untouched. On a FIFO domain (ours,
 * unless evtchn=2l) the same calls are real ones: frame 0 is no frame of
 * ours (-EINVAL), and a bound port takes a priority.
 */
KTEST(xsa, xsa_107_fifo_ops_uninitialised)
{
	struct evtchn_expand_array ea = { .array_gfn = 0 };
	struct evtchn_bind_ipi b = { .vcpu = 0 };
	struct evtchn_set_priority sp;
	bool fifo = evtchn_uses_fifo();
	long rc, rc_back = 0;

	KT_ASSERT_EQ(hypercall_event_channel_op(EVTCHNOP_expand_array, &ea),
		     fifo ? -XEN_EINVAL : -XEN_EOPNOTSUPP, "expand_array with frame 0");
	KT_ASSERT_EQ(hypercall_event_channel_op(EVTCHNOP_bind_ipi, &b), 0, "bind_ipi");
	sp = (struct evtchn_set_priority){ .port = b.port, .priority = 1 };
	rc = hypercall_event_channel_op(EVTCHNOP_set_priority, &sp);
	if (fifo) {
		sp.priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
		rc_back = hypercall_event_channel_op(EVTCHNOP_set_priority, &sp);
	}
	close_port(b.port);
	KT_ASSERT_EQ(rc, fifo ? 0 : -XEN_ENOSYS, "set_priority(1) on a bound port");
	KT_ASSERT_EQ(rc_back, 0, "set_priority back to the default");
	KT_ASSERT_EQ(ipi_works(), 0, "events after the FIFO ops");
}

/*
 * XSA-188: a failed EVTCHNOP_init_control left a freed FIFO array behind,
 * and a second call used it. Now each failure is clean: same error twice,
 * and a 2-level domain is still on 2-level events. Only arguments Xen
 * refuses are used, so the domain can never switch ABI here; a FIFO
 * domain gets the same answers (vCPU 0 has its control block already).
 */
KTEST(xsa, xsa_188_fifo_init_control_fails_twice)
{
	struct evtchn_init_control ic;

	for (int round = 0; round < 2; round++) {
		/* A frame far beyond any RAM: get_page_from_gfn fails. */
		ic = (struct evtchn_init_control){ .control_gfn = 1ul << 40, .offset = 0, .vcpu = 0 };
		KT_ASSERT_EQ(hypercall_event_channel_op(EVTCHNOP_init_control, &ic), -XEN_EINVAL,
			     "init_control on a frame that does not exist");
	}
	ic = (struct evtchn_init_control){ .control_gfn = 1ul << 40, .offset = 0, .vcpu = 7 };
	KT_ASSERT_EQ(hypercall_event_channel_op(EVTCHNOP_init_control, &ic), -XEN_ENOENT,
		     "init_control for a vCPU we do not have");
	ic = (struct evtchn_init_control){ .control_gfn = 1ul << 40, .offset = 4092, .vcpu = 0 };
	KT_ASSERT_EQ(hypercall_event_channel_op(EVTCHNOP_init_control, &ic), -XEN_EINVAL,
		     "init_control with a block crossing the page end");
	ic = (struct evtchn_init_control){ .control_gfn = 1ul << 40, .offset = 4, .vcpu = 0 };
	KT_ASSERT_EQ(hypercall_event_channel_op(EVTCHNOP_init_control, &ic), -XEN_EINVAL,
		     "init_control with a misaligned block");
	KT_ASSERT_EQ(ipi_works(), 0, "events after the failed init_control");
}

/*
 * XSA-317: the error path of port allocation, once the domain's ports ran
 * out, left a half-set-up port. Allocate until Xen says -ENOSPC, close
 * every port we took, and allocation works again. A domU runs out at
 * xl's max_event_channels; a 2-level dom0 at the ABI's 4096. A FIFO dom0
 * may have 2^17, and Xen looks for a free port from 0 every time, so
 * running out would take hours under TCG: there we check that the ports
 * go on past the 2-level limit instead.
 */
KTEST(xsa, xsa_317_evtchn_exhaustion)
{
	static evtchn_port_t ports[NR_2L_PORTS + 1];
	bool endless = evtchn_uses_fifo() && is_initial_domain();
	unsigned int limit = endless ? NR_2L_PORTS + 1 : NR_2L_PORTS;
	unsigned int n = 0;
	evtchn_port_t highest = 0;
	long rc = 0;

	while (n < limit) {
		struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };

		rc = hypercall_event_channel_op(EVTCHNOP_alloc_unbound, &au);
		if (rc)
			break;
		ports[n++] = au.port;
		if (au.port > highest)
			highest = au.port;
	}
	for (unsigned int i = 0; i < n; i++)
		KT_ASSERT_EQ(close_port(ports[i]), 0, "closing an allocated port");
	if (endless) {
		KT_ASSERT_EQ(rc, 0, "alloc_unbound on a FIFO dom0");
		KT_ASSERT(highest >= NR_2L_PORTS, "highest port %u, within the 2-level range",
			  highest);
	} else {
		KT_ASSERT(n > 0 && n < limit, "allocated %u ports before the error", n);
		KT_ASSERT_EQ(rc, -XEN_ENOSPC, "alloc_unbound once the ports are used up");
	}
	KT_ASSERT_EQ(ipi_works(), 0, "events after the ports were given back");
}

/*
 * XSA-20: a deadline far in the future overflowed Xen's timer arithmetic.
 * Xen now treats a deadline with bit 63 set, or more than 2^50 ns away,
 * as a guest bug and fires the timer soon (100 ms) instead: the VIRQ_TIMER
 * event must arrive, where the literal deadline would never come.
 */
KTEST(xsa, xsa_020_huge_timeout_fires)
{
	struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
	struct vcpu_set_periodic_timer period = { .period_ns = 10000000 };	/* Xen's PV default */
	static const uint64_t offsets[] = { 1ul << 51, 1ul << 63 };
	long rc;

	/*
	 * Only our one-shot timer may raise VIRQ_TIMER meanwhile: the kernel
	 * lends its VIRQ. Its other ports stay masked, so that no event of
	 * theirs ends the poll early.
	 */
	time_lend_virq();
	evtchn_quiet(0);
	KT_ASSERT_EQ(hypercall_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL), 0,
		     "stop_periodic_timer");
	rc = hypercall_event_channel_op(EVTCHNOP_bind_virq, &bv);
	if (rc) {
		hypercall_vcpu_op(VCPUOP_set_periodic_timer, 0, &period);
		evtchn_unquiet();
		time_reclaim_virq();
		KT_FAIL("bind_virq(VIRQ_TIMER) = %ld", rc);
		return;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(offsets) && !ktest_failed(); i++) {
		uint64_t deadline = i == 0 ? system_time() + offsets[i] : offsets[i];

		clear_pending(bv.port);
		rc = hypercall_set_timer_op(deadline);
		if (rc) {
			KT_FAIL("set_timer_op(%#lx) = %ld", deadline, rc);
			break;
		}
		/* A poll also ends when another event comes: poll again until 5 s are up. */
		for (uint64_t end = system_time() + 5000000000ul;
		     !rc && !is_pending(bv.port) && system_time() < end; )
			rc = poll_one(bv.port, end);
		if (rc || !is_pending(bv.port))
			KT_FAIL("deadline %#lx: no timer event within 5 s (poll %ld)",
				deadline, rc);
	}
	hypercall_set_timer_op(0);
	clear_pending(bv.port);
	close_port(bv.port);
	rc = hypercall_vcpu_op(VCPUOP_set_periodic_timer, 0, &period);
	/* The kernel's VIRQ back, and its periodic timer stopped again (tickless). */
	evtchn_unquiet();
	time_reclaim_virq();
	KT_ASSERT_EQ(rc, 0, "periodic timer back to Xen's default");
}
