/* Mutexes and counting semaphores, on wait queues (kernel/sched.h). */
#include "kernel/kernel.h"
#include "kernel/thread.h"

void mutex_lock(struct mutex *m)
{
	unsigned int f = upcalls_off();

	if (m->owner == sched_current)
		panic("mutex_lock: %s holds it already", sched_current->name);
	while (m->owner)
		waitq_wait(&m->waiters, 0);
	m->owner = sched_current;
	upcalls_restore(f);
}

void mutex_unlock(struct mutex *m)
{
	unsigned int f = upcalls_off();

	if (m->owner != sched_current)
		panic("mutex_unlock: %s does not hold it", sched_current->name);
	m->owner = NULL;
	/* One waiter is enough: it takes the mutex, the others would only sleep again. */
	wake_up_one(&m->waiters);
	upcalls_restore(f);
}

void sem_up(struct semaphore *s)
{
	unsigned int f = upcalls_off();

	s->count++;
	wake_up_one(&s->waiters);
	upcalls_restore(f);
}

bool sem_down_until(struct semaphore *s, uint64_t deadline)
{
	unsigned int f = upcalls_off();
	bool ok = wait_event_until(&s->waiters, s->count > 0, deadline);

	if (ok)
		s->count--;
	upcalls_restore(f);
	return ok;
}

void sem_down(struct semaphore *s)
{
	sem_down_until(s, 0);
}
