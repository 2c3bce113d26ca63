/*
 * XSAs about the transitions between guest user mode, guest kernel mode
 * and Xen: SYSCALL without a callback, IRET inside a multicall, and the
 * hypercall return to a non-canonical RIP. User code lives in the
 * kernel's text (a 64-bit PV guest's pages are all user-accessible; the
 * user page tables here are our own L4).
 */
#include <xen/errno.h>

#include "arch/x86/extable.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/regs.h"
#include "kernel/ktest.h"
#include "kernel/tests/probe.h"
#include "kernel/tests/ptframe.h"
#include "kernel/tests/usermode.h"
#include "mm/mmu.h"

extern char hypervisor_callback[], failsafe_callback[];
extern char user_syscall[], user_ud2[];
asm (".pushsection .text\n"
     "user_syscall: syscall\n"
     "	ud2\n"
     "user_ud2: ud2\n"
     ".popsection\n");

/*
 * XSA-8: SYSCALL from user mode with no syscall callback registered made
 * Xen build a bad bounce frame. Xen now gives the kernel #UD at the
 * SYSCALL instruction, from user mode (frame CS 0xe033).
 */
KTEST(xsa, xsa_008_user_syscall_without_callback)
{
	long rc = hypercall_set_callbacks((unsigned long)hypervisor_callback,
					  (unsigned long)failsafe_callback, 0);

	KT_ASSERT_EQ(rc, 0, "set_callbacks without a syscall callback");
	KT_ASSERT_EQ(user_mode_begin(), 0, "entering user mode");
	user_run((unsigned long)user_syscall);
	user_mode_end();
	KT_ASSERT_EQ(user_exit.vector, X86_EXC_UD, "vector");
	KT_ASSERT_EQ(user_exit.rip, (unsigned long)user_syscall, "RIP of the #UD");
	KT_ASSERT_EQ(user_exit.cs & 0xffff, FLAT_USER_CS, "CS of the #UD frame");
}

/*
 * XSA-213: an IRET hypercall inside a multicall switched to user mode,
 * and the rest of the multicall then ran with kernel privilege on behalf
 * of user code. Xen ends the multicall at the iret: user mode is entered
 * with the frame's RAX, and the xen_version after it never runs.
 */
KTEST(xsa, xsa_213_iret_ends_multicall)
{
	multicall_entry_t mc[2] = {
		{ .op = __HYPERVISOR_iret },
		{ .op = __HYPERVISOR_xen_version, .args = { XENVER_version, 0 } },
	};
	bool returned = false;
	long rc;

	KT_ASSERT_EQ(user_mode_begin(), 0, "preparing user mode");
	rc = user_multicall(mc, 2, (unsigned long)user_ud2, 0xdead, &returned);
	user_mode_end();
	KT_ASSERT(!returned, "the multicall returned to the kernel (%ld; results %ld, %ld) "
		  "instead of entering user mode", rc, (long)mc[0].result, (long)mc[1].result);
	KT_ASSERT_EQ(user_exit.vector, X86_EXC_UD, "how user mode ended");
	KT_ASSERT_EQ(user_exit.rip, (unsigned long)user_ud2, "where user mode ran");
	KT_ASSERT_EQ(user_exit.rax, 0xdead, "RAX in user mode (from the iret frame)");
	KT_ASSERT_EQ(mc[1].result, 0, "the call after the iret ran");
}

/*
 * XSA-7: SYSRET with a non-canonical RCX faults (on Intel) while still at
 * CPL0 with the guest's stack, so a guest could run Xen's #GP handler on
 * a stack of its choice. Xen returns to such an address with IRET, and
 * the guest takes #GP(0) at the non-canonical RIP on its own stack. As
 * XTF's PoC: a SYSCALL hypercall as the last two bytes below 2^47.
 *
 * Last in the suite: a hypervisor that cannot enter the guest at that RIP
 * might end the domain.
 */
asm (".pushsection .text\n"
     ".balign 4096\n"
     "xsa7_page: .skip 4094, 0xcc\n"
     "	syscall\n"
     ".popsection\n");
extern char xsa7_page[];
#define XSA7_VA		0x00007ffffffff000ul

KTEST(xsa, xsa_007_sysret_noncanonical)
{
	struct pt_batch b = { 0 };
	/* RAX: the hypercall number in, the exinfo out if the #GP came. */
	uint64_t rax = __HYPERVISOR_xen_version, rdi = XENVER_version, rsi = 0;

	KT_ASSERT(pt_set(&b, XSA7_VA, ((uint64_t)virt_to_mfn(xsa7_page) << PAGE_SHIFT) |
			 PTE_KERNEL_RO) == 0, "mapping the page below 2^47");
	pt_commit(&b);
	asm volatile ("jmp *%[stub]\n"
		      "2:\n"
		      ".pushsection .ex_table, \"a\"\n"
		      ".balign 8\n"
		      ".quad 0x0000800000000000, 2b\n"
		      ".popsection\n"
		      : "+a" (rax), "+D" (rdi), "+S" (rsi)
		      : [stub] "r" (XSA7_VA + 4094)
		      : "rcx", "r11", "rdx", "r8", "r10", "memory");
	unmap_range(XSA7_VA, 1);
	KT_ASSERT_FAULT(rax, X86_EXC_GP, 0);
}
