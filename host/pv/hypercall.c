/*
 * Hypercall dispatch: a SYSCALL from guest kernel mode (through the
 * hypercall page or directly) is a hypercall, number in RAX, arguments in
 * RDI, RSI, RDX, R10, R8, result in RAX. Xen returns with SYSRET, so RCX
 * and R11 come back as RIP and RFLAGS (the stubs save and restore them).
 * A SYSCALL from guest user mode goes to the guest's syscall callback.
 */
#include "host/pv/pv.h"
#include "lib/barrier.h"

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
	case __HYPERVISOR_multicall:		return do_multicall(a1, (unsigned int)a2, iret);
	case __HYPERVISOR_update_va_mapping:	return do_update_va_mapping(a1, a2, a3);
	case __HYPERVISOR_set_timer_op:		return do_set_timer_op(a1);
	case __HYPERVISOR_xen_version:		return do_xen_version((int)a1, a2);
	case __HYPERVISOR_console_io:		return do_console_io((int)a1, (unsigned int)a2, a3);
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
	/* The toolstack's: refused to a domU as Xen does; dom0 would use them (not here). */
	case __HYPERVISOR_domctl:		return dom.is_dom0 ? enosys(nr) : do_domctl(a1);
	case __HYPERVISOR_sysctl:		return dom.is_dom0 ? enosys(nr) : do_sysctl(a1);
	/* What Xen answers a PV domU whatever the arguments: */
	case __HYPERVISOR_xenpmu_op:		return -EOPNOTSUPP;	/* no vPMU */
	case __HYPERVISOR_hypfs_op:		return -EPERM;		/* privileged */
	case __HYPERVISOR_arch_0:		return -EPERM;		/* MCA: privileged */
	default:				return enosys(nr);
	}
}

/*
 * Continuations (Xen: hypercall_create_continuation). A long hypercall
 * stops where it is and asks to be re-issued with arguments that describe
 * the rest of the work; the guest re-executes its SYSCALL after the host
 * has run timers and backends and delivered pending events, exactly as on
 * Xen. Inside a multicall, the continuation is written back into the
 * multicall entry and the multicall itself is continued at that entry.
 */
static struct {
	bool pending;
	unsigned int nr, nargs;
	uint64_t args[5];
} cont;

/* Where Xen would act on softirqs or events: the deadline is set at entry. */
static uint64_t preempt_deadline;
#define HYPERCALL_SLICE_NS	1000000		/* a long hypercall yields each ms */

long hypercall_create_continuation(unsigned int nr, unsigned int nargs, ...)
{
	va_list ap;

	BUG_ON(nargs > ARRAY_SIZE(cont.args) || cont.pending);
	va_start(ap, nargs);
	for (unsigned int i = 0; i < nargs; i++)
		cont.args[i] = va_arg(ap, uint64_t);
	va_end(ap);
	cont.pending = true;
	cont.nr = nr;
	cont.nargs = nargs;
	return nr;	/* RAX: the hypercall number, as Xen leaves it */
}

bool hypercall_preempt_check(void)
{
	const struct vcpu_info *vi = vcpu_info0();

	/* Xen's local_events_need_delivery() ... */
	if (READ_ONCE(vi->evtchn_upcall_pending) && !READ_ONCE(vi->evtchn_upcall_mask))
		return true;
	/* ... or softirq_pending(): a timer due, a host tick's worth of work done. */
	return system_time_ns() >= preempt_deadline;
}

void pv_hypercall(void)
{
	struct vcpu_state *s = dom.st;
	uint64_t nr = GREG(RAX), now = system_time_ns();
	bool iret = false;
	long rc;

	dom.nr_hypercalls++;
	stats_note_hypercall(nr);
	preempt_deadline = time_next_event();
	if (preempt_deadline > now + HYPERCALL_SLICE_NS)
		preempt_deadline = now + HYPERCALL_SLICE_NS;
	/* SYSCALL has trap semantics: Xen sees RIP after the instruction. */
	s->rip += 2;
	if (host_opts.verbose)
		printk("d%u hypercall %s(%#lx, %#lx, %#lx, %#lx, %#lx)", dom.domid, hc_name(nr),
		       GREG(RDI), GREG(RSI), GREG(RDX), GREG(R10), GREG(R8));
	rc = dispatch(nr, GREG(RDI), GREG(RSI), GREG(RDX), GREG(R10), GREG(R8), &iret);
	if (cont.pending) {
		/*
		 * Re-execute the SYSCALL with the continuation's arguments; the
		 * other argument registers keep the guest's values, as on Xen.
		 */
		static const unsigned int regs[] = { GPR_RDI, GPR_RSI, GPR_RDX, GPR_R10, GPR_R8 };

		cont.pending = false;
		s->rip -= 2;
		GREG(RAX) = cont.nr;
		for (unsigned int i = 0; i < cont.nargs; i++)
			s->gpr[regs[i]] = cont.args[i];
		return;
	}
	GREG(RAX) = (uint64_t)rc;
	if (!iret) {
		/* SYSRET back to the guest. */
		GREG(RCX) = s->rip;
		GREG(R11) = s->rflags;
	}
}

/* SYSCALL from guest user mode: Xen's switch_to_kernel. */
void pv_syscall_from_user(void)
{
	struct vcpu_state *s = dom.st;

	/* What the real SYSCALL did under Xen: RCX = next RIP, R11 = RFLAGS. */
	s->rip += 2;
	GREG(RCX) = s->rip;
	GREG(R11) = s->rflags;
	if (!dom.syscall_callback) {
		/* No callback: #UD at the SYSCALL, as Xen 4.17 (made up, not a fault). */
		s->rip -= 2;
		pv_inject_exception(X86_EXC_UD, false, 0);
	} else {
		create_bounce_frame(dom.syscall_callback, dom.syscall_disables_events, false, 0, false);
	}
	/* The PV ABI's fixed SYSCALL mask: DF cleared (4.17: on the #UD path too). */
	s->rflags &= ~X86_EFLAGS_DF;
}

/*
 * HYPERVISOR_multicall (Xen: common/multicall.c, pv/hypercall.c
 * pv_do_multicall_call): each entry a hypercall, its result written back.
 * Preempted between entries, and when an entry itself asks for a
 * continuation (that entry's arguments are rewritten and the multicall
 * resumes at it). An iret entry runs and ends the multicall there (Xen's
 * mc_exit, XSA-213): the guest is now wherever the iret frame put it, so
 * nothing after it may run on the kernel's behalf; the multicall returns
 * the iret's result, and *iret tells the dispatcher not to return with
 * SYSRET.
 */
long do_multicall(uint64_t list, unsigned int nr, bool *iret)
{
	static bool in_multicall;
	long rc = 0;

	if (in_multicall)
		return -EINVAL;		/* Xen: "Multicall reentry is disallowed" */
	if (!guest_va_ok(list, (size_t)nr * sizeof(struct multicall_entry)))
		return -EFAULT;
	in_multicall = true;
	for (unsigned int i = 0; i < nr; i++, list += sizeof(struct multicall_entry)) {
		struct multicall_entry mc;

		if (i && hypercall_preempt_check()) {
			rc = hypercall_create_continuation(__HYPERVISOR_multicall, 2, list,
							   (uint64_t)(nr - i));
			break;
		}
		if (copy_from_guest(&mc, list, sizeof(mc))) {
			rc = -EFAULT;
			break;
		}
		mc.result = dispatch(mc.op, mc.args[0], mc.args[1], mc.args[2],
				     mc.args[3], mc.args[4], iret);
		if (*iret) {
			/* Best effort, as Xen: the guest's stack may be anything now. */
			copy_to_guest(list + offsetof(struct multicall_entry, result),
				      &mc.result, sizeof(mc.result));
			rc = (long)mc.result;
			break;
		}
		if (cont.pending) {
			/* The entry's own continuation: its new arguments, then ours. */
			cont.pending = false;
			mc.op = cont.nr;
			memcpy(mc.args, cont.args, cont.nargs * sizeof(cont.args[0]));
			if (copy_to_guest(list, &mc, sizeof(mc))) {
				rc = -EFAULT;
				break;
			}
			rc = hypercall_create_continuation(__HYPERVISOR_multicall, 2, list,
							   (uint64_t)(nr - i));
			break;
		}
		if (copy_to_guest(list + offsetof(struct multicall_entry, result),
				  &mc.result, sizeof(mc.result))) {
			rc = -EFAULT;
			break;
		}
	}
	in_multicall = false;
	return rc;
}
