/* The thread record, shared by thread.c (life and death) and sched.c. */
#ifndef KERNEL_THREAD_H
#define KERNEL_THREAD_H

#include "kernel/sched.h"
#include "arch/x86/page.h"
#include "kernel/timer.h"

enum thread_state { THREAD_RUNNING, THREAD_RUNNABLE, THREAD_BLOCKED, THREAD_DEAD };

struct thread {
	uint64_t rsp;			/* saved by context_switch */
	const char *name;
	enum thread_state state;
	/* On the run queue or one wait queue, never both. */
	struct thread *next, *prev;
	struct waitq *queue;
	struct timer wake;		/* a waitq_wait deadline */
	struct waitq joiners;
	void (*fn)(void *arg);
	void *arg;
	unsigned long stack_va;		/* the guard page; 0: the boot stack */
};

#define THREAD_STACK_PAGES	(THREAD_STACK_BYTES / PAGE_SIZE)

void context_switch(uint64_t *save_rsp, uint64_t next_rsp);
/* sched.c: the queues a thread moves between. */
void sched_make_runnable(struct thread *t);
void schedule(void);
extern struct thread *sched_current;

#endif
