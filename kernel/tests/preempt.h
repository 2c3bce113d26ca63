/*
 * One VIRQ_TIMER upcall timed to land inside a long hypercall, and where
 * it found the guest: for the tests that a hypercall is preempted mid-way
 * (Xen's continuations). Used by hostile_preempt*.c.
 */
#ifndef KERNEL_TESTS_PREEMPT_H
#define KERNEL_TESTS_PREEMPT_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/ktest.h"

/*
 * call(n): the hypercall on n elements that fill(n) prepared, with
 * VIRQ_TIMER due 1 ms into it. n starts where a first, measured call says
 * it lasts ~10 ms, and doubles (up to MAX_ELEMENTS) while the call ends
 * before the timer; at MAX_ELEMENTS the timer comes sooner instead (down to
 * 62.5 us). The point is a timer that lands inside the call, on any CPU
 * and under any load: a first measurement taken while the emulator was
 * descheduled once left every try too short. A timer that lands before the
 * call even began (no element done: the emulator's thread was off the host
 * CPU for longer than the delay, so the timer was overdue when it came
 * back) says nothing either way, and is tried again on its own budget, so
 * that a loaded host cannot use up the tries that adapt n and the delay.
 */
#define MAX_ELEMENTS	32768

struct timed {
	long rc, arm;
	unsigned long n;
};
struct timed timed_call(void (*fill)(unsigned long n), long (*call)(unsigned long n));

/* What the call has done so far, sampled by the upcall (set before timed_call). */
extern uint64_t (*preempt_progress)(void);
extern volatile bool upcall_hit;
extern volatile uint64_t upcall_rip, upcall_progress;

/* The stub's SYSCALL: where a continuation leaves us (hypercall.h's page layout). */
uint64_t stub_syscall(unsigned int nr);

#define KT_ASSERT_MID_WAY(t, nr, what)						\
	do {									\
		KT_ASSERT_EQ((t).arm, 0, "arming VIRQ_TIMER");			\
		KT_ASSERT(upcall_hit, "the timer never fired during %s of %lu", what, (t).n); \
		KT_ASSERT(upcall_rip == stub_syscall(nr) && upcall_progress > 0 &&	\
			  upcall_progress < (t).n,					\
			  "the timer's upcall came at RIP %#lx with %lu of %lu done: " \
			  "not in the middle of %s", (unsigned long)upcall_rip,	\
			  (unsigned long)upcall_progress, (t).n, what);		\
	} while (0)

#endif
