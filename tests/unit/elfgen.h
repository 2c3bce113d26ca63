/*
 * Synthetic Xen PV kernel images for the parser and builder tests: a
 * small but complete ELF64 file (header, program headers, a text and a
 * data+bss PT_LOAD segment, Xen notes in a PT_NOTE segment and an SHT_NOTE
 * section), with every field the tests want to break exposed as an option.
 */
#ifndef TESTS_UNIT_ELFGEN_H
#define TESTS_UNIT_ELFGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/elfnote.h"

#define GEN_MAX_NOTES	32
#define GEN_MAX_DESC	64

struct gen_note {
	const char *name;	/* "Xen" unless the test wants otherwise */
	uint32_t type;
	uint32_t descsz;	/* may claim more than desc holds */
	unsigned char desc[GEN_MAX_DESC];
};

struct gen_opts {
	uint64_t base;		/* text vaddr; VIRT_BASE note value */
	uint64_t paddr_bias;	/* paddr = vaddr - paddr_bias */
	uint64_t text_size, data_size, bss_size;
	unsigned char ei_class, ei_data;
	uint16_t machine, type;
	uint64_t e_entry;
	bool pt_note;		/* notes in a PT_NOTE segment */
	bool sections;		/* section headers, with an SHT_NOTE */
	bool note_offset_zero;	/* PT_NOTE with p_offset 0 (libelf skips) */
	unsigned int extra_loads;	/* more (empty) PT_LOAD headers */
	struct gen_note notes[GEN_MAX_NOTES];
	unsigned int nr_notes;
};

/*
 * The standard image at base: text 2 pages, data 1 page + 3 pages bss,
 * paddr == vaddr, notes GUEST_OS, GUEST_VERSION, XEN_VERSION "xen-3.0",
 * LOADER "generic", VIRT_BASE and PADDR_OFFSET = base, ENTRY base+0x40,
 * HYPERCALL_PAGE base+0x1000, FEATURES "", SUPPORTED_FEATURES dom0.
 */
void gen_default(struct gen_opts *o, uint64_t base);

/* Add or replace (by type, for "Xen" notes) a note. */
void gen_note_str(struct gen_opts *o, uint32_t type, const char *s);
void gen_note_num(struct gen_opts *o, uint32_t type, uint64_t v,
		  unsigned int size);
void gen_note_raw(struct gen_opts *o, const char *name, uint32_t type,
		  const void *desc, uint32_t descsz);
void gen_drop_note(struct gen_opts *o, uint32_t type);

/* Where gen_build put things, for tests that corrupt them. */
struct gen_layout {
	size_t phdr_off, nr_phdrs;
	size_t notes_off, notes_len;
	size_t text_off, data_off;
	size_t shdr_off;		/* 0 without sections */
};

/*
 * Build into a malloc'd buffer of exactly *len bytes (so the sanitizer
 * catches any read past its end); the caller frees it. lay may be NULL.
 */
unsigned char *gen_build(const struct gen_opts *o, size_t *len,
			 struct gen_layout *lay);

/*
 * Parse a generated image; returns the error, *why its reason. The image
 * stays allocated until the next call (img's strings point into it).
 */
int gen_parse(const struct gen_opts *o, struct xen_image *img,
	      const char **why);

/* CUnit-assert that parsing fails with exactly this error and reason. */
void gen_expect_refused(const struct gen_opts *o, int want_err,
			const char *want_why);

/* Byte i of the text / data segment contents, to check loading. */
unsigned char gen_text_byte(uint64_t i);
unsigned char gen_data_byte(uint64_t i);

#endif
