/*
 * The CPU state a PV kernel finds under Xen 4.17 and can read without
 * help: descriptor tables (Xen's GDT with our part below its reserved
 * entries, Xen's IDT and TSS), segment selectors, RFLAGS, and what LSL/LAR
 * say about Xen's flat selectors. Bases are Xen's addresses, so they are
 * checked to lie in Xen's range, never against a number.
 */
#include <xen/xen.h>

#include "arch/x86/extable.h"
#include "kernel/ktest.h"

#define XEN_TSS_SEL	0xe040		/* TSS_ENTRY 0x1008 << 3 */
#define GDT_LIMIT	0xefff		/* 14 pages of guest entries, and Xen's page */
#define IDT_LIMIT	0xfff		/* 256 16-byte gates */
/* LAR: the bits architecturally defined (16-19 are undefined: they differ
 * between QEMU and Bochs). */
#define LAR_DEFINED	0x00f0ff00u

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static bool in_xen_range(uint64_t va)
{
	return va >= HYPERVISOR_VIRT_START && va < HYPERVISOR_VIRT_END;
}

KTEST(cpu, descriptor_tables)
{
	struct desc_ptr gdt, idt;
	uint16_t tr, ldtr;

	asm volatile ("sgdt %0" : "=m" (gdt));
	asm volatile ("sidt %0" : "=m" (idt));
	asm volatile ("str %0" : "=r" (tr));
	asm volatile ("sldt %0" : "=r" (ldtr));
	KT_ASSERT_EQ(gdt.limit, GDT_LIMIT, "GDT limit");
	KT_ASSERT(in_xen_range(gdt.base) && !(gdt.base & 0xfff), "GDT at %#lx", gdt.base);
	KT_ASSERT_EQ(idt.limit, IDT_LIMIT, "IDT limit");
	KT_ASSERT(in_xen_range(idt.base), "IDT at %#lx", idt.base);
	KT_ASSERT_EQ(tr, XEN_TSS_SEL, "TR (Xen's TSS)");
	KT_ASSERT_EQ(ldtr, 0, "LDTR (no LDT)");
}

KTEST(cpu, smsw)
{
	uint64_t ex = 0, msw = 0;

	/* Legal at CPL 3: the real CR0's low bits, PE MP ET NE as Xen runs;
	 * TS is the FPU state of the moment. */
	asm volatile ("1: smsw %k1; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (ex), "+r" (msw));
	KT_ASSERT_EQ(ex, 0, "SMSW faulted");
	KT_ASSERT_EQ(msw & 0xfff7, 0x33, "machine status word");
}

KTEST(cpu, selectors_and_flags)
{
	uint16_t cs, ss, ds, es, fs, gs;
	uint64_t rflags;

	asm volatile ("mov %%cs, %0; mov %%ss, %1; mov %%ds, %2; mov %%es, %3; mov %%fs, %4; "
		      "mov %%gs, %5" : "=r" (cs), "=r" (ss), "=r" (ds), "=r" (es), "=r" (fs), "=r" (gs));
	asm volatile ("pushf; pop %0" : "=r" (rflags));
	KT_ASSERT_EQ(cs, FLAT_KERNEL_CS, "CS");
	KT_ASSERT_EQ(ss, FLAT_KERNEL_SS, "SS");
	KT_ASSERT(ds == 0 && es == 0 && fs == 0 && gs == 0, "data selectors %#x %#x %#x %#x",
		  ds, es, fs, gs);
	/* Real IF is always on under Xen; IOPL 0; the always-one bit. */
	KT_ASSERT_EQ(rflags & 0x3202, 0x202, "RFLAGS IF/IOPL/bit 1");
}

static bool lsl(uint16_t sel, uint32_t *limit)
{
	uint64_t lim = 0;
	uint8_t ok;

	asm volatile ("lsl %2, %0; setz %1" : "+r" (lim), "=q" (ok) : "r" ((uint64_t)sel));
	*limit = (uint32_t)lim;
	return ok;
}

static bool lar(uint16_t sel, uint32_t *ar)
{
	uint64_t v = 0;
	uint8_t ok;

	asm volatile ("lar %2, %0; setz %1" : "+r" (v), "=q" (ok) : "r" ((uint64_t)sel));
	*ar = (uint32_t)v;
	return ok;
}

KTEST(cpu, flat_selectors)
{
	static const struct { uint16_t sel; uint32_t ar; } flat[] = {
		{ FLAT_RING3_CS32, 0x00c0fb00 },	/* 32-bit code, DPL 3, accessed */
		{ FLAT_RING3_DS32, 0x00c0f300 },	/* data, DPL 3, accessed */
		{ FLAT_RING3_CS64, 0x00a0fb00 },	/* 64-bit code, DPL 3, accessed */
	};
	uint32_t limit, ar;

	for (unsigned int i = 0; i < ARRAY_SIZE(flat); i++) {
		KT_ASSERT(lsl(flat[i].sel, &limit), "LSL %#x refused", flat[i].sel);
		KT_ASSERT_EQ(limit, 0xffffffff, "flat limit");
		KT_ASSERT(lar(flat[i].sel, &ar), "LAR %#x refused", flat[i].sel);
		KT_ASSERT_EQ(ar & LAR_DEFINED, flat[i].ar, "access rights");
	}
}

KTEST(cpu, xen_selectors_hidden)
{
	/* Xen's ring-0 code/data, its TSS and LDT slots, our empty GDT. */
	static const uint16_t hidden[] = {
		0xe008, 0xe010, 0xe018, 0xe038, 0xe040, 0xe050, 0xe060, 0x0008, 0xefff,
	};
	uint32_t v;

	for (unsigned int i = 0; i < ARRAY_SIZE(hidden); i++) {
		KT_ASSERT(!lsl(hidden[i], &v), "LSL %#x accepted (limit %#x)", hidden[i], v);
		KT_ASSERT(!lar(hidden[i], &v), "LAR %#x accepted (%#x)", hidden[i], v);
	}
}
