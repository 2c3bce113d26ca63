/*
 * The guest state, checked before every VM entry. Between two runs the PV
 * layer is the only writer of struct vcpu_state, and much of what it
 * writes comes from the guest (iret frames, trap-table and callback
 * addresses, segment bases, selectors). Xen's return path to a PV guest
 * either loads a state that the CPU itself validates (IRET, SYSRET) or
 * crashes the domain. Here the hardware would answer a bad state with a
 * failed VM entry instead, so every field the guest could have influenced
 * is checked first, and a bad one crashes the domain with a message. The
 * checks are the architectural rules for a CPL 3 long-mode context plus
 * what a PV guest may ever hold; they are vendor-neutral.
 */
#include "host/pv/pv.h"

/* Access-rights bits (host/vcpu.h's VMX layout). */
#define AR_TYPE(a)	((a) & 0xf)
#define AR_ACCESSED	0x1
#define AR_WRITABLE	0x2		/* data */
#define AR_READABLE	0x2		/* code */
#define AR_CONFORMING	0x4		/* code */
#define AR_CODE		0x8
#define AR_S		0x10
#define AR_DPL(a)	(((a) >> 5) & 3)
#define AR_P		0x80
#define AR_L		0x2000
#define AR_DB		0x4000

/* RFLAGS bits that are reserved (must be 0): 3, 5, 15 and 22-63. */
#define RFLAGS_RESERVED	(~X86_EFLAGS_ARCH)

/* The CR0/CR4 bits a PV vcpu may run with (domain.c, emulate.c). */
#define CR0_PV_FIXED	(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG)
#define CR4_PV_ALLOWED	(CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE | \
			 (1UL << 2) /* TSD */ | CR4_FSGSBASE)

static bool canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

static const char *check_code_stack(const struct vcpu_state *s)
{
	const struct vseg *cs = &s->seg[SEG_CS], *ss = &s->seg[SEG_SS];

	if ((cs->sel & 3) != 3 || (cs->attr & SEG_ATTR_UNUSABLE) || !(cs->attr & AR_P) ||
	    !(cs->attr & AR_S) || !(cs->attr & AR_CODE) || !(cs->attr & AR_ACCESSED) ||
	    AR_DPL(cs->attr) != 3)
		return "CS is not an accessed, present DPL 3 code segment with RPL 3";
	if ((cs->attr & AR_L) && (cs->attr & AR_DB))
		return "CS has both L and D set";
	if ((ss->sel & 3) != 3 || (ss->sel & ~3) == 0 || (ss->attr & SEG_ATTR_UNUSABLE) ||
	    !(ss->attr & AR_P) || !(ss->attr & AR_S) || (ss->attr & AR_CODE) ||
	    !(ss->attr & AR_WRITABLE) || !(ss->attr & AR_ACCESSED) || AR_DPL(ss->attr) != 3)
		return "SS is not an accessed, present, writable DPL 3 data segment with RPL 3";
	return NULL;
}

static const char *check_data_segments(const struct vcpu_state *s)
{
	static const unsigned int segs[] = { SEG_DS, SEG_ES, SEG_FS, SEG_GS };

	for (unsigned int i = 0; i < ARRAY_SIZE(segs); i++) {
		const struct vseg *sg = &s->seg[segs[i]];
		uint32_t a = sg->attr;

		/* A null selector leaves the register unusable; nothing to check. */
		if ((a & SEG_ATTR_UNUSABLE) || (sg->sel & ~3) == 0)
			continue;
		if (!(a & AR_P) || !(a & AR_S) || !(a & AR_ACCESSED))
			return "a data segment register holds a non-present or unaccessed descriptor";
		if ((a & AR_CODE) && !(a & AR_READABLE))
			return "a data segment register holds an execute-only code segment";
		if (!((a & AR_CODE) && (a & AR_CONFORMING)) && AR_DPL(a) < (sg->sel & 3u))
			return "a data segment register has DPL below its RPL";
	}
	if (!canonical(s->seg[SEG_FS].base) || !canonical(s->seg[SEG_GS].base) ||
	    !canonical(s->kernel_gs_base))
		return "a non-canonical FS, GS or shadow GS base";
	if (s->seg[SEG_TR].sel != XEN_TSS_SELECTOR || s->seg[SEG_TR].attr != 0x8b ||
	    s->seg[SEG_TR].base != TSS_VIRT_START)
		return "TR is not Xen's TSS";
	if (!(s->seg[SEG_LDTR].attr & SEG_ATTR_UNUSABLE) &&
	    (AR_TYPE(s->seg[SEG_LDTR].attr) != 2 || !(s->seg[SEG_LDTR].attr & AR_P) ||
	     (s->seg[SEG_LDTR].attr & AR_S) || !canonical(s->seg[SEG_LDTR].base)))
		return "LDTR holds something other than a present LDT";
	return NULL;
}

static const char *check_control(const struct vcpu_state *s)
{
	uint64_t table = dom.kernel_mode ? dom.mmv.guest_table : dom.mmv.guest_table_user;

	if ((s->cr0 & ~CR0_TS) != CR0_PV_FIXED)
		return "CR0 is not Xen's";
	if ((s->cr4 & ~CR4_PV_ALLOWED) || !(s->cr4 & CR4_PAE))
		return "CR4 has a bit a PV guest may not run with";
	if (!table || s->cr3 != table << PAGE_SHIFT)
		return "CR3 is not the vcpu's validated base pointer";
	if (s->efer != (EFER_LME | EFER_LMA | EFER_NXE))
		return "EFER is not Xen's";
	if (s->gdtr.base != GDT_VIRT_START || s->gdtr.limit != LAST_RESERVED_GDT_BYTE ||
	    s->idtr.base != IDT_VIRT_START || s->idtr.limit != 0xfff)
		return "GDTR or IDTR is not Xen's";
	if ((s->dr7 >> 32) || (s->dr7 & (1UL << 13)))
		return "DR7 has reserved bits or general detect";
	return NULL;
}

static const char *check_flow(const struct vcpu_state *s)
{
	if ((s->rflags & RFLAGS_RESERVED) || !(s->rflags & X86_EFLAGS_MBS))
		return "RFLAGS has reserved bits set or bit 1 clear";
	if (s->rflags & (X86_EFLAGS_VM | X86_EFLAGS_IOPL))
		return "RFLAGS.VM or IOPL set (a PV guest runs with neither)";
	if (!(s->rflags & X86_EFLAGS_IF))
		return "RFLAGS.IF clear (a PV guest masks events, not interrupts)";
	if ((s->seg[SEG_CS].attr & AR_L) ? !canonical(s->rip) : (s->rip >> 32) != 0)
		return "RIP is not a valid address for CS";
	if (s->intr_shadow & ~(INTR_SHADOW_STI | INTR_SHADOW_MOV_SS) ||
	    s->intr_shadow == (INTR_SHADOW_STI | INTR_SHADOW_MOV_SS))
		return "inconsistent interrupt shadow";
	if (s->pending_dbg & ~0x1d00fUL)
		return "reserved bits in the pending debug exceptions";
	return NULL;
}

/*
 * The interrupt shadow and the pending debug exceptions describe the
 * instruction at the RIP of the last exit. Once the PV layer has moved RIP
 * (emulated an instruction, bounced an exception, returned from a
 * hypercall), they describe nothing: drop them, as Xen's emulator retires
 * an instruction (Xen itself never resumes a PV guest inside a shadow).
 */
void pv_check_entry(uint64_t exit_rip)
{
	struct vcpu_state *s = dom.st;
	const char *why;

	if (s->rip != exit_rip) {
		s->intr_shadow = 0;
		s->pending_dbg = 0;
	}
	/*
	 * Resuming at a non-canonical RIP (a hypercall or an emulated
	 * instruction that ends at 2^47) is the instruction fetch's #GP(0)
	 * there, which Xen delivers too (its SYSRET path checks; IRETQ
	 * faults). The VM entry itself would fail.
	 */
	if ((s->seg[SEG_CS].attr & AR_L) && !canonical(s->rip)) {
		pv_inject_exception(X86_EXC_GP, true, 0);
		s->intr_shadow = 0;
		s->pending_dbg = 0;
	}
	why = check_code_stack(s);
	if (!why)
		why = check_data_segments(s);
	if (!why)
		why = check_control(s);
	if (!why)
		why = check_flow(s);
	if (why)
		domain_crash("refusing to enter the guest: %s", why);
}
