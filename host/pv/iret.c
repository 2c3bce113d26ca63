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

static bool canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

static bool rip_ok(uint64_t rip, const struct vseg *cs, struct fault *f)
{
	bool ok = (cs->attr & AR_L) ? canonical(rip) : rip <= cs->limit;

	return ok ? true : fault(f, X86_EXC_GP, 0);
}

/*
 * VGCF_in_syscall: Xen leaves the hypercall's TRAP_syscall set and leaves
 * by SYSRET (entry.S restore_all_guest), so the frame's CS and SS are never
 * looked at: the CPU loads the flat ring-3 segments from MSR_STAR, 32-bit
 * if the frame named FLAT_USER_CS32 (SYSRETL: RIP is ECX), else 64-bit.
 * RCX and R11 are the new RIP and RFLAGS, and RFLAGS comes from R11 as
 * SYSRET takes it (RF, VM and the reserved bits cleared). A TF that SYSRET
 * sets traps before the first instruction at the target runs (unlike
 * IRETQ's, which traps after it): Xen's guest sees that #DB at the target.
 */
static void sysret(struct vcpu_state *s, const struct iret_context *c, uint64_t r11)
{
	bool compat = (uint16_t)(c->cs | 3) == FLAT_USER_CS32;
	struct vseg cs, ss;

	GREG(RCX) = c->rip;
	GREG(R11) = r11;
	s->rip = compat ? (uint32_t)c->rip : c->rip;
	s->rflags = (r11 & SYSRET_RFLAGS_KEPT) | X86_EFLAGS_MBS;
	if (!load_segment_descriptor(compat ? FLAT_RING3_CS32 : FLAT_RING3_CS64, &cs) ||
	    !load_segment_descriptor(FLAT_RING3_SS64, &ss))
		panic("Xen's flat ring-3 descriptors are missing from the GDT");
	segment_loaded(&cs);
	segment_loaded(&ss);
	s->seg[SEG_CS] = cs;
	s->seg[SEG_SS] = ss;
	if (s->rflags & X86_EFLAGS_TF) {
		pv_dr6 |= DR6_BS;
		pv_inject_exception(X86_EXC_DB, false, 0);
	}
}

long do_iret(void)
{
	struct vcpu_state *s = dom.st;
	struct iret_context c;
	struct vseg cs, ss;
	struct fault f;
	uint64_t rflags, fault_va;
	bool cs_ok;

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
	/* Restore the upcall mask from the supplied EFLAGS.IF. */
	vcpu_info0()->evtchn_upcall_mask = !(c.rflags & X86_EFLAGS_IF);

	/* Xen: IOPL and VM never reach the guest; IF is always on. */
	rflags = (c.rflags & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) | X86_EFLAGS_IF;
	GREG(RSP) = c.rsp;
	if ((c.flags & VGCF_in_syscall) && canonical(c.rip)) {
		sysret(s, &c, rflags);
		return (long)c.rax;
	}

	/* IRETQ: reserved RFLAGS bits the CPU drops. */
	s->rip = c.rip;
	s->rflags = (rflags & X86_EFLAGS_ARCH) | X86_EFLAGS_MBS;
	s->seg[SEG_CS].sel = (uint16_t)(c.cs | 3);	/* force guest privilege */
	s->seg[SEG_SS].sel = (uint16_t)(c.ss | 3);
	if (!(c.flags & VGCF_in_syscall)) {
		GREG(R11) = c.r11;
		GREG(RCX) = c.rcx;
	} else {
		/* A non-canonical RIP: Xen's IRETQ path "mimics SYSRET" in RCX and R11. */
		GREG(RCX) = c.rip;
		GREG(R11) = rflags;
	}

	cs_ok = load_cs(s->seg[SEG_CS].sel, &cs, &f);
	if (cs_ok && load_ss(s->seg[SEG_SS].sel, &ss, &f) && rip_ok(s->rip, &cs, &f)) {
		segment_loaded(&cs);
		segment_loaded(&ss);
		s->seg[SEG_CS] = cs;
		s->seg[SEG_SS] = ss;
	} else if (cs_ok && f.vector == X86_EXC_GP && (s->seg[SEG_SS].sel & ~3) == 0 &&
		   rip_ok(s->rip, &cs, &f) && emulate_fetch_faults(&fault_va)) {
		/*
		 * A null SS under a good CS and RIP: Xen's #GP(0) handler reads
		 * the instruction at the target first, and could not: the #PF it
		 * raises is the guest's, in a frame Xen made (RF as the iret
		 * frame had it).
		 */
		pv_inject_page_fault_trap(fault_va, 0);
	} else {
		/* IRETQ faulted: the guest's own exception, at the frame's target. */
		pv_inject_exception(f.vector, true, f.ec);
	}
	/* Xen writes the saved RAX back before its IRETQ. */
	return (long)c.rax;
}
