/*
 * A bitmap over pfns, one bit per frame, set = free. A frame handed out
 * is mapped in the direct map first (mm/directmap.c maps it, with the
 * rest of its L1, the first time).
 */
#include "kernel/kernel.h"
#include "mm/directmap.h"
#include "mm/frames.h"
#include "mm/layout.h"

static uint64_t free_map[MAX_GUEST_FRAMES / 64];
static unsigned long nr_frames, nr_free, lowest_free;

void frames_init(unsigned long nr)
{
	nr_frames = nr < MAX_GUEST_FRAMES ? nr : MAX_GUEST_FRAMES;
	nr_free = 0;
	lowest_free = nr_frames;
	memset(free_map, 0, sizeof(free_map));
}

bool frame_is_free(unsigned long pfn)
{
	return pfn < nr_frames && (free_map[pfn / 64] >> (pfn % 64)) & 1;
}

void frame_free(unsigned long pfn)
{
	if (pfn >= nr_frames)
		panic("frame_free: pfn %#lx beyond %#lx", pfn, nr_frames);
	if (frame_is_free(pfn))
		panic("frame_free: pfn %#lx freed twice", pfn);
	free_map[pfn / 64] |= 1ull << (pfn % 64);
	nr_free++;
	if (pfn < lowest_free)
		lowest_free = pfn;
}

void frames_release(unsigned long first, unsigned long end)
{
	unsigned long pfn = first;

	if (end > nr_frames)
		end = nr_frames;
	/* Word by word where we can: at 1 GiB this is 262,144 frames at boot. */
	for (; pfn < end && (pfn % 64); pfn++)
		frame_free(pfn);
	for (; pfn + 64 <= end; pfn += 64) {
		if (free_map[pfn / 64])
			panic("frames_release: pfn %#lx freed twice", pfn);
		free_map[pfn / 64] = ~0ull;
		nr_free += 64;
		if (pfn < lowest_free)
			lowest_free = pfn;
	}
	for (; pfn < end; pfn++)
		frame_free(pfn);
}

static void take(unsigned long pfn)
{
	free_map[pfn / 64] &= ~(1ull << (pfn % 64));
	nr_free--;
}

unsigned long frame_alloc(void)
{
	for (unsigned long w = lowest_free / 64; w < (nr_frames + 63) / 64; w++) {
		if (!free_map[w])
			continue;
		unsigned long pfn = w * 64 + __builtin_ctzll(free_map[w]);

		take(pfn);
		lowest_free = pfn + 1;
		directmap_ensure(pfn);
		return pfn;
	}
	lowest_free = nr_frames;
	return FRAME_NONE;
}

unsigned long frame_alloc_run(unsigned long n)
{
	unsigned long run = 0;

	for (unsigned long pfn = lowest_free; pfn < nr_frames && n; pfn++) {
		run = frame_is_free(pfn) ? run + 1 : 0;
		if (run == n) {
			for (unsigned long p = pfn + 1 - n; p <= pfn; p++)
				take(p);
			directmap_ensure(pfn);
			return pfn + 1 - n;
		}
	}
	return FRAME_NONE;
}

unsigned long frames_total(void)
{
	return nr_frames;
}

unsigned long frames_free(void)
{
	return nr_free;
}
