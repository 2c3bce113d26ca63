/*
 * The direct map, lazily: mm_init maps the first DIRECT_MAP_EAGER frames
 * (enough to run, and the same at any memory size); every other frame is
 * mapped, one L1 table (512 frames) at a time, when the frame allocator
 * first hands out a frame of it, so that booting does not grow with
 * memory. The L1 frames for the rest are set aside at boot, so mapping
 * never needs the allocator it serves, and the free count never moves.
 */
#ifndef MM_DIRECTMAP_H
#define MM_DIRECTMAP_H

#include <stdbool.h>

#define DIRECT_MAP_EAGER	8192UL		/* 32 MiB */

/* After mm_init's tree is live: [0, mapped) mapped, up to total to come. */
void directmap_init(unsigned long mapped, unsigned long total);
/* Make pfn's direct-map page present (and every one below it). */
void directmap_ensure(unsigned long pfn);
/* A #PF at va: true if it was a direct-map page not mapped yet (now it is). */
bool directmap_fault(unsigned long va);
/* Frames mapped so far (for tests, benchmarks). */
unsigned long directmap_mapped(void);

#endif
