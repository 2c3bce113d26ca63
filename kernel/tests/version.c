/*
 * HYPERVISOR_xen_version: every sub-op as Xen 4.17 answers it (Debian's
 * release build) for a 64-bit PV domU, and for the initial domain where the
 * answer is privileged. Build strings are checked for their shape only.
 */
#include <xen/errno.h>
#include <xen/features.h>
#include <xen/version.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "xen/start_info.h"

static bool nul_within(const char *s, size_t size)
{
	return strnlen(s, size) < size;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

KTEST(version, extraversion)
{
	xen_extraversion_t extra;

	memset(extra, 0x5a, sizeof(extra));
	KT_ASSERT_EQ(hypercall_xen_version(XENVER_extraversion, extra), 0, "XENVER_extraversion");
	KT_ASSERT(nul_within(extra, sizeof(extra)), "extraversion not NUL-terminated");
	/* A release build: "." and the patch level, as Debian's ".7". */
	KT_ASSERT(extra[0] == '.' && all_digits(extra + 1),
		  "extraversion \"%s\" is not \".<patch level>\"", extra);
}

KTEST(version, compile_info)
{
	struct xen_compile_info ci;

	memset(&ci, 0x5a, sizeof(ci));
	KT_ASSERT_EQ(hypercall_xen_version(XENVER_compile_info, &ci), 0, "XENVER_compile_info");
	KT_ASSERT(nul_within(ci.compiler, sizeof(ci.compiler)) &&
		  nul_within(ci.compile_by, sizeof(ci.compile_by)) &&
		  nul_within(ci.compile_domain, sizeof(ci.compile_domain)) &&
		  nul_within(ci.compile_date, sizeof(ci.compile_date)),
		  "a compile_info string is not NUL-terminated");
	KT_ASSERT(ci.compiler[0] && ci.compile_date[0], "empty compiler or date");
}

/*
 * Xen lists the guest types it can run: always the 64-bit PV ABI we use
 * (Debian's build has no 32-bit PV), then the HVM ones when it has VT-x or
 * AMD-V to run them with. A hypervisor that cannot run HVM guests lists
 * only the first.
 */
KTEST(version, capabilities)
{
	static const char pv[] = "xen-3.0-x86_64 ";
	static const char hvm[] = "hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 ";
	xen_capabilities_info_t caps;

	memset(caps, 0x5a, sizeof(caps));
	KT_ASSERT_EQ(hypercall_xen_version(XENVER_capabilities, caps), 0, "XENVER_capabilities");
	KT_ASSERT(nul_within(caps, sizeof(caps)), "capabilities not NUL-terminated");
	KT_ASSERT(strncmp(caps, pv, sizeof(pv) - 1) == 0 &&
		  (caps[sizeof(pv) - 1] == '\0' || strcmp(caps + sizeof(pv) - 1, hvm) == 0),
		  "capabilities \"%s\"", caps);
}

KTEST(version, changeset)
{
	xen_changeset_info_t cs;

	memset(cs, 0x5a, sizeof(cs));
	KT_ASSERT_EQ(hypercall_xen_version(XENVER_changeset, cs), 0, "XENVER_changeset");
	/* Debian builds from a tarball: no changeset, an empty string. */
	KT_ASSERT(cs[0] == '\0', "changeset \"%.*s\"", (int)sizeof(cs), cs);
}

KTEST(version, platform_parameters)
{
	struct xen_platform_parameters pp = { .virt_start = 0 };

	KT_ASSERT_EQ(hypercall_xen_version(XENVER_platform_parameters, &pp), 0,
		     "XENVER_platform_parameters");
	KT_ASSERT_EQ(pp.virt_start, HYPERVISOR_VIRT_START, "virt_start");
}

/*
 * What Xen 4.17 offers a 64-bit PV guest in submap 0: vNUMA memory ops,
 * A/D-preserving PTE updates, highmem assist, grant map avail bits, and
 * "direct mapped" (a PV guest sees machine frames); dom0 is told it is;
 * pae_pgdir_above_4gb follows VMASST_TYPE_pae_extended_cr3, which Xen's
 * dom0 builder turns on and a domU starts without.
 */
#define FEATURES_PV	((1u << XENFEAT_memory_op_vnode_supported) |		\
			 (1u << XENFEAT_mmu_pt_update_preserve_ad) |		\
			 (1u << XENFEAT_highmem_assist) |			\
			 (1u << XENFEAT_gnttab_map_avail_bits) |		\
			 (1u << XENFEAT_direct_mapped))

static long submap0(uint32_t *map)
{
	struct xen_feature_info fi = { .submap_idx = 0 };
	long rc = hypercall_xen_version(XENVER_get_features, &fi);

	*map = fi.submap;
	return rc;
}

KTEST(version, features)
{
	uint32_t map, with, without;
	uint32_t expect = FEATURES_PV | (is_initial_domain() ? 1u << XENFEAT_dom0 : 0);
	bool ext_cr3;

	KT_ASSERT_EQ(submap0(&map), 0, "XENVER_get_features(0)");
	ext_cr3 = map & (1u << XENFEAT_pae_pgdir_above_4gb);
	KT_ASSERT(ext_cr3 == is_initial_domain(), "pae_pgdir_above_4gb %s at boot for %s",
		  ext_cr3 ? "on" : "off", is_initial_domain() ? "dom0" : "a domU");
	KT_ASSERT_EQ(map & ~(1u << XENFEAT_pae_pgdir_above_4gb), expect, "features submap 0");

	KT_ASSERT_EQ(hypercall_raw(__HYPERVISOR_vm_assist, VMASST_CMD_enable,
				   VMASST_TYPE_pae_extended_cr3), 0, "vm_assist enable ext cr3");
	submap0(&with);
	KT_ASSERT_EQ(hypercall_raw(__HYPERVISOR_vm_assist, VMASST_CMD_disable,
				   VMASST_TYPE_pae_extended_cr3), 0, "vm_assist disable ext cr3");
	submap0(&without);
	if (ext_cr3)
		hypercall_raw(__HYPERVISOR_vm_assist, VMASST_CMD_enable, VMASST_TYPE_pae_extended_cr3);
	KT_ASSERT_EQ(with, expect | 1u << XENFEAT_pae_pgdir_above_4gb, "features with ext cr3");
	KT_ASSERT_EQ(without, expect, "features without ext cr3");
}

KTEST(version, features_submap_range)
{
	struct xen_feature_info fi = { .submap_idx = 1 };

	/* Xen 4.17 has one submap: any other index is -EINVAL. */
	KT_ASSERT_EQ(hypercall_xen_version(XENVER_get_features, &fi), -XEN_EINVAL,
		     "XENVER_get_features(1)");
}

KTEST(version, pagesize)
{
	char buf[8];

	KT_ASSERT_EQ(hypercall_xen_version(XENVER_pagesize, NULL), 4096, "XENVER_pagesize");
	/* It takes no argument, and says so. */
	KT_ASSERT_EQ(hypercall_xen_version(XENVER_pagesize, buf), -XEN_EINVAL,
		     "XENVER_pagesize with an argument");
}

KTEST(version, guest_handle)
{
	xen_domain_handle_t h;
	bool zero = true;

	memset(h, 0x5a, sizeof(h));
	KT_ASSERT_EQ(hypercall_xen_version(XENVER_guest_handle, h), 0, "XENVER_guest_handle");
	for (unsigned int i = 0; i < sizeof(h); i++)
		zero &= h[i] == 0;
	/* xl gives every domU a uuid; Xen builds dom0 with none. */
	KT_ASSERT(zero == is_initial_domain(), "guest handle %s", zero ? "all zero" : "set");
}

KTEST(version, commandline)
{
	xen_commandline_t cl;

	memset(cl, 0x5a, sizeof(cl));
	KT_ASSERT_EQ(hypercall_xen_version(XENVER_commandline, cl), 0, "XENVER_commandline");
	KT_ASSERT(nul_within(cl, sizeof(cl)), "command line not NUL-terminated");
	/* Privileged: a domU gets Xen's placeholder, not the command line. */
	if (is_initial_domain())
		KT_ASSERT(cl[0] && strcmp(cl, "<denied>") != 0, "dom0 got \"%s\"", cl);
	else
		KT_ASSERT(strcmp(cl, "<denied>") == 0, "domU got \"%s\"", cl);
}

KTEST(version, build_id)
{
	long rc = hypercall_xen_version(XENVER_build_id, NULL);

	/* The size of the build id for dom0 (no buffer given), -EPERM for a domU. */
	if (is_initial_domain())
		KT_ASSERT(rc > 0 && rc <= 64, "XENVER_build_id for dom0: %ld", rc);
	else
		KT_ASSERT_EQ(rc, -XEN_EPERM, "XENVER_build_id");
}

KTEST(version, unknown_subop)
{
	KT_ASSERT_EQ(hypercall_xen_version(99, NULL), -XEN_ENOSYS, "XENVER 99");
}
