/*
 * Catching what Xen hands a handler: the tests point a trap-table entry (or
 * a callback) at capture_entry, run a probe through capture_run, and get
 * back the registers at handler entry and the bounce frame Xen pushed,
 * lowest address first: rcx, r11, [error code], rip, cs, rflags, rsp, ss.
 * capture_entry never returns to the probe: it switches back to
 * capture_run's stack, as a longjmp would, so the probe may be anything
 * that ends by entering the handler (a fault, an event, a syscall from user
 * mode).
 */
#ifndef KERNEL_TESTS_CAPTURE_H
#define KERNEL_TESTS_CAPTURE_H

#include <stdint.h>
#include <xen/xen.h>

#include "arch/x86/hypercall.h"
#include "kernel/kernel.h"
#include "xen/evtchn.h"
#include "xen/start_info.h"

struct capture {
	uint64_t entered;			/* 1 once capture_entry ran */
	uint64_t rcx, r11, rax, rsp, rflags;	/* at handler entry */
	uint64_t mask;				/* vcpu 0's upcall mask at entry */
	uint64_t frame[9];			/* from the entry RSP up */
	uint64_t probe_rsp;			/* set by a probe just before it traps */
};
extern struct capture capture;

void capture_entry(void);

/*
 * Run fn in guest kernel mode (user_rsp 0: called on this stack), or in
 * guest user mode entered with HYPERVISOR_iret at user_rsp with RFLAGS
 * user_rflags. Returns capture.entered.
 */
uint64_t capture_run(void (*fn)(void), uint64_t user_rsp, uint64_t user_rflags);

/* Arithmetic flags the probes load before trapping, so the frame's RFLAGS
 * is known exactly: CF PF AF ZF SF OF. */
#define PROBE_FLAGS	0x8d5ul

#define X86_EFLAGS_MBS	(1ul << 1)	/* reads as one */
#define X86_EFLAGS_TF	(1ul << 8)
#define X86_EFLAGS_IF	(1ul << 9)
#define X86_EFLAGS_DF	(1ul << 10)

/*
 * The CPU sets RF in the RFLAGS image of every fault but an instruction
 * breakpoint (SDM Vol. 3, the RF flag, in the debug chapter) and Xen hands
 * that image on: a fault's frame has RF, a trap's (#BP, #DB, INT n, and the
 * exceptions Xen makes up for a SYSCALL or INT $0x80 without a handler)
 * has not. Xen on QEMU 7.2's TCG cannot show it (rf-fault-frame), so the
 * frame checks leave RF out there.
 */
#define FAULT_RF	X86_EFLAGS_RF

/*
 * While a test has events unmasked, only its own event may come in: an
 * upcall stacked on top of the one under test would change what the
 * handler sees. events_quiet masks every port but keep, which it unmasks
 * without raising anything, and forgets what is queued; events_unquiet
 * puts the masks back and re-raises what came meanwhile (xen/evtchn.h:
 * the same on both ABIs).
 */
static inline void events_quiet(evtchn_port_t keep)
{
	evtchn_quiet(keep);
}

static inline void events_unquiet(void)
{
	evtchn_unquiet();
}

/* A trap-table entry of our own; traps_reset() (kernel.h) puts ours back. */
static inline long trap_set(unsigned int vec, void (*fn)(void), unsigned int flags)
{
	struct trap_info t[2] = {
		{ .vector = (uint8_t)vec, .flags = (uint8_t)flags, .cs = FLAT_KERNEL_CS,
		  .address = (unsigned long)fn },
		{ 0, 0, 0, 0 },
	};

	return hypercall_set_trap_table(t);
}

#endif
