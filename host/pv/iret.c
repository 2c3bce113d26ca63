/*
 * HYPERVISOR_iret (Xen: pv/iret.c): pop struct iret_context from the guest
 * stack and return to it. Xen finishes with a real IRETQ, so the CPU makes
 * the checks and a bad frame faults inside Xen, which then delivers that
 * fault as the guest's own exception at the frame's target (the
 * pre-exception table of its return path). parahost loads the new state
 * into the VMCB/VMCS instead, so it makes IRETQ's checks itself, for a
 * return from CPL 0 to CPL 3 in long mode (Intel SDM vol. 2, IRET), and
 * answers a bad frame the same way: the fault, with the frame already in
 * the registers.
 */
#include "host/pv/pv.h"

#define AR_CODE		0x8
#define AR_WRITABLE	0x2
#define AR_CONFORMING	0x4
#define AR_S		0x10
#define AR_DPL(a)	(((a) >> 5) & 3)
#define AR_P		0x80
#define AR_L		0x2000
#define AR_DB		0x4000

struct fault {
	unsigned int vector;
	uint32_t ec;
};

static bool fault(struct fault *f, unsigned int vector, uint16_t sel)
{
	f->vector = vector;
	f->ec = sel & 0xfffc;		/* a selector error code: index and TI */
	return false;
}

/* The new CS: RPL 3 (Xen forces it), so the descriptor's DPL must be 3. */
static bool load_cs(uint16_t sel, struct vseg *cs, struct fault *f)
{
	if (!(sel & ~3))
		return fault(f, X86_EXC_GP, 0);
	if (!load_segment_descriptor(sel, cs))
		return fault(f, X86_EXC_GP, sel);
	if (!(cs->attr & AR_S) || !(cs->attr & AR_CODE))
		return fault(f, X86_EXC_GP, sel);
	if ((cs->attr & AR_CONFORMING) ? AR_DPL(cs->attr) > 3 : AR_DPL(cs->attr) != 3)
		return fault(f, X86_EXC_GP, sel);
	if (!(cs->attr & AR_P))
		return fault(f, X86_EXC_NP, sel);
	if ((cs->attr & AR_L) && (cs->attr & AR_DB))
		return fault(f, X86_EXC_GP, sel);	/* a reserved combination */
	return true;
}

/* The new SS, returning to CPL 3: never null there, a writable DPL 3 data segment. */
static bool load_ss(uint16_t sel, struct vseg *ss, struct fault *f)
{
	if (!(sel & ~3))
		return fault(f, X86_EXC_GP, 0);
	if (!load_segment_descriptor(sel, ss))
		return fault(f, X86_EXC_GP, sel);
	if (!(ss->attr & AR_S) || (ss->attr & AR_CODE) || !(ss->attr & AR_WRITABLE) ||
	    AR_DPL(ss->attr) != 3)
		return fault(f, X86_EXC_GP, sel);
	if (!(ss->attr & AR_P))
		return fault(f, X86_EXC_SS, sel);
	return true;
}

static bool rip_ok(uint64_t rip, const struct vseg *cs, struct fault *f)
{
	bool ok = (cs->attr & AR_L) ? (uint64_t)((int64_t)(rip << 16) >> 16) == rip
				    : rip <= cs->limit;

	return ok ? true : fault(f, X86_EXC_GP, 0);
}

long do_iret(void)
{
	struct vcpu_state *s = dom.st;
	struct iret_context c;
	struct vseg cs, ss;
	struct fault f;

	if (copy_from_guest(&c, GREG(RSP), sizeof(c)))
		domain_crash("fault while reading the IRET context from the guest stack at %#lx",
			     GREG(RSP));
	/* Returning to user mode? (Xen looks at the frame's RPL before forcing 3.) */
	if ((c.cs & 3) == 3) {
		if (!dom.mmv.guest_table_user)
			domain_crash("guest switching to user mode with no user page tables");
		if (dom.kernel_mode)
			toggle_guest_mode();
	}
	if (dom.vm_assist & (1UL << VMASST_TYPE_architectural_iopl))
		dom.iopl = c.rflags & X86_EFLAGS_IOPL;

	/* Xen: IOPL and VM never reach the guest; IF is always on. Reserved bits the CPU drops. */
	s->rip = c.rip;
	s->rflags = (c.rflags & X86_EFLAGS_ARCH & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) |
		    X86_EFLAGS_IF | X86_EFLAGS_MBS;
	GREG(RSP) = c.rsp;
	s->seg[SEG_CS].sel = (uint16_t)(c.cs | 3);	/* force guest privilege */
	s->seg[SEG_SS].sel = (uint16_t)(c.ss | 3);
	if (!(c.flags & VGCF_in_syscall)) {
		GREG(R11) = c.r11;
		GREG(RCX) = c.rcx;
	} else {
		GREG(RCX) = s->rip;
		GREG(R11) = s->rflags;
	}
	/* Restore the upcall mask from the supplied EFLAGS.IF. */
	vcpu_info0()->evtchn_upcall_mask = !(c.rflags & X86_EFLAGS_IF);

	if (load_cs(s->seg[SEG_CS].sel, &cs, &f) && load_ss(s->seg[SEG_SS].sel, &ss, &f) &&
	    rip_ok(s->rip, &cs, &f)) {
		segment_loaded(&cs);
		segment_loaded(&ss);
		s->seg[SEG_CS] = cs;
		s->seg[SEG_SS] = ss;
	} else {
		/* IRETQ faulted: the guest's own exception, at the frame's target. */
		pv_inject_exception(f.vector, true, f.ec);
	}
	/* Xen writes the saved RAX back before its IRETQ. */
	return (long)c.rax;
}
