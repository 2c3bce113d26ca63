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
#include "kernel/qemu_bugs.h"
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

/* The MOV SS shadow is what these tests are about, and QEMU's TCG has none
 * (judged by Xen in Bochs, kernel/qemu_bugs.h). */
static bool skip_on_qemu(void)
{
	return qemu_bug_skip(QEMU_BUG_MOVSS_SHADOW);
}

/* fn with a data breakpoint on ss_value: its fault, and DR6 after. */
static void under_ss_breakpoint(void (*fn)(void *), struct caught *c, long *dr6)
{
	long rc0, rc7;

	hypercall_set_debugreg(6, DR6_DEFAULT);
	rc0 = hypercall_set_debugreg(0, (unsigned long)&ss_value);
	rc7 = hypercall_set_debugreg(7, DR7_L0_RW2);
	catch_fault(fn, NULL, c);
	hypercall_set_debugreg(7, 0);
	hypercall_set_debugreg(0, 0);
	*dr6 = hypercall_get_debugreg(6);
	hypercall_set_debugreg(6, DR6_DEFAULT);
	if (rc0 || rc7)
		KT_FAIL("set_debugreg: DR0 %ld, DR7 %ld", rc0, rc7);
}

KTEST(hostile, mov_ss_shadow_over_hypercall)
{
	long version = hypercall_xen_version(XENVER_version, NULL), dr6;
	struct caught c;

	if (skip_on_qemu())
		return;
	mov_ss_result = -1;
	under_ss_breakpoint(mov_ss_then_syscall, &c, &dr6);
	if (ktest_failed())
		return;
	KT_ASSERT(!c.hit, "a #DB reached us: vector %u at %#lx", c.vector, (unsigned long)c.rip);
	KT_ASSERT_EQ(mov_ss_result, version, "the hypercall after MOV SS");
	KT_ASSERT_EQ(dr6, DR6_DEFAULT, "DR6 after the dropped #DB");
}

/*
 * The same shadow with single-stepping, over an iret that turns it off:
 * MOV SS defers the single-step #DB past the SYSCALL, which Xen takes in
 * its own context and drops; the iret then returns with TF clear. Nothing
 * reaches the guest. (A hypervisor that kept the shadow and the pending
 * single step across the iret would enter the guest with a pending #DB and
 * TF clear: a state VT-x refuses.)
 */
void mov_ss_step_into_iret(void *unused);
extern char mov_ss_iret_target[];
asm(".text\n"
    ".globl mov_ss_step_into_iret\n"
    "mov_ss_step_into_iret:\n"
    "  mov %rsp, %rdx\n"
    "  pushq $0xe02b\n"				/* ss */
    "  push %rdx\n"				/* rsp: back where we came from */
    "  pushq $0x2\n"				/* rflags: TF (and IF) clear */
    "  pushq $0xe030\n"				/* cs: the kernel's, RPL 0 */
    "  lea mov_ss_iret_target(%rip), %rax\n"
    "  push %rax\n"				/* rip */
    "  pushq $0\n"				/* flags */
    "  push %rcx\n"
    "  push %r11\n"
    "  pushq $0\n"				/* rax */
    "  mov $23, %eax\n"				/* __HYPERVISOR_iret */
    "  mov %ss, %dx\n"
    "  pushf\n"
    "  orq $0x100, (%rsp)\n"
    "  popf\n"					/* TF: a #DB after the next instruction, */
    "  mov %dx, %ss\n"				/* which is MOV SS: deferred past */
    "  syscall\n"					/* the SYSCALL */
    "  ud2\n"					/* iret never returns here */
    ".globl mov_ss_iret_target\n"
    "mov_ss_iret_target:\n"
    "  ret\n");

KTEST(hostile, mov_ss_single_step_into_iret)
{
	struct caught c;

	if (skip_on_qemu())
		return;
	hypercall_set_debugreg(6, DR6_DEFAULT);
	catch_fault(mov_ss_step_into_iret, NULL, &c);
	hypercall_set_debugreg(6, DR6_DEFAULT);
	KT_ASSERT(!c.hit, "a fault reached us: vector %u at %#lx", c.vector, (unsigned long)c.rip);
}

/*
 * And over an instruction that faults: the #UD is delivered (its bounce
 * frame clears TF), the single step the shadow deferred with it. A
 * hypervisor that left the shadow and the pending single step in place
 * would enter the #UD handler with TF clear and a #DB pending: a state
 * VT-x refuses.
 */
void mov_ss_step_into_ud(void *unused);
extern char mov_ss_ud2[];
asm(".text\n"
    ".globl mov_ss_step_into_ud\n"
    "mov_ss_step_into_ud:\n"
    "  mov %ss, %dx\n"
    "  pushf\n"
    "  orq $0x100, (%rsp)\n"
    "  popf\n"
    "  mov %dx, %ss\n"
    ".globl mov_ss_ud2\n"
    "mov_ss_ud2:\n"
    "  ud2\n"
    "  ret\n");

KTEST(hostile, mov_ss_single_step_into_fault)
{
	struct caught c;

	if (skip_on_qemu())
		return;
	catch_fault(mov_ss_step_into_ud, NULL, &c);
	hypercall_set_debugreg(6, DR6_DEFAULT);
	KT_ASSERT_CAUGHT(c, X86_EXC_UD, 0, "ud2 in a MOV SS shadow, single-stepping");
	KT_ASSERT_EQ(c.rip, (uint64_t)mov_ss_ud2, "#UD RIP");
}

/*
 * A data breakpoint on MOV SS's operand, deferred by its shadow past an
 * instruction that does complete, CPUID: the #DB comes right after it,
 * with B0 (whether the CPUID ran natively or was completed for us).
 */
void mov_ss_then_cpuid(void *unused);
extern char mov_ss_cpuid_after[];
asm(".text\n"
    ".globl mov_ss_then_cpuid\n"
    "mov_ss_then_cpuid:\n"
    "  push %rbx\n"
    "  xor %eax, %eax\n"
    "  xor %ecx, %ecx\n"
    "  mov ss_value(%rip), %ss\n"
    "  cpuid\n"
    ".globl mov_ss_cpuid_after\n"
    "mov_ss_cpuid_after:\n"
    "  nop\n"
    "  pop %rbx\n"
    "  ret\n");

KTEST(hostile, mov_ss_data_breakpoint_over_cpuid)
{
	long dr6;
	struct caught c;

	if (skip_on_qemu())
		return;
	under_ss_breakpoint(mov_ss_then_cpuid, &c, &dr6);
	if (ktest_failed())
		return;
	KT_ASSERT_CAUGHT(c, X86_EXC_DB, 0, "the deferred data breakpoint");
	KT_ASSERT_EQ(c.rip, (uint64_t)mov_ss_cpuid_after, "#DB RIP: right after CPUID");
	KT_ASSERT(dr6 & 1, "DR6 %#lx lacks B0", dr6);
}
