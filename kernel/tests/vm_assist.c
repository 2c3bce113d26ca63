/*
 * HYPERVISOR_vm_assist: the assists Xen 4.17 lets a 64-bit PV guest turn
 * on and off, and the refusals. Every test leaves each assist as found.
 */
#include <xen/errno.h>
#include <xen/features.h>
#include <xen/version.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"

static long vm_assist(unsigned int cmd, unsigned int type)
{
	return hypercall_raw(__HYPERVISOR_vm_assist, cmd, type);
}

/* Whether an assist is on, for the one a guest can see: extended CR3. */
static bool ext_cr3_on(void)
{
	struct xen_feature_info fi = { .submap_idx = 0 };

	hypercall_xen_version(XENVER_get_features, &fi);
	return fi.submap & (1u << XENFEAT_pae_pgdir_above_4gb);
}

KTEST(vm_assist, types)
{
	static const unsigned int ok[] = {
		VMASST_TYPE_4gb_segments, VMASST_TYPE_4gb_segments_notify,
		VMASST_TYPE_writable_pagetables, VMASST_TYPE_pae_extended_cr3,
		VMASST_TYPE_architectural_iopl, VMASST_TYPE_runstate_update_flag,
		VMASST_TYPE_m2p_strict,
	};
	bool ext_cr3 = ext_cr3_on();
	long on, off;

	for (unsigned int i = 0; i < ARRAY_SIZE(ok); i++) {
		on = vm_assist(VMASST_CMD_enable, ok[i]);
		off = vm_assist(VMASST_CMD_disable, ok[i]);
		if (ok[i] == VMASST_TYPE_pae_extended_cr3 && ext_cr3)
			vm_assist(VMASST_CMD_enable, ok[i]);
		KT_ASSERT(on == 0 && off == 0, "assist %u: enable %ld, disable %ld", ok[i], on, off);
	}
	KT_ASSERT(ext_cr3_on() == ext_cr3, "extended CR3 not restored");
}

KTEST(vm_assist, refused)
{
	static const unsigned int bad[] = { 6, 7, 11, 31, 33, 63, 64, 1000 };

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		KT_ASSERT_EQ(vm_assist(VMASST_CMD_enable, bad[i]), -XEN_EINVAL, "enable");
		KT_ASSERT_EQ(vm_assist(VMASST_CMD_disable, bad[i]), -XEN_EINVAL, "disable");
	}
	KT_ASSERT_EQ(vm_assist(5, VMASST_TYPE_writable_pagetables), -XEN_ENOSYS, "vm_assist cmd 5");
}
