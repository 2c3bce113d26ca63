/*
 * Guest user mode: how Xen enters the kernel from it. A trip to user mode
 * needs user page tables (our own L4 will do: Xen sets _PAGE_USER on every
 * entry of a 64-bit PV guest) and a kernel stack for Xen to switch to
 * (stack_switch). The probes run at user CPL with events masked (entered
 * through HYPERVISOR_iret with IF clear), so no upcall comes in between.
 *
 * Xen's rules checked here: the frame goes at kernel_sp, 16-byte aligned,
 * with CS/SS as the user had them (RPL 3); the GS bases are swapped; a
 * SYSCALL goes to the syscall callback (or is a #UD at the SYSCALL if there
 * is none, with RCX/R11 as SYSCALL left them); INT $0x80 goes to a
 * registered 0x80 entry, else it is #GP(0x80 << 3 | 2).
 */
#include "arch/x86/hypercall.h"
#include "arch/x86/regs.h"
#include "kernel/ktest.h"
#include "kernel/qemu_bugs.h"
#include "kernel/tests/capture.h"
#include "mm/mm.h"
#include "mm/mmu.h"
#include "xen/start_info.h"

#define MSR_GS_BASE		0xc0000101
#define MSR_SHADOW_GS_BASE	0xc0000102

enum { F_RCX, F_R11, F_RIP, F_CS, F_RFLAGS, F_RSP, F_SS };

/* 16-byte aligned tops; the slack above lets capture read a whole frame. */
static char kstack[8192 + 64] __attribute__((aligned(16)));
static char ustack[4096 + 64] __attribute__((aligned(16)));
#define KSTACK_TOP	((uint64_t)kstack + 8192)
#define USTACK_TOP	((uint64_t)ustack + 4096)

extern char user_syscall_insn[], user_ud_insn[], user_pf_insn[], user_int80_insn[];
extern char user_cli_insn[], hypervisor_callback[], failsafe_callback[];
extern char user_bad_stack_insn[];
void user_syscall(void), user_ud(void), user_pf(void), user_int80(void), user_cli(void);
void user_bad_stack(void), user_gp_entry(void);
uint8_t user_saw_gp;

asm(".text\n"
    "user_syscall: push $0x8d5; popf; mov $0x1234, %eax; mov $0x77, %ecx; mov $0x88, %r11d\n"
    ".globl user_syscall_insn\n user_syscall_insn: syscall\n ud2\n"
    "user_ud: push $0x8d5; popf\n .globl user_ud_insn\n user_ud_insn: ud2\n"
    "user_pf: mov $0x2000, %ebx; push $0x8d5; popf\n"
    ".globl user_pf_insn\n user_pf_insn: mov (%rbx), %rax\n ud2\n"
    "user_int80: push $0x8d5; popf\n .globl user_int80_insn\n user_int80_insn: int $0x80\n ud2\n"
    "user_cli: push $0x8d5; popf\n .globl user_cli_insn\n user_cli_insn: cli\n ud2\n"
    /* The push writes at 0x800000000000: the first non-canonical address. */
    "user_bad_stack: push $0x8d5; popf; movabs $0x800000000008, %rsp\n"
    ".globl user_bad_stack_insn\n user_bad_stack_insn: push %rax\n ud2\n"
    /* A #GP where #SS was due: noted (MOVB leaves the flags), then caught as usual. */
    "user_gp_entry: movb $1, user_saw_gp(%rip); jmp capture_entry\n");

/* RFLAGS a probe runs with in user mode: PROBE_FLAGS, and IF, which the
 * CPU always has on under Xen (the upcall mask stands for it). */
#define USER_FLAGS	(PROBE_FLAGS | X86_EFLAGS_IF | X86_EFLAGS_MBS)

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile ("rdmsr" : "=a" (lo), "=d" (hi) : "c" (msr));
	return ((uint64_t)hi << 32) | lo;
}

static long setup(void)
{
	long rc = mmuext(MMUEXT_NEW_USER_BASEPTR, mm_boot.l4_mfn);

	if (rc)
		return rc;
	return _hypercall2(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS, KSTACK_TOP);
}

/* One trip to user mode; the kernel's traps, callbacks and mask restored. */
static uint64_t run_user(void (*probe)(void))
{
	uint64_t entered = capture_run(probe, USTACK_TOP, X86_EFLAGS_MBS);

	traps_reset();
	WRITE_ONCE(shared_info->vcpu_info[0].evtchn_upcall_mask, 1);
	mmuext(MMUEXT_NEW_USER_BASEPTR, 0);
	return entered;
}

/*
 * After a SYSCALL from user mode (to the callback, or the #UD without one)
 * Xen 4.17 under QEMU enters the handler with CF, PF and AF cleared and R11
 * without bit 1: it does not do so from any other entry, and parahost keeps
 * the user's flags. Until Xen in Bochs says which is Xen's, those paths are
 * held to the bits the ABI defines: IF on, TF, DF, NT, AC and IOPL off.
 */
#define ENTRY_DEFINED	(X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_DF | (1ul << 14) | \
			 (1ul << 18) | (3ul << 12))

/* The frame of an entry from user mode; ec: it has an error code. */
static void check_user_frame(const char *what, const void *rip, bool ec, bool via_syscall,
			     uint64_t rf)
{
	const uint64_t *f = capture.frame + (ec ? 1 : 0);
	uint64_t unchecked = rf && qemu_bug_unchecked(QEMU_BUG_RF_FAULT_FRAME) ? FAULT_RF : 0;

	KT_ASSERT(capture.entered, "%s: the handler never ran", what);
	KT_ASSERT_EQ(capture.rsp, KSTACK_TOP - (ec ? 8 : 7) * 8, "handler's RSP (at kernel_sp)");
	KT_ASSERT_EQ(f[F_RIP], (uint64_t)rip, "RIP in the frame");
	KT_ASSERT_EQ(f[F_CS], FLAT_USER_CS | 1ul << 32, "CS in the frame (RPL 3, saved mask 1)");
	KT_ASSERT_EQ(f[F_RFLAGS] & ~unchecked, ((USER_FLAGS & ~X86_EFLAGS_IF) | rf) & ~unchecked,
		     "RFLAGS in the frame (IF = !mask)");
	KT_ASSERT_EQ(f[F_RSP], USTACK_TOP, "RSP in the frame");
	KT_ASSERT_EQ(f[F_SS], FLAT_USER_SS, "SS in the frame");
	KT_ASSERT_EQ(capture.rcx, (uint64_t)capture_entry, "RCX at entry");
	if (via_syscall) {
		KT_ASSERT_EQ(capture.rflags & ENTRY_DEFINED, X86_EFLAGS_IF, "RFLAGS at entry");
		KT_ASSERT_EQ(capture.r11 & ENTRY_DEFINED, X86_EFLAGS_IF, "R11 at entry");
	} else {
		KT_ASSERT_EQ(capture.rflags, USER_FLAGS, "RFLAGS at entry");
		KT_ASSERT_EQ(capture.r11, capture.rflags, "R11 at entry (SYSRET: RFLAGS)");
	}
	KT_ASSERT_EQ(capture.mask, 1, "upcall mask at entry");
}

KTEST(user, syscall_callback)
{
	uint64_t gs_kernel = rdmsr(MSR_GS_BASE), gs_user = rdmsr(MSR_SHADOW_GS_BASE);
	uint64_t gs_now, gs_shadow;

	KT_ASSERT_EQ(setup(), 0, "user page tables and kernel stack");
	KT_ASSERT_EQ(hypercall_set_callbacks((unsigned long)hypervisor_callback,
					     (unsigned long)failsafe_callback,
					     (unsigned long)capture_entry), 0, "set_callbacks");
	KT_ASSERT_EQ(_hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_GS_USER, 0x1111), 0,
		     "GS user base");
	KT_ASSERT_EQ(_hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_GS_KERNEL, 0x2222), 0,
		     "GS kernel base");
	run_user(user_syscall);
	gs_now = rdmsr(MSR_GS_BASE);
	gs_shadow = rdmsr(MSR_SHADOW_GS_BASE);
	_hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_GS_USER, gs_user);
	_hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_GS_KERNEL, gs_kernel);

	KT_ASSERT(capture.entered, "the syscall callback never ran");
	/* RCX and R11 are what SYSCALL put there: the next RIP, RFLAGS. */
	KT_ASSERT_EQ(capture.frame[F_RCX], (uint64_t)user_syscall_insn + 2, "RCX in the frame");
	KT_ASSERT_EQ(capture.frame[F_R11], USER_FLAGS, "R11 in the frame");
	check_user_frame("syscall", user_syscall_insn + 2, false, true, 0);
	KT_ASSERT_EQ(capture.rax, 0x1234, "RAX at entry: the user's");
	KT_ASSERT_EQ(gs_now, 0x2222, "GS base in the kernel after the syscall");
	KT_ASSERT_EQ(gs_shadow, 0x1111, "shadow GS base (the user's)");
}

KTEST(user, syscall_without_callback_is_ud)
{
	KT_ASSERT_EQ(setup(), 0, "user page tables and kernel stack");
	trap_set(X86_EXC_UD, capture_entry, 0);
	run_user(user_syscall);
	/* #UD at the SYSCALL itself, yet RCX/R11 as SYSCALL left them. */
	check_user_frame("#UD", user_syscall_insn, false, true, 0);
	KT_ASSERT_EQ(capture.frame[F_RCX], (uint64_t)user_syscall_insn + 2, "RCX in the frame");
	KT_ASSERT_EQ(capture.frame[F_R11], USER_FLAGS, "R11 in the frame");
}

KTEST(user, invalid_opcode)
{
	KT_ASSERT_EQ(setup(), 0, "user page tables and kernel stack");
	trap_set(X86_EXC_UD, capture_entry, 0);
	run_user(user_ud);
	check_user_frame("#UD", user_ud_insn, false, false, FAULT_RF);
}

KTEST(user, page_fault)
{
	KT_ASSERT_EQ(setup(), 0, "user page tables and kernel stack");
	trap_set(X86_EXC_PF, capture_entry, 0);
	run_user(user_pf);
	check_user_frame("#PF", user_pf_insn, true, false, FAULT_RF);
	KT_ASSERT_EQ(capture.frame[2], PFEC_USER, "error code: a user read, not present");
	KT_ASSERT_EQ(shared_info->vcpu_info[0].arch.cr2, 0x2000, "CR2 in vcpu_info");
}

KTEST(user, int80_without_entry_is_gp)
{
	KT_ASSERT_EQ(setup(), 0, "user page tables and kernel stack");
	trap_set(X86_EXC_GP, capture_entry, 0);
	run_user(user_int80);
	check_user_frame("#GP", user_int80_insn, true, false, 0);
	KT_ASSERT_EQ(capture.frame[2], 0x80 << 3 | 2, "error code: IDT vector 0x80");
}

KTEST(user, int80_delivered)
{
	KT_ASSERT_EQ(setup(), 0, "user page tables and kernel stack");
	trap_set(0x80, capture_entry, 3);
	run_user(user_int80);
	check_user_frame("INT $0x80", user_int80_insn + 2, false, false, 0);
}

KTEST(user, cli_is_gp)
{
	KT_ASSERT_EQ(setup(), 0, "user page tables and kernel stack");
	trap_set(X86_EXC_GP, capture_entry, 0);
	run_user(user_cli);
	check_user_frame("#GP", user_cli_insn, true, false, FAULT_RF);
	KT_ASSERT_EQ(capture.frame[2], 0, "error code");
}

/*
 * A stack access at a non-canonical address is #SS(0), not #GP(0) (SDM
 * Vol. 3, interrupt 12). From user mode, so the frame goes to the kernel
 * stack and not to the bad RSP, which Xen could not write.
 */
KTEST(user, noncanonical_stack_is_ss)
{
	const uint64_t *f = capture.frame + 1;

	if (qemu_bug_skip(QEMU_BUG_NONCANONICAL_SS))
		return;
	KT_ASSERT_EQ(setup(), 0, "user page tables and kernel stack");
	user_saw_gp = 0;
	trap_set(X86_EXC_SS, capture_entry, 0);
	trap_set(X86_EXC_GP, user_gp_entry, 0);
	run_user(user_bad_stack);
	KT_ASSERT(capture.entered, "neither #SS nor #GP reached the kernel");
	KT_ASSERT(!user_saw_gp, "#GP(%#lx), expected #SS(0)", capture.frame[2]);
	KT_ASSERT_EQ(capture.frame[2], 0, "error code");
	KT_ASSERT_EQ(f[F_RIP], (uint64_t)user_bad_stack_insn, "RIP in the frame");
	KT_ASSERT_EQ(f[F_RSP], 0x800000000008ul, "RSP in the frame");
	KT_ASSERT_EQ(capture.rsp, KSTACK_TOP - 8 * 8, "handler's RSP (at kernel_sp)");
}
