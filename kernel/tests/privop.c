/*
 * Privileged instructions a PV kernel may use: it runs at CPL 3, so each
 * is a #GP that Xen 4.17 emulates (emul-priv-op.c) or reflects. Control
 * and debug register reads, the MSRs Xen lets a PV kernel read, the lazy
 * FPU switch (fpu_taskswitch, CLTS), and port I/O and CLI/STI under the
 * virtual IOPL (PHYSDEVOP_set_iopl). Values are Xen's constants where Xen
 * defines them; machine-specific ones only by property.
 */
#include <xen/errno.h>
#include <xen/physdev.h>

#include "arch/x86/hypercall.h"
#include "arch/x86/regs.h"
#include "kernel/ktest.h"
#include "kernel/tests/hostile.h"
#include "kernel/qemu_bugs.h"
#include "kernel/tests/probe.h"
#include "mm/mm.h"
#include "mm/p2m.h"
#include "xen/start_info.h"

#define XEN_CR0		0x80050033ul	/* PG AM WP NE ET MP PE, as Xen runs */
#define X86_CR0_TS	(1ul << 3)
#define X86_CR4_PAE	(1ul << 5)
#define X86_CR4_VMXE	(1ul << 13)
#define XEN_MSR_PAT	0x0000050100070406ul
#define EFER_SCE_LME_LMA_NXE 0xd01ul

#define MSR_FS_BASE	0xc0000100
#define MSR_GS_BASE	0xc0000101

#define READ_CR(n, v, ex) \
	asm volatile ("1: mov %%cr" #n ", %1; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (ex), "=r" (v))
#define READ_DR(n, v, ex) \
	asm volatile ("1: mov %%dr" #n ", %1; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (ex), "=r" (v))

/* RDMSR through the exception table: exinfo, or 0 with *val set. */
static uint64_t rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint64_t ex = 0;
	uint32_t hi = 0;

	asm volatile ("1: rdmsr; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (ex), "+d" (hi) : "c" (msr));
	if (ex & EXINFO_VALID)
		return ex;
	*val = (uint64_t)hi << 32 | (uint32_t)ex;
	return 0;
}

static uint64_t wrmsr_safe(uint32_t msr, uint64_t val)
{
	uint64_t ex = (uint32_t)val;

	asm volatile ("1: wrmsr; 2:" _ASM_EXTABLE(1b, 2b)
		      : "+a" (ex) : "c" (msr), "d" ((uint32_t)(val >> 32)));
	return ex & EXINFO_VALID ? ex : 0;
}

static long set_iopl(unsigned int iopl)
{
	struct physdev_set_iopl s = { .iopl = iopl };

	return hypercall_raw(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, (unsigned long)&s);
}

KTEST(privop, control_registers)
{
	uint64_t ex = 0, cr3 = 0, cr4 = 0;

	READ_CR(3, cr3, ex);
	KT_ASSERT_EQ(ex, 0, "mov from CR3");
	KT_ASSERT_EQ(cr3, (uint64_t)mm_boot.l4_mfn << PAGE_SHIFT, "CR3: our L4's machine address");
	READ_CR(4, cr4, ex);
	KT_ASSERT_EQ(ex, 0, "mov from CR4");
	KT_ASSERT((cr4 & X86_CR4_PAE) && !(cr4 & X86_CR4_VMXE), "CR4 %#lx", cr4);
}

KTEST(privop, cr2_is_the_last_fault)
{
	uint64_t ex = 0, cr2 = 0;

	KT_ASSERT_FAULT(probe_read(0x3008), X86_EXC_PF, 0);
	READ_CR(2, cr2, ex);
	KT_ASSERT_EQ(ex, 0, "mov from CR2");
	KT_ASSERT_EQ(cr2, 0x3008, "CR2");
}

/*
 * fpu_taskswitch sets the virtual CR0.TS, so the FPU faults; CLTS clears
 * it. The FPU instruction here only ever faults: xsa/xsa_165 must stay the
 * suite's first FPU use.
 */
KTEST(privop, lazy_fpu)
{
	uint64_t ex = 0, cr0 = 0, cr0_after = 0, nm = 0, clts = 0;

	KT_ASSERT_EQ(hypercall_raw(__HYPERVISOR_fpu_taskswitch, 0, 0), 0, "fpu_taskswitch(0)");
	READ_CR(0, cr0, ex);
	KT_ASSERT_EQ(ex, 0, "mov from CR0");
	KT_ASSERT_EQ(cr0, XEN_CR0, "CR0 with TS clear");
	KT_ASSERT_EQ(hypercall_raw(__HYPERVISOR_fpu_taskswitch, 1, 0), 0, "fpu_taskswitch(1)");
	READ_CR(0, cr0, ex);
	asm volatile ("1: fnop; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (nm));
	asm volatile ("1: clts; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (clts));
	READ_CR(0, cr0_after, ex);
	hypercall_raw(__HYPERVISOR_fpu_taskswitch, 0, 0);
	KT_ASSERT_EQ(cr0, XEN_CR0 | X86_CR0_TS, "CR0 after fpu_taskswitch(1)");
	KT_ASSERT_FAULT(nm, X86_EXC_NM, 0);
	KT_ASSERT_EQ(clts, 0, "CLTS in the kernel");
	KT_ASSERT_EQ(cr0_after, XEN_CR0, "CR0 after CLTS");
}

KTEST(privop, debug_registers)
{
	uint64_t ex = 0, dr6 = 0, dr7 = 0;

	KT_ASSERT_EQ(hypercall_raw(__HYPERVISOR_set_debugreg, 6, 0), 0, "set DR6");
	READ_DR(6, dr6, ex);
	READ_DR(7, dr7, ex);
	KT_ASSERT_EQ(ex, 0, "mov from DR6/DR7");
	KT_ASSERT_EQ(dr6, 0xffff0ff0, "DR6");
	KT_ASSERT_EQ(dr7, 0x400, "DR7");
}

KTEST(privop, msrs_xen_defines)
{
	uint64_t v = 0;

	KT_ASSERT_EQ(rdmsr_safe(0xc0000080, &v), 0, "rdmsr EFER");
	KT_ASSERT_EQ(v, EFER_SCE_LME_LMA_NXE, "EFER");
	KT_ASSERT_EQ(rdmsr_safe(0x277, &v), 0, "rdmsr PAT");
	KT_ASSERT_EQ(v, XEN_MSR_PAT, "PAT (Xen's)");
	KT_ASSERT_EQ(rdmsr_safe(0x1b, &v), 0, "rdmsr APIC_BASE");
	KT_ASSERT_EQ(v, 0xfee00900, "APIC_BASE: default base, enabled, BSP");
	KT_ASSERT_EQ(rdmsr_safe(0x179, &v), 0, "rdmsr MCG_CAP");
	KT_ASSERT_EQ(v & 0xff, 2, "MCG_CAP banks (Xen's virtual MCE)");
	KT_ASSERT_EQ(rdmsr_safe(0x40000000, &v), 0, "rdmsr hypercall-page MSR");
	KT_ASSERT_EQ(v, 0, "hypercall-page MSR reads 0");
	KT_ASSERT_EQ(rdmsr_safe(0x10, &v), 0, "rdmsr TSC");
	KT_ASSERT_EQ(rdmsr_safe(0x8b, &v), 0, "rdmsr microcode revision");
}

KTEST(privop, msrs_refused)
{
	static const uint32_t gp[] = { 0xfe, 0x2ff, 0xc0000081 };
	uint64_t v;

	/* MTRRcap, MTRRdefType, STAR: not for a PV kernel. */
	for (unsigned int i = 0; i < ARRAY_SIZE(gp); i++)
		KT_ASSERT_FAULT(rdmsr_safe(gp[i], &v), X86_EXC_GP, 0);
}

/*
 * IA32_FEATURE_CONTROL by Xen's guest_rdmsr: every Intel CPU has had it
 * since before 64-bit (and some kernels read it before they can take a
 * #GP), so Xen answers it there: locked, with neither VMX nor LMCE for a
 * PV guest. On AMD it is a #GP.
 */
KTEST(privop, feature_control_by_vendor)
{
	uint64_t v = 0;

	if (cpu_is_amd()) {
		KT_ASSERT_FAULT(rdmsr_safe(0x3a, &v), X86_EXC_GP, 0);
		return;
	}
	KT_ASSERT_EQ(rdmsr_safe(0x3a, &v), 0, "rdmsr FEATURE_CONTROL");
	KT_ASSERT_EQ(v, 1, "FEATURE_CONTROL: locked, nothing enabled");
}

KTEST(privop, segment_base_msrs)
{
	uint64_t fs = 0, gs = 0, v = 0;

	KT_ASSERT_EQ(rdmsr_safe(MSR_FS_BASE, &fs), 0, "rdmsr FS_BASE");
	KT_ASSERT_EQ(rdmsr_safe(MSR_GS_BASE, &gs), 0, "rdmsr GS_BASE");
	KT_ASSERT_EQ(wrmsr_safe(MSR_FS_BASE, 0x123456789000ul), 0, "wrmsr FS_BASE");
	rdmsr_safe(MSR_FS_BASE, &v);
	wrmsr_safe(MSR_FS_BASE, fs);
	KT_ASSERT_EQ(v, 0x123456789000ul, "FS_BASE after wrmsr");
	KT_ASSERT_EQ(_hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_GS_KERNEL, 0x4000), 0,
		     "set_segment_base(GS_KERNEL)");
	rdmsr_safe(MSR_GS_BASE, &v);
	_hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_GS_KERNEL, gs);
	KT_ASSERT_EQ(v, 0x4000, "GS_BASE after set_segment_base");
}

KTEST(privop, set_segment_base)
{
	uint64_t fs = 0;

	rdmsr_safe(MSR_FS_BASE, &fs);
	KT_ASSERT_EQ(_hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_FS, fs), 0, "FS");
	KT_ASSERT_EQ(_hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_GS_USER_SEL, 0), 0,
		     "user GS selector 0");
	KT_ASSERT_EQ(_hypercall2(__HYPERVISOR_set_segment_base, 4, 0), -XEN_EINVAL, "which = 4");
	KT_ASSERT_EQ(_hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_FS, 1ul << 63), -XEN_EINVAL,
		     "non-canonical FS base");
}

/*
 * At virtual IOPL 1 the kernel (virtual CPL 1) may do port I/O and
 * CLI/STI. Xen emulates CLI/STI as no-ops: they never touch the upcall
 * mask. A domU owns no ports, so reads float high; dom0's reach the
 * hardware (only "no fault" is certain there).
 */
KTEST(privop, iopl)
{
	uint64_t cli = 0, sti = 0, in8 = 0x1234, in32 = 0, out = 0, cli0 = 0;
	uint8_t mask_cli, mask_sti;
	long rc1, rc4, rc0;

	rc1 = set_iopl(1);
	asm volatile ("1: cli; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (cli));
	mask_cli = shared_info->vcpu_info[0].evtchn_upcall_mask;
	asm volatile ("1: sti; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (sti));
	mask_sti = shared_info->vcpu_info[0].evtchn_upcall_mask;
	shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
	asm volatile ("1: inb $0x80, %%al; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (in8));
	asm volatile ("1: inl $0x71, %%eax; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (in32));
	asm volatile ("1: outb %%al, $0x80; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (out));
	rc4 = set_iopl(4);
	rc0 = set_iopl(0);
	asm volatile ("1: cli; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (cli0));

	KT_ASSERT_EQ(rc1, 0, "set_iopl(1)");
	KT_ASSERT_EQ(cli, 0, "CLI at IOPL 1");
	KT_ASSERT_EQ(sti, 0, "STI at IOPL 1");
	KT_ASSERT(mask_cli == 1 && mask_sti == 1, "upcall mask after CLI %u, after STI %u",
		  mask_cli, mask_sti);
	if (is_initial_domain()) {
		KT_ASSERT(!(in8 & EXINFO_VALID) && !(in32 & EXINFO_VALID) && !out,
			  "dom0 port I/O faulted (%#lx %#lx %#lx)", in8, in32, out);
	} else {
		KT_ASSERT_EQ(in8, 0x12ff, "inb from a port we do not own (upper RAX kept)");
		KT_ASSERT_EQ(in32, 0xffffffff, "inl from a port we do not own");
		KT_ASSERT_EQ(out, 0, "outb to a port we do not own");
	}
	KT_ASSERT_EQ(rc4, -XEN_EINVAL, "set_iopl(4)");
	KT_ASSERT_EQ(rc0, 0, "set_iopl(0)");
	KT_ASSERT_FAULT(cli0, X86_EXC_GP, 0);
}

#define X86_CR4_FSGSBASE	(1ul << 16)

static bool xen_has_fsgsbase(void)
{
	uint32_t a, b, c, d;

	asm volatile (XEN_CPUID : "=a" (a), "=b" (b), "=c" (c), "=d" (d) : "0" (0), "2" (0));
	if (a < 7)
		return false;
	asm volatile (XEN_CPUID : "=a" (a), "=b" (b), "=c" (c), "=d" (d) : "0" (7), "2" (0));
	return b & 1;
}

static uint64_t write_cr4(uint64_t v)
{
	uint64_t ex = 0;

	asm volatile ("1: mov %1, %%cr4; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (ex) : "r" (v));
	return ex;
}

static uint64_t rdfsbase(uint64_t *v)
{
	uint64_t ex = 0;

	asm volatile ("1: rdfsbase %1; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (ex), "=r" (*v));
	return ex;
}

static uint64_t wrfsbase(uint64_t v)
{
	uint64_t ex = 0;

	asm volatile ("1: wrfsbase %1; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (ex) : "r" (v) : "memory");
	return ex;
}

/*
 * CR4.FSGSBASE is the PV kernel's to set when Xen's CPUID policy offers
 * FSGSBASE (Linux uses RDFSBASE as soon as it sees the feature): then the
 * instructions work and Xen's FS_BASE MSR sees what WRFSBASE wrote. Without
 * the feature the bit does not stick and they stay #UD.
 */
KTEST(privop, fsgsbase_by_cr4)
{
	uint64_t ex = 0, cr4 = 0, now = 0, fs = 0, v = 0;

	READ_CR(4, cr4, ex);
	KT_ASSERT_EQ(ex, 0, "mov from CR4");
	KT_ASSERT_EQ(cr4 & X86_CR4_FSGSBASE, 0, "FSGSBASE set before we asked");
	KT_ASSERT_EQ(write_cr4(cr4 | X86_CR4_FSGSBASE), 0, "mov to CR4");
	READ_CR(4, now, ex);
	if (!xen_has_fsgsbase()) {
		KT_ASSERT_EQ(now & X86_CR4_FSGSBASE, 0, "FSGSBASE stuck without the feature");
		KT_ASSERT_FAULT(rdfsbase(&v), X86_EXC_UD, 0);
		return;
	}
	KT_ASSERT(now & X86_CR4_FSGSBASE, "FSGSBASE did not stick: CR4 %#lx", now);
	rdmsr_safe(MSR_FS_BASE, &fs);
	ex = wrfsbase(0x7f0000001000ul);
	if (!ex)
		ex = rdfsbase(&v);
	rdmsr_safe(MSR_FS_BASE, &now);
	wrfsbase(fs);
	write_cr4(cr4);
	KT_ASSERT_EQ(ex, 0, "WRFSBASE/RDFSBASE with CR4.FSGSBASE");
	KT_ASSERT_EQ(v, 0x7f0000001000ul, "RDFSBASE after WRFSBASE");
	KT_ASSERT_EQ(now, 0x7f0000001000ul, "FS_BASE MSR after WRFSBASE");
	KT_ASSERT_FAULT(rdfsbase(&v), X86_EXC_UD, 0);
}

/* The CPU's own check, under CR4.FSGSBASE: a non-canonical base is #GP(0). */
KTEST(privop, wrfsbase_noncanonical)
{
	uint64_t ex = 0, cr4 = 0, fs = 0;

	if (!xen_has_fsgsbase()) {
		ktest_skip("no FSGSBASE in Xen's CPUID policy on this CPU");
		return;
	}
	if (qemu_bug_skip(QEMU_BUG_WRFSBASE_NONCANONICAL))
		return;
	READ_CR(4, cr4, ex);
	write_cr4(cr4 | X86_CR4_FSGSBASE);
	rdfsbase(&fs);
	ex = wrfsbase(0x8000000000000000ul);
	wrfsbase(fs);
	write_cr4(cr4);
	KT_ASSERT_FAULT(ex, X86_EXC_GP, 0);
}
