/*
 * Hostile iret frames. Xen returns to a PV guest with a real IRETQ, so a
 * bad frame is answered by the CPU: reserved RFLAGS bits vanish, IOPL and
 * VM are Xen's to mask, and a selector or RIP IRETQ refuses raises the
 * fault IRETQ raises, delivered to our own handler with the frame's values
 * in it. Real Xen is the oracle for every expectation here.
 */
#include <xen/errno.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/qemu_bugs.h"
#include "kernel/tests/hostile.h"
#include "mm/frames.h"
#include "mm/p2m.h"
#include "mm/pagetable.h"
#include "xen/start_info.h"

/* The frame that comes back, changed in one field. */
static struct iret_frame frame_with(unsigned int field, uint64_t v)
{
	struct iret_frame f = iret_good_frame();

	((uint64_t *)&f)[field] = v;
	return f;
}
enum { F_RIP, F_CS, F_RFLAGS, F_RSP, F_SS };

/* iret with one bad field: the fault, its error code, and where it says we were. */
#define KT_ASSERT_IRET_FAULT(field, value, want_vec, want_ec)		\
	do {								\
		struct iret_frame f_ = frame_with(field, value);	\
		struct caught c_;					\
		KT_ASSERT(catch_fault(iret_with, &f_, &c_),		\
			  "iret with %s %#lx: no fault", #field, (unsigned long)(value)); \
		KT_ASSERT(c_.vector == (want_vec) && c_.ec == (want_ec),	\
			  "iret with %s %#lx: vector %u ec %#x, expected %u ec %#x", \
			  #field, (unsigned long)(value), c_.vector, c_.ec, \
			  (unsigned int)(want_vec), (unsigned int)(want_ec)); \
		last = c_;						\
	} while (0)

static struct caught last;

/* Where a good frame lands: RFLAGS as the guest really got them. */
void iret_flags_target(void);
uint64_t iret_flags_seen;
asm(".text\n"
    ".globl iret_flags_target\n"
    "iret_flags_target:\n"
    "  pushf\n"
    "  popq iret_flags_seen(%rip)\n"
    "  ret\n");

KTEST(hostile, iret_reserved_rflags_dropped)
{
	/* Reserved bits, IOPL 3, VM, and two arithmetic flags to see them survive. */
	uint64_t rflags = (1UL << 63) | (1UL << 22) | (1UL << 15) | (1UL << 5) | (1UL << 3) |
			  X86_EFLAGS_IOPL | X86_EFLAGS_VM | X86_EFLAGS_CF | X86_EFLAGS_ZF |
			  X86_EFLAGS_MBS;
	struct iret_frame f = frame_with(F_RFLAGS, rflags);
	struct caught c;

	f.rip = (uint64_t)iret_flags_target;
	KT_ASSERT(!catch_fault(iret_with, &f, &c), "iret faulted: vector %u ec %#x",
		  c.vector, c.ec);
	/* IRETQ drops what does not exist; Xen masks IOPL and VM; IF is always on. */
	KT_ASSERT_EQ(iret_flags_seen, X86_EFLAGS_CF | X86_EFLAGS_ZF | X86_EFLAGS_MBS | X86_EFLAGS_IF,
		     "RFLAGS after iret");
}

KTEST(hostile, iret_noncanonical_rip)
{
	KT_ASSERT_IRET_FAULT(F_RIP, 0x0000800000000000UL, X86_EXC_GP, 0);
	KT_ASSERT_EQ(last.rip, 0x0000800000000000UL, "RIP in the #GP frame");
	KT_ASSERT_EQ(last.cs & 0xffff, FLAT_KERNEL_CS & ~3, "CS in the #GP frame (kernel context)");
}

KTEST(hostile, iret_bad_code_selectors)
{
	KT_ASSERT_IRET_FAULT(F_CS, 0, X86_EXC_GP, 0);			/* null */
	KT_ASSERT_EQ(last.cs & 0xffff, 0, "CS in the frame: the null selector, RPL 0 as a kernel frame");
	KT_ASSERT_IRET_FAULT(F_CS, FLAT_KERNEL_SS & ~3, X86_EXC_GP, FLAT_KERNEL_SS & ~3);	/* data */
	KT_ASSERT_IRET_FAULT(F_CS, 0xf000, X86_EXC_GP, 0xf000);		/* beyond the GDT */
	KT_ASSERT_IRET_FAULT(F_CS, 0xe008, X86_EXC_GP, 0xe008);		/* Xen's ring 0 code */
	KT_ASSERT_IRET_FAULT(F_CS, 0x0014, X86_EXC_GP, 0x0014);		/* an LDT selector, no LDT */
}

KTEST(hostile, iret_bad_stack_selectors)
{
	KT_ASSERT_IRET_FAULT(F_SS, 0, X86_EXC_GP, 0);			/* null: never at CPL 3 */
	KT_ASSERT_EQ(last.ss & 0xffff, 3, "SS in the frame: null with RPL 3");
	KT_ASSERT_IRET_FAULT(F_SS, FLAT_KERNEL_CS & ~3, X86_EXC_GP, FLAT_KERNEL_CS & ~3);	/* code */
	KT_ASSERT_IRET_FAULT(F_SS, 0xe010, X86_EXC_GP, 0xe010);		/* Xen's ring 0 data */
	KT_ASSERT_IRET_FAULT(F_SS, 0xf000, X86_EXC_GP, 0xf000);		/* beyond the GDT */
}

/*
 * IRETQ's #GP(0) for a null SS reaches Xen's #GP handler as the guest's
 * own #GP at the frame's target, and that handler first reads the
 * instruction there to see if it is one to emulate: at an address nothing
 * maps, the guest gets that read's #PF instead (error code 0, in kernel
 * mode), and its CR2.
 */
KTEST(hostile, iret_null_ss_reads_the_target)
{
	struct iret_frame f = frame_with(F_SS, 0);
	struct caught c;

	f.rip = 0x1000;				/* missing in the L4 */
	catch_fault(iret_with, &f, &c);
	KT_ASSERT_CAUGHT(c, X86_EXC_PF, 0, "iret to a null SS and an unmapped RIP");
	KT_ASSERT_EQ(c.rip, 0x1000, "RIP in the #PF frame");
	KT_ASSERT_EQ(shared_info->vcpu_info[0].arch.cr2, 0x1000, "CR2");
	/* Xen made this fault up from the iret frame: its RF is the frame's (clear). */
	KT_ASSERT(!(c.rflags & X86_EFLAGS_RF), "RF set in the #PF frame: %#lx",
		  (unsigned long)c.rflags);
}

/*
 * A GDT of our own (set_gdt): 64-bit code, writable data, then a
 * not-present code and data segment and a read-only data segment. Written
 * without Accessed bits, as a guest may.
 */
#define SEL_CODE	0x0b
#define SEL_DATA	0x13
#define SEL_CODE_NP	0x1b
#define SEL_DATA_NP	0x23
#define SEL_DATA_RO	0x2b

static const uint64_t own_gdt[] = {
	0,
	0x00aff8000000ffffUL,		/* code, 64-bit, DPL 3, present */
	0x00cff2000000ffffUL,		/* data, writable, DPL 3, present */
	0x00af78000000ffffUL,		/* code, not present */
	0x00cf72000000ffffUL,		/* data, not present */
	0x00cff0000000ffffUL,		/* data, read-only */
};

static unsigned long gdt_pfn = FRAME_NONE;

static long own_gdt_install(void)
{
	xen_pfn_t mfn;
	long rc;

	gdt_pfn = frame_alloc();
	if (gdt_pfn == FRAME_NONE)
		return -XEN_ENOMEM;
	memset(pfn_to_virt(gdt_pfn), 0, PAGE_SIZE);
	memcpy(pfn_to_virt(gdt_pfn), own_gdt, sizeof(own_gdt));
	mfn = pfn_to_mfn(gdt_pfn);
	/* A descriptor page may not be mapped writable anywhere. */
	rc = hypercall_update_va_mapping((unsigned long)pfn_to_virt(gdt_pfn),
					 ((uint64_t)mfn << PAGE_SHIFT) | PTE_KERNEL_RO,
					 UVMF_INVLPG | UVMF_LOCAL);
	if (!rc)
		rc = hypercall_set_gdt(&mfn, 512);
	return rc;
}

static void own_gdt_remove(void)
{
	if (gdt_pfn == FRAME_NONE)
		return;
	hypercall_set_gdt(NULL, 0);
	hypercall_update_va_mapping((unsigned long)pfn_to_virt(gdt_pfn),
				    ((uint64_t)pfn_to_mfn(gdt_pfn) << PAGE_SHIFT) | PTE_KERNEL_RW,
				    UVMF_INVLPG | UVMF_LOCAL);
	frame_free(gdt_pfn);
	gdt_pfn = FRAME_NONE;
}

/* Where a frame into our own segments lands: note CS and SS, then go home. */
void iret_seg_target(void);
uint64_t iret_cs_seen, iret_ss_seen;
asm(".text\n"
    ".globl iret_seg_target\n"
    "iret_seg_target:\n"
    "  mov %cs, %rax\n"
    "  mov %rax, iret_cs_seen(%rip)\n"
    "  mov %ss, %rax\n"
    "  mov %rax, iret_ss_seen(%rip)\n"
    "  ret\n");

static void iret_via_own_segments(void *unused)
{
	struct iret_frame there = { .rip = (uint64_t)iret_seg_target, .cs = SEL_CODE & ~3UL,
				    .rflags = X86_EFLAGS_MBS, .ss = SEL_DATA };

	(void)unused;
	iret_with(&there);
	/* Back to the flat selectors for everything that follows. */
	struct iret_frame home = iret_good_frame();

	iret_with(&home);
}

/* One iret with one bad field, caught: for tests that must clean up before asserting. */
static struct caught iret_probe(unsigned int field, uint64_t value)
{
	struct iret_frame f = frame_with(field, value);
	struct caught c;

	catch_fault(iret_with, &f, &c);
	return c;
}

KTEST(hostile, iret_own_gdt_selectors)
{
	struct caught good, cs_np, ss_ro, ss_code;
	long rc = own_gdt_install();

	if (rc) {
		own_gdt_remove();
		KT_FAIL("set_gdt of one frame of our own: %ld", rc);
		return;
	}
	iret_cs_seen = iret_ss_seen = 0;
	catch_fault(iret_via_own_segments, NULL, &good);
	cs_np = iret_probe(F_CS, SEL_CODE_NP & ~3UL);
	ss_ro = iret_probe(F_SS, SEL_DATA_RO);
	ss_code = iret_probe(F_SS, SEL_CODE);
	own_gdt_remove();

	KT_ASSERT(!good.hit, "iret into our own GDT's segments: vector %u ec %#x",
		  good.vector, good.ec);
	KT_ASSERT_EQ(iret_cs_seen, SEL_CODE, "CS after iret into our code segment");
	KT_ASSERT_EQ(iret_ss_seen, SEL_DATA, "SS after iret into our data segment");
	KT_ASSERT_CAUGHT(cs_np, X86_EXC_NP, SEL_CODE_NP & ~3U, "CS not present");
	KT_ASSERT_CAUGHT(ss_ro, X86_EXC_GP, SEL_DATA_RO & ~3U, "SS read-only");
	KT_ASSERT_CAUGHT(ss_code, X86_EXC_GP, SEL_CODE & ~3U, "SS a code segment");
}

static struct caught native_iret_probe(uint64_t ss)
{
	struct iret_frame f = { .cs = FLAT_KERNEL_CS, .rflags = X86_EFLAGS_MBS | X86_EFLAGS_IF,
				.ss = ss };
	struct caught c;

	catch_fault(native_iret_with, &f, &c);
	return c;
}

/*
 * A not-present stack segment: the SDM's IRET says #SS(selector), and
 * parahost, which makes IRETQ's checks in software, answers that. Xen
 * answers whatever its own IRETQ raised, so under Xen the test holds it to
 * this CPU's IRETQ run natively on the same frame: QEMU 7.2's TCG and
 * Bochs 2.7 both raise #NP(selector) there, so neither emulator can show
 * Xen's #SS, and the test says so.
 */
KTEST(hostile, iret_stack_not_present)
{
	struct caught c = { 0 }, native = { 0 }, native_good = { 0 };
	long rc;

	rc = own_gdt_install();
	if (!rc) {
		c = iret_probe(F_SS, SEL_DATA_NP);
		native_good = native_iret_probe(FLAT_KERNEL_SS);
		native = native_iret_probe(SEL_DATA_NP | 3);
	}
	own_gdt_remove();
	KT_ASSERT_EQ(rc, 0, "set_gdt of one frame of our own");
	KT_ASSERT(!native_good.hit, "native IRETQ with a good frame: vector %u ec %#x",
		  native_good.vector, native_good.ec);
	if (hypervisor_is_parahost()) {
		KT_ASSERT_CAUGHT(c, X86_EXC_SS, SEL_DATA_NP & ~3U, "SS not present");
		return;
	}
	KT_ASSERT(native.hit && (native.vector == X86_EXC_SS || native.vector == X86_EXC_NP) &&
		  native.ec == (SEL_DATA_NP & ~3U), "native IRETQ to a not-present SS: %s "
		  "vector %u ec %#x", native.hit ? "got" : "no fault,", native.vector, native.ec);
	if (native.vector != X86_EXC_SS)
		kprintf("# this CPU's IRETQ raises #NP, not the SDM's #SS, for a not-present "
			"SS: Xen's answer is held to the CPU's\n");
	KT_ASSERT_CAUGHT(c, native.vector, native.ec, "SS not present (as the CPU's IRETQ)");
}

/*
 * SEGBASE_GS_USER_SEL loads a selector into GS the way Xen does, with a
 * real MOV to %gs: the CPU sets the descriptor's Accessed bit, and the
 * guest carries on with that selector (a VM entry refuses a usable segment
 * without it). A selector that cannot be loaded leaves GS null.
 */
static uint16_t read_gs(void)
{
	uint16_t v;

	asm volatile("mov %%gs, %0" : "=r"(v));
	return v;
}

KTEST(hostile, gs_user_sel_sets_accessed)
{
	long rc = own_gdt_install(), rc_sel = -1, rc_bad = -1, rc_null = -1;
	uint16_t gs_sel = 0xffff, gs_bad = 0xffff, gs_null = 0xffff;
	uint64_t desc = 0;

	if (!rc) {
		rc_sel = hypercall_set_segment_base(SEGBASE_GS_USER_SEL, SEL_DATA);
		gs_sel = read_gs();
		desc = ((volatile uint64_t *)pfn_to_virt(gdt_pfn))[SEL_DATA >> 3];
		rc_bad = hypercall_set_segment_base(SEGBASE_GS_USER_SEL, SEL_DATA_NP);
		gs_bad = read_gs();
		rc_null = hypercall_set_segment_base(SEGBASE_GS_USER_SEL, 0);
		gs_null = read_gs();
	}
	own_gdt_remove();
	KT_ASSERT_EQ(rc, 0, "set_gdt of one frame of our own");
	KT_ASSERT_EQ(rc_sel, 0, "SEGBASE_GS_USER_SEL with our data segment");
	KT_ASSERT_EQ(gs_sel, SEL_DATA, "GS after loading our data segment");
	KT_ASSERT(desc & (1UL << 40), "the descriptor's Accessed bit is clear: %#lx", desc);
	KT_ASSERT_EQ(rc_bad, 0, "SEGBASE_GS_USER_SEL with a not-present segment");
	KT_ASSERT_EQ(gs_bad, 0, "GS after a selector that cannot be loaded");
	KT_ASSERT_EQ(rc_null, 0, "SEGBASE_GS_USER_SEL 0");
	KT_ASSERT_EQ(gs_null, 0, "GS after the null selector");
}
