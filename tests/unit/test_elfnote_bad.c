/*
 * lib/elfnote.c against broken input: headers and notes that lie about
 * sizes and offsets, every truncation length of valid images (synthetic
 * and the real build/paraos), and random corruption. Each image sits in a
 * malloc'd buffer of exactly its size, so under AddressSanitizer any read
 * past its end fails the test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include <xen/elfnote.h>

#include "lib/elf.h"
#include "lib/elfnote.h"
#include "tests/unit/elfgen.h"
#include "tests/unit/unit.h"

#define BASE 0xffffffff80000000ull

/* Notes that lie about their sizes, headers that point outside. */
/* Why the parser refuses the image, or "" if it accepts it. */
static const char *reason(const void *buf, size_t len)
{
	struct xen_image img;
	const char *why = NULL;

	return xen_image_parse(buf, len, &img, &why) ? why : "";
}

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

	/*
	 * libelf reads a string note to its first NUL in the image: Linux's
	 * FEATURES note has its NUL in the padding after descsz.
	 */
	gen_default(&o, BASE);
	gen_note_raw(&o, "Xen", XEN_ELFNOTE_GUEST_OS, "abc", 3);
	buf = gen_build(&o, &len, &lay);
	CU_ASSERT_EQUAL(xen_image_parse(buf, len, &img, &why), 0);
	CU_ASSERT(img.guest_os && strcmp(img.guest_os, "abc") == 0);
	/* A string with no NUL before the end of the file is refused. */
	{
		unsigned char *at = buf;

		while (at + 3 <= buf + len && memcmp(at, "abc", 3))
			at++;
		CU_ASSERT_FATAL(at + 3 <= buf + len);
		memset(at, 'a', len - (size_t)(at - buf));
		CU_ASSERT_EQUAL(xen_image_parse(buf, len, &img, &why), XEN_IMAGE_EBADNOTE);
		CU_ASSERT_STRING_EQUAL(why, "unterminated string note");
		free(buf);
	}
	gen_default(&o, BASE);
	gen_note_raw(&o, "Xen", XEN_ELFNOTE_ENTRY, NULL, 4096);
	gen_expect_refused(&o, XEN_IMAGE_EBADNOTE, "note descriptor outside its area");

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
	CU_ASSERT_STRING_EQUAL(reason(buf, len),
			       "segment outside the file");
	ph.p_offset = lay.text_off;
	ph.p_filesz = 0x2000;
	ph.p_memsz = 0x1000;
	memcpy(buf + lay.phdr_off, &ph, sizeof(ph));
	CU_ASSERT_STRING_EQUAL(reason(buf, len),
			       "segment file size exceeds memory size");
	ph.p_memsz = UINT64_MAX;
	memcpy(buf + lay.phdr_off, &ph, sizeof(ph));
	CU_ASSERT_STRING_EQUAL(reason(buf, len),
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
	CU_ASSERT_STRING_EQUAL(reason(buf, len),
			       "program headers outside the file");
	eh.e_phoff = UINT64_MAX - 16;
	memcpy(buf, &eh, sizeof(eh));
	CU_ASSERT_STRING_EQUAL(reason(buf, len),
			       "program headers outside the file");
	eh.e_phoff = lay.phdr_off;
	eh.e_phentsize = 32;
	memcpy(buf, &eh, sizeof(eh));
	CU_ASSERT_STRING_EQUAL(reason(buf, len),
			       "bad program header size");
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 0;
	memcpy(buf, &eh, sizeof(eh));
	CU_ASSERT_STRING_EQUAL(reason(buf, len),
			       "no program headers");
	eh.e_phnum = PN_XNUM;
	memcpy(buf, &eh, sizeof(eh));
	CU_ASSERT_STRING_EQUAL(reason(buf, len),
			       "too many program headers");
	eh.e_phnum = lay.nr_phdrs;
	eh.e_shoff = len;
	memcpy(buf, &eh, sizeof(eh));
	CU_ASSERT_STRING_EQUAL(reason(buf, len),
			       "section headers outside the file");
	eh.e_shoff = lay.shdr_off;
	eh.e_shentsize = 40;
	memcpy(buf, &eh, sizeof(eh));
	CU_ASSERT_STRING_EQUAL(reason(buf, len),
			       "bad section header size");
	free(buf);

	gen_default(&o, BASE);
	o.extra_loads = XEN_IMAGE_MAX_SEGMENTS - 1;	/* 2 + 15 */
	gen_expect_refused(&o, XEN_IMAGE_EFORMAT, "too many PT_LOAD segments");
	o.extra_loads = XEN_IMAGE_MAX_SEGMENTS - 2;	/* exactly the max */
	CU_ASSERT_EQUAL(gen_parse(&o, &img, &why), 0);
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

static void test_real_paraos_truncated(void)
{
	size_t len;
	unsigned char *buf = unit_read_file(unit_paraos_path, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	/* Every length up to 8 KiB (headers and notes), then a sample. */
	truncations(buf, len, 61);
	free(buf);
}

UNIT_SUITE(suite_elfnote_bad)

int suite_elfnote_bad(void)
{
	CU_pSuite s = unit_add_suite("elfnote_bad");
	FILE *f;

	if (!s)
		return -1;
	ADD_TEST(s, test_malformed);
	ADD_TEST(s, test_not_elf);
	ADD_TEST(s, test_every_truncation);
	ADD_TEST(s, test_corruption);
	if ((f = fopen(unit_paraos_path, "rb"))) {
		fclose(f);
		ADD_TEST(s, test_real_paraos_truncated);
	} else {
		unit_skip("elfnote_bad/test_real_paraos_truncated",
			  "build/paraos not built");
	}
	return 0;
}
