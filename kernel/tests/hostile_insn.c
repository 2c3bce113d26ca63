/*
 * Instructions a PV kernel may not execute, from guest kernel mode. The
 * answers depend on the CPU the Xen host runs on: Xen enables the CPU's
 * own virtualization (EFER.SVME on AMD, VMXON on Intel), so at CPL 3 the
 * SVM instructions #GP on AMD and the VMX instructions #GP on Intel (in
 * VMX root operation), while the other vendor's are #UD. Privileged
 * instructions #GP(0) unless Xen's emulator handles them.
 */
#include <xen/errno.h>

#include "arch/x86/extable.h"
#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/qemu_bugs.h"
#include "kernel/tests/hostile.h"
#include "kernel/tests/probe.h"
#include "kernel/kernel.h"
#include "lib/printf.h"

/* Execute one instruction given as bytes; 0 if it completed, else its exinfo. */
#define INSN(bytes)							\
	({								\
		uint64_t ex_ = 0;					\
		asm volatile("1: .byte " bytes "\n2:\n" _ASM_EXTABLE(1b, 2b) \
			     : "+a"(ex_) : : "rcx", "rdx", "memory");	\
		ex_;							\
	})

#define NO_QEMU_BUG	(-1)

struct insn_case {
	const char *name;
	uint64_t exinfo;
	unsigned int vec_amd, vec_intel;	/* expected: GP or UD */
	int qemu_bug;			/* QEMU_BUG_* that breaks this case, or NO_QEMU_BUG */
};

static const char *check(const struct insn_case *c, unsigned int n)
{
	static char why[96];

	for (unsigned int i = 0; i < n; i++) {
		unsigned int vec = cpu_is_amd() ? c[i].vec_amd : c[i].vec_intel;

		if (c[i].qemu_bug != NO_QEMU_BUG && qemu_bug_unchecked(c[i].qemu_bug))
			continue;	/* named on the console: this case is not judged here */
		if (c[i].exinfo != EXINFO(vec, 0)) {
			snprintf(why, sizeof(why), "%s: exinfo %#lx, expected %s(0)", c[i].name,
				 (unsigned long)c[i].exinfo, exception_name(vec));
			return why;
		}
	}
	return NULL;
}

#define GP X86_EXC_GP
#define UD X86_EXC_UD

KTEST(hostile, svm_instructions)
{
	const struct insn_case c[] = {
		{ "vmrun", INSN("0x0f, 0x01, 0xd8"), GP, UD, NO_QEMU_BUG },
		{ "vmmcall", INSN("0x0f, 0x01, 0xd9"), UD, UD, NO_QEMU_BUG },
		{ "vmload", INSN("0x0f, 0x01, 0xda"), GP, UD, NO_QEMU_BUG },
		{ "vmsave", INSN("0x0f, 0x01, 0xdb"), GP, UD, NO_QEMU_BUG },
		{ "stgi", INSN("0x0f, 0x01, 0xdc"), GP, UD, NO_QEMU_BUG },
		{ "clgi", INSN("0x0f, 0x01, 0xdd"), GP, UD, NO_QEMU_BUG },
		{ "skinit", INSN("0x0f, 0x01, 0xde"), GP, UD,
		  QEMU_BUG_SKINIT_UD },
		{ "invlpga", INSN("0x0f, 0x01, 0xdf"), GP, UD, NO_QEMU_BUG },
	};
	const char *why = check(c, ARRAY_SIZE(c));

	KT_ASSERT(!why, "%s", why);
}

KTEST(hostile, vmx_instructions)
{
	const struct insn_case c[] = {
		{ "vmcall", INSN("0x0f, 0x01, 0xc1"), UD, GP, NO_QEMU_BUG },
		{ "vmlaunch", INSN("0x0f, 0x01, 0xc2"), UD, GP, NO_QEMU_BUG },
		{ "vmresume", INSN("0x0f, 0x01, 0xc3"), UD, GP, NO_QEMU_BUG },
		{ "vmxoff", INSN("0x0f, 0x01, 0xc4"), UD, GP, NO_QEMU_BUG },
		{ "vmptrld (%rax)", INSN("0x0f, 0xc7, 0x30"), UD, GP, NO_QEMU_BUG },
		{ "vmptrst (%rax)", INSN("0x0f, 0xc7, 0x38"), UD, GP, NO_QEMU_BUG },
		{ "vmclear (%rax)", INSN("0x66, 0x0f, 0xc7, 0x30"), UD, GP, NO_QEMU_BUG },
		{ "vmxon (%rax)", INSN("0xf3, 0x0f, 0xc7, 0x30"), UD, GP, NO_QEMU_BUG },
		{ "vmread %rax, %rcx", INSN("0x0f, 0x78, 0xc1"), UD, GP, NO_QEMU_BUG },
		{ "vmwrite %rcx, %rax", INSN("0x0f, 0x79, 0xc1"), UD, GP, NO_QEMU_BUG },
		{ "invept (%rax), %rax", INSN("0x66, 0x0f, 0x38, 0x80, 0x00"), UD, GP, NO_QEMU_BUG },
		{ "invvpid (%rax), %rax", INSN("0x66, 0x0f, 0x38, 0x81, 0x00"), UD, GP, NO_QEMU_BUG },
		{ "vmfunc", INSN("0x0f, 0x01, 0xd4"), UD, UD, NO_QEMU_BUG },	/* #UD in VMX root too */
		{ "getsec", INSN("0x0f, 0x37"), UD, UD, NO_QEMU_BUG },		/* CR4.SMXE is clear */
	};
	const char *why = check(c, ARRAY_SIZE(c));

	KT_ASSERT(!why, "%s", why);
}

/* #GP(0) at CPL 3, and not something Xen's emulator does for a PV kernel. */
KTEST(hostile, privileged_instructions)
{
	const struct insn_case c[] = {
		{ "hlt", INSN("0xf4"), GP, GP, NO_QEMU_BUG },
		{ "invd", INSN("0x0f, 0x08"), GP, GP, NO_QEMU_BUG },
		{ "lgdt (%rax)", INSN("0x0f, 0x01, 0x10"), GP, GP, NO_QEMU_BUG },
		{ "lidt (%rax)", INSN("0x0f, 0x01, 0x18"), GP, GP, NO_QEMU_BUG },
		{ "lldt %ax", INSN("0x0f, 0x00, 0xd0"), GP, GP, NO_QEMU_BUG },
		{ "ltr %ax", INSN("0x0f, 0x00, 0xd8"), GP, GP, NO_QEMU_BUG },
		{ "invlpg (%rax)", INSN("0x0f, 0x01, 0x38"), GP, GP, NO_QEMU_BUG },
		{ "swapgs", INSN("0x0f, 0x01, 0xf8"), GP, GP, NO_QEMU_BUG },
		{ "mov %cr8, %rax", INSN("0x44, 0x0f, 0x20, 0xc0"), GP, GP, NO_QEMU_BUG },
		{ "rdpmc", INSN("0x0f, 0x33"), GP, GP, NO_QEMU_BUG },
		{ "sysretq", INSN("0x48, 0x0f, 0x07"), GP, GP, NO_QEMU_BUG },
	};
	const char *why = check(c, ARRAY_SIZE(c));

	KT_ASSERT(!why, "%s", why);
	/* WBINVD and CLTS are emulated for the kernel: no fault at all. */
	KT_ASSERT_EQ(INSN("0x0f, 0x09"), 0, "wbinvd");
	KT_ASSERT_EQ(INSN("0x0f, 0x06"), 0, "clts");
}

static uint64_t read_cr4(void)
{
	uint64_t v;

	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void write_cr4(uint64_t v)
{
	asm volatile("mov %0, %%cr4" :: "r"(v) : "memory");
}

#define CR4_DE		(1UL << 3)
#define CR4_OSXSAVE	(1UL << 18)

/* XSETBV of (ecx, value): 0 if it completed, else its exinfo. */
static uint64_t xsetbv(uint32_t xcr, uint64_t v)
{
	uint64_t ex = 0;

	asm volatile("mov %k[lo], %%eax\n"
		     "1: xsetbv\n"
		     "xor %%eax, %%eax\n"
		     "2:\n" _ASM_EXTABLE(1b, 2b)
		     : "+a"(ex) : [lo] "r"((uint32_t)v), "d"((uint32_t)(v >> 32)), "c"(xcr)
		     : "memory");
	return ex;
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/*
 * XCR0 values that break the architecture's rules between components must
 * never reach the CPU (Xen's valid_xcr0): #GP(0), whatever the CPU
 * supports bit by bit.
 */
KTEST(hostile, xsetbv_checked)
{
	uint64_t cr4 = read_cr4(), xcr0 = xgetbv0();
	uint64_t ex_noosx, ex[6];

	/* Without OSXSAVE in our CR4 (Xen's view of it), XSETBV does not exist. */
	write_cr4(cr4 & ~CR4_OSXSAVE);
	ex_noosx = xsetbv(0, xcr0);
	write_cr4(cr4 | CR4_OSXSAVE);
	if (!(read_cr4() & CR4_OSXSAVE)) {
		write_cr4(cr4);
		KT_ASSERT_EQ(ex_noosx, EXINFO(X86_EXC_UD, 0), "xsetbv without CR4.OSXSAVE");
		ktest_skip("no XSAVE in the CPUID policy: CR4.OSXSAVE does not stick");
		return;
	}
	ex[0] = xsetbv(0, 0);			/* no x87 */
	ex[1] = xsetbv(0, 2);			/* SSE without x87 */
	ex[2] = xsetbv(0, 5);			/* YMM without SSE */
	ex[3] = xsetbv(0, 0x27);		/* one AVX-512 component of three */
	ex[4] = xsetbv(1, 1);			/* XCR1 */
	ex[5] = xsetbv(0, xcr0);		/* what we had: fine */
	write_cr4(cr4);
	KT_ASSERT_EQ(ex_noosx, EXINFO(X86_EXC_UD, 0), "xsetbv without CR4.OSXSAVE");
	for (unsigned int i = 0; i < 5; i++)
		KT_ASSERT_EQ(ex[i], EXINFO(X86_EXC_GP, 0), "an invalid xsetbv");
	KT_ASSERT_EQ(ex[5], 0, "xsetbv of the current XCR0");
	KT_ASSERT_EQ(xgetbv0(), xcr0, "XCR0 after the test");
}

/* Xen's leaf 0xd:0, the XCR0 components our policy allows (EDX:EAX). */
static uint64_t policy_xcr0_max(void)
{
	uint32_t a, b, c, d;

	asm volatile("ud2; .ascii \"xen\"; cpuid"
		     : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(0));
	return ((uint64_t)d << 32) | a;
}

/*
 * A component the CPU has but our CPUID policy hides is refused as one the
 * CPU lacks (Xen's handle_xsetbv checks the domain's policy, not the
 * CPU): on Bochs's Skylake, Xen hides AVX (GDS without microcode), so YMM
 * must #GP there though the CPU would take it.
 */
KTEST(hostile, xsetbv_beyond_the_policy)
{
	static const struct { const char *what; uint64_t bits; } comps[] = {
		{ "YMM", 1u << 2 }, { "MPX", 3u << 3 }, { "AVX-512", 7u << 5 | 1u << 2 },
		{ "PKRU", 1u << 9 },
	};
	uint64_t cr4 = read_cr4(), xcr0 = xgetbv0(), max = policy_xcr0_max();
	uint64_t ex[ARRAY_SIZE(comps)];
	unsigned int tried = 0;

	write_cr4(cr4 | CR4_OSXSAVE);
	if (!(read_cr4() & CR4_OSXSAVE)) {
		write_cr4(cr4);
		ktest_skip("no XSAVE in the CPUID policy: CR4.OSXSAVE does not stick");
		return;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(comps); i++) {
		ex[i] = 0;
		if ((comps[i].bits & ~max) == 0)
			continue;	/* allowed: xsetbv_checked covers what is */
		ex[i] = xsetbv(0, 3 | comps[i].bits);
		tried++;
	}
	xsetbv(0, xcr0);
	write_cr4(cr4);
	KT_ASSERT_EQ(xgetbv0(), xcr0, "XCR0 after the test");
	for (unsigned int i = 0; i < ARRAY_SIZE(comps); i++)
		if (comps[i].bits & ~max)
			KT_ASSERT_EQ(ex[i], EXINFO(X86_EXC_GP, 0), comps[i].what);
	if (!tried)
		kprintf("hostile: the policy allows YMM, MPX, AVX-512 and PKRU: none to refuse\n");
}

/* MOV to/from a debug register: 0 and the value, or the exinfo. */
#define MOV_FROM_DR(bytes, out)						\
	({								\
		uint64_t ex_ = 0, v_ = 0;				\
		asm volatile("1: .byte " bytes "\n2:\n" _ASM_EXTABLE(1b, 2b) \
			     : "+a"(ex_), "+c"(v_) : : "memory");	\
		(out) = v_;						\
		ex_;							\
	})

/*
 * DR4/5 alias DR6/7 unless CR4.DE is set, then they do not exist; DR8-15
 * never do (Xen's x86emul_read_dr/write_dr): #UD, never a value.
 */
KTEST(hostile, debug_register_aliases)
{
	uint64_t cr4 = read_cr4(), v4 = 0, v5 = 0, v8 = 0, d4 = 0, d5 = 0, w4;
	uint64_t ex4, ex5, ex8, ex9, exde4, exde5;
	long dr6 = hypercall_get_debugreg(6), dr7 = hypercall_get_debugreg(7), rc_de;

	ex4 = MOV_FROM_DR("0x0f, 0x21, 0xe1", v4);	/* mov %dr4, %rcx */
	ex5 = MOV_FROM_DR("0x0f, 0x21, 0xe9", v5);	/* mov %dr5, %rcx */
	ex8 = MOV_FROM_DR("0x44, 0x0f, 0x21, 0xc1", v8);	/* mov %dr8, %rcx */
	ex9 = MOV_FROM_DR("0x44, 0x0f, 0x23, 0xc9", v8);	/* mov %rcx, %dr9 */
	write_cr4(cr4 | CR4_DE);
	exde4 = MOV_FROM_DR("0x0f, 0x21, 0xe1", d4);
	exde5 = MOV_FROM_DR("0x0f, 0x21, 0xe9", d5);
	w4 = MOV_FROM_DR("0x0f, 0x23, 0xe1", d4);	/* mov %rcx, %dr4 */
	rc_de = hypercall_get_debugreg(4);
	write_cr4(cr4);
	(void)d4, (void)d5, (void)v8;	/* no value comes out of a #UD */
	KT_ASSERT(!(cr4 & CR4_DE), "CR4.DE was already set (%#lx)", cr4);
	KT_ASSERT(ex4 == 0 && v4 == (uint64_t)dr6, "mov %%dr4: exinfo %#lx value %#lx, DR6 %#lx",
		  ex4, v4, dr6);
	KT_ASSERT(ex5 == 0 && v5 == (uint64_t)dr7, "mov %%dr5: exinfo %#lx value %#lx, DR7 %#lx",
		  ex5, v5, dr7);
	KT_ASSERT_FAULT(ex8, X86_EXC_UD, 0);
	KT_ASSERT_FAULT(ex9, X86_EXC_UD, 0);
	KT_ASSERT_FAULT(exde4, X86_EXC_UD, 0);
	KT_ASSERT_FAULT(exde5, X86_EXC_UD, 0);
	KT_ASSERT_FAULT(w4, X86_EXC_UD, 0);
	KT_ASSERT_EQ(rc_de, -XEN_ENODEV, "get_debugreg(4) with CR4.DE");
}

/*
 * Single-stepping over an instruction the hypervisor completes for us:
 * the #DB comes right after it, as after a native one (Xen's emulator
 * retires it with singlestep). CPUID exits on parahost, runs natively or is
 * emulated on Xen; a read of CR0 is emulated everywhere.
 */
void step_cpuid(void *);
void step_cr0(void *);
extern char step_cpuid_after[], step_cr0_after[];
asm(".text\n"
    ".globl step_cpuid\n"
    "step_cpuid:\n"
    "  push %rbx\n"
    "  xor %eax, %eax\n"
    "  xor %ecx, %ecx\n"
    "  pushf\n"
    "  orq $0x100, (%rsp)\n"
    "  popf\n"
    "  cpuid\n"
    ".globl step_cpuid_after\n"
    "step_cpuid_after:\n"
    "  nop\n"
    "  nop\n"
    "  pop %rbx\n"
    "  ret\n"
    ".globl step_cr0\n"
    "step_cr0:\n"
    "  pushf\n"
    "  orq $0x100, (%rsp)\n"
    "  popf\n"
    "  mov %cr0, %rax\n"
    ".globl step_cr0_after\n"
    "step_cr0_after:\n"
    "  nop\n"
    "  nop\n"
    "  ret\n");


KTEST(hostile, single_step_over_emulated)
{
	struct caught c_cpuid, c_cr0;
	long dr6_cpuid, dr6_cr0;

	hypercall_set_debugreg(6, DR6_DEFAULT);
	catch_fault(step_cpuid, NULL, &c_cpuid);
	dr6_cpuid = hypercall_get_debugreg(6);
	hypercall_set_debugreg(6, DR6_DEFAULT);
	catch_fault(step_cr0, NULL, &c_cr0);
	dr6_cr0 = hypercall_get_debugreg(6);
	hypercall_set_debugreg(6, DR6_DEFAULT);

	KT_ASSERT_CAUGHT(c_cpuid, X86_EXC_DB, 0, "single step over cpuid");
	KT_ASSERT_EQ(c_cpuid.rip, (uint64_t)step_cpuid_after, "#DB RIP after cpuid");
	KT_ASSERT(dr6_cpuid & DR6_BS, "DR6 %#lx lacks BS after cpuid", dr6_cpuid);
	KT_ASSERT_CAUGHT(c_cr0, X86_EXC_DB, 0, "single step over mov %cr0");
	KT_ASSERT_EQ(c_cr0.rip, (uint64_t)step_cr0_after, "#DB RIP after mov %cr0");
	KT_ASSERT(dr6_cr0 & DR6_BS, "DR6 %#lx lacks BS after mov %%cr0", dr6_cr0);
}
