/*
 * capture_run and capture_entry (kernel/tests/capture.h). The offsets
 * below follow struct capture.
 */
#include <xen/xen.h>

#define C_ENTERED	0
#define C_RCX		8
#define C_R11		16
#define C_RAX		24
#define C_RSP		32
#define C_RFLAGS	40
#define C_MASK		48
#define C_FRAME		56
#define FRAME_WORDS	9

	.bss
	.balign	8
	.globl	capture
capture:
	.skip	C_FRAME + FRAME_WORDS * 8 + 8
capture_kernel_rsp:
	.skip	8

	.text
	.globl	capture_run
capture_run:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, capture_kernel_rsp(%rip)
	movq	$0, capture + C_ENTERED(%rip)
	test	%rsi, %rsi
	jnz	1f
	call	*%rdi
	jmp	capture_back
1:	/* struct iret_context, top down, for HYPERVISOR_iret to user mode. */
	push	$FLAT_USER_SS
	push	%rsi
	push	%rdx
	push	$FLAT_USER_CS
	push	%rdi
	push	$0			/* flags: not returning from a syscall */
	jmp	hypercall_page + __HYPERVISOR_iret * 32

	.globl	capture_entry
capture_entry:
	/* Nothing here may change RFLAGS before it is saved. */
	mov	%rcx, capture + C_RCX(%rip)
	mov	%r11, capture + C_R11(%rip)
	mov	%rax, capture + C_RAX(%rip)
	mov	%rsp, capture + C_RSP(%rip)
	pushfq
	popq	capture + C_RFLAGS(%rip)
	mov	shared_info(%rip), %rax
	movzbq	1(%rax), %rax		/* vcpu_info[0].evtchn_upcall_mask */
	mov	%rax, capture + C_MASK(%rip)
	lea	capture + C_FRAME(%rip), %rcx
	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7, 8
	mov	\i * 8(%rsp), %rax
	mov	%rax, \i * 8(%rcx)
	.endr
	movq	$1, capture + C_ENTERED(%rip)
capture_back:
	mov	capture_kernel_rsp(%rip), %rsp
	cld
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	mov	capture + C_ENTERED(%rip), %rax
	ret

/* Where a probe leaves its RSP (struct capture's probe_rsp). */
	.globl	capture_probe_rsp
	.set	capture_probe_rsp, capture + C_FRAME + FRAME_WORDS * 8
