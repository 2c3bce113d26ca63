/*
 * Parse a 64-bit Xen PV kernel image held in memory: validate the ELF
 * header, collect the loadable segments, decode the Xen ELF notes
 * (<xen/elfnote.h>) and compute the kernel's virtual range the way Xen's
 * libelf does (elf_xen_parse: note check, then elf_xen_addr_calc_check).
 *
 * The image is untrusted: every offset and length is checked against the
 * buffer before use, and a bad image yields a negative error plus a short
 * static reason, never a crash. No allocation, no globals; the strings in
 * struct xen_image point into the caller's image buffer, so they live as
 * long as it does.
 *
 * Shared by the guest and parahost; host-compiled for the unit tests.
 */
#ifndef LIB_ELFNOTE_H
#define LIB_ELFNOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A value no note provided (Xen's libelf calls it UNSET_ADDR). */
#define XEN_IMAGE_UNSET		(~(uint64_t)0)

/* More PT_LOAD segments than this is not a kernel we want to load. */
#define XEN_IMAGE_MAX_SEGMENTS	16

/* Errors, all negative. The reason string says more. */
enum {
	XEN_IMAGE_EFORMAT = -1,		/* not ELF, truncated or inconsistent */
	XEN_IMAGE_EUNSUPPORTED = -2,	/* valid ELF, but not x86-64 exec */
	XEN_IMAGE_ENONOTES = -3,	/* no Xen notes: not a PV kernel */
	XEN_IMAGE_EBADNOTE = -4,	/* a Xen note is malformed */
	XEN_IMAGE_EREFUSED = -5,	/* notes say it is not for us */
	XEN_IMAGE_ELAYOUT = -6,		/* addresses out of bounds */
};

/* A loadable segment (PT_LOAD with any of R/W/X), checked against the file. */
struct elf_segment {
	uint64_t offset;	/* file offset; offset + filesz <= image length */
	uint64_t filesz;	/* bytes copied from the file */
	uint64_t memsz;		/* >= filesz; the rest is zeroed (bss) */
	uint64_t vaddr;
	uint64_t paddr;		/* what Xen loads by: va = paddr + virt_offset */
	uint32_t flags;		/* PF_R/PF_W/PF_X */
};

struct xen_image {
	/* From the ELF headers. */
	uint64_t e_entry;
	unsigned int nr_segments;
	struct elf_segment seg[XEN_IMAGE_MAX_SEGMENTS];
	uint64_t pstart, pend;	/* lowest paddr, highest paddr + memsz */

	/* Bit n set: a Xen note of type n (XEN_ELFNOTE_*, <= 31) was seen. */
	uint32_t notes;
	unsigned int nr_xen_notes;
	bool notes_from_sections;	/* found via SHT_NOTE, not PT_NOTE */

	/* String notes, NUL-terminated inside the image; NULL if absent. */
	const char *guest_os;
	const char *guest_version;
	const char *xen_version;
	const char *loader;
	const char *pae_mode;
	const char *features;
	const char *bsd_symtab_str;

	/* Feature bitmaps (XENFEAT_* bit numbers, submap 0). */
	uint32_t f_supported;	/* FEATURES names and SUPPORTED_FEATURES */
	uint32_t f_required;	/* FEATURES names with a '!' prefix */

	/*
	 * Numeric notes as given; XEN_IMAGE_UNSET when absent, except
	 * suspend_cancel and mod_start_pfn, which default to 0 as in Xen.
	 */
	uint64_t virt_base;
	uint64_t paddr_offset;
	uint64_t entry_note;
	uint64_t hypercall_page;
	uint64_t init_p2m;
	uint64_t hv_start_low;
	uint64_t suspend_cancel;
	uint64_t phys32_entry;
	uint64_t mod_start_pfn;
	bool bsd_symtab;	/* BSD_SYMTAB = "yes" */

	/*
	 * Computed as elf_xen_addr_calc_check does: virt_base and
	 * paddr_offset default to 0, virt_offset = virt_base - paddr_offset,
	 * the kernel occupies [virt_kstart, virt_kend) =
	 * [pstart, pend) + virt_offset, and virt_entry defaults to e_entry.
	 */
	uint64_t virt_offset;
	uint64_t virt_kstart;
	uint64_t virt_kend;
	uint64_t virt_entry;
};

/*
 * Parse image[0, len). Returns 0 and fills *img, or a negative
 * XEN_IMAGE_E* and sets *why (if why is not NULL) to a short static
 * reason such as "not an ELF file", "not 64-bit", "no Xen notes" or
 * "entry outside image". *img is unspecified after a failure.
 */
int xen_image_parse(const void *image, size_t len, struct xen_image *img,
		    const char **why);

/* Was a Xen note of this type present? */
static inline bool xen_image_has(const struct xen_image *img, unsigned int type)
{
	return type < 32 && (img->notes & (1u << type));
}

/*
 * Parse a FEATURES string as Xen's elf_xen_parse_features does: names
 * from <xen/features.h> without the XENFEAT_ prefix, separated by '|',
 * a '!' prefix marks a required feature. Unknown names are ignored unless
 * required. Returns 0, or XEN_IMAGE_EBADNOTE for an unknown required one.
 */
int xen_parse_features(const char *s, uint32_t *supported, uint32_t *required);

#endif
