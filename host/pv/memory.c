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

static long domid_query(uint64_t arg, domid_t *d)
{
	if (copy_from_guest(d, arg, sizeof(*d)))
		return -EFAULT;
	if (*d != DOMID_SELF && *d != dom.domid)
		return -ESRCH;
	return 0;
}

long do_memory_op(unsigned long cmd, uint64_t arg)
{
	domid_t d;
	long rc;

	switch (cmd & MEMOP_CMD_MASK) {
	case XENMEM_maximum_ram_page:
		return (long)dom.max_mfn;
	case XENMEM_current_reservation:
		rc = domid_query(arg, &d);
		return rc ? rc : (long)dom.nr_pages;
	case XENMEM_maximum_reservation:
		/* xl's maxmem: memory plus LIBXL_MAXMEM_CONSTANT (1 MiB). */
		rc = domid_query(arg, &d);
		return rc ? rc : (long)(dom.nr_pages + 256);
	case XENMEM_maximum_gpfn: {
		/* Xen: (shared_info max_pfn ?: 1) - 1; the guest publishes max_pfn. */
		unsigned long max = READ_ONCE(dom.shared_info->arch.max_pfn);

		rc = domid_query(arg, &d);
		return rc ? rc : (long)((max ? max : 1) - 1);
	}
	case XENMEM_machphys_mapping: {
		struct xen_machphys_mapping m = {
			.v_start = MACH2PHYS_VIRT_START,
			.v_end = MACH2PHYS_VIRT_END,
			.max_mfn = dom.max_mfn - 1,
		};

		return copy_to_guest(arg, &m, sizeof(m)) ? -EFAULT : 0;
	}
	case XENMEM_memory_map: {
		/* libxl's memmap limit for a PV guest: one RAM entry, all of it. */
		struct xen_memory_map map;
		struct e820entry e = { 0, (uint64_t)dom.nr_pages << PAGE_SHIFT, E820_RAM };

		if (copy_from_guest(&map, arg, sizeof(map)))
			return -EFAULT;
		if (map.nr_entries < 1)
			return -EINVAL;
		if (copy_to_guest((uint64_t)(uintptr_t)map.buffer.p, &e, sizeof(e)))
			return -EFAULT;
		map.nr_entries = 1;
		return copy_to_guest(arg, &map, sizeof(map)) ? -EFAULT : 0;
	}
	case XENMEM_machine_memory_map:
		return -EPERM;		/* privileged */
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
