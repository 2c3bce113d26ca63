/*
 * The guest's entry points and CPU context: set_trap_table, set_callbacks
 * and callback_op, stack_switch, fpu_taskswitch, set_segment_base,
 * vm_assist, set/get_debugreg (Xen: pv/callback.c, pv/misc-hypercalls.c).
 */
#include "host/pv/pv.h"

static bool canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

long do_set_trap_table(uint64_t arg)
{
	struct trap_info cur;

	/* No table: clear the entire virtual IDT. */
	if (!arg) {
		memset(dom.traps, 0, sizeof(dom.traps));
		return 0;
	}
	/* Xen's loop: until the terminating entry, however long the table. */
	for (;;) {
		if (copy_from_guest(&cur, arg, sizeof(cur)))
			return -EFAULT;
		if (cur.address == 0)
			return 0;
		if (!canonical(cur.address))
			return -EINVAL;
		/* fixup_guest_code_selector: ring 3 for a 64-bit PV kernel. */
		if ((cur.cs & 3) == 0)
			cur.cs |= 3;
		dom.traps[cur.vector] = cur;
		arg += sizeof(cur);
		if (hypercall_preempt_check())
			return hypercall_create_continuation(__HYPERVISOR_set_trap_table, 1, arg);
	}
}

static long register_callback(const struct callback_register *r)
{
	if (!canonical(r->address))
		return -EINVAL;
	switch (r->type) {
	case CALLBACKTYPE_event:
		dom.event_callback = r->address;
		return 0;
	case CALLBACKTYPE_failsafe:
		dom.failsafe_callback = r->address;
		dom.failsafe_disables_events = r->flags & CALLBACKF_mask_events;
		return 0;
	case CALLBACKTYPE_syscall:
		dom.syscall_callback = r->address;
		dom.syscall_disables_events = r->flags & CALLBACKF_mask_events;
		return 0;
	case CALLBACKTYPE_syscall32:
	case CALLBACKTYPE_sysenter:
		/* Accepted and remembered nowhere: no 32-bit user code here. */
		return 0;
	case CALLBACKTYPE_nmi: {
		struct xennmi_callback cb = { .handler_address = r->address };

		(void)cb;
		dom.traps[X86_EXC_NMI].vector = X86_EXC_NMI;
		dom.traps[X86_EXC_NMI].flags = 4;	/* TI_SET_IF */
		dom.traps[X86_EXC_NMI].cs = FLAT_KERNEL_CS;
		dom.traps[X86_EXC_NMI].address = r->address;
		return 0;
	}
	default:
		return -ENOSYS;
	}
}

long do_set_callbacks(uint64_t ev, uint64_t fs, uint64_t sc)
{
	struct callback_register e = { .type = CALLBACKTYPE_event, .address = ev };
	struct callback_register f = { .type = CALLBACKTYPE_failsafe, .address = fs };
	struct callback_register s = { .type = CALLBACKTYPE_syscall, .address = sc };

	/* As Xen: each registered independently, the result ignored. */
	register_callback(&e);
	register_callback(&f);
	register_callback(&s);
	return 0;
}

long do_callback_op(int cmd, uint64_t arg)
{
	switch (cmd) {
	case CALLBACKOP_register: {
		struct callback_register r;

		if (copy_from_guest(&r, arg, sizeof(r)))
			return -EFAULT;
		return register_callback(&r);
	}
	case CALLBACKOP_unregister: {
		struct callback_unregister u;

		if (copy_from_guest(&u, arg, sizeof(u)))
			return -EFAULT;
		switch (u.type) {
		case CALLBACKTYPE_event:
		case CALLBACKTYPE_failsafe:
		case CALLBACKTYPE_syscall:
		case CALLBACKTYPE_syscall32:
		case CALLBACKTYPE_sysenter:
			return -EINVAL;
		case CALLBACKTYPE_nmi:
			dom.traps[X86_EXC_NMI].address = 0;
			dom.traps[X86_EXC_NMI].flags = 0;
			return 0;
		default:
			return -ENOSYS;
		}
	}
	default:
		return -ENOSYS;
	}
}

long do_stack_switch(uint64_t ss, uint64_t sp)
{
	/* fixup_guest_stack_selector: ring 3. */
	if ((ss & 3) == 0)
		ss |= 3;
	dom.kernel_ss = ss;
	dom.kernel_sp = sp;
	return 0;
}

/* Xen's lazy FPU: virtual TS for the guest, real TS until the FPU is used. */
long do_fpu_taskswitch(int set)
{
	dom.fpu_ts = set != 0;
	if (set)
		dom.st->cr0 |= CR0_TS;
	else if (dom.fpu_dirtied)
		dom.st->cr0 &= ~CR0_TS;
	return 0;
}

long do_set_segment_base(unsigned int which, uint64_t base)
{
	struct vcpu_state *s = dom.st;

	switch (which) {
	case SEGBASE_FS:
		if (!canonical(base))
			return -EINVAL;
		s->seg[SEG_FS].base = base;
		return 0;
	case SEGBASE_GS_USER:
		/* In kernel context the user's GS base is the inactive (shadow) one. */
		if (!canonical(base))
			return -EINVAL;
		s->kernel_gs_base = base;
		dom.gs_base_user = base;
		return 0;
	case SEGBASE_GS_KERNEL:
		if (!canonical(base))
			return -EINVAL;
		s->seg[SEG_GS].base = base;
		return 0;
	case SEGBASE_GS_USER_SEL: {
		unsigned int sel = (uint16_t)base;
		struct vseg seg;

		/* Xen loads it natively, with RPL 3 and a fault fixup. */
		if (sel > 3)
			sel |= 3;
		if (sel <= 3 || !load_segment_descriptor((uint16_t)sel, &seg) ||
		    !(seg.attr & 0x10) || !(seg.attr & 0x80) ||
		    ((seg.attr & 0xa) == 0x8) || ((seg.attr >> 5) & 3) < 3) {
			/* Null, or a fault loading it: Xen ends up with NUL and base 0. */
			sel = 0;
			seg.base = 0;
			seg.attr = SEG_ATTR_UNUSABLE;
			seg.limit = 0;
		} else {
			segment_loaded(&seg);	/* the CPU's Accessed bit, which VM entry requires */
		}
		s->seg[SEG_GS].sel = (uint16_t)sel;
		s->seg[SEG_GS].attr = seg.attr;
		s->seg[SEG_GS].limit = seg.limit;
		s->kernel_gs_base = seg.base;
		dom.gs_base_user = seg.base;
		return 0;
	}
	default:
		return -EINVAL;
	}
}

long do_vm_assist(unsigned int cmd, unsigned int type)
{
	const unsigned long valid =
		(1UL << VMASST_TYPE_4gb_segments) |
		(1UL << VMASST_TYPE_4gb_segments_notify) |
		(1UL << VMASST_TYPE_writable_pagetables) |
		(1UL << VMASST_TYPE_pae_extended_cr3) |
		(1UL << VMASST_TYPE_architectural_iopl) |
		(1UL << VMASST_TYPE_runstate_update_flag) |
		(1UL << VMASST_TYPE_m2p_strict);

	if (type >= 64 || !(valid & (1UL << type)))
		return -EINVAL;
	switch (cmd) {
	case VMASST_CMD_enable:
		dom.vm_assist |= 1UL << type;
		return 0;
	case VMASST_CMD_disable:
		dom.vm_assist &= ~(1UL << type);
		return 0;
	default:
		return -ENOSYS;
	}
}

/*
 * Debug registers (Xen: set_debugreg, x86emul_read_dr). DR0-3 are loaded
 * into the CPU (parahost never uses them), DR7 goes into the vcpu state,
 * DR6 is virtual: #DB status bits accumulate in it (traps.c).
 */
#define DR6_DEFAULT	0xffff0ff0UL
#define DR6_ZEROS	(1UL << 12)
#define DR7_DEFAULT	0x400UL
#define DR7_ZEROS	((1UL << 12) | (3UL << 14))
#define DR7_GD		(1UL << 13)
#define CR4_DE_BIT	(1UL << 3)

static uint64_t dr[4];
uint64_t pv_dr6 = DR6_DEFAULT;

static void load_dr(int reg, uint64_t v)
{
	switch (reg) {
	case 0: asm volatile("mov %0, %%dr0" :: "r"(v)); break;
	case 1: asm volatile("mov %0, %%dr1" :: "r"(v)); break;
	case 2: asm volatile("mov %0, %%dr2" :: "r"(v)); break;
	case 3: asm volatile("mov %0, %%dr3" :: "r"(v)); break;
	}
}

long do_set_debugreg(int reg, uint64_t value)
{
	switch (reg) {
	case 0: case 1: case 2: case 3:
		if (!guest_va_ok(value, 8))
			return -EPERM;
		dr[reg] = value;
		load_dr(reg, value);
		return 0;
	case 4:
		if (dom.guest_cr4 & CR4_DE_BIT)
			return -ENODEV;
		/* fall through */
	case 6:
		if (value != (uint32_t)value)
			return -EINVAL;
		pv_dr6 = (value | DR6_DEFAULT) & ~DR6_ZEROS;
		return 0;
	case 5:
		if (dom.guest_cr4 & CR4_DE_BIT)
			return -ENODEV;
		/* fall through */
	case 7:
		if (value != (uint32_t)value)
			return -EINVAL;
		if (value & DR7_GD)
			return -EPERM;		/* general detect is Xen's */
		if (value & 0xff) {
			/* I/O breakpoints (R/W = 10b) need CR4.DE. */
			for (unsigned int i = 16; i < 32; i += 4)
				if (((value >> i) & 3) == 2 && !(dom.guest_cr4 & CR4_DE_BIT))
					return -EPERM;
		}
		dom.st->dr7 = (value | DR7_DEFAULT) & ~DR7_ZEROS;
		return 0;
	default:
		return -ENODEV;
	}
}

long do_get_debugreg(int reg)
{
	switch (reg) {
	case 0: case 1: case 2: case 3:
		return (long)dr[reg];
	case 4:
		if (dom.guest_cr4 & CR4_DE_BIT)
			return -ENODEV;
		/* fall through */
	case 6:
		return (long)pv_dr6;
	case 5:
		if (dom.guest_cr4 & CR4_DE_BIT)
			return -ENODEV;
		/* fall through */
	case 7:
		return (long)(dom.st->dr7 | DR7_DEFAULT);
	default:
		return -ENODEV;
	}
}

/* HYPERVISOR_nmi_op: the NMI callback is trap_ctxt[2], with events masked. */
long do_nmi_op(unsigned int cmd, uint64_t arg)
{
	struct xennmi_callback cb;

	switch (cmd) {
	case XENNMI_register_callback:
		if (copy_from_guest(&cb, arg, sizeof(cb)))
			return -EFAULT;
		if (!canonical(cb.handler_address))
			return -EINVAL;
		dom.traps[X86_EXC_NMI].vector = X86_EXC_NMI;
		dom.traps[X86_EXC_NMI].flags = 4;	/* TI_SET_IF */
		dom.traps[X86_EXC_NMI].cs = FLAT_KERNEL_CS;
		dom.traps[X86_EXC_NMI].address = cb.handler_address;
		return 0;
	case XENNMI_unregister_callback:
		dom.traps[X86_EXC_NMI].address = 0;
		dom.traps[X86_EXC_NMI].flags = 0;
		return 0;
	default:
		return -ENOSYS;
	}
}
