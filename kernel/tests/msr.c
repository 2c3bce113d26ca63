/*
 * The MSRs Xen 4.17 answers for a PV kernel beyond the basic ones
 * (privop.c): its virtual machine-check architecture (cpu/mcheck/vmce.c:
 * MCG_CAP with two banks, the banks' MSRs), TSC_AUX behind RDTSCP, the
 * CPUID-faulting pair, MISC_ENABLE, AMD's DE_CFG and the microcode
 * revision's write. Linux reads each of
 * these while it boots; a #GP where Xen answers stops it.
 */
#include "kernel/ktest.h"
#include "kernel/tests/hostile.h"
#include "kernel/tests/probe.h"

#define MSR_UCODE_REV		0x8b
#define MSR_PLATFORM_INFO	0xce
#define MSR_MISC_FEATURES	0x140
#define MSR_MCG_CAP		0x179
#define MSR_MCG_STATUS		0x17a
#define MSR_MCG_CTL		0x17b
#define MSR_MISC_ENABLE		0x1a0
#define MSR_MC_CTL(i)		(0x400 + 4 * (i))
#define MSR_MC_STATUS(i)	(0x401 + 4 * (i))
#define MSR_MC_ADDR(i)		(0x402 + 4 * (i))
#define MSR_MC_MISC(i)		(0x403 + 4 * (i))
#define MSR_MCG_EXT_CTL		0x4d0
#define MSR_TSC_AUX		0xc0000103
#define MSR_AMD_HWCR		0xc0010015
#define MSR_AMD_C1E		0xc0010055	/* "interrupt pending and CMP-halt" */
#define MSR_AMD_DE_CFG		0xc0011029

#define MCG_CTL_P		(1ul << 8)
#define MCG_CMCI_P		(1ul << 10)
#define MCG_TES_P		(1ul << 11)
#define MCG_SER_P		(1ul << 24)
#define MCG_LMCE_P		(1ul << 27)

static void cpuid_xen(uint32_t leaf, uint32_t r[4])
{
	asm volatile ("ud2; .ascii \"xen\"; cpuid"
		      : "=a" (r[0]), "=b" (r[1]), "=c" (r[2]), "=d" (r[3]) : "a" (leaf), "c" (0));
}

/* Xen's vMCE: two banks, no MCG_CTL, no LMCE; on Intel SER, TES and CMCI. */
KTEST(msr, vmce_mcg_cap)
{
	uint64_t v = 0;

	KT_ASSERT_EQ(probe_rdmsr(MSR_MCG_CAP, &v), 0, "rdmsr MCG_CAP");
	KT_ASSERT_EQ(v & 0xff, 2, "banks");
	KT_ASSERT_EQ(v & (MCG_CTL_P | MCG_LMCE_P), 0, "MCG_CTL_P/LMCE_P");
	KT_ASSERT_EQ(v, 2 | (cpu_is_intel() ? MCG_SER_P | MCG_TES_P | MCG_CMCI_P : 0), "MCG_CAP");
	/* Read-only; Xen takes a write as "no change". */
	KT_ASSERT_EQ(probe_wrmsr(MSR_MCG_CAP, 0), 0, "wrmsr MCG_CAP (ignored)");
	KT_ASSERT_EQ(probe_rdmsr(MSR_MCG_CAP, &v), 0, "rdmsr MCG_CAP again");
	KT_ASSERT_EQ(v & 0xff, 2, "banks after a write");
	KT_ASSERT_EQ(probe_rdmsr(MSR_MCG_CTL, &v), 0, "rdmsr MCG_CTL");
	KT_ASSERT_EQ(v, 0, "MCG_CTL without MCG_CTL_P");
	KT_ASSERT_EQ(probe_wrmsr(MSR_MCG_CTL, ~0ul), 0, "wrmsr MCG_CTL (ignored)");
	KT_ASSERT_FAULT(probe_rdmsr(MSR_MCG_EXT_CTL, &v), X86_EXC_GP, 0);
	KT_ASSERT_EQ(probe_wrmsr(MSR_MCG_STATUS, 0), 0, "wrmsr MCG_STATUS");
	KT_ASSERT_EQ(probe_rdmsr(MSR_MCG_STATUS, &v), 0, "rdmsr MCG_STATUS");
	KT_ASSERT_EQ(v, 0, "MCG_STATUS");
}

/*
 * The banks: CTL reads all ones and ignores writes; STATUS, ADDR and MISC
 * read 0 and take only 0. A bank past MCG_CAP's count is no bank: it reads
 * 0 and ignores writes (Xen's vmce_rdmsr "not handled").
 */
KTEST(msr, vmce_banks)
{
	uint64_t v = 1;

	for (unsigned int i = 0; i < 2; i++) {
		KT_ASSERT_EQ(probe_rdmsr(MSR_MC_CTL(i), &v), 0, "rdmsr MCi_CTL");
		KT_ASSERT_EQ(v, ~0ul, "MCi_CTL");
		KT_ASSERT_EQ(probe_wrmsr(MSR_MC_CTL(i), 0), 0, "wrmsr MCi_CTL 0");
		KT_ASSERT_EQ(probe_rdmsr(MSR_MC_CTL(i), &v), 0, "rdmsr MCi_CTL again");
		KT_ASSERT_EQ(v, ~0ul, "MCi_CTL after a write");
		for (uint32_t m = MSR_MC_STATUS(i); m <= MSR_MC_MISC(i); m++) {
			KT_ASSERT_EQ(probe_rdmsr(m, &v), 0, "rdmsr MCi_STATUS/ADDR/MISC");
			KT_ASSERT_EQ(v, 0, "MCi_STATUS/ADDR/MISC");
			KT_ASSERT_EQ(probe_wrmsr(m, 0), 0, "wrmsr 0");
			KT_ASSERT_FAULT(probe_wrmsr(m, 1), X86_EXC_GP, 0);
		}
	}
	KT_ASSERT_EQ(probe_rdmsr(MSR_MC_STATUS(2), &v), 0, "rdmsr MC2_STATUS");
	KT_ASSERT_EQ(v, 0, "MC2_STATUS (no such bank)");
	KT_ASSERT_EQ(probe_wrmsr(MSR_MC_STATUS(2), 1), 0, "wrmsr MC2_STATUS (ignored)");
}

/* TSC_AUX: 32 bits, what RDTSCP returns in ECX (Linux keeps its CPU number there). */
KTEST(msr, tsc_aux)
{
	uint32_t r[4], lo, hi, aux;
	uint64_t v = 0;

	cpuid_xen(0x80000001, r);
	if (!(r[3] & (1u << 27))) {
		KT_ASSERT_FAULT(probe_rdmsr(MSR_TSC_AUX, &v), X86_EXC_GP, 0);
		return;
	}
	KT_ASSERT_EQ(probe_wrmsr(MSR_TSC_AUX, 0x12345), 0, "wrmsr TSC_AUX");
	KT_ASSERT_EQ(probe_rdmsr(MSR_TSC_AUX, &v), 0, "rdmsr TSC_AUX");
	asm volatile ("rdtscp" : "=a" (lo), "=d" (hi), "=c" (aux));
	KT_ASSERT_FAULT(probe_wrmsr(MSR_TSC_AUX, 1ul << 32), X86_EXC_GP, 0);
	probe_wrmsr(MSR_TSC_AUX, 0);
	KT_ASSERT_EQ(v, 0x12345, "TSC_AUX read back");
	KT_ASSERT_EQ(aux, 0x12345, "RDTSCP's ECX");
}

/* No CPUID faulting on these CPUs: PLATFORM_INFO says none, nothing to enable. */
KTEST(msr, cpuid_faulting_msrs)
{
	uint64_t v = 1;

	KT_ASSERT_EQ(probe_rdmsr(MSR_PLATFORM_INFO, &v), 0, "rdmsr PLATFORM_INFO");
	KT_ASSERT_EQ(v, 0, "PLATFORM_INFO");
	KT_ASSERT_FAULT(probe_wrmsr(MSR_PLATFORM_INFO, 0), X86_EXC_GP, 0);
	KT_ASSERT_EQ(probe_rdmsr(MSR_MISC_FEATURES, &v), 0, "rdmsr MISC_FEATURES_ENABLES");
	KT_ASSERT_EQ(v, 0, "MISC_FEATURES_ENABLES");
	KT_ASSERT_EQ(probe_wrmsr(MSR_MISC_FEATURES, 0), 0, "wrmsr MISC_FEATURES_ENABLES 0");
	KT_ASSERT_FAULT(probe_wrmsr(MSR_MISC_FEATURES, 1), X86_EXC_GP, 0);
}

/*
 * MISC_ENABLE: the CPU's, without PERF_AVAIL and MONITOR, with BTS/PEBS
 * unavailable and xTPR disabled; writing that value back is accepted. On
 * AMD the MSR is the CPU's to have (QEMU's TCG has it, AMD hardware not):
 * either a #GP or the same filtered value.
 */
KTEST(msr, misc_enable)
{
	uint64_t v = 0, ex = probe_rdmsr(MSR_MISC_ENABLE, &v);

	if (ex && !cpu_is_intel()) {
		KT_ASSERT_FAULT(ex, X86_EXC_GP, 0);
		return;
	}
	KT_ASSERT_EQ(ex, 0, "rdmsr MISC_ENABLE");
	KT_ASSERT_EQ(v & ((1ul << 7) | (1ul << 18)), 0, "PERF_AVAIL/MONITOR shown");
	KT_ASSERT_EQ(v & ((1ul << 11) | (1ul << 12) | (1ul << 23)),
		     (1ul << 11) | (1ul << 12) | (1ul << 23), "BTS/PEBS unavailable, xTPR disabled");
	KT_ASSERT_EQ(probe_wrmsr(MSR_MISC_ENABLE, v), 0, "wrmsr MISC_ENABLE (same value)");
}

/* AMD's DE_CFG: LFENCE is dispatch serialising, whatever the CPU says; #GP elsewhere. */
KTEST(msr, amd_de_cfg)
{
	uint64_t v = 0;

	if (!cpu_is_amd()) {
		KT_ASSERT_FAULT(probe_rdmsr(MSR_AMD_DE_CFG, &v), X86_EXC_GP, 0);
		return;
	}
	KT_ASSERT_EQ(probe_rdmsr(MSR_AMD_DE_CFG, &v), 0, "rdmsr DE_CFG");
	KT_ASSERT_EQ(v, 1ul << 1, "DE_CFG: LFENCE_SERIALISE");
}

/*
 * AMD's HWCR: Xen answers 0 (not even TscFreqSel) and ignores writes; the
 * C1E MSR, which Linux reads on some AMD families, is not Xen's to answer:
 * #GP. On Intel both are a #GP.
 */
KTEST(msr, amd_hwcr_and_c1e)
{
	uint64_t v = 1;

	KT_ASSERT_FAULT(probe_rdmsr(MSR_AMD_C1E, &v), X86_EXC_GP, 0);
	KT_ASSERT_FAULT(probe_wrmsr(MSR_AMD_C1E, 0), X86_EXC_GP, 0);
	if (!cpu_is_amd()) {
		KT_ASSERT_FAULT(probe_rdmsr(MSR_AMD_HWCR, &v), X86_EXC_GP, 0);
		KT_ASSERT_FAULT(probe_wrmsr(MSR_AMD_HWCR, 0), X86_EXC_GP, 0);
		return;
	}
	KT_ASSERT_EQ(probe_rdmsr(MSR_AMD_HWCR, &v), 0, "rdmsr HWCR");
	KT_ASSERT_EQ(v, 0, "HWCR");
	KT_ASSERT_EQ(probe_wrmsr(MSR_AMD_HWCR, 1ul << 24), 0, "wrmsr HWCR (ignored)");
	KT_ASSERT_EQ(probe_rdmsr(MSR_AMD_HWCR, &v), 0, "rdmsr HWCR again");
	KT_ASSERT_EQ(v, 0, "HWCR after a write");
}

/* Xen's vPMU is off by default: the counters read 0 and swallow writes. */
KTEST(msr, perf_counters_without_vpmu)
{
	uint32_t ctl = cpu_is_intel() ? 0x186 : 0xc0010000, ctr = cpu_is_intel() ? 0xc1 : 0xc0010004;
	uint64_t v = 1;

	if (!cpu_is_intel() && !cpu_is_amd()) {
		ktest_skip("neither Intel nor AMD: no counters named");
		return;
	}
	KT_ASSERT_EQ(probe_wrmsr(ctl, 0x430076), 0, "wrmsr event select");
	KT_ASSERT_EQ(probe_rdmsr(ctl, &v), 0, "rdmsr event select");
	KT_ASSERT_EQ(v, 0, "event select after a write");
	KT_ASSERT_EQ(probe_rdmsr(ctr, &v), 0, "rdmsr counter");
	KT_ASSERT_EQ(v, 0, "counter");
}

/*
 * The MSRs of kernel/cpuid_walk.c against real Xen's answer on this CPU
 * (kernel/tests/cpuid_xen_table.h): the same value, or the same fault.
 * ARCH_CAPS on Intel is Xen's own, made from what it knows of the CPU.
 */
#include "kernel/cpuid_walk.h"
#include "kernel/tests/xen_view.h"

KTEST(msr, values_match_xen)
{
	const struct xen_cpu_view *v = xen_view_or_skip();
	unsigned int bad = 0;

	if (!v)
		return;
	for (unsigned int i = 0; i < v->nr_msrs; i++) {
		const struct msr_entry *x = &v->msrs[i];
		struct msr_entry m = msr_probe(x->msr);

		if (m.exinfo == x->exinfo && m.val == x->val)
			continue;
		kprintf("msr %#x: fault %#lx value %#lx, Xen (%s) fault %#lx value %#lx\n", x->msr,
			(unsigned long)m.exinfo, (unsigned long)m.val, v->platform,
			(unsigned long)x->exinfo, (unsigned long)x->val);
		bad++;
	}
	KT_ASSERT(bad == 0, "%u of %u MSRs differ from Xen's on this CPU (%s)", bad, v->nr_msrs,
		  v->platform);
}

/*
 * The microcode revision MSR (Intel's UCODE_REV, AMD's PATCHLEVEL): Xen's
 * guest_wrmsr takes the 0 that Intel's SDM asks an OS to write before
 * reading it back (Linux's early_init_intel does), and #GPs any other value,
 * and any write on AMD, where it is read-only.
 */
KTEST(msr, ucode_rev_write)
{
	if (!cpu_is_intel()) {
		KT_ASSERT_FAULT(probe_wrmsr(MSR_UCODE_REV, 0), X86_EXC_GP, 0);
		return;
	}
	KT_ASSERT_EQ(probe_wrmsr(MSR_UCODE_REV, 0), 0, "wrmsr UCODE_REV 0");
	KT_ASSERT_FAULT(probe_wrmsr(MSR_UCODE_REV, 1), X86_EXC_GP, 0);
	KT_ASSERT_FAULT(probe_wrmsr(MSR_UCODE_REV, 1ul << 32), X86_EXC_GP, 0);
}
