/*
 * RDMSR/WRMSR from the PV kernel, as Xen 4.17 answers them (Xen: msr.c's
 * guest_rdmsr/guest_wrmsr, pv/emul-priv-op.c's read_msr/write_msr,
 * cpu/mcheck/vmce.c). An MSR Xen does not name is a #GP (Xen 4.15 and
 * later no longer leak the host's MSRs), with one log line, as Xen's.
 */
#include "host/pv/pv.h"

#define MSR_TSC			0x00000010
#define MSR_APIC_BASE		0x0000001b
#define MSR_AMD_PATCHLEVEL	0x0000008b
#define MSR_PLATFORM_INFO	0x000000ce
#define MSR_ARCH_CAPS		0x0000010a
#define MSR_MISC_FEATURES	0x00000140
#define MSR_MCG_CAP		0x00000179
#define MSR_MCG_STATUS		0x0000017a
#define MSR_MCG_CTL		0x0000017b
#define MSR_MISC_ENABLE		0x000001a0
#define MSR_MC0_CTL2		0x00000280	/* ... 0x29f */
#define MSR_MC0_CTL		0x00000400	/* CTL, STATUS, ADDR, MISC per bank, ... 0x47f */
#define MSR_MCG_EXT_CTL		0x000004d0
#define MSR_TSC_AUX		0xc0000103
#define MSR_AMD_HWCR		0xc0010015
#define MSR_AMD_DE_CFG		0xc0011029
#define MSR_XEN_HYPERCALL	0x40000000	/* CPUID 0x40000002 EBX: the hypercall-page MSR */

/* Xen's vMCE: two banks; on Intel, also software error recovery, TES and CMCI. */
#define VMCE_BANKS		2
#define MCG_CMCI_P		(1UL << 10)
#define MCG_TES_P		(1UL << 11)
#define MCG_SER_P		(1UL << 24)

/* MISC_ENABLE bits Xen's guest_misc_enable() clears and sets. */
#define MISC_ENABLE_PERF_AVAIL	(1UL << 7)
#define MISC_ENABLE_BTS_UNAVAIL	(1UL << 11)
#define MISC_ENABLE_PEBS_UNAVAIL (1UL << 12)
#define MISC_ENABLE_MONITOR	(1UL << 18)
#define MISC_ENABLE_XTPR_DISABLE (1UL << 23)

/* DE_CFG as Xen 4.17 shows it on AMD: LFENCE is dispatch-serialising. */
#define DE_CFG_LFENCE_SERIALISE	(1UL << 1)

enum vendor { V_INTEL, V_AMD, V_OTHER };

/* Xen's X86_VENDOR_INTEL | CENTAUR | SHANGHAI are "Intel" for these MSRs. */
static enum vendor vendor(void)
{
	uint32_t a, b, c, d;

	cpuid(0, &a, &b, &c, &d);
	if (b == 0x756e6547 /* "Genu" */ || b == 0x746e6543 /* "Cent" */ ||
	    b == 0x68532020 /* "  Sh" */)
		return V_INTEL;
	if (b == 0x68747541 /* "Auth" */ || b == 0x69677948 /* "Hygo" */)
		return V_AMD;
	return V_OTHER;
}

/* TSC_AUX exists for the guest when its policy has RDTSCP or RDPID. */
static bool has_tsc_aux(void)
{
	uint32_t r[4];

	pv_cpuid(0x80000001, 0, r, true);
	if (r[3] & (1u << 27))
		return true;
	pv_cpuid(7, 0, r, true);
	return r[2] & (1u << 22);
}

uint64_t pv_tsc_aux(void)
{
	return dom.tsc_aux;
}

static uint64_t mcg_cap(void)
{
	return VMCE_BANKS | (vendor() == V_INTEL ? MCG_SER_P | MCG_TES_P | MCG_CMCI_P : 0);
}

static uint64_t guest_misc_enable(uint64_t v)
{
	v &= ~(MISC_ENABLE_PERF_AVAIL | MISC_ENABLE_MONITOR);
	return v | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL | MISC_ENABLE_XTPR_DISABLE;
}

/*
 * Xen's vmce_rdmsr/vmce_wrmsr over the machine-check range: the two banks
 * read CTL as all ones and STATUS/ADDR/MISC as last written (only 0 may be
 * written); banks past MCG_CAP's count read 0 and ignore writes, as Xen's
 * "not a bank" answer does. CTL2 (CMCI) exists on Intel only.
 */
static bool vmce_rdmsr(uint32_t msr, uint64_t *val)
{
	*val = 0;
	if (msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 0x80) {
		unsigned int bank = (msr - MSR_MC0_CTL) / 4, reg = msr & 3;

		if (bank < VMCE_BANKS)
			*val = reg == 0 ? ~0UL : dom.mci[bank][reg];
	} else if (msr >= MSR_MC0_CTL2 && msr < MSR_MC0_CTL2 + 0x20) {
		unsigned int bank = msr - MSR_MC0_CTL2;

		if (bank < VMCE_BANKS && vendor() == V_INTEL)
			*val = dom.mci[bank][0];	/* slot 0 (CTL is fixed): CTL2 */
	}
	return true;
}

static bool vmce_wrmsr(uint32_t msr, uint64_t val)
{
	if (msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 0x80) {
		unsigned int bank = (msr - MSR_MC0_CTL) / 4, reg = msr & 3;

		if (bank >= VMCE_BANKS || reg == 0)
			return true;		/* CTL: the guest may not clear bits; ignored */
		if (val)
			return false;		/* Xen: only a clear */
		dom.mci[bank][reg] = 0;
	} else if (msr >= MSR_MC0_CTL2 && msr < MSR_MC0_CTL2 + 0x20) {
		unsigned int bank = msr - MSR_MC0_CTL2;

		if (bank < VMCE_BANKS && vendor() == V_INTEL)
			dom.mci[bank][0] = val;
	}
	return true;
}

/*
 * The performance counters Xen hands to its vPMU, which is off by default:
 * they read 0 and take any write (Xen's vpmu_do_msr "nop"). Intel's P6 and
 * architectural counters on Intel; K7 and family 15h counters on AMD.
 */
static bool vpmu_off_msr(uint32_t msr)
{
	if (vendor() == V_INTEL)
		return (msr >= 0xc1 && msr <= 0xc8) || (msr >= 0x186 && msr <= 0x189) ||
		       (msr >= 0x309 && msr <= 0x30b) || (msr >= 0x38d && msr <= 0x390);
	if (vendor() == V_AMD)
		return (msr >= 0xc0010000 && msr <= 0xc0010007) ||
		       (msr >= 0xc0010200 && msr <= 0xc001020b);
	return false;
}

bool pv_rdmsr(uint32_t msr, uint64_t *val)
{
	struct vcpu_state *s = dom.st;

	switch (msr) {
	case MSR_FS_BASE: *val = s->seg[SEG_FS].base; return true;
	case MSR_GS_BASE: *val = s->seg[SEG_GS].base; return true;
	case MSR_KERNEL_GS_BASE: *val = s->kernel_gs_base; return true;
	case MSR_EFER: *val = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE; return true;
	case MSR_TSC: *val = rdtsc(); return true;
	case MSR_PAT: *val = s->pat; return true;
	case MSR_AMD_PATCHLEVEL: *val = 0; return true;
	case MSR_APIC_BASE: *val = 0xfee00000UL | (1UL << 11) | (1UL << 8); return true;
	case MSR_XEN_HYPERCALL: *val = 0; return true;
	/* No CPUID faulting offered (these CPUs have none): both read 0. */
	case MSR_PLATFORM_INFO: *val = 0; return true;
	case MSR_MISC_FEATURES: *val = 0; return true;
	case MSR_ARCH_CAPS:
		/* Offered on every Intel CPU (CPUID 7 EDX), made as Xen makes it (cpuid_spec.c). */
		if (vendor() != V_INTEL)
			return false;
		*val = pv_arch_caps();
		return true;
	case MSR_MCG_CAP: *val = mcg_cap(); return true;
	case MSR_MCG_STATUS: *val = dom.mcg_status; return true;
	case MSR_MCG_CTL: *val = 0; return true;	/* no MCG_CTL_P: reads 0 */
	case MSR_MCG_EXT_CTL: return false;		/* no LMCE */
	case MSR_TSC_AUX:
		if (!has_tsc_aux())
			return false;
		*val = dom.tsc_aux;
		return true;
	case MSR_MISC_ENABLE:
		/*
		 * Xen reads the CPU's (rdmsr_safe, whatever the vendor) and
		 * hides what a PV guest cannot use: AMD hardware has no such
		 * MSR and the guest gets the #GP, QEMU's TCG has it on its AMD
		 * models too and the guest gets the value.
		 */
		if (host_rdmsr_safe(MSR_MISC_ENABLE, val))
			return false;
		*val = guest_misc_enable(*val);
		return true;
	case MSR_AMD_HWCR:
		/*
		 * Xen's guest_rdmsr on AMD: 0, no TscFreqSel (a model-specific
		 * bit that sends some kernels on to the P-state MSRs); #GP on
		 * other vendors.
		 */
		if (vendor() != V_AMD)
			return false;
		*val = 0;
		return true;
	case MSR_AMD_DE_CFG:
		if (vendor() != V_AMD)
			return false;
		*val = DE_CFG_LFENCE_SERIALISE;
		return true;
	case MSR_FEATURE_CONTROL:
		/*
		 * Xen's guest_rdmsr: there since before 64-bit on Intel (and read
		 * by some kernels before they can take a #GP), so it answers
		 * locked, with no VMX and no LMCE for a PV guest; #GP elsewhere.
		 */
		if (vendor() != V_INTEL)
			return false;
		*val = FEATURE_CONTROL_LOCK;
		return true;
	}
	if ((msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 0x80) ||
	    (msr >= MSR_MC0_CTL2 && msr < MSR_MC0_CTL2 + 0x20))
		return vmce_rdmsr(msr, val);
	if (vpmu_off_msr(msr)) {
		*val = 0;
		return true;
	}
	return false;
}

bool pv_wrmsr(uint32_t msr, uint64_t val)
{
	struct vcpu_state *s = dom.st;
	bool canon = (uint64_t)((int64_t)(val << 16) >> 16) == val;

	switch (msr) {
	case MSR_FS_BASE:
		if (!canon) return false;
		s->seg[SEG_FS].base = val;
		return true;
	case MSR_GS_BASE:
		if (!canon) return false;
		s->seg[SEG_GS].base = val;
		return true;
	case MSR_KERNEL_GS_BASE:
		if (!canon) return false;
		s->kernel_gs_base = val;
		dom.gs_base_user = val;
		return true;
	case MSR_XEN_HYPERCALL: {
		/* Write the hypercall page into the guest frame named (Xen's wrmsr_hypervisor_regs). */
		uint64_t mfn = val >> PAGE_SHIFT;
		uint8_t *page;

		if ((val & (PAGE_SIZE - 1)) || !(page = gframe_get(&dom, mfn, GF_WRITABLE)))
			return false;
		fill_hypercall_page(page);
		gframe_put(&dom, mfn, GF_WRITABLE);
		return true;
	}
	case MSR_TSC_AUX:
		/* Xen: 32 bits, loaded into the CPU for RDTSCP and RDPID. */
		if (!has_tsc_aux() || val != (uint32_t)val)
			return false;
		dom.tsc_aux = val;
		wrmsr(MSR_TSC_AUX, val);
		return true;
	case MSR_MISC_FEATURES:
		return val == 0;		/* no CPUID faulting to enable */
	case MSR_AMD_PATCHLEVEL:
		/*
		 * Intel's UCODE_REV: both vendors document it read-only, but
		 * Intel's SDM has the OS write 0 before reading it, which Xen
		 * takes (and drops) on Intel; anything else is a #GP.
		 */
		return vendor() == V_INTEL && val == 0;
	case MSR_MCG_STATUS:
		dom.mcg_status = val;
		return true;
	case MSR_MCG_CAP:		/* read-only: Xen treats a write as "no change" */
	case MSR_MCG_CTL:
		return true;			/* ignored, as Xen */
	case MSR_MISC_ENABLE: {
		/* Xen: the value it shows may be written back; any other is ignored (logged). */
		uint64_t host;

		if (host_rdmsr_safe(MSR_MISC_ENABLE, &host))
			return false;
		if (val != guest_misc_enable(host))
			printk("d%u: WRMSR MISC_ENABLE %#lx ignored", dom.domid, (unsigned long)val);
		return true;
	}
	case MSR_AMD_HWCR:
		/* Xen (write_msr): ignored on AMD unless the domain drives cpufreq; #GP elsewhere. */
		return vendor() == V_AMD;
	}
	if ((msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 0x80) ||
	    (msr >= MSR_MC0_CTL2 && msr < MSR_MC0_CTL2 + 0x20))
		return vmce_wrmsr(msr, val);
	if (vpmu_off_msr(msr))
		return true;
	return false;		/* PLATFORM_INFO is read-only; the rest unknown */
}
