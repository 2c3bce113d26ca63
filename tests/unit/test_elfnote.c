/*
 * lib/elfnote.c: valid images (synthetic, built in memory by elfgen, and
 * the real build/paraos when it exists), every note, and every refusal
 * Xen makes. Broken files are in test_elfnote_bad.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include <xen/elfnote.h>
#include <xen/features.h>

#include "lib/elf.h"
#include "lib/elfnote.h"
#include "tests/unit/elfgen.h"
#include "tests/unit/unit.h"

#define BASE 0xffffffff80000000ull

static void test_valid_image(void)
{
	struct gen_opts o;
	struct xen_image img;
	const char *why;

	gen_default(&o, BASE);
	CU_ASSERT_EQUAL_FATAL(gen_parse(&o, &img, &why), 0);
	CU_ASSERT_STRING_EQUAL(img.guest_os, "synthetic");
	CU_ASSERT_STRING_EQUAL(img.guest_version, "1.0");
	CU_ASSERT_STRING_EQUAL(img.xen_version, "xen-3.0");
	CU_ASSERT_STRING_EQUAL(img.loader, "generic");
	CU_ASSERT_STRING_EQUAL(img.features, "");
	CU_ASSERT_PTR_NULL(img.pae_mode);
	CU_ASSERT_EQUAL(img.virt_base, BASE);
	CU_ASSERT_EQUAL(img.paddr_offset, BASE);
	CU_ASSERT_EQUAL(img.entry_note, BASE + 0x40);
	CU_ASSERT_EQUAL(img.hypercall_page, BASE + 0x1000);
	CU_ASSERT_EQUAL(img.init_p2m, XEN_IMAGE_UNSET);
	CU_ASSERT_EQUAL(img.f_supported, 1u << XENFEAT_dom0);
	CU_ASSERT_EQUAL(img.f_required, 0);
	CU_ASSERT(xen_image_has(&img, XEN_ELFNOTE_LOADER));
	CU_ASSERT(!xen_image_has(&img, XEN_ELFNOTE_INIT_P2M));
	CU_ASSERT(!xen_image_has(&img, 40));
	CU_ASSERT_EQUAL(img.nr_xen_notes, 10);
	CU_ASSERT(!img.notes_from_sections);

	/* Two PT_LOAD segments; paddr == vaddr, PADDR_OFFSET = VIRT_BASE. */
	CU_ASSERT_EQUAL(img.nr_segments, 2);
	CU_ASSERT_EQUAL(img.seg[0].vaddr, BASE);
	CU_ASSERT_EQUAL(img.seg[0].filesz, 0x2000);
	CU_ASSERT_EQUAL(img.seg[1].memsz, 0x4000);
	CU_ASSERT_EQUAL(img.virt_offset, 0);
	CU_ASSERT_EQUAL(img.virt_kstart, BASE);
	CU_ASSERT_EQUAL(img.virt_kend, BASE + 0x6000);
	CU_ASSERT_EQUAL(img.virt_entry, BASE + 0x40);
}

/* Linux style: physical addresses from 0, no PADDR_OFFSET note. */
static void test_paddr_offset_default(void)
{
	struct gen_opts o;
	struct xen_image img;
	const char *why;

	gen_default(&o, BASE);
	o.paddr_bias = BASE;
	gen_drop_note(&o, XEN_ELFNOTE_PADDR_OFFSET);
	CU_ASSERT_EQUAL_FATAL(gen_parse(&o, &img, &why), 0);
	CU_ASSERT_EQUAL(img.pstart, 0);
	CU_ASSERT_EQUAL(img.virt_offset, BASE);
	CU_ASSERT_EQUAL(img.virt_kstart, BASE);
	CU_ASSERT_EQUAL(img.virt_kend, BASE + 0x6000);
}

/* No VIRT_BASE, no ENTRY: base 0 and e_entry, as Xen defaults them. */
static void test_defaults(void)
{
	struct gen_opts o;
	struct xen_image img;
	const char *why;

	gen_default(&o, 0x200000);
	gen_drop_note(&o, XEN_ELFNOTE_VIRT_BASE);
	gen_drop_note(&o, XEN_ELFNOTE_PADDR_OFFSET);
	gen_drop_note(&o, XEN_ELFNOTE_ENTRY);
	o.e_entry = 0x200100;
	CU_ASSERT_EQUAL_FATAL(gen_parse(&o, &img, &why), 0);
	CU_ASSERT_EQUAL(img.virt_base, XEN_IMAGE_UNSET);
	CU_ASSERT_EQUAL(img.virt_kstart, 0x200000);
	CU_ASSERT_EQUAL(img.virt_entry, 0x200100);
}

/* Numeric notes of 1, 2, 4 and 8 bytes, as libelf reads them. */
static void test_numeric_sizes(void)
{
	static const unsigned int sizes[] = { 1, 2, 4, 8 };
	struct gen_opts o;
	struct xen_image img;
	const char *why;

	for (size_t i = 0; i < 4; i++) {
		gen_default(&o, 0x400000);
		gen_note_num(&o, XEN_ELFNOTE_SUSPEND_CANCEL, 0x0102030405060708ull,
			     sizes[i]);
		gen_note_num(&o, XEN_ELFNOTE_VIRT_BASE, 0x400000, 4);
		CU_ASSERT_EQUAL_FATAL(gen_parse(&o, &img, &why), 0);
		CU_ASSERT_EQUAL(img.suspend_cancel, sizes[i] == 8 ?
				0x0102030405060708ull :
				0x0102030405060708ull & ((1ull << (8 * sizes[i])) - 1));
		CU_ASSERT_EQUAL(img.virt_base, 0x400000);
	}
	gen_note_num(&o, XEN_ELFNOTE_ENTRY, 0x400000, 3);
	gen_expect_refused(&o, XEN_IMAGE_EBADNOTE, "bad numeric note size");
	gen_note_num(&o, XEN_ELFNOTE_ENTRY, 0x400000, 0);
	gen_expect_refused(&o, XEN_IMAGE_EBADNOTE, "bad numeric note size");
	gen_default(&o, 0x400000);
	gen_note_num(&o, XEN_ELFNOTE_SUPPORTED_FEATURES, 1, 2);
	gen_expect_refused(&o, XEN_IMAGE_EBADNOTE, "bad SUPPORTED_FEATURES note size");
}

static void test_other_notes(void)
{
	struct gen_opts o;
	struct xen_image img;
	const char *why;

	gen_default(&o, BASE);
	gen_note_str(&o, XEN_ELFNOTE_PAE_MODE, "yes");
	gen_note_str(&o, XEN_ELFNOTE_BSD_SYMTAB, "yes");
	gen_note_num(&o, XEN_ELFNOTE_INIT_P2M, 0xffffea0000000000ull, 8);
	gen_note_num(&o, XEN_ELFNOTE_HV_START_LOW, 0xf5800000, 4);
	gen_note_num(&o, XEN_ELFNOTE_PHYS32_ENTRY, 0x1000, 4);
	gen_note_num(&o, XEN_ELFNOTE_MOD_START_PFN, 1, 4);
	gen_note_num(&o, XEN_ELFNOTE_L1_MFN_VALID, 0, 8);
	gen_note_raw(&o, "Xen", XEN_ELFNOTE_INFO, "x=y", 4);
	gen_note_raw(&o, "Xen", 0x1000001, NULL, 16);	/* crash info */
	gen_note_raw(&o, "GNU", 3, "\1\2\3\4", 4);	/* not ours */
	CU_ASSERT_EQUAL_FATAL(gen_parse(&o, &img, &why), 0);
	CU_ASSERT_STRING_EQUAL(img.pae_mode, "yes");
	CU_ASSERT(img.bsd_symtab);
	CU_ASSERT_EQUAL(img.init_p2m, 0xffffea0000000000ull);
	CU_ASSERT_EQUAL(img.hv_start_low, 0xf5800000);
	CU_ASSERT_EQUAL(img.phys32_entry, 0x1000);
	CU_ASSERT_EQUAL(img.mod_start_pfn, 1);
	CU_ASSERT(xen_image_has(&img, XEN_ELFNOTE_L1_MFN_VALID));
	CU_ASSERT_EQUAL(img.nr_xen_notes, 19);	/* 10 + 9 named "Xen" */

	gen_note_str(&o, XEN_ELFNOTE_BSD_SYMTAB, "no");
	CU_ASSERT_EQUAL_FATAL(gen_parse(&o, &img, &why), 0);
	CU_ASSERT(!img.bsd_symtab);
	/* INIT_P2M may not point into the kernel. */
	gen_note_num(&o, XEN_ELFNOTE_INIT_P2M, BASE + 0x2000, 8);
	gen_expect_refused(&o, XEN_IMAGE_ELAYOUT, "INIT_P2M inside image");
}

static void test_features(void)
{
	struct gen_opts o;
	struct xen_image img;
	const char *why;
	uint32_t sup = 0, req = 0;

	CU_ASSERT_EQUAL(xen_parse_features("writable_page_tables|!dom0|bogus|"
					   "|!pae_pgdir_above_4gb", &sup, &req), 0);
	CU_ASSERT_EQUAL(sup, (1u << XENFEAT_writable_page_tables) |
			(1u << XENFEAT_dom0) | (1u << XENFEAT_pae_pgdir_above_4gb));
	CU_ASSERT_EQUAL(req, (1u << XENFEAT_dom0) |
			(1u << XENFEAT_pae_pgdir_above_4gb));
	sup = req = 0;
	CU_ASSERT_EQUAL(xen_parse_features("!bogus", &sup, &req), XEN_IMAGE_EBADNOTE);
	CU_ASSERT_EQUAL(xen_parse_features("!", &sup, &req), XEN_IMAGE_EBADNOTE);
	CU_ASSERT_EQUAL(xen_parse_features("", &sup, &req), 0);
	/* Prefixes and longer names are not matches. */
	sup = req = 0;
	CU_ASSERT_EQUAL(xen_parse_features("dom|dom00|writable", &sup, &req), 0);
	CU_ASSERT_EQUAL(sup, 0);

	gen_default(&o, BASE);
	gen_note_str(&o, XEN_ELFNOTE_FEATURES,
		     "!writable_descriptor_tables|auto_translated_physmap");
	CU_ASSERT_EQUAL_FATAL(gen_parse(&o, &img, &why), 0);
	/* SUPPORTED_FEATURES (dom0) and the string combine. */
	CU_ASSERT_EQUAL(img.f_supported, (1u << XENFEAT_dom0) |
			(1u << XENFEAT_writable_descriptor_tables) |
			(1u << XENFEAT_auto_translated_physmap));
	CU_ASSERT_EQUAL(img.f_required, 1u << XENFEAT_writable_descriptor_tables);

	gen_note_str(&o, XEN_ELFNOTE_FEATURES, "!no_such_feature");
	gen_expect_refused(&o, XEN_IMAGE_EBADNOTE, "unknown required feature");
}

static void test_section_fallback(void)
{
	struct gen_opts o;
	struct xen_image img;
	const char *why;

	/* No PT_NOTE: the SHT_NOTE section is used. */
	gen_default(&o, BASE);
	o.pt_note = false;
	CU_ASSERT_EQUAL_FATAL(gen_parse(&o, &img, &why), 0);
	CU_ASSERT(img.notes_from_sections);
	CU_ASSERT_STRING_EQUAL(img.loader, "generic");
	/* A PT_NOTE with p_offset 0 is skipped, as libelf does. */
	o.pt_note = true;
	o.note_offset_zero = true;
	CU_ASSERT_EQUAL_FATAL(gen_parse(&o, &img, &why), 0);
	CU_ASSERT(img.notes_from_sections);
	/* Neither: not a Xen kernel. */
	o.sections = false;
	gen_expect_refused(&o, XEN_IMAGE_ENONOTES, "no Xen notes");
}

static void test_refusals(void)
{
	struct gen_opts o;

	gen_default(&o, BASE);
	o.ei_class = ELFCLASS32;
	gen_expect_refused(&o, XEN_IMAGE_EUNSUPPORTED, "not 64-bit");
	gen_default(&o, BASE);
	o.ei_data = 2;
	gen_expect_refused(&o, XEN_IMAGE_EUNSUPPORTED, "not little-endian");
	gen_default(&o, BASE);
	o.machine = EM_386;
	gen_expect_refused(&o, XEN_IMAGE_EUNSUPPORTED, "not x86-64");
	gen_default(&o, BASE);
	o.type = 3;	/* ET_DYN */
	gen_expect_refused(&o, XEN_IMAGE_EUNSUPPORTED, "not an executable");

	gen_default(&o, BASE);
	o.nr_notes = 0;
	gen_note_raw(&o, "GNU", 1, "abcd", 4);
	gen_expect_refused(&o, XEN_IMAGE_ENONOTES, "no Xen notes");

	gen_default(&o, BASE);
	gen_note_str(&o, XEN_ELFNOTE_LOADER, "special");
	gen_expect_refused(&o, XEN_IMAGE_EREFUSED, "not for the generic loader");
	gen_drop_note(&o, XEN_ELFNOTE_LOADER);
	gen_expect_refused(&o, XEN_IMAGE_EREFUSED, "not for the generic loader");
	gen_note_str(&o, XEN_ELFNOTE_GUEST_OS, "linux-6.1");	/* Xen's other way */
	CU_ASSERT_EQUAL(gen_parse(&o, &(struct xen_image){0}, &(const char *){0}), 0);

	gen_default(&o, BASE);
	gen_note_str(&o, XEN_ELFNOTE_XEN_VERSION, "xen-4.0");
	gen_expect_refused(&o, XEN_IMAGE_EREFUSED, "not built for xen-3.0");
	gen_drop_note(&o, XEN_ELFNOTE_XEN_VERSION);
	gen_expect_refused(&o, XEN_IMAGE_EREFUSED, "not built for xen-3.0");
}

static void test_address_checks(void)
{
	struct gen_opts o;

	gen_default(&o, BASE);
	gen_note_num(&o, XEN_ELFNOTE_ENTRY, BASE + 0x7000, 8);
	gen_expect_refused(&o, XEN_IMAGE_ELAYOUT, "entry outside image");
	gen_note_num(&o, XEN_ELFNOTE_ENTRY, BASE - 1, 8);
	gen_expect_refused(&o, XEN_IMAGE_ELAYOUT, "entry outside image");
	gen_drop_note(&o, XEN_ELFNOTE_ENTRY);
	o.e_entry = 0x1000;		/* the ELF entry, when no note */
	gen_expect_refused(&o, XEN_IMAGE_ELAYOUT, "entry outside image");

	gen_default(&o, BASE);
	gen_note_num(&o, XEN_ELFNOTE_HYPERCALL_PAGE, BASE + 0x6000, 8);
	gen_expect_refused(&o, XEN_IMAGE_ELAYOUT, "hypercall page outside image");
	gen_note_num(&o, XEN_ELFNOTE_HYPERCALL_PAGE, BASE - 0x1000, 8);
	gen_expect_refused(&o, XEN_IMAGE_ELAYOUT, "hypercall page outside image");
	gen_note_num(&o, XEN_ELFNOTE_HYPERCALL_PAGE, BASE + 0x1800, 8);
	gen_expect_refused(&o, XEN_IMAGE_ELAYOUT, "hypercall page not page-aligned");
	gen_note_num(&o, XEN_ELFNOTE_HYPERCALL_PAGE, XEN_IMAGE_UNSET - 0xfff, 8);
	gen_expect_refused(&o, XEN_IMAGE_ELAYOUT, "hypercall page outside image");

	gen_default(&o, BASE);
	gen_note_num(&o, XEN_ELFNOTE_VIRT_BASE, BASE + 0x1000, 8);
	gen_note_num(&o, XEN_ELFNOTE_PADDR_OFFSET, BASE + 0x1000, 8);
	gen_expect_refused(&o, XEN_IMAGE_ELAYOUT, "kernel below VIRT_BASE");
	gen_drop_note(&o, XEN_ELFNOTE_VIRT_BASE);
	gen_expect_refused(&o, XEN_IMAGE_ELAYOUT, "PADDR_OFFSET set without VIRT_BASE");

	/* paddr + virt_offset past 2^64: the kernel range wraps. */
	gen_default(&o, 0x1000);
	gen_note_num(&o, XEN_ELFNOTE_VIRT_BASE, 0xffffffffffffd000ull, 8);
	gen_note_num(&o, XEN_ELFNOTE_PADDR_OFFSET, 0, 8);
	gen_expect_refused(&o, XEN_IMAGE_ELAYOUT, "kernel range wraps");
}

/* ---- the real guest -------------------------------------------------- */

static void test_real_paraos(void)
{
	size_t len;
	unsigned char *buf = unit_read_file(unit_paraos_path, &len);
	struct xen_image img;
	const char *why = "";

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL(xen_image_parse(buf, len, &img, &why), 0);
	if (*why)
		printf("\n  %s: %s", unit_paraos_path, why);
	CU_ASSERT_STRING_EQUAL(img.loader, "generic");
	CU_ASSERT_NSTRING_EQUAL(img.xen_version, "xen-3.0", 7);
	CU_ASSERT_PTR_NOT_NULL(img.guest_os);
	CU_ASSERT(img.virt_kstart >= img.virt_base);
	CU_ASSERT(img.virt_kstart < img.virt_kend);
	CU_ASSERT(img.hypercall_page != XEN_IMAGE_UNSET);
	CU_ASSERT(img.nr_segments >= 1);
	printf(" (%s \"%s\": kernel %#llx-%#llx entry %#llx)",
	       unit_paraos_path, img.guest_os ? img.guest_os : "?",
	       (unsigned long long)img.virt_kstart,
	       (unsigned long long)img.virt_kend,
	       (unsigned long long)img.virt_entry);
	free(buf);
}

UNIT_SUITE(suite_elfnote)

int suite_elfnote(void)
{
	CU_pSuite s = unit_add_suite("elfnote");
	FILE *f;

	if (!s)
		return -1;
	ADD_TEST(s, test_valid_image);
	ADD_TEST(s, test_paddr_offset_default);
	ADD_TEST(s, test_defaults);
	ADD_TEST(s, test_numeric_sizes);
	ADD_TEST(s, test_other_notes);
	ADD_TEST(s, test_features);
	ADD_TEST(s, test_section_fallback);
	ADD_TEST(s, test_refusals);
	ADD_TEST(s, test_address_checks);
	if ((f = fopen(unit_paraos_path, "rb"))) {
		fclose(f);
		ADD_TEST(s, test_real_paraos);
	} else {
		unit_skip("elfnote/test_real_paraos", "build/paraos not built");
	}
	return 0;
}
