/*
 * The 2-level event ABI (Xen: common/event_2l.c): a pending and a mask
 * bitmap in shared_info, a selector word in vcpu_info. Set pending, then,
 * if unmasked, the selector bit, then the upcall flag: the order the
 * guest's scan relies on.
 */
#include "host/pv/evtchn.h"

#define WORD_BITS	64

static bool test_and_set(unsigned long *w, unsigned int bit)
{
	return __atomic_fetch_or(w, 1UL << bit, __ATOMIC_SEQ_CST) & (1UL << bit);
}

static bool test_and_clear(unsigned long *w, unsigned int bit)
{
	return __atomic_fetch_and(w, ~(1UL << bit), __ATOMIC_SEQ_CST) & (1UL << bit);
}

static bool test(const unsigned long *w, unsigned int bit)
{
	return __atomic_load_n(w, __ATOMIC_SEQ_CST) & (1UL << bit);
}

static unsigned long *pending_word(evtchn_port_t p)
{
	return &dom.shared_info->evtchn_pending[p / WORD_BITS];
}

static unsigned long *mask_word(evtchn_port_t p)
{
	return &dom.shared_info->evtchn_mask[p / WORD_BITS];
}

static void l2_set_pending(struct evtchn *chn)
{
	evtchn_port_t p = chn->port;

	if (p >= NR_2L_PORTS || test_and_set(pending_word(p), p % WORD_BITS))
		return;
	if (!test(mask_word(p), p % WORD_BITS) &&
	    !test_and_set(&vcpu_info0()->evtchn_pending_sel, p / WORD_BITS))
		evtchn_mark_events_pending();
}

static void l2_clear_pending(struct evtchn *chn)
{
	if (chn->port < NR_2L_PORTS)
		test_and_clear(pending_word(chn->port), chn->port % WORD_BITS);
}

/* Only an unmask that found the mask set raises anything (Xen's order). */
static void l2_unmask(struct evtchn *chn)
{
	evtchn_port_t p = chn->port;

	if (p < NR_2L_PORTS && test_and_clear(mask_word(p), p % WORD_BITS) &&
	    test(pending_word(p), p % WORD_BITS) &&
	    !test_and_set(&vcpu_info0()->evtchn_pending_sel, p / WORD_BITS))
		evtchn_mark_events_pending();
}

static bool l2_is_pending(const struct evtchn *chn)
{
	return chn->port < NR_2L_PORTS && test(pending_word(chn->port), chn->port % WORD_BITS);
}

static bool l2_is_masked(const struct evtchn *chn)
{
	return chn->port >= NR_2L_PORTS || test(mask_word(chn->port), chn->port % WORD_BITS);
}

/* No init, no busy ports, no priorities: set_priority is -ENOSYS. */
const struct evtchn_port_ops evtchn_port_ops_2l = {
	.set_pending = l2_set_pending,
	.clear_pending = l2_clear_pending,
	.unmask = l2_unmask,
	.is_pending = l2_is_pending,
	.is_masked = l2_is_masked,
};
