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

/*
 * The ends of Xen 4.17's policy arrays (CPUID_GUEST_NR_*): no leaf past
 * these exists for a guest, whatever the CPU has. Within them, a leaf past
 * the CPU's own maximum is empty, and the maximum the guest is told is the
 * last non-empty leaf (x86_cpuid_policy_shrink_max_leaves): so on AMD, where
 * Xen makes up LFENCE_DISPATCH in 0x80000021, the extended range reaches
 * 0x80000021 even on a CPU whose own stops earlier.
 */
#define LAST_BASIC	0xdu
#define LAST_EXTD_INTEL	0x80000008u
#define LAST_EXTD_AMD	0x80000021u
#define LAST_FEAT_SUB	2u		/* leaf 7 subleaves */
#define NR_CACHE_SUB	5u		/* leaf 4 subleaves */

static void raw(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	cpuid_count(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
}

static void empty(uint32_t r[4])
{
	r[0] = r[1] = r[2] = r[3] = 0;
}

static bool host_is_amd(void)
{
	uint32_t r[4];

	raw(0, 0, r);
	return r[1] == 0x68747541 /* "Auth" */ || r[1] == 0x69677948 /* "Hygo" */;
}

/* The CPU's word w of features as the PV default policy has it (cpuid_spec.c: Xen's hiding). */
static uint32_t feat_word(unsigned int w, uint32_t host)
{
	return w < PV_FEATUREMASK_WORDS ? host & pv_mask[w] & ~pv_hidden_features(w) : 0;
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
		empty(r);
		return;
	}
	if (sub == 0) {
		uint32_t size = 512 + 64;	/* legacy area + header */

		/*
		 * EBX, the size for the XCR0 now set, stays the CPU's: the
		 * guest's XSETBV reaches the CPU (emulate.c), as Xen's does.
		 */
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
		/* Only the flags are kept (Xen's recalculate_xstate): no XSAVES, so no XSS size. */
		r[0] = feat_word(4, r[0]);
		r[1] = r[2] = r[3] = 0;
	} else if (sub >= 32 || !(x & (1u << sub))) {
		empty(r);
	} else {
		r[2] &= 0x2;			/* the CPU's alignment; no supervisor (XSS) state */
		r[3] = 0;
	}
}

/* Leaf 7: the feature words, and the last subleaf that has any. */
static void feat_leaf(uint32_t sub, uint32_t host_last, uint32_t r[4])
{
	uint32_t last = host_last < LAST_FEAT_SUB ? host_last : LAST_FEAT_SUB;

	if (sub > last) {
		empty(r);
		return;
	}
	raw(7, sub, r);
	if (sub == 0) {
		/*
		 * FDP_EXCP_ONLY and NO_FPU_SEL say an x87 behaviour is gone,
		 * not that a feature is there: Xen folds the host's into every
		 * guest's view (recalculate_cpuid_policy). ARCH_CAPS: Xen
		 * offers its own MSR_ARCH_CAPS on every Intel CPU (msr.c).
		 */
		r[1] = feat_word(5, r[1]) | (r[1] & (FEAT(FDP_EXCP_ONLY) | FEAT(NO_FPU_SEL)));
		r[2] = feat_word(6, r[2]);
		r[3] = feat_word(9, r[3]) | (host_is_amd() ? 0 : FEAT(ARCH_CAPS));
		/* The last subleaf with a feature in it. */
		r[0] = 0;
		for (uint32_t i = last; i > 0; i--) {
			uint32_t s[4];

			feat_leaf(i, host_last, s);
			if (s[0] | s[1] | s[2] | s[3]) {
				r[0] = i;
				break;
			}
		}
	} else if (sub == 1) {
		r[0] = feat_word(10, r[0]);
		r[1] = feat_word(12, r[1]);
		r[2] = feat_word(14, r[2]);
		r[3] = feat_word(15, r[3]);
	} else {
		r[0] = r[1] = r[2] = 0;
		r[3] = feat_word(13, r[3]);
	}
}

/* The leaf as Xen's policy has it, before the maximum is cut to the last non-empty one. */
static void policy_leaf(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	bool amd = host_is_amd();
	uint32_t host_max[4];

	raw(leaf & 0x80000000, 0, host_max);
	if (leaf > host_max[0]) {		/* Xen filled its arrays from the CPU's range only */
		empty(r);
		if (leaf == 0x80000021 && amd)
			r[0] = feat_word(11, FEAT(LFENCE_DISPATCH));
		return;
	}
	raw(leaf, sub, r);
	switch (leaf) {
	case 1:
		/*
		 * The processor type (Intel) and the initial APIC id are Xen's:
		 * 0 for vcpu 0. SEP: Xen runs in long mode, where AMD has no
		 * SYSENTER, so its init_amd() drops it from every view.
		 */
		r[0] &= 0x0fff0fff;
		r[1] &= 0x00ffffff;
		r[3] = feat_word(0, r[3]) & ~(amd ? FEAT(SEP) : 0);
		r[2] = feat_word(1, r[2]) | FEAT(HYPERVISOR);
		/*
		 * Xen's own OSXSAVE leaks into the kernel's enlightened view
		 * (a de facto ABI Xen keeps); else the guest's CR4 says.
		 */
		if ((r[2] & FEAT(XSAVE)) &&
		    ((dom.guest_cr4 & CR4_OSXSAVE) || (dom.kernel_mode && (read_cr4() & CR4_OSXSAVE))))
			r[2] |= FEAT(OSXSAVE);
		break;
	case 2:			/* cache descriptors: Intel's, passed through */
		if (amd)
			empty(r);
		break;
	case 4:			/* deterministic caches: Intel's, five at most */
		if (amd || sub >= NR_CACHE_SUB || !(r[0] & 0x1f)) {
			empty(r);
			break;
		}
		r[0] &= 0xffffc3ff;	/* reserved bits clear */
		r[3] &= 0x7;
		break;
	case 3:			/* processor serial number: always hidden */
	case 5:			/* MONITOR, never for PV */
	case 6:			/* thermal and power: Xen's */
	case 8:
	case 9:			/* DCA */
	case 0xa:		/* performance monitoring: Xen's vPMU is off */
	case 0xb:		/* topology: Xen's is made up, empty without X2APIC */
	case 0xc:
		empty(r);
		break;
	case 7: {
		uint32_t l7[4];

		raw(7, 0, l7);
		feat_leaf(sub, l7[0], r);
		break;
	}
	case 0xd:
		xstate_leaf(sub, r);
		break;
	case 0x80000000:
		/* AMD repeats the vendor here; Intel's zeros are reserved. */
		if (amd)
			raw(0, 0, r);
		else
			r[1] = r[2] = r[3] = 0;
		break;
	case 0x80000001: {
		uint32_t l1[4];

		raw(1, 0, l1);
		r[3] = feat_word(2, r[3]) & ~COMMON_1D;
		r[2] = feat_word(3, r[2]);
		if (amd) {
			/* Family/model/stepping as leaf 1; no package type (EBX 23:16). */
			r[0] = l1[0];
			r[1] &= 0xff00ffff;
			r[3] |= feat_word(0, l1[3]) & COMMON_1D;
		} else {
			r[0] = r[1] = 0;
		}
		break;
	}
	case 0x80000005:	/* L1 caches and TLBs: AMD's */
		if (!amd)
			empty(r);
		break;
	case 0x80000006:	/* L2/L3: Intel keeps only ECX (the L2 cache) */
		if (!amd)
			r[0] = r[1] = r[3] = 0;
		break;
	case 0x80000007:
		r[0] = r[1] = r[2] = 0;		/* Power/RAS: hidden */
		r[3] = feat_word(7, r[3]);
		break;
	case 0x80000008:
		/*
		 * The physical address width is the CPU's; the linear one is
		 * 48 bits, Xen's 4-level paging; no GuestMaxPhysAddr. AMD keeps
		 * its core count (ECX 17:12, 7:0), Intel's ECX is reserved.
		 */
		r[0] = (r[0] & 0xff) | (48u << 8);
		r[1] = feat_word(8, r[1]);
		r[2] = amd ? r[2] & 0x0003f0ff : 0;
		r[3] = 0;
		break;
	case 0x80000019:	/* AMD's 1 GiB TLBs, passed through */
	case 0x8000001a:	/* AMD's performance hints, passed through */
		break;
	case 0x80000021:
		r[0] = feat_word(11, r[0]) | (amd ? feat_word(11, FEAT(LFENCE_DISPATCH)) : 0);
		r[2] = feat_word(18, r[2]);
		break;
	default:
		/*
		 * The rest of AMD's range: SVM (never for PV), LWP, IBS,
		 * TopoExt, SEV, QoS... all empty in Xen's policy.
		 */
		if (leaf > 0x80000008)
			empty(r);
		break;
	}
}

/* The last non-empty leaf of a range, the one leaf 0 / 0x80000000 names. */
static uint32_t last_leaf(uint32_t first)
{
	uint32_t end = first ? (host_is_amd() ? LAST_EXTD_AMD : LAST_EXTD_INTEL) : LAST_BASIC;

	for (uint32_t leaf = end; leaf > first; leaf--) {
		uint32_t r[4];

		policy_leaf(leaf, 0, r);
		if (r[0] | r[1] | r[2] | r[3])
			return leaf;
	}
	return first;
}

/* The host's leaf with Xen's PV policy applied. */
static void pv_policy(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	static uint32_t last[2];	/* basic, extended: the CPU never changes, found once */
	static bool known[2];
	unsigned int range = leaf >> 31;

	if (!known[range]) {
		last[range] = last_leaf(leaf & 0x80000000);
		known[range] = true;
	}
	if (leaf > last[range]) {
		empty(r);
		return;
	}
	policy_leaf(leaf, sub, r);
	if (leaf == 0 || leaf == 0x80000000)
		r[0] = last[range];
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
