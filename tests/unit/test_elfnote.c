/*
 * lib/elfnote.c: valid images (synthetic, built in memory by elfgen, and
 * the real build/paraos when it exists), every refusal, every truncation
 * length, and random corruption. Each image sits in a malloc'd buffer of
 * exactly its size, so under -fsanitize=address any read past the end
 * fails the run.
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

/*
 * Parse a generated image; returns the error, *why its reason. The image
 * stays allocated until the next call: img's strings point into it.
 */
static int parse_opts(const struct gen_opts *o, struct xen_image *img,
		      const char **why)
{
	static unsigned char *buf;
	size_t len;

	free(buf);
	buf = gen_build(o, &len, NULL);
	*why = NULL;
	return xen_image_parse(buf, len, img, why);
}

/* Expect a refusal with exactly this reason. */
static void expect_refused(const struct gen_opts *o, int want_err,
			   const char *want_why)
{
	struct xen_image img;
	const char *why;
	int err = parse_opts(o, &img, &why);

	CU_ASSERT_EQUAL(err, want_err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_STRING_EQUAL(why, want_why);
	if (err != want_err || strcmp(why, want_why))
		printf("\n  got %d \"%s\", want %d \"%s\"", err, why, want_err,
		       want_why);
}

static void test_valid_image(void)
{
	struct gen_opts o;
	struct xen_image img;
	const char *why;

	gen_default(&o, BASE);
	CU_ASSERT_EQUAL_FATAL(parse_opts(&o, &img, &why), 0);
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
	CU_ASSERT_EQUAL_FATAL(parse_opts(&o, &img, &why), 0);
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
	CU_ASSERT_EQUAL_FATAL(parse_opts(&o, &img, &why), 0);
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
		CU_ASSERT_EQUAL_FATAL(parse_opts(&o, &img, &why), 0);
		CU_ASSERT_EQUAL(img.suspend_cancel, sizes[i] == 8 ?
				0x0102030405060708ull :
				0x0102030405060708ull & ((1ull << (8 * sizes[i])) - 1));
		CU_ASSERT_EQUAL(img.virt_base, 0x400000);
	}
	gen_note_num(&o, XEN_ELFNOTE_ENTRY, 0x400000, 3);
	expect_refused(&o, XEN_IMAGE_EBADNOTE, "bad numeric note size");
	gen_note_num(&o, XEN_ELFNOTE_ENTRY, 0x400000, 0);
	expect_refused(&o, XEN_IMAGE_EBADNOTE, "bad numeric note size");
	gen_default(&o, 0x400000);
	gen_note_num(&o, XEN_ELFNOTE_SUPPORTED_FEATURES, 1, 2);
	expect_refused(&o, XEN_IMAGE_EBADNOTE, "bad SUPPORTED_FEATURES note size");
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
	CU_ASSERT_EQUAL_FATAL(parse_opts(&o, &img, &why), 0);
	CU_ASSERT_STRING_EQUAL(img.pae_mode, "yes");
	CU_ASSERT(img.bsd_symtab);
	CU_ASSERT_EQUAL(img.init_p2m, 0xffffea0000000000ull);
	CU_ASSERT_EQUAL(img.hv_start_low, 0xf5800000);
	CU_ASSERT_EQUAL(img.phys32_entry, 0x1000);
	CU_ASSERT_EQUAL(img.mod_start_pfn, 1);
	CU_ASSERT(xen_image_has(&img, XEN_ELFNOTE_L1_MFN_VALID));
	CU_ASSERT_EQUAL(img.nr_xen_notes, 19);	/* 10 + 9 named "Xen" */

	gen_note_str(&o, XEN_ELFNOTE_BSD_SYMTAB, "no");
	CU_ASSERT_EQUAL_FATAL(parse_opts(&o, &img, &why), 0);
	CU_ASSERT(!img.bsd_symtab);
	/* INIT_P2M may not point into the kernel. */
	gen_note_num(&o, XEN_ELFNOTE_INIT_P2M, BASE + 0x2000, 8);
	expect_refused(&o, XEN_IMAGE_ELAYOUT, "INIT_P2M inside image");
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
	CU_ASSERT_EQUAL_FATAL(parse_opts(&o, &img, &why), 0);
	/* SUPPORTED_FEATURES (dom0) and the string combine. */
	CU_ASSERT_EQUAL(img.f_supported, (1u << XENFEAT_dom0) |
			(1u << XENFEAT_writable_descriptor_tables) |
			(1u << XENFEAT_auto_translated_physmap));
	CU_ASSERT_EQUAL(img.f_required, 1u << XENFEAT_writable_descriptor_tables);

	gen_note_str(&o, XEN_ELFNOTE_FEATURES, "!no_such_feature");
	expect_refused(&o, XEN_IMAGE_EBADNOTE, "unknown required feature");
}

static void test_section_fallback(void)
{
	struct gen_opts o;
	struct xen_image img;
	const char *why;

	/* No PT_NOTE: the SHT_NOTE section is used. */
	gen_default(&o, BASE);
	o.pt_note = false;
	CU_ASSERT_EQUAL_FATAL(parse_opts(&o, &img, &why), 0);
	CU_ASSERT(img.notes_from_sections);
	CU_ASSERT_STRING_EQUAL(img.loader, "generic");
	/* A PT_NOTE with p_offset 0 is skipped, as libelf does. */
	o.pt_note = true;
	o.note_offset_zero = true;
	CU_ASSERT_EQUAL_FATAL(parse_opts(&o, &img, &why), 0);
	CU_ASSERT(img.notes_from_sections);
	/* Neither: not a Xen kernel. */
	o.sections = false;
	expect_refused(&o, XEN_IMAGE_ENONOTES, "no Xen notes");
}

static void test_refusals(void)
{
	struct gen_opts o;

	gen_default(&o, BASE);
	o.ei_class = ELFCLASS32;
	expect_refused(&o, XEN_IMAGE_EUNSUPPORTED, "not 64-bit");
	gen_default(&o, BASE);
	o.ei_data = 2;
	expect_refused(&o, XEN_IMAGE_EUNSUPPORTED, "not little-endian");
	gen_default(&o, BASE);
	o.machine = EM_386;
	expect_refused(&o, XEN_IMAGE_EUNSUPPORTED, "not x86-64");
	gen_default(&o, BASE);
	o.type = 3;	/* ET_DYN */
	expect_refused(&o, XEN_IMAGE_EUNSUPPORTED, "not an executable");

	gen_default(&o, BASE);
	o.nr_notes = 0;
	gen_note_raw(&o, "GNU", 1, "abcd", 4);
	expect_refused(&o, XEN_IMAGE_ENONOTES, "no Xen notes");

	gen_default(&o, BASE);
	gen_note_str(&o, XEN_ELFNOTE_LOADER, "special");
	expect_refused(&o, XEN_IMAGE_EREFUSED, "not for the generic loader");
	gen_drop_note(&o, XEN_ELFNOTE_LOADER);
	expect_refused(&o, XEN_IMAGE_EREFUSED, "not for the generic loader");
	gen_note_str(&o, XEN_ELFNOTE_GUEST_OS, "linux-6.1");	/* Xen's other way */
	CU_ASSERT_EQUAL(parse_opts(&o, &(struct xen_image){0}, &(const char *){0}), 0);

	gen_default(&o, BASE);
	gen_note_str(&o, XEN_ELFNOTE_XEN_VERSION, "xen-4.0");
	expect_refused(&o, XEN_IMAGE_EREFUSED, "not built for xen-3.0");
	gen_drop_note(&o, XEN_ELFNOTE_XEN_VERSION);
	expect_refused(&o, XEN_IMAGE_EREFUSED, "not built for xen-3.0");
}

static void test_address_checks(void)
{
	struct gen_opts o;

	gen_default(&o, BASE);
	gen_note_num(&o, XEN_ELFNOTE_ENTRY, BASE + 0x7000, 8);
	expect_refused(&o, XEN_IMAGE_ELAYOUT, "entry outside image");
	gen_note_num(&o, XEN_ELFNOTE_ENTRY, BASE - 1, 8);
	expect_refused(&o, XEN_IMAGE_ELAYOUT, "entry outside image");
	gen_drop_note(&o, XEN_ELFNOTE_ENTRY);
	o.e_entry = 0x1000;		/* the ELF entry, when no note */
	expect_refused(&o, XEN_IMAGE_ELAYOUT, "entry outside image");

	gen_default(&o, BASE);
	gen_note_num(&o, XEN_ELFNOTE_HYPERCALL_PAGE, BASE + 0x6000, 8);
	expect_refused(&o, XEN_IMAGE_ELAYOUT, "hypercall page outside image");
	gen_note_num(&o, XEN_ELFNOTE_HYPERCALL_PAGE, BASE - 0x1000, 8);
	expect_refused(&o, XEN_IMAGE_ELAYOUT, "hypercall page outside image");
	gen_note_num(&o, XEN_ELFNOTE_HYPERCALL_PAGE, BASE + 0x1800, 8);
	expect_refused(&o, XEN_IMAGE_ELAYOUT, "hypercall page not page-aligned");
	gen_note_num(&o, XEN_ELFNOTE_HYPERCALL_PAGE, XEN_IMAGE_UNSET - 0xfff, 8);
	expect_refused(&o, XEN_IMAGE_ELAYOUT, "hypercall page outside image");

	gen_default(&o, BASE);
	gen_note_num(&o, XEN_ELFNOTE_VIRT_BASE, BASE + 0x1000, 8);
	gen_note_num(&o, XEN_ELFNOTE_PADDR_OFFSET, BASE + 0x1000, 8);
	expect_refused(&o, XEN_IMAGE_ELAYOUT, "kernel below VIRT_BASE");
	gen_drop_note(&o, XEN_ELFNOTE_VIRT_BASE);
	expect_refused(&o, XEN_IMAGE_ELAYOUT, "PADDR_OFFSET set without VIRT_BASE");

	/* paddr + virt_offset past 2^64: the kernel range wraps. */
	gen_default(&o, 0x1000);
	gen_note_num(&o, XEN_ELFNOTE_VIRT_BASE, 0xffffffffffffd000ull, 8);
	gen_note_num(&o, XEN_ELFNOTE_PADDR_OFFSET, 0, 8);
	expect_refused(&o, XEN_IMAGE_ELAYOUT, "kernel range wraps");
}

/* Notes that lie about their sizes, headers that point outside. */
static void test_malformed(void)
{
	struct gen_opts o;
	unsigned char *buf;
	size_t len;
	struct gen_layout lay;
	struct xen_image img;
	const char *why;
	struct elf64_phdr ph;
	struct elf64_ehdr eh;

	gen_default(&o, BASE);
	gen_note_raw(&o, "Xen", XEN_ELFNOTE_GUEST_OS, "abc", 3);
	expect_refused(&o, XEN_IMAGE_EBADNOTE, "unterminated string note");
	gen_default(&o, BASE);
	gen_note_raw(&o, "Xen", XEN_ELFNOTE_LOADER, NULL, 0);
	expect_refused(&o, XEN_IMAGE_EBADNOTE, "unterminated string note");
	gen_default(&o, BASE);
	gen_note_raw(&o, "Xen", XEN_ELFNOTE_ENTRY, NULL, 4096);
	expect_refused(&o, XEN_IMAGE_EBADNOTE, "note descriptor outside its area");

	/* A namesz bigger than the area. */
	gen_default(&o, BASE);
	buf = gen_build(&o, &len, &lay);
	memcpy(buf + lay.notes_off, &(uint32_t){ 0x7fffffff }, 4);
	CU_ASSERT_EQUAL(xen_image_parse(buf, len, &img, &why), XEN_IMAGE_EBADNOTE);
	CU_ASSERT_STRING_EQUAL(why, "note name outside its area");
	/* And a descsz that would overflow 32-bit arithmetic. */
	memcpy(buf + lay.notes_off, &(uint32_t){ 4 }, 4);
	memcpy(buf + lay.notes_off + 4, &(uint32_t){ 0xfffffffe }, 4);
	CU_ASSERT_EQUAL(xen_image_parse(buf, len, &img, &why), XEN_IMAGE_EBADNOTE);
	CU_ASSERT_STRING_EQUAL(why, "note descriptor outside its area");
	free(buf);

	/* Segment checks. */
	gen_default(&o, BASE);
	buf = gen_build(&o, &len, &lay);
	memcpy(&ph, buf + lay.phdr_off, sizeof(ph));
	ph.p_filesz = len;			/* runs off the end */
	memcpy(buf + lay.phdr_off, &ph, sizeof(ph));
	CU_ASSERT_EQUAL(xen_image_parse(buf, len, &img, &why), XEN_IMAGE_EFORMAT);
	CU_ASSERT_STRING_EQUAL(why, "segment outside the file");
	ph.p_offset = UINT64_MAX - 8;		/* offset + size overflows */
	ph.p_filesz = 16;
	memcpy(buf + lay.phdr_off, &ph, sizeof(ph));
	CU_ASSERT_STRING_EQUAL(xen_image_parse(buf, len, &img, &why) ? why : "",
			       "segment outside the file");
	ph.p_offset = lay.text_off;
	ph.p_filesz = 0x2000;
	ph.p_memsz = 0x1000;
	memcpy(buf + lay.phdr_off, &ph, sizeof(ph));
	CU_ASSERT_STRING_EQUAL(xen_image_parse(buf, len, &img, &why) ? why : "",
			       "segment file size exceeds memory size");
	ph.p_memsz = UINT64_MAX;
	memcpy(buf + lay.phdr_off, &ph, sizeof(ph));
	CU_ASSERT_STRING_EQUAL(xen_image_parse(buf, len, &img, &why) ? why : "",
			       "segment address overflow");
	free(buf);
	/* A PT_LOAD without access rights is not loadable (libelf). */
	buf = gen_build(&o, &len, &lay);
	memcpy(&ph, buf + lay.phdr_off + sizeof(ph), sizeof(ph));
	ph.p_flags = 0;
	memcpy(buf + lay.phdr_off + sizeof(ph), &ph, sizeof(ph));
	CU_ASSERT_EQUAL(xen_image_parse(buf, len, &img, &why), 0);
	CU_ASSERT_EQUAL(img.nr_segments, 1);
	CU_ASSERT_EQUAL(img.virt_kend, BASE + 0x2000);
	free(buf);

	/* Header checks. */
	gen_default(&o, BASE);
	buf = gen_build(&o, &len, &lay);
	memcpy(&eh, buf, sizeof(eh));
	eh.e_phoff = len - 8;
	memcpy(buf, &eh, sizeof(eh));
	CU_ASSERT_STRING_EQUAL(xen_image_parse(buf, len, &img, &why) ? why : "",
			       "program headers outside the file");
	eh.e_phoff = UINT64_MAX - 16;
	memcpy(buf, &eh, sizeof(eh));
	CU_ASSERT_STRING_EQUAL(xen_image_parse(buf, len, &img, &why) ? why : "",
			       "program headers outside the file");
	eh.e_phoff = lay.phdr_off;
	eh.e_phentsize = 32;
	memcpy(buf, &eh, sizeof(eh));
	CU_ASSERT_STRING_EQUAL(xen_image_parse(buf, len, &img, &why) ? why : "",
			       "bad program header size");
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 0;
	memcpy(buf, &eh, sizeof(eh));
	CU_ASSERT_STRING_EQUAL(xen_image_parse(buf, len, &img, &why) ? why : "",
			       "no program headers");
	eh.e_phnum = PN_XNUM;
	memcpy(buf, &eh, sizeof(eh));
	CU_ASSERT_STRING_EQUAL(xen_image_parse(buf, len, &img, &why) ? why : "",
			       "too many program headers");
	eh.e_phnum = lay.nr_phdrs;
	eh.e_shoff = len;
	memcpy(buf, &eh, sizeof(eh));
	CU_ASSERT_STRING_EQUAL(xen_image_parse(buf, len, &img, &why) ? why : "",
			       "section headers outside the file");
	eh.e_shoff = lay.shdr_off;
	eh.e_shentsize = 40;
	memcpy(buf, &eh, sizeof(eh));
	CU_ASSERT_STRING_EQUAL(xen_image_parse(buf, len, &img, &why) ? why : "",
			       "bad section header size");
	free(buf);

	gen_default(&o, BASE);
	o.extra_loads = XEN_IMAGE_MAX_SEGMENTS - 1;	/* 2 + 15 */
	expect_refused(&o, XEN_IMAGE_EFORMAT, "too many PT_LOAD segments");
	o.extra_loads = XEN_IMAGE_MAX_SEGMENTS - 2;	/* exactly the max */
	CU_ASSERT_EQUAL(parse_opts(&o, &img, &why), 0);
}

static void test_not_elf(void)
{
	struct xen_image img;
	const char *why = NULL;
	static const unsigned char junk[] = "#!/bin/sh\necho not a kernel\n";

	CU_ASSERT_EQUAL(xen_image_parse(NULL, 100, &img, &why), XEN_IMAGE_EFORMAT);
	CU_ASSERT_STRING_EQUAL(why, "not an ELF file");
	CU_ASSERT_EQUAL(xen_image_parse(junk, sizeof(junk), &img, &why),
			XEN_IMAGE_EFORMAT);
	CU_ASSERT_STRING_EQUAL(why, "not an ELF file");
	CU_ASSERT_EQUAL(xen_image_parse(junk, 0, &img, &why), XEN_IMAGE_EFORMAT);
	/* why may be NULL. */
	CU_ASSERT_EQUAL(xen_image_parse(junk, 3, &img, NULL), XEN_IMAGE_EFORMAT);
}

/*
 * Parse buf truncated to every length in [0, len) (or a sample of them,
 * step > 1), each copy in an exactly-sized buffer. Returns how many
 * truncations parsed successfully.
 */
static unsigned int truncations(const unsigned char *buf, size_t len,
				size_t step)
{
	unsigned int accepted = 0;

	for (size_t n = 0; n < len; n += (n < 8192 ? 1 : step)) {
		unsigned char *copy = malloc(n ? n : 1);
		struct xen_image img;
		const char *why = NULL;
		int err;

		memcpy(copy, buf, n);
		err = xen_image_parse(copy, n, &img, &why);
		if (err) {
			CU_ASSERT(err < 0);
			CU_ASSERT_PTR_NOT_NULL(why);
		} else {
			accepted++;
		}
		free(copy);
	}
	return accepted;
}

static void test_every_truncation(void)
{
	struct gen_opts o;
	unsigned char *buf;
	size_t len;

	/* Section headers last: any truncation loses them. */
	gen_default(&o, BASE);
	buf = gen_build(&o, &len, NULL);
	CU_ASSERT_EQUAL(truncations(buf, len, 1), 0);
	free(buf);
	/* No sections: data last, so any truncation cuts a segment. */
	o.sections = false;
	buf = gen_build(&o, &len, NULL);
	CU_ASSERT_EQUAL(truncations(buf, len, 1), 0);
	free(buf);
}

/* Random corruption of the headers and notes must never crash. */
static void test_corruption(void)
{
	struct gen_opts o;
	struct gen_layout lay;
	unsigned char *orig, *buf;
	size_t len, span;
	unsigned int seed = 12345, accepted = 0;

	gen_default(&o, BASE);
	orig = gen_build(&o, &len, &lay);
	buf = malloc(len);
	span = lay.notes_off + lay.notes_len;
	for (int iter = 0; iter < 20000; iter++) {
		struct xen_image img;
		const char *why = NULL;
		int flips = 1 + iter % 4;

		memcpy(buf, orig, len);
		while (flips--) {
			seed = seed * 1103515245u + 12345u;
			buf[(seed >> 8) % span] ^= (unsigned char)(1u << (seed % 8)) |
						   (unsigned char)(seed >> 24);
		}
		if (xen_image_parse(buf, len, &img, &why) == 0) {
			accepted++;
			/* Whatever it accepted is self-consistent. */
			CU_ASSERT(img.virt_kstart <= img.virt_kend);
			CU_ASSERT(img.virt_entry >= img.virt_kstart &&
				  img.virt_entry <= img.virt_kend);
			for (unsigned int i = 0; i < img.nr_segments; i++)
				CU_ASSERT(img.seg[i].offset + img.seg[i].filesz <= len);
		} else {
			CU_ASSERT_PTR_NOT_NULL(why);
		}
	}
	printf(" (%u of 20000 corrupted images still valid)", accepted);
	free(buf);
	free(orig);
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

static void test_real_paraos_truncated(void)
{
	size_t len;
	unsigned char *buf = unit_read_file(unit_paraos_path, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	/* Every length up to 8 KiB (headers and notes), then a sample. */
	truncations(buf, len, 61);
	free(buf);
}

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
	ADD_TEST(s, test_malformed);
	ADD_TEST(s, test_not_elf);
	ADD_TEST(s, test_every_truncation);
	ADD_TEST(s, test_corruption);
	if ((f = fopen(unit_paraos_path, "rb"))) {
		fclose(f);
		ADD_TEST(s, test_real_paraos);
		ADD_TEST(s, test_real_paraos_truncated);
	} else {
		unit_skip("elfnote/test_real_paraos", "build/paraos not built");
		unit_skip("elfnote/test_real_paraos_truncated", "build/paraos not built");
	}
	return 0;
}
