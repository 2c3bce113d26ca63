/*
 * The 2-level event ABI: a pending and a mask bitmap in shared_info
 * (64 words of 64 ports), and a selector word per vCPU saying which
 * pending words to look at. Xen sets pending, then (if unmasked) the
 * selector bit, then evtchn_upcall_pending.
 */
#include "kernel/kernel.h"
#include "xen/evtchn.h"

#define WORD_BITS	(sizeof(xen_ulong_t) * 8)
#define NR_PORTS	(WORD_BITS * WORD_BITS)

static xen_ulong_t *pending_words(void) { return shared_info->evtchn_pending; }
static xen_ulong_t *mask_words(void) { return shared_info->evtchn_mask; }

static xen_ulong_t bit(evtchn_port_t port) { return 1UL << (port % WORD_BITS); }

void evtchn_2l_start(void)
{
	/*
	 * Everything masked until it has a handler (Linux does the same):
	 * shared_info starts zeroed, i.e. every port unmasked.
	 */
	for (unsigned int w = 0; w < WORD_BITS; w++)
		__atomic_store_n(&mask_words()[w], ~0UL, __ATOMIC_SEQ_CST);
}

static long l2_setup(evtchn_port_t port)
{
	return port < NR_PORTS ? 0 : -1;
}

static void l2_mask(evtchn_port_t port)
{
	if (port < NR_PORTS)
		__atomic_fetch_or(&mask_words()[port / WORD_BITS], bit(port), __ATOMIC_SEQ_CST);
}

static bool l2_is_masked(evtchn_port_t port)
{
	return port >= NR_PORTS || (READ_ONCE(mask_words()[port / WORD_BITS]) & bit(port));
}

static bool l2_is_pending(evtchn_port_t port)
{
	return port < NR_PORTS && (READ_ONCE(pending_words()[port / WORD_BITS]) & bit(port));
}

static void l2_clear_pending(evtchn_port_t port)
{
	if (port < NR_PORTS)
		__atomic_fetch_and(&pending_words()[port / WORD_BITS], ~bit(port),
				   __ATOMIC_SEQ_CST);
}

/*
 * Linux's rule for a PV guest: clear the mask first, then look at
 * pending; if an event came while masked, do what Xen would have done
 * (selector bit, then the upcall flag). Xen only raises on unmask when
 * the mask was set, so the order matters.
 */
static void l2_unmask(evtchn_port_t port)
{
	struct vcpu_info *v = &shared_info->vcpu_info[0];

	if (port >= NR_PORTS)
		return;
	__atomic_fetch_and(&mask_words()[port / WORD_BITS], ~bit(port), __ATOMIC_SEQ_CST);
	if (l2_is_pending(port) &&
	    !(__atomic_fetch_or(&v->evtchn_pending_sel, 1UL << (port / WORD_BITS),
				__ATOMIC_SEQ_CST) & (1UL << (port / WORD_BITS))))
		WRITE_ONCE(v->evtchn_upcall_pending, 1);
}

/*
 * The fair scan (as Linux's 2-level code): the walk starts where the last
 * one stopped, just after the last port served, and goes round once. A
 * port that keeps firing is served once per pass, after every other port
 * that was pending, so a storm on one port cannot starve the rest.
 */
static unsigned int next_port;	/* where the next walk starts */

static void l2_handle_events(void)
{
	struct vcpu_info *v = &shared_info->vcpu_info[0];
	xen_ulong_t sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	unsigned int start = next_port, first_word = start / WORD_BITS;

	/*
	 * Words in ring order from the start word; the start word twice: its
	 * ports from the start bit up first, the ones below it at the end.
	 */
	for (unsigned int i = 0; i <= WORD_BITS && sel; i++) {
		unsigned int w = (first_word + i) % WORD_BITS, sb = start % WORD_BITS;
		xen_ulong_t range, ready;

		if (!(sel & (1UL << w)))
			continue;
		if (i == 0)
			range = ~0UL << sb;
		else if (i == WORD_BITS)
			range = sb ? ~(~0UL << sb) : 0;
		else
			range = ~0UL;
		ready = READ_ONCE(pending_words()[w]) & ~READ_ONCE(mask_words()[w]) & range;
		while (ready) {
			evtchn_port_t port = w * WORD_BITS + (unsigned int)__builtin_ctzl(ready);

			ready &= ready - 1;
			evtchn_dispatch(port);
			next_port = (port + 1) % NR_PORTS;
		}
		/* The start word stays selected for its low ports at the end. */
		if (!(i == 0 && sb))
			sel &= ~(1UL << w);
	}
}

static void l2_forget(evtchn_port_t keep)
{
	struct vcpu_info *v = &shared_info->vcpu_info[0];

	if (keep && keep < NR_PORTS)
		__atomic_fetch_and(&mask_words()[keep / WORD_BITS], ~bit(keep), __ATOMIC_SEQ_CST);
	WRITE_ONCE(v->evtchn_pending_sel, 0);
	WRITE_ONCE(v->evtchn_upcall_pending, 0);
}

static void l2_rescan(void)
{
	struct vcpu_info *v = &shared_info->vcpu_info[0];

	__atomic_store_n(&v->evtchn_pending_sel, ~0UL, __ATOMIC_SEQ_CST);
	WRITE_ONCE(v->evtchn_upcall_pending, 1);
}

const struct evtchn_ops evtchn_ops_2l = {
	.name = "2-level",
	.setup = l2_setup,
	.mask = l2_mask,
	.unmask = l2_unmask,
	.is_masked = l2_is_masked,
	.is_pending = l2_is_pending,
	.clear_pending = l2_clear_pending,
	.handle_events = l2_handle_events,
	.forget = l2_forget,
	.rescan = l2_rescan,
};
