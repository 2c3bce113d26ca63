/*
 * The physical frame allocator: a list of free ranges, carved from the
 * multiboot2 memory map, allocated upwards and never freed (parahost runs
 * one guest, once).
 */
#include "host/boot/boot.h"
#include "host/host.h"
#include "host/x86.h"

#define LOW_LIMIT	0x100000UL		/* leave the first MiB alone */
#define HIGH_LIMIT	0x100000000UL		/* the boot page tables map 4 GiB */

static struct mem_range free_ranges[MAX_RANGES];
static unsigned int nr_free;

/* Remove [s, e) from the free list, splitting ranges as needed. */
static void reserve(uint64_t s, uint64_t e)
{
	s &= PAGE_MASK;
	e = (e + PAGE_SIZE - 1) & PAGE_MASK;
	for (unsigned int i = 0; i < nr_free; i++) {
		struct mem_range *r = &free_ranges[i];

		if (e <= r->start || s >= r->end)
			continue;
		if (s > r->start && e < r->end) {
			/* Split in two. */
			if (nr_free < MAX_RANGES) {
				free_ranges[nr_free].start = e;
				free_ranges[nr_free].end = r->end;
				nr_free++;
			}
			r->end = s;
		} else if (s <= r->start && e >= r->end) {
			r->end = r->start;		/* swallowed whole */
		} else if (s <= r->start) {
			r->start = e;
		} else {
			r->end = s;
		}
	}
}

void frame_init(const struct boot_info *bi)
{
	for (unsigned int i = 0; i < bi->nr_ram && nr_free < MAX_RANGES; i++) {
		uint64_t s = (bi->ram[i].start + PAGE_SIZE - 1) & PAGE_MASK;
		uint64_t e = bi->ram[i].end & PAGE_MASK;

		if (s < LOW_LIMIT)
			s = LOW_LIMIT;
		if (e > HIGH_LIMIT)
			e = HIGH_LIMIT;
		if (s >= e)
			continue;
		free_ranges[nr_free].start = s;
		free_ranges[nr_free].end = e;
		nr_free++;
	}
	reserve(virt_to_phys(_host_start), virt_to_phys(_host_end));
	reserve(bi->info_start, bi->info_end);
	for (unsigned int i = 0; i < bi->nr_modules; i++) {
		const char *s = bi->modules[i].string;

		reserve(bi->modules[i].start, bi->modules[i].end);
		/* Module strings live inside the info, already reserved. */
		(void)s;
	}
}

uint64_t frames_alloc(unsigned long n)
{
	for (unsigned int i = 0; i < nr_free; i++) {
		struct mem_range *r = &free_ranges[i];

		if ((r->end - r->start) / PAGE_SIZE >= n) {
			uint64_t pa = r->start;

			r->start += n * PAGE_SIZE;
			zero_bytes(phys_to_virt(pa), n * PAGE_SIZE);
			return pa;
		}
	}
	return 0;
}

uint64_t frame_alloc(void)
{
	return frames_alloc(1);
}

uint64_t frames_free(void)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < nr_free; i++)
		n += (free_ranges[i].end - free_ranges[i].start) / PAGE_SIZE;
	return n;
}
