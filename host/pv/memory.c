/*
 * HYPERVISOR_memory_op: the queries a PV guest makes about its memory and
 * the machine (Xen: common/memory.c, arch/x86/mm.c arch_memory_op).
 */
#include "host/pv/pv.h"
#include "lib/barrier.h"

/* The BIOS e820 entry layout XENMEM_memory_map returns (packed, 20 bytes). */
struct e820entry {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));
#define E820_RAM	1

/* The command is the low bits of cmd; the rest is the continuation start. */
#ifndef MEMOP_CMD_MASK
#define MEMOP_EXTENT_SHIFT	6
#define MEMOP_CMD_MASK		((1UL << MEMOP_EXTENT_SHIFT) - 1)
#endif

/* The domains there are: us, and dom0 (the toolstack's, played by parahost). */
static bool domain_exists(domid_t d)
{
	return d == DOMID_SELF || d == dom.domid || d == 0;
}

static long domid_query(uint64_t arg, domid_t *d)
{
	if (copy_from_guest(d, arg, sizeof(*d)))
		return -EFAULT;
	if (!domain_exists(*d))
		return -ESRCH;
	/* XSM_TARGET: another domain's figures are for the privileged only. */
	if (*d != DOMID_SELF && *d != dom.domid && !dom.is_dom0)
		return -EPERM;
	return 0;
}


/*
 * XENMEM_exchange's checks, in Xen's order (common/memory.c
 * memory_exchange; XSA-29 and XSA-212: both lists must pass access_ok
 * before anything is touched; XSA-159: every early failure reports
 * nr_exchanged back). parahost does not exchange frames, so a request Xen
 * would carry out gets -ENOSYS.
 */
/* guest_handle_subrange_okay(list, first, nr - 1) */
static bool out_list_ok(uint64_t list, uint64_t nr, uint64_t first)
{
	return guest_va_ok(list + first * sizeof(xen_pfn_t), (nr - first) * sizeof(xen_pfn_t));
}

static long memory_exchange(uint64_t arg)
{
	struct xen_memory_exchange x;
	const struct xen_memory_reservation *in = &x.in, *out = &x.out;
	uint64_t in_list, out_list;
	long rc;

	if (copy_from_guest(&x, arg, sizeof(x)))
		return -EFAULT;
	in_list = (uint64_t)(uintptr_t)in->extent_start.p;
	out_list = (uint64_t)(uintptr_t)out->extent_start.p;
	if ((in->extent_order > out->extent_order ? in->extent_order : out->extent_order) >
	    memop_max_order())
		rc = -EPERM;
	else if (x.nr_exchanged > in->nr_extents || in->domid != out->domid ||
		 (~0UL >> in->extent_order) < in->nr_extents ||
		 (~0UL >> out->extent_order) < out->nr_extents ||
		 (in->nr_extents << in->extent_order) != (out->nr_extents << out->extent_order))
		rc = -EINVAL;
	else if (x.nr_exchanged == in->nr_extents)
		return 0;
	else if (!guest_va_ok(in_list + x.nr_exchanged * sizeof(xen_pfn_t),
			      (in->nr_extents - x.nr_exchanged) * sizeof(xen_pfn_t)))
		rc = -EFAULT;
	else if (!out_list_ok(out_list, out->nr_extents,
			      in->extent_order <= out->extent_order ?
			      x.nr_exchanged >> (out->extent_order - in->extent_order) :
			      x.nr_exchanged << (in->extent_order - out->extent_order)))
		rc = -EFAULT;
	else if (in->domid != DOMID_SELF && in->domid != dom.domid)
		rc = -ESRCH;
	else
		rc = -ENOSYS;
	if (copy_to_guest(arg + offsetof(struct xen_memory_exchange, nr_exchanged),
			  &x.nr_exchanged, sizeof(x.nr_exchanged)))
		rc = -EFAULT;
	return rc;
}

long do_memory_op(unsigned long cmd, uint64_t arg)
{
	unsigned long start_extent = cmd >> MEMOP_EXTENT_SHIFT;
	unsigned int op = (unsigned int)(cmd & MEMOP_CMD_MASK);
	domid_t d;
	long rc;

	switch (op) {
	case XENMEM_increase_reservation:
	case XENMEM_decrease_reservation:
	case XENMEM_populate_physmap:
		return do_reservation_op(op, start_extent, arg);
	case XENMEM_exchange:
	case XENMEM_maximum_ram_page:
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
	case XENMEM_maximum_gpfn:
		/* Xen: these have no continuation, so no extent start either. */
		if (start_extent)
			return -EINVAL;
		break;
	}
	switch (op) {
	case XENMEM_maximum_ram_page:
		return (long)dom.max_mfn;
	case XENMEM_current_reservation:
		rc = domid_query(arg, &d);
		return rc ? rc : (long)mm_tot_pages(&dom.mm);
	case XENMEM_maximum_reservation:
		rc = domid_query(arg, &d);
		return rc ? rc : (long)memop_max_pages();
	case XENMEM_maximum_gpfn: {
		/* Xen: (shared_info max_pfn ?: 1) - 1; the guest publishes max_pfn. */
		unsigned long max = READ_ONCE(dom.shared_info->arch.max_pfn);

		rc = domid_query(arg, &d);
		return rc ? rc : (long)((max ? max : 1) - 1);
	}
	case XENMEM_machphys_mapping: {
		/* A domU is told the whole area; dom0 (no memory hotplug) the last frame. */
		struct xen_machphys_mapping m = {
			.v_start = MACH2PHYS_VIRT_START,
			.v_end = MACH2PHYS_VIRT_END,
			.max_mfn = dom.is_dom0 ? dom.max_mfn - 1 : MACH2PHYS_NR_ENTRIES - 1,
		};

		return copy_to_guest(arg, &m, sizeof(m)) ? -EFAULT : 0;
	}
	case XENMEM_memory_map: {
		/* libxl's memmap limit for a PV guest: one RAM entry, all of it. */
		struct xen_memory_map map;
		struct e820entry e = { 0, (uint64_t)dom.nr_pages << PAGE_SHIFT, E820_RAM };

		if (copy_from_guest(&map, arg, sizeof(map)))
			return -EFAULT;
		if (dom.is_dom0)
			return -ENOSYS;		/* Xen keeps no pseudo-physical map for dom0 */
		/* As many entries as there is room for, none being fine. */
		if (map.nr_entries > 1)
			map.nr_entries = 1;
		if (map.nr_entries &&
		    copy_to_guest((uint64_t)(uintptr_t)map.buffer.p, &e, sizeof(e)))
			return -EFAULT;
		return copy_to_guest(arg, &map, sizeof(map)) ? -EFAULT : 0;
	}
	case XENMEM_machine_memory_map:
		return -EPERM;		/* privileged */
	case XENMEM_exchange:
		return memory_exchange(arg);
	default: {
		static uint64_t logged;
		unsigned int c = (unsigned int)(cmd & MEMOP_CMD_MASK);

		if (c < 64 && !(logged & (1UL << c))) {
			printk("d%u: memory_op %u not implemented: -ENOSYS", dom.domid, c);
			logged |= 1UL << c;
		}
		return -ENOSYS;
	}
	}
}
