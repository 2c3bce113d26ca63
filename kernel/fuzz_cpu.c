/*
 * Generators for the hypercalls that change the vcpu: entry points
 * (set_trap_table, set_callbacks, callback_op, nmi_op), stack_switch,
 * fpu_taskswitch, debug registers, segment bases, vcpu_op, sched_op,
 * timers, vm_assist. Entry points and the kernel stack are put back after
 * the call (fuzz.c); the calls that would end the domain for good
 * (SCHEDOP_shutdown that Xen can read, VCPUOP_down of vcpu 0) only get
 * arguments Xen must refuse.
 */
#include <xen/xen.h>
#include <xen/callback.h>
#include <xen/nmi.h>
#include <xen/sched.h>
#include <xen/vcpu.h>

#include "arch/x86/hypercall.h"
#include "arch/x86/page.h"
#include "kernel/fuzz.h"
#include "kernel/kernel.h"

/* Where Xen may write a runstate or time area: a page nothing else uses. */
static uint8_t area_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

void fz_gen_set_trap_table(struct fz_call *c, unsigned int flags)
{
	struct trap_info t[9];
	unsigned int n = (unsigned int)fz_below(ARRAY_SIZE(t));

	for (unsigned int i = 0; i < n; i++) {
		t[i].vector = (uint8_t)(fz_chance(70) ? fz_below(32) : fz_below(256));
		t[i].flags = (uint8_t)(fz_chance(70) ? fz_below(8) : fz_rnd());
		t[i].cs = fz_chance(70) ? FLAT_KERNEL_CS : fz_selector();
		t[i].address = fz_handler(flags, t[i].vector == 2 ? FZH_NMI : FZH_OTHER);
		if (!t[i].address)
			t[i].address = 1;	/* 0 ends the table */
	}
	memset(&t[n], 0, sizeof(t[n]));
	c->a[0] = fz_chance(5) ? 0 : fz_in(t, (n + 1) * sizeof(t[0]), FZP_ANY);
	c->restore = FZR_TRAPS;
}

void fz_gen_stack_switch(struct fz_call *c, unsigned int flags)
{
	(void)flags;
	c->a[0] = fz_chance(60) ? FLAT_KERNEL_SS : fz_selector();
	c->a[1] = fz_chance(30) ? fz.kstack_top - fz_below(64) : fz_chance(50) ? fz_va(true) : fz_u64();
	c->restore = FZR_STACK;
}

void fz_gen_set_callbacks(struct fz_call *c, unsigned int flags)
{
	c->a[0] = fz_handler(flags, FZH_EVENT);
	c->a[1] = fz_handler(flags, FZH_FAILSAFE);
	c->a[2] = fz_handler(flags, FZH_OTHER);
	c->restore = FZR_CALLBACKS;
}

void fz_gen_fpu_taskswitch(struct fz_call *c, unsigned int flags)
{
	(void)flags;
	c->a[0] = fz_chance(80) ? fz_below(2) : fz_u64();
}

void fz_gen_set_debugreg(struct fz_call *c, unsigned int flags)
{
	unsigned int reg = fz_chance(90) ? (unsigned int)fz_below(8) : fz_u32();
	uint64_t v;

	switch (reg) {
	case 0: case 1: case 2: case 3:
		v = fz_chance(50) ? fz_va(true) : fz_chance(50) ? fz.buf : fz_u64();
		break;
	case 5: case 7:
		v = fz_chance(60) ? (0x400 | (fz_rnd() & 0xffff03ff)) : fz_u64();
		/* A breakpoint armed before our entry points are back could not be caught. */
		if (flags & (FZ_NESTED | FZ_BENIGN))
			v &= ~0xffull;
		c->restore = FZR_DR7;
		break;
	default:
		v = fz_u64();
		break;
	}
	c->a[0] = reg;
	c->a[1] = v;
}

void fz_gen_get_debugreg(struct fz_call *c, unsigned int flags)
{
	(void)flags;
	c->a[0] = fz_chance(90) ? fz_below(9) : fz_u32();
}

void fz_gen_set_segment_base(struct fz_call *c, unsigned int flags)
{
	(void)flags;
	c->a[0] = fz_chance(90) ? fz_below(5) : fz_u32();
	c->a[1] = c->a[0] == SEGBASE_GS_USER_SEL && fz_chance(70) ? fz_selector() :
		fz_chance(50) ? fz_va(true) : fz_u64();
}

static unsigned int role_of(unsigned int type)
{
	switch (type) {
	case CALLBACKTYPE_event: return FZH_EVENT;
	case CALLBACKTYPE_failsafe: return FZH_FAILSAFE;
	case CALLBACKTYPE_nmi: return FZH_NMI;
	default: return FZH_OTHER;
	}
}

void fz_gen_callback_op(struct fz_call *c, unsigned int flags)
{
	unsigned int cmd = fz_chance(90) ? (unsigned int)fz_below(3) : fz_u32();
	struct callback_register r = {
		.type = fz_chance(90) ? (uint16_t)fz_below(9) : fz_u16(),
		.flags = (uint16_t)(fz_chance(70) ? fz_below(2) : fz_rnd()),
	};

	/*
	 * Inside a multicall not the read-only page of zeros: {event, 0}
	 * would register address 0, and a block later in the same list
	 * would have Xen deliver an event there.
	 */
	unsigned int kinds = flags & (FZ_NESTED | FZ_BENIGN) ? FZP_BUF | FZP_FAULT : FZP_ANY;

	r.address = fz_handler(flags, role_of(r.type));
	if (cmd == CALLBACKOP_unregister) {
		struct callback_unregister u = { .type = r.type };

		c->a[1] = fz_in(&u, sizeof(u), kinds);
	} else {
		c->a[1] = fz_in(&r, sizeof(r), kinds);
	}
	c->a[0] = cmd;
	c->restore = FZR_CALLBACKS | FZR_NMI;
}

void fz_gen_nmi_op(struct fz_call *c, unsigned int flags)
{
	struct xennmi_callback cb = { .handler_address = fz_handler(flags, FZH_NMI),
				      .pad = fz_chance(80) ? 0 : fz_u32() };

	c->a[0] = fz_chance(90) ? fz_below(3) : fz_u32();
	c->a[1] = fz_in(&cb, sizeof(cb), FZP_ANY);
	c->restore = FZR_NMI;
}

/* Somewhere Xen may keep writing to for good. */
static uint64_t area_va(void)
{
	switch (fz_below(6)) {
	case 0: case 1: return (uint64_t)area_page + fz_below(PAGE_SIZE / 2);
	case 2: return fz.ro + fz_below(PAGE_SIZE);
	case 3: return 0;
	default: return fz_ptr(64, FZP_FAULT);
	}
}

void fz_gen_vcpu_op(struct fz_call *c, unsigned int flags)
{
	unsigned int cmd = fz_chance(90) ? (unsigned int)fz_below(15) : fz_u32();
	unsigned int vcpu = fz_chance(80) ? 0 :
		(unsigned int)FZ_PICK(1, 2, 31, 32, 127, 128, 0x7fffffff, 0xffffffff);
	uint64_t w[8];

	(void)flags;
	for (unsigned int i = 0; i < ARRAY_SIZE(w); i++)
		w[i] = fz_word();
	switch (cmd) {
	case VCPUOP_initialise:
		/* Refused for vcpu 0 before it is read; zeros for the others. */
		c->a[2] = fz_ptr(6 * PAGE_SIZE, FZP_ANY);
		break;
	case VCPUOP_down:
		if (vcpu == 0)
			vcpu = 1;	/* the only vcpu going down powers the domain off */
		c->a[2] = fz_ptr(16, FZP_ANY);
		break;
	case VCPUOP_get_runstate_info:
		c->a[2] = fz_ptr(sizeof(struct vcpu_runstate_info), FZP_ANY);
		break;
	case VCPUOP_register_runstate_memory_area:
	case VCPUOP_register_vcpu_time_memory_area:
		w[0] = area_va();
		c->a[2] = fz_in(w, 8, FZP_ANY);
		break;
	case VCPUOP_set_periodic_timer: {
		struct vcpu_set_periodic_timer t = { .period_ns = fz_chance(60) ?
			FZ_PICK(0, 1, 999999, 1000000, 10000000, 1000000000) : fz_u64() };

		c->a[2] = fz_in(&t, sizeof(t), FZP_ANY);
		break;
	}
	case VCPUOP_set_singleshot_timer: {
		struct vcpu_set_singleshot_timer t = {
			.timeout_abs_ns = fz_chance(60) ? fz_now() + fz_below(2000000) - 1000000 : fz_u64(),
			.flags = fz_chance(70) ? (uint32_t)fz_below(2) : fz_u32(),
		};

		c->a[2] = fz_in(&t, sizeof(t), FZP_ANY);
		break;
	}
	case VCPUOP_register_vcpu_info: {
		/*
		 * Xen would move vcpu_info for good (ours is read in shared_info):
		 * only a frame that is not ours, or an offset past the page.
		 */
		struct vcpu_register_vcpu_info i = { .mfn = fz_junk_mfn(), .offset = fz_u32() };

		if (fz_chance(40)) {
			i.mfn = fz_mfn(FZM_SCRATCH);
			i.offset = PAGE_SIZE - (uint32_t)fz_below(63);
			if (fz_chance(50))
				i.offset = (uint32_t)FZ_PICK(4096, 0x10000, 0x80000000, 0xffffffff);
		}
		c->a[2] = fz_in(&i, sizeof(i), FZP_ANY);
		break;
	}
	default:
		c->a[2] = fz_in(w, sizeof(w), FZP_ANY);
		break;
	}
	c->a[0] = cmd;
	c->a[1] = vcpu;
}

/*
 * A block may only be made with an event pending and unmasked, and only
 * one per multicall: Xen may preempt a multicall and deliver that event
 * (the first block unmasked it) before a second block, which then waits
 * for good.
 */
bool fz_multicall_blocked;

static bool fz_block_ok(unsigned int flags)
{
	if (flags & FZ_NESTED) {
		if (fz_multicall_blocked)
			return false;
		fz_multicall_blocked = true;
	}
	return fz_make_ipi_pending();
}

static void destroy_watchdog(const struct fz_call *c, long rc)
{
	struct sched_watchdog w = { .id = (uint32_t)rc, .timeout = 0 };

	if (c->ctx && rc > 0) {
		fz_stats.setup_calls++;
		hypercall_sched_op(SCHEDOP_watchdog, &w);
	}
}

static uint64_t poll_args(unsigned int flags)
{
	struct sched_poll p;
	evtchn_port_t ports[6];
	unsigned int n = (unsigned int)fz_below(ARRAY_SIZE(ports) + 1);

	for (unsigned int i = 0; i < ARRAY_SIZE(ports); i++)
		ports[i] = fz_port(false);
	p.nr_ports = fz_chance(90) ? n : fz_u32();
	if (!(flags & FZ_NESTED) && fz_chance(30) && fz_make_ipi_pending()) {
		/* No timeout, or one far away: only with a port that is pending. */
		if (!p.nr_ports || !n)
			p.nr_ports = n = 1;
		/* Among the first nr_ports that Xen reads, whatever nr_ports is. */
		ports[fz_below(n < p.nr_ports ? n : p.nr_ports)] = fz.ipi_port;
		p.timeout = fz_chance(40) ? 0 : fz_chance(50) ? ~0ull : fz_now() + 1000000000000ull;
		set_xen_guest_handle(p.ports, (evtchn_port_t *)
				     fz_ptr((size_t)(p.nr_ports & 0xff) * 4, FZP_BUF | FZP_FAULT));
	} else {
		/* Already past, or within 200 us. */
		p.timeout = fz_chance(20) ? FZ_PICK(1, 2, 3) : fz_now() - 500000 + fz_below(700000);
		set_xen_guest_handle(p.ports, (evtchn_port_t *)
				     fz_ptr((size_t)(p.nr_ports & 0xff) * 4, FZP_ANY));
	}
	fz_put((uint64_t)(uintptr_t)p.ports.p, ports, n * 4);
	return fz_in(&p, sizeof(p), FZP_BUF);
}

void fz_gen_sched_op(struct fz_call *c, unsigned int flags)
{
	unsigned int cmd = fz_chance(92) ? (unsigned int)fz_below(9) : fz_u32();

	switch (cmd) {
	case SCHEDOP_block:
		/* Only with an event that ends it at once (Xen would wait for good). */
		if (!fz_block_ok(flags))
			cmd = SCHEDOP_yield;
		c->a[1] = fz_word();
		c->restore = FZR_MASK;
		break;
	case SCHEDOP_shutdown:
		/* Any reason Xen can read ends the domain: only addresses it cannot. */
		c->a[1] = fz_ptr(sizeof(struct sched_shutdown), FZP_FAULT);
		break;
	case SCHEDOP_shutdown_code:
		/*
		 * Any code Xen reads is what a later crash would be reported as
		 * (even poweroff): only addresses it cannot read.
		 */
		c->a[1] = fz_ptr(sizeof(struct sched_shutdown), FZP_FAULT);
		break;
	case SCHEDOP_poll:
		c->a[1] = poll_args(flags);
		break;
	case SCHEDOP_remote_shutdown: {
		struct sched_remote_shutdown r = { .domain_id = fz_domid(), .reason = fz_u32() };

		if (r.domain_id == fz.domid || r.domain_id == 0)
			r.domain_id = DOMID_SELF;	/* refused: no such domain id */
		c->a[1] = fz_in(&r, sizeof(r), FZP_ANY);
		break;
	}
	case SCHEDOP_watchdog: {
		/* A watchdog that fired would end the run: long timeouts, destroyed at once. */
		struct sched_watchdog w = {
			.id = fz_chance(70) ? 0 : fz_chance(80) ? (uint32_t)fz_below(4) : fz_u32(),
			.timeout = (uint32_t)FZ_PICK(0, 3600, 86400, 0x7fffffff, 0xffffffff),
		};

		if (w.id == 0 && !w.timeout)
			w.timeout = 3600;	/* a new one with 0 seconds fires at once, in Xen too */
		c->a[1] = fz_in(&w, sizeof(w), FZP_BUF);
		c->ctx = w.id == 0;
		c->post = destroy_watchdog;
		break;
	}
	default: {
		uint64_t w[4] = { fz_word(), fz_word(), fz_word(), fz_word() };

		c->a[1] = fz_in(w, sizeof(w), FZP_ANY);
		break;
	}
	}
	c->a[0] = cmd;
}

void fz_gen_sched_op_compat(struct fz_call *c, unsigned int flags)
{
	/* SCHEDOP_shutdown here takes the reason itself: never generated. */
	unsigned int cmd = fz_chance(80) ? (unsigned int)FZ_PICK(SCHEDOP_yield, SCHEDOP_block, 3, 4, 7)
		: fz_u32() | 0x100;

	(void)flags;
	if (cmd == SCHEDOP_block) {
		if (!fz_block_ok(flags))
			cmd = SCHEDOP_yield;
		c->restore = FZR_MASK;
	}
	c->a[0] = cmd;
	c->a[1] = fz_word();
}

void fz_gen_set_timer_op(struct fz_call *c, unsigned int flags)
{
	(void)flags;
	c->a[0] = fz_chance(60) ? fz_now() + fz_below(20000000) - 10000000 : fz_u64();
}

void fz_gen_vm_assist(struct fz_call *c, unsigned int flags)
{
	(void)flags;
	c->a[0] = fz_chance(90) ? fz_below(3) : fz_u32();
	c->a[1] = fz_chance(90) ? FZ_PICK(0, 1, 2, 3, 4, 5, 6, 31, 32, 33, 63, 64) : fz_u32();
}
