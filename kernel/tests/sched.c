/*
 * HYPERVISOR_sched_op as Xen 4.17 answers a 64-bit PV guest: yield, the
 * watchdogs, poll, and what a domU may not do (blocking on a timer is in
 * timer.c; shutting down ends the suite). Then the kernel's scheduler on
 * top: threads, preemption, guard pages, mutexes, semaphores, wait
 * queues, and the idle vCPU blocked in Xen until an event.
 */
#include <xen/errno.h>
#include <xen/sched.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/tests/probe.h"
#include "kernel/timer.h"
#include "xen/evtchn.h"
#include "xen/start_info.h"
#include "xen/time.h"

#define NR_WATCHDOGS	2	/* per domain, in Xen 4.17 */

static long watchdog(uint32_t id, uint32_t timeout)
{
	struct sched_watchdog wd = { .id = id, .timeout = timeout };

	return hypercall_sched_op(SCHEDOP_watchdog, &wd);
}

static long poll(evtchn_port_t *ports, unsigned int n, uint64_t timeout)
{
	struct sched_poll sp = { .nr_ports = n, .timeout = timeout };

	set_xen_guest_handle(sp.ports, ports);
	return hypercall_sched_op(SCHEDOP_poll, &sp);
}

static void clear_pending(evtchn_port_t port)
{
	evtchn_clear_pending(port);
}

KTEST(sched, yield)
{
	KT_ASSERT_EQ(hypercall_sched_op(SCHEDOP_yield, NULL), 0, "SCHEDOP_yield");
}

KTEST(sched, unknown_op)
{
	KT_ASSERT_EQ(hypercall_sched_op(99, NULL), -XEN_ENOSYS, "sched_op 99");
}

KTEST(sched, remote_shutdown)
{
	struct sched_remote_shutdown rs = { .domain_id = 0, .reason = SHUTDOWN_poweroff };

	if (is_initial_domain()) {
		/* dom0 may, but there is no domain 5 to shut down. */
		rs.domain_id = 5;
		KT_ASSERT_EQ(hypercall_sched_op(SCHEDOP_remote_shutdown, &rs), -XEN_ESRCH,
			     "remote_shutdown(5) from dom0");
		return;
	}
	KT_ASSERT_EQ(hypercall_sched_op(SCHEDOP_remote_shutdown, &rs), -XEN_EPERM,
		     "a domU shutting down dom0");
}

KTEST(sched, watchdogs)
{
	long ids[NR_WATCHDOGS + 1];
	long destroyed[NR_WATCHDOGS];

	/* Ids count from 1, lowest free first; 0 names "a new one". */
	for (unsigned int i = 0; i <= NR_WATCHDOGS; i++)
		ids[i] = watchdog(0, 30);
	for (unsigned int i = 0; i < NR_WATCHDOGS; i++)
		destroyed[i] = watchdog((uint32_t)ids[i], 0);
	KT_ASSERT(ids[0] == 1 && ids[1] == 2, "new watchdogs got ids %ld, %ld", ids[0], ids[1]);
	/*
	 * Xen's domain_watchdog picks -ENOSPC or id + 1 (unsigned) in one
	 * conditional, so the error comes back zero-extended from 32 bits.
	 */
	KT_ASSERT_EQ(ids[NR_WATCHDOGS], (uint32_t)-XEN_ENOSPC, "a watchdog beyond the domain's two");
	KT_ASSERT(destroyed[0] == 0 && destroyed[1] == 0, "destroying: %ld, %ld",
		  destroyed[0], destroyed[1]);
	KT_ASSERT_EQ(watchdog(1, 0), -XEN_EINVAL, "destroying a destroyed watchdog");
	KT_ASSERT_EQ(watchdog(7, 0), -XEN_EINVAL, "destroying watchdog 7");
}

KTEST(sched, poll_refused)
{
	static evtchn_port_t ports[200];

	KT_ASSERT_EQ(poll(ports, 200, xen_system_time() + 1000000), -XEN_EINVAL,
		     "poll on more than 128 ports");
	ports[0] = 5000;
	KT_ASSERT_EQ(poll(ports, 1, xen_system_time() + 1000000), -XEN_EINVAL,
		     "poll on a port beyond the ABI's");
}

KTEST(sched, poll_times_out)
{
	struct evtchn_bind_ipi ipi = { .vcpu = 0 };
	struct evtchn_close close;
	uint64_t t0, t1;
	long rc;

	KT_ASSERT_EQ(hypercall_event_channel_op(EVTCHNOP_bind_ipi, &ipi), 0, "bind_ipi");
	/* A new event on any unmasked port would end the poll early (Xen kicks the vCPU). */
	evtchn_quiet(0);
	t0 = xen_system_time();
	rc = poll(&ipi.port, 1, t0 + 3000000);
	t1 = xen_system_time();
	evtchn_unquiet();
	close.port = ipi.port;
	hypercall_event_channel_op(EVTCHNOP_close, &close);
	KT_ASSERT_EQ(rc, 0, "poll with a timeout");
	/* Nothing was sent: only the timeout can have woken us. */
	KT_ASSERT(t1 - t0 >= 3000000, "poll returned after %lu ns, before its 3 ms timeout", t1 - t0);
}

KTEST(sched, poll_pending_port)
{
	struct evtchn_bind_ipi ipi = { .vcpu = 0 };
	struct evtchn_send send;
	struct evtchn_close close;
	long rc;

	KT_ASSERT_EQ(hypercall_event_channel_op(EVTCHNOP_bind_ipi, &ipi), 0, "bind_ipi");
	send.port = ipi.port;
	KT_ASSERT_EQ(hypercall_event_channel_op(EVTCHNOP_send, &send), 0, "send");
	/* No timeout: it returns because the port is pending, even masked. */
	rc = poll(&ipi.port, 1, 0);
	close.port = ipi.port;
	hypercall_event_channel_op(EVTCHNOP_close, &close);
	clear_pending(ipi.port);
	KT_ASSERT_EQ(rc, 0, "poll on a pending port");
}

/* ---- the kernel's threads (kernel/sched.h) -------------------------------------- */

static volatile unsigned long ran;

static void run_once(void *arg)
{
	__atomic_fetch_add(&ran, (unsigned long)(uintptr_t)arg, __ATOMIC_SEQ_CST);
}

KTEST(sched, threads_run_and_join)
{
	struct thread *t[3];

	ran = 0;
	for (uintptr_t i = 0; i < 3; i++)
		t[i] = thread_create("once", run_once, (void *)(1UL << i));
	for (unsigned int i = 0; i < 3; i++)
		if (t[i])
			thread_join(t[i]);
	for (unsigned int i = 0; i < 3; i++)
		KT_ASSERT(t[i], "no memory for thread %u", i);
	KT_ASSERT_EQ(ran, 7, "what the three threads added");
}

/*
 * Two threads that never yield: without preemption the first would spin
 * for ever and the second never run. Both make progress, and the main
 * thread gets the CPU back to stop them, all from the time slice.
 */
static volatile bool stop_spinning;
static volatile uint64_t spins[2];

static void spinner(void *arg)
{
	unsigned int i = (unsigned int)(uintptr_t)arg;

	while (!stop_spinning)
		spins[i]++;
}

KTEST(sched, two_busy_threads_both_progress)
{
	struct thread *t[2];
	uint64_t preempted = sched_preemptions;

	stop_spinning = false;
	spins[0] = spins[1] = 0;
	for (uintptr_t i = 0; i < 2; i++)
		t[i] = thread_create("spinner", spinner, (void *)i);
	sleep_ns(100 * NSEC_PER_MSEC);
	stop_spinning = true;
	for (unsigned int i = 0; i < 2; i++)
		if (t[i])
			thread_join(t[i]);
	KT_ASSERT(t[0] && t[1], "no memory for the threads");
	KT_ASSERT(spins[0] > 0 && spins[1] > 0, "progress: %lu and %lu spins", spins[0], spins[1]);
	KT_ASSERT(sched_preemptions > preempted, "no thread was ever preempted");
}

/* Below a thread's stack: the guard page, not mapped. */
static struct waitq parked;
static volatile bool unpark;

static void park(void *arg)
{
	(void)arg;
	wait_event(&parked, unpark);
}

KTEST(sched, stack_guard_page)
{
	struct thread *t;
	unsigned long bottom, top;
	uint64_t below, lowest;

	unpark = false;
	t = thread_create("parked", park, NULL);
	KT_ASSERT(t, "no memory for a thread");
	thread_stack(t, &bottom, &top);
	below = probe_read(bottom - 8);
	lowest = probe_read(bottom);
	unpark = true;
	wake_up(&parked);
	thread_join(t);
	KT_ASSERT_EQ(top - bottom, THREAD_STACK_BYTES, "stack size");
	KT_ASSERT_EQ(lowest, 0, "reading the lowest stack word");
	/* Not present, a read, from the kernel (Xen: user bit = guest user mode). */
	KT_ASSERT_FAULT(below, X86_EXC_PF, 0);
}

/* A critical section that yields in the middle still admits one thread at a time. */
static struct mutex lock;
static unsigned long shared_value;

static void mutex_user(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < 50; i++) {
		unsigned long v;

		mutex_lock(&lock);
		v = shared_value;
		yield();
		shared_value = v + 1;
		mutex_unlock(&lock);
	}
}

KTEST(sched, mutex_excludes)
{
	struct thread *t[3];

	shared_value = 0;
	for (unsigned int i = 0; i < 3; i++)
		t[i] = thread_create("locker", mutex_user, NULL);
	for (unsigned int i = 0; i < 3; i++)
		if (t[i])
			thread_join(t[i]);
	for (unsigned int i = 0; i < 3; i++)
		KT_ASSERT(t[i], "no memory for a thread");
	KT_ASSERT_EQ(shared_value, 150, "increments under the mutex");
	KT_ASSERT(lock.owner == NULL, "the mutex is still held");
}

static struct semaphore items;
static volatile unsigned int consumed;

static void consumer(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < 10; i++) {
		sem_down(&items);
		consumed++;
	}
}

KTEST(sched, semaphore_counts)
{
	struct thread *t = thread_create("consumer", consumer, NULL);
	uint64_t deadline;
	bool got;

	KT_ASSERT(t, "no memory for a thread");
	consumed = 0;
	for (unsigned int i = 0; i < 10; i++) {
		sem_up(&items);
		if (i % 3 == 0)
			sleep_ns(NSEC_PER_MSEC);
	}
	thread_join(t);
	/* Nothing left: a timed down gives up at its deadline, not before. */
	deadline = xen_system_time() + 5 * NSEC_PER_MSEC;
	got = sem_down_until(&items, deadline);
	KT_ASSERT_EQ(consumed, 10, "items the consumer got");
	KT_ASSERT(!got, "sem_down_until took an item that was never there");
	KT_ASSERT(xen_system_time() >= deadline, "gave up before the deadline");
}

/* Every waiter on a queue wakes on wake_up, each once. */
static struct waitq crowd;
static volatile bool go;
static volatile unsigned int woke;

static void crowd_member(void *arg)
{
	(void)arg;
	wait_event(&crowd, go);
	woke++;
}

KTEST(sched, wake_up_wakes_all)
{
	struct thread *t[4];
	unsigned int before;

	go = false;
	woke = 0;
	for (unsigned int i = 0; i < 4; i++)
		t[i] = thread_create("crowd", crowd_member, NULL);
	yield();			/* they all go to sleep on the queue */
	before = woke;
	go = true;
	wake_up(&crowd);
	for (unsigned int i = 0; i < 4; i++)
		if (t[i])
			thread_join(t[i]);
	for (unsigned int i = 0; i < 4; i++)
		KT_ASSERT(t[i], "no memory for a thread");
	KT_ASSERT_EQ(before, 0, "woke before wake_up");
	KT_ASSERT_EQ(woke, 4, "woken");
}

/*
 * The idle vCPU blocks in Xen and wakes on an event that comes from
 * outside while it sleeps: Xen's own timer, programmed directly, with no
 * software timer behind it (so nothing of ours would wake us). A backend's
 * reply is no good here: parahost's xenstored answers within the
 * hypercall that kicks it, before we could block. A watchdog is the
 * safety net: if the event never came, Xen would end the domain.
 */
KTEST(sched, idle_wakes_on_event)
{
	long wd = watchdog(0, 30);
	uint64_t blocks = sched_idle_blocks, seen, after, armed, deadline;
	evtchn_port_t port = (evtchn_port_t)time_virq_port();

	KT_ASSERT(wd > 0, "SCHEDOP_watchdog = %ld", wd);
	seen = evtchn_count(port);
	armed = timers_armed();
	deadline = xen_system_time() + 5 * NSEC_PER_MSEC;
	time_program(deadline);
	after = evtchn_wait(port, seen, 0);
	watchdog((uint32_t)wd, 0);
	KT_ASSERT(port != 0, "the kernel holds no VIRQ_TIMER port");
	KT_ASSERT_EQ(armed, 0, "software timers armed while waiting");
	KT_ASSERT(after > seen, "woke without an event on port %u", port);
	KT_ASSERT(xen_system_time() >= deadline, "the timer event came early");
	KT_ASSERT(sched_idle_blocks > blocks, "the idle thread never blocked the vCPU");
}
