/*
 * parahost's own page tables. The boot code (head.S) maps the first 4 GiB
 * with 2 MiB pages, all read-write-execute, enough to reach C. Here they
 * are replaced, once, by the map parahost runs with:
 *   - page 0 not present: a NULL dereference in parahost faults instead
 *     of reading the real-mode interrupt table;
 *   - parahost's text read-only and executable, its read-only data
 *     read-only, its data and bss read-write: W^X for its own image;
 *   - everything else (firmware areas, frames for guests, device memory
 *     below 4 GiB) read-write and never executable.
 * The image is mapped with 4 KiB pages; the rest keeps 2 MiB pages.
 */
#include "host/boot/boot.h"
#include "host/host.h"
#include "host/x86.h"

#define IDENTITY_LIMIT	(4UL << 30)		/* what the boot tables map */
#define LARGE		(2UL << 20)
#define NR_SMALL_TABLES	8			/* 4 KiB pages for the first 16 MiB (xenstored's store is 6 MiB of bss) */

extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[];

static uint64_t l4[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t l3[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t l2[4][512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t l1[NR_SMALL_TABLES][512] __attribute__((aligned(PAGE_SIZE)));

static uint64_t small_page_flags(uint64_t pa, uint64_t nx)
{
	uint64_t text = virt_to_phys(_text_start), text_end = virt_to_phys(_text_end);
	uint64_t ro = virt_to_phys(_rodata_start), ro_end = virt_to_phys(_rodata_end);

	if (pa == 0)
		return 0;
	if (pa >= text && pa < text_end)
		return PTE_P;				/* RX */
	if (pa >= ro && pa < ro_end)
		return PTE_P | nx;			/* R */
	return PTE_P | PTE_W | nx;			/* RW */
}

void host_paging_init(void)
{
	uint64_t nx = (rdmsr(MSR_EFER) & EFER_NXE) ? PTE_NX : 0;
	uint64_t small_end = (virt_to_phys(_host_end) + LARGE - 1) & ~(LARGE - 1);

	if (small_end > NR_SMALL_TABLES * LARGE)
		panic("parahost's image ends at %#lx: more than %u small-page tables",
		      (unsigned long)virt_to_phys(_host_end), NR_SMALL_TABLES);
	l4[0] = virt_to_phys(l3) | PTE_P | PTE_W;
	for (unsigned int i = 0; i < 4; i++)
		l3[i] = virt_to_phys(l2[i]) | PTE_P | PTE_W;
	for (uint64_t pa = 0; pa < IDENTITY_LIMIT; pa += LARGE) {
		uint64_t *e = &l2[pa >> 30][(pa >> 21) & 511];

		if (pa < small_end) {
			uint64_t *t = l1[pa / LARGE];

			for (unsigned int i = 0; i < 512; i++)
				t[i] = (pa + i * PAGE_SIZE) | small_page_flags(pa + i * PAGE_SIZE, nx);
			*e = virt_to_phys(t) | PTE_P | PTE_W;
		} else {
			*e = pa | PTE_P | PTE_W | PTE_PS | nx;
		}
	}
	/* The boot tables' identity map is a superset: switching is seamless. */
	write_cr3(virt_to_phys(l4));
}
