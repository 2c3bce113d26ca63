/*
 * The raw xenstore ring for the tests (see xs_raw.h). Events stay masked:
 * we wait for the ring with SCHEDOP_poll on the store's port.
 */
#include "kernel/tests/xs_raw.h"

#include "arch/x86/hypercall.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "mm/p2m.h"
#include "xen/evtchn.h"
#include "xen/start_info.h"
#include "xen/time.h"

struct xenstore_domain_interface *xsr_ring;

bool xsr_init(void)
{
	if (is_initial_domain())
		return false;
	xsr_ring = mfn_to_virt(start_info.store_mfn);
	return true;
}

bool xsr_store(void)
{
	if (xsr_init())
		return true;
	if (start_info.store_mfn || start_info.store_evtchn)
		KT_FAIL("the initial domain has a store ring (mfn %#lx, port %u)",
			(unsigned long)start_info.store_mfn, start_info.store_evtchn);
	return false;
}

void xsr_kick(void)
{
	struct evtchn_send s = { .port = start_info.store_evtchn };

	hypercall_event_channel_op(EVTCHNOP_send, &s);
}

bool xsr_put(const void *data, uint32_t len)
{
	const char *d = data;

	uint64_t start = xen_system_time();

	for (uint32_t i = 0; i < len; i++) {
		while (xsr_ring->req_prod - READ_ONCE(xsr_ring->req_cons) >= XENSTORE_RING_SIZE) {
			if (xen_system_time() - start > XSR_WAIT_NS)
				return false;
			xsr_kick();
			hypercall_sched_op(SCHEDOP_yield, NULL);
		}
		xsr_ring->req[MASK_XENSTORE_IDX(xsr_ring->req_prod)] = d[i];
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		xsr_ring->req_prod++;
	}
	return true;
}

bool xsr_send(uint32_t type, uint32_t req_id, uint32_t tx_id, const void *payload, uint32_t len)
{
	struct xsd_sockmsg m = { .type = type, .req_id = req_id, .tx_id = tx_id, .len = len };
	bool ok = xsr_put(&m, sizeof(m)) && xsr_put(payload, len);

	xsr_kick();
	return ok;
}

static bool get(void *data, uint32_t len, uint64_t start, uint64_t wait_ns)
{
	char *d = data;

	for (uint32_t i = 0; i < len; i++) {
		while (READ_ONCE(xsr_ring->rsp_prod) == xsr_ring->rsp_cons) {
			evtchn_port_t p = start_info.store_evtchn;
			uint64_t slice = wait_ns < 50000000 ? wait_ns : 50000000;
			struct sched_poll sp = { .nr_ports = 1, .timeout = xen_system_time() + slice };

			set_xen_guest_handle(sp.ports, &p);
			hypercall_sched_op(SCHEDOP_poll, &sp);
			evtchn_clear_pending(p);
			if (xen_system_time() - start > wait_ns)
				return false;
		}
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		d[i] = xsr_ring->rsp[MASK_XENSTORE_IDX(xsr_ring->rsp_cons)];
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		xsr_ring->rsp_cons++;
	}
	return true;
}

bool xsr_read(struct xsd_sockmsg *m, char *buf, size_t size, uint64_t wait_ns)
{
	uint64_t start = xen_system_time();

	if (!get(m, sizeof(*m), start, wait_ns))
		return false;
	for (uint32_t k = 0; k < m->len; k++) {
		char c;

		if (!get(&c, 1, start, XSR_WAIT_NS))
			return false;
		if (k < size - 1)
			buf[k] = c ? c : '|';
	}
	buf[m->len < size - 1 ? m->len : size - 1] = '\0';
	/* Room in the reply ring: a xenstored that stopped writing goes on. */
	xsr_kick();
	return true;
}

bool xsr_idle(void)
{
	return xsr_ring->req_cons == xsr_ring->req_prod && xsr_ring->rsp_cons == xsr_ring->rsp_prod;
}

static uint32_t script_req = 0x5000;
static uint32_t slots[XSR_TX_BOGUS + 1] = { [XSR_TX_BOGUS] = 0x7fff0001 };

static bool expect(const char *what, unsigned int i, uint32_t type, const char *want)
{
	struct xsd_sockmsg m;
	char got[256];

	if (!xsr_read(&m, got, sizeof(got), XSR_WAIT_NS)) {
		KT_FAIL("%s step %u: nothing came, expected type %u '%s'", what, i, type, want);
		return false;
	}
	if (m.type != type || (want && strcmp(got, want))) {
		KT_FAIL("%s step %u: got type %u '%s', expected type %u '%s'", what, i, m.type, got,
			type, want ? want : "(a transaction id)");
		return false;
	}
	if (type != XS_WATCH_EVENT && m.req_id != script_req) {
		KT_FAIL("%s step %u: reply to request %#x, not %#x", what, i, m.req_id, script_req);
		return false;
	}
	if (!want) {
		uint32_t v = 0;

		for (const char *s = got; *s >= '0' && *s <= '9'; s++)
			v = v * 10 + (uint32_t)(*s - '0');
		slots[0] = v;
	}
	return true;
}

bool xsr_run(const char *what, const struct xsr_step *steps, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct xsr_step *s = &steps[i];

		xsr_send(s->type, ++script_req, s->tx ? slots[s->tx] : 0, s->payload, s->len);
		for (unsigned int k = 0; k < XSR_EVENTS && s->before[k]; k++)
			if (!expect(what, i, XS_WATCH_EVENT, s->before[k]))
				return false;
		if (!expect(what, i, s->reply_type, s->save_tx ? NULL : s->reply))
			return false;
		if (s->save_tx)
			slots[s->save_tx] = slots[0];
		for (unsigned int k = 0; k < XSR_EVENTS && s->after[k]; k++)
			if (!expect(what, i, XS_WATCH_EVENT, s->after[k]))
				return false;
	}
	if (!xsr_idle()) {
		KT_FAIL("%s: ring not idle at the end", what);
		return false;
	}
	return true;
}

uint32_t xsr_slot(unsigned int slot)
{
	return slots[slot];
}

void xsr_set_slot(unsigned int slot, uint32_t id)
{
	slots[slot] = id;
}
