/*
 * CPUID as a PV kernel sees it under Xen 4.17. A plain CPUID runs on the
 * CPU (no CPUID faulting for PV guests here), so it shows the processor;
 * Xen's forced-emulation prefix (ud2; .ascii "xen"; cpuid) gives Xen's
 * policy: its own leaves at 0x40000000, and the CPU's leaves minus what a
 * PV guest cannot use. The two emulators' CPUs differ (QEMU's is AMD-like,
 * Bochs' an Intel model), so the CPU leaves are checked against the plain
 * CPUID by rule, never against constants.
 */
#include <xen/arch-x86/cpuid.h>

#include "kernel/ktest.h"
#include "kernel/tests/hostile.h"
#include "mm/p2m.h"
#include "xen/start_info.h"

struct regs4 {
	uint32_t a, b, c, d;
};

static struct regs4 cpuid_raw(uint32_t leaf, uint32_t sub)
{
	struct regs4 r;

	asm volatile ("cpuid" : "=a" (r.a), "=b" (r.b), "=c" (r.c), "=d" (r.d)
		      : "a" (leaf), "c" (sub));
	return r;
}

static struct regs4 cpuid_xen(uint32_t leaf, uint32_t sub)
{
	struct regs4 r;

	asm volatile ("ud2; .ascii \"xen\"; cpuid"
		      : "=a" (r.a), "=b" (r.b), "=c" (r.c), "=d" (r.d) : "a" (leaf), "c" (sub));
	return r;
}

/* Feature numbers (word * 32 + bit) from Xen's own list of them. */
enum {
#define XEN_CPUFEATURE(name, value) X86_FEATURE_##name = value,
#include <xen/arch-x86/cpufeatureset.h>
#undef XEN_CPUFEATURE
};
/* The feature's bit in its CPUID register. */
#define FEAT(name)	(1u << (X86_FEATURE_##name & 31))

KTEST(cpuid, xen_signature)
{
	struct regs4 r = cpuid_xen(XEN_CPUID_LEAF(0), 0);

	KT_ASSERT_EQ(r.a, XEN_CPUID_LEAF(XEN_CPUID_MAX_NUM_LEAVES), "highest Xen leaf");
	KT_ASSERT(r.b == XEN_CPUID_SIGNATURE_EBX && r.c == XEN_CPUID_SIGNATURE_ECX &&
		  r.d == XEN_CPUID_SIGNATURE_EDX, "signature %#x %#x %#x", r.b, r.c, r.d);
}

KTEST(cpuid, xen_version_leaf)
{
	struct regs4 r = cpuid_xen(XEN_CPUID_LEAF(1), 0);

	KT_ASSERT_EQ(r.a, 4 << 16 | 17, "version (4.17)");
	KT_ASSERT(r.b == 0 && r.c == 0 && r.d == 0, "reserved %#x %#x %#x", r.b, r.c, r.d);
}

KTEST(cpuid, hypercall_leaf)
{
	struct regs4 r = cpuid_xen(XEN_CPUID_LEAF(2), 0);

	/* One hypercall page, through MSR 0x40000000; A/D-preserving PTE updates. */
	KT_ASSERT_EQ(r.a, 1, "hypercall pages");
	KT_ASSERT_EQ(r.b, 0x40000000, "hypercall MSR");
	KT_ASSERT_EQ(r.c, XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD, "features");
	KT_ASSERT_EQ(r.d, 0, "reserved");
}

/*
 * The time leaf. Xen (default tsc_mode) emulates the TSC exactly when it
 * cannot trust the host's, i.e. without an invariant TSC, and says which:
 * bit 0 emulated, bit 1 reliable, bit 2 RDTSCP. A domU built by xl has
 * incarnation 1 and the host's frequency; dom0 never had tsc_set_info.
 */
KTEST(cpuid, time_leaf)
{
	struct regs4 r = cpuid_xen(XEN_CPUID_LEAF(3), 0), host = cpuid_xen(XEN_CPUID_LEAF(3), 2);
	bool itsc = cpuid_raw(0x80000000, 0).a >= 0x80000007 &&
		(cpuid_raw(0x80000007, 0).d & FEAT(ITSC));
	bool rdtscp = cpuid_raw(0x80000001, 0).d & FEAT(RDTSCP);

	KT_ASSERT_EQ((r.a >> 2) & 1, rdtscp, "RDTSCP bit (the CPU's)");
	KT_ASSERT_EQ((r.a >> 1) & 1, itsc, "reliable-TSC bit (the CPU's invariant TSC)");
	KT_ASSERT(!((r.a & 1) && itsc), "TSC emulated although reliable (%#x)", r.a);
	KT_ASSERT_EQ(r.a >> 3, 0, "reserved flag bits");
	KT_ASSERT_EQ(r.b, 0, "tsc_mode (default)");
	KT_ASSERT(host.a != 0, "no host TSC frequency");
	if (is_initial_domain()) {
		KT_ASSERT(!(r.a & 1) && r.c == 0 && r.d == 0, "dom0: flags %#x khz %u incarnation %u",
			  r.a, r.c, r.d);
		return;
	}
	KT_ASSERT_EQ(r.c, host.a, "guest TSC kHz (not migrated: the host's)");
	KT_ASSERT_EQ(r.d, 1, "incarnation");
}

KTEST(cpuid, hvm_and_pv_leaves)
{
	struct regs4 hvm = cpuid_xen(XEN_CPUID_LEAF(4), 0), pv = cpuid_xen(XEN_CPUID_LEAF(5), 0);
	struct regs4 past = cpuid_xen(XEN_CPUID_LEAF(6), 0);
	xen_pfn_t max = 0;

	for (unsigned long pfn = 0; pfn < start_info.nr_pages; pfn++)
		if (pfn_to_mfn(pfn) > max)
			max = pfn_to_mfn(pfn);
	/* The HVM leaf is empty for a PV guest. */
	KT_ASSERT(!hvm.a && !hvm.b && !hvm.c && !hvm.d, "HVM leaf %#x %#x %#x %#x",
		  hvm.a, hvm.b, hvm.c, hvm.d);
	/* Machine address width: enough for every frame we were given. */
	KT_ASSERT(pv.a == 0 && (pv.b >> 8) == 0 && pv.c == 0 && pv.d == 0,
		  "PV leaf %#x %#x %#x %#x", pv.a, pv.b, pv.c, pv.d);
	KT_ASSERT((pv.b & XEN_CPUID_MACHINE_ADDRESS_WIDTH_MASK) >= (uint32_t)(64 - __builtin_clzl(max) + PAGE_SHIFT) &&
		  (pv.b & 0xff) <= 52, "machine address width %u, our highest mfn %#lx", pv.b, max);
	KT_ASSERT(!past.a && !past.b && !past.c && !past.d, "leaf past the last");
}

/* No bit in Xen's view that the CPU does not have, except those named. */
#define SUBSET(what, xen, raw, extra) \
	KT_ASSERT(((xen) & ~((raw) | (extra))) == 0, "%s: Xen shows %#x beyond the CPU's %#x", \
		  what, (xen) & ~((raw) | (extra)), raw)

KTEST(cpuid, basic_leaves_filtered)
{
	struct regs4 x0 = cpuid_xen(0, 0), r0 = cpuid_raw(0, 0);
	struct regs4 x1 = cpuid_xen(1, 0), r1 = cpuid_raw(1, 0);

	KT_ASSERT(x0.b == r0.b && x0.c == r0.c && x0.d == r0.d, "vendor differs from the CPU's");
	KT_ASSERT_EQ(x1.a, r1.a, "family/model/stepping");
	/* A PV guest gets no MONITOR, VMX or SMX; it is told it is virtual. */
	KT_ASSERT_EQ(x1.c & (FEAT(MONITOR) | FEAT(VMX) | FEAT(SMX)), 0,
		     "MONITOR/VMX/SMX offered");
	KT_ASSERT(x1.c & FEAT(HYPERVISOR), "no hypervisor bit");
	SUBSET("leaf 1 ECX", x1.c, r1.c, FEAT(HYPERVISOR));
	SUBSET("leaf 1 EDX", x1.d, r1.d, 0);
	KT_ASSERT_EQ(x1.b >> 24, 0, "initial APIC id of vcpu 0");
	if (r0.a >= 7) {
		struct regs4 x7 = cpuid_xen(7, 0), r7 = cpuid_raw(7, 0);

		SUBSET("leaf 7 EBX", x7.b, r7.b, 0);
		SUBSET("leaf 7 ECX", x7.c, r7.c, 0);
		/*
		 * Debian's Xen 4.17 offers IA32_ARCH_CAPABILITIES to guests
		 * on every Intel CPU ("advertise MSR_ARCH_CAPS to guests by
		 * default"), filled with what Xen knows of the hardware's
		 * speculation properties, whether or not the CPU has the MSR
		 * (Bochs's has not).
		 */
		SUBSET("leaf 7 EDX", x7.d, r7.d, cpu_is_intel() ? FEAT(ARCH_CAPS) : 0);
	}
}

KTEST(cpuid, extended_leaves_filtered)
{
	struct regs4 x = cpuid_xen(0x80000001, 0), r = cpuid_raw(0x80000001, 0);

	KT_ASSERT_EQ(x.c & FEAT(SVM), 0, "SVM offered");
	SUBSET("leaf 0x80000001 ECX", x.c, r.c, 0);
	SUBSET("leaf 0x80000001 EDX", x.d, r.d, 0);
}

/*
 * Xen's PV default featureset: every feature word is the CPU's ANDed with
 * the features libxen-dev's cpufeatureset.h marks 'A' (all guests, by
 * default). So no PSE/PSE36/PGE/PAGE1GB (the guest's page tables are
 * validated 4 KiB ones), no SMEP/SMAP/UMIP/PKU/PCID/INVPCID, no XSAVES or
 * MPX, no X2APIC or TSC deadline, no invariant TSC.
 */
#include <pv_featuremask.h>

static const uint32_t pv_mask[PV_FEATUREMASK_WORDS] = PV_FEATUREMASK_INIT;

#define PV_SUBSET(what, xen, raw, word, extra) \
	SUBSET(what, xen, (raw) & pv_mask[word], extra)

KTEST(cpuid, features_are_pv_defaults)
{
	struct regs4 x1 = cpuid_xen(1, 0), r1 = cpuid_raw(1, 0);
	struct regs4 xe = cpuid_xen(0x80000001, 0), re = cpuid_raw(0x80000001, 0);
	uint32_t max = cpuid_raw(0, 0).a, emax = cpuid_raw(0x80000000, 0).a;

	/* Xen's initial domain gets MTRR in Xen's leaf 1 where the plain CPUID
	 * does not show it (seen on xen-dom0). */
	uint32_t dom0_extra = is_initial_domain() ? FEAT(MTRR) : 0;

	PV_SUBSET("leaf 1 EDX", x1.d, r1.d, 0, dom0_extra);
	PV_SUBSET("leaf 1 ECX", x1.c, r1.c, 1, FEAT(HYPERVISOR) | FEAT(OSXSAVE));
	/* AMD repeats leaf 1's EDX features in 0x80000001 EDX (Xen's CPUID_COMMON_1D_FEATURES). */
	PV_SUBSET("leaf 0x80000001 EDX", xe.d, re.d, 2,
		  cpu_is_intel() ? 0 : (x1.d & 0x0183f3ffu));
	PV_SUBSET("leaf 0x80000001 ECX", xe.c, re.c, 3, 0);
	KT_ASSERT_EQ(x1.d & (FEAT(PSE) | FEAT(PSE36) | FEAT(PGE) | FEAT(MTRR) | FEAT(VME)) &
		     ~dom0_extra, 0, "superpage/global/MTRR/VME features offered");
	KT_ASSERT_EQ(x1.c & (FEAT(PCID) | FEAT(X2APIC) | FEAT(TSC_DEADLINE)), 0,
		     "PCID/X2APIC/TSC deadline offered");
	KT_ASSERT_EQ(xe.d & FEAT(PAGE1GB), 0, "1 GiB pages offered");
	if (max >= 7) {
		struct regs4 x7 = cpuid_xen(7, 0), r7 = cpuid_raw(7, 0);

		/*
		 * FDP_EXCP_ONLY and NO_FPU_SEL announce an x87 behaviour gone,
		 * not a feature: Xen shows the CPU's, whatever the marks say.
		 */
		const uint32_t x87 = FEAT(FDP_EXCP_ONLY) | FEAT(NO_FPU_SEL);

		PV_SUBSET("leaf 7 EBX", x7.b, r7.b, 5, r7.b & x87);
		KT_ASSERT_EQ(x7.b & x87, r7.b & x87, "FDP_EXCP_ONLY/NO_FPU_SEL (the CPU's)");
		PV_SUBSET("leaf 7 ECX", x7.c, r7.c, 6, 0);
		PV_SUBSET("leaf 7 EDX", x7.d, r7.d, 9, cpu_is_intel() ? FEAT(ARCH_CAPS) : 0);
		KT_ASSERT_EQ(x7.b & (FEAT(SMEP) | FEAT(SMAP) | FEAT(INVPCID) | FEAT(MPX)), 0,
			     "SMEP/SMAP/INVPCID/MPX offered");
		KT_ASSERT_EQ(x7.c & (FEAT(UMIP) | FEAT(PKU)), 0, "UMIP/PKU offered");
	}
	if (max >= 0xd) {
		struct regs4 xd = cpuid_xen(0xd, 1), rd = cpuid_raw(0xd, 1);
		struct regs4 x0 = cpuid_xen(0xd, 0);

		PV_SUBSET("leaf 0xd:1 EAX", xd.a, rd.a, 4, 0);
		/* No MPX state (BNDREGS, BNDCSR) and no PKRU without MPX and PKU. */
		KT_ASSERT(!(x0.a & ((3u << 3) | (1u << 9))), "XCR0 components %#x", x0.a);
		KT_ASSERT(!(xd.c | xd.d), "supervisor states (XSS) %#x:%#x", xd.d, xd.c);
	}
	if (emax >= 0x80000007)
		KT_ASSERT_EQ(cpuid_xen(0x80000007, 0).d & FEAT(ITSC), 0, "invariant TSC offered");
}

/*
 * The whole policy, leaf by leaf, against what real Xen 4.17 showed a PV
 * domU on this same CPU (kernel/tests/cpuid_xen_table.h, written by
 * tools/gen-cpuid-table.py from xen-domu's and xen-bochs's runs). Only the
 * fields below may differ from that run, each for the reason given.
 */
#include "kernel/tests/xen_view.h"

#define ANY_SUB	0xffffffffu
static const struct {
	uint32_t leaf, sub;
	unsigned int reg;	/* 0..3: EAX, EBX, ECX, EDX */
	uint32_t mask;
	const char *why;
} per_boot[] = {
	{ 1, 0, 1, 0xff000000u, "initial APIC id: Xen gives vcpu_id * 2, per vCPU" },
	{ 1, 0, 2, FEAT(OSXSAVE), "OSXSAVE follows CR4, the kernel's (and Xen's own leaks in)" },
	{ 0xb, ANY_SUB, 3, ~0u, "x2APIC id of the vCPU asking" },
	{ 0x1f, ANY_SUB, 3, ~0u, "x2APIC id of the vCPU asking" },
};

static uint32_t varies(uint32_t leaf, uint32_t sub, unsigned int reg)
{
	uint32_t m = 0;

	for (unsigned int i = 0; i < sizeof(per_boot) / sizeof(per_boot[0]); i++)
		if (per_boot[i].leaf == leaf && per_boot[i].reg == reg &&
		    (per_boot[i].sub == ANY_SUB || per_boot[i].sub == sub))
			m |= per_boot[i].mask;
	return m;
}

KTEST(cpuid, leaves_match_xen)
{
	static const char reg_name[4][4] = { "EAX", "EBX", "ECX", "EDX" };
	const struct xen_cpu_view *v = xen_view_or_skip();
	unsigned int bad = 0;

	if (!v)
		return;
	for (unsigned int i = 0; i < v->nr_leaves; i++) {
		const struct cpuid_entry *e = &v->leaves[i];
		uint32_t r[4];

		cpuid_xen_count(e->leaf, e->sub, r);
		for (unsigned int reg = 0; reg < 4; reg++) {
			uint32_t m = ~varies(e->leaf, e->sub, reg);

			if ((r[reg] & m) == (e->r[reg] & m))
				continue;
			kprintf("cpuid: leaf %#x:%#x %s = %#010x, Xen (%s) %#010x: differ in %#010x\n",
				e->leaf, e->sub, reg_name[reg], r[reg], v->platform, e->r[reg],
				(r[reg] ^ e->r[reg]) & m);
			bad++;
		}
	}
	KT_ASSERT(bad == 0, "%u of %u registers differ from Xen's on this CPU (%s)", bad,
		  4 * v->nr_leaves, v->platform);
}
