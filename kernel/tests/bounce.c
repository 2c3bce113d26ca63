/*
 * Bounce frames from guest kernel mode: what Xen 4.17's create_bounce_frame
 * builds for an exception or an event, and the state the handler starts
 * in. Each probe loads known flags and scratch registers, notes its RSP and
 * traps; capture_entry (capture.h) keeps the frame. Addresses are checked
 * against the probe's own labels, never against numbers seen on one run.
 *
 * What Xen does, and so what every test here expects:
 *   - the frame is 16-byte aligned below the interrupted RSP: from the top
 *     SS, RSP, RFLAGS, CS, RIP, [error code], R11, RCX;
 *   - CS has RPL 0 (kernel context) and the saved upcall mask in bits
 *     32-39; RFLAGS.IF in the frame is the inverse of that mask, and a
 *     fault's RFLAGS has RF (FAULT_RF), a trap's not;
 *   - the handler is entered as by SYSRET: RCX = handler, R11 = RFLAGS,
 *     and RFLAGS with TF, NT, RF and AC cleared and IF set;
 *   - a trap-table entry with flags bit 2 masks events on entry.
 */
#include <xen/errno.h>

#include "arch/x86/hypercall.h"
#include "arch/x86/regs.h"
#include "kernel/ktest.h"
#include "kernel/qemu_bugs.h"
#include "kernel/tests/capture.h"
#include "xen/start_info.h"

#define TI_IF		4	/* trap_info.flags: mask events on entry */
#define KERNEL_CS_RPL0	(FLAT_KERNEL_CS & ~3ul)
#define CS_MASK_SHIFT	32
#define ENTRY_CLEARED	(X86_EFLAGS_TF | (1ul << 14) /* NT */ | (1ul << 16) /* RF */ | \
			 (1ul << 18) /* AC */)

/* Frame slots after RCX and R11 (error-code frames shift them by one). */
enum { F_RCX, F_R11, F_RIP, F_CS, F_RFLAGS, F_RSP, F_SS };

extern char probe_ud_insn[], probe_ud_unmasked_insn[], probe_pf_insn[];
extern char probe_bp_after[], probe_tf_after[], probe_hlt_insn[], probe_inb_insn[];
extern char probe_ds_insn[], probe_int80_after[];
void probe_ud(void), probe_ud_unmasked(void), probe_pf(void), probe_bp(void);
void probe_tf(void), probe_hlt(void), probe_inb(void), probe_ds_e008(void);
void probe_ds_10(void), probe_int80(void), probe_event(void);

/* The probes. Flags first (POPF), then MOVs, which leave flags alone. */
#define PROBE_HEAD \
	"push $0x8d5; popf; mov $0x1111, %ecx; mov $0x2222, %r11d; " \
	"mov %rsp, capture_probe_rsp(%rip)\n"
asm(".text\n"
    "probe_ud: " PROBE_HEAD
    ".globl probe_ud_insn\n probe_ud_insn: ud2\n"
    "probe_ud_unmasked: mov shared_info(%rip), %rax; movb $0, 1(%rax)\n" PROBE_HEAD
    ".globl probe_ud_unmasked_insn\n probe_ud_unmasked_insn: ud2\n"
    "probe_pf: mov $0x1000, %ebx\n" PROBE_HEAD
    ".globl probe_pf_insn\n probe_pf_insn: movb $1, (%rbx)\n ud2\n"
    "probe_bp: " PROBE_HEAD
    "int3\n .globl probe_bp_after\n probe_bp_after: ud2\n"
    /* TF is set by the POPF; the trap comes after the next instruction. */
    "probe_tf: mov $0x1111, %ecx; mov $0x2222, %r11d; mov %rsp, capture_probe_rsp(%rip)\n"
    "  push $0x9d5; popf; nop\n .globl probe_tf_after\n probe_tf_after: nop; ud2\n"
    "probe_hlt: " PROBE_HEAD
    ".globl probe_hlt_insn\n probe_hlt_insn: hlt\n ud2\n"
    "probe_inb: " PROBE_HEAD
    ".globl probe_inb_insn\n probe_inb_insn: inb $0x80, %al\n ud2\n"
    "probe_ds_e008: mov $0xe008, %eax; jmp probe_ds\n"
    "probe_ds_10: mov $0x10, %eax\n"
    "probe_ds: " PROBE_HEAD
    ".globl probe_ds_insn\n probe_ds_insn: mov %eax, %ds\n ud2\n"
    "probe_int80: " PROBE_HEAD
    "int $0x80\n .globl probe_int80_after\n probe_int80_after: ud2\n"
    /* Unmask, then send to our own IPI port: the upcall comes as Xen
     * returns from the hypercall, at the instruction after the SYSCALL. */
    "probe_event: mov shared_info(%rip), %rax; movb $0, 1(%rax)\n"
    "  mov %rsp, capture_probe_rsp(%rip)\n"
    "  mov $4, %edi; lea probe_event_arg(%rip), %rsi\n"
    "  call hypercall_page + 32 * 32\n ud2\n");
_Static_assert(EVTCHNOP_send == 4 && __HYPERVISOR_event_channel_op == 32, "probe_event's numbers");

struct evtchn_send probe_event_arg;

/*
 * Xen's signal beyond the pending bit: the port's selector bit (2-level),
 * or the port at the head of its queue with the queue's ready bit set
 * (FIFO, priority 7: the default).
 */
static bool event_signalled(evtchn_port_t port)
{
	struct vcpu_info *vi = &shared_info->vcpu_info[0];

	if (!evtchn_uses_fifo())
		return READ_ONCE(vi->evtchn_pending_sel) & (1ul << (port / 64));
	return evtchn_fifo_queued(port, EVTCHN_FIFO_PRIORITY_DEFAULT);
}

static void set_mask(uint8_t mask)
{
	WRITE_ONCE(shared_info->vcpu_info[0].evtchn_upcall_mask, mask);
}

/* The checks every kernel-context frame shares; ec: error-code frame. */
static void check_frame(const char *what, const void *rip, bool ec, uint64_t saved_mask,
			uint64_t flags)
{
	const uint64_t *f = capture.frame + (ec ? 1 : 0);
	uint64_t base = capture.probe_rsp & ~15ul;
	uint64_t unchecked = (flags & FAULT_RF) && qemu_bug_unchecked(QEMU_BUG_RF_FAULT_FRAME) ?
			     FAULT_RF : 0;

	KT_ASSERT(capture.entered, "%s: the handler never ran", what);
	KT_ASSERT_EQ(capture.rsp, base - (ec ? 8 : 7) * 8, "handler's RSP (frame 16-byte aligned)");
	KT_ASSERT_EQ(capture.frame[F_RCX], 0x1111, "RCX in the frame");
	KT_ASSERT_EQ(capture.frame[F_R11], 0x2222, "R11 in the frame");
	KT_ASSERT_EQ(f[F_RIP], (uint64_t)rip, "RIP in the frame");
	KT_ASSERT_EQ(f[F_CS], KERNEL_CS_RPL0 | saved_mask << CS_MASK_SHIFT,
		     "CS in the frame (RPL 0, saved mask in bits 32-39)");
	KT_ASSERT_EQ(f[F_RFLAGS] & ~unchecked,
		     (flags | X86_EFLAGS_MBS | (saved_mask ? 0 : X86_EFLAGS_IF)) & ~unchecked,
		     "RFLAGS in the frame (IF = !saved mask)");
	KT_ASSERT_EQ(f[F_RSP], capture.probe_rsp, "RSP in the frame");
	KT_ASSERT_EQ(f[F_SS], FLAT_KERNEL_SS, "SS in the frame");
	KT_ASSERT_EQ(capture.rcx, (uint64_t)capture_entry, "RCX at entry (SYSRET: the handler)");
	KT_ASSERT_EQ(capture.rflags, ((flags | X86_EFLAGS_MBS | X86_EFLAGS_IF) & ~ENTRY_CLEARED),
		     "RFLAGS at entry");
	KT_ASSERT_EQ(capture.r11, capture.rflags, "R11 at entry (SYSRET: RFLAGS)");
}

/* One probe through a trap-table entry of ours; everything put back. */
static uint64_t run_trap(unsigned int vec, unsigned int flags, void (*probe)(void))
{
	uint64_t entered;

	events_quiet(0);

	trap_set(vec, capture_entry, flags);
	entered = capture_run(probe, 0, 0);
	traps_reset();
	set_mask(1);
	events_unquiet();
	return entered;
}

KTEST(bounce, ud_kernel)
{
	run_trap(X86_EXC_UD, 0, probe_ud);
	check_frame("#UD", probe_ud_insn, false, 1, PROBE_FLAGS | FAULT_RF);
	KT_ASSERT_EQ(capture.mask, 1, "upcall mask at entry");
}

KTEST(bounce, ud_events_enabled)
{
	/* A trap gate (flags 0) leaves events as they were: unmasked. */
	run_trap(X86_EXC_UD, 0, probe_ud_unmasked);
	check_frame("#UD", probe_ud_unmasked_insn, false, 0, PROBE_FLAGS | FAULT_RF);
	KT_ASSERT_EQ(capture.mask, 0, "upcall mask at entry through a trap gate");
}

KTEST(bounce, ud_interrupt_gate_masks)
{
	run_trap(X86_EXC_UD, TI_IF, probe_ud_unmasked);
	check_frame("#UD", probe_ud_unmasked_insn, false, 0, PROBE_FLAGS | FAULT_RF);
	KT_ASSERT_EQ(capture.mask, 1, "upcall mask at entry through an interrupt gate");
}

KTEST(bounce, page_fault)
{
	run_trap(X86_EXC_PF, 0, probe_pf);
	check_frame("#PF", probe_pf_insn, true, 1, PROBE_FLAGS | FAULT_RF);
	/* Kernel-mode write to a page that is not present: W only. */
	KT_ASSERT_EQ(capture.frame[2], PFEC_WRITE, "error code");
	KT_ASSERT_EQ(shared_info->vcpu_info[0].arch.cr2, 0x1000, "CR2 in vcpu_info");
}

KTEST(bounce, breakpoint_is_a_trap)
{
	run_trap(X86_EXC_BP, 3, probe_bp);
	check_frame("#BP", probe_bp_after, false, 1, PROBE_FLAGS);
}

KTEST(bounce, single_step)
{
	long rc = hypercall_raw(__HYPERVISOR_set_debugreg, 6, 0);

	KT_ASSERT_EQ(rc, 0, "set_debugreg(6, 0)");
	run_trap(X86_EXC_DB, 0, probe_tf);
	/* The frame keeps TF (the interrupted code had it); entry clears it. */
	check_frame("#DB", probe_tf_after, false, 1, PROBE_FLAGS | X86_EFLAGS_TF);
	/* DR6: the reserved bits that read as one, and BS. */
	KT_ASSERT_EQ(hypercall_raw(__HYPERVISOR_get_debugreg, 6, 0), 0xffff4ff0, "DR6 after a single step");
	KT_ASSERT_EQ(hypercall_raw(__HYPERVISOR_set_debugreg, 6, 0), 0, "set_debugreg(6, 0)");
}

KTEST(bounce, gp_hlt)
{
	run_trap(X86_EXC_GP, 0, probe_hlt);
	check_frame("#GP", probe_hlt_insn, true, 1, PROBE_FLAGS | FAULT_RF);
	KT_ASSERT_EQ(capture.frame[2], 0, "error code");
}

KTEST(bounce, gp_port_read_at_iopl0)
{
	run_trap(X86_EXC_GP, 0, probe_inb);
	check_frame("#GP", probe_inb_insn, true, 1, PROBE_FLAGS | FAULT_RF);
	KT_ASSERT_EQ(capture.frame[2], 0, "error code");
}

KTEST(bounce, gp_xen_selector)
{
	/* 0xe008 is Xen's own ring-0 code selector: the error code names it. */
	run_trap(X86_EXC_GP, 0, probe_ds_e008);
	check_frame("#GP", probe_ds_insn, true, 1, PROBE_FLAGS | FAULT_RF);
	KT_ASSERT_EQ(capture.frame[2], 0xe008, "error code");
}

KTEST(bounce, gp_null_gdt_selector)
{
	/* GDT entry 2 of our (empty) GDT: not usable, the selector reported. */
	run_trap(X86_EXC_GP, 0, probe_ds_10);
	check_frame("#GP", probe_ds_insn, true, 1, PROBE_FLAGS | FAULT_RF);
	KT_ASSERT_EQ(capture.frame[2], 0x10, "error code");
}

/*
 * INT $0x80 goes through Xen's DPL-3 gate to int80_direct_trap, which
 * delivers to any registered 0x80 entry whatever its DPL, also from the
 * kernel: a trap, so RIP is after the instruction.
 */
KTEST(bounce, int80_kernel_dpl0)
{
	run_trap(0x80, 0, probe_int80);
	check_frame("INT $0x80", probe_int80_after, false, 1, PROBE_FLAGS);
}

KTEST(bounce, int80_kernel_dpl1)
{
	run_trap(0x80, 1, probe_int80);
	check_frame("INT $0x80", probe_int80_after, false, 1, PROBE_FLAGS);
}

KTEST(bounce, event_upcall)
{
	struct evtchn_bind_ipi ipi = { .vcpu = 0 };
	struct evtchn_close close;
	uint64_t stub_next = (uint64_t)hypercall_page + __HYPERVISOR_event_channel_op * 32 + 10;
	uint64_t entered;
	bool pending, signalled;
	long rc;

	rc = hypercall_event_channel_op(EVTCHNOP_bind_ipi, &ipi);
	KT_ASSERT_EQ(rc, 0, "EVTCHNOP_bind_ipi");
	probe_event_arg.port = ipi.port;
	rc = hypercall_set_callbacks((unsigned long)capture_entry, 0, 0);
	KT_ASSERT_EQ(rc, 0, "set_callbacks");
	events_quiet(ipi.port);
	entered = capture_run(probe_event, 0, 0);
	pending = evtchn_is_pending(ipi.port);
	signalled = event_signalled(ipi.port);
	traps_reset();		/* our callbacks back, events still masked */
	/* Our handler was not there to acknowledge it: do it for it. */
	evtchn_clear_pending(ipi.port);
	events_unquiet();
	close.port = ipi.port;
	KT_ASSERT_EQ(hypercall_event_channel_op(EVTCHNOP_close, &close), 0, "close");

	KT_ASSERT(entered, "no upcall after sending to our own IPI port with events unmasked");
	KT_ASSERT(pending, "port %u not pending", ipi.port);
	KT_ASSERT(signalled, "port %u pending, but not signalled (%s ABI)", ipi.port,
		  evtchn_abi_name());
	KT_ASSERT_EQ(capture.mask, 1, "upcall mask at entry (events masked on delivery)");
	KT_ASSERT_EQ(capture.rax, 0, "RAX at entry: the hypercall's result");
	/* The frame is the stub's: it saved RCX/R11 and trapped after SYSCALL. */
	KT_ASSERT_EQ(capture.rsp, ((capture.probe_rsp - 24) & ~15ul) - 56, "handler's RSP");
	KT_ASSERT_EQ(capture.frame[F_RCX], stub_next, "RCX in the frame (SYSCALL's)");
	KT_ASSERT_EQ(capture.frame[F_RIP], stub_next, "RIP in the frame: after the stub's SYSCALL");
	KT_ASSERT_EQ(capture.frame[F_CS], KERNEL_CS_RPL0, "CS in the frame (saved mask 0)");
	KT_ASSERT(capture.frame[F_RFLAGS] & X86_EFLAGS_IF, "RFLAGS.IF clear in the frame (%#lx)",
		  capture.frame[F_RFLAGS]);
	KT_ASSERT_EQ(capture.frame[F_R11], capture.frame[F_RFLAGS], "R11 in the frame (SYSCALL's)");
	KT_ASSERT_EQ(capture.frame[F_RSP], capture.probe_rsp - 24, "RSP in the frame");
	KT_ASSERT_EQ(capture.frame[F_SS], FLAT_KERNEL_SS, "SS in the frame");
}
