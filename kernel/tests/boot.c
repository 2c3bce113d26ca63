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

/*
 * Xen 4.17 fills a 64-bit PV guest's hypercall page as
 * pv_ring3_init_hypercall_page does: 0xcc everywhere, then in each of the
 * 128 32-byte slots "push %rcx; push %r11; mov $n, %eax; syscall;
 * pop %r11; pop %rcx; ret". The iret slot is special: the guest jumps
 * there with an iret frame, so it pushes RAX too and never returns.
 */
KTEST(boot, hypercall_page_filled)
{
	static const uint8_t stub[14] = {
		0x51, 0x41, 0x53, 0xb8, 0, 0, 0, 0, 0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3,
	};
	static const uint8_t iret[11] = {
		0x51, 0x41, 0x53, 0x50, 0xb8, __HYPERVISOR_iret, 0, 0, 0, 0x0f, 0x05,
	};
	const uint8_t *page = (const uint8_t *)hypercall_page;

	for (unsigned int n = 0; n < PAGE_SIZE / 32; n++) {
		const uint8_t *slot = page + n * 32;
		uint8_t want[32];
		unsigned int len = n == __HYPERVISOR_iret ? sizeof(iret) : sizeof(stub);

		memset(want, 0xcc, sizeof(want));
		memcpy(want, n == __HYPERVISOR_iret ? iret : stub, len);
		if (n != __HYPERVISOR_iret)
			want[4] = (uint8_t)n;	/* the imm32 of mov $n, %eax */
		for (unsigned int i = 0; i < 32; i++)
			KT_ASSERT(slot[i] == want[i],
				  "hypercall %u, byte %u: %#x, Xen writes %#x", n, i, slot[i], want[i]);
	}
}

KTEST(boot, xen_version)
{
	long v = hypercall_xen_version(XENVER_version, NULL);

	KT_ASSERT_EQ(v, 4 << 16 | 17, "XENVER_version (4.17)");
	KT_ASSERT(xen_major == 4 && xen_minor == 17, "version_init saw %u.%u", xen_major, xen_minor);
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
