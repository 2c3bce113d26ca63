/*
 * host/pv/build.c: build domains into a fake "machine memory" with a
 * reversed, offset p2m (pfn n -> mfn BASE_MFN + 8 + nr_pages - 1 - n), then
 * look at the result only the way the guest would: walk the page tables
 * from CR3 like the MMU, read start_info through them, and check the
 * start-of-day contract of public xen.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <CUnit/CUnit.h>
#include <xen/xen.h>
#include <xen/elfnote.h>
#include <xen/features.h>

#include "host/pv/build.h"
#include "lib/elf.h"
#include "tests/unit/elfgen.h"
#include "tests/unit/unit.h"

#define KBASE		0xffffffff80000000ull
#define PG		4096ull
#define BASE_MFN	0x123400ull
#define SHINFO_MADDR	0xfee1000ull
#define CMDLINE		"console=hvc0 unit=1"

#define PTE_P		0x001ull
#define PTE_RW		0x002ull
#define PTE_US		0x004ull
#define PTE_A		0x020ull
#define PTE_D		0x040ull
#define PTE_PS		0x080ull
#define PTE_ADDR	0x000ffffffffff000ull

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

static void *frame(void *ctx, xen_pfn_t mfn)
{
	struct dom *d = ctx;

	if (mfn < BASE_MFN || mfn - BASE_MFN >= d->nr_frames)
		return NULL;
	return d->mem + (mfn - BASE_MFN) * PG;
}

static uint64_t pfn_of_mfn(const struct dom *d, uint64_t mfn)
{
	return d->p.nr_pages - 1 - (mfn - BASE_MFN - 8);
}

/* The image is taken over (freed by dom_free). */
static void dom_init(struct dom *d, unsigned char *image, size_t len,
		     uint64_t nr_pages, bool dom0)
{
	memset(d, 0, sizeof(*d));
	d->image = image;
	d->image_len = len;
	d->nr_frames = nr_pages + 16;
	d->mem = mmap(NULL, d->nr_frames * PG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CU_ASSERT_FATAL(d->mem != MAP_FAILED);
	d->p2m = malloc(nr_pages * sizeof(*d->p2m));
	for (uint64_t pfn = 0; pfn < nr_pages; pfn++)
		d->p2m[pfn] = BASE_MFN + 8 + (nr_pages - 1 - pfn);
	for (size_t i = 0; i < sizeof(d->module); i++)
		d->module[i] = (unsigned char)(i * 31 + 3);
	d->p = (struct pv_build_params){
		.image = image, .image_len = len, .nr_pages = nr_pages,
		.p2m = d->p2m, .frame = frame, .ctx = d,
		.shared_info_maddr = SHINFO_MADDR,
		.console_evtchn = 2, .store_evtchn = 1,
		.cmdline = CMDLINE, .dom0 = dom0,
	};
}

static void dom_free(struct dom *d)
{
	munmap(d->mem, d->nr_frames * PG);
	free(d->p2m);
	free(d->image);
}

static void dom_init_gen(struct dom *d, const struct gen_opts *o,
			 uint64_t nr_pages, bool dom0)
{
	size_t len;
	unsigned char *img = gen_build(o, &len, NULL);

	dom_init(d, img, len, nr_pages, dom0);
}

/* Lay out, fill the region with garbage (to see it zeroed), build. */
static int dom_build(struct dom *d)
{
	struct pv_build_result pre;
	int err = pv_layout(&d->p, &pre, &d->why);

	if (err)
		return err;
	for (uint64_t pfn = 0; pfn < pre.nr_region_pages; pfn++)
		memset(frame(d, d->p2m[pfn]), 0xa5, PG);
	err = pv_build(&d->p, &d->r, &d->why);
	if (err)
		printf("\n  pv_build: %s", d->why);
	return err;
}

/* ---- the guest's view ------------------------------------------------- */

static uint64_t *table_of(struct dom *d, uint64_t entry)
{
	return frame(d, (entry & PTE_ADDR) >> 12);
}

/* Translate va through the page tables (NULL if unmapped). */
static unsigned char *translate(struct dom *d, uint64_t va)
{
	uint64_t *t = frame(d, d->r.cr3 >> 12), e = 0;

	for (int level = 4; level >= 1 && t; level--) {
		e = t[(va >> (12 + 9 * (level - 1))) & 511];
		if (!(e & PTE_P))
			return NULL;
		t = level > 1 ? table_of(d, e) : NULL;
	}
	return (unsigned char *)frame(d, (e & PTE_ADDR) >> 12) + (va & (PG - 1));
}

static uint64_t sign_extend(uint64_t va)
{
	return (va & (1ull << 47)) ? va | 0xffff000000000000ull : va;
}

/*
 * Walk every entry like an MMU. Checks: each mapping is in the region and
 * maps p2m[(va - v_start) >> 12]; tables are exactly the page-table pages,
 * mapped read-only; everything else is read-write; all levels user.
 */
static void check_page_tables(struct dom *d)
{
	const struct pv_build_result *r = &d->r;
	uint64_t leaves = 0, tables = 1, bad = 0;
	uint64_t *l4 = frame(d, r->cr3 >> 12);

	CU_ASSERT_PTR_NOT_NULL_FATAL(l4);
	CU_ASSERT_EQUAL(pfn_of_mfn(d, r->cr3 >> 12), r->pt_pfn);
	for (int i4 = 0; i4 < 512; i4++) {
		uint64_t e4 = l4[i4], *l3;

		if (!e4)
			continue;
		/* Xen's slots stay empty for the host. */
		CU_ASSERT(i4 < 256 || i4 > 271);
		CU_ASSERT_EQUAL(e4 & 0xfff, PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
		CU_ASSERT_PTR_NOT_NULL_FATAL(l3 = table_of(d, e4));
		tables++;
		for (int i3 = 0; i3 < 512; i3++) {
			uint64_t e3 = l3[i3], *l2;

			if (!e3)
				continue;
			CU_ASSERT_EQUAL(e3 & 0xfff, PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
			CU_ASSERT_PTR_NOT_NULL_FATAL(l2 = table_of(d, e3));
			tables++;
			for (int i2 = 0; i2 < 512; i2++) {
				uint64_t e2 = l2[i2], *l1;

				if (!e2)
					continue;
				CU_ASSERT_EQUAL(e2 & 0xfff, PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
				CU_ASSERT_PTR_NOT_NULL_FATAL(l1 = table_of(d, e2));
				tables++;
				for (int i1 = 0; i1 < 512; i1++) {
					uint64_t e1 = l1[i1], va, pfn, mfn;
					bool is_pt;

					if (!e1)
						continue;
					leaves++;
					va = sign_extend((uint64_t)i4 << 39 | (uint64_t)i3 << 30 |
							 (uint64_t)i2 << 21 | (uint64_t)i1 << 12);
					mfn = (e1 & PTE_ADDR) >> 12;
					if (va < r->v_start || va >= r->v_end) {
						bad++;
						continue;
					}
					pfn = (va - r->v_start) >> 12;
					is_pt = pfn >= r->pt_pfn &&
						pfn < r->pt_pfn + r->nr_pt_frames;
					if (mfn != d->p2m[pfn] ||
					    (e1 & 0xfff) != (PTE_P | PTE_US | PTE_A |
							     (is_pt ? 0 : PTE_RW)) ||
					    (e1 >> 52))
						bad++;
				}
			}
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(leaves, r->nr_region_pages);
	CU_ASSERT_EQUAL(tables, r->nr_pt_frames);
	CU_ASSERT_EQUAL(tables, 1 + r->nr_l3 + r->nr_l2 + r->nr_l1);
	if (bad || leaves != r->nr_region_pages || tables != r->nr_pt_frames)
		printf("\n  %llu bad leaves, %llu leaves (want %llu), %llu tables (want %llu)",
		       (unsigned long long)bad, (unsigned long long)leaves,
		       (unsigned long long)r->nr_region_pages,
		       (unsigned long long)tables,
		       (unsigned long long)r->nr_pt_frames);
}

/* Xen's two table orders: libxc level by level, dom0 L1-first. */
static void check_table_order(struct dom *d)
{
	const struct pv_build_result *r = &d->r;
	uint64_t *l4 = frame(d, r->cr3 >> 12), va = r->v_start;
	uint64_t e4 = l4[(va >> 39) & 511];
	uint64_t e3 = table_of(d, e4)[(va >> 30) & 511];
	uint64_t e2 = table_of(d, e3)[(va >> 21) & 511];
	uint64_t l3 = pfn_of_mfn(d, e4 >> 12), l2 = pfn_of_mfn(d, (e3 & PTE_ADDR) >> 12);
	uint64_t l1 = pfn_of_mfn(d, (e2 & PTE_ADDR) >> 12);

	if (d->p.dom0) {
		CU_ASSERT_EQUAL(l1, r->pt_pfn + 1);
		CU_ASSERT_EQUAL(l2, r->pt_pfn + 2);
		CU_ASSERT_EQUAL(l3, r->pt_pfn + 3);
	} else {
		CU_ASSERT_EQUAL(l3, r->pt_pfn + 1);
		CU_ASSERT_EQUAL(l2, r->pt_pfn + 1 + r->nr_l3);
		CU_ASSERT_EQUAL(l1, r->pt_pfn + 1 + r->nr_l3 + r->nr_l2);
	}
}

static bool zero_range(struct dom *d, uint64_t va, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++) {
		unsigned char *b = translate(d, va + i);

		if (!b || *b)
			return false;
	}
	return true;
}

static bool range_equals(struct dom *d, uint64_t va, const unsigned char *want,
			 uint64_t len)
{
	for (uint64_t i = 0; i < len; i++) {
		unsigned char *b = translate(d, va + i);

		if (!b || *b != want[i])
			return false;
	}
	return true;
}

/* The layout rules of public xen.h "Start-of-day memory layout". */
static void check_layout(struct dom *d)
{
	const struct pv_build_result *r = &d->r;
	uint64_t stack_end = r->stack_va + PG;

	CU_ASSERT_EQUAL(r->v_end % (4ull << 20), 0);
	CU_ASSERT_EQUAL(r->v_end - r->v_start, r->nr_region_pages * PG);
	CU_ASSERT(r->v_end - stack_end >= 512 * 1024);
	CU_ASSERT(r->nr_region_pages <= d->p.nr_pages);
	CU_ASSERT(r->kernel_va >= r->v_start);
	CU_ASSERT(r->p2m_va >= r->kernel_end);
	if (r->module_va)
		CU_ASSERT(r->module_va >= r->kernel_end &&
			  r->p2m_va >= r->module_va + d->p.module_len);
	CU_ASSERT_EQUAL(r->p2m_pages, (d->p.nr_pages * 8 + PG - 1) / PG);
	CU_ASSERT(r->start_info_va >= r->p2m_va + d->p.nr_pages * 8);
	if (d->p.dom0) {
		CU_ASSERT_EQUAL(r->pt_va, r->start_info_va + PG);
	} else {
		CU_ASSERT_EQUAL(r->store_va, r->start_info_va + PG);
		CU_ASSERT_EQUAL(r->console_va, r->store_va + PG);
		CU_ASSERT_EQUAL(r->pt_va, r->console_va + PG);
	}
	CU_ASSERT_EQUAL(r->stack_va, r->pt_va + r->nr_pt_frames * PG);
	CU_ASSERT_EQUAL(r->p2m_va % PG, 0);
	CU_ASSERT_EQUAL(r->start_info_va % PG, 0);
	CU_ASSERT_EQUAL(r->pt_va, r->v_start + r->pt_pfn * PG);
}

static void check_start_info(struct dom *d)
{
	const struct pv_build_result *r = &d->r;
	const start_info_t *si = (const start_info_t *)translate(d, r->rsi);

	CU_ASSERT_PTR_NOT_NULL_FATAL(si);
	CU_ASSERT_STRING_EQUAL(si->magic, "xen-3.0-x86_64");
	CU_ASSERT_EQUAL(si->nr_pages, d->p.nr_pages);
	CU_ASSERT_EQUAL(si->shared_info, SHINFO_MADDR);
	CU_ASSERT_EQUAL(si->pt_base, r->pt_va);
	CU_ASSERT_EQUAL(si->nr_pt_frames, r->nr_pt_frames);
	CU_ASSERT_EQUAL(si->mfn_list, r->p2m_va);
	CU_ASSERT_EQUAL(si->mod_start, r->mod_start);
	CU_ASSERT_EQUAL(si->mod_len, r->mod_len);
	CU_ASSERT_STRING_EQUAL((const char *)si->cmd_line, CMDLINE);
	CU_ASSERT_EQUAL(si->first_p2m_pfn, r->first_p2m_pfn);
	CU_ASSERT_EQUAL(si->nr_p2m_frames, r->nr_p2m_frames);
	if (d->p.dom0) {
		CU_ASSERT_EQUAL(si->flags & (SIF_PRIVILEGED | SIF_INITDOMAIN),
				SIF_PRIVILEGED | SIF_INITDOMAIN);
		CU_ASSERT_EQUAL(si->store_mfn, 0);
		CU_ASSERT_EQUAL(si->console.dom0.info_off, 0);
	} else {
		CU_ASSERT_EQUAL(si->flags & ~SIF_MOD_START_PFN, 0);
		CU_ASSERT_EQUAL(si->store_mfn, d->p2m[r->store_pfn]);
		CU_ASSERT_EQUAL(si->store_evtchn, 1);
		CU_ASSERT_EQUAL(si->console.domU.mfn, d->p2m[r->console_pfn]);
		CU_ASSERT_EQUAL(si->console.domU.evtchn, 2);
		CU_ASSERT_EQUAL(r->store_mfn, si->store_mfn);
		CU_ASSERT_EQUAL(r->console_mfn, si->console.domU.mfn);
		/* The rings start zeroed. */
		CU_ASSERT(zero_range(d, r->store_va, PG));
		CU_ASSERT(zero_range(d, r->console_va, PG));
	}
	CU_ASSERT(zero_range(d, r->start_info_va + sizeof(*si), PG - sizeof(*si)));

	/* mfn_list, read through the guest's mapping, is the p2m. */
	for (uint64_t pfn = 0; pfn < d->p.nr_pages; pfn += 1 + pfn / 7) {
		const xen_pfn_t *e = (const xen_pfn_t *)translate(d, si->mfn_list + pfn * 8);

		CU_ASSERT_FATAL(e != NULL);
		if (*e != d->p2m[pfn]) {
			CU_FAIL("mfn_list differs from the p2m");
			break;
		}
	}
}

static void check_registers(struct dom *d)
{
	const struct pv_build_result *r = &d->r;

	CU_ASSERT_EQUAL(r->rip, r->img.virt_entry);
	CU_ASSERT_EQUAL(r->rsp, r->stack_va + PG);
	CU_ASSERT_EQUAL(r->rsi, r->start_info_va);
	CU_ASSERT_EQUAL(r->rflags, 0x200);
	CU_ASSERT_EQUAL(r->l4_mfn, d->p2m[r->pt_pfn]);
	CU_ASSERT_EQUAL(r->cr3, (uint64_t)d->p2m[r->pt_pfn] << 12);
	CU_ASSERT(zero_range(d, r->stack_va, PG));
	if (r->img.hypercall_page != XEN_IMAGE_UNSET) {
		CU_ASSERT_EQUAL(r->hypercall_va, r->img.hypercall_page);
		CU_ASSERT_EQUAL(r->hypercall_mfn, d->p2m[r->hypercall_pfn]);
		CU_ASSERT_PTR_EQUAL(translate(d, r->hypercall_va),
				    frame(d, r->hypercall_mfn));
	}
}

/* Kernel bytes as in the file, bss zero; below the kernel and padding zero. */
static void check_contents(struct dom *d)
{
	const struct pv_build_result *r = &d->r;

	for (unsigned int i = 0; i < r->img.nr_segments; i++) {
		const struct elf_segment *s = &r->img.seg[i];
		uint64_t va = s->paddr + r->img.virt_offset;

		CU_ASSERT(range_equals(d, va, d->image + s->offset, s->filesz));
		CU_ASSERT(zero_range(d, va + s->filesz, s->memsz - s->filesz));
	}
	CU_ASSERT(zero_range(d, r->v_start, r->kernel_va - r->v_start));
	CU_ASSERT(zero_range(d, r->stack_va + PG, r->v_end - r->stack_va - PG));
}

/* Everything a successful build must satisfy. */
static void check_domain(struct dom *d)
{
	check_page_tables(d);
	check_table_order(d);
	check_layout(d);
	check_start_info(d);
	check_registers(d);
	check_contents(d);
}

/* ---- tests ------------------------------------------------------------ */

/* The numbers worked out by hand from libxc's and Xen's builders. */
static void test_exact_layout(void)
{
	struct gen_opts o;
	struct dom d;

	gen_default(&o, KBASE);
	dom_init_gen(&d, &o, 8192, false);
	CU_ASSERT_EQUAL_FATAL(dom_build(&d), 0);
	check_domain(&d);
	/* kernel 6 pages, p2m 16, start_info, xenstore, console, then
	 * 5 tables (L4, L3, L2, 2 L1s for 4 MiB), stack, pad to 4 MiB. */
	CU_ASSERT_EQUAL(d.r.kernel_pfn, 0);
	CU_ASSERT_EQUAL(d.r.kernel_pages, 6);
	CU_ASSERT_EQUAL(d.r.p2m_pfn, 6);
	CU_ASSERT_EQUAL(d.r.start_info_pfn, 22);
	CU_ASSERT_EQUAL(d.r.store_pfn, 23);
	CU_ASSERT_EQUAL(d.r.console_pfn, 24);
	CU_ASSERT_EQUAL(d.r.pt_pfn, 25);
	CU_ASSERT_EQUAL(d.r.nr_pt_frames, 5);
	CU_ASSERT_EQUAL(d.r.stack_pfn, 30);
	CU_ASSERT_EQUAL(d.r.v_end, KBASE + (4 << 20));
	CU_ASSERT_EQUAL(d.r.rsp, KBASE + 31 * PG);
	CU_ASSERT_EQUAL(d.r.rip, KBASE + 0x40);
	CU_ASSERT_EQUAL(d.r.hypercall_pfn, 1);
	CU_ASSERT_EQUAL(d.r.si_flags, 0);
	CU_ASSERT_EQUAL(d.r.first_p2m_pfn, 0);
	dom_free(&d);

	/* dom0: no xenstore/console pages, tables from 2 up: 5 again. */
	gen_default(&o, KBASE);
	dom_init_gen(&d, &o, 8192, true);
	CU_ASSERT_EQUAL_FATAL(dom_build(&d), 0);
	check_domain(&d);
	CU_ASSERT_EQUAL(d.r.start_info_pfn, 22);
	CU_ASSERT_EQUAL(d.r.pt_pfn, 23);
	CU_ASSERT_EQUAL(d.r.nr_pt_frames, 5);
	CU_ASSERT_EQUAL(d.r.stack_pfn, 28);
	CU_ASSERT_EQUAL(d.r.v_end, KBASE + (4 << 20));
	CU_ASSERT_EQUAL(d.r.si_flags, SIF_PRIVILEGED | SIF_INITDOMAIN);
	CU_ASSERT_EQUAL(d.r.first_p2m_pfn, 1024);	/* 2^order pages */
	dom_free(&d);
}

/* Different places and sizes: tables across 1 GiB and 512 GiB lines. */
static void test_region_positions(void)
{
	static const struct { uint64_t base, nr_pages; uint64_t l3, l2; } cases[] = {
		{ KBASE, 8192, 1, 1 },
		{ 0, 8192, 1, 1 },
		{ 0x3ffc0000, 8192, 1, 2 },		/* crosses 1 GiB */
		{ 0x7ffffc0000, 8192, 2, 2 },		/* crosses 512 GiB */
		{ KBASE, 300000, 1, 1 },		/* p2m > 2 MiB */
		{ 0x7fffff000000, 4096, 1, 1 },		/* top of the low half */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int dom0 = 0; dom0 < 2; dom0++) {
			struct gen_opts o;
			struct dom d;

			gen_default(&o, cases[i].base);
			dom_init_gen(&d, &o, cases[i].nr_pages, dom0);
			CU_ASSERT_EQUAL_FATAL(dom_build(&d), 0);
			check_domain(&d);
			CU_ASSERT_EQUAL(d.r.nr_l3, cases[i].l3);
			CU_ASSERT_EQUAL(d.r.nr_l2, cases[i].l2);
			dom_free(&d);
		}
	}
}

/* Linux-style image: paddr from 0, VIRT_BASE only. */
static void test_paddr_bias(void)
{
	struct gen_opts o;
	struct dom d;

	gen_default(&o, KBASE);
	o.paddr_bias = KBASE;
	gen_drop_note(&o, XEN_ELFNOTE_PADDR_OFFSET);
	dom_init_gen(&d, &o, 8192, false);
	CU_ASSERT_EQUAL_FATAL(dom_build(&d), 0);
	check_domain(&d);
	CU_ASSERT_EQUAL(d.r.kernel_va, KBASE);
	dom_free(&d);
}

static void test_module(void)
{
	for (int dom0 = 0; dom0 < 2; dom0++) {
		struct gen_opts o;
		struct dom d;

		/* Mapped after the kernel. */
		gen_default(&o, KBASE);
		dom_init_gen(&d, &o, 8192, dom0);
		d.p.module = d.module;
		d.p.module_len = sizeof(d.module);
		CU_ASSERT_EQUAL_FATAL(dom_build(&d), 0);
		check_domain(&d);
		CU_ASSERT_EQUAL(d.r.module_va, d.r.kernel_end);
		CU_ASSERT_EQUAL(d.r.mod_start, d.r.module_va);
		/* libxc hands a domU whole pages; Xen's dom0 the length. */
		CU_ASSERT_EQUAL(d.r.mod_len, dom0 ? sizeof(d.module) : 2 * PG);
		CU_ASSERT(range_equals(&d, d.r.module_va, d.module, sizeof(d.module)));
		CU_ASSERT(zero_range(&d, d.r.module_va + sizeof(d.module),
				     2 * PG - sizeof(d.module)));
		CU_ASSERT_EQUAL(d.r.p2m_pfn, 8);
		dom_free(&d);

		/* MOD_START_PFN: after the region, by pfn. */
		gen_default(&o, KBASE);
		gen_note_num(&o, XEN_ELFNOTE_MOD_START_PFN, 1, 4);
		dom_init_gen(&d, &o, 8192, dom0);
		d.p.module = d.module;
		d.p.module_len = sizeof(d.module);
		CU_ASSERT_EQUAL_FATAL(dom_build(&d), 0);
		check_domain(&d);
		CU_ASSERT(d.r.si_flags & SIF_MOD_START_PFN);
		CU_ASSERT_EQUAL(d.r.module_va, 0);
		CU_ASSERT_EQUAL(d.r.mod_start, d.r.module_pfn);
		CU_ASSERT(d.r.module_pfn >= d.r.nr_region_pages);
		CU_ASSERT_EQUAL(d.r.module_pfn, dom0 ? 1024 : d.r.nr_region_pages);
		CU_ASSERT_EQUAL(memcmp(frame(&d, d.p2m[d.r.module_pfn]), d.module, PG), 0);
		CU_ASSERT_EQUAL(memcmp(frame(&d, d.p2m[d.r.module_pfn + 1]),
				       d.module + PG, sizeof(d.module) - PG), 0);
		CU_ASSERT_EQUAL(d.r.p2m_pfn, 6);
		dom_free(&d);
	}
}

/* Xen's dom0 builder loads a kernel that does not start on a page. */
static void test_unaligned_kernel(void)
{
	struct gen_opts o;
	struct dom d;

	gen_default(&o, KBASE + 0x100);
	gen_note_num(&o, XEN_ELFNOTE_VIRT_BASE, KBASE, 8);
	gen_note_num(&o, XEN_ELFNOTE_PADDR_OFFSET, KBASE, 8);
	gen_note_num(&o, XEN_ELFNOTE_HYPERCALL_PAGE, KBASE + PG, 8);
	dom_init_gen(&d, &o, 8192, true);
	CU_ASSERT_EQUAL_FATAL(dom_build(&d), 0);
	check_domain(&d);
	CU_ASSERT_EQUAL(d.r.kernel_va, KBASE + 0x100);
	dom_free(&d);

	dom_init_gen(&d, &o, 8192, false);
	CU_ASSERT_EQUAL(dom_build(&d), PV_BUILD_ELAYOUT);
	CU_ASSERT_STRING_EQUAL(d.why, "kernel start not page-aligned");
	dom_free(&d);
}

/* pv_layout alone neither calls frame() nor needs a p2m. */
static void test_layout_is_pure(void)
{
	struct gen_opts o;
	struct pv_build_params p = { .nr_pages = 8192 };
	struct pv_build_result r;
	unsigned char *img;
	size_t len;
	const char *why = NULL;

	gen_default(&o, KBASE);
	img = gen_build(&o, &len, NULL);
	p.image = img;
	p.image_len = len;
	CU_ASSERT_EQUAL(pv_layout(&p, &r, &why), 0);
	CU_ASSERT_EQUAL(r.pt_pfn, 25);
	CU_ASSERT_EQUAL(r.l4_mfn, 0);
	/* ... and pv_build refuses without them. */
	CU_ASSERT_EQUAL(pv_build(&p, &r, &why), PV_BUILD_EFRAME);
	CU_ASSERT_STRING_EQUAL(why, "no p2m or frame callback");
	free(img);
}

/* Build and expect a refusal with exactly this reason. */
static void expect_refused(struct dom *d, int want_err, const char *want_why)
{
	int err = pv_build(&d->p, &d->r, &d->why);

	CU_ASSERT_EQUAL(err, want_err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d->why);
	CU_ASSERT_STRING_EQUAL(d->why, want_why);
	if (err != want_err || strcmp(d->why, want_why))
		printf("\n  got %d \"%s\", want %d \"%s\"", err, d->why,
		       want_err, want_why);
	dom_free(d);
}

static void refuse_gen(const struct gen_opts *o, uint64_t nr_pages, bool dom0,
		       uint32_t host_features, int err, const char *why)
{
	struct dom d;

	dom_init_gen(&d, o, nr_pages, dom0);
	d.p.host_features = host_features;
	expect_refused(&d, err, why);
}

static void test_refusals(void)
{
	static const unsigned char junk[64] = "not a kernel";
	struct gen_opts o;
	struct dom d;

	dom_init(&d, memcpy(malloc(sizeof(junk)), junk, sizeof(junk)),
		 sizeof(junk), 8192, false);
	expect_refused(&d, XEN_IMAGE_EFORMAT, "not an ELF file");

	gen_default(&o, KBASE);
	o.nr_notes = 0;
	refuse_gen(&o, 8192, false, 0, XEN_IMAGE_ENONOTES, "no Xen notes");
	gen_default(&o, KBASE);
	o.ei_class = ELFCLASS32;
	refuse_gen(&o, 8192, false, 0, XEN_IMAGE_EUNSUPPORTED, "not 64-bit");
	gen_default(&o, KBASE);
	gen_note_str(&o, XEN_ELFNOTE_XEN_VERSION, "xen-4.17");
	refuse_gen(&o, 8192, false, 0, XEN_IMAGE_EREFUSED, "not built for xen-3.0");
	gen_default(&o, KBASE);
	gen_note_str(&o, XEN_ELFNOTE_LOADER, "elf");
	refuse_gen(&o, 8192, false, 0, XEN_IMAGE_EREFUSED, "not for the generic loader");

	/* Required features: the host's set decides. */
	gen_default(&o, KBASE);
	gen_note_str(&o, XEN_ELFNOTE_FEATURES, "!writable_page_tables");
	refuse_gen(&o, 8192, false, 0, PV_BUILD_EREFUSED,
		   "kernel requires a feature the host lacks");
	dom_init_gen(&d, &o, 8192, false);
	d.p.host_features = 1u << XENFEAT_writable_page_tables;
	CU_ASSERT_EQUAL(dom_build(&d), 0);
	dom_free(&d);
	gen_default(&o, KBASE);
	gen_note_str(&o, XEN_ELFNOTE_FEATURES, "!dom0");
	refuse_gen(&o, 8192, false, 0, PV_BUILD_EREFUSED, "kernel requires dom0");
	dom_init_gen(&d, &o, 8192, true);
	CU_ASSERT_EQUAL(dom_build(&d), 0);
	dom_free(&d);
	gen_default(&o, KBASE);
	gen_note_num(&o, XEN_ELFNOTE_SUPPORTED_FEATURES, 0, 4);
	refuse_gen(&o, 8192, true, 0, PV_BUILD_EREFUSED, "kernel does not support dom0");
	gen_default(&o, KBASE);
	gen_note_str(&o, XEN_ELFNOTE_FEATURES, "!supervisor_mode_kernel");
	refuse_gen(&o, 8192, true, ~0u, PV_BUILD_EREFUSED,
		   "kernel requires supervisor mode");
	gen_default(&o, KBASE);
	gen_note_str(&o, XEN_ELFNOTE_BSD_SYMTAB, "yes");
	refuse_gen(&o, 8192, false, 0, PV_BUILD_EREFUSED, "BSD_SYMTAB not supported");

	/* Too few pages: libxc's and Xen's checks. */
	gen_default(&o, KBASE);
	refuse_gen(&o, 5, false, 0, PV_BUILD_ENOMEM, "too few pages for the layout");
	refuse_gen(&o, 20, false, 0, PV_BUILD_ENOMEM,
		   "too few pages for the bootstrap region");
	refuse_gen(&o, 1000, false, 0, PV_BUILD_ENOMEM,
		   "too few pages for the bootstrap region");
	refuse_gen(&o, 1023, true, 0, PV_BUILD_ENOMEM,
		   "too few pages for the bootstrap region");
	refuse_gen(&o, 0, false, 0, PV_BUILD_ENOMEM, "too few pages for the layout");
	dom_init_gen(&d, &o, 1024, false);		/* exactly enough */
	CU_ASSERT_EQUAL(dom_build(&d), 0);
	dom_free(&d);
	dom_init_gen(&d, &o, 1024, true);
	CU_ASSERT_EQUAL(dom_build(&d), 0);
	dom_free(&d);

	/* Where the region may not go. */
	gen_default(&o, HYPERVISOR_VIRT_START);
	refuse_gen(&o, 8192, false, 0, PV_BUILD_ELAYOUT,
		   "image overlaps Xen's reserved area");
	gen_default(&o, HYPERVISOR_VIRT_END - PG);
	refuse_gen(&o, 8192, true, 0, PV_BUILD_ELAYOUT,
		   "image overlaps Xen's reserved area");
	gen_default(&o, 0x7ffffffc0000ull);
	refuse_gen(&o, 8192, false, 0, PV_BUILD_ELAYOUT,
		   "bootstrap region not canonical");
	gen_default(&o, 0xfffffffffff00000ull);
	refuse_gen(&o, 8192, false, 0, PV_BUILD_ELAYOUT, "bootstrap region wraps");
	refuse_gen(&o, 8192, true, 0, PV_BUILD_ELAYOUT, "bootstrap region wraps");
	gen_default(&o, KBASE + 0x800);
	gen_note_num(&o, XEN_ELFNOTE_HYPERCALL_PAGE, KBASE + PG, 8);
	refuse_gen(&o, 8192, false, 0, PV_BUILD_ELAYOUT, "VIRT_BASE not page-aligned");
}

static void test_bad_frames(void)
{
	struct gen_opts o;
	struct dom d;

	gen_default(&o, KBASE);
	/* An entry inside the region, and one far beyond it. */
	dom_init_gen(&d, &o, 8192, false);
	d.p2m[7] = 0x42;
	CU_ASSERT_EQUAL(pv_build(&d.p, &d.r, &d.why), PV_BUILD_EFRAME);
	CU_ASSERT_STRING_EQUAL(d.why, "p2m entry rejected by frame()");
	CU_ASSERT_EQUAL(d.r.bad_pfn, 7);
	dom_free(&d);
	dom_init_gen(&d, &o, 8192, true);
	d.p2m[8191] = BASE_MFN + d.nr_frames;	/* one past the end */
	CU_ASSERT_EQUAL(pv_build(&d.p, &d.r, &d.why), PV_BUILD_EFRAME);
	CU_ASSERT_EQUAL(d.r.bad_pfn, 8191);
	dom_free(&d);
	/* A module length with no module. */
	dom_init_gen(&d, &o, 8192, false);
	d.p.module_len = 100;
	expect_refused(&d, PV_BUILD_EFRAME, "module length without a module");
}

/* ---- the real guest -------------------------------------------------- */

static void build_real(bool dom0)
{
	size_t len;
	unsigned char *img = unit_read_file(unit_paraos_path, &len);
	struct dom d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	dom_init(&d, img, len, 16384, dom0);
	d.p.host_features = ~0u;
	CU_ASSERT_EQUAL_FATAL(dom_build(&d), 0);
	check_domain(&d);
	printf(" (%s: region %#llx-%#llx, %llu pt frames, rip %#llx)",
	       dom0 ? "dom0" : "domU",
	       (unsigned long long)d.r.v_start, (unsigned long long)d.r.v_end,
	       (unsigned long long)d.r.nr_pt_frames,
	       (unsigned long long)d.r.rip);
	dom_free(&d);
}

static void test_real_paraos_domu(void)
{
	build_real(false);
}

static void test_real_paraos_dom0(void)
{
	build_real(true);
}

int suite_pvbuild(void)
{
	CU_pSuite s = unit_add_suite("pvbuild");
	FILE *f;

	if (!s)
		return -1;
	ADD_TEST(s, test_exact_layout);
	ADD_TEST(s, test_region_positions);
	ADD_TEST(s, test_paddr_bias);
	ADD_TEST(s, test_module);
	ADD_TEST(s, test_unaligned_kernel);
	ADD_TEST(s, test_layout_is_pure);
	ADD_TEST(s, test_refusals);
	ADD_TEST(s, test_bad_frames);
	if ((f = fopen(unit_paraos_path, "rb"))) {
		fclose(f);
		ADD_TEST(s, test_real_paraos_domu);
		ADD_TEST(s, test_real_paraos_dom0);
	} else {
		unit_skip("pvbuild/test_real_paraos_domu", "build/paraos not built");
		unit_skip("pvbuild/test_real_paraos_dom0", "build/paraos not built");
	}
	return 0;
}
