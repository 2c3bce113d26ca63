/*
 * The fuzzer's entry points, registered for the whole run (fuzz_box.c):
 * one stub per exception vector, the event, NMI, failsafe and syscall
 * callbacks.
 * All of them build struct cpu_regs (arch/x86/regs.h) and call
 * fuzz_trap(), which either ends an iret experiment (resume at fz_resume)
 * or treats the event as the kernel's own trap handler would.
 *
 * fz_iret_call(frame, nr, a1, a2) makes hypercall nr with RSP at frame
 * (a struct iret_context): HYPERVISOR_iret, or a multicall holding one.
 * It returns at fz_resume once a trap ends the experiment, or straight
 * from the SYSCALL if the hypervisor returned as from any hypercall.
 */
#include <xen/xen.h>

#include "lib/x86_save_regs.h"

#define FZ_VEC_FAILSAFE	0x100
#define FZ_VEC_SYSCALL	0x101
#define FZ_VEC_EVENT	0x102

.macro FZ_IRET
	push	$0			/* iret_context.flags */
	jmp	hypercall_page + __HYPERVISOR_iret * 32
.endm

.macro FZ_TRAP vec:req, has_error_code:req
	.globl	fz_trap_\vec
fz_trap_\vec:
	pop	%rcx
	pop	%r11
	.if !\has_error_code
	push	$0
	.endif
	push	$\vec
	jmp	fz_trap_common
.endm

	.text
	FZ_TRAP 0, 0
	FZ_TRAP 1, 0
	FZ_TRAP 3, 0
	FZ_TRAP 4, 0
	FZ_TRAP 5, 0
	FZ_TRAP 6, 0
	FZ_TRAP 7, 0
	FZ_TRAP 8, 1
	FZ_TRAP 9, 0
	FZ_TRAP 10, 1
	FZ_TRAP 11, 1
	FZ_TRAP 12, 1
	FZ_TRAP 13, 1
	FZ_TRAP 14, 1
	FZ_TRAP 15, 0
	FZ_TRAP 16, 0
	FZ_TRAP 17, 1
	FZ_TRAP 18, 0
	FZ_TRAP 19, 0
	FZ_TRAP 20, 0
	FZ_TRAP 21, 1
	FZ_TRAP 22, 0
	FZ_TRAP 23, 0
	FZ_TRAP 24, 0
	FZ_TRAP 25, 0
	FZ_TRAP 26, 0
	FZ_TRAP 27, 0
	FZ_TRAP 28, 0
	FZ_TRAP 29, 0
	FZ_TRAP 30, 0
	FZ_TRAP 31, 0

	.globl	fz_nmi_entry
fz_nmi_entry:
	pop	%rcx
	pop	%r11
	push	$0
	push	$2
	jmp	fz_trap_common

/* The event upcall: Xen's frame without an error code. */
	.globl	fz_event_entry
fz_event_entry:
	pop	%rcx
	pop	%r11
	push	$0
	push	$FZ_VEC_EVENT
	jmp	fz_trap_common

/* From user mode: Xen's frame without an error code, at kernel_sp. */
	.globl	fz_syscall_entry
fz_syscall_entry:
	pop	%rcx
	pop	%r11
	push	$0
	push	$FZ_VEC_SYSCALL
	jmp	fz_trap_common

/*
 * Xen could not load a segment register on the way back to us: its frame
 * has DS, ES, FS, GS above RCX/R11. Load null selectors (so the next
 * switch back to us works), drop them, and continue like a trap.
 */
	.globl	fz_failsafe_entry
fz_failsafe_entry:
	pop	%rcx
	pop	%r11
	push	%rax
	xor	%eax, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %fs
	mov	%eax, %gs
	pop	%rax
	add	$32, %rsp
	push	$0
	push	$FZ_VEC_FAILSAFE
	jmp	fz_trap_common

fz_trap_common:
	cld				/* a hostile iret frame may have set DF */
	SAVE_ALL
	mov	%rsp, %rdi
	call	fuzz_trap
	RESTORE_ALL
	add	$16, %rsp		/* vector, error code */
	FZ_IRET

/* long fz_iret_call(uint64_t frame, unsigned long nr, uint64_t a1, uint64_t a2) */
	.globl	fz_iret_call
fz_iret_call:
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, fz_saved_rsp(%rip)
	mov	%rdi, %r11
	mov	%rsi, %rax
	mov	%rdx, %rdi
	mov	%rcx, %rsi
	mov	%r11, %rsp
	syscall
	/* The hypervisor came back as from any hypercall. */
	mov	fz_saved_rsp(%rip), %rsp
	movb	$1, fz_returned(%rip)
	jmp	1f
	.globl	fz_resume
fz_resume:
	mov	fz_saved_rsp(%rip), %rsp
1:	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	ret

/*
 * Where a good iret frame lands: UD2 is UD2 in every code size, so the
 * experiment ends here in a #UD whatever mode the frame chose.
 */
	.balign	16
	.globl	fz_landing
fz_landing:
	.rept	8
	ud2
	.endr

	.data
	.balign	8
	.globl	fz_saved_rsp, fz_returned
fz_saved_rsp:
	.quad	0
fz_returned:
	.byte	0
