/*
 * XENMEM_increase_reservation, XENMEM_decrease_reservation and
 * XENMEM_populate_physmap for a PV domain (Xen: common/memory.c), through
 * the page-type system: a frame given back loses its allocation reference
 * and leaves the domain once nothing else holds it (mm_remove_page); a
 * frame handed out is one of guest RAM's that the domain does not own,
 * up to its maximum reservation. Xen's checks and order: a bad list, an
 * order above the domain's limit, a size that cannot be continued or a
 * refused NUMA request does nothing and returns where the call started;
 * otherwise the extents done, with a continuation (the cmd's extent start)
 * when preempted between extents. Nothing is scrubbed: Xen does not scrub
 * what a live domain gives back either.
 */
#include "host/pv/pv.h"

#define MEMOP_EXTENT_SHIFT	6
#define MAX_NUMNODES		64	/* Xen's CONFIG_NR_NUMA_NODES default */
#define NUMA_NO_NODE		0xff

struct memop {
	uint64_t list;			/* guest VA of the extent list, or 0 */
	unsigned int nr_extents, order;
	unsigned int nr_done;
	unsigned int max_mfn;		/* MEMF_bits: allocate below this (0: anywhere) */
	bool exact_node_elsewhere;	/* an exact request for a node with no memory */
	bool pod;			/* XENMEMF_populate_on_demand */
	bool preempted;
};

/*
 * Xen's max_order(): CONFIG_DOMU_MAX_ORDER (9); the initial domain is also
 * the control domain, CONFIG_CTLDOM_MAX_ORDER (x86's PAGEALLOC_MAX_ORDER, 18).
 */
unsigned int memop_max_order(void)
{
	return dom.is_dom0 ? 18 : 9;
}

/*
 * Xen's max_pages: xl gives a domU its memory plus LIBXL_MAXMEM_CONSTANT
 * (1 MiB); the initial domain gets dom0_mem=N,max:N as the xen-dom0
 * platform boots it, no more than it has.
 */
unsigned long memop_max_pages(void)
{
	return dom.is_dom0 ? dom.nr_pages : dom.nr_pages + BALLOON_FRAMES;
}

/* guest_handle_subrange_okay(list, first, last), as a byte range. */
static bool subrange_ok(uint64_t list, unsigned int first, unsigned int last)
{
	if (last < first)
		return true;	/* an empty range (Xen computes it the same way) */
	return guest_va_ok(list + (uint64_t)first * sizeof(xen_pfn_t),
			   ((uint64_t)last - first + 1) * sizeof(xen_pfn_t));
}

static unsigned int order_from_pages(uint64_t n)
{
	unsigned int o = 0;

	while ((1ull << o) < n)
		o++;
	return o;
}

/*
 * Xen's construct_memop_from_reservation with propagate_node (XSA-231):
 * false where Xen refuses the request outright. A domU's node requests are
 * ignored unless exact (refused); the control domain may name any node
 * below MAX_NUMNODES, and parahost has memory on node 0 only.
 */
static bool construct(const struct xen_memory_reservation *r, struct memop *a)
{
	unsigned int bits = XENMEMF_get_address_bits(r->mem_flags);
	unsigned int node = XENMEMF_get_node(r->mem_flags);

	*a = (struct memop){
		.list = (uint64_t)(uintptr_t)r->extent_start.p,
		.nr_extents = r->nr_extents,
		.order = r->extent_order,
	};
	if (bits && bits < order_from_pages(dom.max_mfn) + PAGE_SHIFT) {
		if (bits <= PAGE_SHIFT)
			return false;
		a->max_mfn = 1u << (bits - PAGE_SHIFT);
	}
	if (r->mem_flags & XENMEMF_vnode)
		return true;	/* no virtual NUMA for this domain: nothing to map */
	if (node == NUMA_NO_NODE)
		return true;
	if (dom.is_dom0) {
		if (node >= MAX_NUMNODES)
			return false;
		a->exact_node_elsewhere = (r->mem_flags & XENMEMF_exact_node_request) && node;
		return true;
	}
	return !(r->mem_flags & XENMEMF_exact_node_request);
}

/*
 * Xen's alloc_domheap_pages for the domain: an aligned run of 2^order RAM
 * frames nobody owns, within the maximum reservation (assign_pages). The
 * frames become the domain's, each with its allocation reference. 0 if
 * there is none.
 */
static bool run_free(uint64_t mfn, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (mm_page(&dom.mm, mfn + i)->count)
			return false;
	return true;
}

static uint64_t alloc_extent(const struct memop *a)
{
	uint64_t n = 1ull << a->order, end = GUEST_MFN_BASE + dom.nr_frames, start, off;
	static uint64_t cursor;		/* where the last search stopped: round-robin */

	if (a->exact_node_elsewhere || mm_tot_pages(&dom.mm) + n > memop_max_pages())
		return 0;
	if (a->max_mfn && a->max_mfn < end)
		end = a->max_mfn;
	if (end <= GUEST_MFN_BASE)
		return 0;
	start = (cursor % (end - GUEST_MFN_BASE)) & ~(n - 1);
	for (unsigned int pass = 0; pass < 2; pass++) {
		for (off = pass ? 0 : start; GUEST_MFN_BASE + off + n <= end; off += n) {
			uint64_t mfn = GUEST_MFN_BASE + off;

			if (pass && off >= start)
				break;
			if (!run_free(mfn, n))
				continue;
			for (uint64_t i = 0; i < n; i++)
				if (mm_assign(&dom.mm, mfn + i))
					panic("frame %#lx: mm_assign", (unsigned long)(mfn + i));
			cursor = off + n;
			return mfn;
		}
	}
	return 0;
}

static void increase_reservation(struct memop *a)
{
	unsigned int i;

	if ((a->list && !subrange_ok(a->list, a->nr_done, a->nr_extents - 1)) ||
	    a->order > memop_max_order())
		return;
	for (i = a->nr_done; i < a->nr_extents; i++) {
		xen_pfn_t mfn;

		if (i != a->nr_done && hypercall_preempt_check()) {
			a->preempted = true;
			break;
		}
		mfn = alloc_extent(a);
		if (!mfn)
			break;
		if (a->list && copy_to_guest(a->list + (uint64_t)i * sizeof(mfn), &mfn, sizeof(mfn)))
			break;
	}
	a->nr_done = i;
}

static void decrease_reservation(struct memop *a)
{
	unsigned int i;

	if (!subrange_ok(a->list, a->nr_done, a->nr_extents - 1) || a->order > memop_max_order())
		return;
	for (i = a->nr_done; i < a->nr_extents; i++) {
		xen_pfn_t gmfn;
		uint64_t j;

		if (i != a->nr_done && hypercall_preempt_check()) {
			a->preempted = true;
			break;
		}
		if (copy_from_guest(&gmfn, a->list + (uint64_t)i * sizeof(gmfn), sizeof(gmfn)))
			break;
		/* Xen's guest_remove_page: a PV gmfn is the mfn; -EINVAL past RAM. */
		for (j = 0; j < (1ull << a->order); j++)
			if (gmfn + j >= dom.max_mfn || mm_remove_page(&dom.mm, gmfn + j))
				break;
		if (j < (1ull << a->order))
			break;
	}
	a->nr_done = i;
}

static void populate_physmap(struct memop *a)
{
	unsigned int i;

	if (!subrange_ok(a->list, a->nr_done, a->nr_extents - 1) ||
	    a->order > (a->pod ? 20 : memop_max_order()))	/* PoD: Xen's MAX_ORDER */
		return;
	for (i = a->nr_done; i < a->nr_extents; i++) {
		xen_pfn_t gpfn, mfn;

		if (i != a->nr_done && hypercall_preempt_check()) {
			a->preempted = true;
			break;
		}
		if (copy_from_guest(&gpfn, a->list + (uint64_t)i * sizeof(gpfn), sizeof(gpfn)))
			break;
		if (a->pod)
			break;		/* "Disallow populating PoD pages on oneself" */
		mfn = alloc_extent(a);
		if (!mfn)
			break;
		/* guest_physmap_add_page for PV: the M2P says where the guest put it. */
		for (uint64_t j = 0; j < (1ull << a->order); j++)
			m2p_set(mfn + j, gpfn + j);
		if (copy_to_guest(a->list + (uint64_t)i * sizeof(mfn), &mfn, sizeof(mfn)))
			break;
	}
	a->nr_done = i;
}

long do_reservation_op(unsigned int op, unsigned long start_extent, uint64_t arg)
{
	struct xen_memory_reservation r;
	struct memop a;

	if (copy_from_guest(&r, arg, sizeof(r)))
		return (long)start_extent;
	/* Too large to encode a continuation, or nothing left to do. */
	if (r.nr_extents > (~0u >> MEMOP_EXTENT_SHIFT) || start_extent >= r.nr_extents)
		return (long)start_extent;
	/* Ourselves; domain 0 exists for a domU, but XSM lets it adjust only itself. */
	if ((r.domid != DOMID_SELF && r.domid != dom.domid) || !construct(&r, &a))
		return (long)start_extent;
	a.nr_done = (unsigned int)start_extent;
	a.pod = op == XENMEM_populate_physmap && (r.mem_flags & XENMEMF_populate_on_demand);
	if (op == XENMEM_increase_reservation)
		increase_reservation(&a);
	else if (op == XENMEM_decrease_reservation)
		decrease_reservation(&a);
	else
		populate_physmap(&a);
	if (a.preempted)
		return hypercall_create_continuation(__HYPERVISOR_memory_op, 2,
						     (uint64_t)op | ((uint64_t)a.nr_done << MEMOP_EXTENT_SHIFT),
						     arg);
	return a.nr_done;
}
