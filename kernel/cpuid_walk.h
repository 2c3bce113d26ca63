/*
 * Every CPUID leaf and subleaf a PV kernel can ask its hypervisor for, and
 * the MSRs compared with them: what `cpuid-dump` on the guest's command line
 * prints (tools/gen-cpuid-table.py turns a real Xen run's lines into
 * kernel/tests/cpuid_xen_table.h) and what the test cpuid/leaves_match_xen
 * compares that table with (docs/cpuid.md).
 */
#ifndef KERNEL_CPUID_WALK_H
#define KERNEL_CPUID_WALK_H

#include <stdint.h>

struct cpuid_entry {
	uint32_t leaf, sub;
	uint32_t r[4];			/* EAX, EBX, ECX, EDX */
};

struct msr_entry {
	uint32_t msr;
	uint64_t exinfo;		/* the RDMSR's fault (arch/x86/extable.h), or 0 */
	uint64_t val;			/* the value read (0 after a fault) */
};

/* One CPU's view under real Xen, as the generated table holds it. */
struct xen_cpu_view {
	const char *platform;		/* the Xen run it came from (xen-domu, xen-bochs) */
	char vendor[13];
	uint32_t sig;			/* leaf 1 EAX: family, model, stepping */
	unsigned int nr_leaves, nr_msrs;
	const struct cpuid_entry *leaves;
	const struct msr_entry *msrs;
};

/* The hypervisor's CPUID (Xen's forced-emulation prefix). */
void cpuid_xen_count(uint32_t leaf, uint32_t sub, uint32_t r[4]);

/* Calls fn on every leaf/subleaf of the hypervisor's policy, in order. */
void cpuid_walk(void (*fn)(const struct cpuid_entry *e, void *arg), void *arg);

/* The MSRs the table records (HWCR, ARCH_CAPS, ...). */
extern const uint32_t walk_msrs[];
extern const unsigned int nr_walk_msrs;
struct msr_entry msr_probe(uint32_t msr);

/* The "cpuid-dump" command-line word: print them all, for the table. */
void cpuid_dump(void);

#endif
