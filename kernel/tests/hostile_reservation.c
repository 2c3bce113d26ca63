/*
 * The balloon's hypercalls as a hostile guest uses them: reservation ops
 * with lists in Xen's range, sizes too large to continue, extent starts
 * past the end, other domains, impossible address widths and orders,
 * frames not ours; the reservation counted as frames come and go, up to
 * the maximum; a continuation's extent start; and a pinned frame given
 * back, which lives on until it is unpinned (XSA-252). Each asserts Xen
 * 4.17's answer. Frames are taken with increase_reservation and given back
 * the same way, so the guest's own memory is left as it was.
 */
#include <xen/errno.h>
#include <xen/memory.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/tests/ptframe.h"
#include "mm/mmu.h"
#include "mm/vmap.h"
#include "xen/start_info.h"

static long resv(unsigned long cmd, xen_pfn_t *list, unsigned int nr, unsigned int order,
		 unsigned int flags, domid_t dom)
{
	struct xen_memory_reservation r = {
		.nr_extents = nr, .extent_order = order, .mem_flags = flags, .domid = dom,
	};

	set_xen_guest_handle(r.extent_start, list);
	return _hypercall2(__HYPERVISOR_memory_op, cmd, &r);
}

static long reservation_query(unsigned int cmd)
{
	domid_t d = DOMID_SELF;

	return hypercall_memory_op(cmd, &d);
}

/* Is mfn ours? MMU_MACHPHYS_UPDATE needs the frame to be (0), else -EINVAL. */
static long owned(xen_pfn_t mfn)
{
	mmu_update_t m = { ((uint64_t)mfn << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE, ~0ul };

	return hypercall_mmu_update(&m, 1, NULL, DOMID_SELF);
}

#define DEC	XENMEM_decrease_reservation
#define INC	XENMEM_increase_reservation
#define POP	XENMEM_populate_physmap

/* Everything Xen refuses outright returns where the call started, having done nothing. */
KTEST(hostile, reservation_refused)
{
	xen_pfn_t not_ours = foreign_mfn(), beyond = 1ul << 40, list[2];
	xen_pfn_t *xen_range = (xen_pfn_t *)HYPERVISOR_VIRT_START;
	bool dom0 = is_initial_domain();
	domid_t d = DOMID_SELF;
	struct xen_memory_exchange x = { 0 };
	long cur = reservation_query(XENMEM_current_reservation);
	struct {
		const char *what;
		unsigned long cmd;
		xen_pfn_t *list;
		unsigned int nr, order, flags;
		domid_t dom;
		long expect;
	} c[] = {
		{ "decrease, list in Xen's range", DEC, xen_range, 1, 0, 0, DOMID_SELF, 0 },
		{ "increase, list in Xen's range", INC, xen_range, 1, 0, 0, DOMID_SELF, 0 },
		{ "populate, list in Xen's range", POP, xen_range, 1, 0, 0, DOMID_SELF, 0 },
		{ "more extents than a continuation can encode", DEC, list,
		  (~0u >> 6) + 1, 0, 0, DOMID_SELF, 0 },
		{ "an extent start past the end", DEC | (5ul << 6), list, 2, 0, 0, DOMID_SELF, 5 },
		{ "a domain that does not exist", DEC, list, 1, 0, 0, 0x7000, 0 },
		{ "domain 0 (another domain, or us by number)", DEC, list, 1, 0, 0, 0, 0 },
		{ "address bits 12", INC, NULL, 1, 0, XENMEMF_address_bits(12), DOMID_SELF, 0 },
		{ "order 10", DEC, list, 1, 10, 0, DOMID_SELF, 0 },
		{ "order 31", DEC, list, 1, 31, 0, DOMID_SELF, 0 },
		{ "a frame not ours", DEC, list, 1, 0, 0, DOMID_SELF, 0 },
		{ "a frame beyond RAM", DEC, list + 1, 1, 0, 0, DOMID_SELF, 0 },
		{ "an exact node that has no memory", POP, list, 1, 0, XENMEMF_exact_node(5),
		  DOMID_SELF, 0 },
	};
	long got[ARRAY_SIZE(c)], start_cr, start_mrp, start_ex, node200, back = 1;
	long vnode, vnode_back = 1;
	bool room;

	list[0] = not_ours;
	list[1] = beyond;
	for (unsigned int i = 0; i < ARRAY_SIZE(c); i++) {
		got[i] = resv(c[i].cmd, c[i].list, c[i].nr, c[i].order, c[i].flags, c[i].dom);
		list[0] = not_ours;
		list[1] = beyond;
	}
	start_cr = hypercall_memory_op(XENMEM_current_reservation | (1u << 6), &d);
	start_mrp = hypercall_memory_op(XENMEM_maximum_ram_page | (1u << 6), NULL);
	start_ex = hypercall_memory_op(XENMEM_exchange | (1u << 6), &x);
	/*
	 * A node past MAX_NUMNODES: the control domain's request is refused; a
	 * domU's inexact one is no request at all, and it gets a frame (given
	 * back at once; the list holds its mfn then).
	 */
	node200 = resv(POP, list, 1, 0, XENMEMF_node(200), DOMID_SELF);
	if (node200 == 1)
		back = resv(DEC, list, 1, 0, 0, DOMID_SELF);
	/*
	 * A virtual node, which this domain has none of (no vNUMA from xl):
	 * Xen has nothing to map it to and allocates anywhere. Only where
	 * there is room to allocate at all (not dom0 at its max:).
	 */
	room = reservation_query(XENMEM_maximum_reservation) > cur;
	vnode = resv(POP, list, 1, 0, XENMEMF_vnode | XENMEMF_node(5), DOMID_SELF);
	if (vnode == 1)
		vnode_back = resv(DEC, list, 1, 0, 0, DOMID_SELF);
	for (unsigned int i = 0; i < ARRAY_SIZE(c); i++)
		KT_ASSERT(got[i] == c[i].expect, "%s: %ld, expected %ld", c[i].what, got[i],
			  c[i].expect);
	KT_ASSERT_EQ(start_cr, -XEN_EINVAL, "current_reservation with an extent start");
	KT_ASSERT_EQ(start_mrp, -XEN_EINVAL, "maximum_ram_page with an extent start");
	KT_ASSERT_EQ(start_ex, -XEN_EINVAL, "exchange with an extent start");
	KT_ASSERT_EQ(node200, dom0 || !room ? 0 : 1, "populate on node 200, not exact");
	KT_ASSERT_EQ(back, 1, "giving that frame back");
	KT_ASSERT_EQ(vnode, room ? 1 : 0, "populate on virtual node 5");
	KT_ASSERT_EQ(vnode_back, 1, "giving that frame back");
	KT_ASSERT_EQ(reservation_query(XENMEM_current_reservation), cur,
		     "the reservation at the end");
}

static xen_pfn_t many[520];

/*
 * The reservation as frames come and go: a frame taken is ours and
 * counted, given back it is neither; no more than the maximum can be
 * taken. Limited to 512 extents at a time here.
 */
KTEST(hostile, reservation_counted)
{
	long cur = reservation_query(XENMEM_current_reservation);
	long max = reservation_query(XENMEM_maximum_reservation);
	long one, cur1, own1 = -1, back = -1, cur2, own2 = 0, fill, fill_back = -1, cur3;
	unsigned long room, ask;
	xen_pfn_t m = 0;

	KT_ASSERT(cur > 0 && max >= cur, "reservation %ld of %ld", cur, max);
	room = (unsigned long)(max - cur);
	one = resv(INC, &m, 1, 0, 0, DOMID_SELF);
	cur1 = reservation_query(XENMEM_current_reservation);
	if (one == 1) {
		own1 = owned(m);
		back = resv(DEC, &m, 1, 0, 0, DOMID_SELF);
	}
	cur2 = reservation_query(XENMEM_current_reservation);
	if (one == 1)
		own2 = owned(m);
	ask = room + 1 < 513 ? room + 1 : 513;
	fill = resv(INC, many, (unsigned int)ask, 0, 0, DOMID_SELF);
	cur3 = reservation_query(XENMEM_current_reservation);
	if (fill > 0)
		fill_back = resv(DEC, many, (unsigned int)fill, 0, 0, DOMID_SELF);
	KT_ASSERT_EQ(one, room ? 1 : 0, "increase by one frame");
	KT_ASSERT_EQ(cur1, cur + one, "the reservation with it");
	if (one == 1) {
		KT_ASSERT_EQ(own1, 0, "the new frame is ours");
		KT_ASSERT_EQ(back, 1, "decrease by that frame");
		KT_ASSERT_EQ(own2, -XEN_EINVAL, "the frame given back is not ours");
	}
	KT_ASSERT_EQ(cur2, cur, "the reservation after giving it back");
	KT_ASSERT_EQ(fill, room < ask ? room : ask, "increase up to the maximum");
	KT_ASSERT_EQ(cur3, cur + fill, "the reservation at the maximum");
	if (fill > 0)
		KT_ASSERT_EQ(fill_back, fill, "giving them all back");
	KT_ASSERT_EQ(reservation_query(XENMEM_current_reservation), cur, "the reservation at the end");
}

/*
 * A continuation's extent start (the cmd's bits above 6): the call picks
 * up at that extent and returns the total; the extents before it are not
 * looked at again.
 */
KTEST(hostile, reservation_extent_start)
{
	long cur = reservation_query(XENMEM_current_reservation);
	xen_pfn_t list[2] = { foreign_mfn(), 0 };
	long got = -1, took, own = 0;

	took = resv(INC, list + 1, 1, 0, 0, DOMID_SELF);
	if (took == 1) {
		got = resv(DEC | (1ul << 6), list, 2, 0, 0, DOMID_SELF);
		own = owned(list[1]);
		if (own == 0)
			resv(DEC, list + 1, 1, 0, 0, DOMID_SELF);
	}
	if (reservation_query(XENMEM_maximum_reservation) == cur) {
		KT_ASSERT_EQ(took, 0, "no room to take a frame");
		return;
	}
	KT_ASSERT_EQ(took, 1, "taking a frame");
	KT_ASSERT_EQ(got, 2, "decrease from extent 1 of 2");
	KT_ASSERT_EQ(own, -XEN_EINVAL, "extent 1's frame given back");
	KT_ASSERT_EQ(reservation_query(XENMEM_current_reservation), cur, "the reservation");
}

/*
 * A pinned frame given back: Xen no longer unpins it (XSA-252). It stays
 * ours and pinned, typed, until the unpin drops the last reference.
 */
KTEST(hostile, reservation_pinned_frame)
{
	long cur = reservation_query(XENMEM_current_reservation);
	unsigned long va = vmap_alloc(1);
	xen_pfn_t m = 0;
	long took, zero = -1, pin = -1, back = -1, own = -1, unpin = -1, unpin2 = -1, own2 = 0;

	KT_ASSERT(va && vmap_slot(va), "setup");
	took = resv(INC, &m, 1, 0, 0, DOMID_SELF);
	if (took == 1) {
		/* Xen hands out what the last owner left: clear it to pin it. */
		zero = hypercall_update_va_mapping(va, ((uint64_t)m << PAGE_SHIFT) | PTE_KERNEL_RW,
						   UVMF_INVLPG | UVMF_LOCAL);
		if (zero == 0) {
			memset((void *)va, 0, PAGE_SIZE);
			hypercall_update_va_mapping(va, 0, UVMF_INVLPG | UVMF_LOCAL);
			pin = mmuext(MMUEXT_PIN_L1_TABLE, m);
		}
		back = resv(DEC, &m, 1, 0, 0, DOMID_SELF);
		own = owned(m);
		if (pin == 0)
			unpin = mmuext(MMUEXT_UNPIN_TABLE, m);
		unpin2 = mmuext(MMUEXT_UNPIN_TABLE, m);
		own2 = owned(m);
		if (own2 == 0)
			resv(DEC, &m, 1, 0, 0, DOMID_SELF);
	}
	vmap_free(va, 1);
	if (reservation_query(XENMEM_maximum_reservation) == cur) {
		KT_ASSERT_EQ(took, 0, "no room to take a frame");
		return;
	}
	KT_ASSERT_EQ(took, 1, "taking a frame");
	KT_ASSERT_EQ(zero, 0, "mapping it to clear it");
	KT_ASSERT_EQ(pin, 0, "pinning it as an L1");
	KT_ASSERT_EQ(back, 1, "giving the pinned frame back");
	KT_ASSERT_EQ(own, 0, "still ours while pinned");
	KT_ASSERT_EQ(unpin, 0, "unpinning it");
	KT_ASSERT_EQ(unpin2, -XEN_EINVAL, "unpinning it again: gone");
	KT_ASSERT_EQ(own2, -XEN_EINVAL, "ours after the unpin");
	KT_ASSERT_EQ(reservation_query(XENMEM_current_reservation), cur, "the reservation");
}
