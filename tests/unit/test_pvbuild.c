/*
 * host/pv/build.c: build domains into a fake machine (pvdom.h), then look
 * at the result only the way the guest would (check_domain), plus exact
 * layouts worked out by hand and every refusal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include <xen/xen.h>
#include <xen/elfnote.h>
#include <xen/features.h>
#include <xen/platform.h>

#include "host/pv/build.h"
#include "lib/elf.h"
#include "tests/unit/elfgen.h"
#include "tests/unit/pvdom.h"
#include "tests/unit/unit.h"

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
	CU_ASSERT_EQUAL(d.r.entry_rsp, KBASE + 31 * PG);
	CU_ASSERT_EQUAL(d.r.entry_rip, KBASE + 0x40);
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
	CU_ASSERT_EQUAL(d.r.si_flags, SIF_PRIVILEGED | SIF_INITDOMAIN |
			(XEN_PROCESSOR_PM_PX << 8));
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
		CU_ASSERT_EQUAL(memcmp(dom_frame(&d, d.p2m[d.r.module_pfn]), d.module, PG), 0);
		CU_ASSERT_EQUAL(memcmp(dom_frame(&d, d.p2m[d.r.module_pfn + 1]),
				       d.module + PG, sizeof(d.module) - PG), 0);
		CU_ASSERT_EQUAL(d.r.p2m_pfn, 6);
		dom_free(&d);
	}
}

/*
 * INIT_P2M below VIRT_BASE (Linux asks for 512 GiB): libxc maps the p2m
 * there with tables of its own, its frames after the region and after an
 * unmapped module; elsewhere, or unaligned, or for dom0, it is ignored.
 */
static void test_init_p2m(void)
{
	static const struct { uint64_t kbase, p2m; bool mod; uint64_t l3, l2, l1; } apart[] = {
		{ KBASE, 1ull << 39, false, 1, 1, 1 },		/* its own L4 slot */
		{ KBASE, 1ull << 39, true, 1, 1, 1 },		/* after the module */
		{ KBASE, KBASE - (1ull << 30), false, 0, 1, 1 },	/* the region's L3 */
		{ KBASE + (16 << 20), KBASE + (8 << 20), false, 0, 0, 1 }, /* its L2 */
		{ KBASE + (17 << 20), KBASE + (16 << 20), false, 0, 0, 0 }, /* its L1 */
	};
	struct gen_opts o;
	struct dom d;

	for (size_t i = 0; i < sizeof(apart) / sizeof(apart[0]); i++) {
		gen_default(&o, apart[i].kbase);
		gen_note_num(&o, XEN_ELFNOTE_INIT_P2M, apart[i].p2m, 8);
		if (apart[i].mod)
			gen_note_num(&o, XEN_ELFNOTE_MOD_START_PFN, 1, 4);
		dom_init_gen(&d, &o, 8192, false);
		if (apart[i].mod) {
			d.p.module = d.module;
			d.p.module_len = sizeof(d.module);
		}
		CU_ASSERT_EQUAL_FATAL(dom_build(&d), 0);
		check_domain(&d);
		CU_ASSERT(d.r.p2m_apart);
		/* kernel 6, start_info, xenstore, console, 5 tables, stack: 4 MiB. */
		CU_ASSERT_EQUAL(d.r.start_info_pfn, 6);
		CU_ASSERT_EQUAL(d.r.pt_pfn, 9);
		CU_ASSERT_EQUAL(d.r.nr_pt_frames, 5);
		if (apart[i].kbase == KBASE)
			CU_ASSERT_EQUAL(d.r.nr_region_pages, 1024);
		CU_ASSERT_EQUAL(d.r.p2m_pfn, d.r.nr_region_pages + (apart[i].mod ? 2 : 0));
		CU_ASSERT_EQUAL(d.r.p2m_count[3], apart[i].l3);
		CU_ASSERT_EQUAL(d.r.p2m_count[2], apart[i].l2);
		CU_ASSERT_EQUAL(d.r.p2m_count[1], apart[i].l1);
		CU_ASSERT_EQUAL(d.r.nr_p2m_frames, 16 + apart[i].l3 + apart[i].l2 + apart[i].l1);
		dom_free(&d);
	}

	/* Ignored: at or above VIRT_BASE, not page-aligned, or dom0. */
	for (int k = 0; k < 3; k++) {
		gen_default(&o, KBASE);
		gen_note_num(&o, XEN_ELFNOTE_INIT_P2M, k == 0 ? 0xffffffffc0000000ull :
			     (1ull << 39) + (k == 1 ? 8 : 0), 8);
		dom_init_gen(&d, &o, 8192, k == 2);
		CU_ASSERT_EQUAL_FATAL(dom_build(&d), 0);
		check_domain(&d);
		CU_ASSERT(!d.r.p2m_apart);
		CU_ASSERT_EQUAL(d.r.p2m_pfn, 6);
		dom_free(&d);
	}

	/* Refused: past the low half's end, in Xen's area, into the region, too little RAM. */
	for (int k = 0; k < 2; k++) {
		gen_default(&o, KBASE);
		gen_note_num(&o, XEN_ELFNOTE_INIT_P2M, k ? HYPERVISOR_VIRT_START : (1ull << 47) - PG, 8);
		dom_init_gen(&d, &o, 8192, false);
		CU_ASSERT_EQUAL(dom_build(&d), PV_BUILD_ELAYOUT);
		CU_ASSERT_STRING_EQUAL(d.why, "INIT_P2M mapping not canonical or in Xen's area");
		dom_free(&d);
	}
	gen_default(&o, KBASE);
	gen_note_num(&o, XEN_ELFNOTE_INIT_P2M, KBASE - 4 * PG, 8);
	dom_init_gen(&d, &o, 8192, false);
	CU_ASSERT_EQUAL(dom_build(&d), PV_BUILD_ELAYOUT);
	CU_ASSERT_STRING_EQUAL(d.why, "INIT_P2M overlaps the bootstrap region");
	dom_free(&d);
	gen_default(&o, KBASE);
	gen_note_num(&o, XEN_ELFNOTE_INIT_P2M, 1ull << 39, 8);
	dom_init_gen(&d, &o, 1026, false);
	CU_ASSERT_EQUAL(dom_build(&d), PV_BUILD_ENOMEM);
	CU_ASSERT_STRING_EQUAL(d.why, "too few pages for the p2m mapping");
	dom_free(&d);
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
		       uint32_t unsupported, int err, const char *why)
{
	struct dom d;

	dom_init_gen(&d, o, nr_pages, dom0);
	d.p.unsupported_features = unsupported;
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

	/*
	 * Required features. Like Xen, by default only the names and the
	 * dom0 rules count: Linux's "!writable_page_tables" boots.
	 */
	gen_default(&o, KBASE);
	gen_note_str(&o, XEN_ELFNOTE_FEATURES,
		     "!writable_page_tables|pae_pgdir_above_4gb");
	dom_init_gen(&d, &o, 8192, false);
	CU_ASSERT_EQUAL(dom_build(&d), 0);
	dom_free(&d);
	refuse_gen(&o, 8192, false, 1u << XENFEAT_writable_page_tables,
		   PV_BUILD_EREFUSED, "kernel requires a feature the host lacks");
	refuse_gen(&o, 8192, true, 1u << XENFEAT_writable_page_tables,
		   PV_BUILD_EREFUSED, "kernel requires a feature the host lacks");
	dom_init_gen(&d, &o, 8192, false);		/* not required: fine */
	d.p.unsupported_features = 1u << XENFEAT_pae_pgdir_above_4gb;
	CU_ASSERT_EQUAL(dom_build(&d), 0);
	dom_free(&d);
	gen_note_str(&o, XEN_ELFNOTE_FEATURES, "!no_such_feature");
	refuse_gen(&o, 8192, false, 0, XEN_IMAGE_EBADNOTE, "unknown required feature");
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
	refuse_gen(&o, 8192, true, 0, PV_BUILD_EREFUSED,
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
	for (int dom0 = 0; dom0 < 2; dom0++) {		/* a huge module */
		dom_init_gen(&d, &o, 8192, dom0);
		d.p.module = d.module;
		d.p.module_len = SIZE_MAX;
		expect_refused(&d, PV_BUILD_ENOMEM, "too few pages for the layout");
	}
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
	CU_ASSERT_EQUAL_FATAL(dom_build(&d), 0);
	check_domain(&d);
	printf(" (%s: region %#llx-%#llx, %llu pt frames, rip %#llx)",
	       dom0 ? "dom0" : "domU",
	       (unsigned long long)d.r.v_start, (unsigned long long)d.r.v_end,
	       (unsigned long long)d.r.nr_pt_frames,
	       (unsigned long long)d.r.entry_rip);
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

UNIT_SUITE(suite_pvbuild)

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
	ADD_TEST(s, test_init_p2m);
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
