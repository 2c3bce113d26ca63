/*
 * The frame allocator: which of our pseudo-physical frames (pfns) are free.
 * It knows nothing about mappings; every frame it hands out is mapped in
 * the direct map at pfn_to_virt(pfn) once mm_init() has run.
 */
#ifndef MM_FRAMES_H
#define MM_FRAMES_H

#include <stdbool.h>

#define FRAME_NONE	(~0ul)

/* All pfns below nr start reserved; release the free ones. */
void frames_init(unsigned long nr);
void frames_release(unsigned long first, unsigned long end);

/* Lowest free pfn (low frames are mapped first at boot), or FRAME_NONE. */
unsigned long frame_alloc(void);
/* n contiguous pfns, lowest first; FRAME_NONE if there is no such run. */
unsigned long frame_alloc_run(unsigned long n);
void frame_free(unsigned long pfn);
bool frame_is_free(unsigned long pfn);

unsigned long frames_total(void);
unsigned long frames_free(void);

#endif
