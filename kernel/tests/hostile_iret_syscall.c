/*
 * HYPERVISOR_iret with VGCF_in_syscall: "return the way SYSCALL came".
 * Xen leaves by SYSRET then (entry.S, restore_all_guest): the frame's CS
 * and SS are never loaded, the CPU's flat ring-3 segments are; RCX and
 * R11 are the new RIP and RFLAGS; and a TF that SYSRET sets traps before
 * the first instruction at the target runs (below: except in Bochs). Only a non-canonical RIP goes
 * the IRETQ way (SYSRET would #GP in Xen). Real Xen is the oracle.
 */
#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/qemu_bugs.h"
#include "arch/x86/extable.h"
#include "kernel/tests/hostile.h"

/* Where a SYSRET lands: note what it was given, then go home. */
void sysret_target(void);
uint64_t sysret_seen[5];	/* RCX, R11, CS, SS, RFLAGS */
asm(".text\n"
    ".globl sysret_target\n"
    "sysret_target:\n"
    "  movq $1, sysret_ran(%rip)\n"
    "  mov %rcx, sysret_seen(%rip)\n"
    "  mov %r11, sysret_seen+8(%rip)\n"
    "  mov %cs, %rax\n"
    "  mov %rax, sysret_seen+16(%rip)\n"
    "  mov %ss, %rax\n"
    "  mov %rax, sysret_seen+24(%rip)\n"
    "  pushf\n"
    "  popq sysret_seen+32(%rip)\n"
    "  ret\n");
uint64_t sysret_ran;

static struct caught iret_syscall(uint64_t cs, uint64_t rflags, uint64_t ss)
{
	struct iret_frame f = { .rip = (uint64_t)sysret_target, .cs = cs, .rflags = rflags,
				.ss = ss };
	struct caught c;

	sysret_ran = 0;
	memset(sysret_seen, 0, sizeof(sysret_seen));
	catch_fault(iret_syscall_with, &f, &c);
	return c;
}

/* Selectors IRETQ would refuse, a reserved bit and bit 63: SYSRET takes none of them. */
KTEST(hostile, iret_in_syscall_returns_by_sysret)
{
	uint64_t rflags = X86_EFLAGS_MBS | X86_EFLAGS_CF | X86_EFLAGS_ZF | (1UL << 15) |
			  (1UL << 63) | X86_EFLAGS_IOPL;
	struct caught c = iret_syscall(0, rflags, 0x4);

	KT_ASSERT(!c.hit, "iret with VGCF_in_syscall, CS 0 and SS 4: vector %u ec %#x at %#lx",
		  c.vector, c.ec, (unsigned long)c.rip);
	KT_ASSERT_EQ(sysret_seen[0], (uint64_t)sysret_target, "RCX: the new RIP");
	/* Xen's R11 is the frame's RFLAGS less IOPL and VM, with IF: reserved bits too. */
	KT_ASSERT_EQ(sysret_seen[1], (rflags & ~X86_EFLAGS_IOPL) | X86_EFLAGS_IF,
		     "R11: the new RFLAGS");
	KT_ASSERT_EQ(sysret_seen[2], FLAT_RING3_CS64, "CS after SYSRET");
	KT_ASSERT_EQ(sysret_seen[3], FLAT_RING3_SS64, "SS after SYSRET");
	KT_ASSERT_EQ(sysret_seen[4], X86_EFLAGS_MBS | X86_EFLAGS_CF | X86_EFLAGS_ZF | X86_EFLAGS_IF,
		     "RFLAGS after SYSRET (R11 less what SYSRET clears)");
}

/*
 * A CPU's SYSRET that sets TF traps before the target's first instruction
 * (Linux leaves by IRET for that reason), and parahost answers so. Under
 * Xen the CPU itself answers: QEMU 7.2's TCG does the same, Bochs 2.7
 * lets the first instruction run (here an 11-byte store) and traps after
 * it, as IRETQ would; the test takes either from the CPU Xen runs on, and
 * says which.
 */
void sysret_target_second(void);
asm(".globl sysret_target_second\n"
    ".set sysret_target_second, sysret_target + 11\n");

KTEST(hostile, iret_in_syscall_single_step_traps_at_target)
{
	struct caught c;
	long dr6;

	hypercall_set_debugreg(6, DR6_DEFAULT);
	c = iret_syscall(FLAT_KERNEL_CS & ~3UL, X86_EFLAGS_MBS | X86_EFLAGS_TF, FLAT_KERNEL_SS);
	dr6 = hypercall_get_debugreg(6);
	hypercall_set_debugreg(6, DR6_DEFAULT);
	KT_ASSERT_CAUGHT(c, X86_EXC_DB, 0, "SYSRET with TF");
	KT_ASSERT(dr6 & DR6_BS, "DR6 %#lx lacks BS", dr6);
	if (!hypervisor_is_parahost() && c.rip == (uint64_t)sysret_target_second &&
	    sysret_ran == 1) {
		kprintf("# this CPU's SYSRET runs the target's first instruction before its "
			"single-step trap (Bochs 2.7; hardware traps before it)\n");
		return;
	}
	KT_ASSERT_EQ(c.rip, (uint64_t)sysret_target, "#DB RIP: the target, nothing run");
	KT_ASSERT_EQ(sysret_ran, 0, "instructions run at the target before the #DB");
}

/* A non-canonical RIP: IRETQ after all, RCX and R11 as SYSRET would have set them. */
KTEST(hostile, iret_in_syscall_noncanonical_rip_is_iretq)
{
	struct iret_frame f = { .rip = 0x0000800000000000UL, .cs = FLAT_KERNEL_CS & ~3UL,
				.rflags = X86_EFLAGS_MBS, .ss = FLAT_KERNEL_SS };
	struct caught c;

	catch_fault(iret_syscall_with, &f, &c);
	KT_ASSERT_CAUGHT(c, X86_EXC_GP, 0, "iret with VGCF_in_syscall to a non-canonical RIP");
	KT_ASSERT_EQ(c.rip, f.rip, "RIP in the #GP frame");
}
