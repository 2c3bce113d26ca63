/*
 * Benchmarks print figures; they never pass or fail. The figures are
 * counts the guest can see for itself (hypercalls made), so they mean the
 * same on every platform and do not depend on emulator speed.
 */
#include "arch/x86/hypercall.h"
#include "kernel/bench.h"
#include "kernel/cmdline.h"
#include "kernel/kernel.h"
#include "mm/frames.h"
#include "mm/layout.h"
#include "mm/p2m.h"
#include "mm/pagetable.h"
#include "mm/vmap.h"
#include "xen/start_info.h"

#define BENCH_PAGES	1000

bool bench_requested(void)
{
	return cmdline_has("bench");
}

/* Map 1000 fresh frames at fresh addresses (new L1 tables included). */
static void bench_mm_map(void)
{
	/* 2 MiB-aligned so no L1 of an earlier user is shared. */
	unsigned long slack = 512, va = vmap_alloc(BENCH_PAGES + slack);
	static unsigned long pfns[BENCH_PAGES];
	unsigned long start, map_calls, unmap_calls;
	struct pt_batch b = { 0 };

	if (!va) {
		kprintf("bench mm.map skipped: no virtual range\n");
		return;
	}
	start = (va + (slack * PAGE_SIZE - 1)) & ~(slack * PAGE_SIZE - 1);
	for (int i = 0; i < BENCH_PAGES; i++) {
		pfns[i] = frame_alloc();
		if (pfns[i] == FRAME_NONE) {
			kprintf("bench mm.map skipped: out of frames\n");
			while (i--)
				frame_free(pfns[i]);
			vmap_free(va, BENCH_PAGES + slack);
			return;
		}
	}

	map_calls = hypercall_count;
	for (int i = 0; i < BENCH_PAGES; i++)
		pt_set(&b, start + i * PAGE_SIZE,
		       ((uint64_t)pfn_to_mfn(pfns[i]) << PAGE_SHIFT) | PTE_KERNEL_RW);
	pt_commit(&b);
	map_calls = hypercall_count - map_calls;

	unmap_calls = hypercall_count;
	unmap_range(start, BENCH_PAGES);
	unmap_calls = hypercall_count - unmap_calls;

	kprintf("bench mm.map hypercalls_per_1000=%lu\n", map_calls);
	kprintf("bench mm.unmap hypercalls_per_1000=%lu\n", unmap_calls);
	for (int i = 0; i < BENCH_PAGES; i++)
		frame_free(pfns[i]);
	vmap_free(va, BENCH_PAGES + slack);
}

void bench_run(void)
{
	bench_mm_map();
}
