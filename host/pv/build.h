/*
 * The PV domain builder: put a 64-bit Xen PV kernel into a domain's memory
 * exactly as Xen would at start of day, so the guest cannot tell parahost
 * from Xen. Follows public xen.h "Start-of-day memory layout" and Xen's two
 * builders: libxc's (tools/libs/guest, what `xl create` uses) for a domU,
 * the hypervisor's dom0_construct_pv for the dom0 variant.
 *
 * The bootstrap region [v_start, v_end) starts at the image's VIRT_BASE,
 * maps pfn (va - v_start) >> 12 for every page, and holds, in order and
 * each page-aligned:
 *
 *   kernel        PT_LOAD segments at paddr + (VIRT_BASE - PADDR_OFFSET),
 *                 bss zeroed (pages below the kernel are plain padding)
 *   module        the initrd, if given (after the region instead when the
 *                 image has a non-zero MOD_START_PFN note: SIF_MOD_START_PFN)
 *   p2m list      mfn_list: nr_pages entries of xen_pfn_t (unless INIT_P2M)
 *   start_info    one page
 *   xenstore      one page, zeroed (domU only)
 *   console       one page, zeroed (domU only)
 *   page tables   L4, L3s, L2s, L1s mapping the whole region (dom0: Xen's
 *                 order, L4 then each L1 followed by the L2/L3 it opens);
 *                 mapped read-only, everything else read-write; every entry
 *                 has _PAGE_USER, as Xen gives a 64-bit PV guest
 *   boot stack    one page; RSP starts at its top
 *   padding       at least 512 KiB; v_end is 4 MiB-aligned
 *
 * What the builder does NOT do (the hypervisor's job, as in Xen):
 *   - the Xen-reserved L4 slots 256-271 (HYPERVISOR_VIRT_START..END: the
 *     read-only M2P and the rest) are left empty for the host to fill;
 *     pv_build refuses an image whose region overlaps them;
 *   - the M2P table (mfn -> pfn), shared_info (contents, upcall masks),
 *     the hypercall page contents (its address is in the result), page
 *     type/pinning bookkeeping, segment registers (FLAT_KERNEL_*);
 *   - frames outside the bootstrap region are not touched: hand them over
 *     scrubbed, as Xen does.
 *
 * A domU image's INIT_P2M note, page-aligned and below VIRT_BASE, moves
 * the p2m out of the region as libxc does: mapped at that address by
 * tables of its own, its frames after the region (and after an unmapped
 * module), start_info's first_p2m_pfn/nr_p2m_frames naming them (Linux
 * asks for 512 GiB). nr_pt_frames counts the region's tables only.
 *
 * Not supported (refused or ignored, each documented at its check):
 * BSD_SYMTAB (refused), INIT_P2M for dom0 (ignored: Xen's dom0 builder
 * maps it its own way; the p2m stays in the region), 32-bit and PVH
 * images (refused).
 */
#ifndef HOST_PV_BUILD_H
#define HOST_PV_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>

#include "lib/elfnote.h"

struct pv_build_params {
	const void *image;		/* the guest ELF, untrusted */
	size_t image_len;
	const void *module;		/* optional initrd; NULL when none */
	size_t module_len;
	uint64_t nr_pages;		/* guest RAM pages: start_info.nr_pages */
	/*
	 * pfn -> mfn for pfn < nr_pages, chosen by the host: deliberately
	 * not the identity, so a guest that confuses the two fails early.
	 */
	const xen_pfn_t *p2m;
	/*
	 * Host pointer to the 4 KiB (and 4 KiB-aligned) frame mfn, or NULL
	 * if mfn is not one of this guest's frames. Called for every p2m
	 * entry before anything is written.
	 */
	void *(*frame)(void *ctx, xen_pfn_t mfn);
	void *ctx;
	uint64_t shared_info_maddr;	/* start_info.shared_info */
	uint32_t console_evtchn;	/* domU only */
	uint32_t store_evtchn;		/* domU only */
	const char *cmdline;		/* NULL for none; truncated to
					 * MAX_GUEST_CMDLINE - 1 as Xen does */
	/*
	 * XENFEAT_* bits (submap 0) the host cannot provide: an image that
	 * requires one ('!' in FEATURES) is refused. 0 accepts what Xen
	 * accepts: Xen refuses a required feature only if libelf does not
	 * know its name, a domU that requires dom0, or a dom0 that requires
	 * supervisor_mode_kernel; it never compares the rest with what it
	 * offers (Linux PV kernels "require" writable_page_tables, which a
	 * PV guest never gets, and boot).
	 */
	uint32_t unsupported_features;
	bool dom0;			/* build the initial domain instead */
};

struct pv_build_result {
	struct xen_image img;		/* the parsed image: notes, ranges */

	uint64_t v_start, v_end;	/* bootstrap region (VIRT_BASE..) */
	uint64_t nr_region_pages;	/* (v_end - v_start) >> 12 */

	/* Each element: virtual address and pfn (pfn = (va - v_start) >> 12). */
	uint64_t kernel_va, kernel_end;	/* virt_kstart, virt_kend (byte end) */
	uint64_t kernel_pfn, kernel_pages;
	uint64_t module_va;		/* 0 if no module or not mapped */
	uint64_t module_pfn, module_pages;
	uint64_t p2m_va, p2m_pfn, p2m_pages;
	uint64_t start_info_va, start_info_pfn;
	uint64_t store_va, store_pfn;	/* domU only, else 0 */
	uint64_t console_va, console_pfn; /* domU only, else 0 */
	uint64_t pt_va, pt_pfn;		/* start_info.pt_base: the L4 */
	uint64_t nr_pt_frames;		/* L4 + L3s + L2s + L1s */
	uint64_t nr_l3, nr_l2, nr_l1;
	uint64_t stack_va, stack_pfn;
	uint64_t hypercall_va, hypercall_pfn;	/* XEN_IMAGE_UNSET if none */

	/* start_info values that are not just the addresses above. */
	uint32_t si_flags;
	uint64_t mod_start, mod_len;	/* as written to start_info */
	uint64_t first_p2m_pfn, nr_p2m_frames;

	/*
	 * INIT_P2M honoured: p2m_va is the note's address, p2m_pfn the first
	 * of nr_p2m_frames (the p2m pages, then the mapping's own L3s, L2s
	 * and L1s). Per table level 1-3: the absolute index (va >> 21, 30,
	 * 39) of the first table that is the mapping's own (the region's
	 * serve the others), and how many.
	 */
	bool p2m_apart;
	uint64_t p2m_first[4], p2m_count[4];

	/* Machine frames; filled by pv_build only (pv_layout leaves 0). */
	xen_pfn_t store_mfn, console_mfn;
	xen_pfn_t hypercall_mfn;	/* XEN_IMAGE_UNSET if none */
	xen_pfn_t l4_mfn;

	/*
	 * vCPU 0 at entry, as Xen sets it. Also as Xen: segments
	 * FLAT_KERNEL_CS/DS/SS, every other register 0, and the kernel
	 * stack for traps (kernel_ss:kernel_sp) = SS:RSP.
	 */
	uint64_t entry_rip;		/* the image's entry */
	uint64_t entry_rsp;		/* top of the boot stack page */
	uint64_t entry_rsi;		/* start_info_va */
	uint64_t entry_rflags;		/* IF set */
	uint64_t cr3;			/* l4_mfn << 12 (pv_build only) */

	uint64_t bad_pfn;		/* the p2m entry frame() refused */
};

/*
 * Compute the layout only: parse the image, check it against the
 * parameters and fill *r, without calling frame() or writing anything.
 * Uses image, image_len, module_len, nr_pages, unsupported_features and
 * dom0.
 * Returns 0, or a negative error with a short static reason in *why.
 */
int pv_layout(const struct pv_build_params *p, struct pv_build_result *r,
	      const char **why);

/*
 * Build the domain: pv_layout, check every p2m entry with frame(), then
 * load the kernel and module, write the p2m list, start_info and the page
 * tables, and zero everything else in the region. Returns 0 and fills *r,
 * or a negative error with a short static reason in *why (*r then says
 * how far it got; memory may be partly written).
 */
int pv_build(const struct pv_build_params *p, struct pv_build_result *r,
	     const char **why);

/* Errors (beyond the XEN_IMAGE_E* of the image parser), all negative. */
enum {
	PV_BUILD_EREFUSED = -20,	/* the image's notes rule this out */
	PV_BUILD_ENOMEM = -21,		/* too few pages for the layout */
	PV_BUILD_ELAYOUT = -22,		/* region outside the usable space */
	PV_BUILD_EFRAME = -23,		/* p2m or frame() is unusable */
};

#endif
