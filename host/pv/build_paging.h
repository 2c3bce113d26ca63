/*
 * x86 4-level paging as the PV domain builder's two halves see it: the
 * layout (build.c) counts tables, the writer (build_write.c) fills them.
 * Architectural, not Xen ABI.
 */
#ifndef HOST_PV_BUILD_PAGING_H
#define HOST_PV_BUILD_PAGING_H

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1ull << PAGE_SHIFT)
#define PT_ENTRIES	512
#define VA_MASK		((1ull << 48) - 1)	/* 4-level paging: 48 bits */

/* The coverage shift of one table at level 1-3 (an L1 maps 2 MiB). */
#define TABLE_SHIFT(level)	(PAGE_SHIFT + 9 * (level))

#endif
