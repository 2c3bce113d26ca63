/*
 * Our page tables: walking them, and changing leaf entries through the
 * mmu_update queue (mm/mmu.h). Page-table pages are mapped read-only in
 * the direct map (Xen refuses a writable mapping of a frame in use as a
 * page table), so we read them freely and write them only through Xen.
 *
 * Usage: a struct pt_batch per operation; pt_set() for each page; then
 * pt_commit(), which sends the queued updates in one multicall.
 */
#ifndef MM_PAGETABLE_H
#define MM_PAGETABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>

#include "arch/x86/page.h"

/* Flags for a kernel data page; Xen adds _PAGE_USER itself (64-bit PV). */
#define PTE_KERNEL_RW	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PTE_KERNEL_RO	(_PAGE_PRESENT | _PAGE_ACCESSED)
/* Non-leaf entries: permissions are decided at the leaf. */
#define PTE_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)

/*
 * Tables created or found by this batch but perhaps not yet visible in
 * memory (their hook is still queued): level 1..3, keyed by the VA range
 * they cover.
 */
struct pt_batch {
	unsigned long tag[4];
	uint64_t *table[4];
	bool flush;		/* a present entry changed: flush the TLB */
	unsigned int new_tables;
};

/* The L4 we run on. */
extern uint64_t *kernel_l4;

static inline unsigned int pt_index(unsigned long va, int level)
{
	return (va >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
}

static inline xen_pfn_t pte_mfn(uint64_t pte)
{
	return (pte & PTE_ADDR_MASK) >> PAGE_SHIFT;
}

/* Machine address of a byte in the direct map (or bootstrap region). */
uint64_t virt_to_maddr(const void *va);

/*
 * The leaf entry for va, or NULL when a table on the way is missing (and
 * create is false, or no frame was left). create allocates, zeroes, maps
 * read-only and hooks in each missing table, all through the queue.
 */
uint64_t *pt_walk(struct pt_batch *b, uint64_t *l4, unsigned long va, bool create);

/* Queue the leaf entry for va := pte. 0, or -1 if no table could be made. */
int pt_set(struct pt_batch *b, unsigned long va, uint64_t pte);
/* Current (committed) leaf entry for va; 0 if unmapped. */
uint64_t pt_get(unsigned long va);
void pt_commit(struct pt_batch *b);

/* Whole ranges, each one batch. */
int unmap_range(unsigned long va, unsigned long pages);
int protect_range(unsigned long va, unsigned long pages, uint64_t set, uint64_t clear);

#endif
