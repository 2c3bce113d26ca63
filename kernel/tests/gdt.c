/*
 * Our own GDT: set_gdt and update_descriptor as Xen 4.17 checks them. A
 * GDT frame must not be writable by us (it becomes a descriptor page);
 * Xen's check_descriptor raises code and data DPLs to 3 (our kernel runs
 * at ring 3) rather than refusing them, and keeps its own entries out of
 * reach: 14 pages at most are ours.
 */
#include <xen/errno.h>

#include "arch/x86/extable.h"
#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "mm/frames.h"
#include "mm/p2m.h"
#include "mm/pagetable.h"

#define DATA_DPL3_BASE_1000	0x00cff3001000fffful	/* 4 GiB data, DPL 3, base 0x1000 */
#define DATA_DPL3_BASE_2000	0x00cff3002000fffful
#define DATA_DPL0_BASE_2000	0x00cf93002000fffful
#define CODE64_DPL3		0x00affa000000fffful	/* 64-bit code, readable, DPL 3 */
#define CODE64_DPL0		0x00af9a000000fffful
#define DESC_ACCESSED		(1ul << 40)
#define MSR_FS_BASE		0xc0000100

static long set_gdt(xen_pfn_t *frames, unsigned int entries)
{
	return hypercall_raw(__HYPERVISOR_set_gdt, (unsigned long)frames, entries);
}

static long update_descriptor(uint64_t maddr, uint64_t desc)
{
	return hypercall_raw(__HYPERVISOR_update_descriptor, maddr, desc);
}

/* A zeroed frame holding the given descriptors at 1, 2, ... */
static unsigned long gdt_frame(const uint64_t *desc, unsigned int n)
{
	unsigned long pfn = frame_alloc();
	uint64_t *g;

	if (pfn == FRAME_NONE)
		return pfn;
	g = pfn_to_virt(pfn);
	memset(g, 0, PAGE_SIZE);
	for (unsigned int i = 0; i < n; i++)
		g[i + 1] = desc[i];
	return pfn;
}

static int make_readonly(unsigned long pfn, bool ro)
{
	return protect_range((unsigned long)pfn_to_virt(pfn), 1, ro ? 0 : _PAGE_RW, ro ? _PAGE_RW : 0);
}

static bool lsl_ok(uint16_t sel, uint32_t *limit)
{
	uint64_t lim = 0;
	uint8_t ok;

	asm volatile ("lsl %2, %0; setz %1" : "+r" (lim), "=q" (ok) : "r" ((uint64_t)sel));
	*limit = (uint32_t)lim;
	return ok;
}

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile ("rdmsr" : "=a" (lo), "=d" (hi) : "c" (msr));
	return (uint64_t)hi << 32 | lo;
}

KTEST(gdt, set_gdt_and_use_it)
{
	static const uint64_t desc[] = { DATA_DPL3_BASE_1000, CODE64_DPL3 };
	unsigned long pfn = gdt_frame(desc, ARRAY_SIZE(desc));
	xen_pfn_t mfn = pfn_to_mfn(pfn);
	volatile uint64_t *g = pfn_to_virt(pfn);
	uint64_t fs_base = rdmsr(MSR_FS_BASE), ex_fs = 0, ex_ds = 0, loaded_base;
	long writable, rc;
	uint32_t limit;
	bool seen;

	KT_ASSERT(pfn != FRAME_NONE, "setup");
	writable = set_gdt(&mfn, 512);
	KT_ASSERT_EQ(make_readonly(pfn, true), 0, "protect");
	rc = set_gdt(&mfn, 512);
	seen = lsl_ok(0x0b, &limit);
	/* Loading FS from a descriptor takes its base; DS may hold readable code. */
	asm volatile ("1: mov %1, %%fs; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (ex_fs) : "r" (0x0b));
	loaded_base = rdmsr(MSR_FS_BASE);
	asm volatile ("mov %0, %%fs" :: "r" (0));
	_hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_FS, fs_base);
	asm volatile ("1: mov %1, %%ds; 2:" _ASM_EXTABLE(1b, 2b) : "+a" (ex_ds) : "r" (0x13));
	asm volatile ("mov %0, %%ds" :: "r" (0));

	KT_ASSERT_EQ(writable, -XEN_EINVAL, "set_gdt on a frame we map writable");
	KT_ASSERT_EQ(rc, 0, "set_gdt");
	KT_ASSERT(seen && limit == 0xffffffff, "LSL 0x0b: %s, limit %#x", seen ? "ok" : "refused", limit);
	KT_ASSERT_EQ(ex_fs, 0, "mov 0x0b to FS");
	KT_ASSERT_EQ(loaded_base, 0x1000, "FS base from the descriptor");
	KT_ASSERT_EQ(ex_ds, 0, "mov 0x13 (readable code) to DS");
	KT_ASSERT(g[2] & DESC_ACCESSED, "the CPU did not mark entry 2 accessed (%#lx)", g[2]);

	/* update_descriptor takes the entry's machine address, 8-aligned. */
	KT_ASSERT_EQ(update_descriptor(((uint64_t)mfn << PAGE_SHIFT) + 24, DATA_DPL3_BASE_2000), 0,
		     "update_descriptor(entry 3)");
	KT_ASSERT_EQ(g[3], DATA_DPL3_BASE_2000, "entry 3");
	KT_ASSERT_EQ(update_descriptor(((uint64_t)mfn << PAGE_SHIFT) + 24, DATA_DPL0_BASE_2000), 0,
		     "update_descriptor(DPL 0 data)");
	KT_ASSERT_EQ(g[3], DATA_DPL3_BASE_2000, "DPL 0 data raised to DPL 3");
	KT_ASSERT_EQ(update_descriptor(((uint64_t)mfn << PAGE_SHIFT) + 25, 0), -XEN_EINVAL,
		     "update_descriptor at a misaligned address");

	KT_ASSERT_EQ(set_gdt(&mfn, 0), 0, "set_gdt(0 entries)");
	KT_ASSERT(!lsl_ok(0x0b, &limit), "LSL 0x0b still accepted with no GDT");
	KT_ASSERT_EQ(make_readonly(pfn, false), 0, "unprotect");
	frame_free(pfn);
}

KTEST(gdt, dpl0_code_raised)
{
	static const uint64_t desc[] = { CODE64_DPL0 };
	unsigned long pfn = gdt_frame(desc, ARRAY_SIZE(desc));
	xen_pfn_t mfn = pfn_to_mfn(pfn);
	volatile uint64_t *g = pfn_to_virt(pfn);
	long rc;
	uint64_t entry;

	KT_ASSERT(pfn != FRAME_NONE, "setup");
	KT_ASSERT_EQ(make_readonly(pfn, true), 0, "protect");
	rc = set_gdt(&mfn, 512);
	entry = g[1];
	set_gdt(&mfn, 0);
	make_readonly(pfn, false);
	frame_free(pfn);
	KT_ASSERT_EQ(rc, 0, "set_gdt with a DPL 0 code segment");
	KT_ASSERT_EQ(entry, CODE64_DPL3, "the entry, fixed up to DPL 3");
}

KTEST(gdt, too_many_entries)
{
	unsigned long pfn = gdt_frame(NULL, 0);
	xen_pfn_t mfn = pfn_to_mfn(pfn);
	long rc;

	KT_ASSERT(pfn != FRAME_NONE, "setup");
	KT_ASSERT_EQ(make_readonly(pfn, true), 0, "protect");
	/* Page 15 is Xen's own: 14 pages of entries is the most. */
	rc = set_gdt(&mfn, 15 * 512);
	make_readonly(pfn, false);
	frame_free(pfn);
	KT_ASSERT_EQ(rc, -XEN_EINVAL, "set_gdt with 15 pages of entries");
}
