/*
 * Host exception and interrupt entry points. Interrupts are only taken
 * in host_halt() and when one made the guest exit (the host timer, COM1):
 * they are acknowledged and counted, nothing more. Every exception is a
 * parahost bug: save the registers and let C print them.
 */

#include "lib/x86_save_regs.h"
	.macro	VEC n
	.globl	host_vec\n
host_vec\n:
	.if !(\n == 8 || (\n >= 10 && \n <= 14) || \n == 17 || \n == 21 || \n == 29 || \n == 30)
	push	$0
	.endif
	push	$\n
	jmp	host_trap_common
	.endm

	.text
	.irp	n, 0,1,3,4,5,6,7,8,9,10,11,12,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	VEC	\n
	.endr

/*
 * #GP: a parahost bug, except at the one RDMSR host_rdmsr_safe() makes, of
 * an MSR the CPU may lack (Xen's rdmsr_safe, for the MSRs whose answer to a
 * guest is "the host's, filtered"): that one resumes at the fixup below.
 * The error code is on the stack, then the faulting RIP.
 */
	.globl	host_vec13
host_vec13:
	push	%rax
	lea	host_rdmsr_insn(%rip), %rax
	cmp	%rax, 16(%rsp)
	jne	1f
	lea	host_rdmsr_fault(%rip), %rax
	mov	%rax, 16(%rsp)
	pop	%rax
	add	$8, %rsp		/* the error code */
	iretq
1:	pop	%rax
	push	$13
	jmp	host_trap_common

/* int host_rdmsr_safe(uint32_t msr, uint64_t *val): 0, or -1 if it faulted. */
	.globl	host_rdmsr_safe
host_rdmsr_safe:
	mov	%edi, %ecx
host_rdmsr_insn:
	rdmsr
	shl	$32, %rdx
	mov	%eax, %eax
	or	%rdx, %rax
	mov	%rax, (%rsi)
	xor	%eax, %eax
	ret
host_rdmsr_fault:
	mov	$-1, %eax
	ret

/*
 * An NMI is not a parahost bug: with AMD-V it arrives here once GIF is set
 * again after the #VMEXIT it caused (VT-x consumes it in the exit). Count
 * it and carry on; IRETQ restores the flags the increment touched.
 */
	.globl	host_vec2
host_vec2:
	lock incq host_nmis(%rip)
	iretq

	.data
	.balign	8
	.globl	host_nmis
host_nmis:
	.quad	0
	.text

/*
 * A legacy PIC interrupt that was already on its way when we masked the
 * PICs (see pic_quiesce): acknowledge it and return.
 */
	.globl	host_irq_stub
host_irq_stub:
	push	%rax
	mov	$0x20, %al
	out	%al, $0xa0
	out	%al, $0x20
	pop	%rax
	iretq

/*
 * The local APIC's interrupts (the host timer, and anything unexpected):
 * count, acknowledge at the APIC, return. The spurious vector needs no EOI.
 */
	.globl	host_apic_stub
host_apic_stub:
	push	%rax
	lock incq host_timer_irqs(%rip)
	mov	host_apic_eoi(%rip), %rax
	test	%rax, %rax
	jz	1f
	movl	$0, (%rax)
1:	pop	%rax
	iretq

	.globl	host_spurious_stub
host_spurious_stub:
	iretq

host_trap_common:
	SAVE_ALL
	mov	%rsp, %rdi
	and	$-16, %rsp
	call	host_trap
1:	pause
	jmp	1b

	.section .rodata
	.balign	8
	.globl	host_vectors
host_vectors:
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	host_vec\n
	.endr
