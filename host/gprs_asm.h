/*
 * For the world-switch routines (svm/svm_asm.S, vmx/vmx_asm.S): move the
 * guest's general-purpose registers between the CPU and the vcpu's gprs
 * array, which is indexed by hardware register number (vcpu.h's GPR_*).
 * RAX, RSP and RDI are left to the caller: where those live differs
 * between AMD-V (RAX and RSP in the VMCB) and VT-x (RSP in the VMCS, RDI
 * is the base register). \base must not be one of the registers moved.
 */
#ifndef HOST_GPRS_ASM_H
#define HOST_GPRS_ASM_H

#define GPR(n)	(8 * (n))

.macro gprs_load base
	mov	GPR(1)(\base), %rcx
	mov	GPR(2)(\base), %rdx
	mov	GPR(3)(\base), %rbx
	mov	GPR(5)(\base), %rbp
	mov	GPR(6)(\base), %rsi
	mov	GPR(8)(\base), %r8
	mov	GPR(9)(\base), %r9
	mov	GPR(10)(\base), %r10
	mov	GPR(11)(\base), %r11
	mov	GPR(12)(\base), %r12
	mov	GPR(13)(\base), %r13
	mov	GPR(14)(\base), %r14
	mov	GPR(15)(\base), %r15
.endm

.macro gprs_store base
	mov	%rcx, GPR(1)(\base)
	mov	%rdx, GPR(2)(\base)
	mov	%rbx, GPR(3)(\base)
	mov	%rbp, GPR(5)(\base)
	mov	%rsi, GPR(6)(\base)
	mov	%r8, GPR(8)(\base)
	mov	%r9, GPR(9)(\base)
	mov	%r10, GPR(10)(\base)
	mov	%r11, GPR(11)(\base)
	mov	%r12, GPR(12)(\base)
	mov	%r13, GPR(13)(\base)
	mov	%r14, GPR(14)(\base)
	mov	%r15, GPR(15)(\base)
.endm

#endif
