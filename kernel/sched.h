/*
 * Kernel threads and the scheduler: preemptive round-robin on one vCPU.
 * A thread runs until it blocks, yields, or its time slice (a software
 * timer, armed only while another thread is runnable) ends while it
 * runs with upcalls on. When nothing is runnable the idle thread blocks
 * the vCPU in Xen (SCHEDOP_block).
 *
 * Wait queues, sleeping, mutexes and semaphores are built on one
 * primitive: waitq_wait(), called with upcalls masked, which sleeps
 * until wake_up() or a deadline. Handlers (upcall context) may wake, but
 * never wait.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "xen/evtchn.h"
#include "xen/time.h"

struct thread;

struct waitq {
	struct thread *first, *last;
};

void sched_init(void);

/* A thread with its own stack (and an unmapped guard page below it). */
struct thread *thread_create(const char *name, void (*fn)(void *arg), void *arg);
/* Wait until t has returned from fn, then free it. */
void thread_join(struct thread *t);
void thread_exit(void) __attribute__((noreturn));
struct thread *thread_current(void);
const char *thread_name(const struct thread *t);
/* The lowest and the top address of t's stack (the guard page is below). */
#define THREAD_STACK_BYTES	(4 * 4096UL)
void thread_stack(const struct thread *t, unsigned long *bottom, unsigned long *top);

void yield(void);
void sleep_ns(uint64_t ns);
void sleep_until(uint64_t deadline);

/* With upcalls masked: sleep until woken or the deadline (0: none) passes. */
void waitq_wait(struct waitq *wq, uint64_t deadline);
void wake_up(struct waitq *wq);
void wake_up_one(struct waitq *wq);

/*
 * Sleep until cond holds (true) or the deadline passes (false). cond is
 * evaluated with upcalls masked, so a handler cannot change it between
 * the test and the sleep.
 */
#define wait_event_until(wq, cond, deadline)					\
	({									\
		unsigned int f_ = upcalls_off();				\
		uint64_t d_ = (deadline);					\
		bool ok_;							\
		for (;;) {							\
			if (cond) {						\
				ok_ = true;					\
				break;						\
			}							\
			if (d_ && xen_system_time() >= d_) {			\
				ok_ = false;					\
				break;						\
			}							\
			waitq_wait(wq, d_);					\
		}								\
		upcalls_restore(f_);						\
		ok_;								\
	})
#define wait_event(wq, cond)	wait_event_until(wq, cond, 0)

struct mutex {
	struct thread *owner;
	struct waitq waiters;
};
void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);

struct semaphore {
	unsigned long count;
	struct waitq waiters;
};
void sem_up(struct semaphore *s);
void sem_down(struct semaphore *s);
/* False if the deadline passed first. */
bool sem_down_until(struct semaphore *s, uint64_t deadline);

/* The end of an upcall that interrupted kernel code running with upcalls on. */
void sched_preempt_point(void);

/* Context switches, times the idle thread blocked the vCPU, preemptions. */
extern uint64_t sched_switches, sched_idle_blocks, sched_preemptions;
/* The time slice, ns. */
#define SCHED_SLICE_NS	(10 * NSEC_PER_MSEC)

#endif
