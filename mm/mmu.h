/*
 * Every write to a live page table goes through Xen. mmu_queue() collects
 * PTE writes (machine address of the entry, new value); mmu_commit() sends
 * them as one multicall of mmu_update batches of up to 512, with the TLB
 * flush, when one is needed, in the same multicall.
 */
#ifndef MM_MMU_H
#define MM_MMU_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>

#define MMU_UPDATES_PER_CALL	512

void mmu_queue(uint64_t pte_maddr, uint64_t val);
/* Send what is queued (and flush the local TLB if asked). Panics on an
 * error: queued updates are our own and must be valid. */
void mmu_commit(bool flush_tlb);
unsigned int mmu_pending(void);

/* Single operations that may fail: they return Xen's error. */
long mmu_update_one(uint64_t pte_maddr, uint64_t val);
long mmuext(unsigned int cmd, unsigned long arg);	/* arg: mfn or va */

#endif
