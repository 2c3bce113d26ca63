/*
 * Exits and exceptions: what Xen's entry.S and traps.c do for a 64-bit PV
 * vcpu. Every exception the guest raises exits to us before delivery; we
 * either handle it as Xen would (a hypercall, an emulated privileged
 * instruction, a software interrupt to the trap table) or bounce it to the
 * guest's trap table (bounce.c).
 */
#include "host/pv/pv.h"

static bool vector_has_ec(unsigned int v)
{
	return v == X86_EXC_DF || (v >= X86_EXC_TS && v <= X86_EXC_PF) ||
	       v == X86_EXC_AC || v == X86_EXC_CP;
}

/*
 * The FPU state a vcpu starts with, as Xen's vcpu_init_fpu sets it up:
 * FCW 0x37f, MXCSR 0x1f80, every other register zero (XSA-165: never what
 * ran before). The registers are shared with the host, which never uses
 * them, so until now they hold whatever the firmware left (Bochs: its
 * power-on FCW 0x40). Loaded once, at the guest's first FPU use: XRSTOR
 * of an area whose XSTATE_BV is 0 puts every enabled component in its
 * initial state (MXCSR comes from the area); without XSAVE, FXRSTOR of
 * the same legacy image, with OSFXSR on so that it loads MXCSR and XMM.
 */
static void fpu_initial_state(void)
{
	static uint8_t area[576] __attribute__((aligned(64)));
	uint64_t cr4 = read_cr4();

	area[0] = 0x7f;			/* FCW 0x037f */
	area[1] = 0x03;
	area[24] = 0x80;		/* MXCSR 0x1f80 */
	area[25] = 0x1f;
	if (cr4 & CR4_OSXSAVE) {
		asm volatile("xrstor64 %0" :: "m"(area), "a"(~0U), "d"(~0U) : "memory");
	} else {
		write_cr4(cr4 | CR4_OSFXSR);
		asm volatile("fxrstor64 %0" :: "m"(area) : "memory");
		write_cr4(cr4);
	}
}

void dump_guest_state(void)
{
	struct vcpu_state *s = dom.st;

	printk("----[ parahost d%u v0 ]----", dom.domid);
	printk("RIP:    %04x:[<%016lx>] (%s mode)", s->seg[SEG_CS].sel,
	       (unsigned long)s->rip, dom.kernel_mode ? "kernel" : "user");
	printk("RFLAGS: %016lx   EM: %u", (unsigned long)s->rflags,
	       dom.shared_info ? vcpu_info0()->evtchn_upcall_mask : 0);
	printk("rax: %016lx   rbx: %016lx   rcx: %016lx", GREG(RAX), GREG(RBX), GREG(RCX));
	printk("rdx: %016lx   rsi: %016lx   rdi: %016lx", GREG(RDX), GREG(RSI), GREG(RDI));
	printk("rbp: %016lx   rsp: %016lx   r8:  %016lx", GREG(RBP), GREG(RSP), GREG(R8));
	printk("r9:  %016lx   r10: %016lx   r11: %016lx", GREG(R9), GREG(R10), GREG(R11));
	printk("r12: %016lx   r13: %016lx   r14: %016lx", GREG(R12), GREG(R13), GREG(R14));
	printk("r15: %016lx   cr0: %016lx   cr4: %016lx", GREG(R15),
	       (unsigned long)s->cr0, (unsigned long)s->cr4);
	printk("cr3: %016lx   cr2: %016lx", (unsigned long)s->cr3,
	       dom.shared_info ? (unsigned long)vcpu_info0()->arch.cr2 : 0UL);
	printk("fsb: %016lx   gsb: %016lx   gss: %016lx", (unsigned long)s->seg[SEG_FS].base,
	       (unsigned long)s->seg[SEG_GS].base, (unsigned long)s->kernel_gs_base);
	printk("ds: %04x   es: %04x   fs: %04x   gs: %04x   ss: %04x   cs: %04x",
	       s->seg[SEG_DS].sel, s->seg[SEG_ES].sel, s->seg[SEG_FS].sel,
	       s->seg[SEG_GS].sel, s->seg[SEG_SS].sel, s->seg[SEG_CS].sel);
	{
		uint64_t stack[8];

		if (!copy_from_guest_nocheck(stack, GREG(RSP), sizeof(stack))) {
			printk("Guest stack trace from rsp=%016lx:", GREG(RSP));
			printk("   %016lx %016lx %016lx %016lx", stack[0], stack[1], stack[2], stack[3]);
			printk("   %016lx %016lx %016lx %016lx", stack[4], stack[5], stack[6], stack[7]);
		}
	}
	printk("exits %lu (%lu ticks), hypercalls %lu, bounces %lu, privileged ops %lu",
	       dom.nr_exits, dom.nr_ticks, dom.nr_hypercalls, dom.nr_bounces, dom.nr_priv_ops);
}

/* int $n from the guest: a #GP with error code (n << 3) | 2 (IDT limit 0). */
static bool software_interrupt(uint32_t ec)
{
	unsigned int vector = ec >> 3;
	const struct trap_info *ti = &dom.traps[vector & 0xff];
	unsigned int dpl = TI_GET_DPL(ti);
	uint8_t insn[2];

	if ((ec & 3) != 2 || vector > 255)
		return false;
	/* Xen: the kernel has a virtual CPL of 1, user mode 3. */
	if (!ti->address || dpl < (dom.kernel_mode ? 1U : 3U))
		return false;
	/* Only INT n (CD nn) is delivered this way; INT3/INTO go through #BP/#OF. */
	if (fetch_insn(dom.st->rip, insn, 2) != 2 || insn[0] != 0xcd)
		return false;
	/*
	 * Xen delivers it from the #GP that INT n raised at the DPL 0 gate: the
	 * frame carries that fault's RFLAGS image, RF set.
	 */
	dom.st->rip += 2;
	dom.st->rflags |= X86_EFLAGS_RF;
	create_bounce_frame(ti->address, TI_GET_IF(ti), false, 0, false);
	return true;
}

/*
 * INT $0x80: Xen's int80_direct_trap. With a handler in the trap table it
 * is delivered as a trap whatever the entry's DPL (and from kernel mode
 * too); without one, Xen's slow path treats it as #GP(0x402) would be.
 */
static void int80(void)
{
	const struct trap_info *ti = &dom.traps[0x80];

	if (ti->address) {
		dom.st->rip += 2;
		create_bounce_frame(ti->address, TI_GET_IF(ti), false, 0, false);
		return;
	}
	/* Made up on Xen's int80 slow path from the trap's frame: no RF. */
	pv_inject_exception(X86_EXC_GP, true, (0x80 << 3) | 2);
}

/*
 * INT3 or INT n about to be delivered (the SVM INTn intercept: QEMU's TCG
 * checks INT3 against it rather than the #BP intercept). Xen's IDT has
 * DPL 3 gates for vectors 3 and 4 and DPL 0 for the rest, so INT3/INT $3
 * is a #BP trap, INT $4 an #OF trap, and any other INT n a #GP with error
 * code (n << 3) | 2 at the instruction.
 */
static void handle_swint(void)
{
	uint8_t b[2];
	int n = fetch_insn(dom.st->rip, b, 2);

	if (n >= 1 && b[0] == 0xcc) {
		dom.st->rip += 1;
		pv_inject_exception(X86_EXC_BP, false, 0);
	} else if (n == 2 && b[0] == 0xcd && (b[1] == 3 || b[1] == 4)) {
		dom.st->rip += 2;
		pv_inject_exception(b[1], false, 0);
	} else if (n == 2 && b[0] == 0xcd && b[1] == 0x80) {
		int80();
	} else if (n == 2 && b[0] == 0xcd) {
		uint32_t ec = ((uint32_t)b[1] << 3) | 2;

		if (!software_interrupt(ec))
			pv_inject_gp(ec);
	} else {
		domain_crash("software interrupt exit at an instruction that is not INT");
	}
}

/* INT n through one of Xen's DPL 3 gates (3, 4, 0x80); RIP at the CD nn. */
static bool int_via_dpl3_gate(unsigned int vector)
{
	uint8_t b[2];

	if (fetch_insn(dom.st->rip, b, 2) != 2 || b[0] != 0xcd || b[1] != vector)
		return false;
	switch (vector) {
	case 3:
	case 4:
		dom.st->rip += 2;
		pv_inject_exception(vector, false, 0);
		return true;
	case 0x80:
		int80();
		return true;
	default:
		return false;
	}
}

static void handle_ud(void)
{
	uint8_t insn[3];
	int n = fetch_insn(dom.st->rip, insn, 3);
	unsigned int rex = n >= 1 && (insn[0] & 0xf0) == 0x40;

	/*
	 * SYSRET: Xen runs its PV guests with EFER.SCE set, so at CPL 3 it is
	 * #GP(0) there; here SCE is clear (SYSCALL must exit) and it is #UD.
	 */
	if (n >= (int)rex + 2 && insn[rex] == 0x0f && insn[rex + 1] == 0x07) {
		pv_inject_gp(0);
		return;
	}
	if (n >= 2 && insn[0] == 0x0f && insn[1] == 0x05) {
		if (dom.kernel_mode)
			pv_hypercall();
		else
			pv_syscall_from_user();
		return;
	}
	if (emulate_forced_cpuid())
		return;
	pv_inject_ud();
}

static void handle_exception(const struct vexit *e)
{
	unsigned int v = e->vector;
	uint32_t ec = e->has_error ? e->error_code : 0;

	switch (v) {
	case X86_EXC_UD:
		handle_ud();
		return;
	case X86_EXC_GP:
		if (software_interrupt(ec))
			return;
		if (ec == 0 && emulate_privileged_op())
			return;
		pv_inject_gp(ec);
		return;
	case X86_EXC_PF:
		/*
		 * Xen's writable page tables: a kernel store into its own L1,
		 * once the guest asked for VMASST_TYPE_writable_pagetables
		 * (Linux does at start of day; without it Xen's fault stands).
		 */
		if ((ec & (PFEC_PRESENT | PFEC_WRITE | PFEC_RSVD | PFEC_INSN)) ==
		    (PFEC_PRESENT | PFEC_WRITE) && dom.kernel_mode &&
		    (dom.vm_assist & (1UL << VMASST_TYPE_writable_pagetables)) && ptwr_emulate(e->cr2))
			return;
		pv_inject_page_fault(e->cr2, ec);
		return;
	case X86_EXC_BP: {
		/* Intercepted before delivery: RIP is at INT3 (CC) or INT $3 (CD 03). */
		uint8_t b;

		if (e->insn_len)
			dom.st->rip += e->insn_len;
		else if (fetch_insn(dom.st->rip, &b, 1) == 1)
			dom.st->rip += b == 0xcd ? 2 : 1;
		pv_inject_exception(X86_EXC_BP, false, 0);
		return;
	}
	case X86_EXC_NM:
		/*
		 * Xen's lazy FPU: the state is "restored" (real TS cleared), and
		 * the guest sees #NM (a fault) only if it asked for TS (fpu_taskswitch).
		 */
		if (!dom.fpu_dirtied)
			fpu_initial_state();
		dom.st->cr0 &= ~CR0_TS;
		dom.fpu_dirtied = true;
		if (dom.fpu_ts) {
			dom.fpu_ts = false;
			pv_reflect_fault(X86_EXC_NM, false, 0);
		}
		return;
	case X86_EXC_DB:
		/* ICEBP is a trap reported at the instruction (VT-x): step over it. */
		if (e->insn_len)
			dom.st->rip += e->insn_len;
		/* Xen keeps the guest's DR6: status bits accumulate. */
		pv_dr6 |= e->dr6;
		pv_inject_exception(X86_EXC_DB, false, 0);
		return;
	case X86_EXC_NP:
		/* INT $3, $4 or $0x80: Xen has DPL 3 gates there, we have holes. */
		if ((ec & 3) == 2 && int_via_dpl3_gate(ec >> 3))
			return;
		pv_reflect_fault(X86_EXC_NP, true, ec);
		return;
	case X86_EXC_MC:
		panic("machine check while running the guest");
	case X86_EXC_DF:
		domain_crash("double fault");
	default:
		/* #DB, #BP and #OF are traps; everything else that reaches here is a fault. */
		if (v == X86_EXC_DB || v == X86_EXC_BP || v == X86_EXC_OF)
			pv_inject_exception(v, vector_has_ec(v), ec);
		else
			pv_reflect_fault(v, vector_has_ec(v), ec);
		return;
	}
}

void handle_exit(const struct vexit *e)
{
	switch (e->kind) {
	case VEXIT_EXCEPTION:
		handle_exception(e);
		break;
	case VEXIT_CPUID:
		emulate_cpuid_exit(e->insn_len ? e->insn_len : 2);
		break;
	case VEXIT_INTR:
		dom.nr_ticks++;
		host_ack_interrupts();
		host_timer_interrupted();
		break;
	case VEXIT_SWINT:
		handle_swint();
		break;
	case VEXIT_GP0:
		/* What the CPU would have raised at CPL 3 (host/vcpu.h): the #GP(0) path. */
		if (!emulate_privileged_op())
			pv_inject_gp(0);
		break;
	case VEXIT_UD:
		pv_inject_ud();
		break;
	case VEXIT_NPF:
		domain_crash("access to guest-physical %#lx (%s%s) outside the domain's memory",
			     (unsigned long)e->gpa, e->npf_write ? "write" : "read",
			     e->npf_fetch ? ", fetch" : "");
	case VEXIT_SHUTDOWN:
		domain_crash("triple fault");
	case VEXIT_FAILED:
		/*
		 * The CPU refused the state we checked (entry_check.c): a gap in
		 * those checks, never a reason to take the host down.
		 */
		domain_crash("%s refused the VM entry (exit %#lx, info %#lx %#lx)", vcpu_hw->name,
			     (unsigned long)e->raw, (unsigned long)e->raw_info1,
			     (unsigned long)e->raw_info2);
	default:
		domain_crash("unexpected exit %#lx (info %#lx %#lx)", (unsigned long)e->raw,
			     (unsigned long)e->raw_info1, (unsigned long)e->raw_info2);
	}
}

void domain_crash(const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_backend_poll();		/* whatever the guest already said */
	printk("d%u crashed: %s", dom.domid, buf);
	dump_guest_state();
	printk("Domain %u crashed: exiting with status %d", dom.domid, EXIT_CRASH);
	host_exit(EXIT_CRASH);
}

void domain_shutdown(unsigned int reason)
{
	static const char *const names[] = {
		[SHUTDOWN_poweroff] = "poweroff", [SHUTDOWN_reboot] = "reboot",
		[SHUTDOWN_suspend] = "suspend", [SHUTDOWN_crash] = "crash",
		[SHUTDOWN_watchdog] = "watchdog", [SHUTDOWN_soft_reset] = "soft_reset",
	};
	enum host_exit_code code;

	if (!dom.is_dom0)
		console_backend_poll();
	switch (reason) {
	case SHUTDOWN_poweroff: code = EXIT_POWEROFF; break;
	case SHUTDOWN_reboot: code = EXIT_REBOOT; break;
	case SHUTDOWN_suspend: code = EXIT_SUSPEND; break;
	case SHUTDOWN_watchdog: code = EXIT_WATCHDOG; break;
	case SHUTDOWN_soft_reset: code = EXIT_SOFT_RESET; break;
	default: code = EXIT_CRASH; break;
	}
	printk("d%u shutdown: %s (reason %u); %lu exits (%lu ticks), %lu hypercalls, %lu bounces, "
	       "%lu privileged ops, %lu host NMIs, %lu ms", dom.domid,
	       reason < ARRAY_SIZE(names) && names[reason] ? names[reason] : "unknown",
	       reason, dom.nr_exits, dom.nr_ticks, dom.nr_hypercalls, dom.nr_bounces,
	       dom.nr_priv_ops, (unsigned long)host_nmis, (unsigned long)(system_time_ns() / 1000000));
	if (reason == SHUTDOWN_crash)
		dump_guest_state();
	host_exit(code);
}
