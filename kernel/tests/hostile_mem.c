/*
 * Guest memory the hypervisor writes for us must be memory we could write
 * ourselves. Xen's GNTTABOP_copy takes a writable type reference on its
 * destination, so a page table, a descriptor page or a frame that is not
 * ours is refused; dom0's backends hold their rings mapped writable, so
 * the guest can never retype a ring into a page table under them.
 */
#include <xen/errno.h>
#include <xen/grant_table.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/tests/hostile.h"
#include "mm/frames.h"
#include "mm/mm.h"
#include "mm/mmu.h"
#include "mm/p2m.h"
#include "mm/pagetable.h"
#include "xen/console.h"
#include "xen/start_info.h"

/* One GNTTABOP_copy between frames (DOMID_SELF): the element's status, or the call's error. */
static int copy_frames(xen_pfn_t src, unsigned int soff, domid_t ddom, xen_pfn_t dst,
		       unsigned int doff, unsigned int len)
{
	struct gnttab_copy op = {
		.source = { .u.gmfn = src, .domid = DOMID_SELF, .offset = (uint16_t)soff },
		.dest = { .u.gmfn = dst, .domid = ddom, .offset = (uint16_t)doff },
		.len = (uint16_t)len, .flags = 0, .status = 99,
	};
	long rc = hypercall_grant_table_op(GNTTABOP_copy, &op, 1);

	return rc ? (int)rc : op.status;
}

#define COPY(src, dst, len) copy_frames(src, 0, DOMID_SELF, dst, 0, len)

KTEST(hostile, gnttab_copy_reference_types)
{
	unsigned long s = frame_alloc(), d = frame_alloc(), l1 = ro_frame(), gdt = ro_frame();
	xen_pfn_t sm = 0, dm = 0, l1m = 0, gdtm = 0, l4m = mm_boot.l4_mfn;
	xen_pfn_t xen_l3 = pte_mfn(kernel_l4[256]);	/* Xen's M2P slot: Xen's own table */
	xen_pfn_t shinfo = start_info.shared_info >> PAGE_SHIFT;
	int ok = -1, l1_0 = -1, l1_8 = -1, l4_dst = -1, l4_src = -1, gdt_dst = -1, fdst = -1;
	int fsrc = -1, xen_dst = -1, sh = -1, dom0 = -1, badlen = -1, badlen_l1 = -1;
	long pin = -1, setgdt = -1;
	uint64_t l1_after = ~0UL;
	bool same = false, l4_copied = false;

	if (s == FRAME_NONE || d == FRAME_NONE || l1 == FRAME_NONE || gdt == FRAME_NONE) {
		KT_FAIL("out of frames");
		goto out;
	}
	sm = pfn_to_mfn(s), dm = pfn_to_mfn(d), l1m = pfn_to_mfn(l1), gdtm = pfn_to_mfn(gdt);
	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		((uint8_t *)pfn_to_virt(s))[i] = (uint8_t)(i * 7 + 1);
	memset(pfn_to_virt(d), 0, PAGE_SIZE);
	pin = mmuext(MMUEXT_PIN_L1_TABLE, l1m);
	setgdt = hypercall_set_gdt(&gdtm, 512);

	ok = copy_frames(sm, 100, DOMID_SELF, dm, 200, 64);
	same = !memcmp((uint8_t *)pfn_to_virt(s) + 100, (uint8_t *)pfn_to_virt(d) + 200, 64);
	l1_0 = COPY(sm, l1m, 0);
	l1_8 = COPY(sm, l1m, 8);
	l1_after = *(volatile uint64_t *)pfn_to_virt(l1);
	l4_dst = COPY(sm, l4m, 0);
	l4_src = COPY(l4m, dm, 8);
	l4_copied = *(uint64_t *)pfn_to_virt(d) == kernel_l4[0];
	gdt_dst = COPY(sm, gdtm, 0);
	fdst = COPY(sm, foreign_mfn(), 0);
	fsrc = COPY(foreign_mfn(), dm, 0);
	xen_dst = COPY(sm, xen_l3, 0);
	sh = COPY(sm, shinfo, 0);
	dom0 = copy_frames(sm, 0, 0, dm, 0, 8);
	badlen = copy_frames(sm, 0, DOMID_SELF, dm, 4000, 200);
	badlen_l1 = copy_frames(sm, 0, DOMID_SELF, l1m, 4000, 200);

out:
	if (setgdt == 0)
		hypercall_set_gdt(NULL, 0);
	if (pin == 0)
		mmuext(MMUEXT_UNPIN_TABLE, l1m);
	ro_frame_free(gdt);
	ro_frame_free(l1);
	if (d != FRAME_NONE)
		frame_free(d);
	if (s != FRAME_NONE)
		frame_free(s);
	if (ktest_failed())
		return;
	KT_ASSERT_EQ(pin, 0, "pinning an empty L1 of our own");
	KT_ASSERT_EQ(setgdt, 0, "set_gdt of a frame of our own");
	KT_ASSERT_EQ(ok, GNTST_okay, "copy between two data frames");
	KT_ASSERT(same, "the copied bytes differ");
	/* The destination's writable type reference is what Xen takes first. */
	KT_ASSERT_EQ(l1_0, GNTST_general_error, "copy into a pinned L1 (0 bytes)");
	KT_ASSERT_EQ(l1_8, GNTST_general_error, "copy into a pinned L1 (8 bytes)");
	KT_ASSERT_EQ(l1_after, 0, "the L1's first entry after the refused copy");
	KT_ASSERT_EQ(l4_dst, GNTST_general_error, "copy into our live L4");
	KT_ASSERT_EQ(l4_src, GNTST_okay, "copy out of our live L4 (read only)");
	KT_ASSERT(l4_copied, "the L4's first entry did not arrive");
	KT_ASSERT_EQ(gdt_dst, GNTST_general_error, "copy into a descriptor page in use");
	KT_ASSERT_EQ(fdst, GNTST_bad_page, "copy into a frame that is not ours");
	KT_ASSERT_EQ(fsrc, GNTST_bad_page, "copy out of a frame that is not ours");
	KT_ASSERT_EQ(xen_dst, GNTST_bad_page, "copy into one of Xen's page tables");
	KT_ASSERT_EQ(sh, GNTST_okay, "copy into shared_info (ours, writable for good)");
	KT_ASSERT_EQ(dom0, GNTST_permission_denied, "copy by frame to domain 0");
	KT_ASSERT_EQ(badlen, GNTST_bad_copy_arg, "copy past the end of the page");
	KT_ASSERT_EQ(badlen_l1, GNTST_general_error, "copy past the end, into an L1");
}

/*
 * Try to make a backend's ring an L1 page table: empty it (so it would
 * validate), map it read-only, pin it. The backend's writable reference
 * must make the pin fail as the type conflict it is, -EINVAL; the page is
 * put back as it was.
 */
static long pin_ring_as_l1(xen_pfn_t mfn, uint8_t *save)
{
	unsigned long pfn = mfn_to_pfn(mfn);
	long rc;

	memcpy(save, pfn_to_virt(pfn), PAGE_SIZE);
	memset(pfn_to_virt(pfn), 0, PAGE_SIZE);
	rc = direct_map(pfn, false);
	if (!rc) {
		rc = mmuext(MMUEXT_PIN_L1_TABLE, mfn);
		if (!rc)
			mmuext(MMUEXT_UNPIN_TABLE, mfn);
		else if (rc != -XEN_EINVAL)
			rc = rc * 1000;		/* not a type conflict: keep it visible */
		direct_map(pfn, true);
	}
	memcpy(pfn_to_virt(pfn), save, PAGE_SIZE);
	return rc;
}

static uint8_t saved_ring[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

KTEST(hostile, backend_rings_cannot_be_retyped)
{
	unsigned long control = ro_frame();
	long rc_control, rc_console, rc_store;

	if (is_initial_domain()) {
		ro_frame_free(control);
		return;		/* the initial domain has no backend rings */
	}
	/* Nothing of ours may be in flight while the rings are empty. */
	console_flush();
	rc_control = control == FRAME_NONE ? -1 : mmuext(MMUEXT_PIN_L1_TABLE, pfn_to_mfn(control));
	if (rc_control == 0)
		mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(control));
	ro_frame_free(control);
	rc_console = pin_ring_as_l1(start_info.console.domU.mfn, saved_ring);
	rc_store = pin_ring_as_l1(start_info.store_mfn, saved_ring);

	KT_ASSERT_EQ(rc_control, 0, "pinning an empty frame of our own as L1 (the control)");
	KT_ASSERT_EQ(rc_console, -XEN_EINVAL, "pinning the console ring as L1");
	KT_ASSERT_EQ(rc_store, -XEN_EINVAL, "pinning the xenstore ring as L1");
}
