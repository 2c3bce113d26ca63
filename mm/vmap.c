#include "kernel/kernel.h"
#include "mm/layout.h"
#include "mm/vmap.h"

/* Bit set = page in use. First fit from a rotating hint. */
static uint64_t used[VMAP_PAGES / 64];
static unsigned long hint;

static bool page_used(unsigned long i)
{
	return (used[i / 64] >> (i % 64)) & 1;
}

unsigned long vmap_alloc(unsigned long pages)
{
	if (pages == 0 || pages > VMAP_PAGES)
		return 0;
	for (unsigned long tries = 0; tries < 2; tries++, hint = 0) {
		unsigned long run = 0;

		for (unsigned long i = hint; i < VMAP_PAGES; i++) {
			run = page_used(i) ? 0 : run + 1;
			if (run < pages)
				continue;
			unsigned long first = i + 1 - pages;

			for (unsigned long p = first; p <= i; p++)
				used[p / 64] |= 1ull << (p % 64);
			hint = i + 1;
			return VMAP_START + first * PAGE_SIZE;
		}
	}
	return 0;
}

void vmap_free(unsigned long va, unsigned long pages)
{
	unsigned long first = (va - VMAP_START) / PAGE_SIZE;

	if (va < VMAP_START || first + pages > VMAP_PAGES || !PAGE_ALIGNED(va))
		panic("vmap_free: bad range %#lx + %lu pages", va, pages);
	for (unsigned long p = first; p < first + pages; p++) {
		if (!page_used(p))
			panic("vmap_free: page %#lx not allocated",
			      VMAP_START + p * PAGE_SIZE);
		used[p / 64] &= ~(1ull << (p % 64));
	}
}
