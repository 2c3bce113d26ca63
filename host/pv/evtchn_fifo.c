/*
 * The FIFO event ABI (Xen: common/event_fifo.c). The guest gives us a
 * control block (ready bits and 16 queue heads) and pages of 32-bit
 * event words; we hold a writable type reference on each frame for as
 * long as it is registered (Xen's map_guest_page), so the guest can never
 * turn one into a page table under us. Every word and head is guest
 * memory: we only ever read bits of words we index ourselves (a port we
 * know, below num_evtchns), never follow a LINK the guest wrote, and
 * write only the bits the ABI gives Xen.
 *
 * One vcpu, which is not running while we are: no queue locks, and the
 * compare-and-swap that Xen needs against a running guest stays, cheap.
 */
#include "host/pv/evtchn.h"

#define WORDS_PER_PAGE	(PAGE_SIZE / sizeof(event_word_t))
#define MAX_PAGES	(EVTCHN_FIFO_NR_CHANNELS / WORDS_PER_PAGE)

#define PENDING		(1U << EVTCHN_FIFO_PENDING)
#define MASKED		(1U << EVTCHN_FIFO_MASKED)
#define LINKED		(1U << EVTCHN_FIFO_LINKED)
#define BUSY		(1U << EVTCHN_FIFO_BUSY)

struct evtchn_fifo {
	struct evtchn_fifo_control_block *control;	/* NULL until init_control */
	uint64_t control_mfn;
	event_word_t *pages[MAX_PAGES];
	uint64_t page_mfn[MAX_PAGES];
	unsigned int num_evtchns;			/* ports with an event word */
	evtchn_port_t tail[EVTCHN_FIFO_MAX_QUEUES];	/* 0: the queue is empty */
};

static struct evtchn_fifo fifo;	/* the one domain's */

static event_word_t *word(evtchn_port_t port)
{
	if (!dom.evtchn_fifo || port >= fifo.num_evtchns)
		return NULL;
	return &fifo.pages[port / WORDS_PER_PAGE][port % WORDS_PER_PAGE];
}

static bool test_and_set(event_word_t *w, event_word_t bit)
{
	return __atomic_fetch_or(w, bit, __ATOMIC_SEQ_CST) & bit;
}

static bool test(const event_word_t *w, event_word_t bit)
{
	return __atomic_load_n(w, __ATOMIC_SEQ_CST) & bit;
}

static void fifo_init(struct evtchn *chn)
{
	chn->priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
}

/*
 * Xen's evtchn_fifo_set_link: point the tail's LINK at port, but only
 * while the tail is still LINKED (the guest may have consumed it: then
 * the queue is empty and port becomes the head). BUSY keeps a guest from
 * unmasking the word while we change it.
 */
static bool set_link(event_word_t *w, evtchn_port_t link)
{
	event_word_t old = __atomic_load_n(w, __ATOMIC_SEQ_CST);

	for (unsigned int tries = 0; tries < 4; tries++) {
		if (!(old & LINKED))
			return false;
		if (__atomic_compare_exchange_n(w, &old,
						(old & ~(BUSY | EVTCHN_FIFO_LINK_MASK)) | link,
						false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return true;
	}
	/* The guest keeps changing it: Xen gives up and counts it linked. */
	__atomic_fetch_and(w, ~BUSY, __ATOMIC_SEQ_CST);
	return true;
}

static void fifo_set_pending(struct evtchn *chn)
{
	event_word_t *w = word(chn->port);
	unsigned int q = chn->priority, old_q = chn->last_priority;
	bool linked = true;

	if (!w) {
		/* No word yet: kept here, raised when the page arrives. */
		chn->pending = true;
		return;
	}
	test_and_set(w, PENDING);
	/* No control block: the guest must not have unmasked anything yet. */
	if (!fifo.control)
		return;
	if (!test(w, MASKED) && !test_and_set(w, LINKED)) {
		/* The event was its old queue's tail: that queue is empty now. */
		if (fifo.tail[old_q] == chn->port)
			fifo.tail[old_q] = 0;
		chn->last_priority = (uint8_t)q;
		linked = false;
		if (fifo.tail[q])
			linked = set_link(word(fifo.tail[q]), chn->port);
		if (!linked)
			__atomic_store_n(&fifo.control->head[q], chn->port, __ATOMIC_SEQ_CST);
		fifo.tail[q] = chn->port;
	}
	/* A queue that was empty: its ready bit, and the upcall if that is new. */
	if (!linked && !(__atomic_fetch_or(&fifo.control->ready, 1U << q, __ATOMIC_SEQ_CST) &
			 (1U << q)))
		evtchn_mark_events_pending();
}

/* Just the pending bit: the guest unlinks and skips events no longer pending. */
static void fifo_clear_pending(struct evtchn *chn)
{
	event_word_t *w = word(chn->port);

	if (w)
		__atomic_fetch_and(w, ~PENDING, __ATOMIC_SEQ_CST);
}

static void fifo_unmask(struct evtchn *chn)
{
	event_word_t *w = word(chn->port);

	if (!w)
		return;
	__atomic_fetch_and(w, ~MASKED, __ATOMIC_SEQ_CST);
	if (test(w, PENDING))
		fifo_set_pending(chn);
}

static bool fifo_is_pending(const struct evtchn *chn)
{
	event_word_t *w = word(chn->port);

	return w && test(w, PENDING);
}

static bool fifo_is_masked(const struct evtchn *chn)
{
	event_word_t *w = word(chn->port);

	return !w || test(w, MASKED);
}

/* Still on a queue: the port cannot be handed out again until consumed. */
static bool fifo_is_busy(const struct evtchn *chn)
{
	event_word_t *w = word(chn->port);

	return w && test(w, LINKED);
}

/* For future events only: one already queued stays where it is. */
static long fifo_set_priority(struct evtchn *chn, unsigned int priority)
{
	if (priority > EVTCHN_FIFO_PRIORITY_MIN)
		return -EINVAL;
	chn->priority = (uint8_t)priority;
	return 0;
}

const struct evtchn_port_ops evtchn_port_ops_fifo = {
	.init = fifo_init,
	.set_pending = fifo_set_pending,
	.clear_pending = fifo_clear_pending,
	.unmask = fifo_unmask,
	.is_pending = fifo_is_pending,
	.is_masked = fifo_is_masked,
	.is_busy = fifo_is_busy,
	.set_priority = fifo_set_priority,
};

/* ---- registration --------------------------------------------------------- */

/*
 * Xen's map_guest_page: a frame the domain owns, taken with a writable
 * type reference (refused for a page table or descriptor page, for
 * another domain's frame, for Xen's own). PV: the gfn is the mfn.
 */
static void *map_guest_page(uint64_t gfn)
{
	return gframe_get(&dom, gfn, GF_WRITABLE);
}

/* For audit.c: the writable references we hold on the guest's FIFO frames. */
unsigned int evtchn_fifo_held(struct mm_held *out, unsigned int max)
{
	unsigned int n = 0;

	if (fifo.control && n < max)
		out[n++] = (struct mm_held){ fifo.control_mfn, MM_T_WRITABLE };
	for (unsigned int i = 0; i < fifo.num_evtchns / WORDS_PER_PAGE && n < max; i++)
		out[n++] = (struct mm_held){ fifo.page_mfn[i], MM_T_WRITABLE };
	return n;
}

void evtchn_fifo_destroy(void)
{
	if (fifo.control)
		gframe_put(&dom, fifo.control_mfn, GF_WRITABLE);
	for (unsigned int i = 0; i < fifo.num_evtchns / WORDS_PER_PAGE; i++)
		gframe_put(&dom, fifo.page_mfn[i], GF_WRITABLE);
	memset(&fifo, 0, sizeof(fifo));
	dom.evtchn_fifo = NULL;
}

long evtchn_fifo_init_control(struct evtchn_init_control *ic)
{
	unsigned int prev;
	uint8_t *page;

	ic->link_bits = EVTCHN_FIFO_LINK_BITS;
	if (ic->vcpu != 0)
		return -ENOENT;		/* one vcpu */
	/* Within the page, 8-byte aligned. */
	if (ic->offset > PAGE_SIZE - sizeof(struct evtchn_fifo_control_block) ||
	    (ic->offset & 7))
		return -EINVAL;
	/* vcpu 0 has its block already (and a failed call leaves none: XSA-188). */
	if (fifo.control)
		return -EINVAL;
	page = map_guest_page(ic->control_gfn);
	if (!page) {
		evtchn_fifo_destroy();
		return -EINVAL;
	}
	fifo.control = (struct evtchn_fifo_control_block *)(page + ic->offset);
	fifo.control_mfn = ic->control_gfn;

	/*
	 * From 2-level to FIFO: the ports' events so far are kept (raised when
	 * their page arrives), every port starts at the default priority.
	 */
	prev = NR_2L_PORTS;
	dom.evtchn_fifo = &fifo;
	dom.evtchn_ops = &evtchn_port_ops_fifo;
	for (evtchn_port_t p = 1; p < prev; p++) {
		struct evtchn *chn = evtchn_from_port(p);

		if (!chn)
			break;
		if (dom.shared_info->evtchn_pending[p / 64] & (1UL << (p % 64)))
			chn->pending = true;
		chn->priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
		chn->last_priority = EVTCHN_FIFO_PRIORITY_DEFAULT;
	}
	return 0;
}

long evtchn_fifo_expand_array(const struct evtchn_expand_array *ea)
{
	unsigned int slot;
	evtchn_port_t first;
	void *page;

	if (!dom.evtchn_fifo)
		return -EOPNOTSUPP;	/* XSA-107: never touch what was not set up */
	slot = fifo.num_evtchns / WORDS_PER_PAGE;
	if (slot >= MAX_PAGES)
		return -ENOSPC;
	page = map_guest_page(ea->array_gfn);
	if (!page)
		return -EINVAL;
	fifo.pages[slot] = page;
	fifo.page_mfn[slot] = ea->array_gfn;
	first = fifo.num_evtchns;
	fifo.num_evtchns += WORDS_PER_PAGE;
	/* Events that came while these ports had no word. */
	for (evtchn_port_t p = first; p < fifo.num_evtchns; p++) {
		struct evtchn *chn = evtchn_from_port(p);

		if (!chn)
			break;
		if (chn->pending)
			fifo_set_pending(chn);
	}
	return 0;
}
