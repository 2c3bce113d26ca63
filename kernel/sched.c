/*
 * The scheduler: a run queue in FIFO order, the running thread, and the
 * idle thread, which runs only when the queue is empty and then blocks
 * the vCPU in Xen. Every switch happens with upcalls masked; a thread
 * restores its own mask when it runs again (after schedule() returns, or
 * through HYPERVISOR_iret when it was preempted in an upcall).
 */
#include "arch/x86/hypercall.h"
#include "kernel/kernel.h"
#include "kernel/thread.h"
#include "xen/sched.h"

struct thread *sched_current;
uint64_t sched_switches, sched_idle_blocks, sched_preemptions;

static struct thread main_thread = { .name = "main", .state = THREAD_RUNNING };
static struct thread *idle;
static struct waitq runq;
static bool need_resched;
static struct timer slice;

/* ---- queues: doubly linked through next/prev ---------------------------- */

static void q_add(struct waitq *q, struct thread *t)
{
	t->queue = q;
	t->next = NULL;
	t->prev = q->last;
	if (q->last)
		q->last->next = t;
	else
		q->first = t;
	q->last = t;
}

static void q_remove(struct thread *t)
{
	struct waitq *q = t->queue;

	if (!q)
		return;
	if (t->prev)
		t->prev->next = t->next;
	else
		q->first = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		q->last = t->prev;
	t->queue = NULL;
	t->next = t->prev = NULL;
}

static struct thread *q_pop(struct waitq *q)
{
	struct thread *t = q->first;

	if (t)
		q_remove(t);
	return t;
}

/* ---- time slices -------------------------------------------------------- */

static void slice_end(struct timer *t)
{
	(void)t;
	need_resched = true;
}

/* A slice only while someone else waits for the CPU: tickless otherwise. */
static void slice_start(void)
{
	if (runq.first && sched_current != idle)
		timer_arm(&slice, xen_system_time() + SCHED_SLICE_NS);
	else
		timer_cancel(&slice);
}

/* ---- switching ------------------------------------------------------------ */

void sched_make_runnable(struct thread *t)
{
	unsigned int f = upcalls_off();

	t->state = THREAD_RUNNABLE;
	q_add(&runq, t);
	if (sched_current == idle)
		need_resched = true;	/* the idle thread gives way at once */
	else if (!timer_armed(&slice))
		slice_start();
	upcalls_restore(f);
}

/* With upcalls masked; the current thread's state says whether it stays runnable. */
void schedule(void)
{
	struct thread *prev = sched_current, *next = q_pop(&runq);

	need_resched = false;
	if (!next) {
		if (prev->state == THREAD_RUNNING)
			return;		/* nobody else: carry on */
		next = idle;
	}
	if (prev->state == THREAD_RUNNING && prev != idle) {
		prev->state = THREAD_RUNNABLE;
		q_add(&runq, prev);
	}
	next->state = THREAD_RUNNING;
	sched_current = next;
	slice_start();
	if (next == prev)
		return;
	sched_switches++;
	context_switch(&prev->rsp, next->rsp);
}

void yield(void)
{
	unsigned int f = upcalls_off();

	schedule();
	upcalls_restore(f);
}

void sched_preempt_point(void)
{
	if (!need_resched)
		return;
	sched_preemptions++;
	schedule();
}

/* ---- waiting -------------------------------------------------------------- */

static void wake_thread(struct thread *t)
{
	q_remove(t);
	timer_cancel(&t->wake);
	sched_make_runnable(t);
}

static void deadline_passed(struct timer *tm)
{
	struct thread *t = tm->arg;

	if (t->state == THREAD_BLOCKED)
		wake_thread(t);
}

void waitq_wait(struct waitq *wq, uint64_t deadline)
{
	struct thread *t = sched_current;

	if (t == idle)
		panic("the idle thread may not wait");
	t->state = THREAD_BLOCKED;
	q_add(wq, t);
	if (deadline) {
		t->wake.fn = deadline_passed;
		t->wake.arg = t;
		timer_arm(&t->wake, deadline);
	}
	schedule();
	timer_cancel(&t->wake);
}

void wake_up(struct waitq *wq)
{
	unsigned int f = upcalls_off();
	struct thread *t;

	while ((t = wq->first))
		wake_thread(t);
	upcalls_restore(f);
}

void wake_up_one(struct waitq *wq)
{
	unsigned int f = upcalls_off();

	if (wq->first)
		wake_thread(wq->first);
	upcalls_restore(f);
}

void sleep_until(uint64_t deadline)
{
	struct waitq nobody = { 0 };

	if (deadline)
		wait_event_until(&nobody, false, deadline);
}

void sleep_ns(uint64_t ns)
{
	sleep_until(xen_system_time() + ns);
}

/* ---- idle ----------------------------------------------------------------- */

/*
 * SCHEDOP_block turns upcalls on as it blocks, atomically: an event that
 * comes after our look at the run queue still wakes us (it is delivered
 * as the hypercall returns), which turning them on ourselves first could
 * not promise.
 */
static void idle_loop(void *arg)
{
	(void)arg;
	for (;;) {
		upcalls_off();
		if (runq.first) {
			schedule();
			upcalls_on();
			continue;
		}
		sched_idle_blocks++;
		hypercall_sched_op(SCHEDOP_block, NULL);
	}
}

void sched_init(void)
{
	unsigned int f = upcalls_off();

	sched_current = &main_thread;
	slice.fn = slice_end;
	idle = thread_create("idle", idle_loop, NULL);
	if (!idle)
		panic("sched: no memory for the idle thread");
	/* thread_create queued it; the idle thread never waits in the queue. */
	q_remove(idle);
	timer_cancel(&slice);
	upcalls_restore(f);
}
