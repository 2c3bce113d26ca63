/*
 * XSAs about memory_op: XENMEM_exchange's argument checks, and the
 * reservation ops (decrease, populate) with the flags and orders a PV
 * guest must not get away with. The reservation test gives one page back
 * to Xen and takes one back, as a balloon driver does.
 */
#include <xen/errno.h>
#include <xen/memory.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/tests/probe.h"
#include "kernel/tests/ptframe.h"
#include "lib/barrier.h"
#include "mm/mmu.h"

static long reservation(unsigned int cmd, xen_pfn_t *list, unsigned int order,
			unsigned int flags)
{
	struct xen_memory_reservation r = {
		.nr_extents = 1, .extent_order = order, .mem_flags = flags, .domid = DOMID_SELF,
	};

	set_xen_guest_handle(r.extent_start, list);
	return hypercall_memory_op(cmd, &r);
}

/*
 * XSA-29 (input list not checked), XSA-212 (output list checked wrongly)
 * and XSA-159 (error paths): XENMEM_exchange with a list in Xen's address
 * range is -EFAULT, mismatched domains or sizes -EINVAL, an order above
 * the domain's limit -EPERM; and each time nothing was exchanged.
 */
KTEST(xsa, xsa_029_212_exchange_handles)
{
	unsigned long pfn = frame_alloc();
	xen_pfn_t in, out;
	struct {
		const char *what;
		long expect;
		void *in_list, *out_list;
		unsigned int in_order, out_order, out_extents;
		domid_t out_dom;
	} cases[] = {
		{ "input list in Xen's range", -XEN_EFAULT,
		  (void *)HYPERVISOR_VIRT_START, &out, 0, 0, 1, DOMID_SELF },
		{ "output list in Xen's range", -XEN_EFAULT,
		  &in, (void *)(HYPERVISOR_VIRT_START + 0x1000), 0, 0, 1, DOMID_SELF },
		{ "output list non-canonical", -XEN_EFAULT,
		  &in, (void *)0x8000000000000000ul, 0, 0, 1, DOMID_SELF },
		{ "input and output domains differ", -XEN_EINVAL, &in, &out, 0, 0, 1, 0 },
		{ "sizes differ", -XEN_EINVAL, &in, &out, 0, 1, 1, DOMID_SELF },
		{ "order above the domain's limit", -XEN_EPERM, &in, &out, 0, 20, 0, DOMID_SELF },
	};

	KT_ASSERT(pfn != FRAME_NONE, "setup");
	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		struct xen_memory_exchange x = {
			.in = { .nr_extents = 1, .extent_order = cases[i].in_order,
				.domid = DOMID_SELF },
			.out = { .nr_extents = cases[i].out_extents,
				 .extent_order = cases[i].out_order, .domid = cases[i].out_dom },
			.nr_exchanged = 0,
		};
		long rc;

		in = pfn_to_mfn(pfn);
		out = pfn;
		set_xen_guest_handle(x.in.extent_start, (xen_pfn_t *)cases[i].in_list);
		set_xen_guest_handle(x.out.extent_start, (xen_pfn_t *)cases[i].out_list);
		rc = hypercall_memory_op(XENMEM_exchange, &x);
		if (rc != cases[i].expect || x.nr_exchanged != 0 || in != pfn_to_mfn(pfn)) {
			frame_free(pfn);
			KT_FAIL("%s: %ld (nr_exchanged %lu), expected %ld", cases[i].what, rc,
				(unsigned long)x.nr_exchanged, cases[i].expect);
			return;
		}
	}
	KT_ASSERT_EQ(probe_write((unsigned long)pfn_to_virt(pfn), 1), 0,
		     "our frame is still ours and mapped");
	frame_free(pfn);
}

static void set_p2m(unsigned long pfn, xen_pfn_t mfn)
{
	((xen_pfn_t *)start_info.mfn_list)[pfn] = mfn;
}

static void map_frame(unsigned long pfn, uint64_t pte)
{
	struct pt_batch b = { 0 };

	pt_set(&b, (unsigned long)pfn_to_virt(pfn), pte);
	pt_commit(&b);
}

/*
 * One page out and back in, through every check the old advisories were
 * about:
 *   XSA-31:  decrease_reservation with extent_order 31 does nothing (0);
 *   XSA-14:  populate_physmap with XENMEMF_populate_on_demand is for HVM:
 *            nothing populated (0) for a PV domain;
 *   XSA-231: an exact-node request for a node that does not exist: 0;
 * and then a plain populate gives the pfn a frame again (1).
 * (XSA-100 cannot be checked here: Xen leaves clearing a page to the live
 * domain that frees it, and scrubs only a dying domain's pages.)
 */
KTEST(xsa, xsa_014_031_231_reservation)
{
	unsigned long pfn = frame_alloc();
	uint8_t *page = pfn_to_virt(pfn);
	xen_pfn_t old_mfn, list;
	long rc;

	KT_ASSERT(pfn != FRAME_NONE, "setup");
	old_mfn = pfn_to_mfn(pfn);
	memset(page, 0x5a, PAGE_SIZE);
	/* A balloon driver unmaps the page before giving it back. */
	map_frame(pfn, 0);

	list = old_mfn;
	rc = reservation(XENMEM_decrease_reservation, &list, 31, 0);
	if (rc == 0) {
		list = old_mfn;
		rc = reservation(XENMEM_decrease_reservation, &list, 0, 0);
		if (rc == 1)
			goto given_back;
		KT_FAIL("decrease_reservation of one page: %ld, expected 1", rc);
	} else {
		KT_FAIL("decrease_reservation with order 31: %ld, expected 0", rc);
	}
	if (rc != 1) {
		/* Still ours: put it back as it was. */
		map_frame(pfn, frame_pte(pfn, PTE_KERNEL_RW));
		frame_free(pfn);
		return;
	}

given_back:
	set_p2m(pfn, ~(xen_pfn_t)0);	/* no frame behind it now */
	list = pfn;
	rc = reservation(XENMEM_populate_physmap, &list, 0, XENMEMF_populate_on_demand);
	if (rc != 0)
		KT_FAIL("populate_physmap with populate_on_demand: %ld, expected 0", rc);
	list = pfn;
	if (rc == 0) {
		rc = reservation(XENMEM_populate_physmap, &list, 0, XENMEMF_exact_node(200));
		if (rc != 0)
			KT_FAIL("populate_physmap on node 200, exact: %ld, expected 0", rc);
	}
	if (rc == 0) {
		list = pfn;
		rc = reservation(XENMEM_populate_physmap, &list, 0, 0);
		if (rc != 1)
			KT_FAIL("populate_physmap of one page: %ld, expected 1", rc);
	}
	if (rc != 1) {
		/* No page behind this pfn any more: keep it allocated, unmapped. */
		kprintf("xsa: pfn %#lx has no page now and stays out of use\n", pfn);
		return;
	}
	/* For a PV guest the list now holds the new frame; the M2P says pfn. */
	set_p2m(pfn, list);
	KT_ASSERT_EQ(mfn_to_pfn(list), pfn, "M2P of the new frame");
	map_frame(pfn, frame_pte(pfn, PTE_KERNEL_RW));
	page[0] = 0xa5;
	KT_ASSERT_EQ(READ_ONCE(page[0]), 0xa5, "the new frame holds what we write");
	frame_free(pfn);
}
