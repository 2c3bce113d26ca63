/*
 * Shared by the hostile-guest tests (kernel/tests/hostile_*.c): a guest
 * kernel doing what a malicious one would, each test asserting the answer
 * real Xen gives. These tests must leave the guest as they found it.
 */
#ifndef KERNEL_TESTS_HOSTILE_H
#define KERNEL_TESTS_HOSTILE_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>

#include "arch/x86/regs.h"
#include "kernel/ktest.h"

/* What a caught fault looked like: Xen's bounce frame, as our handler saw it. */
struct caught {
	bool hit;
	unsigned int vector;
	uint32_t ec;
	uint64_t rip, cs, rflags, rsp, ss;
};

/*
 * Run fn(arg) with every exception caught: the fault is recorded in *c and
 * execution resumes after fn as if it had returned. For faults whose RIP
 * is not ours to name in an exception table (a hostile iret frame, a
 * non-canonical RIP). Returns c->hit.
 */
bool catch_fault(void (*fn)(void *), void *arg, struct caught *c);

/* Fail the test unless c caught exactly this fault. */
#define KT_ASSERT_CAUGHT(c, want_vec, want_ec, what)				\
	KT_ASSERT((c).hit && (c).vector == (want_vec) && (c).ec == (want_ec),	\
		  "%s: %s vector %u ec %#x, expected %u ec %#x", what,		\
		  (c).hit ? "got" : "no fault,", (c).vector, (c).ec,		\
		  (unsigned int)(want_vec), (unsigned int)(want_ec))


/*
 * HYPERVISOR_iret with this frame (struct iret_context: the stub pushes
 * RAX, R11 and RCX itself; flags 0). A frame that returns to
 * iret_resume_rip with iret_resume_rsp just carries on; any other frame is
 * expected to fault, under catch_fault().
 */
struct iret_frame {
	uint64_t rip, cs, rflags, rsp, ss;
};
void iret_with(void *frame);		/* a struct iret_frame *, for catch_fault */
void iret_syscall_with(void *frame);	/* the same with VGCF_in_syscall in flags */
void native_iret_with(void *frame);	/* the same through the CPU's own IRETQ */
extern uint64_t iret_resume_rip, iret_resume_rsp;

/* The frame that returns to the caller of iret_with() unharmed. */
struct iret_frame iret_good_frame(void);

/* DR6: what a #DB reports, and its value with nothing to report. */
#define DR6_BS		(1UL << 14)	/* single step */
#define DR6_DEFAULT	0xffff0ff0UL

/* The CPU Xen (or parahost) runs on: answers that depend on the vendor. */
bool cpu_is_intel(void);
bool cpu_is_amd(void);

/* Frames for tests: one of ours, zeroed, mapped read-only in the direct map
 * (ready to become a page table or descriptor page), and back. */
unsigned long ro_frame(void);			/* pfn, or FRAME_NONE */
void ro_frame_free(unsigned long pfn);
/* Our direct-map mapping of pfn, read-only or read-write (update_va_mapping). */
long direct_map(unsigned long pfn, bool writable);
/* An mfn that is RAM but not ours: just below our lowest one. */
xen_pfn_t foreign_mfn(void);

#endif
