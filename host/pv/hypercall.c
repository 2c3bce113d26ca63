/*
 * Hypercall dispatch: a SYSCALL from guest kernel mode (through the
 * hypercall page or directly) is a hypercall, number in RAX, arguments in
 * RDI, RSI, RDX, R10, R8, result in RAX. Xen returns with SYSRET, so RCX
 * and R11 come back as RIP and RFLAGS (the stubs save and restore them).
 * A SYSCALL from guest user mode goes to the guest's syscall callback.
 */
#include "host/pv/pv.h"

static const char *const hypercall_names[64] = {
	[__HYPERVISOR_set_trap_table] = "set_trap_table",
	[__HYPERVISOR_mmu_update] = "mmu_update",
	[__HYPERVISOR_set_gdt] = "set_gdt",
	[__HYPERVISOR_stack_switch] = "stack_switch",
	[__HYPERVISOR_set_callbacks] = "set_callbacks",
	[__HYPERVISOR_fpu_taskswitch] = "fpu_taskswitch",
	[__HYPERVISOR_sched_op_compat] = "sched_op_compat",
	[__HYPERVISOR_platform_op] = "platform_op",
	[__HYPERVISOR_set_debugreg] = "set_debugreg",
	[__HYPERVISOR_get_debugreg] = "get_debugreg",
	[__HYPERVISOR_update_descriptor] = "update_descriptor",
	[__HYPERVISOR_memory_op] = "memory_op",
	[__HYPERVISOR_multicall] = "multicall",
	[__HYPERVISOR_update_va_mapping] = "update_va_mapping",
	[__HYPERVISOR_set_timer_op] = "set_timer_op",
	[__HYPERVISOR_event_channel_op_compat] = "event_channel_op_compat",
	[__HYPERVISOR_xen_version] = "xen_version",
	[__HYPERVISOR_console_io] = "console_io",
	[__HYPERVISOR_physdev_op_compat] = "physdev_op_compat",
	[__HYPERVISOR_grant_table_op] = "grant_table_op",
	[__HYPERVISOR_vm_assist] = "vm_assist",
	[__HYPERVISOR_update_va_mapping_otherdomain] = "update_va_mapping_otherdomain",
	[__HYPERVISOR_iret] = "iret",
	[__HYPERVISOR_vcpu_op] = "vcpu_op",
	[__HYPERVISOR_set_segment_base] = "set_segment_base",
	[__HYPERVISOR_mmuext_op] = "mmuext_op",
	[__HYPERVISOR_xsm_op] = "xsm_op",
	[__HYPERVISOR_nmi_op] = "nmi_op",
	[__HYPERVISOR_sched_op] = "sched_op",
	[__HYPERVISOR_callback_op] = "callback_op",
	[__HYPERVISOR_xenoprof_op] = "xenoprof_op",
	[__HYPERVISOR_event_channel_op] = "event_channel_op",
	[__HYPERVISOR_physdev_op] = "physdev_op",
	[__HYPERVISOR_hvm_op] = "hvm_op",
	[__HYPERVISOR_sysctl] = "sysctl",
	[__HYPERVISOR_domctl] = "domctl",
	[__HYPERVISOR_kexec_op] = "kexec_op",
	[__HYPERVISOR_tmem_op] = "tmem_op",
	[__HYPERVISOR_argo_op] = "argo_op",
	[__HYPERVISOR_xenpmu_op] = "xenpmu_op",
	[__HYPERVISOR_dm_op] = "dm_op",
	[__HYPERVISOR_hypfs_op] = "hypfs_op",
};

static const char *hc_name(uint64_t nr)
{
	return nr < 64 && hypercall_names[nr] ? hypercall_names[nr] : "unknown";
}

static long enosys(uint64_t nr)
{
	static uint64_t logged;

	/* One line per hypercall number, not a flood. */
	if (nr >= 64 || !(logged & (1UL << nr))) {
		printk("d%u: hypercall %lu (%s) not implemented: -ENOSYS", dom.domid,
		       (unsigned long)nr, hc_name(nr));
		if (nr < 64)
			logged |= 1UL << nr;
	}
	return -ENOSYS;
}

/* One hypercall; returns the value for RAX. *iret set: do_iret ran. */
static long dispatch(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3,
		     uint64_t a4, uint64_t a5, bool *iret)
{
	(void)a5;
	switch (nr) {
	case __HYPERVISOR_set_trap_table:	return do_set_trap_table(a1);
	case __HYPERVISOR_mmu_update:		return do_mmu_update(a1, (unsigned int)a2, a3, (unsigned int)a4);
	case __HYPERVISOR_set_gdt:		return do_set_gdt(a1, (unsigned int)a2);
	case __HYPERVISOR_stack_switch:		return do_stack_switch(a1, a2);
	case __HYPERVISOR_set_callbacks:	return do_set_callbacks(a1, a2, a3);
	case __HYPERVISOR_fpu_taskswitch:	return do_fpu_taskswitch((int)a1);
	case __HYPERVISOR_sched_op_compat:	return do_sched_op_compat((int)a1, a2);
	case __HYPERVISOR_set_debugreg:		return do_set_debugreg((int)a1, a2);
	case __HYPERVISOR_get_debugreg:		return do_get_debugreg((int)a1);
	case __HYPERVISOR_update_descriptor:	return do_update_descriptor(a1, a2);
	case __HYPERVISOR_memory_op:		return do_memory_op(a1, a2);
	case __HYPERVISOR_multicall:		return do_multicall(a1, (unsigned int)a2);
	case __HYPERVISOR_update_va_mapping:	return do_update_va_mapping(a1, a2, a3);
	case __HYPERVISOR_set_timer_op:		return do_set_timer_op(a1);
	case __HYPERVISOR_xen_version:		return do_xen_version((int)a1, a2);
	case __HYPERVISOR_console_io:		return do_console_io((int)a1, a2, a3);
	case __HYPERVISOR_grant_table_op:	return do_grant_table_op((unsigned int)a1, a2, (unsigned int)a3);
	case __HYPERVISOR_vm_assist:		return do_vm_assist((unsigned int)a1, (unsigned int)a2);
	case __HYPERVISOR_iret:
		*iret = true;
		return do_iret();
	case __HYPERVISOR_vcpu_op:		return do_vcpu_op((int)a1, (unsigned int)a2, a3);
	case __HYPERVISOR_set_segment_base:	return do_set_segment_base((unsigned int)a1, a2);
	case __HYPERVISOR_mmuext_op:		return do_mmuext_op(a1, (unsigned int)a2, a3, (unsigned int)a4);
	case __HYPERVISOR_sched_op:		return do_sched_op((int)a1, a2);
	case __HYPERVISOR_callback_op:		return do_callback_op((int)a1, a2);
	case __HYPERVISOR_event_channel_op:	return do_event_channel_op((int)a1, a2);
	case __HYPERVISOR_physdev_op:		return do_physdev_op((int)a1, a2);
	case __HYPERVISOR_nmi_op:		return do_nmi_op((unsigned int)a1, a2);
	case __HYPERVISOR_hvm_op:		return do_hvm_op(a1, a2);
	/* What Xen answers a PV domU whatever the arguments: */
	case __HYPERVISOR_xenpmu_op:		return -EOPNOTSUPP;	/* no vPMU */
	case __HYPERVISOR_hypfs_op:		return -EPERM;		/* privileged */
	case __HYPERVISOR_arch_0:		return -EPERM;		/* MCA: privileged */
	default:				return enosys(nr);
	}
}

void pv_hypercall(void)
{
	struct vcpu_state *s = dom.st;
	uint64_t nr = GREG(RAX);
	bool iret = false;
	long rc;

	dom.nr_hypercalls++;
	/* SYSCALL has trap semantics: Xen sees RIP after the instruction. */
	s->rip += 2;
	if (host_opts.verbose)
		printk("d%u hypercall %s(%#lx, %#lx, %#lx, %#lx, %#lx)", dom.domid, hc_name(nr),
		       GREG(RDI), GREG(RSI), GREG(RDX), GREG(R10), GREG(R8));
	rc = dispatch(nr, GREG(RDI), GREG(RSI), GREG(RDX), GREG(R10), GREG(R8), &iret);
	if (hypercall_preempted) {
		/* Re-execute the SYSCALL later (Xen's hypercall continuation). */
		hypercall_preempted = false;
		s->rip -= 2;
		return;
	}
	GREG(RAX) = (uint64_t)rc;
	if (!iret) {
		/* SYSRET back to the guest. */
		GREG(RCX) = s->rip;
		GREG(R11) = s->rflags;
	}
}

bool hypercall_preempted;

/* SYSCALL from guest user mode: Xen's switch_to_kernel. */
void pv_syscall_from_user(void)
{
	struct vcpu_state *s = dom.st;

	/* What the real SYSCALL did under Xen: RCX = next RIP, R11 = RFLAGS. */
	s->rip += 2;
	GREG(RCX) = s->rip;
	GREG(R11) = s->rflags;
	if (!dom.syscall_callback) {
		/* No callback: #UD at the SYSCALL, as Xen 4.17. */
		s->rip -= 2;
		pv_inject_ud();
	} else {
		create_bounce_frame(dom.syscall_callback, dom.syscall_disables_events, false, 0, false);
	}
	/* The PV ABI's fixed SYSCALL mask: DF cleared (4.17: on the #UD path too). */
	s->rflags &= ~X86_EFLAGS_DF;
}

/* HYPERVISOR_iret: pop struct iret_context from the guest stack. */
long do_iret(void)
{
	struct vcpu_state *s = dom.st;
	struct iret_context c;

	if (copy_from_guest(&c, GREG(RSP), sizeof(c)))
		domain_crash("fault while reading the IRET context from the guest stack at %#lx",
			     GREG(RSP));
	if ((c.cs & 3) == 3) {
		if (!dom.mmv.guest_table_user)
			domain_crash("guest switching to user mode with no user page tables");
		if (dom.kernel_mode)
			toggle_guest_mode();
	}
	if (dom.vm_assist & (1UL << VMASST_TYPE_architectural_iopl))
		dom.iopl = c.rflags & X86_EFLAGS_IOPL;

	s->rip = c.rip;
	s->seg[SEG_CS].sel = (uint16_t)(c.cs | 3);
	s->rflags = (c.rflags & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) | X86_EFLAGS_IF |
		    X86_EFLAGS_MBS;
	GREG(RSP) = c.rsp;
	s->seg[SEG_SS].sel = (uint16_t)(c.ss | 3);
	/* Segment descriptors for the selectors we just loaded. */
	if ((s->seg[SEG_CS].sel & ~3) == (FLAT_RING3_CS32 & ~3)) {
		s->seg[SEG_CS].attr = 0xc0fb;	/* 32-bit compatibility code */
	} else if ((s->seg[SEG_CS].sel & ~3) == (FLAT_RING3_CS64 & ~3)) {
		s->seg[SEG_CS].attr = 0xa0fb;
	} else {
		domain_crash("iret to unsupported code selector %#x", s->seg[SEG_CS].sel);
	}
	if ((s->seg[SEG_SS].sel & ~3) == (FLAT_RING3_SS64 & ~3)) {
		s->seg[SEG_SS].attr = 0xc0f3;
	} else if ((s->seg[SEG_SS].sel & ~3) == 0) {
		s->seg[SEG_SS].attr = SEG_ATTR_UNUSABLE | 0x60;
	} else {
		domain_crash("iret to unsupported stack selector %#x", s->seg[SEG_SS].sel);
	}
	s->seg[SEG_CS].base = s->seg[SEG_SS].base = 0;
	s->seg[SEG_CS].limit = s->seg[SEG_SS].limit = 0xffffffff;

	if (!(c.flags & VGCF_in_syscall)) {
		GREG(R11) = c.r11;
		GREG(RCX) = c.rcx;
	} else {
		GREG(RCX) = s->rip;
		GREG(R11) = s->rflags;
	}
	/* Restore the upcall mask from the supplied EFLAGS.IF. */
	vcpu_info0()->evtchn_upcall_mask = !(c.rflags & X86_EFLAGS_IF);
	return (long)c.rax;
}

/* HYPERVISOR_multicall: each entry is a hypercall; results written back. */
long do_multicall(uint64_t list, unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++) {
		struct multicall_entry mc;
		uint64_t va = list + i * sizeof(mc);
		bool iret = false;

		if (copy_from_guest(&mc, va, sizeof(mc)))
			return -EFAULT;
		if (mc.op == __HYPERVISOR_multicall) {
			mc.result = -EINVAL;	/* no nesting */
		} else if (mc.op == __HYPERVISOR_iret) {
			mc.result = -EINVAL;
		} else {
			mc.result = dispatch(mc.op, mc.args[0], mc.args[1], mc.args[2],
					     mc.args[3], mc.args[4], &iret);
		}
		if (copy_to_guest(va + offsetof(struct multicall_entry, result),
				  &mc.result, sizeof(mc.result)))
			return -EFAULT;
	}
	return 0;
}
