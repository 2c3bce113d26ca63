/*
 * The FIFO event ABI's registration paths, attacked (Xen: event_fifo.c).
 * init_control and expand_array take a frame number, an offset and a
 * vCPU from us; Xen checks each and takes a writable type reference on
 * the frame for as long as it is registered. A domain that stays 2-level
 * (evtchn=2l) gets the frame checks themselves; a FIFO domain (the
 * default) has its control block already, so every init_control is
 * refused before the frame is looked at, and its array pages are held.
 * Every answer is Xen 4.17's.
 */
#include <xen/errno.h>
#include <xen/event_channel.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/tests/hostile.h"
#include "mm/frames.h"
#include "mm/mmu.h"
#include "mm/p2m.h"
#include "xen/evtchn.h"

static long op(unsigned int cmd, void *arg)
{
	return hypercall_event_channel_op(cmd, arg);
}

/* init_control with these arguments; link_bits must come back only on success. */
static long init_control(uint64_t gfn, uint32_t offset, uint32_t vcpu, bool *untouched)
{
	struct evtchn_init_control ic = {
		.control_gfn = gfn, .offset = offset, .vcpu = vcpu, .link_bits = 0x5a,
	};
	long rc = op(EVTCHNOP_init_control, &ic);

	*untouched = ic.link_bits == 0x5a;
	return rc;
}

/* An L1 page table of ours (pinned, empty), for the type checks. */
static unsigned long pinned_l1(void)
{
	unsigned long pfn = ro_frame();

	if (pfn != FRAME_NONE && mmuext(MMUEXT_PIN_L1_TABLE, pfn_to_mfn(pfn))) {
		ro_frame_free(pfn);
		return FRAME_NONE;
	}
	return pfn;
}

static void unpin_l1(unsigned long pfn)
{
	if (pfn == FRAME_NONE)
		return;
	mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(pfn));
	ro_frame_free(pfn);
}

KTEST(hostile, fifo_init_control_refused)
{
	unsigned long l1 = pinned_l1();
	struct evtchn_expand_array ea = { .array_gfn = 0 };
	bool u[7], fifo = evtchn_uses_fifo();
	long rc[7], still;

	KT_ASSERT(l1 != FRAME_NONE, "no L1 table to offer");
	/* The vCPU first, the offset next: whatever the frame. */
	rc[0] = init_control(foreign_mfn(), 0, 1, &u[0]);
	rc[1] = init_control(foreign_mfn(), 0, 0xffffffffU, &u[1]);
	rc[2] = init_control(foreign_mfn(), PAGE_SIZE - sizeof(struct evtchn_fifo_control_block) + 8,
			     0, &u[2]);
	rc[3] = init_control(foreign_mfn(), 12, 0, &u[3]);
	/* Then the frame: another domain's, a page table, none at all. */
	rc[4] = init_control(foreign_mfn(), 0, 0, &u[4]);
	rc[5] = init_control(pfn_to_mfn(l1), 0, 0, &u[5]);
	rc[6] = init_control(~0UL >> 12, PAGE_SIZE - sizeof(struct evtchn_fifo_control_block),
			     0, &u[6]);
	still = op(EVTCHNOP_expand_array, &ea);
	unpin_l1(l1);
	KT_ASSERT_EQ(rc[0], -XEN_ENOENT, "init_control for vCPU 1");
	KT_ASSERT_EQ(rc[1], -XEN_ENOENT, "init_control for vCPU 2^32-1");
	KT_ASSERT_EQ(rc[2], -XEN_EINVAL, "a control block past the page end");
	KT_ASSERT_EQ(rc[3], -XEN_EINVAL, "a control block 4-byte aligned");
	KT_ASSERT_EQ(rc[4], -XEN_EINVAL, fifo ? "a second control block" : "another domain's frame");
	KT_ASSERT_EQ(rc[5], -XEN_EINVAL, fifo ? "a second control block" : "a frame in use as an L1");
	KT_ASSERT_EQ(rc[6], -XEN_EINVAL, fifo ? "a second control block" : "a frame that does not exist");
	for (unsigned int i = 0; i < 7; i++)
		KT_ASSERT(u[i], "link_bits written back by refused call %u", i);
	/* A 2-level domain is still 2-level; a FIFO one refuses frame 0 as an array page. */
	KT_ASSERT_EQ(still, fifo ? -XEN_EINVAL : -XEN_EOPNOTSUPP, "expand_array afterwards");
}

KTEST(hostile, fifo_expand_array_refused)
{
	unsigned long l1 = pinned_l1();
	static const char *const what[] = {
		"another domain's frame", "a frame in use as an L1", "a frame that does not exist",
	};
	uint64_t gfn[3];
	long rc[3];
	bool fifo = evtchn_uses_fifo();

	KT_ASSERT(l1 != FRAME_NONE, "no L1 table to offer");
	gfn[0] = foreign_mfn();
	gfn[1] = pfn_to_mfn(l1);
	gfn[2] = ~0UL >> 12;
	for (unsigned int i = 0; i < 3; i++) {
		struct evtchn_expand_array ea = { .array_gfn = gfn[i] };

		rc[i] = op(EVTCHNOP_expand_array, &ea);
	}
	unpin_l1(l1);
	for (unsigned int i = 0; i < 3; i++)
		KT_ASSERT(rc[i] == (fifo ? -XEN_EINVAL : -XEN_EOPNOTSUPP),
			  "expand_array with %s (%#lx): %ld", what[i], (unsigned long)gfn[i], rc[i]);
}

/*
 * While registered, an event array page is held writable by Xen: made
 * read-only in our direct map, with valid contents for an L1 (every
 * event word masked and unlinked: no present bit in any 64-bit pair),
 * it still cannot be pinned as one: -EINVAL, the type conflict. (A
 * 2-level domain has no such page; it offers one that never became one.)
 */
KTEST(hostile, fifo_array_page_cannot_be_retyped)
{
	unsigned long pfn = evtchn_fifo_page_pfn(0);
	long map, pin = 0, back;

	if (!evtchn_uses_fifo()) {
		KT_ASSERT_EQ(pfn, FRAME_NONE, "an event array page on a 2-level domain");
		return;
	}
	KT_ASSERT(pfn != FRAME_NONE, "no event array page");
	evtchn_quiet(0);		/* every queue drained: no LINK bits left */
	map = direct_map(pfn, false);
	if (!map) {
		pin = mmuext(MMUEXT_PIN_L1_TABLE, pfn_to_mfn(pfn));
		if (!pin)
			mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(pfn));
	}
	back = direct_map(pfn, true);
	evtchn_unquiet();
	KT_ASSERT_EQ(map, 0, "mapping the array page read-only");
	KT_ASSERT_EQ(back, 0, "mapping it writable again");
	KT_ASSERT_EQ(pin, -XEN_EINVAL, "pinning a registered event array page as an L1");
}

/*
 * set_priority: the port first (-EINVAL beyond the ports that exist),
 * then the ABI (-ENOSYS on 2-level), then the port's state (-EACCES when
 * closed), then the priority (-EINVAL past 15).
 */
KTEST(hostile, fifo_set_priority_refused)
{
	struct evtchn_bind_ipi ipi = { .vcpu = 0 };
	struct evtchn_close c;
	struct evtchn_set_priority sp;
	long beyond, closed, high, low, top;
	bool fifo = evtchn_uses_fifo();

	KT_ASSERT_EQ(op(EVTCHNOP_bind_ipi, &ipi), 0, "bind_ipi");
	sp = (struct evtchn_set_priority){ .port = 1U << 20, .priority = 1 };
	beyond = op(EVTCHNOP_set_priority, &sp);
	sp = (struct evtchn_set_priority){ .port = ipi.port, .priority = EVTCHN_FIFO_PRIORITY_MIN + 1 };
	low = op(EVTCHNOP_set_priority, &sp);
	sp.priority = 0xffffffffU;
	high = op(EVTCHNOP_set_priority, &sp);
	sp.priority = EVTCHN_FIFO_PRIORITY_MAX;
	top = op(EVTCHNOP_set_priority, &sp);
	c.port = ipi.port;
	op(EVTCHNOP_close, &c);
	sp = (struct evtchn_set_priority){ .port = ipi.port, .priority = 1 };
	closed = op(EVTCHNOP_set_priority, &sp);
	KT_ASSERT_EQ(beyond, -XEN_EINVAL, "set_priority on port 2^20");
	KT_ASSERT_EQ(low, fifo ? -XEN_EINVAL : -XEN_ENOSYS, "priority 16");
	KT_ASSERT_EQ(high, fifo ? -XEN_EINVAL : -XEN_ENOSYS, "priority 2^32-1");
	KT_ASSERT_EQ(top, fifo ? 0 : -XEN_ENOSYS, "priority 0 (the highest)");
	KT_ASSERT_EQ(closed, fifo ? -XEN_EACCES : -XEN_ENOSYS, "set_priority on a closed port");
}

/* Unmask: -EINVAL for a port that does not exist, nothing at all for a closed one. */
KTEST(hostile, evtchn_unmask_closed_and_absent)
{
	struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
	struct evtchn_unmask um = { .port = 1U << 20 };
	struct evtchn_close c;
	long absent, closed;

	absent = op(EVTCHNOP_unmask, &um);
	KT_ASSERT_EQ(op(EVTCHNOP_alloc_unbound, &au), 0, "alloc_unbound");
	evtchn_mask(au.port);
	c.port = au.port;
	op(EVTCHNOP_close, &c);
	um.port = au.port;
	closed = op(EVTCHNOP_unmask, &um);
	KT_ASSERT_EQ(absent, -XEN_EINVAL, "unmask of port 2^20");
	KT_ASSERT_EQ(closed, 0, "unmask of a closed port");
	/* Xen leaves a port that is not in use alone: still masked. */
	KT_ASSERT(evtchn_is_masked(au.port), "the closed port came out of unmask unmasked");
}

/*
 * The queue heads are ours to scribble on: Xen never follows them. With
 * a head full of garbage and its queue empty, the next event becomes the
 * head (Xen writes it) and the queue's ready bit comes on, exactly as on
 * a clean queue.
 */
KTEST(hostile, fifo_garbage_head_overwritten)
{
	struct evtchn_bind_ipi ipi = { .vcpu = 0 };
	volatile struct evtchn_fifo_control_block *cb;
	bool queued = false;
	uint32_t head = 0;

	if (!evtchn_uses_fifo()) {
		KT_ASSERT_EQ(evtchn_fifo_control_pfn(), FRAME_NONE, "a control block on 2-level");
		return;
	}
	cb = pfn_to_virt(evtchn_fifo_control_pfn());
	KT_ASSERT_EQ(op(EVTCHNOP_bind_ipi, &ipi), 0, "bind_ipi");
	evtchn_quiet(ipi.port);
	evtchn_clear_pending(ipi.port);
	cb->head[EVTCHN_FIFO_PRIORITY_DEFAULT] = 0x1dead;
	evtchn_notify(ipi.port);
	head = cb->head[EVTCHN_FIFO_PRIORITY_DEFAULT];
	queued = evtchn_fifo_queued(ipi.port, EVTCHN_FIFO_PRIORITY_DEFAULT);
	evtchn_clear_pending(ipi.port);
	evtchn_unquiet();
	evtchn_close(ipi.port);
	KT_ASSERT_EQ(head, ipi.port, "the queue's head after the event");
	KT_ASSERT(queued, "port %u not queued and ready", ipi.port);
}
