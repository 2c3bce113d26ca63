/*
 * From the builder's page tables to ours, in the order Xen needs:
 *
 *  1. build a new tree (L4 -> L3 -> L2 -> L1s) mapping our frames at the
 *     same addresses; these frames are still ordinary writable memory, so
 *     we fill them with plain stores (Xen checks everything at pin time);
 *  2. make every frame of the new tree read-only in the builder's tree;
 *  3. pin the new L4 (Xen validates the whole tree) and switch to it;
 *  4. unpin the builder's L4, make its frames writable again, free them;
 *  5. leave the rest of the direct map to be mapped as it is used
 *     (mm/directmap.c): boot costs the same whatever the memory size.
 */
#include <xen/xen.h>

#include "arch/x86/hypercall.h"
#include "kernel/kernel.h"
#include "mm/directmap.h"
#include "mm/frames.h"
#include "mm/layout.h"
#include "mm/mm.h"
#include "mm/mmu.h"
#include "mm/p2m.h"
#include "mm/pagetable.h"

/* xen.h promises at least this much mapped after the last boot element. */
#define BUILDER_PADDING_PAGES	((512 * 1024) / PAGE_SIZE)

extern uint64_t boot_entry_rsp;
extern const void *start_info_at_entry;

struct mm_boot_info mm_boot;

static unsigned long new_tables[BUILDER_PADDING_PAGES];
static unsigned int nr_new_tables;

static unsigned long alloc_boot_table(unsigned long mapped_end)
{
	unsigned long pfn = frame_alloc();

	if (pfn == FRAME_NONE || pfn >= mapped_end)
		panic("mm: no mapped frame left for the boot page tables");
	if (nr_new_tables == ARRAY_SIZE(new_tables))
		panic("mm: too many boot page tables");
	new_tables[nr_new_tables++] = pfn;
	memset(pfn_to_virt(pfn), 0, PAGE_SIZE);
	return pfn;
}

static uint64_t table_entry(unsigned long pfn)
{
	return ((uint64_t)pfn_to_mfn(pfn) << PAGE_SHIFT) | PTE_TABLE;
}

static bool in_range(unsigned long pfn, unsigned long first, unsigned long n)
{
	return pfn >= first && pfn < first + n;
}

static bool is_new_table(unsigned long pfn)
{
	for (unsigned int i = 0; i < nr_new_tables; i++)
		if (new_tables[i] == pfn)
			return true;
	return false;
}

/*
 * The leaf entry for pfn in the new direct map: the builder's entry where
 * it had one (that keeps shared_info and read-only page tables as they
 * are), else a fresh writable one.
 */
static uint64_t direct_map_entry(uint64_t *builder_l4, unsigned long pfn,
				 unsigned long mapped_end)
{
	uint64_t pte = ((uint64_t)pfn_to_mfn(pfn) << PAGE_SHIFT) | PTE_KERNEL_RW;

	if (pfn < mapped_end) {
		struct pt_batch b = { 0 };
		uint64_t *old = pt_walk(&b, builder_l4, (unsigned long)pfn_to_virt(pfn), false);

		if (old && (*old & _PAGE_PRESENT))
			pte = (*old & (PTE_ADDR_MASK | _PAGE_RW)) | PTE_KERNEL_RO |
				((*old & _PAGE_RW) ? _PAGE_DIRTY : 0);
	}
	if (is_new_table(pfn))
		pte &= ~(uint64_t)_PAGE_RW;
	return pte;
}

void mm_init(void)
{
	uint64_t *builder_l4 = (uint64_t *)start_info.pt_base;
	unsigned long nr = start_info.nr_pages;
	unsigned long pt_first = virt_to_pfn(builder_l4);
	unsigned long pt_count = start_info.nr_pt_frames;
	unsigned long stack_pfn = virt_to_pfn((void *)(boot_entry_rsp - 1));
	unsigned long boot_end = pt_first + pt_count;
	unsigned long mapped_end, first_end, l1_count, l4, l3, l2[2];
	long rc;

	if (stack_pfn >= boot_end)
		boot_end = stack_pfn + 1;
	mapped_end = boot_end + BUILDER_PADDING_PAGES;
	if (nr > MAX_GUEST_FRAMES) {
		kprintf("mm: using %lu of %lu pages (direct map limit)\n",
			MAX_GUEST_FRAMES, nr);
		nr = MAX_GUEST_FRAMES;
	}
	if (mapped_end > nr)
		mapped_end = nr;
	frames_init(nr);
	frames_release(boot_end, nr);
	mm_boot.builder_l4_pfn = pt_first;
	mm_boot.builder_l4_mfn = pfn_to_mfn(pt_first);
	mm_boot.builder_pt_frames = pt_count;

	/* 1. The new tree, mapping the first DIRECT_MAP_EAGER frames (at most). */
	first_end = DIRECT_MAP_EAGER;
	if (first_end > nr)
		first_end = nr;
	l1_count = (first_end + 511) / 512;
	l4 = alloc_boot_table(mapped_end);
	l3 = alloc_boot_table(mapped_end);
	l2[0] = alloc_boot_table(mapped_end);
	/* Both L2s the direct map can need, so that filling it later needs only L1s. */
	l2[1] = nr > 512 * 512 ? alloc_boot_table(mapped_end) : 0;
	((uint64_t *)pfn_to_virt(l4))[pt_index(VIRT_BASE, 4)] = table_entry(l3);
	((uint64_t *)pfn_to_virt(l3))[pt_index(VIRT_BASE, 3)] = table_entry(l2[0]);
	if (l2[1])
		((uint64_t *)pfn_to_virt(l3))[pt_index(VIRT_BASE, 3) + 1] = table_entry(l2[1]);
	for (unsigned long i = 0; i < l1_count; i++) {
		unsigned long l1 = alloc_boot_table(mapped_end);

		((uint64_t *)pfn_to_virt(l2[i / 512]))[i % 512] = table_entry(l1);
	}
	for (unsigned long pfn = 0; pfn < first_end; pfn++) {
		unsigned long l1 = new_tables[(l2[1] ? 4 : 3) + pfn / 512];

		((uint64_t *)pfn_to_virt(l1))[pfn % 512] =
			direct_map_entry(builder_l4, pfn, mapped_end);
	}

	/* 2. No writable mapping of the new tables may remain. */
	for (unsigned int i = 0; i < nr_new_tables; i++) {
		struct pt_batch b = { 0 };
		uint64_t *old = pt_walk(&b, builder_l4,
					(unsigned long)pfn_to_virt(new_tables[i]), false);

		if (!old)
			panic("mm: boot table pfn %#lx not mapped by the builder",
			      new_tables[i]);
		mmu_queue(virt_to_maddr(old), *old & ~(uint64_t)_PAGE_RW);
	}
	mmu_commit(true);

	/* 3. Validate, then switch. */
	mm_boot.l4_mfn = pfn_to_mfn(l4);
	rc = mmuext(MMUEXT_PIN_L4_TABLE, mm_boot.l4_mfn);
	if (rc)
		panic("mm: pinning our L4 (mfn %#lx) failed: %ld",
		      (unsigned long)mm_boot.l4_mfn, rc);
	rc = mmuext(MMUEXT_NEW_BASEPTR, mm_boot.l4_mfn);
	if (rc)
		panic("mm: switching to our L4 failed: %ld", rc);
	kernel_l4 = pfn_to_virt(l4);

	/*
	 * 4. The builder pinned its L4 (Xen's toolstack does for a domU); once
	 * unpinned and no longer our base, its tables are plain memory again.
	 */
	mm_boot.builder_unpin_rc = mmuext(MMUEXT_UNPIN_TABLE, mm_boot.builder_l4_mfn);
	{
		struct pt_batch b = { 0 };
		unsigned long boot_pfns[2] = { stack_pfn, virt_to_pfn(start_info_at_entry) };

		for (unsigned long pfn = pt_first; pfn < pt_first + pt_count; pfn++)
			pt_set(&b, (unsigned long)pfn_to_virt(pfn),
			       ((uint64_t)pfn_to_mfn(pfn) << PAGE_SHIFT) | PTE_KERNEL_RW);
		pt_commit(&b);
		/* Seen now: once free, the frame may become anything, a table of ours included. */
		mm_boot.builder_l4_pte = pt_get((unsigned long)pfn_to_virt(pt_first));
		frames_release(pt_first, pt_first + pt_count);
		mm_boot.reclaimed = pt_count;
		for (int i = 0; i < 2; i++)
			if (!in_range(boot_pfns[i], pt_first, pt_count) &&
			    boot_pfns[i] < boot_end && !frame_is_free(boot_pfns[i])) {
				frame_free(boot_pfns[i]);
				mm_boot.reclaimed++;
			}
	}

	/* 5. The rest of memory, mapped as the allocator hands it out. */
	directmap_init(first_end, nr);

	kprintf("mm: %lu frames, %lu free; own L4 at mfn %#lx; builder's L4 "
		"unpinned (%ld), %lu boot frames reclaimed\n", nr, frames_free(),
		(unsigned long)mm_boot.l4_mfn, mm_boot.builder_unpin_rc,
		mm_boot.reclaimed);
}
