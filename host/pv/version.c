/*
 * HYPERVISOR_xen_version (Xen: common/kernel.c). We answer as Xen 4.17
 * would for a 64-bit PV domU, with our own identity in the strings.
 */
#include "host/pv/pv.h"

#include <xen/features.h>

#define XEN_MAJOR	4
#define XEN_MINOR	17

static const char deny[] = "<denied>";

static long copy_str(uint64_t arg, const char *s, size_t size)
{
	char buf[1024];

	memset(buf, 0, size);
	strlcpy(buf, s, size);
	return copy_to_guest(arg, buf, size) ? -EFAULT : 0;
}

long do_xen_version(int cmd, uint64_t arg)
{
	switch (cmd) {
	case XENVER_version:
		return (XEN_MAJOR << 16) | XEN_MINOR;
	case XENVER_extraversion:
		/* A release build's shape, "." and the patch level (Debian ships ".7"). */
		return copy_str(arg, ".0", sizeof(xen_extraversion_t));
	case XENVER_compile_info: {
		struct xen_compile_info ci;

		memset(&ci, 0, sizeof(ci));
		strlcpy(ci.compiler, "gcc", sizeof(ci.compiler));
		strlcpy(ci.compile_by, "parahost", sizeof(ci.compile_by));
		strlcpy(ci.compile_domain, "paraos", sizeof(ci.compile_domain));
		strlcpy(ci.compile_date, __DATE__ " " __TIME__, sizeof(ci.compile_date));
		return copy_to_guest(arg, &ci, sizeof(ci)) ? -EFAULT : 0;
	}
	case XENVER_capabilities:
		return copy_str(arg, "xen-3.0-x86_64 ", sizeof(xen_capabilities_info_t));
	case XENVER_changeset:
		return copy_str(arg, "", sizeof(xen_changeset_info_t));	/* as a release build */
	case XENVER_platform_parameters: {
		struct xen_platform_parameters pp = { .virt_start = HYPERVISOR_VIRT_START };

		return copy_to_guest(arg, &pp, sizeof(pp)) ? -EFAULT : 0;
	}
	case XENVER_get_features: {
		struct xen_feature_info fi;

		if (copy_from_guest(&fi, arg, sizeof(fi)))
			return -EFAULT;
		if (fi.submap_idx != 0)
			return -EINVAL;
		/*
		 * What Xen 4.17 reports for a 64-bit PV domU (0x220e0 measured
		 * in the Xen harness): a PV domain is "direct mapped" (it sees
		 * machine frames).
		 */
		fi.submap = (1U << XENFEAT_memory_op_vnode_supported) |
			    (1U << XENFEAT_mmu_pt_update_preserve_ad) |
			    (1U << XENFEAT_highmem_assist) |
			    (1U << XENFEAT_gnttab_map_avail_bits) |
			    (1U << XENFEAT_direct_mapped);
		if (dom.vm_assist & (1UL << VMASST_TYPE_pae_extended_cr3))
			fi.submap |= 1U << XENFEAT_pae_pgdir_above_4gb;
		if (dom.is_dom0)
			fi.submap |= 1U << XENFEAT_dom0;
		return copy_to_guest(arg, &fi, sizeof(fi)) ? -EFAULT : 0;
	}
	case XENVER_pagesize:
		return arg ? -EINVAL : (long)PAGE_SIZE;
	case XENVER_guest_handle: {
		/*
		 * The domain's uuid, as xl gives it: the one in its xenstore
		 * "vm" path, /vm/00000000-0000-0000-0000-<domid>
		 * (host/backends/xenstore.c); dom0 has none.
		 */
		xen_domain_handle_t h = { 0 };

		if (!dom.is_dom0)
			for (unsigned int i = 0; i < 6; i++)
				h[15 - i] = (uint8_t)((unsigned long)dom.domid >> (8 * i));
		return copy_to_guest(arg, h, sizeof(h)) ? -EFAULT : 0;
	}
	case XENVER_commandline:
		/* Privileged: a domU gets "<denied>". */
		if (!dom.is_dom0)
			return copy_to_guest(arg, deny, sizeof(deny)) ? -EFAULT : 0;
		return copy_str(arg, "", sizeof(xen_commandline_t));
	case XENVER_build_id:
		return -EPERM;
	default:
		return -ENOSYS;
	}
}
