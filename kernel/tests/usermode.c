/*
 * See usermode.h. The assembly keeps the kernel's stack pointer and
 * callee-saved registers across the stay in user mode; a trap from user
 * mode arrives on the stack_switch stack, records itself in user_exit and
 * IRETs to the saved kernel context.
 */
#include "arch/x86/hypercall.h"
#include "kernel/kernel.h"
#include "kernel/tests/usermode.h"
#include "mm/mm.h"
#include "mm/mmu.h"

struct user_exit user_exit;
uint64_t user_k_rsp;		/* kernel RSP while user mode runs */
static char user_kstack[8192] __attribute__((aligned(16)));
char user_stack[4096] __attribute__((aligned(16)));

extern char user_trap_3[], user_trap_6[], user_trap_13[], user_trap_14[];
extern char exception_3[], exception_6[], exception_13[], exception_14[];

/*
 * The exit stubs: Xen's frame is rcx, r11, [error code], rip, cs, rflags,
 * rsp, ss. IF clear in the frames we build keeps event upcalls masked,
 * as the kernel runs them.
 */
asm (".pushsection .text\n"
     ".macro USER_TRAP vec, ec\n"
     ".globl user_trap_\\vec\n"
     "user_trap_\\vec:\n"
     "	mov %rax, user_exit+32(%rip)\n"
     "	add $16, %rsp\n"			/* rcx, r11 */
     "	.if \\ec\n"
     "	pop %rax\n"
     "	.else\n"
     "	xor %eax, %eax\n"
     "	.endif\n"
     "	mov %rax, user_exit+8(%rip)\n"
     "	movq $\\vec, user_exit(%rip)\n"
     "	jmp user_trap_common\n"
     ".endm\n"
     "USER_TRAP 3, 0\n"
     "USER_TRAP 6, 0\n"
     "USER_TRAP 13, 1\n"
     "USER_TRAP 14, 1\n"
     "user_trap_common:\n"
     "	mov (%rsp), %rax\n"
     "	mov %rax, user_exit+16(%rip)\n"
     "	mov 8(%rsp), %rax\n"
     "	mov %rax, user_exit+24(%rip)\n"
     /* An iret frame back to user_resume on the kernel's stack. */
     "	mov user_k_rsp(%rip), %rax\n"
     "	push $0xe02b\n"				/* FLAT_KERNEL_SS */
     "	push %rax\n"
     "	push $0x2\n"
     "	push $0xe030\n"				/* kernel CS as frames show it */
     "	lea user_resume(%rip), %rax\n"
     "	push %rax\n"
     "	push $0\n"				/* iret_context.flags */
     "	jmp hypercall_page + 23 * 32\n"

     /* user_run(rip) */
     ".globl user_run\n"
     "user_run:\n"
     "	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
     "	mov %rsp, user_k_rsp(%rip)\n"
     "	push $0xe02b\n"				/* FLAT_USER_SS */
     "	lea user_stack+4096(%rip), %rax\n"
     "	push %rax\n"
     "	push $0x2\n"
     "	push $0xe033\n"				/* FLAT_USER_CS */
     "	push %rdi\n"
     "	push $0\n"
     "	jmp hypercall_page + 23 * 32\n"
     "user_resume:\n"
     "	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
     "	ret\n"

     /* user_multicall(calls, nr, rip, rax, returned) */
     ".globl user_multicall\n"
     "user_multicall:\n"
     "	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
     "	mov %rsp, user_k_rsp(%rip)\n"
     "	mov %r8, %rbx\n"			/* returned: callee-saved */
     "	push $0xe02b\n"
     "	lea user_stack+4096(%rip), %rax\n"
     "	push %rax\n"
     "	push $0x2\n"
     "	push $0xe033\n"
     "	push %rdx\n"				/* rip */
     "	push $0\n"				/* flags */
     "	push $0\n"				/* rcx */
     "	push $0\n"				/* r11 */
     "	push %rcx\n"				/* rax after the iret */
     /* A direct SYSCALL is a hypercall from the kernel: RSP stays here. */
     "	mov $13, %eax\n"			/* __HYPERVISOR_multicall */
     "	syscall\n"
     "	movb $1, (%rbx)\n"			/* it came back to us */
     "	mov user_k_rsp(%rip), %rsp\n"
     "	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
     "	ret\n"
     ".popsection\n");

static long set_traps(char *bp, char *ud, char *gp, char *pf)
{
	struct trap_info t[] = {
		{ 3, 3, FLAT_KERNEL_CS, (unsigned long)bp },
		{ 6, 0, FLAT_KERNEL_CS, (unsigned long)ud },
		{ 13, 0, FLAT_KERNEL_CS, (unsigned long)gp },
		{ 14, 0, FLAT_KERNEL_CS, (unsigned long)pf },
		{ 0, 0, 0, 0 },
	};

	return hypercall_set_trap_table(t);
}

long user_mode_begin(void)
{
	long rc = mmuext(MMUEXT_NEW_USER_BASEPTR, mm_boot.l4_mfn);

	if (!rc)
		rc = hypercall_stack_switch(FLAT_KERNEL_SS,
					    (unsigned long)(user_kstack + sizeof(user_kstack)));
	if (!rc)
		rc = set_traps(user_trap_3, user_trap_6, user_trap_13, user_trap_14);
	memset(&user_exit, 0, sizeof(user_exit));
	return rc;
}

void user_mode_end(void)
{
	set_traps(exception_3, exception_6, exception_13, exception_14);
	mmuext(MMUEXT_NEW_USER_BASEPTR, 0);
}
