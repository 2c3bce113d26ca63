/*
 * Shared by the test files that build page tables of their own: frames
 * made ready to be typed as page tables, and machine frames that are not
 * ours. One copy, so every test means the same thing by them.
 */
#ifndef KERNEL_TESTS_PTFRAME_H
#define KERNEL_TESTS_PTFRAME_H

#include "kernel/kernel.h"
#include "mm/frames.h"
#include "mm/p2m.h"
#include "mm/pagetable.h"
#include "xen/start_info.h"

static inline uint64_t frame_pte(unsigned long pfn, uint64_t flags)
{
	return ((uint64_t)pfn_to_mfn(pfn) << PAGE_SHIFT) | flags;
}

/* A fresh frame, zeroed and made read-only in the direct map: ready to be
 * used as a page table. */
static inline unsigned long table_frame(void)
{
	struct pt_batch b = { 0 };
	unsigned long pfn = frame_alloc();

	if (pfn == FRAME_NONE)
		return pfn;
	memset(pfn_to_virt(pfn), 0, PAGE_SIZE);
	pt_set(&b, (unsigned long)pfn_to_virt(pfn), frame_pte(pfn, PTE_KERNEL_RO));
	pt_commit(&b);
	return pfn;
}

static inline void release_table_frame(unsigned long pfn)
{
	struct pt_batch b = { 0 };

	pt_set(&b, (unsigned long)pfn_to_virt(pfn), frame_pte(pfn, PTE_KERNEL_RW));
	pt_commit(&b);
	frame_free(pfn);
}

/* The leaf entry slot for a vmap page, its L1 made and committed. */
static inline uint64_t *vmap_slot(unsigned long va)
{
	struct pt_batch b = { 0 };
	uint64_t *e = pt_walk(&b, kernel_l4, va, true);

	pt_commit(&b);
	return e;
}

/* A machine frame that is RAM but not ours: just below our lowest one. */
static inline xen_pfn_t foreign_mfn(void)
{
	xen_pfn_t lowest = ~(xen_pfn_t)0;

	for (unsigned long pfn = 0; pfn < start_info.nr_pages; pfn++)
		if (pfn_to_mfn(pfn) < lowest)
			lowest = pfn_to_mfn(pfn);
	return lowest ? lowest - 1 : 0;
}

#endif
