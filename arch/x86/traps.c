/*
 * Exceptions. Xen reflects every fault of ours to the handler named in our
 * trap table; the handler either resumes at an exception-table fixup (a
 * test expected the fault) or reports a fatal trap.
 */
#include <stddef.h>
#include <xen/xen.h>

#include "arch/x86/extable.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/regs.h"
#include "kernel/kernel.h"
#include "mm/directmap.h"
#include "xen/start_info.h"

#define EXCEPTION_ENTRIES(X)						\
	X(0) X(1) X(3) X(4) X(5) X(6) X(7) X(9) X(10) X(11) X(12)	\
	X(13) X(14) X(16) X(17) X(18) X(19)

#define DECLARE(v) extern char exception_##v[];
EXCEPTION_ENTRIES(DECLARE)
#undef DECLARE

extern char hypervisor_callback[], failsafe_callback[];

/*
 * DPL 3 for #BP and #OF: int3/into are meant to be usable from any ring.
 * Flags bit 2 clear: trap-gate semantics, events are not masked on entry
 * (they stay masked anyway while we have no event handlers).
 */
#define TRAP(v) { .vector = v, .flags = (v == 3 || v == 4) ? 3 : 0, \
		  .cs = FLAT_KERNEL_CS, .address = (unsigned long)exception_##v },
static struct trap_info trap_table[] = {
	EXCEPTION_ENTRIES(TRAP)
	{ 0, 0, 0, 0 }		/* terminator: address 0 */
};
#undef TRAP

static const char *const exception_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

const char *exception_name(unsigned long vector)
{
	return vector < 32 && exception_names[vector] ? exception_names[vector] : "?";
}

void traps_init(void)
{
	long rc = hypercall_set_trap_table(trap_table);

	if (rc)
		panic("set_trap_table failed: %ld", rc);
	rc = hypercall_set_callbacks((unsigned long)hypervisor_callback,
				     (unsigned long)failsafe_callback, 0);
	if (rc)
		panic("set_callbacks failed: %ld", rc);
}

/*
 * For tests that install entries of their own. A trap_info with address 0
 * ends the list, so an entry cannot be removed one at a time: a NULL table
 * clears them all, then ours go back.
 */
void traps_reset(void)
{
	if (hypercall_set_trap_table(NULL))
		panic("set_trap_table(NULL) failed");
	traps_init();
}

void dump_regs(const struct cpu_regs *r)
{
	kprintf("RIP: %04lx:%016lx  RFLAGS: %016lx  upcall mask (saved): %lu\n",
		r->cs & 0xffff, r->rip, r->rflags, (r->cs >> 32) & 0xff);
	kprintf("RSP: %04lx:%016lx\n", r->ss & 0xffff, r->rsp);
	kprintf("RAX: %016lx RBX: %016lx RCX: %016lx\n", r->rax, r->rbx, r->rcx);
	kprintf("RDX: %016lx RSI: %016lx RDI: %016lx\n", r->rdx, r->rsi, r->rdi);
	kprintf("RBP: %016lx R8:  %016lx R9:  %016lx\n", r->rbp, r->r8, r->r9);
	kprintf("R10: %016lx R11: %016lx R12: %016lx\n", r->r10, r->r11, r->r12);
	kprintf("R13: %016lx R14: %016lx R15: %016lx\n", r->r13, r->r14, r->r15);
}

bool (*trap_hook)(struct cpu_regs *regs, uint64_t cr2);

void do_exception(struct cpu_regs *regs)
{
	/* Read CR2 first: a nested fault would overwrite it. */
	uint64_t cr2 = regs->vector == X86_EXC_PF ?
		READ_ONCE(shared_info->vcpu_info[0].arch.cr2) : 0;

	/* A direct-map page nobody had used yet: map it and go on. */
	if (regs->vector == X86_EXC_PF && !(regs->error_code & PFEC_PRESENT) &&
	    directmap_fault(cr2))
		return;
	if (trap_hook && trap_hook(regs, cr2))
		return;
	if (extable_fixup(regs, cr2))
		return;

	kprintf("\nFATAL TRAP: vector %lu (%s), error code %#lx", regs->vector,
		exception_name(regs->vector), regs->error_code);
	if (regs->vector == X86_EXC_PF)
		kprintf(", CR2 %#lx", cr2);
	kprintf("\n");
	dump_regs(regs);
	crash();
}

void do_failsafe(const uint64_t *frame)
{
	kprintf("\nFATAL: failsafe callback: Xen could not restore our segments\n"
		"DS %#lx ES %#lx FS %#lx GS %#lx RIP %#lx CS %#lx\n",
		frame[0], frame[1], frame[2], frame[3], frame[4], frame[5]);
	crash();
}
