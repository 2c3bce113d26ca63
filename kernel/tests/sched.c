/*
 * HYPERVISOR_sched_op as Xen 4.17 answers a 64-bit PV guest: yield, the
 * watchdogs, poll, and what a domU may not do. (Blocking on a timer is in
 * timer.c; shutting down ends the suite.)
 */
#include <xen/errno.h>
#include <xen/sched.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "xen/evtchn.h"
#include "xen/start_info.h"
#include "xen/time.h"

#define NR_WATCHDOGS	2	/* per domain, in Xen 4.17 */

static long watchdog(uint32_t id, uint32_t timeout)
{
	struct sched_watchdog wd = { .id = id, .timeout = timeout };

	return hypercall_sched_op(SCHEDOP_watchdog, &wd);
}

static long poll(evtchn_port_t *ports, unsigned int n, uint64_t timeout)
{
	struct sched_poll sp = { .nr_ports = n, .timeout = timeout };

	set_xen_guest_handle(sp.ports, ports);
	return hypercall_sched_op(SCHEDOP_poll, &sp);
}

static void clear_pending(evtchn_port_t port)
{
	evtchn_clear_pending(port);
}

KTEST(sched, yield)
{
	KT_ASSERT_EQ(hypercall_sched_op(SCHEDOP_yield, NULL), 0, "SCHEDOP_yield");
}

KTEST(sched, unknown_op)
{
	KT_ASSERT_EQ(hypercall_sched_op(99, NULL), -XEN_ENOSYS, "sched_op 99");
}

KTEST(sched, remote_shutdown)
{
	struct sched_remote_shutdown rs = { .domain_id = 0, .reason = SHUTDOWN_poweroff };

	if (is_initial_domain()) {
		/* dom0 may, but there is no domain 5 to shut down. */
		rs.domain_id = 5;
		KT_ASSERT_EQ(hypercall_sched_op(SCHEDOP_remote_shutdown, &rs), -XEN_ESRCH,
			     "remote_shutdown(5) from dom0");
		return;
	}
	KT_ASSERT_EQ(hypercall_sched_op(SCHEDOP_remote_shutdown, &rs), -XEN_EPERM,
		     "a domU shutting down dom0");
}

KTEST(sched, watchdogs)
{
	long ids[NR_WATCHDOGS + 1];
	long destroyed[NR_WATCHDOGS];

	/* Ids count from 1, lowest free first; 0 names "a new one". */
	for (unsigned int i = 0; i <= NR_WATCHDOGS; i++)
		ids[i] = watchdog(0, 30);
	for (unsigned int i = 0; i < NR_WATCHDOGS; i++)
		destroyed[i] = watchdog((uint32_t)ids[i], 0);
	KT_ASSERT(ids[0] == 1 && ids[1] == 2, "new watchdogs got ids %ld, %ld", ids[0], ids[1]);
	/*
	 * Xen's domain_watchdog picks -ENOSPC or id + 1 (unsigned) in one
	 * conditional, so the error comes back zero-extended from 32 bits.
	 */
	KT_ASSERT_EQ(ids[NR_WATCHDOGS], (uint32_t)-XEN_ENOSPC, "a watchdog beyond the domain's two");
	KT_ASSERT(destroyed[0] == 0 && destroyed[1] == 0, "destroying: %ld, %ld",
		  destroyed[0], destroyed[1]);
	KT_ASSERT_EQ(watchdog(1, 0), -XEN_EINVAL, "destroying a destroyed watchdog");
	KT_ASSERT_EQ(watchdog(7, 0), -XEN_EINVAL, "destroying watchdog 7");
}

KTEST(sched, poll_refused)
{
	static evtchn_port_t ports[200];

	KT_ASSERT_EQ(poll(ports, 200, xen_system_time() + 1000000), -XEN_EINVAL,
		     "poll on more than 128 ports");
	ports[0] = 5000;
	KT_ASSERT_EQ(poll(ports, 1, xen_system_time() + 1000000), -XEN_EINVAL,
		     "poll on a port beyond the ABI's");
}

KTEST(sched, poll_times_out)
{
	struct evtchn_bind_ipi ipi = { .vcpu = 0 };
	struct evtchn_close close;
	uint64_t t0, t1;
	long rc;

	KT_ASSERT_EQ(hypercall_event_channel_op(EVTCHNOP_bind_ipi, &ipi), 0, "bind_ipi");
	/* A new event on any unmasked port would end the poll early (Xen kicks the vCPU). */
	evtchn_quiet(0);
	t0 = xen_system_time();
	rc = poll(&ipi.port, 1, t0 + 3000000);
	t1 = xen_system_time();
	evtchn_unquiet();
	close.port = ipi.port;
	hypercall_event_channel_op(EVTCHNOP_close, &close);
	KT_ASSERT_EQ(rc, 0, "poll with a timeout");
	/* Nothing was sent: only the timeout can have woken us. */
	KT_ASSERT(t1 - t0 >= 3000000, "poll returned after %lu ns, before its 3 ms timeout", t1 - t0);
}

KTEST(sched, poll_pending_port)
{
	struct evtchn_bind_ipi ipi = { .vcpu = 0 };
	struct evtchn_send send;
	struct evtchn_close close;
	long rc;

	KT_ASSERT_EQ(hypercall_event_channel_op(EVTCHNOP_bind_ipi, &ipi), 0, "bind_ipi");
	send.port = ipi.port;
	KT_ASSERT_EQ(hypercall_event_channel_op(EVTCHNOP_send, &send), 0, "send");
	/* No timeout: it returns because the port is pending, even masked. */
	rc = poll(&ipi.port, 1, 0);
	close.port = ipi.port;
	hypercall_event_channel_op(EVTCHNOP_close, &close);
	clear_pending(ipi.port);
	KT_ASSERT_EQ(rc, 0, "poll on a pending port");
}
