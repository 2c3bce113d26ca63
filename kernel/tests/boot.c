/* Start of day: what the domain builder handed us, and the hypercall page. */
#include <xen/errno.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "mm/p2m.h"
#include "xen/version.h"

extern char _image_start[], _image_end[];

KTEST(boot, start_info_sane)
{
	const struct start_info *si = &start_info;

	KT_ASSERT(memcmp(si->magic, "xen-3.0-x86_64", 14) == 0,
		  "magic \"%.14s\" is not xen-3.0-x86_64", si->magic);
	KT_ASSERT(si->nr_pages >= 64, "nr_pages %lu too small", si->nr_pages);
	KT_ASSERT(PAGE_ALIGNED(si->shared_info), "shared_info %#lx unaligned",
		  si->shared_info);
	KT_ASSERT(PAGE_ALIGNED(si->pt_base) && si->pt_base >= (unsigned long)_image_end,
		  "pt_base %#lx not a page after the image", si->pt_base);
	KT_ASSERT(si->nr_pt_frames >= 4, "nr_pt_frames %lu: a 4-level table needs 4",
		  si->nr_pt_frames);
	KT_ASSERT(si->mfn_list >= (unsigned long)_image_end && PAGE_ALIGNED(si->mfn_list),
		  "mfn_list %#lx not page-aligned after the image", si->mfn_list);
	if (is_initial_domain())
		return;
	KT_ASSERT(si->console.domU.mfn != 0 && si->console.domU.evtchn != 0,
		  "no console ring (mfn %#lx, port %u)",
		  (unsigned long)si->console.domU.mfn, si->console.domU.evtchn);
	KT_ASSERT(si->store_mfn != 0 && si->store_evtchn != 0,
		  "no xenstore ring (mfn %#lx, port %u)",
		  (unsigned long)si->store_mfn, si->store_evtchn);
}

/* The P2M we were given and Xen's M2P must be inverse of each other. */
KTEST(boot, p2m_m2p_agree)
{
	unsigned long step = start_info.nr_pages / 97 + 1;

	for (unsigned long pfn = 0; pfn < start_info.nr_pages; pfn += step) {
		xen_pfn_t mfn = pfn_to_mfn(pfn);

		KT_ASSERT(mfn_to_pfn(mfn) == pfn, "pfn %#lx -> mfn %#lx -> pfn %#lx",
			  pfn, (unsigned long)mfn, mfn_to_pfn(mfn));
	}
	/* Our own text is where the builder says pfn 0 is. */
	KT_ASSERT_EQ(virt_to_pfn(_image_start), 0, "pfn of the image start");
}

KTEST(boot, hypercall_page_filled)
{
	/* Every stub the builder writes ends with SYSCALL (0f 05) somewhere. */
	const unsigned char *stub = (const unsigned char *)hypercall_page +
		__HYPERVISOR_xen_version * 32;
	bool has_syscall = false;

	for (int i = 0; i < 31; i++)
		if (stub[i] == 0x0f && stub[i + 1] == 0x05)
			has_syscall = true;
	KT_ASSERT(stub[0] != 0xcc, "xen_version stub still holds our int3 filler");
	KT_ASSERT(has_syscall, "xen_version stub has no syscall instruction");
}

KTEST(boot, xen_version)
{
	long v = hypercall_xen_version(XENVER_version, NULL);

	KT_ASSERT(v > 0 && (v >> 16) >= 3, "XENVER_version returned %#lx", v);
	KT_ASSERT_EQ(xen_major, (unsigned long)v >> 16, "major cached at boot");
}

KTEST(boot, features_query)
{
	struct xen_feature_info fi = { .submap_idx = 0 };
	long rc = hypercall_xen_version(XENVER_get_features, &fi);

	KT_ASSERT_EQ(rc, 0, "XENVER_get_features");
	/* We did not ask for writable page tables, so they must not be on. */
	KT_ASSERT(!(fi.submap & (1u << XENFEAT_writable_page_tables)),
		  "writable_page_tables offered although not requested (%#x)",
		  fi.submap);
	/* An out-of-range submap gets -EINVAL from Xen. */
	fi.submap_idx = 1000;
	rc = hypercall_xen_version(XENVER_get_features, &fi);
	KT_ASSERT_EQ(rc, -XEN_EINVAL, "XENVER_get_features submap 1000");
}

KTEST(boot, unknown_hypercall_enosys)
{
	/* 55 is __HYPERVISOR_arch_7: reserved, implemented by nobody. */
	long rc = hypercall_raw(__HYPERVISOR_arch_7, 0, 0);

	KT_ASSERT_EQ(rc, -XEN_ENOSYS, "hypercall arch_7");
}
