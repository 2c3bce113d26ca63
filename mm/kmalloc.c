#include "kernel/kernel.h"
#include "mm/frames.h"
#include "mm/kmalloc.h"
#include "mm/p2m.h"

#define MIN_SHIFT	4		/* 16 bytes */
#define MAX_SHIFT	11		/* 2 KiB */
#define NR_CLASSES	(MAX_SHIFT - MIN_SHIFT + 1)
#define HEADER_MAGIC	0x6b6d616c6c6f6321ull

/* In front of every block, so kfree knows where it came from. */
struct header {
	uint64_t magic;
	uint32_t shift;		/* size class, or 0 for a frame run */
	uint32_t pages;		/* frame runs only */
};
_Static_assert(sizeof(struct header) == 16, "keeps blocks 16-byte aligned");

struct free_block {
	struct free_block *next;
};

static struct free_block *free_lists[NR_CLASSES];
unsigned long kmalloc_class_frames;

static bool refill(unsigned int shift)
{
	unsigned long pfn = frame_alloc();
	char *page;

	if (pfn == FRAME_NONE)
		return false;
	kmalloc_class_frames++;
	page = pfn_to_virt(pfn);
	for (size_t off = 0; off < PAGE_SIZE; off += 1ul << shift) {
		struct free_block *b = (struct free_block *)(page + off);

		b->next = free_lists[shift - MIN_SHIFT];
		free_lists[shift - MIN_SHIFT] = b;
	}
	return true;
}

void *kmalloc(size_t size)
{
	size_t need = size + sizeof(struct header);
	struct header *h;

	if (size == 0 || size > (1ul << 30))
		return NULL;
	if (need <= (1ul << MAX_SHIFT)) {
		unsigned int shift = MIN_SHIFT;

		while ((1ul << shift) < need)
			shift++;
		if (!free_lists[shift - MIN_SHIFT] && !refill(shift))
			return NULL;
		h = (struct header *)free_lists[shift - MIN_SHIFT];
		free_lists[shift - MIN_SHIFT] = free_lists[shift - MIN_SHIFT]->next;
		*h = (struct header){ HEADER_MAGIC, shift, 0 };
	} else {
		unsigned long pages = (need + PAGE_SIZE - 1) / PAGE_SIZE;
		unsigned long pfn = frame_alloc_run(pages);

		if (pfn == FRAME_NONE)
			return NULL;
		h = pfn_to_virt(pfn);
		*h = (struct header){ HEADER_MAGIC, 0, (uint32_t)pages };
	}
	return h + 1;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(void *p)
{
	struct header *h;

	if (!p)
		return;
	h = (struct header *)p - 1;
	if (h->magic != HEADER_MAGIC)
		panic("kfree(%p): not a kmalloc block (or freed twice)", p);
	h->magic = 0;
	if (h->shift) {
		struct free_block *b = (struct free_block *)h;

		b->next = free_lists[h->shift - MIN_SHIFT];
		free_lists[h->shift - MIN_SHIFT] = b;
	} else {
		unsigned long pfn = virt_to_pfn(h);

		for (unsigned long i = 0; i < h->pages; i++)
			frame_free(pfn + i);
	}
}
