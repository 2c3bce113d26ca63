/*
 * int vmx_enter(uint64_t *gprs, int launched)
 *
 * Enter the guest with its general-purpose registers (RSP lives in the
 * VMCS); VMLAUNCH the first time, VMRESUME after. Returns 0 after a VM
 * exit (guest registers saved back to gprs), 1 for VMfailInvalid, 2 for
 * VMfailValid (the VMCS's VM-instruction error field says why).
 */
#include "host/gprs_asm.h"

#define HOST_RSP 0x6c14

	.text
	.globl	vmx_enter
vmx_enter:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	%rdi			/* (%rsp): gprs, found again at exit */
	mov	$HOST_RSP, %eax
	vmwrite	%rsp, %rax		/* exit comes back with this RSP */
	jbe	.Lfail
	mov	%esi, %r15d		/* launched? (flags are clobbered below) */
	test	%r15d, %r15d		/* MOVs leave the flags alone */
	mov	GPR(0)(%rdi), %rax
	gprs_load %rdi
	mov	GPR(7)(%rdi), %rdi
	jnz	1f
	vmlaunch
	jmp	.Lfail
1:	vmresume
.Lfail:
	/* Still the host: CF = VMfailInvalid, ZF = VMfailValid. */
	mov	$1, %eax
	jc	2f
	mov	$2, %eax
2:	pop	%rdi
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret

	/* The VMCS's HOST_RIP: every VM exit lands here, RSP as written above. */
	.globl	vmx_exit_entry
vmx_exit_entry:
	push	%rdi			/* the guest's RDI */
	mov	8(%rsp), %rdi		/* gprs */
	mov	%rax, GPR(0)(%rdi)
	gprs_store %rdi
	pop	%rax
	mov	%rax, GPR(7)(%rdi)
	xor	%eax, %eax
	pop	%rdi
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret
