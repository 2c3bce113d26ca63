/*
 * void svm_enter(uint64_t vmcb_pa, uint64_t *gprs, uint64_t host_vmcb_pa)
 *
 * Load the guest's general-purpose registers (RAX and RSP live in the
 * VMCB), VMLOAD the guest's hidden state (FS, GS, TR, LDTR, KernelGsBase,
 * the SYSCALL MSRs), VMRUN, and on #VMEXIT do the reverse: VMSAVE the
 * guest's hidden state, store its registers, VMLOAD the host's.
 */
#include "host/gprs_asm.h"

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
	gprs_load %rax
	mov	GPR(7)(%rax), %rdi
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
	gprs_store %rax
	mov	%rdi, GPR(7)(%rax)
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
