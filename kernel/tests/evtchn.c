/*
 * Event channels as Xen 4.17 answers a 64-bit PV guest: first the raw
 * hypercalls (port status, allocation of the lowest free port, binding
 * VIRQs and IPIs, sending, closing, and every refusal), then the kernel's
 * ports on top of them (xen/evtchn.h), on whichever ABI is in use: FIFO
 * when Xen offers it, 2-level with evtchn=2l. The ports we find bound at
 * boot are the toolstack's (xenstore and console for a domU) and our own
 * VIRQs.
 */
#include <xen/errno.h>
#include <xen/event_channel.h>

#include "arch/x86/hypercall.h"
#include "kernel/cmdline.h"
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/tests/self.h"
#include "xen/evtchn.h"
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

/*
 * EVTCHNOP_reset on another domain: Xen's XSM check first (domain 0
 * exists, and is not ours to reset: -EPERM), a domain that does not
 * exist is -ESRCH. Resetting ourselves would close the toolstack's
 * channels too; that is Xen's answer, and not one a test can survive.
 */
KTEST(evtchn, reset_refused)
{
	struct evtchn_reset r = { .dom = 7 };

	KT_ASSERT_EQ(op(EVTCHNOP_reset, &r), -XEN_ESRCH, "reset of domain 7");
	if (is_initial_domain())
		return;		/* domain 0 is us */
	r.dom = 0;
	KT_ASSERT_EQ(op(EVTCHNOP_reset, &r), -XEN_EPERM, "reset of domain 0 from a domU");
}

/* ---- the ABI in use ---------------------------------------------------------- */

/* The handler runs on the upcall: let whatever is pending in. */
static void take_events(void)
{
	upcalls_on();
	upcalls_off();
}

KTEST(evtchn, abi_choice)
{
	bool forced = cmdline_has("evtchn=2l");

	/* Xen 4.17 always offers FIFO: we use it unless told not to. */
	KT_ASSERT_EQ(evtchn_uses_fifo(), !forced, "FIFO in use");
	KT_ASSERT_EQ(evtchn_fifo_offered(), !forced, "FIFO accepted by init_control");
}

/*
 * bind_interdomain raises the new local port at once: whatever was sent
 * to the other end while it was unbound would otherwise be lost. The
 * remote end, already bound, hears nothing.
 */
KTEST(evtchn, bind_interdomain_raises_local_port)
{
	struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
	struct evtchn_bind_interdomain bi = { .remote_dom = DOMID_SELF };
	struct evtchn_status s;
	bool local, remote;

	KT_ASSERT_EQ(op(EVTCHNOP_alloc_unbound, &au), 0, "alloc_unbound(self)");
	bi.remote_port = au.port;
	KT_ASSERT_EQ(op(EVTCHNOP_bind_interdomain, &bi), 0, "bind_interdomain(self)");
	local = evtchn_is_pending(bi.local_port);
	remote = evtchn_is_pending(au.port);
	status(au.port, &s);
	close_port(bi.local_port);
	evtchn_clear_pending(bi.local_port);
	KT_ASSERT_EQ(status(au.port, &s), 0, "status of the other end");
	KT_ASSERT(s.status == EVTCHNSTAT_unbound && s.u.unbound.dom == own_domid(),
		  "the other end after close: status %u dom %u", s.status, s.u.unbound.dom);
	close_port(au.port);
	KT_ASSERT(local, "the new local port %u is not pending", bi.local_port);
	KT_ASSERT(!remote, "the remote port %u became pending", au.port);
}

/* ---- the kernel's ports --------------------------------------------------------- */

struct counter {
	volatile unsigned int n;
	evtchn_port_t last_port;
};

static void count_event(evtchn_port_t port, void *arg)
{
	struct counter *c = arg;

	c->n++;
	c->last_port = port;
}

KTEST(evtchn, loopback_once_per_send)
{
	struct counter ca = { 0 }, cb = { 0 };
	evtchn_port_t a, b;
	unsigned int base_b;
	long rc = evtchn_loopback(&a, count_event, &ca, &b, count_event, &cb);

	KT_ASSERT_EQ(rc, 0, "a loopback pair");
	take_events();		/* the bind's own event on b */
	base_b = cb.n;
	upcalls_on();
	for (unsigned int i = 0; i < 50; i++)
		evtchn_notify(a);
	for (unsigned int i = 0; i < 20; i++)
		evtchn_notify(b);
	upcalls_off();
	evtchn_close(a);
	evtchn_close(b);
	KT_ASSERT(base_b <= 1, "%u events on b from binding it", base_b);
	KT_ASSERT_EQ(cb.n - base_b, 50, "events on b for 50 sends on a");
	KT_ASSERT_EQ(ca.n, 20, "events on a for 20 sends on b");
	KT_ASSERT(cb.last_port == b && ca.last_port == a, "handler got ports %u, %u",
		  cb.last_port, ca.last_port);
}

KTEST(evtchn, masked_pending_fires_once_on_unmask)
{
	struct counter ca = { 0 }, cb = { 0 };
	evtchn_port_t a, b;
	unsigned int before, while_masked;
	bool pending;
	long rc = evtchn_loopback(&a, count_event, &ca, &b, count_event, &cb);

	KT_ASSERT_EQ(rc, 0, "a loopback pair");
	take_events();
	before = cb.n;
	evtchn_mask(b);
	upcalls_on();
	for (unsigned int i = 0; i < 3; i++)
		evtchn_notify(a);
	while_masked = cb.n;
	pending = evtchn_is_pending(b);
	/* Unmasking re-raises the event: the upcall comes as upcalls are on. */
	evtchn_unmask(b);
	upcalls_off();
	evtchn_close(a);
	evtchn_close(b);
	KT_ASSERT_EQ(while_masked, before, "events delivered while masked");
	KT_ASSERT(pending, "the masked port is not pending");
	KT_ASSERT_EQ(cb.n - before, 1, "events on unmask (three sends)");
}

/*
 * A storm on one port must not starve the others: its handler sends to
 * it again, 200 times; the two other ports pending from the start are
 * served within the storm's first two rounds (2-level: the scan resumes
 * after the last port served; FIFO: the storm queues behind them).
 */
#define STORM	200

static struct counter storm;
static unsigned int served_at[2];
static evtchn_port_t storm_a;

static void storm_event(evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	if (++storm.n < STORM)
		evtchn_notify(storm_a);
}

static void bystander(evtchn_port_t port, void *arg)
{
	(void)port;
	served_at[(uintptr_t)arg] = storm.n;
}

KTEST(evtchn, storm_does_not_starve)
{
	evtchn_port_t a, b, c[2], d[2];
	long rc;

	storm.n = 0;
	served_at[0] = served_at[1] = ~0U;
	rc = evtchn_loopback(&storm_a, NULL, NULL, &a, storm_event, NULL);
	KT_ASSERT_EQ(rc, 0, "the storm's pair");
	for (uintptr_t i = 0; i < 2 && !rc; i++)
		rc = evtchn_loopback(&c[i], NULL, NULL, &d[i], bystander, (void *)i);
	take_events();
	storm.n = 0;
	served_at[0] = served_at[1] = ~0U;
	if (!rc) {
		evtchn_notify(storm_a);
		evtchn_notify(c[0]);
		evtchn_notify(c[1]);
		take_events();
	}
	b = a;
	evtchn_close(storm_a);
	evtchn_close(b);
	for (unsigned int i = 0; i < 2; i++) {
		evtchn_close(c[i]);
		evtchn_close(d[i]);
	}
	KT_ASSERT_EQ(rc, 0, "the bystanders' pairs");
	KT_ASSERT_EQ(storm.n, STORM, "storm events");
	KT_ASSERT(served_at[0] <= 2 && served_at[1] <= 2,
		  "bystanders served after %u and %u storm events (%s)", served_at[0],
		  served_at[1], evtchn_abi_name());
}

/* FIFO: higher priority (lower number) first, whatever the order of sending. */
static evtchn_port_t order[3];
static unsigned int nr_order;

static void record_order(evtchn_port_t port, void *arg)
{
	(void)arg;
	if (nr_order < 3)
		order[nr_order++] = port;
}

KTEST(evtchn, fifo_priorities_and_order)
{
	evtchn_port_t s[3], r[3];
	struct evtchn_set_priority sp;
	long rc = 0, prc[3];
	static const unsigned int prio[3] = { 12, EVTCHN_FIFO_PRIORITY_DEFAULT, 2 };

	for (unsigned int i = 0; i < 3 && !rc; i++)
		rc = evtchn_loopback(&s[i], NULL, NULL, &r[i], record_order, NULL);
	KT_ASSERT_EQ(rc, 0, "three pairs");
	take_events();
	for (unsigned int i = 0; i < 3; i++) {
		sp = (struct evtchn_set_priority){ .port = r[i], .priority = prio[i] };
		prc[i] = op(EVTCHNOP_set_priority, &sp);
	}
	nr_order = 0;
	for (unsigned int i = 0; i < 3; i++)
		evtchn_notify(s[i]);
	take_events();
	for (unsigned int i = 0; i < 3; i++) {
		evtchn_close(s[i]);
		evtchn_close(r[i]);
	}
	if (!evtchn_uses_fifo()) {
		for (unsigned int i = 0; i < 3; i++)
			KT_ASSERT_EQ(prc[i], -XEN_ENOSYS, "set_priority on 2-level");
		KT_ASSERT_EQ(nr_order, 3, "events delivered");
		return;
	}
	for (unsigned int i = 0; i < 3; i++)
		KT_ASSERT_EQ(prc[i], 0, "set_priority");
	KT_ASSERT_EQ(nr_order, 3, "events delivered");
	KT_ASSERT(order[0] == r[2] && order[1] == r[1] && order[2] == r[0],
		  "delivered %u %u %u, expected %u (prio 2) %u (7) %u (12)",
		  order[0], order[1], order[2], r[2], r[1], r[0]);
}

/*
 * FIFO: a port closed while its event is still queued (LINKED) is busy:
 * Xen hands out other ports until the guest has consumed the event. The
 * 2-level ABI has no such state: the port comes back at once.
 */
KTEST(evtchn, fifo_busy_port_not_reused)
{
	struct evtchn_bind_ipi ipi = { .vcpu = 0 };
	struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = 0 };
	evtchn_port_t first, second = 0;
	long rc, rc2;

	evtchn_quiet(0);
	rc = op(EVTCHNOP_bind_ipi, &ipi);
	if (!rc) {
		/* Unmasked, sent: queued on FIFO; then closed. */
		evtchn_set_handler(ipi.port, NULL, NULL);
		evtchn_notify(ipi.port);
		close_port(ipi.port);
	}
	rc2 = op(EVTCHNOP_alloc_unbound, &au);
	first = au.port;
	if (!rc2)
		close_port(au.port);
	evtchn_unquiet();
	take_events();		/* consumes the stale event */
	au.port = 0;
	if (!op(EVTCHNOP_alloc_unbound, &au)) {
		second = au.port;
		close_port(au.port);
	}
	evtchn_close(ipi.port);	/* forget our handler (already closed: -EINVAL) */
	KT_ASSERT_EQ(rc, 0, "bind_ipi");
	KT_ASSERT_EQ(rc2, 0, "alloc_unbound");
	if (evtchn_uses_fifo())
		KT_ASSERT(first != ipi.port, "port %u handed out while still queued", first);
	else
		KT_ASSERT_EQ(first, ipi.port, "2-level: the closed port again");
	KT_ASSERT_EQ(second, ipi.port, "the port once its event was consumed");
}

/* Waiting for a port, or a deadline, from a thread. */
static evtchn_port_t wait_port;
static uint64_t wait_result, wait_deadline, woke_at;

static void waiter(void *arg)
{
	uint64_t seen = (uint64_t)(uintptr_t)arg;

	wait_result = evtchn_wait(wait_port, seen, wait_deadline);
	woke_at = xen_system_time();
}

KTEST(evtchn, wait_for_port_or_deadline)
{
	struct counter cb = { 0 };
	evtchn_port_t a, b;
	struct thread *t;
	uint64_t seen1, seen2, r1, r2, deadline2, woke2;
	long rc = evtchn_loopback(&a, NULL, NULL, &b, count_event, &cb);

	KT_ASSERT_EQ(rc, 0, "a loopback pair");
	take_events();
	/* The event comes first: sent 5 ms into the wait. */
	seen1 = evtchn_count(b);
	wait_port = b;
	wait_deadline = xen_system_time() + 10 * NSEC_PER_SEC;
	t = thread_create("waiter", waiter, (void *)(uintptr_t)seen1);
	if (t) {
		sleep_ns(5 * NSEC_PER_MSEC);
		evtchn_notify(a);
		thread_join(t);
	}
	r1 = wait_result;
	/* The deadline comes first: nothing is sent. */
	seen2 = evtchn_count(b);
	wait_deadline = deadline2 = xen_system_time() + 20 * NSEC_PER_MSEC;
	t = thread_create("waiter", waiter, (void *)(uintptr_t)seen2);
	if (t)
		thread_join(t);
	r2 = wait_result;
	woke2 = woke_at;
	evtchn_close(a);
	evtchn_close(b);
	KT_ASSERT(t, "no memory for a thread");
	KT_ASSERT_EQ(r1, seen1 + 1, "count after the send (the first wait)");
	KT_ASSERT_EQ(r2, seen2, "count when the deadline passed");
	KT_ASSERT(woke2 >= deadline2, "woke %lu ns before the deadline", deadline2 - woke2);
}
