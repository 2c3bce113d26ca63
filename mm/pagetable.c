#include "kernel/kernel.h"
#include "mm/frames.h"
#include "mm/mmu.h"
#include "mm/p2m.h"
#include "mm/pagetable.h"

uint64_t *kernel_l4;

uint64_t virt_to_maddr(const void *va)
{
	return ((uint64_t)virt_to_mfn(va) << PAGE_SHIFT) |
		((unsigned long)va & (PAGE_SIZE - 1));
}

/*
 * A new page-table page: zeroed while it is still ordinary writable
 * memory, then (queued) made read-only in the direct map, then hooked
 * into its parent. Xen processes the queue in order, so the frame has no
 * writable mapping left when the hook makes it a page table.
 */
static uint64_t *new_table(struct pt_batch *b, uint64_t *parent_entry)
{
	struct pt_batch self = { 0 };
	unsigned long pfn = frame_alloc();
	uint64_t *table, *dm;

	if (pfn == FRAME_NONE)
		return NULL;
	table = pfn_to_virt(pfn);
	memset(table, 0, PAGE_SIZE);
	dm = pt_walk(&self, kernel_l4, (unsigned long)table, false);
	if (!dm)
		panic("new_table: pfn %#lx is not in the direct map", pfn);
	mmu_queue(virt_to_maddr(dm), *dm & ~(uint64_t)_PAGE_RW);
	mmu_queue(virt_to_maddr(parent_entry),
		  ((uint64_t)pfn_to_mfn(pfn) << PAGE_SHIFT) | PTE_TABLE);
	b->new_tables++;
	/* The RW direct-map translation may be cached. */
	b->flush = true;
	return table;
}

uint64_t *pt_walk(struct pt_batch *b, uint64_t *l4, unsigned long va, bool create)
{
	uint64_t *table = l4;

	for (int level = 4; level > 1; level--) {
		int child = level - 1;
		unsigned long tag = va >> (PAGE_SHIFT + 9 * child);
		uint64_t *entry = &table[pt_index(va, level)];

		if (b->table[child] && b->tag[child] == tag) {
			table = b->table[child];
			continue;
		}
		if (*entry & _PAGE_PRESENT) {
			if (*entry & _PAGE_PSE)
				return NULL;	/* we never make superpages */
			table = mfn_to_virt(pte_mfn(*entry));
		} else if (create) {
			table = new_table(b, entry);
			if (!table)
				return NULL;
		} else {
			return NULL;
		}
		b->tag[child] = tag;
		b->table[child] = table;
	}
	return &table[pt_index(va, 1)];
}

int pt_set(struct pt_batch *b, unsigned long va, uint64_t pte)
{
	uint64_t *entry = pt_walk(b, kernel_l4, va, pte & _PAGE_PRESENT);

	if (!entry)
		return pte & _PAGE_PRESENT ? -1 : 0;	/* unmapping nothing is fine */
	if (*entry & _PAGE_PRESENT)
		b->flush = true;
	mmu_queue(virt_to_maddr(entry), pte);
	return 0;
}

uint64_t pt_get(unsigned long va)
{
	struct pt_batch b = { 0 };
	uint64_t *entry = pt_walk(&b, kernel_l4, va, false);

	return entry ? *entry : 0;
}

void pt_commit(struct pt_batch *b)
{
	mmu_commit(b->flush);
	b->flush = false;
}

int unmap_range(unsigned long va, unsigned long pages)
{
	struct pt_batch b = { 0 };

	for (unsigned long i = 0; i < pages; i++)
		pt_set(&b, va + i * PAGE_SIZE, 0);
	pt_commit(&b);
	return 0;
}

int protect_range(unsigned long va, unsigned long pages, uint64_t set, uint64_t clear)
{
	struct pt_batch b = { 0 };

	for (unsigned long i = 0; i < pages; i++) {
		uint64_t *entry = pt_walk(&b, kernel_l4, va + i * PAGE_SIZE, false);

		if (!entry || !(*entry & _PAGE_PRESENT)) {
			pt_commit(&b);
			return -1;
		}
		mmu_queue(virt_to_maddr(entry), (*entry | set) & ~clear);
		b.flush = true;
	}
	pt_commit(&b);
	return 0;
}
