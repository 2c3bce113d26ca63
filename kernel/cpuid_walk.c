/*
 * Walk the hypervisor's whole CPUID policy the way the architecture says
 * leaves and subleaves are found, on the hypervisor's view and the CPU's
 * (a plain CPUID) alike: a leaf either one shows is walked, so a leaf the
 * hypervisor should have emptied (past its maximum, or a subleaf past the
 * last) is in the table too, as the zeros real Xen gives.
 */
#include "kernel/cpuid_walk.h"
#include "kernel/kernel.h"
#include "kernel/tests/probe.h"

void cpuid_xen_count(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	asm volatile ("ud2; .ascii \"xen\"; cpuid"
		      : "=a" (r[0]), "=b" (r[1]), "=c" (r[2]), "=d" (r[3]) : "a" (leaf), "c" (sub));
}

static void cpuid_plain(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	asm volatile ("cpuid" : "=a" (r[0]), "=b" (r[1]), "=c" (r[2]), "=d" (r[3])
		      : "a" (leaf), "c" (sub));
}

/* Register reg of (leaf, sub), the larger of the two views (by mask). */
static uint32_t either(uint32_t leaf, uint32_t sub, unsigned int reg, uint32_t mask)
{
	uint32_t x[4], p[4];

	cpuid_xen_count(leaf, sub, x);
	cpuid_plain(leaf, sub, p);
	return (x[reg] & mask) > (p[reg] & mask) ? x[reg] & mask : p[reg] & mask;
}

#define MAX_SUB 16u

/*
 * How many subleaves to walk: those the leaf's own rule names in either
 * view, and the first one past them (which must then be empty).
 */
static uint32_t nr_subleaves(uint32_t leaf)
{
	uint32_t n = 0;

	switch (leaf) {
	case 0x4: case 0x8000001d:	/* caches: until type 0 */
		while (n < MAX_SUB && either(leaf, n, 0, 0x1f))
			n++;
		return n + 1;
	case 0xb: case 0x1f: case 0x80000026:	/* topology levels: until type 0 */
		while (n < MAX_SUB && either(leaf, n, 2, 0xff00))
			n++;
		return n + 1;
	case 0x7: case 0x14: case 0x17: case 0x18: case 0x1d: case 0x20: case 0x23:
		n = either(leaf, 0, 0, ~0u);	/* subleaf 0 EAX: the last subleaf */
		return (n < MAX_SUB ? n : MAX_SUB) + 2;
	case 0xd:			/* XSAVE: one per state component */
		return 64;
	case 0xf: case 0x10: case 0x12: case 0x80000020:	/* per resource */
		return 4;
	}
	return 1;
}

static void walk_range(uint32_t first, void (*fn)(const struct cpuid_entry *, void *), void *arg)
{
	uint32_t last = either(first, 0, 0, ~0u);

	/* Real CPUs keep below 0x40 leaves a range; a wild maximum is not walked. */
	if (last < first || last > first + 0x40)
		last = first;
	for (uint32_t leaf = first; leaf <= last; leaf++) {
		uint32_t n = nr_subleaves(leaf);

		for (uint32_t sub = 0; sub < n; sub++) {
			struct cpuid_entry e = { .leaf = leaf, .sub = sub };

			cpuid_xen_count(leaf, sub, e.r);
			fn(&e, arg);
		}
	}
}

/* The hypervisor's own leaves (0x40000000 up) are the other cpuid tests'. */
void cpuid_walk(void (*fn)(const struct cpuid_entry *e, void *arg), void *arg)
{
	walk_range(0, fn, arg);
	walk_range(0x80000000, fn, arg);
}

/*
 * MSRs whose answer is Xen's alone and fixed for a CPU: Xen's MSR policy
 * (ARCH_CAPS, PLATFORM_INFO, MISC_FEATURES_ENABLES, FEATURE_CONTROL), its
 * vMCE's MCG_CAP/MCG_CTL, and what it makes of the host's (MISC_ENABLE,
 * HWCR, the C1E MSR, DE_CFG, SPEC_CTRL), or the #GP it gives instead;
 * then the ones a Linux guest reads that Xen may or may not know.
 */
const uint32_t walk_msrs[] = {
	0x0000003a, 0x00000048, 0x000000ce, 0x0000010a, 0x00000140, 0x00000179,
	0x0000017b, 0x000001a0, 0xc0010015, 0xc0010055, 0xc0011029,
	/*
	 * Read by Debian's Linux 6.1 at boot on Intel (SMI count, PPIN, the
	 * offcore/LBR/PEBS perf MSRs, PPERF, the OC mailbox): Xen names none
	 * of them for a PV guest, the table shows whether that holds.
	 */
	0x00000034, 0x0000004e, 0x0000004f, 0x00000150, 0x000001a6, 0x000001a7,
	0x000001c9, 0x000003f6, 0x000003f7, 0x0000064e,
};
const unsigned int nr_walk_msrs = sizeof(walk_msrs) / sizeof(walk_msrs[0]);

struct msr_entry msr_probe(uint32_t msr)
{
	struct msr_entry e = { .msr = msr };
	uint64_t v = 0;

	e.exinfo = probe_rdmsr(msr, &v);
	e.val = e.exinfo ? 0 : v;
	return e;
}

static void dump_one(const struct cpuid_entry *e, void *arg)
{
	(void)arg;
	kprintf("cpuid-dump leaf %#x %#x: %08x %08x %08x %08x\n", e->leaf, e->sub,
		e->r[0], e->r[1], e->r[2], e->r[3]);
}

void cpuid_dump(void)
{
	uint32_t r[4];

	cpuid_xen_count(0, 0, r);
	kprintf("cpuid-dump vendor %.4s%.4s%.4s\n", (char *)&r[1], (char *)&r[3], (char *)&r[2]);
	cpuid_walk(dump_one, NULL);
	for (unsigned int i = 0; i < nr_walk_msrs; i++) {
		struct msr_entry m = msr_probe(walk_msrs[i]);

		kprintf("cpuid-dump msr %#x: %#lx %#lx\n", m.msr, (unsigned long)m.exinfo,
			(unsigned long)m.val);
	}
	kprintf("cpuid-dump end\n");
}
