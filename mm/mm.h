#ifndef MM_MM_H
#define MM_MM_H

#include <xen/xen.h>

/*
 * Take over memory from the domain builder: our own page tables (an L4 and
 * a direct map of every frame we own), then the builder's tables and boot
 * frames go back to the frame allocator.
 */
void mm_init(void);

/* What mm_init did, for tests. */
struct mm_boot_info {
	xen_pfn_t builder_l4_mfn;
	unsigned long builder_l4_pfn, builder_pt_frames;
	long builder_unpin_rc;
	uint64_t builder_l4_pte;	/* its direct-map entry, right after reclaiming it */
	unsigned long reclaimed;
	xen_pfn_t l4_mfn;
};
extern struct mm_boot_info mm_boot;

#endif
