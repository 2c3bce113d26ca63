/*
 * The Xen ELF notes: how a PV domain builder (Xen's libxl, or parahost)
 * learns where to load us, where to enter, and where to put the hypercall
 * page. Constants come from libxen-dev's <xen/elfnote.h>.
 */
#include <xen/elfnote.h>
#include <xen/features.h>

#define VIRT_BASE 0xffffffff80000000

.macro xen_note type:req, payload:vararg
	.pushsection .note.Xen, "a", @note
	.balign 4
	.long 2f - 1f		/* name size */
	.long 4f - 3f		/* descriptor size */
	.long \type
1:	.asciz "Xen"
2:	.balign 4
3:	\payload
4:	.balign 4
	.popsection
.endm

	xen_note XEN_ELFNOTE_GUEST_OS,       .asciz "ParaOS"
	xen_note XEN_ELFNOTE_GUEST_VERSION,  .asciz "0.1"
	xen_note XEN_ELFNOTE_XEN_VERSION,    .asciz "xen-3.0"
	xen_note XEN_ELFNOTE_LOADER,         .asciz "generic"
	/* Physical = virtual - VIRT_BASE: the image's first page is pfn 0. */
	xen_note XEN_ELFNOTE_VIRT_BASE,      .quad VIRT_BASE
	xen_note XEN_ELFNOTE_PADDR_OFFSET,   .quad VIRT_BASE
	xen_note XEN_ELFNOTE_ENTRY,          .quad _start
	xen_note XEN_ELFNOTE_HYPERCALL_PAGE, .quad hypercall_page
	/*
	 * We ask for no optional feature: in particular not
	 * writable_page_tables, since every page-table write goes through
	 * a hypercall.
	 */
	xen_note XEN_ELFNOTE_FEATURES,       .asciz ""
	/* We can run as dom0 (console through console_io, no rings). */
	xen_note XEN_ELFNOTE_SUPPORTED_FEATURES, .long (1 << XENFEAT_dom0)
	xen_note XEN_ELFNOTE_PAE_MODE,       .asciz "yes"
