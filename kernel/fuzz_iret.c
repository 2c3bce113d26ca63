/*
 * Hostile HYPERVISOR_iret frames, and the fuzzer's trap handler.
 *
 * An experiment builds a struct iret_context with random and boundary
 * RIP, CS, RFLAGS, RSP, SS, puts RSP on it and makes the hypercall
 * (directly, or as an entry of a multicall, which Xen honours and then
 * leaves the multicall). Whatever Xen then does ends in a trap we catch:
 * a good frame lands on fz_landing (UD2s) in kernel or user mode, a bad
 * RIP faults, a selector Xen cannot load brings the failsafe callback.
 * The catcher resumes the fuzzer at fz_resume. Frames that return to
 * kernel mode keep a good stack (an event delivered there must not find
 * a bad one: Xen would crash the domain), below 4 GiB so that it is one
 * in compatibility mode too; user-mode frames may have any stack, as Xen
 * bounces to the kernel stack of stack_switch. User mode runs on our own
 * L4, where nothing below 4 GiB is executable, so code segments that are
 * not 64-bit fault at once.
 */
#include <stddef.h>
#include <xen/xen.h>

#include "arch/x86/hypercall.h"
#include "arch/x86/page.h"
#include "arch/x86/regs.h"
#include "kernel/fuzz.h"
#include "kernel/kernel.h"

#define FZ_VEC_FAILSAFE	0x100
#define FZ_VEC_SYSCALL	0x101
#define FZ_VEC_EVENT	0x102
#define EFLAGS_IF	0x200

extern char fz_resume[], fz_landing[];
extern uint64_t fz_saved_rsp;
extern uint8_t fz_returned;
long fz_iret_call(uint64_t frame, unsigned long nr, uint64_t a1, uint64_t a2);
void do_exception(struct cpu_regs *regs);

#define VECTORS(X) X(0) X(1) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) \
	X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) \
	X(23) X(24) X(25) X(26) X(27) X(28) X(29) X(30) X(31)
#define DECLARE(v) extern char fz_trap_##v[];
VECTORS(DECLARE)
#undef DECLARE
/* Events masked in every handler (flags bit 2); #BP and #OF usable from ring 3. */
#define ENTRY(v) { v, (v == 3 || v == 4) ? 3 | 4 : 4, FLAT_KERNEL_CS, (unsigned long)fz_trap_##v },
const struct trap_info fz_trap_table[] = { VECTORS(ENTRY) { 0, 0, 0, 0 } };
#undef ENTRY

struct fz_stats fz_stats;

static struct {
	volatile bool armed;
	unsigned long vector;
	uint64_t rip, cs, ss, err;
} catcher;

static uint8_t iret_stack[16384] __attribute__((aligned(16)));

void do_hypervisor_callback(struct cpu_regs *regs);

void fuzz_trap(struct cpu_regs *r)
{
	if (r->vector == FZ_VEC_EVENT) {
		/*
		 * The kernel's handler, then back with events masked again
		 * (IF clear in the frame): with a short periodic timer and a
		 * slow host, unmasked upcalls could otherwise follow each
		 * other for good and the fuzzer would never run again.
		 */
		do_hypervisor_callback(r);
		r->rflags &= ~(uint64_t)EFLAGS_IF;
		return;
	}
	if (catcher.armed) {
		catcher.armed = false;
		catcher.vector = r->vector;
		catcher.rip = r->rip;
		catcher.cs = r->cs;
		catcher.ss = r->ss;
		catcher.err = r->error_code;
		/* Back to the fuzzer, kernel mode (RPL 0 in the frame), events masked. */
		r->rip = (uint64_t)fz_resume;
		r->cs = FLAT_KERNEL_CS & ~3ul;
		r->rflags = 0x2;
		r->rsp = fz_saved_rsp;
		r->ss = FLAT_KERNEL_SS;
		return;
	}
	switch (r->vector) {
	case 1:
		/* A breakpoint a fuzzed DR7 left armed: disarm, carry on. */
		fz_stats.debug_traps++;
		_hypercall2(__HYPERVISOR_set_debugreg, 7, 0x400);
		return;
	case 2:
		fz_stats.nmis++;		/* VCPUOP_send_nmi */
		return;
	case FZ_VEC_FAILSAFE:
		fz_stats.failsafes++;		/* a selector left behind; ours are null now */
		return;
	default:
		do_exception(r);		/* the kernel's: exception table, or fatal */
	}
}

static uint64_t frame_rip(void)
{
	uint64_t v;

	switch (fz_below(10)) {
	case 0: case 1: case 2: case 3: case 4: case 5:
		return (uint64_t)fz_landing + 2 * fz_below(8);
	case 6:
		return FZ_PICK(0, 0x1000, 0x7ffffffffffe, 0x7fffffffffff, 0x800000000000,
			       0xffff7ffffffffffe, 0xffff800000000000, 0xffff87fffffffffe,
			       0xfffffffffffffffe, 0x8000000000000000);
	case 7:
		return fz.buf_end + fz_below(PAGE_SIZE);	/* mapped nowhere */
	case 8:
		return (uint64_t)fz_landing ^ (1ull << (47 + fz_below(17)));	/* non-canonical */
	default:
		v = fz_rnd();
		/* Never our own code or data: only the landing pad is safe to run. */
		return fz_va_is_ours(v) || (v >> 39) == (FZ_SB_BASE >> 39) ?
			(uint64_t)fz_landing : v;
	}
}

/* A selector with the RPL that decides the mode Xen returns to. */
static uint64_t frame_sel(uint16_t usual, bool user)
{
	uint64_t s = fz_chance(60) ? usual : fz_selector();

	s = (s & ~3ull) | (user ? 3 : fz_below(3));
	if (fz_chance(10))
		s |= fz_rnd() & ~0xffffull;
	return s;
}

static uint64_t frame_rflags(void)
{
	switch (fz_below(6)) {
	case 0: return fz_rnd();
	case 1: return fz_u64();
	case 2: return 0x2;
	case 3: return 0x202 | FZ_PICK(0x100, 0x400, 0x4000, 0x10000, 0x20000, 0x40000,
				       0x3000, 0x80000, 0x100000, 0x200000, 0x8, 0x20,
				       0x8000, 0x400000, 1ull << 63);
	default: return 0x202 | (fz_rnd() & 0x8d5);
	}
}

/*
 * A stack that works in every code size: in compatibility mode the CPU
 * keeps only ESP, and Xen bounces a kernel-mode fault to that stack.
 */
static uint64_t good_rsp(void)
{
	return fz.low_stack + 1024 + fz_below(PAGE_SIZE - 1024) - (fz_chance(80) ? 0 : fz_below(8));
}

/* Entries that may run before the iret in a multicall: none move entry points. */
static const unsigned long benign_ops[] = {
	__HYPERVISOR_xen_version, __HYPERVISOR_mmu_update, __HYPERVISOR_update_va_mapping,
	__HYPERVISOR_grant_table_op, __HYPERVISOR_memory_op, __HYPERVISOR_vm_assist,
	__HYPERVISOR_get_debugreg, __HYPERVISOR_console_io, __HYPERVISOR_mmuext_op,
	__HYPERVISOR_set_timer_op, __HYPERVISOR_fpu_taskswitch,
};

static void iret_multicall(uint64_t *list, uint32_t *count)
{
	multicall_entry_t mc[6];
	struct fz_call sub;
	unsigned int n = 1 + (unsigned int)fz_below(ARRAY_SIZE(mc) - 1);
	unsigned int at = (unsigned int)fz_below(n);

	for (unsigned int i = 0; i < n; i++) {
		memset(&sub, 0, sizeof(sub));
		sub.op = i == at ? __HYPERVISOR_iret :
			benign_ops[fz_below(ARRAY_SIZE(benign_ops))];
		if (i == at) {
			memset(&mc[i], 0, sizeof(mc[i]));
			mc[i].op = __HYPERVISOR_iret;
			continue;
		}
		fz_mc_entry(&mc[i], &sub, FZ_NESTED | FZ_BENIGN);
	}
	*list = fz_in(mc, n * sizeof(mc[0]), FZP_BUF);
	*count = n;
}

void fz_gen_iret(struct fz_call *c, unsigned int flags)
{
	(void)flags;
	c->experiment = true;
	c->ctx = 0;
}

void fz_iret_run(struct fz_call *c)
{
	struct iret_context f;
	bool user = fz_chance(40);
	uint64_t where, list = 0;
	uint32_t count = 0;

	/* User mode needs user page tables: ours (see the comment at the top). */
	if (user && !fz.user_base_ok) {
		struct mmuext_op op = { .cmd = MMUEXT_NEW_USER_BASEPTR, .arg1.mfn = fz.own_pt[0] };

		fz_stats.setup_calls++;
		fz.user_base_ok = hypercall_mmuext_op(&op, 1, NULL, DOMID_SELF) == 0;
		user = fz.user_base_ok;
	}
	f.rax = fz_u64();
	f.r11 = fz_u64();
	f.rcx = fz_u64();
	f.flags = fz_chance(30) ? VGCF_in_syscall : fz_chance(90) ? 0 : fz_u64();
	f.rip = frame_rip();
	f.cs = frame_sel(fz_chance(80) ? FLAT_KERNEL_CS : FLAT_USER_CS32, user);
	f.rflags = frame_rflags();
	f.ss = frame_sel(fz_chance(80) ? FLAT_KERNEL_SS : 0, user);
	f.rsp = !user || fz_chance(50) ? good_rsp() : fz_word();
	if (c->ctx)
		iret_multicall(&list, &count);

	/* The frame itself, somewhere in its own stack page. */
	where = (uint64_t)iret_stack + 12288 + fz_below(4096 - sizeof(f)) - (fz_chance(90) ? 0 : 3);
	where &= fz_chance(90) ? ~7ull : ~0ull;
	memcpy((void *)where, &f, sizeof(f));

	fz_stats.iret_runs++;
	fz_returned = 0;
	catcher.vector = ~0ul;
	catcher.armed = true;
	if (c->ctx)
		fz_iret_call(where, __HYPERVISOR_multicall, list, count);
	else
		fz_iret_call(where, __HYPERVISOR_iret, 0, 0);
	catcher.armed = false;
	if (fz.log_iret)
		kprintf("fuzz: iret %s%s cs %lx ss %lx rflags %lx rip %lx rsp %lx flags %lx: %s %#lx "
			"rip %lx cs %lx ss %lx error %lx\n", user ? "user" : "kernel",
			c->ctx ? " multicall" : "", f.cs, f.ss, f.rflags, f.rip, f.rsp, f.flags,
			fz_returned ? "returned" : "vector", fz_returned ? 0 : catcher.vector,
			catcher.rip, catcher.cs, catcher.ss, catcher.err);
	if (fz_returned) {
		fz_stats.iret_returned++;	/* an unreadable multicall list, or a host refusing iret there */
	} else if (catcher.vector == FZ_VEC_FAILSAFE) {
		fz_stats.iret_failsafe++;
	} else if (catcher.vector < 32) {
		fz_stats.iret_vectors[catcher.vector]++;
		if (catcher.vector == X86_EXC_UD && catcher.rip >= (uint64_t)fz_landing &&
		    catcher.rip < (uint64_t)fz_landing + 16)
			fz_stats.iret_landed++;
	}
	c->restore |= FZR_MASK | (c->ctx ? FZR_ALL : 0);
}
