/*
 * Software timers behind the one hardware deadline: a binary heap keyed
 * on the deadline (system time, ns). Only the earliest is ever given to
 * Xen, and none at all when the heap is empty (tickless). Callbacks run
 * in the upcall, with upcalls masked, at or after their deadline, never
 * before.
 */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct timer {
	uint64_t deadline;
	void (*fn)(struct timer *t);
	void *arg;
	unsigned int slot;	/* heap index + 1; 0: not armed */
};

/* (Re)arm t for deadline; a deadline already past fires at the next upcall. */
void timer_arm(struct timer *t, uint64_t deadline);
/* True if t was armed (it will not fire now). */
bool timer_cancel(struct timer *t);
static inline bool timer_armed(const struct timer *t) { return t->slot != 0; }

/* The earliest deadline, or 0 if none. */
uint64_t timers_next(void);
/* From VIRQ_TIMER: run what is due, program the next deadline. */
void timers_expire(void);
/* Timers armed now (for tests). */
unsigned int timers_armed(void);

#endif
