/*
 * The FIFO event ABI (Xen's design: "FIFO-based event channel ABI",
 * David Vrabel). Each port has a 32-bit event word in an array of pages
 * we give Xen (EVTCHNOP_expand_array); each vCPU a control block
 * (EVTCHNOP_init_control) with a ready bit and a queue head for each of
 * 16 priorities. Xen links a newly pending, unmasked event at the tail
 * of its priority's queue (LINKED, and LINK naming the next port), and
 * sets the ready bit when the queue was empty. We consume from the head,
 * clearing LINKED, and remember where we were in each queue, since Xen
 * only writes a head when it finds the queue empty.
 */
#include <xen/errno.h>

#include "arch/x86/hypercall.h"
#include "kernel/kernel.h"
#include "mm/frames.h"
#include "mm/p2m.h"
#include "xen/evtchn.h"

#define WORDS_PER_PAGE	(PAGE_SIZE / sizeof(event_word_t))
#define MAX_PAGES	(EVTCHN_FIFO_NR_CHANNELS / WORDS_PER_PAGE)

#define PENDING		(1U << EVTCHN_FIFO_PENDING)
#define MASKED		(1U << EVTCHN_FIFO_MASKED)
#define LINKED		(1U << EVTCHN_FIFO_LINKED)
#define BUSY		(1U << EVTCHN_FIFO_BUSY)

static struct evtchn_fifo_control_block *control;
static event_word_t *pages[MAX_PAGES];
static unsigned int nr_pages;
/* Where we are in each queue; 0: at its end, read Xen's head next time. */
static uint32_t head[EVTCHN_FIFO_MAX_QUEUES];

static event_word_t *word(evtchn_port_t port)
{
	if (port >= nr_pages * WORDS_PER_PAGE)
		return NULL;
	return &pages[port / WORDS_PER_PAGE][port % WORDS_PER_PAGE];
}

/* One more page of event words, every event on it masked, handed to Xen. */
static long add_page(void)
{
	struct evtchn_expand_array ea;
	unsigned long pfn;
	event_word_t *p;
	long rc;

	if (nr_pages == MAX_PAGES)
		return -XEN_ENOSPC;
	pfn = frame_alloc();
	if (pfn == FRAME_NONE)
		return -XEN_ENOMEM;
	p = pfn_to_virt(pfn);
	for (unsigned int i = 0; i < WORDS_PER_PAGE; i++)
		p[i] = MASKED;
	ea.array_gfn = pfn_to_mfn(pfn);		/* PV: a gfn is an mfn */
	rc = hypercall_event_channel_op(EVTCHNOP_expand_array, &ea);
	if (rc) {
		frame_free(pfn);
		return rc;
	}
	pages[nr_pages++] = p;
	return 0;
}

bool evtchn_fifo_start(void)
{
	unsigned long pfn = frame_alloc();
	struct evtchn_init_control ic = { .offset = 0, .vcpu = 0 };
	long rc;

	if (pfn == FRAME_NONE)
		return false;
	memset(pfn_to_virt(pfn), 0, PAGE_SIZE);
	ic.control_gfn = pfn_to_mfn(pfn);
	rc = hypercall_event_channel_op(EVTCHNOP_init_control, &ic);
	if (rc) {
		frame_free(pfn);
		return false;
	}
	control = pfn_to_virt(pfn);
	/*
	 * Xen is on FIFO from here on. Events until the first page arrives
	 * are kept by Xen and raised on the page (the toolstack's ports have
	 * some): they find their words masked, and wait there for a handler.
	 */
	if (add_page())
		panic("evtchn: FIFO accepted, but not the first event array page");
	return true;
}

static long fifo_setup(evtchn_port_t port)
{
	while (!word(port)) {
		long rc = add_page();

		if (rc)
			return rc;
	}
	return 0;
}

static void fifo_mask(evtchn_port_t port)
{
	event_word_t *w = word(port);

	if (w)
		__atomic_fetch_or(w, MASKED, __ATOMIC_SEQ_CST);
}

static bool fifo_is_masked(evtchn_port_t port)
{
	event_word_t *w = word(port);

	return !w || (READ_ONCE(*w) & MASKED);
}

static bool fifo_is_pending(evtchn_port_t port)
{
	event_word_t *w = word(port);

	return w && (READ_ONCE(*w) & PENDING);
}

static void fifo_clear_pending(evtchn_port_t port)
{
	event_word_t *w = word(port);

	if (w)
		__atomic_fetch_and(w, ~PENDING, __ATOMIC_SEQ_CST);
}

/*
 * Clear MASKED ourselves only if nothing is pending and Xen is not in the
 * middle of linking the word (BUSY): a pending event needs linking, which
 * only Xen does, so that case is EVTCHNOP_unmask (Linux's rule).
 */
static bool clear_masked_quietly(event_word_t *w)
{
	event_word_t old = READ_ONCE(*w);

	for (unsigned int tries = 0; tries < 16; tries++) {
		if (!(old & MASKED))
			return true;
		if (old & (PENDING | BUSY))
			return false;
		if (__atomic_compare_exchange_n(w, &old, old & ~MASKED, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return true;
	}
	return false;
}

static void fifo_unmask(evtchn_port_t port)
{
	event_word_t *w = word(port);
	struct evtchn_unmask u = { .port = port };

	if (w && !clear_masked_quietly(w))
		hypercall_event_channel_op(EVTCHNOP_unmask, &u);
}

/* Unlink the head event: LINKED and LINK cleared; returns the next port. */
static uint32_t clear_linked(event_word_t *w)
{
	event_word_t old = READ_ONCE(*w);

	while (!__atomic_compare_exchange_n(w, &old, old & ~(LINKED | EVTCHN_FIFO_LINK_MASK),
					    false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	return old & EVTCHN_FIFO_LINK_MASK;
}

static void consume_one(unsigned int q, uint32_t *ready, bool deliver)
{
	uint32_t port = head[q];
	event_word_t *w;

	/* At the end last time: Xen wrote a new head when it found the queue empty. */
	if (port == 0) {
		rmb();
		port = READ_ONCE(control->head[q]);
	}
	w = word(port);
	if (!w) {
		/* A head we never gave Xen a word for: nothing sane to follow. */
		*ready &= ~(1U << q);
		head[q] = 0;
		return;
	}
	head[q] = clear_linked(w);
	if (head[q] == 0)
		*ready &= ~(1U << q);
	if (deliver && (READ_ONCE(*w) & (PENDING | MASKED)) == PENDING)
		evtchn_dispatch(port);
}

/* Highest priority (lowest number) first; one event per step, then look again. */
static void walk(bool deliver)
{
	uint32_t ready = __atomic_exchange_n(&control->ready, 0, __ATOMIC_SEQ_CST);

	while (ready) {
		consume_one((unsigned int)__builtin_ctz(ready), &ready, deliver);
		ready |= __atomic_exchange_n(&control->ready, 0, __ATOMIC_SEQ_CST);
	}
}

static void fifo_handle_events(void)
{
	walk(true);
}

static void fifo_forget(evtchn_port_t keep)
{
	event_word_t *w = word(keep);

	if (w)
		__atomic_fetch_and(w, ~MASKED, __ATOMIC_SEQ_CST);
	/* Unlink everything queued; masked events stay pending in their words. */
	walk(false);
	WRITE_ONCE(shared_info->vcpu_info[0].evtchn_upcall_pending, 0);
}

unsigned long evtchn_fifo_page_pfn(unsigned int i)
{
	return i < nr_pages ? virt_to_pfn(pages[i]) : FRAME_NONE;
}

unsigned long evtchn_fifo_control_pfn(void)
{
	return control ? virt_to_pfn(control) : FRAME_NONE;
}

bool evtchn_fifo_queued(evtchn_port_t port, unsigned int prio)
{
	event_word_t *w = word(port);

	return control && w && prio < EVTCHN_FIFO_MAX_QUEUES &&
		(READ_ONCE(control->ready) & (1U << prio)) &&
		READ_ONCE(control->head[prio]) == port && (READ_ONCE(*w) & LINKED);
}

static void fifo_rescan(void)
{
	/* Our walk reads the ready word itself; it only has to be called. */
	WRITE_ONCE(shared_info->vcpu_info[0].evtchn_upcall_pending, 1);
}

const struct evtchn_ops evtchn_ops_fifo = {
	.name = "FIFO",
	.setup = fifo_setup,
	.mask = fifo_mask,
	.unmask = fifo_unmask,
	.is_masked = fifo_is_masked,
	.is_pending = fifo_is_pending,
	.clear_pending = fifo_clear_pending,
	.handle_events = fifo_handle_events,
	.forget = fifo_forget,
	.rescan = fifo_rescan,
};
