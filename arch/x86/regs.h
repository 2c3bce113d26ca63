/*
 * The register frame our exception entry builds. Below the general
 * registers lies Xen's 64-bit PV bounce frame, minus the RCX/R11 that Xen
 * pushes on top (the entry stubs pop those back into place first).
 */
#ifndef ARCH_X86_REGS_H
#define ARCH_X86_REGS_H

#include <stdint.h>

struct cpu_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;	/* pushed by our stubs (0 if none) */
	/* Xen's frame. CS carries the saved upcall mask in bits 32-39. */
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Exception vectors (architectural, not Xen ABI). */
enum {
	X86_EXC_DE = 0, X86_EXC_DB = 1, X86_EXC_NMI = 2, X86_EXC_BP = 3,
	X86_EXC_OF = 4, X86_EXC_BR = 5, X86_EXC_UD = 6, X86_EXC_NM = 7,
	X86_EXC_DF = 8, X86_EXC_TS = 10, X86_EXC_NP = 11, X86_EXC_SS = 12,
	X86_EXC_GP = 13, X86_EXC_PF = 14, X86_EXC_MF = 16, X86_EXC_AC = 17,
	X86_EXC_MC = 18, X86_EXC_XM = 19,
};

/* RFLAGS bits (architectural). */
#define X86_EFLAGS_CF	(1ul << 0)
#define X86_EFLAGS_MBS	(1ul << 1)
#define X86_EFLAGS_ZF	(1ul << 6)
#define X86_EFLAGS_TF	(1ul << 8)
#define X86_EFLAGS_IF	(1ul << 9)
#define X86_EFLAGS_DF	(1ul << 10)
#define X86_EFLAGS_IOPL	(3ul << 12)
#define X86_EFLAGS_NT	(1ul << 14)
#define X86_EFLAGS_RF	(1ul << 16)
#define X86_EFLAGS_VM	(1ul << 17)
#define X86_EFLAGS_AC	(1ul << 18)

/* #PF error code bits. */
#define PFEC_PRESENT	(1u << 0)
#define PFEC_WRITE	(1u << 1)
#define PFEC_USER	(1u << 2)
#define PFEC_INSN	(1u << 4)

void dump_regs(const struct cpu_regs *regs);
/* "#PF", "#GP", ...; "?" for a vector without a name. */
const char *exception_name(unsigned long vector);

#endif
