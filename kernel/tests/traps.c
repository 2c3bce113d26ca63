/*
 * Faults reflected by the hypervisor through our trap table. Each test
 * makes one instruction fault, resumes through the exception table, and
 * asserts which fault it was: vector, error code and, for #PF, CR2.
 * Real Xen is the oracle for every expectation here.
 */
#include "arch/x86/extable.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/regs.h"
#include "kernel/ktest.h"
#include "kernel/qemu_bugs.h"
#include "kernel/tests/probe.h"
#include "mm/p2m.h"

/* Nothing is mapped below VIRT_BASE at start of day. */
#define UNMAPPED_VA	0x1000ul
#define NON_CANONICAL	0x8000000000000000ul

KTEST(traps, page_fault_read_unmapped)
{
	extable_last_cr2 = 0;
	/* Kernel-mode read of a not-present page: no P, no W, and no U (Xen
	 * clears the user bit for faults from guest kernel mode). */
	KT_ASSERT_FAULT(probe_read(UNMAPPED_VA + 8), X86_EXC_PF, 0);
	KT_ASSERT_EQ(extable_last_cr2, UNMAPPED_VA + 8, "CR2");
}

KTEST(traps, page_fault_write_unmapped)
{
	extable_last_cr2 = 0;
	KT_ASSERT_FAULT(probe_write(UNMAPPED_VA + 0x10, 0x5a), X86_EXC_PF, PFEC_WRITE);
	KT_ASSERT_EQ(extable_last_cr2, UNMAPPED_VA + 0x10, "CR2");
}

static char ro_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

KTEST(traps, page_fault_write_readonly)
{
	unsigned long va = (unsigned long)ro_page;
	uint64_t pte = ((uint64_t)virt_to_mfn(ro_page) << PAGE_SHIFT) |
		_PAGE_PRESENT | _PAGE_ACCESSED;
	uint64_t exinfo;
	long rc;

	/* Make our own page read-only, write to it, then give it back. */
	rc = hypercall_update_va_mapping(va, pte, UVMF_INVLPG | UVMF_LOCAL);
	KT_ASSERT_EQ(rc, 0, "update_va_mapping read-only");
	extable_last_cr2 = 0;
	exinfo = probe_write(va + 0x123, 0x5a);
	rc = hypercall_update_va_mapping(va, pte | _PAGE_RW | _PAGE_DIRTY,
					 UVMF_INVLPG | UVMF_LOCAL);
	KT_ASSERT_FAULT(exinfo, X86_EXC_PF, PFEC_PRESENT | PFEC_WRITE);
	KT_ASSERT_EQ(extable_last_cr2, va + 0x123, "CR2");
	KT_ASSERT_EQ(rc, 0, "update_va_mapping back to writable");
	KT_ASSERT_EQ(probe_write(va, 0x5a), 0, "write once writable again");
}

KTEST(traps, general_protection_noncanonical)
{
	KT_ASSERT_FAULT(probe_read(NON_CANONICAL), X86_EXC_GP, 0);
}

KTEST(traps, invalid_opcode)
{
	uint64_t exinfo = 0;

	asm volatile ("1: ud2; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a" (exinfo));
	KT_ASSERT_FAULT(exinfo, X86_EXC_UD, 0);
}

KTEST(traps, breakpoint)
{
	uint64_t exinfo = 0;

	/* #BP is a trap: it reports the address after int3, hence 2: here. */
	asm volatile ("int3; 2:\n" _ASM_EXTABLE(2b, 2b) : "+a" (exinfo));
	KT_ASSERT_FAULT(exinfo, X86_EXC_BP, 0);
}

/*
 * A PV kernel runs at ring 3 with a virtual IOPL of 0 until it asks for
 * more (PHYSDEVOP_set_iopl), so Xen does not emulate `cli` for it: the
 * #GP is reflected to us.
 */
KTEST(traps, cli_is_refused)
{
	uint64_t exinfo = 0;

	asm volatile ("1: cli; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a" (exinfo));
	KT_ASSERT_FAULT(exinfo, X86_EXC_GP, 0);
}

/*
 * INT n through one of Xen's DPL 0 gates (all but 3, 4 and 0x80) with no
 * trap-table entry of ours for n: the CPU's #GP names the gate, error code
 * (n << 3) | 2 (IDT, not external), and Xen passes it on unchanged.
 */
KTEST(traps, int_n_without_gate)
{
	uint64_t exinfo = 0;

	if (qemu_bug_skip(QEMU_BUG_INT_N_ERRCODE))
		return;
	asm volatile ("1: int $0x20; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a" (exinfo));
	KT_ASSERT_FAULT(exinfo, X86_EXC_GP, (0x20 << 3) | 2);
}

#define SOFTINT_VEC	0x81
#define STR_(x)		#x
#define STR(x)		STR_(x)

/*
 * Our gate for SOFTINT_VEC: Xen's bounce frame holds RCX, R11 and the iret
 * frame (a software interrupt has no error code); count the visit and go
 * back with HYPERVISOR_iret, RCX/R11 as they were.
 */
extern char softint_entry[];
unsigned int softint_hits;
asm (".pushsection .text\n"
     "softint_entry:\n"
     "	pop %rcx\n"
     "	pop %r11\n"
     "	incl softint_hits(%rip)\n"
     "	push $0\n"
     "	jmp hypercall_page + " STR(__HYPERVISOR_iret) " * 32\n"
     ".popsection");

static long set_gate(unsigned int dpl)
{
	struct trap_info gate[] = {
		{ .vector = SOFTINT_VEC, .flags = dpl, .cs = FLAT_KERNEL_CS,
		  .address = (unsigned long)softint_entry },
		{ 0, 0, 0, 0 },
	};

	return hypercall_set_trap_table(gate);
}

/*
 * A trap-table entry's DPL says who may reach it with INT n: DPL 3 lets our
 * kernel in (Xen gives a PV kernel a virtual CPL of 1), and Xen delivers
 * it as a trap, after the instruction; with DPL 0 the same INT n is a #GP
 * naming the gate. The entry stays installed with DPL 0: as if absent.
 */
KTEST(traps, int_n_through_own_gate)
{
	uint64_t exinfo = 0;
	unsigned int before;

	if (qemu_bug_skip(QEMU_BUG_INT_N_ERRCODE))
		return;
	KT_ASSERT_EQ(set_gate(3), 0, "set_trap_table DPL 3 gate");
	before = READ_ONCE(softint_hits);
	asm volatile ("1: int $" STR(SOFTINT_VEC) "; 2:\n" _ASM_EXTABLE(1b, 2b)
		      : "+a" (exinfo) : : "memory");
	KT_ASSERT_EQ(exinfo, 0, "fault (exinfo) from INT through a DPL 3 gate");
	KT_ASSERT_EQ(READ_ONCE(softint_hits) - before, 1, "gate visits");

	KT_ASSERT_EQ(set_gate(0), 0, "set_trap_table DPL 0 gate");
	asm volatile ("1: int $" STR(SOFTINT_VEC) "; 2:\n" _ASM_EXTABLE(1b, 2b)
		      : "+a" (exinfo) : : "memory");
	KT_ASSERT_FAULT(exinfo, X86_EXC_GP, (SOFTINT_VEC << 3) | 2);
	KT_ASSERT_EQ(READ_ONCE(softint_hits) - before, 1, "gate visits after DPL 0");
}
