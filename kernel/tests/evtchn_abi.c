/*
 * The 2-level event channel ABI as Xen 4.17 answers a 64-bit PV guest:
 * port status, allocation (the lowest free port), binding VIRQs and IPIs,
 * sending, closing, and every refusal. The ports we find bound at boot
 * are the toolstack's: xenstore and console for a domU, none for dom0.
 * (The FIFO ABI is another issue's.)
 */
#include <xen/errno.h>
#include <xen/event_channel.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "xen/start_info.h"
#include "xen/time.h"

#define NR_2LEVEL_PORTS	(sizeof(xen_ulong_t) * 8 * sizeof(xen_ulong_t) * 8)

static long status(evtchn_port_t port, struct evtchn_status *s)
{
	memset(s, 0x5a, sizeof(*s));
	s->dom = DOMID_SELF;
	s->port = port;
	return hypercall_event_channel_op(EVTCHNOP_status, s);
}

static long op(unsigned int cmd, void *arg)
{
	return hypercall_event_channel_op(cmd, arg);
}

static long close_port(evtchn_port_t port)
{
	struct evtchn_close c = { .port = port };

	return op(EVTCHNOP_close, &c);
}

/* Xen hands out the lowest port that is closed (port 0 is never used). */
static evtchn_port_t lowest_free(void)
{
	struct evtchn_status s;

	for (evtchn_port_t p = 1; p < NR_2LEVEL_PORTS; p++)
		if (status(p, &s) == 0 && s.status == EVTCHNSTAT_closed)
			return p;
	return 0;
}

KTEST(evtchn, toolstack_ports)
{
	struct evtchn_status s;

	if (is_initial_domain()) {
		/* Nothing is bound for dom0 at boot: what is bound now is our own VIRQs. */
		for (evtchn_port_t p = 1; p < 64; p++) {
			KT_ASSERT_EQ(status(p, &s), 0, "status of a port of the first bucket");
			KT_ASSERT(s.status == EVTCHNSTAT_closed ||
				  (s.status == EVTCHNSTAT_virq &&
				   (s.u.virq == VIRQ_TIMER || s.u.virq == VIRQ_CONSOLE)),
				  "dom0 port %u: status %u (virq %u)", p, s.status, s.u.virq);
		}
		return;
	}
	/* xl binds both rings to dom0's backends, on vcpu 0. */
	KT_ASSERT_EQ(status(start_info.console.domU.evtchn, &s), 0, "status(console port)");
	KT_ASSERT(s.status == EVTCHNSTAT_interdomain && s.u.interdomain.dom == 0 && s.vcpu == 0,
		  "console port: status %u dom %u vcpu %u", s.status, s.u.interdomain.dom, s.vcpu);
	KT_ASSERT_EQ(status(start_info.store_evtchn, &s), 0, "status(xenstore port)");
	KT_ASSERT(s.status == EVTCHNSTAT_interdomain && s.u.interdomain.dom == 0 && s.vcpu == 0,
		  "xenstore port: status %u dom %u vcpu %u", s.status, s.u.interdomain.dom, s.vcpu);
}

KTEST(evtchn, status_of_closed_and_bad_ports)
{
	struct evtchn_status s;

	KT_ASSERT_EQ(status(0, &s), 0, "status(0)");
	KT_ASSERT_EQ(s.status, EVTCHNSTAT_closed, "port 0");
	/* Ports come in buckets of 64; while few are used, only the first exists. */
	KT_ASSERT_EQ(status(63, &s), 0, "status(63)");
	KT_ASSERT_EQ(s.status, EVTCHNSTAT_closed, "port 63");
	KT_ASSERT_EQ(status(64, &s), -XEN_EINVAL, "status(64)");
	KT_ASSERT_EQ(status(NR_2LEVEL_PORTS, &s), -XEN_EINVAL, "status(beyond the 2-level ports)");
	s.dom = 7;
	s.port = 1;
	KT_ASSERT_EQ(op(EVTCHNOP_status, &s), -XEN_ESRCH, "status of a domain that does not exist");
}

KTEST(evtchn, send_refused)
{
	struct evtchn_send sd = { .port = 0 };
	struct evtchn_unmask um = { .port = NR_2LEVEL_PORTS };

	KT_ASSERT_EQ(op(EVTCHNOP_send, &sd), -XEN_EINVAL, "send(0)");
	sd.port = lowest_free();
	KT_ASSERT_EQ(op(EVTCHNOP_send, &sd), -XEN_EINVAL, "send on a closed port");
	KT_ASSERT_EQ(op(EVTCHNOP_unmask, &um), -XEN_EINVAL, "unmask beyond the 2-level ports");
}

KTEST(evtchn, alloc_unbound)
{
	evtchn_port_t expect = lowest_free();
	struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = 0 };
	struct evtchn_send sd;
	struct evtchn_status s;

	KT_ASSERT_EQ(op(EVTCHNOP_alloc_unbound, &au), 0, "alloc_unbound");
	KT_ASSERT_EQ(au.port, expect, "the port allocated");
	KT_ASSERT_EQ(status(au.port, &s), 0, "status(unbound)");
	KT_ASSERT(s.status == EVTCHNSTAT_unbound && s.u.unbound.dom == 0,
		  "status %u remote %u", s.status, s.u.unbound.dom);
	/* Nobody listens yet: sending succeeds and does nothing. */
	sd.port = au.port;
	KT_ASSERT_EQ(op(EVTCHNOP_send, &sd), 0, "send on an unbound port");
	KT_ASSERT_EQ(close_port(au.port), 0, "close");
	KT_ASSERT_EQ(close_port(au.port), -XEN_EINVAL, "close again");
	KT_ASSERT_EQ(status(au.port, &s), 0, "status after close");
	KT_ASSERT_EQ(s.status, EVTCHNSTAT_closed, "closed again");
}

KTEST(evtchn, bind_virq)
{
	struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
	evtchn_port_t expect;
	struct evtchn_status s;
	long held, rc, closed;

	/* The kernel's timer holds VIRQ_TIMER: a second binding is refused. */
	held = op(EVTCHNOP_bind_virq, &bv);
	time_lend_virq();
	expect = lowest_free();
	rc = op(EVTCHNOP_bind_virq, &bv);
	status(bv.port, &s);
	closed = close_port(bv.port);
	time_reclaim_virq();
	KT_ASSERT_EQ(held, -XEN_EEXIST, "binding VIRQ_TIMER twice");
	KT_ASSERT_EQ(rc, 0, "bind_virq(timer)");
	KT_ASSERT_EQ(bv.port, expect, "the port bound");
	KT_ASSERT_EQ(closed, 0, "close");
	KT_ASSERT(s.status == EVTCHNSTAT_virq && s.u.virq == VIRQ_TIMER && s.vcpu == 0,
		  "status %u virq %u vcpu %u", s.status, s.u.virq, s.vcpu);
}

KTEST(evtchn, bind_virq_refused)
{
	/* A global VIRQ only on vcpu 0; no vcpu 1; no VIRQ 100. */
	KT_ASSERT_EQ(op(EVTCHNOP_bind_virq, &(struct evtchn_bind_virq){ .virq = VIRQ_DOM_EXC, .vcpu = 1 }),
		     -XEN_EINVAL, "bind_virq(DOM_EXC, vcpu 1)");
	KT_ASSERT_EQ(op(EVTCHNOP_bind_virq, &(struct evtchn_bind_virq){ .virq = VIRQ_TIMER, .vcpu = 1 }),
		     -XEN_ENOENT, "bind_virq(TIMER, vcpu 1)");
	KT_ASSERT_EQ(op(EVTCHNOP_bind_virq, &(struct evtchn_bind_virq){ .virq = 100, .vcpu = 0 }),
		     -XEN_EINVAL, "bind_virq(100)");
}

KTEST(evtchn, bind_ipi)
{
	struct evtchn_bind_ipi ipi = { .vcpu = 0 };
	evtchn_port_t expect = lowest_free();
	struct evtchn_status s;

	KT_ASSERT_EQ(op(EVTCHNOP_bind_ipi, &ipi), 0, "bind_ipi");
	KT_ASSERT_EQ(ipi.port, expect, "the port bound");
	status(ipi.port, &s);
	KT_ASSERT_EQ(close_port(ipi.port), 0, "close");
	KT_ASSERT(s.status == EVTCHNSTAT_ipi && s.vcpu == 0, "status %u vcpu %u", s.status, s.vcpu);
	KT_ASSERT_EQ(op(EVTCHNOP_bind_ipi, &(struct evtchn_bind_ipi){ .vcpu = 1 }), -XEN_ENOENT,
		     "bind_ipi(vcpu 1)");
}

KTEST(evtchn, unknown_op)
{
	char buf[64] = { 0 };

	KT_ASSERT_EQ(op(99, buf), -XEN_ENOSYS, "event_channel_op 99");
}
