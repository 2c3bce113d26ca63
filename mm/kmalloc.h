#ifndef MM_KMALLOC_H
#define MM_KMALLOC_H

#include <stddef.h>

/*
 * Small objects come from power-of-two size classes (16 B .. 2 KiB) carved
 * out of whole frames; larger ones get a run of contiguous frames. Every
 * block is 16-byte aligned. NULL when memory is exhausted.
 */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

/* Frames carved into size classes so far: they stay with kmalloc for good. */
extern unsigned long kmalloc_class_frames;

#endif
