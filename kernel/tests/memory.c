/*
 * HYPERVISOR_memory_op as a 64-bit PV guest sees it under Xen 4.17: the
 * queries about our memory and the machine, and the reservation ops'
 * answers to arguments Xen refuses before doing any work (it then returns
 * the number of extents done: 0). What xl sets up for a domU (one RAM
 * entry, maxmem = memory + 1 MiB) is part of the answer.
 */
#include <xen/errno.h>
#include <xen/memory.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "mm/p2m.h"
#include "xen/start_info.h"

#define E820_RAM	1
#define XL_MAXMEM_SLACK	256	/* LIBXL_MAXMEM_CONSTANT: 1 MiB of pages */

struct e820entry {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));

static xen_pfn_t highest_mfn(void)
{
	xen_pfn_t max = 0;

	for (unsigned long pfn = 0; pfn < start_info.nr_pages; pfn++)
		if (pfn_to_mfn(pfn) > max)
			max = pfn_to_mfn(pfn);
	return max;
}

static long reservation_query(unsigned int cmd, domid_t d)
{
	return hypercall_memory_op(cmd, &d);
}

KTEST(memory, reservation_queries)
{
	long cur = reservation_query(XENMEM_current_reservation, DOMID_SELF);
	long max = reservation_query(XENMEM_maximum_reservation, DOMID_SELF);

	KT_ASSERT_EQ(cur, start_info.nr_pages, "current_reservation");
	if (is_initial_domain())
		KT_ASSERT(max >= cur, "maximum_reservation %ld below current %ld", max, cur);
	else
		KT_ASSERT_EQ(max, cur + XL_MAXMEM_SLACK, "maximum_reservation (xl: memory + 1 MiB)");
	KT_ASSERT_EQ(reservation_query(XENMEM_current_reservation, 5), -XEN_ESRCH,
		     "current_reservation of a domain that does not exist");
	KT_ASSERT_EQ(reservation_query(XENMEM_maximum_reservation, 5), -XEN_ESRCH,
		     "maximum_reservation of a domain that does not exist");
	if (!is_initial_domain())
		KT_ASSERT_EQ(reservation_query(XENMEM_current_reservation, 0), -XEN_EPERM,
			     "a domU asking about dom0");
}

KTEST(memory, maximum_gpfn)
{
	unsigned long saved = shared_info->arch.max_pfn;
	long at_zero, at_n;

	/* Xen: (the max_pfn the guest publishes in shared_info, or 1) - 1. */
	WRITE_ONCE(shared_info->arch.max_pfn, 0);
	at_zero = reservation_query(XENMEM_maximum_gpfn, DOMID_SELF);
	WRITE_ONCE(shared_info->arch.max_pfn, start_info.nr_pages);
	at_n = reservation_query(XENMEM_maximum_gpfn, DOMID_SELF);
	WRITE_ONCE(shared_info->arch.max_pfn, saved);
	KT_ASSERT_EQ(at_zero, 0, "maximum_gpfn with max_pfn 0");
	KT_ASSERT_EQ(at_n, start_info.nr_pages - 1, "maximum_gpfn with max_pfn = nr_pages");
	KT_ASSERT_EQ(reservation_query(XENMEM_maximum_gpfn, 5), -XEN_ESRCH, "maximum_gpfn(5)");
}

KTEST(memory, machphys_mapping)
{
	struct xen_machphys_mapping m;

	memset(&m, 0x5a, sizeof(m));
	KT_ASSERT_EQ(hypercall_memory_op(XENMEM_machphys_mapping, &m), 0, "machphys_mapping");
	KT_ASSERT_EQ(m.v_start, MACH2PHYS_VIRT_START, "v_start");
	KT_ASSERT_EQ(m.v_end, MACH2PHYS_VIRT_END, "v_end");
	/* A domU is told the whole M2P area; dom0 the machine's last frame. */
	if (is_initial_domain())
		KT_ASSERT(m.max_mfn >= highest_mfn() && m.max_mfn < MACH2PHYS_NR_ENTRIES,
			  "max_mfn %#lx for dom0 (our highest mfn %#lx)", m.max_mfn, highest_mfn());
	else
		KT_ASSERT_EQ(m.max_mfn, MACH2PHYS_NR_ENTRIES - 1, "max_mfn");
}

KTEST(memory, maximum_ram_page)
{
	long max = hypercall_memory_op(XENMEM_maximum_ram_page, NULL);

	KT_ASSERT(max > 0 && (xen_pfn_t)max > highest_mfn(),
		  "maximum_ram_page %ld, our highest mfn %#lx", max, highest_mfn());
}

KTEST(memory, memory_map)
{
	struct e820entry e[4];
	struct xen_memory_map map = { .nr_entries = ARRAY_SIZE(e) };

	memset(e, 0x5a, sizeof(e));
	set_xen_guest_handle(map.buffer, e);
	if (is_initial_domain()) {
		/* Xen keeps no pseudo-physical map for dom0. */
		KT_ASSERT_EQ(hypercall_memory_op(XENMEM_memory_map, &map), -XEN_ENOSYS,
			     "memory_map for dom0");
		return;
	}
	KT_ASSERT_EQ(hypercall_memory_op(XENMEM_memory_map, &map), 0, "memory_map");
	/* xl's map for a PV domU: all of our memory, one RAM entry. */
	KT_ASSERT_EQ(map.nr_entries, 1, "entries");
	KT_ASSERT(e[0].addr == 0 && e[0].size == start_info.nr_pages << PAGE_SHIFT &&
		  e[0].type == E820_RAM, "entry %#lx+%#lx type %u", e[0].addr, e[0].size, e[0].type);
	KT_ASSERT_EQ(e[1].type, 0x5a5a5a5a, "a second entry was written");
	/* A buffer of no entries is not an error: nothing is copied. */
	map.nr_entries = 0;
	KT_ASSERT_EQ(hypercall_memory_op(XENMEM_memory_map, &map), 0, "memory_map, no room");
	KT_ASSERT_EQ(map.nr_entries, 0, "entries copied into no room");
}

KTEST(memory, machine_memory_map)
{
	static struct e820entry e[128];
	struct xen_memory_map map = { .nr_entries = ARRAY_SIZE(e) };
	long rc;

	set_xen_guest_handle(map.buffer, e);
	rc = hypercall_memory_op(XENMEM_machine_memory_map, &map);
	if (!is_initial_domain()) {
		KT_ASSERT_EQ(rc, -XEN_EPERM, "machine_memory_map for a domU");
		return;
	}
	KT_ASSERT_EQ(rc, 0, "machine_memory_map for dom0");
	KT_ASSERT(map.nr_entries >= 1 && map.nr_entries < ARRAY_SIZE(e), "%u entries", map.nr_entries);
	for (unsigned int i = 1; i < map.nr_entries; i++)
		KT_ASSERT(e[i].addr >= e[i - 1].addr + e[i - 1].size,
			  "entry %u at %#lx overlaps the one before", i, e[i].addr);
	/* Too small a buffer for the whole map is refused. */
	map.nr_entries = 1;
	KT_ASSERT_EQ(hypercall_memory_op(XENMEM_machine_memory_map, &map), -XEN_EINVAL,
		     "machine_memory_map into one entry");
}

/* A reservation op Xen refuses before doing anything answers 0 extents. */
static long reservation_op(unsigned int cmd, xen_ulong_t nr, unsigned int order,
			   unsigned int flags, domid_t d)
{
	static xen_pfn_t extents[1];
	struct xen_memory_reservation r = {
		.nr_extents = nr, .extent_order = order, .mem_flags = flags, .domid = d,
	};

	set_xen_guest_handle(r.extent_start, extents);
	return hypercall_memory_op(cmd, &r);
}

KTEST(memory, reservation_ops_refused)
{
	static const unsigned int cmds[] = {
		XENMEM_increase_reservation, XENMEM_decrease_reservation, XENMEM_populate_physmap,
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(cmds); i++) {
		unsigned int c = cmds[i];

		KT_ASSERT_EQ(hypercall_memory_op(c, NULL), 0, "no argument");
		KT_ASSERT_EQ(reservation_op(c, 0, 0, 0, DOMID_SELF), 0, "no extents");
		KT_ASSERT_EQ(reservation_op(c, 1, 0, 0, 5), 0, "a domain that does not exist");
		KT_ASSERT_EQ(reservation_op(c, 1ul << 60, 0, 0, DOMID_SELF), 0,
			     "more extents than a continuation can count");
		KT_ASSERT_EQ(reservation_op(c, 1, 20, 0, DOMID_SELF), 0,
			     "extents of 2^20 pages (above any max_order)");
		/* Below one page of address bits nothing can be allocated. */
		KT_ASSERT_EQ(reservation_op(c, 1, 0, XENMEMF_address_bits(12), DOMID_SELF), 0,
			     "12 address bits");
		if (!is_initial_domain())
			KT_ASSERT_EQ(reservation_op(c, 1, 0, 0, 0), 0, "a domU changing dom0");
	}
}

KTEST(memory, unknown_op)
{
	KT_ASSERT_EQ(hypercall_memory_op(63, NULL), -XEN_ENOSYS, "memory_op 63");
}
