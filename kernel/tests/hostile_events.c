/*
 * Closing our end of a backend's event channel. On Xen the backend's end
 * (in domain 0) becomes unbound, waiting for us again: whatever port we
 * allocate next never hears from that backend, and binding to its port
 * again (EVTCHNOP_bind_interdomain) reconnects us.
 */
#include <xen/errno.h>
#include <xen/io/console.h>
#include <xen/io/xs_wire.h>

#include "arch/x86/hypercall.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "mm/p2m.h"
#include "xen/console.h"
#include "xen/evtchn.h"
#include "xen/sched.h"
#include "xen/start_info.h"
#include "xen/time.h"

static bool pending(evtchn_port_t p)
{
	return evtchn_is_pending(p);
}

static void clear_pending(evtchn_port_t p)
{
	evtchn_clear_pending(p);
}

/* Give a backend every chance to act: exits, time. */
static void let_backends_run(void)
{
	uint64_t until = xen_system_time() + 20000000;

	while (xen_system_time() < until)
		xen_yield();
}

struct rebind {
	long status_rc, close_rc, ipi_rc, close_ipi_rc, bind_rc;
	struct evtchn_status st;
	evtchn_port_t ipi, port;
	bool ipi_signalled;
};

/*
 * Close port, take a new port (an IPI) that may well get its number, let
 * the backend do what it does with work we leave in its ring (produce()),
 * and see whether the new port is signalled; then reconnect.
 */
static void close_and_rebind(evtchn_port_t port, void (*produce)(void), struct rebind *r)
{
	struct evtchn_close c = { .port = port };
	struct evtchn_bind_ipi ipi = { .vcpu = 0 };
	struct evtchn_bind_interdomain bi = { 0 };

	r->st = (struct evtchn_status){ .dom = DOMID_SELF, .port = port };
	r->status_rc = hypercall_event_channel_op(EVTCHNOP_status, &r->st);
	r->close_rc = hypercall_event_channel_op(EVTCHNOP_close, &c);
	r->ipi_rc = hypercall_event_channel_op(EVTCHNOP_bind_ipi, &ipi);
	r->ipi = ipi.port;
	clear_pending(r->ipi);
	produce();
	let_backends_run();
	r->ipi_signalled = pending(r->ipi);
	c.port = r->ipi;
	r->close_ipi_rc = hypercall_event_channel_op(EVTCHNOP_close, &c);
	bi.remote_dom = r->st.u.interdomain.dom;
	bi.remote_port = r->st.u.interdomain.port;
	r->bind_rc = hypercall_event_channel_op(EVTCHNOP_bind_interdomain, &bi);
	r->port = bi.local_port;
}

#define KT_ASSERT_REBIND(r, what)						\
	do {									\
		KT_ASSERT_EQ((r).status_rc, 0, what ": EVTCHNOP_status");	\
		KT_ASSERT_EQ((r).st.status, EVTCHNSTAT_interdomain, what ": status"); \
		KT_ASSERT_EQ((r).st.u.interdomain.dom, 0, what ": remote domain");	\
		KT_ASSERT_EQ((r).close_rc, 0, what ": close");		\
		KT_ASSERT_EQ((r).ipi_rc, 0, what ": a new port");		\
		KT_ASSERT(!(r).ipi_signalled, what ": the backend signalled port %u " \
			  "after we closed its channel", (r).ipi);		\
		KT_ASSERT_EQ((r).close_ipi_rc, 0, what ": closing the new port");	\
		KT_ASSERT_EQ((r).bind_rc, 0, what ": binding to the backend's port again"); \
	} while (0)

/* Console output the backend would drain, and signal us for: left without a kick. */
static void console_unkicked(void)
{
	struct xencons_interface *ring = mfn_to_virt(start_info.console.domU.mfn);
	static const char line[] = "hostile: console channel closed and rebound\n";
	uint32_t prod = ring->out_prod;

	for (unsigned int i = 0; i < sizeof(line) - 1; i++, prod++)
		ring->out[MASK_XENCONS_IDX(prod, ring->out)] = line[i];
	wmb();
	WRITE_ONCE(ring->out_prod, prod);
}

static struct xenstore_domain_interface *store(void)
{
	return mfn_to_virt(start_info.store_mfn);
}

/* A request xenstored would answer, and signal us for: left without a kick. */
static void store_unkicked(void)
{
	static const char path[] = "domid";
	struct xsd_sockmsg m = { .type = XS_READ, .req_id = 0x6f6f, .len = sizeof(path) };
	struct xenstore_domain_interface *s = store();
	uint32_t prod = s->req_prod;
	const char *bytes[2] = { (const char *)&m, path };
	size_t len[2] = { sizeof(m), sizeof(path) };

	for (unsigned int k = 0; k < 2; k++)
		for (size_t i = 0; i < len[k]; i++, prod++)
			s->req[MASK_XENSTORE_IDX(prod)] = bytes[k][i];
	wmb();
	WRITE_ONCE(s->req_prod, prod);
}

/* Kick the store and take its one reply, so the ring is as we found it. */
static bool store_reply(evtchn_port_t port)
{
	struct xenstore_domain_interface *s = store();
	struct xsd_sockmsg m;

	for (unsigned int i = 0; i < 100000; i++) {
		uint32_t cons = s->rsp_cons, prod = READ_ONCE(s->rsp_prod);

		rmb();
		if (prod - cons >= sizeof(m)) {
			for (size_t k = 0; k < sizeof(m); k++)
				((char *)&m)[k] = s->rsp[MASK_XENSTORE_IDX(cons + k)];
			if (prod - cons >= sizeof(m) + m.len) {
				mb();
				WRITE_ONCE(s->rsp_cons, cons + (uint32_t)sizeof(m) + m.len);
				evtchn_notify(port);
				return m.req_id == 0x6f6f;
			}
		}
		evtchn_notify(port);
		xen_yield();
	}
	return false;
}

KTEST(hostile, backend_ports_closed_and_rebound)
{
	struct rebind con, st;
	bool flushed, replied;

	if (is_initial_domain())
		return;		/* the initial domain has no backend channels */
	console_flush();
	close_and_rebind(console_port(), console_unkicked, &con);
	if (con.bind_rc == 0)
		console_set_port(con.port);
	flushed = console_flush();
	close_and_rebind(start_info.store_evtchn, store_unkicked, &st);
	replied = st.bind_rc == 0 && store_reply(st.port);
	if (st.bind_rc == 0)
		start_info.store_evtchn = st.port;

	KT_ASSERT_REBIND(con, "console");
	KT_ASSERT(flushed, "the console backend did not drain the ring once rebound");
	KT_ASSERT_REBIND(st, "xenstore");
	KT_ASSERT(replied, "xenstored did not answer once rebound");
}
