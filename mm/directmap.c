/*
 * The lazy part of the direct map (mm/directmap.h). Each step maps one
 * L1's worth of frames: the L1 (set aside at boot, still ordinary
 * writable memory) is filled with plain stores, made read-only in the
 * direct map, and hooked into its L2 in one mmu_update batch; Xen
 * validates its 512 entries then, which is the cost the boot no longer
 * pays for memory nobody has used yet.
 */
#include "kernel/kernel.h"
#include "mm/directmap.h"
#include "mm/frames.h"
#include "mm/layout.h"
#include "mm/mmu.h"
#include "mm/p2m.h"
#include "mm/pagetable.h"
#include "xen/evtchn.h"

#define FRAMES_PER_L1	512UL

static unsigned long mapped_end, total;
static unsigned long reserve[MAX_GUEST_FRAMES / FRAMES_PER_L1];
static unsigned int nr_reserve, next_reserve;

void directmap_init(unsigned long mapped, unsigned long nr)
{
	mapped_end = mapped;
	total = nr;
	nr_reserve = 0;
	next_reserve = 0;
	/* One L1 for each 512 frames still to map, out of what is mapped now. */
	for (unsigned long pfn = mapped; pfn < nr; pfn += FRAMES_PER_L1) {
		unsigned long l1 = frame_alloc();

		if (l1 == FRAME_NONE || l1 >= mapped)
			panic("mm: no mapped frame for the direct map's L1 %u", nr_reserve);
		reserve[nr_reserve++] = l1;
	}
}

unsigned long directmap_mapped(void)
{
	return mapped_end;
}

/* Our L2 entry for va (the direct map's L2 tables all exist from boot). */
static uint64_t *l2_entry(unsigned long va)
{
	uint64_t *l3 = mfn_to_virt(pte_mfn(kernel_l4[pt_index(va, 4)]));
	uint64_t *l2 = mfn_to_virt(pte_mfn(l3[pt_index(va, 3)]));

	return &l2[pt_index(va, 2)];
}

static void map_next(void)
{
	unsigned long first = mapped_end, l1pfn;
	uint64_t *l1, *self;
	struct pt_batch b = { 0 };

	if (next_reserve == nr_reserve)
		panic("mm: direct map: no L1 left for pfn %#lx", first);
	l1pfn = reserve[next_reserve++];
	l1 = pfn_to_virt(l1pfn);
	for (unsigned long i = 0; i < FRAMES_PER_L1; i++) {
		unsigned long pfn = first + i;

		l1[i] = pfn < total ? ((uint64_t)pfn_to_mfn(pfn) << PAGE_SHIFT) | PTE_KERNEL_RW : 0;
	}
	self = pt_walk(&b, kernel_l4, (unsigned long)l1, false);
	if (!self)
		panic("mm: direct map: the L1 at pfn %#lx is not mapped", l1pfn);
	/* In order: no writable mapping of it left when it becomes a table. */
	mmu_queue(virt_to_maddr(self), *self & ~(uint64_t)_PAGE_RW);
	mmu_queue(virt_to_maddr(l2_entry((unsigned long)pfn_to_virt(first))),
		  ((uint64_t)pfn_to_mfn(l1pfn) << PAGE_SHIFT) | PTE_TABLE);
	mmu_commit(true);
	mapped_end = first + FRAMES_PER_L1 < total ? first + FRAMES_PER_L1 : total;
}

void directmap_ensure(unsigned long pfn)
{
	if (pfn < mapped_end || pfn >= total)
		return;
	/* One at a time: a thread and an upcall must not both map the same L1. */
	unsigned int f = upcalls_off();

	while (pfn >= mapped_end)
		map_next();
	upcalls_restore(f);
}

bool directmap_fault(unsigned long va)
{
	unsigned long pfn;

	if (va < VIRT_BASE)
		return false;
	pfn = (va - VIRT_BASE) >> PAGE_SHIFT;
	if (pfn < mapped_end || pfn >= total)
		return false;
	directmap_ensure(pfn);
	return true;
}
