/*
 * Bounce frames: how Xen's create_bounce_frame hands the guest an
 * exception, an event upcall or the failsafe callback, and the user/kernel
 * switch (toggle_guest_mode) that comes with it. Xen's frame, on the guest
 * kernel stack (kernel_sp from user mode), 16-byte aligned, high to low:
 *
 *   ss, rsp, rflags, cs (saved upcall mask in bits 32-39), rip,
 *   [error code], [ds, es, fs, gs for the failsafe callback], r11, rcx
 */
#include "host/pv/pv.h"

static const char *const vector_names[32] = {
	"DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "CSO", "TS",
	"NP", "SS", "GP", "PF", "SPV", "MF", "AC", "MC", "XM", "VE", "CP",
};

/* Xen's swapgs + toggle_guest_pt: kernel <-> user context. */
void toggle_guest_mode(void)
{
	struct vcpu_state *s = dom.st;
	uint64_t gs = s->seg[SEG_GS].base;

	s->seg[SEG_GS].base = s->kernel_gs_base;
	s->kernel_gs_base = gs;
	dom.kernel_mode = !dom.kernel_mode;
	update_cr3();
}

/*
 * create_bounce_frame: returns false (after crashing the domain) if the
 * frame cannot be written. interrupt: set the upcall mask (TBF_INTERRUPT).
 */
bool create_bounce_frame(uint64_t eip, bool interrupt, bool has_ec, uint32_t ec,
			 bool failsafe)
{
	struct vcpu_state *s = dom.st;
	struct vcpu_info *vi = vcpu_info0();
	uint64_t frame[5 + 1 + 4 + 2];
	uint64_t cs = s->seg[SEG_CS].sel, rsp, new_rsp, rflags;
	uint8_t saved_mask;
	unsigned int n = 0;

	if (!dom.kernel_mode) {
		/* Push the new frame at the registered guest-OS stack base. */
		toggle_guest_mode();
		rsp = dom.kernel_sp;
	} else {
		/* Already in kernel context: at the current RSP, CS RPL 0. */
		rsp = GREG(RSP);
		cs &= ~3UL;
	}
	rsp &= ~0xfUL;
	if (rsp > HYPERVISOR_VIRT_START && rsp < HYPERVISOR_VIRT_END + 64)
		domain_crash("bounce frame: kernel stack %#lx inside Xen's area",
			     (unsigned long)rsp);

	saved_mask = vi->evtchn_upcall_mask;
	if (interrupt)
		vi->evtchn_upcall_mask = 1;
	rflags = s->rflags & ~(X86_EFLAGS_IF | X86_EFLAGS_IOPL);
	if (!saved_mask)
		rflags |= X86_EFLAGS_IF;
	if (dom.vm_assist & (1UL << VMASST_TYPE_architectural_iopl))
		rflags |= dom.iopl;

	/* Build from the lowest address up. */
	frame[n++] = GREG(RCX);
	frame[n++] = GREG(R11);
	if (failsafe) {
		frame[n++] = s->seg[SEG_DS].sel;
		frame[n++] = s->seg[SEG_ES].sel;
		frame[n++] = s->seg[SEG_FS].sel;
		frame[n++] = s->seg[SEG_GS].sel;
	}
	if (has_ec)
		frame[n++] = ec;
	frame[n++] = s->rip;
	frame[n++] = cs | ((uint64_t)saved_mask << 32);
	frame[n++] = rflags;
	frame[n++] = GREG(RSP);
	frame[n++] = s->seg[SEG_SS].sel;

	new_rsp = rsp - n * 8;
	if (copy_to_guest(new_rsp, frame, n * 8))
		domain_crash("bounce frame: cannot write the frame at %#lx",
			     (unsigned long)new_rsp);
	if (!eip)
		domain_crash("bounce frame: no callback registered");

	dom.nr_bounces++;
	/* IA32 Ref. Vol. 3: TF, VM, RF and NT are cleared on trap; AC too. */
	s->rflags &= ~(X86_EFLAGS_AC | X86_EFLAGS_VM | X86_EFLAGS_RF |
		       X86_EFLAGS_NT | X86_EFLAGS_TF);
	s->rflags |= X86_EFLAGS_IF | X86_EFLAGS_MBS;
	s->seg[SEG_SS].sel = FLAT_KERNEL_SS;
	s->seg[SEG_SS].attr = 0xc0f3;
	s->seg[SEG_SS].base = 0;
	s->seg[SEG_SS].limit = 0xffffffff;
	s->seg[SEG_CS].sel = FLAT_KERNEL_CS;
	s->seg[SEG_CS].attr = 0xa0fb;
	s->seg[SEG_CS].base = 0;
	s->seg[SEG_CS].limit = 0xffffffff;
	GREG(RSP) = new_rsp;
	s->rip = eip;
	/* Xen returns to the handler with SYSRET: RCX = RIP, R11 = RFLAGS. */
	GREG(RCX) = eip;
	GREG(R11) = s->rflags;
	return true;
}

static void unhandled(unsigned int vector, bool has_ec, uint32_t ec)
{
	printk("d%uv0 Unhandled %s fault/trap [#%u, ec=%04x]", dom.domid,
	       vector < 32 && vector_names[vector] ? vector_names[vector] : "?",
	       vector, has_ec ? ec : 0);
	domain_crash("no handler for vector %u in the trap table", vector);
}

void pv_inject_exception(unsigned int vector, bool has_ec, uint32_t ec)
{
	const struct trap_info *ti = &dom.traps[vector & 0xff];

	if (!ti->address)
		unhandled(vector, has_ec, ec);
	create_bounce_frame(ti->address, TI_GET_IF(ti), has_ec, ec, false);
}

/*
 * A fault the guest's instruction raised (or, on Xen, would have raised
 * before Xen looked at it): the CPU pushes RFLAGS with RF set for a
 * fault-class exception, and Xen's bounce frame carries that image on.
 * Exceptions Xen makes up from a trap or a hypercall (a SYSCALL without a
 * callback, INT $0x80 without an entry, a return to a non-canonical RIP)
 * go through pv_inject_exception and keep RF clear.
 */
void pv_reflect_fault(unsigned int vector, bool has_ec, uint32_t ec)
{
	dom.st->rflags |= X86_EFLAGS_RF;	/* in the frame; the handler runs with it clear */
	pv_inject_exception(vector, has_ec, ec);
}

/* The guest reads CR2 from vcpu_info; the user bit says guest user mode. */
static uint32_t page_fault_prepare(uint64_t cr2, uint32_t ec)
{
	vcpu_info0()->arch.cr2 = cr2;
	dom.st->cr2 = cr2;
	ec &= ~PFEC_USER;
	if (!dom.kernel_mode)
		ec |= PFEC_USER;
	if (!dom.traps[X86_EXC_PF].address)
		printk("d%uv0 #PF at %#lx, ec %#x", dom.domid, (unsigned long)cr2, ec);
	return ec;
}

void pv_inject_page_fault(uint64_t cr2, uint32_t ec)
{
	pv_reflect_fault(X86_EXC_PF, true, page_fault_prepare(cr2, ec));
}

void pv_inject_page_fault_trap(uint64_t cr2, uint32_t ec)
{
	pv_inject_exception(X86_EXC_PF, true, page_fault_prepare(cr2, ec));
}

void pv_inject_gp(uint32_t ec)
{
	pv_reflect_fault(X86_EXC_GP, true, ec);
}

void pv_inject_ud(void)
{
	pv_reflect_fault(X86_EXC_UD, false, 0);
}

/* Event upcall, as Xen's test_guest_events on every return to the guest. */
void deliver_pending_events(void)
{
	struct vcpu_info *vi = vcpu_info0();

	if (vi->evtchn_upcall_mask || !vi->evtchn_upcall_pending)
		return;
	/* As Xen: a zero callback makes create_bounce_frame crash the domain. */
	create_bounce_frame(dom.event_callback, true, false, 0, false);
}

/*
 * An instruction emulated on the guest's behalf is done: step over it and
 * raise the #DB the CPU would raise after it: a single step if the guest
 * was single-stepping (Xen's emulator: retire.singlestep), and a data
 * breakpoint that a MOV SS before it deferred to this point (B0-B3 still
 * pending when the instruction exited).
 */
void pv_retire_insn(unsigned int len)
{
	uint64_t bits = (dom.st->pending_dbg & 0xf) |
			((dom.st->rflags & X86_EFLAGS_TF) ? DR6_BS : 0);

	dom.st->rip += len;
	dom.st->pending_dbg = 0;
	dom.st->rflags &= ~X86_EFLAGS_RF;	/* the instruction completed */
	if (bits) {
		pv_dr6 |= bits;
		pv_inject_exception(X86_EXC_DB, false, 0);
	}
}
