/*
 * A range of kernel virtual addresses handed out in page runs, for
 * mapping frames outside the direct map: tests now, grant mappings later.
 * It allocates addresses only; callers map them with pt_set().
 */
#ifndef MM_VMAP_H
#define MM_VMAP_H

/* Start of a free run of pages, or 0 if there is none. */
unsigned long vmap_alloc(unsigned long pages);
void vmap_free(unsigned long va, unsigned long pages);

#endif
