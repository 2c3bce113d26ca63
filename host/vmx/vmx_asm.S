/*
 * int vmx_enter(uint64_t *gprs, int launched)
 *
 * Enter the guest with its general-purpose registers (RSP lives in the
 * VMCS); VMLAUNCH the first time, VMRESUME after. Returns 0 after a VM
 * exit (guest registers saved back to gprs), 1 for VMfailInvalid, 2 for
 * VMfailValid (the VMCS's VM-instruction error field says why).
 */
#define G(r)	(8 * (r))
#define RAX 0
#define RCX 1
#define RDX 2
#define RBX 3
#define RBP 5
#define RSI 6
#define RDI 7
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
	mov	G(RAX)(%rdi), %rax
	mov	G(RCX)(%rdi), %rcx
	mov	G(RDX)(%rdi), %rdx
	mov	G(RBX)(%rdi), %rbx
	mov	G(RBP)(%rdi), %rbp
	mov	G(RSI)(%rdi), %rsi
	mov	G(8)(%rdi), %r8
	mov	G(9)(%rdi), %r9
	mov	G(10)(%rdi), %r10
	mov	G(11)(%rdi), %r11
	mov	G(12)(%rdi), %r12
	mov	G(13)(%rdi), %r13
	mov	G(14)(%rdi), %r14
	test	%r15d, %r15d
	mov	G(15)(%rdi), %r15
	mov	G(RDI)(%rdi), %rdi
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
	mov	%rax, G(RAX)(%rdi)
	mov	%rcx, G(RCX)(%rdi)
	mov	%rdx, G(RDX)(%rdi)
	mov	%rbx, G(RBX)(%rdi)
	mov	%rbp, G(RBP)(%rdi)
	mov	%rsi, G(RSI)(%rdi)
	mov	%r8, G(8)(%rdi)
	mov	%r9, G(9)(%rdi)
	mov	%r10, G(10)(%rdi)
	mov	%r11, G(11)(%rdi)
	mov	%r12, G(12)(%rdi)
	mov	%r13, G(13)(%rdi)
	mov	%r14, G(14)(%rdi)
	mov	%r15, G(15)(%rdi)
	pop	%rax
	mov	%rax, G(RDI)(%rdi)
	xor	%eax, %eax
	pop	%rdi
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret
