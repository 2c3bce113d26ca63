/*
 * Xen 4.17's CPUID policy for a 64-bit PV domU (Xen: cpuid.c's
 * calculate_pv_def_policy and guest_cpuid), as the guest sees it behind the
 * forced-emulation prefix. A plain CPUID runs on the CPU (these CPUs have
 * no CPUID faulting), so it shows the host's leaves.
 *
 * The feature words are the host's ANDed with the PV default featureset,
 * which tools/gen-pv-featuremask.py derives from the 'A' marks in
 * libxen-dev's <xen/arch-x86/cpufeatureset.h>, as Xen's gen-cpuid.py does:
 * no PSE, PSE36, PGE, MTRR or PAGE1GB (a PV guest's page tables are 4 KiB
 * and validated), no SMEP/SMAP/UMIP/PKU/PCID/INVPCID (CR4 is Xen's), no
 * XSAVES or MPX, no X2APIC or TSC deadline (no APIC), no invariant TSC.
 */
#include "host/pv/pv.h"

#include <xen/arch-x86/cpuid.h>
#include <pv_featuremask.h>

enum {
#define XEN_CPUFEATURE(name, value) X86_FEATURE_##name = value,
#include <xen/arch-x86/cpufeatureset.h>
#undef XEN_CPUFEATURE
};
#define FEAT(name)	(1u << (X86_FEATURE_##name & 31))
#define WORD(name)	(X86_FEATURE_##name >> 5)

static const uint32_t pv_mask[PV_FEATUREMASK_WORDS] = PV_FEATUREMASK_INIT;

/* Xen's CPUID_COMMON_1D_FEATURES: AMD repeats these leaf-1 EDX bits in 0x80000001 EDX. */
#define COMMON_1D	0x0183f3ffu

/* XCR0 components and the feature each needs (Xen's recalculate_xstate). */
#define XSTATE_FP_SSE	0x3u
#define XSTATE_YMM	(1u << 2)
#define XSTATE_BND	(3u << 3)
#define XSTATE_AVX512	(7u << 5)
#define XSTATE_PKRU	(1u << 9)

/* The highest basic and extended leaves Xen 4.17 keeps (CPUID_GUEST_NR_*). */
#define MAX_BASIC	0xdu
#define MAX_EXTD_INTEL	0x80000008u
#define MAX_EXTD_AMD	0x80000021u

static void raw(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	cpuid_count(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
}

static bool host_is_amd(void)
{
	uint32_t r[4];

	raw(0, 0, r);
	return r[1] == 0x68747541 /* "Auth" */ || r[1] == 0x69677948 /* "Hygo" */;
}

static uint32_t feat_word(unsigned int w, uint32_t host)
{
	return w < PV_FEATUREMASK_WORDS ? host & pv_mask[w] : 0;
}

/* The XCR0 components a PV guest may enable: those its features allow. */
static uint32_t pv_xstates(void)
{
	uint32_t l1[4], l7[4], l0d[4], x = XSTATE_FP_SSE;

	raw(1, 0, l1);
	raw(7, 0, l7);
	raw(0xd, 0, l0d);
	if (feat_word(WORD(AVX), l1[2]) & FEAT(AVX))
		x |= XSTATE_YMM;
	if (feat_word(WORD(MPX), l7[1]) & FEAT(MPX))
		x |= XSTATE_BND;
	if (feat_word(WORD(AVX512F), l7[1]) & FEAT(AVX512F))
		x |= XSTATE_AVX512;
	if (feat_word(WORD(PKU), l7[2]) & FEAT(PKU))
		x |= XSTATE_PKRU;
	return x & l0d[0];
}

static void xstate_leaf(uint32_t sub, uint32_t r[4])
{
	uint32_t l1[4], x = pv_xstates();

	raw(1, 0, l1);
	if (!(feat_word(WORD(XSAVE), l1[2]) & FEAT(XSAVE))) {
		r[0] = r[1] = r[2] = r[3] = 0;
		return;
	}
	if (sub == 0) {
		uint32_t size = 512 + 64;	/* legacy area + header */

		/* EBX (the size for the current XCR0) stays the CPU's. */
		for (unsigned int i = 2; i < 32; i++) {
			uint32_t c[4];

			if (!(x & (1u << i)))
				continue;
			raw(0xd, i, c);
			if (c[0] + c[1] > size)
				size = c[0] + c[1];
		}
		r[0] = x;
		r[2] = size;
		r[3] = 0;
	} else if (sub == 1) {
		r[0] = feat_word(4, r[0]);
		r[2] = r[3] = 0;		/* no supervisor states (XSS) */
	} else if (sub >= 32 || !(x & (1u << sub))) {
		r[0] = r[1] = r[2] = r[3] = 0;
	}
}

/* The host's leaf with Xen's PV policy applied. */
static void pv_policy(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	uint32_t hi[4], max;

	if (leaf < 0x80000000) {
		raw(0, 0, hi);
		max = hi[0] < MAX_BASIC ? hi[0] : MAX_BASIC;
	} else {
		raw(0x80000000, 0, hi);
		max = host_is_amd() ? MAX_EXTD_AMD : MAX_EXTD_INTEL;
		if (hi[0] < max)
			max = hi[0];
	}
	if (leaf > max) {
		r[0] = r[1] = r[2] = r[3] = 0;
		return;
	}
	raw(leaf, sub, r);
	switch (leaf) {
	case 0:
	case 0x80000000:
		r[0] = max;
		break;
	case 1:
		r[3] = feat_word(0, r[3]);
		r[2] = feat_word(1, r[2]) | FEAT(HYPERVISOR);
		/*
		 * Xen's own OSXSAVE leaks into the kernel's enlightened view
		 * (a de facto ABI Xen keeps); else the guest's CR4 says.
		 */
		if ((r[2] & FEAT(XSAVE)) &&
		    ((dom.guest_cr4 & CR4_OSXSAVE) || (dom.kernel_mode && (read_cr4() & CR4_OSXSAVE))))
			r[2] |= FEAT(OSXSAVE);
		r[1] &= 0x00ffffff;		/* initial APIC id 0 */
		break;
	case 5:	/* MONITOR, never for PV */
	case 6:	/* thermal and power: Xen's */
		r[0] = r[1] = r[2] = r[3] = 0;
		break;
	case 7:
		if (sub == 0) {
			r[0] = r[0] < 2 ? r[0] : 2;
			/*
			 * FDP_EXCP_ONLY and NO_FPU_SEL say an x87 behaviour is
			 * gone, not that a feature is there: Xen folds the
			 * host's into every guest's view (recalculate_cpuid_policy).
			 */
			r[1] = feat_word(5, r[1]) |
			       (r[1] & (FEAT(FDP_EXCP_ONLY) | FEAT(NO_FPU_SEL)));
			r[2] = feat_word(6, r[2]);
			r[3] = feat_word(9, r[3]);
		} else if (sub == 1) {
			r[0] = feat_word(10, r[0]);
			r[1] = feat_word(12, r[1]);
			r[2] = feat_word(14, r[2]);
			r[3] = feat_word(15, r[3]);
		} else if (sub == 2) {
			r[0] = r[1] = r[2] = 0;
			r[3] = feat_word(13, r[3]);
		} else {
			r[0] = r[1] = r[2] = r[3] = 0;
		}
		break;
	case 0xd:
		xstate_leaf(sub, r);
		break;
	case 0x80000001: {
		uint32_t l1[4];

		r[3] = feat_word(2, r[3]);
		r[2] = feat_word(3, r[2]);
		if (host_is_amd()) {
			raw(1, 0, l1);
			r[3] |= feat_word(0, l1[3]) & COMMON_1D;
		}
		break;
	}
	case 0x80000007:
		r[0] = r[1] = r[2] = 0;		/* Power/RAS: hidden */
		r[3] = feat_word(7, r[3]);
		break;
	case 0x80000008:
		r[1] = feat_word(8, r[1]);
		r[3] = 0;
		break;
	case 0x80000021:
		r[0] = feat_word(11, r[0]);
		r[2] = feat_word(18, r[2]);
		break;
	}
}

/* parahost's statistics leaf, 0x4000ff00: far above Xen's last (0x40000005). */
#define PARAHOST_STATS_IDX	0xff00

static void xen_leaf(uint32_t idx, uint32_t sub, uint32_t r[4])
{
	r[0] = r[1] = r[2] = r[3] = 0;
	switch (idx) {
	case 0:
		r[0] = XEN_CPUID_LEAF(XEN_CPUID_MAX_NUM_LEAVES);
		r[1] = XEN_CPUID_SIGNATURE_EBX;
		r[2] = XEN_CPUID_SIGNATURE_ECX;
		r[3] = XEN_CPUID_SIGNATURE_EDX;
		break;
	case 1:
		r[0] = (4 << 16) | 17;
		break;
	case 2:
		r[0] = 1;		/* hypercall pages */
		r[1] = 0x40000000;	/* hypercall MSR base */
		r[2] = XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD;
		break;
	case 3:
		/*
		 * Time leaf, tsc_mode default. Xen calls the TSC reliable
		 * (bit 1) when the CPU's is invariant, and else emulates it
		 * (bit 0); parahost runs one vcpu that never migrates and
		 * never emulates it. Bit 2: RDTSCP.
		 */
		if (sub == 0) {
			uint32_t h[4];

			raw(0x80000001, 0, h);
			r[0] = (h[3] & FEAT(RDTSCP)) ? 1U << 2 : 0;
			raw(0x80000000, 0, h);
			if (h[0] >= 0x80000007) {
				raw(0x80000007, 0, h);
				if (h[3] & FEAT(ITSC))
					r[0] |= 1U << 1;
			}
			r[2] = (uint32_t)(time_tsc_hz() / 1000);
			r[3] = 1;		/* incarnation */
		} else if (sub == 1) {
			r[2] = time_mul_frac();
			r[3] = (uint32_t)(int32_t)time_shift();
		} else if (sub == 2) {
			r[0] = (uint32_t)(time_tsc_hz() / 1000);
		}
		break;
	case 5:
		if (sub == 0)
			r[1] = 64 - (uint32_t)__builtin_clzl(dom.max_mfn) + PAGE_SHIFT;
		break;
	case PARAHOST_STATS_IDX:
		/*
		 * Not Xen's (Xen answers zeros here): parahost's own counters,
		 * for make bench. Subleaf 0 says who we are, subleaf 1 the VM
		 * exits before this one (EAX low, EDX high).
		 */
		if (sub == 0) {
			memcpy(&r[1], "para", 4);
			memcpy(&r[2], "host", 4);
			memcpy(&r[3], "stat", 4);
			r[0] = 1;
		} else if (sub == 1) {
			r[0] = (uint32_t)(dom.nr_exits - 1);
			r[3] = (uint32_t)((dom.nr_exits - 1) >> 32);
		}
		break;
	}
}

void pv_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4], bool xen_leaves)
{
	if (!xen_leaves) {
		raw(leaf, sub, r);	/* plain CPUID: the CPU's, as under Xen without CPUID faulting */
		return;
	}
	if ((leaf & 0xffff0000) == XEN_CPUID_FIRST_LEAF)
		xen_leaf(leaf - XEN_CPUID_FIRST_LEAF, sub, r);
	else
		pv_policy(leaf, sub, r);
}
