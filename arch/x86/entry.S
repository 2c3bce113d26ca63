/*
 * Exception and event entry points registered with set_trap_table and
 * set_callbacks. Xen enters each one on our kernel stack with its 64-bit
 * PV bounce frame, lowest address first:
 *
 *     rcx, r11, [error code], rip, cs, rflags, rsp, ss
 *
 * RCX and R11 are there because Xen's own return path (SYSRET) would
 * clobber them. We put them back, build struct cpu_regs (arch/x86/regs.h),
 * call C, and leave with HYPERVISOR_iret: there is no native IRET for a PV
 * kernel, it cannot return to itself at ring 3 with the right mask.
 */
#include <xen/xen.h>

#include "lib/x86_save_regs.h"

/* Back to the interrupted context. RSP points at the iret frame (rip...). */
.macro XEN_IRET
	push	$0			/* iret_context.flags: not from a syscall */
	jmp	hypercall_page + __HYPERVISOR_iret * 32
.endm

.macro EXCEPTION vec:req, has_error_code:req
	.globl	exception_\vec
exception_\vec:
	pop	%rcx
	pop	%r11
	.if !\has_error_code
	push	$0
	.endif
	push	$\vec
	jmp	exception_common
.endm

	.text
	EXCEPTION 0, 0		/* #DE */
	EXCEPTION 1, 0		/* #DB */
	EXCEPTION 3, 0		/* #BP */
	EXCEPTION 4, 0		/* #OF */
	EXCEPTION 5, 0		/* #BR */
	EXCEPTION 6, 0		/* #UD */
	EXCEPTION 7, 0		/* #NM */
	EXCEPTION 9, 0		/* coprocessor segment overrun */
	EXCEPTION 10, 1		/* #TS */
	EXCEPTION 11, 1		/* #NP */
	EXCEPTION 12, 1		/* #SS */
	EXCEPTION 13, 1		/* #GP */
	EXCEPTION 14, 1		/* #PF */
	EXCEPTION 16, 0		/* #MF */
	EXCEPTION 17, 1		/* #AC */
	EXCEPTION 18, 0		/* #MC */
	EXCEPTION 19, 0		/* #XM */

/*
 * The frame now holds 22 quadwords below Xen's 16-byte aligned base, so
 * RSP is 16-byte aligned for the C call, as the ABI wants.
 */
exception_common:
	cld			/* Xen's bounce keeps the interrupted DF; C wants it clear */
	SAVE_ALL
	mov	%rsp, %rdi
	call	do_exception
	RESTORE_ALL
	add	$16, %rsp		/* vector, error code */
	XEN_IRET

/*
 * Event upcall: Xen's frame without an error code. Xen set
 * evtchn_upcall_mask on the way in; HYPERVISOR_iret restores it from the
 * saved copy in CS bits 32-39.
 */
	.globl	hypervisor_callback
hypervisor_callback:
	pop	%rcx
	pop	%r11
	push	$0
	push	$-1			/* not an exception vector */
	cld
	SAVE_ALL
	mov	%rsp, %rdi
	call	do_hypervisor_callback
	RESTORE_ALL
	add	$16, %rsp
	XEN_IRET

/*
 * Failsafe: Xen could not load our segment registers while returning to
 * us. The frame has DS, ES, FS, GS above RCX/R11. Nothing sane to return
 * to: report it.
 */
	.globl	failsafe_callback
failsafe_callback:
	pop	%rcx
	pop	%r11
	mov	%rsp, %rdi		/* -> ds, es, fs, gs, rip, cs, ... */
	and	$-16, %rsp
	call	do_failsafe
	ud2
