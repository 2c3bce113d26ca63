/*
 * void svm_enter(uint64_t vmcb_pa, uint64_t *gprs, uint64_t host_vmcb_pa)
 *
 * Load the guest's general-purpose registers (RAX and RSP live in the
 * VMCB), VMLOAD the guest's hidden state (FS, GS, TR, LDTR, KernelGsBase,
 * the SYSCALL MSRs), VMRUN, and on #VMEXIT do the reverse: VMSAVE the
 * guest's hidden state, store its registers, VMLOAD the host's.
 */
#define G(r)	(8 * (r))
#define RCX 1
#define RDX 2
#define RBX 3
#define RBP 5
#define RSI 6
#define RDI 7

	.text
	.globl	svm_enter
svm_enter:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rdx			/* 16(%rsp): host VMCB */
	push	%rsi			/*  8(%rsp): gprs */
	push	%rdi			/*  0(%rsp): guest VMCB */

	clgi				/* no interrupts between here and VMRUN */
	mov	%rsi, %rax
	mov	G(RCX)(%rax), %rcx
	mov	G(RDX)(%rax), %rdx
	mov	G(RBX)(%rax), %rbx
	mov	G(RBP)(%rax), %rbp
	mov	G(RSI)(%rax), %rsi
	mov	G(RDI)(%rax), %rdi
	mov	G(8)(%rax), %r8
	mov	G(9)(%rax), %r9
	mov	G(10)(%rax), %r10
	mov	G(11)(%rax), %r11
	mov	G(12)(%rax), %r12
	mov	G(13)(%rax), %r13
	mov	G(14)(%rax), %r14
	mov	G(15)(%rax), %r15
	mov	(%rsp), %rax
	vmload	%rax
	/*
	 * With V_INTR_MASKING, the host's RFLAGS.IF decides whether a physical
	 * interrupt ends the guest's run (INTR intercept). GIF is clear, so
	 * nothing is delivered to us here; after #VMEXIT it is clear again.
	 */
	sti
	vmrun	%rax
	cli
	vmsave	%rax
	/* RAX and RSP are the host's again (VMRUN saved them). */
	mov	8(%rsp), %rax
	mov	%rcx, G(RCX)(%rax)
	mov	%rdx, G(RDX)(%rax)
	mov	%rbx, G(RBX)(%rax)
	mov	%rbp, G(RBP)(%rax)
	mov	%rsi, G(RSI)(%rax)
	mov	%rdi, G(RDI)(%rax)
	mov	%r8, G(8)(%rax)
	mov	%r9, G(9)(%rax)
	mov	%r10, G(10)(%rax)
	mov	%r11, G(11)(%rax)
	mov	%r12, G(12)(%rax)
	mov	%r13, G(13)(%rax)
	mov	%r14, G(14)(%rax)
	mov	%r15, G(15)(%rax)
	mov	16(%rsp), %rax
	vmload	%rax			/* host FS, GS, TR, LDTR, ... back */
	stgi
	add	$24, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret
