/*
 * ParaOS's virtual address map (kernel half; Xen owns L4 slots 256-271).
 *
 *   VIRT_BASE + pfn * PAGE_SIZE   the direct map: every frame we own, at
 *                                 the place Xen's builder put the first
 *                                 ones, so pfn_to_virt() stays one formula
 *   VMAP_START .. VMAP_END        mappings of frames by request (vmap.c):
 *                                 tests, and frames that are not ours
 *                                 (grants) later
 */
#ifndef MM_LAYOUT_H
#define MM_LAYOUT_H

#include "arch/x86/page.h"

/* The direct map ends at the top of the address space: at most 2 GiB. */
#define MAX_GUEST_FRAMES	(1ul << 19)

#define VMAP_START		0xffffc90000000000ul	/* L4 slot 402 */
#define VMAP_PAGES		(1ul << 16)		/* 256 MiB */
#define VMAP_END		(VMAP_START + VMAP_PAGES * PAGE_SIZE)

#endif
