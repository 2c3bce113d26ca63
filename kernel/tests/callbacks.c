/*
 * HYPERVISOR_callback_op: which callbacks a 64-bit PV guest may register
 * and unregister under Xen 4.17. (What Xen does when it enters them is in
 * bounce.c and user.c.)
 */
#include <xen/callback.h>
#include <xen/errno.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"

static long callback_op(unsigned int cmd, void *arg)
{
	return hypercall_raw(__HYPERVISOR_callback_op, cmd, (unsigned long)arg);
}

static long reg(unsigned int type, unsigned long address)
{
	struct callback_register r = { .type = (uint16_t)type, .address = address };

	return callback_op(CALLBACKOP_register, &r);
}

static long unreg(unsigned int type)
{
	struct callback_unregister u = { .type = (uint16_t)type };

	return callback_op(CALLBACKOP_unregister, &u);
}

KTEST(callbacks, compat_entries_accepted)
{
	/* Kept for 32-bit user code even in a 64-bit guest. */
	KT_ASSERT_EQ(reg(CALLBACKTYPE_syscall32, 0x1000), 0, "register syscall32");
	KT_ASSERT_EQ(reg(CALLBACKTYPE_sysenter, 0x1000), 0, "register sysenter");
	KT_ASSERT_EQ(reg(CALLBACKTYPE_syscall32, 0), 0, "syscall32 back to none");
	KT_ASSERT_EQ(reg(CALLBACKTYPE_sysenter, 0), 0, "sysenter back to none");
}

KTEST(callbacks, nmi)
{
	extern char hypervisor_callback[];

	KT_ASSERT_EQ(reg(CALLBACKTYPE_nmi, (unsigned long)hypervisor_callback), 0, "register nmi");
	KT_ASSERT_EQ(unreg(CALLBACKTYPE_nmi), 0, "unregister nmi");
	KT_ASSERT_EQ(unreg(CALLBACKTYPE_nmi), 0, "unregister nmi again");
}

KTEST(callbacks, refused)
{
	/* Only the NMI callback can be unregistered. */
	KT_ASSERT_EQ(unreg(CALLBACKTYPE_event), -XEN_EINVAL, "unregister event");
	KT_ASSERT_EQ(unreg(CALLBACKTYPE_failsafe), -XEN_EINVAL, "unregister failsafe");
	KT_ASSERT_EQ(unreg(CALLBACKTYPE_syscall), -XEN_EINVAL, "unregister syscall");
	KT_ASSERT_EQ(reg(77, 0x1000), -XEN_ENOSYS, "register type 77");
	KT_ASSERT_EQ(unreg(77), -XEN_ENOSYS, "unregister type 77");
	KT_ASSERT_EQ(callback_op(9, NULL), -XEN_ENOSYS, "callback_op 9");
}
