/* Synthetic Xen PV kernel images (see elfgen.h). */
#include "tests/unit/elfgen.h"
#include "lib/elf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include <xen/elfnote.h>
#include <xen/features.h>

#define PAGE 4096u

void gen_default(struct gen_opts *o, uint64_t base)
{
	memset(o, 0, sizeof(*o));
	o->base = base;
	o->text_size = 2 * PAGE;
	o->data_size = PAGE;
	o->bss_size = 3 * PAGE;
	o->ei_class = ELFCLASS64;
	o->ei_data = ELFDATA2LSB;
	o->machine = EM_X86_64;
	o->type = ET_EXEC;
	o->e_entry = base + 0x40;
	o->pt_note = true;
	o->sections = true;
	gen_note_str(o, XEN_ELFNOTE_GUEST_OS, "synthetic");
	gen_note_str(o, XEN_ELFNOTE_GUEST_VERSION, "1.0");
	gen_note_str(o, XEN_ELFNOTE_XEN_VERSION, "xen-3.0");
	gen_note_str(o, XEN_ELFNOTE_LOADER, "generic");
	gen_note_num(o, XEN_ELFNOTE_VIRT_BASE, base, 8);
	gen_note_num(o, XEN_ELFNOTE_PADDR_OFFSET, base, 8);
	gen_note_num(o, XEN_ELFNOTE_ENTRY, base + 0x40, 8);
	gen_note_num(o, XEN_ELFNOTE_HYPERCALL_PAGE, base + PAGE, 8);
	gen_note_str(o, XEN_ELFNOTE_FEATURES, "");
	gen_note_num(o, XEN_ELFNOTE_SUPPORTED_FEATURES, 1u << XENFEAT_dom0, 4);
}

void gen_drop_note(struct gen_opts *o, uint32_t type)
{
	for (unsigned int i = 0; i < o->nr_notes; i++) {
		if (o->notes[i].type == type && !strcmp(o->notes[i].name, "Xen")) {
			memmove(&o->notes[i], &o->notes[i + 1],
				(o->nr_notes - i - 1) * sizeof(o->notes[0]));
			o->nr_notes--;
			i--;
		}
	}
}

void gen_note_raw(struct gen_opts *o, const char *name, uint32_t type,
		  const void *desc, uint32_t descsz)
{
	struct gen_note *n;
	uint32_t copy = descsz < GEN_MAX_DESC ? descsz : GEN_MAX_DESC;

	if (o->nr_notes == GEN_MAX_NOTES)
		abort();
	n = &o->notes[o->nr_notes++];
	memset(n, 0, sizeof(*n));
	n->name = name;
	n->type = type;
	n->descsz = descsz;
	if (desc)
		memcpy(n->desc, desc, copy);
}

void gen_note_str(struct gen_opts *o, uint32_t type, const char *s)
{
	gen_drop_note(o, type);
	gen_note_raw(o, "Xen", type, s, strlen(s) + 1);
}

void gen_note_num(struct gen_opts *o, uint32_t type, uint64_t v,
		  unsigned int size)
{
	unsigned char b[8];

	for (unsigned int i = 0; i < 8; i++)
		b[i] = v >> (8 * i);
	gen_drop_note(o, type);
	gen_note_raw(o, "Xen", type, b, size);
}

unsigned char gen_text_byte(uint64_t i)
{
	return (unsigned char)(i * 7 + 1);
}

unsigned char gen_data_byte(uint64_t i)
{
	return (unsigned char)(i * 13 + 5);
}

static size_t align(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

/* Notes are written where they are (the area ends after the last one). */
static size_t put_notes(const struct gen_opts *o, unsigned char *out)
{
	size_t pos = 0;

	for (unsigned int i = 0; i < o->nr_notes; i++) {
		const struct gen_note *n = &o->notes[i];
		struct elf64_nhdr nh = {
			(uint32_t)strlen(n->name) + 1, n->descsz, n->type
		};
		uint32_t copy = n->descsz < GEN_MAX_DESC ? n->descsz : GEN_MAX_DESC;

		if (out) {
			memcpy(out + pos, &nh, sizeof(nh));
			memcpy(out + pos + sizeof(nh), n->name, nh.n_namesz);
		}
		pos = align(pos + sizeof(nh) + nh.n_namesz, 4);
		if (out)
			memcpy(out + pos, n->desc, copy);
		pos = align(pos + copy, 4);
	}
	return pos;
}

unsigned char *gen_build(const struct gen_opts *o, size_t *len,
			 struct gen_layout *lay)
{
	struct gen_layout l = { .phdr_off = sizeof(struct elf64_ehdr) };
	struct elf64_ehdr eh = { .e_ident = { 0x7f, 'E', 'L', 'F' } };
	struct elf64_phdr ph[3 + 32];
	unsigned int nph = 0;
	unsigned char *buf;
	size_t size;

	memset(ph, 0, sizeof(ph));
	ph[nph++] = (struct elf64_phdr){ .p_type = PT_LOAD,
		.p_flags = PF_R | PF_X, .p_vaddr = o->base,
		.p_paddr = o->base - o->paddr_bias,
		.p_filesz = o->text_size, .p_memsz = o->text_size,
		.p_align = PAGE };
	ph[nph++] = (struct elf64_phdr){ .p_type = PT_LOAD,
		.p_flags = PF_R | PF_W, .p_vaddr = o->base + o->text_size,
		.p_paddr = o->base + o->text_size - o->paddr_bias,
		.p_filesz = o->data_size,
		.p_memsz = o->data_size + o->bss_size, .p_align = PAGE };
	if (o->pt_note)
		ph[nph++] = (struct elf64_phdr){ .p_type = PT_NOTE,
			.p_flags = PF_R, .p_align = 4 };
	for (unsigned int i = 0; i < o->extra_loads && nph < 35; i++)
		ph[nph++] = (struct elf64_phdr){ .p_type = PT_LOAD,
			.p_flags = PF_R, .p_vaddr = o->base,
			.p_paddr = o->base - o->paddr_bias };

	l.nr_phdrs = nph;
	l.notes_off = align(l.phdr_off + nph * sizeof(ph[0]), 8);
	l.notes_len = put_notes(o, NULL);
	l.text_off = align(l.notes_off + l.notes_len, PAGE);
	l.data_off = l.text_off + o->text_size;
	size = l.data_off + o->data_size;
	if (o->sections) {
		l.shdr_off = align(size, 8);
		size = l.shdr_off + 2 * sizeof(struct elf64_shdr);
	}

	ph[0].p_offset = l.text_off;
	ph[1].p_offset = l.data_off;
	for (unsigned int i = 2; i < nph; i++)
		ph[i].p_offset = l.text_off;
	if (o->pt_note) {
		ph[2].p_offset = o->note_offset_zero ? 0 : l.notes_off;
		ph[2].p_filesz = l.notes_len;
	}

	eh.e_ident[EI_CLASS] = o->ei_class;
	eh.e_ident[EI_DATA] = o->ei_data;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = o->type;
	eh.e_machine = o->machine;
	eh.e_version = EV_CURRENT;
	eh.e_entry = o->e_entry;
	eh.e_phoff = l.phdr_off;
	eh.e_shoff = l.shdr_off;
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph[0]);
	eh.e_phnum = nph;
	eh.e_shentsize = o->sections ? sizeof(struct elf64_shdr) : 0;
	eh.e_shnum = o->sections ? 2 : 0;

	buf = calloc(1, size);
	if (!buf)
		abort();
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + l.phdr_off, ph, nph * sizeof(ph[0]));
	put_notes(o, buf + l.notes_off);
	for (uint64_t i = 0; i < o->text_size; i++)
		buf[l.text_off + i] = gen_text_byte(i);
	for (uint64_t i = 0; i < o->data_size; i++)
		buf[l.data_off + i] = gen_data_byte(i);
	if (o->sections) {
		struct elf64_shdr sh = { .sh_type = SHT_NOTE,
			.sh_offset = l.notes_off, .sh_size = l.notes_len,
			.sh_addralign = 4 };

		memcpy(buf + l.shdr_off + sizeof(sh), &sh, sizeof(sh));
	}
	*len = size;
	if (lay)
		*lay = l;
	return buf;
}

/* ---- parsing them (CUnit helpers) ----------------------------------- */

/*
 * Parse a generated image; returns the error, *why its reason. The image
 * stays allocated until the next call: img's strings point into it.
 */
int gen_parse(const struct gen_opts *o, struct xen_image *img,
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
void gen_expect_refused(const struct gen_opts *o, int want_err,
			   const char *want_why)
{
	struct xen_image img;
	const char *why;
	int err = gen_parse(o, &img, &why);

	CU_ASSERT_EQUAL(err, want_err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_STRING_EQUAL(why, want_why);
	if (err != want_err || strcmp(why, want_why))
		printf("\n  got %d \"%s\", want %d \"%s\"", err, why, want_err,
		       want_why);
}
