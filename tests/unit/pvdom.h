/*
 * A fake machine for the PV builder tests, and the guest's view of what
 * was built: "machine memory" mmap'd lazily, a reversed and offset p2m
 * (pfn n -> mfn BASE_MFN + 8 + nr_pages - 1 - n), a page-table walker
 * that reads memory only as the MMU would, and the checks of public xen.h
 * "Start-of-day memory layout" that every successful build must pass.
 */
#ifndef TESTS_UNIT_PVDOM_H
#define TESTS_UNIT_PVDOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>

#include "host/pv/build.h"
#include "tests/unit/elfgen.h"

#define KBASE		0xffffffff80000000ull
#define PG		4096ull
#define BASE_MFN	0x123400ull
#define SHINFO_MADDR	0xfee1000ull
#define CMDLINE		"console=hvc0 unit=1"

struct dom {
	unsigned char *mem;		/* machine memory, mmap'd lazily */
	uint64_t nr_frames;
	xen_pfn_t *p2m;
	unsigned char *image;
	size_t image_len;
	unsigned char module[5000];
	struct pv_build_params p;
	struct pv_build_result r;
	const char *why;
};

/* The builder's frame(): host pointer to machine frame mfn, or NULL. */
void *dom_frame(void *ctx, xen_pfn_t mfn);
uint64_t pfn_of_mfn(const struct dom *d, uint64_t mfn);

/* A domain of nr_pages over image (taken over: dom_free frees it). */
void dom_init(struct dom *d, unsigned char *image, size_t len,
	      uint64_t nr_pages, bool dom0);
void dom_init_gen(struct dom *d, const struct gen_opts *o,
		  uint64_t nr_pages, bool dom0);
void dom_free(struct dom *d);

/* Lay out, fill the region with garbage (to see it zeroed), build. */
int dom_build(struct dom *d);

/* va through the guest's page tables: host pointer, or NULL if unmapped. */
unsigned char *translate(struct dom *d, uint64_t va);
bool zero_range(struct dom *d, uint64_t va, uint64_t len);
bool range_equals(struct dom *d, uint64_t va, const unsigned char *want,
		  uint64_t len);

/* Everything a successful build must satisfy (CUnit asserts). */
void check_domain(struct dom *d);

#endif
