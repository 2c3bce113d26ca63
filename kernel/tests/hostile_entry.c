/*
 * State a guest leaves in the CPU across an instruction the hypervisor
 * handles. XSA-260's pattern: MOV SS with a data breakpoint on its operand
 * defers the #DB past the next instruction, here a hypercall. Xen 4.17
 * takes that #DB in its own context on the SYSCALL path and drops it
 * ("Hit #DB in Xen context"): the hypercall completes, no #DB reaches the
 * guest, DR6 is untouched. A hypervisor that leaves the shadow or the
 * pending #DB behind delivers it at the wrong instruction, or fails the
 * next VM entry.
 */
#include <xen/version.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/tests/hostile.h"

static uint16_t ss_value = FLAT_KERNEL_SS;
static long mov_ss_result;

static void mov_ss_then_syscall(void *unused)
{
	long rax = __HYPERVISOR_xen_version;

	(void)unused;
	asm volatile("mov %[ss], %%ss\n"
		     "syscall\n"
		     : "+a"(rax) : [ss] "m"(ss_value), "D"(XENVER_version), "S"(0)
		     : "rcx", "r11", "rdx", "r8", "r10", "memory");
	mov_ss_result = rax;
}

#define DR7_L0_RW2	((1UL << 0) | (3UL << 16) | (1UL << 18))	/* enable 0, R/W, 2 bytes */
#define DR6_DEFAULT	0xffff0ff0UL

KTEST(hostile, mov_ss_shadow_over_hypercall)
{
	long version = hypercall_xen_version(XENVER_version, NULL), rc0, rc7, dr6;
	struct caught c;

	if (on_qemu_tcg()) {
		ktest_skip("QEMU 7.2 TCG delivers a MOV SS #DB at once, not after the next "
			   "instruction; judged by Xen in Bochs");
		return;
	}
	hypercall_set_debugreg(6, DR6_DEFAULT);
	rc0 = hypercall_set_debugreg(0, (unsigned long)&ss_value);
	rc7 = hypercall_set_debugreg(7, DR7_L0_RW2);
	mov_ss_result = -1;
	catch_fault(mov_ss_then_syscall, NULL, &c);
	hypercall_set_debugreg(7, 0);
	hypercall_set_debugreg(0, 0);
	dr6 = hypercall_get_debugreg(6);
	hypercall_set_debugreg(6, DR6_DEFAULT);
	KT_ASSERT_EQ(rc0, 0, "set_debugreg(0)");
	KT_ASSERT_EQ(rc7, 0, "set_debugreg(7)");
	KT_ASSERT(!c.hit, "a #DB reached us: vector %u at %#lx", c.vector, (unsigned long)c.rip);
	KT_ASSERT_EQ(mov_ss_result, version, "the hypercall after MOV SS");
	KT_ASSERT_EQ(dr6, DR6_DEFAULT, "DR6 after the dropped #DB");
}
