#include "arch/x86/hypercall.h"
#include "kernel/kernel.h"
#include "mm/mmu.h"

#define BATCH_CALLS	4

static mmu_update_t queue[BATCH_CALLS * MMU_UPDATES_PER_CALL];
static unsigned int queued;

unsigned int mmu_pending(void)
{
	return queued;
}

void mmu_queue(uint64_t pte_maddr, uint64_t val)
{
	if (queued == ARRAY_SIZE(queue))
		mmu_commit(false);
	queue[queued].ptr = pte_maddr | MMU_NORMAL_PT_UPDATE;
	queue[queued].val = val;
	queued++;
}

void mmu_commit(bool flush_tlb)
{
	multicall_entry_t calls[BATCH_CALLS + 1];
	struct mmuext_op flush = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
	unsigned int n = 0;
	long rc;

	for (unsigned int first = 0; first < queued; first += MMU_UPDATES_PER_CALL) {
		unsigned int count = queued - first < MMU_UPDATES_PER_CALL ?
			queued - first : MMU_UPDATES_PER_CALL;

		calls[n++] = (multicall_entry_t){
			.op = __HYPERVISOR_mmu_update,
			.args = { (unsigned long)&queue[first], count, 0, DOMID_SELF },
		};
	}
	if (flush_tlb)
		calls[n++] = (multicall_entry_t){
			.op = __HYPERVISOR_mmuext_op,
			.args = { (unsigned long)&flush, 1, 0, DOMID_SELF },
		};
	if (n == 0)
		return;

	rc = hypercall_multicall(calls, n);
	if (rc)
		panic("multicall of %u entries failed: %ld", n, rc);
	for (unsigned int i = 0; i < n; i++)
		if (calls[i].result != 0)
			panic("mmu batch entry %u (op %lu) failed: %ld (first ptr %#lx val %#lx)",
			      i, (unsigned long)calls[i].op, (long)calls[i].result,
			      (unsigned long)queue[i * MMU_UPDATES_PER_CALL].ptr,
			      (unsigned long)queue[i * MMU_UPDATES_PER_CALL].val);
	queued = 0;
}

long mmu_update_one(uint64_t pte_maddr, uint64_t val)
{
	mmu_update_t req = { .ptr = pte_maddr | MMU_NORMAL_PT_UPDATE, .val = val };

	return hypercall_mmu_update(&req, 1, NULL, DOMID_SELF);
}

long mmuext(unsigned int cmd, unsigned long arg)
{
	struct mmuext_op op = { .cmd = cmd };

	switch (cmd) {
	case MMUEXT_INVLPG_LOCAL:
	case MMUEXT_INVLPG_ALL:
		op.arg1.linear_addr = arg;
		break;
	default:
		op.arg1.mfn = arg;
		break;
	}
	return hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF);
}
