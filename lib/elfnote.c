/*
 * Xen PV kernel image parser. The facts (which notes exist, their types,
 * how the virtual range is derived, what Xen refuses) come from
 * <xen/elfnote.h> and Xen's libelf; the code is ours.
 *
 * Rules for untrusted input used throughout: offsets and sizes are 64-bit,
 * every range is checked with in_file() (no addition that can overflow)
 * before anything is read, and reads go through memcpy so an odd offset
 * is never an unaligned access.
 */
#include "lib/elfnote.h"
#include "lib/elf.h"
#include "lib/string.h"

#include <xen/elfnote.h>
#include <xen/features.h>

/* x86 page size: architectural, not a Xen ABI constant. */
#define IMAGE_PAGE_SIZE		4096u

/* Xen's libelf gives up after this many notes (ELF_MAX_TOTAL_NOTE_COUNT). */
#define MAX_TOTAL_NOTES		65536u

struct file {
	const unsigned char *p;
	uint64_t len;
};

struct parse {
	struct file f;
	struct xen_image *img;
	unsigned int total_notes;
	const char *why;
};

static int fail(struct parse *ps, int err, const char *why)
{
	ps->why = why;
	return err;
}

/* [off, off + size) lies inside the file. */
static bool in_file(const struct file *f, uint64_t off, uint64_t size)
{
	return off <= f->len && size <= f->len - off;
}

static bool read_at(const struct file *f, uint64_t off, void *dst,
		    uint64_t size)
{
	if (!in_file(f, off, size))
		return false;
	memcpy(dst, f->p + off, size);
	return true;
}

static uint64_t align4(uint64_t v)
{
	return (v + 3) & ~(uint64_t)3;	/* v < 2^33 here: no overflow */
}

static bool has_prefix(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- features ---------------------------------------------------------- */

/*
 * The names Xen's libelf knows (elf_xen_feature_names); an image that
 * requires any other feature is refused by Xen, and so by us.
 */
#define FEATURE(name) { #name, XENFEAT_##name }
static const struct {
	const char *name;
	unsigned int bit;
} feature_names[] = {
	FEATURE(writable_page_tables),
	FEATURE(writable_descriptor_tables),
	FEATURE(auto_translated_physmap),
	FEATURE(supervisor_mode_kernel),
	FEATURE(pae_pgdir_above_4gb),
	FEATURE(hvm_callback_vector),
	FEATURE(dom0),
};
#undef FEATURE

static int feature_bit(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
		if (strlen(feature_names[i].name) == len &&
		    strncmp(feature_names[i].name, name, len) == 0)
			return (int)feature_names[i].bit;
	return -1;
}

int xen_parse_features(const char *s, uint32_t *supported, uint32_t *required)
{
	while (s && *s) {
		bool req = (*s == '!');
		const char *name = req ? s + 1 : s;
		size_t len = 0;
		int bit;

		while (name[len] && name[len] != '|')
			len++;
		bit = feature_bit(name, len);
		if (bit >= 0 && bit < 32) {
			*supported |= 1u << bit;
			if (req)
				*required |= 1u << bit;
		} else if (req) {
			return XEN_IMAGE_EBADNOTE;
		}
		s = name + len;
		if (*s == '|')
			s++;
	}
	return 0;
}

/* ---- notes ------------------------------------------------------------- */

static bool is_string_note(uint32_t type)
{
	switch (type) {
	case XEN_ELFNOTE_XEN_VERSION:
	case XEN_ELFNOTE_GUEST_OS:
	case XEN_ELFNOTE_GUEST_VERSION:
	case XEN_ELFNOTE_LOADER:
	case XEN_ELFNOTE_PAE_MODE:
	case XEN_ELFNOTE_FEATURES:
	case XEN_ELFNOTE_BSD_SYMTAB:
		return true;
	}
	return false;
}

/* Numeric notes are 1, 2, 4 or 8 bytes, little-endian, as libelf reads them. */
static bool read_numeric(const unsigned char *d, uint64_t size, uint64_t *val)
{
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return false;
	*val = 0;
	for (uint64_t i = size; i--; )
		*val = (*val << 8) | d[i];
	return true;
}

static int string_note(struct parse *ps, uint32_t type, const char *s)
{
	struct xen_image *img = ps->img;

	switch (type) {
	case XEN_ELFNOTE_XEN_VERSION:	img->xen_version = s; break;
	case XEN_ELFNOTE_GUEST_OS:	img->guest_os = s; break;
	case XEN_ELFNOTE_GUEST_VERSION:	img->guest_version = s; break;
	case XEN_ELFNOTE_LOADER:	img->loader = s; break;
	case XEN_ELFNOTE_PAE_MODE:	img->pae_mode = s; break;
	case XEN_ELFNOTE_BSD_SYMTAB:
		img->bsd_symtab_str = s;
		img->bsd_symtab = strcmp(s, "yes") == 0;
		break;
	case XEN_ELFNOTE_FEATURES:
		img->features = s;
		if (xen_parse_features(s, &img->f_supported, &img->f_required))
			return fail(ps, XEN_IMAGE_EBADNOTE,
				    "unknown required feature");
		break;
	}
	return 0;
}

static int numeric_note(struct parse *ps, uint32_t type,
			const unsigned char *d, uint64_t size)
{
	struct xen_image *img = ps->img;
	uint64_t val;

	if (type == XEN_ELFNOTE_SUPPORTED_FEATURES) {
		uint32_t map;

		/* An array of 32-bit submaps; only submap 0 exists. */
		if (size < sizeof(map) || size % sizeof(map))
			return fail(ps, XEN_IMAGE_EBADNOTE,
				    "bad SUPPORTED_FEATURES note size");
		memcpy(&map, d, sizeof(map));
		img->f_supported |= map;
		return 0;
	}
	if (type == XEN_ELFNOTE_L1_MFN_VALID)
		return 0;	/* mask/value pairs: 32-bit PAE only, unused */

	if (!read_numeric(d, size, &val))
		return fail(ps, XEN_IMAGE_EBADNOTE, "bad numeric note size");
	switch (type) {
	case XEN_ELFNOTE_ENTRY:		 img->entry_note = val; break;
	case XEN_ELFNOTE_HYPERCALL_PAGE: img->hypercall_page = val; break;
	case XEN_ELFNOTE_VIRT_BASE:	 img->virt_base = val; break;
	case XEN_ELFNOTE_PADDR_OFFSET:	 img->paddr_offset = val; break;
	case XEN_ELFNOTE_HV_START_LOW:	 img->hv_start_low = val; break;
	case XEN_ELFNOTE_SUSPEND_CANCEL: img->suspend_cancel = val; break;
	case XEN_ELFNOTE_INIT_P2M:	 img->init_p2m = val; break;
	case XEN_ELFNOTE_MOD_START_PFN:	 img->mod_start_pfn = val; break;
	case XEN_ELFNOTE_PHYS32_ENTRY:	 img->phys32_entry = val; break;
	}
	return 0;
}

static bool is_numeric_note(uint32_t type)
{
	switch (type) {
	case XEN_ELFNOTE_ENTRY:
	case XEN_ELFNOTE_HYPERCALL_PAGE:
	case XEN_ELFNOTE_VIRT_BASE:
	case XEN_ELFNOTE_PADDR_OFFSET:
	case XEN_ELFNOTE_HV_START_LOW:
	case XEN_ELFNOTE_L1_MFN_VALID:
	case XEN_ELFNOTE_SUSPEND_CANCEL:
	case XEN_ELFNOTE_INIT_P2M:
	case XEN_ELFNOTE_MOD_START_PFN:
	case XEN_ELFNOTE_SUPPORTED_FEATURES:
	case XEN_ELFNOTE_PHYS32_ENTRY:
		return true;
	}
	return false;
}

/* One note named "Xen"; desc is [doff, doff + dsize), already in the file. */
static int xen_note(struct parse *ps, uint32_t type, uint64_t doff,
		    uint64_t dsize)
{
	const unsigned char *d = ps->f.p + doff;
	int err = 0;

	if (is_string_note(type)) {
		/*
		 * libelf's elf_strval reads from the descriptor to the first
		 * NUL anywhere in the image, whatever descsz says: Linux's
		 * FEATURES string has its NUL in the note's padding. So the
		 * string must end inside the file, not inside descsz.
		 */
		(void)dsize;
		if (strnlen((const char *)d, ps->f.len - doff) == ps->f.len - doff)
			return fail(ps, XEN_IMAGE_EBADNOTE,
				    "unterminated string note");
		err = string_note(ps, type, (const char *)d);
	} else if (is_numeric_note(type)) {
		err = numeric_note(ps, type, d, dsize);
	}
	/* Other types (INFO, unknown, crash/dump notes) are ignored. */
	if (err)
		return err;
	if (type < 32)
		ps->img->notes |= 1u << type;
	ps->img->nr_xen_notes++;
	return 0;
}

static bool all_zero(const unsigned char *p, uint64_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* Walk the notes in [off, off + size) of the file. */
static int scan_notes(struct parse *ps, uint64_t off, uint64_t size)
{
	const struct file *f = &ps->f;
	uint64_t pos = off, end;

	if (!in_file(f, off, size))
		return fail(ps, XEN_IMAGE_EFORMAT, "note area outside the file");
	end = off + size;
	while (pos < end) {
		struct elf64_nhdr nh;
		uint64_t name, desc, next;
		int err;

		if (end - pos < sizeof(nh)) {
			/* Alignment padding after the last note is fine. */
			if (all_zero(f->p + pos, end - pos))
				break;
			return fail(ps, XEN_IMAGE_EBADNOTE, "truncated note header");
		}
		if (++ps->total_notes > MAX_TOTAL_NOTES)
			return fail(ps, XEN_IMAGE_EBADNOTE, "too many ELF notes");
		memcpy(&nh, f->p + pos, sizeof(nh));
		name = pos + sizeof(nh);
		if (align4(nh.n_namesz) > end - name)
			return fail(ps, XEN_IMAGE_EBADNOTE,
				    "note name outside its area");
		desc = name + align4(nh.n_namesz);
		if (nh.n_descsz > end - desc)
			return fail(ps, XEN_IMAGE_EBADNOTE,
				    "note descriptor outside its area");
		/* The last note's padding may be missing: stop at the end. */
		next = align4(nh.n_descsz) <= end - desc ?
		       desc + align4(nh.n_descsz) : end;

		if (nh.n_namesz >= 4 && memcmp(f->p + name, "Xen", 4) == 0) {
			err = xen_note(ps, nh.n_type, desc, nh.n_descsz);
			if (err)
				return err;
		}
		pos = next;
	}
	return 0;
}

/* PT_NOTE segments first; SHT_NOTE sections only if those had no Xen note. */
static int find_notes(struct parse *ps, const struct elf64_ehdr *eh)
{
	int err;

	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		struct elf64_phdr ph;

		read_at(&ps->f, eh->e_phoff + (uint64_t)i * sizeof(ph), &ph,
			sizeof(ph));
		/* libelf skips p_offset 0: some binutils leave it unset. */
		if (ph.p_type != PT_NOTE || ph.p_offset == 0)
			continue;
		err = scan_notes(ps, ph.p_offset, ph.p_filesz);
		if (err)
			return err;
	}
	if (ps->img->nr_xen_notes)
		return 0;

	for (unsigned int i = 1; i < eh->e_shnum; i++) {
		struct elf64_shdr sh;

		read_at(&ps->f, eh->e_shoff + (uint64_t)i * sizeof(sh), &sh,
			sizeof(sh));
		if (sh.sh_type != SHT_NOTE)
			continue;
		err = scan_notes(ps, sh.sh_offset, sh.sh_size);
		if (err)
			return err;
	}
	ps->img->notes_from_sections = ps->img->nr_xen_notes != 0;
	return 0;
}

/* ---- headers and segments ---------------------------------------------- */

static int check_header(struct parse *ps, struct elf64_ehdr *eh)
{
	const struct file *f = &ps->f;

	if (f->len < SELFMAG || memcmp(f->p, ELFMAG, SELFMAG) != 0)
		return fail(ps, XEN_IMAGE_EFORMAT, "not an ELF file");
	if (f->len < EI_NIDENT)
		return fail(ps, XEN_IMAGE_EFORMAT, "truncated ELF header");
	if (f->p[EI_CLASS] != ELFCLASS64)
		return fail(ps, XEN_IMAGE_EUNSUPPORTED, "not 64-bit");
	if (f->p[EI_DATA] != ELFDATA2LSB)
		return fail(ps, XEN_IMAGE_EUNSUPPORTED, "not little-endian");
	if (!read_at(f, 0, eh, sizeof(*eh)))
		return fail(ps, XEN_IMAGE_EFORMAT, "truncated ELF header");
	if (eh->e_machine != EM_X86_64)
		return fail(ps, XEN_IMAGE_EUNSUPPORTED, "not x86-64");
	if (eh->e_type != ET_EXEC)
		return fail(ps, XEN_IMAGE_EUNSUPPORTED, "not an executable");

	if (eh->e_phnum == 0)
		return fail(ps, XEN_IMAGE_EFORMAT, "no program headers");
	if (eh->e_phnum == PN_XNUM)
		return fail(ps, XEN_IMAGE_EFORMAT, "too many program headers");
	if (eh->e_phentsize != sizeof(struct elf64_phdr))
		return fail(ps, XEN_IMAGE_EFORMAT, "bad program header size");
	if (!in_file(f, eh->e_phoff,
		     (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr)))
		return fail(ps, XEN_IMAGE_EFORMAT,
			    "program headers outside the file");

	/* Sections are optional (only a fallback for notes), but if the
	 * header claims some, they must be where it says, as libelf checks. */
	if (eh->e_shnum) {
		if (eh->e_shentsize != sizeof(struct elf64_shdr))
			return fail(ps, XEN_IMAGE_EFORMAT,
				    "bad section header size");
		if (!in_file(f, eh->e_shoff,
			     (uint64_t)eh->e_shnum * sizeof(struct elf64_shdr)))
			return fail(ps, XEN_IMAGE_EFORMAT,
				    "section headers outside the file");
	}
	return 0;
}

static int collect_segments(struct parse *ps, const struct elf64_ehdr *eh)
{
	struct xen_image *img = ps->img;

	img->pstart = ~(uint64_t)0;
	img->pend = 0;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		struct elf64_phdr ph;
		struct elf_segment *s;

		read_at(&ps->f, eh->e_phoff + (uint64_t)i * sizeof(ph), &ph,
			sizeof(ph));
		/* Loadable as libelf sees it: PT_LOAD with some access. */
		if (ph.p_type != PT_LOAD || !(ph.p_flags & (PF_R | PF_W | PF_X)))
			continue;
		if (img->nr_segments == XEN_IMAGE_MAX_SEGMENTS)
			return fail(ps, XEN_IMAGE_EFORMAT,
				    "too many PT_LOAD segments");
		if (!in_file(&ps->f, ph.p_offset, ph.p_filesz))
			return fail(ps, XEN_IMAGE_EFORMAT,
				    "segment outside the file");
		if (ph.p_filesz > ph.p_memsz)
			return fail(ps, XEN_IMAGE_EFORMAT,
				    "segment file size exceeds memory size");
		if (ph.p_memsz > ~(uint64_t)0 - ph.p_paddr ||
		    ph.p_memsz > ~(uint64_t)0 - ph.p_vaddr)
			return fail(ps, XEN_IMAGE_EFORMAT,
				    "segment address overflow");

		s = &img->seg[img->nr_segments++];
		s->offset = ph.p_offset;
		s->filesz = ph.p_filesz;
		s->memsz = ph.p_memsz;
		s->vaddr = ph.p_vaddr;
		s->paddr = ph.p_paddr;
		s->flags = ph.p_flags;
		if (ph.p_paddr < img->pstart)
			img->pstart = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > img->pend)
			img->pend = ph.p_paddr + ph.p_memsz;
	}
	if (img->nr_segments == 0)
		return fail(ps, XEN_IMAGE_EFORMAT, "no loadable segments");
	return 0;
}

/* ---- Xen's checks -------------------------------------------------------- */

/* elf_xen_note_check: what Xen will agree to load as a PV kernel. */
static int check_notes(struct parse *ps)
{
	const struct xen_image *img = ps->img;

	if (img->nr_xen_notes == 0)
		return fail(ps, XEN_IMAGE_ENONOTES, "no Xen notes");
	if (!has_prefix(img->loader, "generic") &&
	    !has_prefix(img->guest_os, "linux"))
		return fail(ps, XEN_IMAGE_EREFUSED,
			    "not for the generic loader");
	if (!has_prefix(img->xen_version, "xen-3.0"))
		return fail(ps, XEN_IMAGE_EREFUSED, "not built for xen-3.0");
	return 0;
}

/* elf_xen_addr_calc_check, plus bounds on the hypercall page. */
static int calc_addresses(struct parse *ps, uint64_t e_entry)
{
	struct xen_image *img = ps->img;
	uint64_t base, poff, hp;

	if (img->paddr_offset != XEN_IMAGE_UNSET &&
	    img->virt_base == XEN_IMAGE_UNSET)
		return fail(ps, XEN_IMAGE_ELAYOUT,
			    "PADDR_OFFSET set without VIRT_BASE");
	/* With ELF notes (not the legacy __xen_guest) both default to 0. */
	base = img->virt_base == XEN_IMAGE_UNSET ? 0 : img->virt_base;
	poff = img->paddr_offset == XEN_IMAGE_UNSET ? 0 : img->paddr_offset;

	/* Modular arithmetic, as in Xen; the checks below catch a wrap. */
	img->virt_offset = base - poff;
	img->virt_kstart = img->pstart + img->virt_offset;
	img->virt_kend = img->pend + img->virt_offset;
	img->virt_entry = img->entry_note != XEN_IMAGE_UNSET ?
			  img->entry_note : e_entry;

	if (img->virt_kstart > img->virt_kend)
		return fail(ps, XEN_IMAGE_ELAYOUT, "kernel range wraps");
	if (base > img->virt_kstart)
		return fail(ps, XEN_IMAGE_ELAYOUT, "kernel below VIRT_BASE");
	if (img->virt_entry < img->virt_kstart ||
	    img->virt_entry > img->virt_kend)
		return fail(ps, XEN_IMAGE_ELAYOUT, "entry outside image");
	if (img->init_p2m != XEN_IMAGE_UNSET &&
	    img->init_p2m >= img->virt_kstart && img->init_p2m < img->virt_kend)
		return fail(ps, XEN_IMAGE_ELAYOUT, "INIT_P2M inside image");

	/* The hypervisor writes a whole page of stubs there. */
	hp = img->hypercall_page;
	if (hp != XEN_IMAGE_UNSET) {
		if (hp & (IMAGE_PAGE_SIZE - 1))
			return fail(ps, XEN_IMAGE_ELAYOUT,
				    "hypercall page not page-aligned");
		if (hp < img->virt_kstart ||
		    img->virt_kend - img->virt_kstart < IMAGE_PAGE_SIZE ||
		    hp > img->virt_kend - IMAGE_PAGE_SIZE)
			return fail(ps, XEN_IMAGE_ELAYOUT,
				    "hypercall page outside image");
	}
	return 0;
}

int xen_image_parse(const void *image, size_t len, struct xen_image *img,
		    const char **why)
{
	struct parse ps = { .f = { image, len }, .img = img };
	struct elf64_ehdr eh;
	int err;

	memset(img, 0, sizeof(*img));
	img->virt_base = img->paddr_offset = img->entry_note =
		img->hypercall_page = img->init_p2m = img->hv_start_low =
		img->phys32_entry = XEN_IMAGE_UNSET;

	if (!image)
		err = fail(&ps, XEN_IMAGE_EFORMAT, "not an ELF file");
	else if (!(err = check_header(&ps, &eh))) {
		img->e_entry = eh.e_entry;
		if (!(err = collect_segments(&ps, &eh)) &&
		    !(err = find_notes(&ps, &eh)) &&
		    !(err = check_notes(&ps)))
			err = calc_addresses(&ps, eh.e_entry);
	}
	if (err && why)
		*why = ps.why;
	return err;
}
