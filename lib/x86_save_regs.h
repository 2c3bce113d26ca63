/*
 * Assembler macros shared by ParaOS's and parahost's exception entries:
 * push every general-purpose register except RSP, RAX first, so that the
 * stack holds them lowest address first as r15, r14, ..., rbx, rax (the
 * layout of the guest's struct cpu_regs and the host's trap frame).
 */
#ifndef LIB_X86_SAVE_REGS_H
#define LIB_X86_SAVE_REGS_H

.macro SAVE_ALL
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
.endm

.macro RESTORE_ALL
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
.endm

#endif
