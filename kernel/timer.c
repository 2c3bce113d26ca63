/*
 * Software timers: a min-heap of armed timers, the earliest deadline
 * programmed as Xen's single-shot timer. Every change that moves the
 * earliest deadline reprograms it, so Xen only ever holds a deadline
 * someone still waits for: an idle guest is woken once per real
 * deadline, and not at all when nothing waits on time.
 */
#include "kernel/kernel.h"
#include "kernel/timer.h"
#include "xen/evtchn.h"
#include "xen/time.h"

#define MAX_TIMERS	1024

static struct timer *heap[MAX_TIMERS];
static unsigned int nr;

static void place(unsigned int i, struct timer *t)
{
	heap[i] = t;
	t->slot = i + 1;
}

static void sift_up(unsigned int i)
{
	struct timer *t = heap[i];

	while (i > 0 && heap[(i - 1) / 2]->deadline > t->deadline) {
		place(i, heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	place(i, t);
}

static void sift_down(unsigned int i)
{
	struct timer *t = heap[i];

	for (;;) {
		unsigned int c = 2 * i + 1;

		if (c >= nr)
			break;
		if (c + 1 < nr && heap[c + 1]->deadline < heap[c]->deadline)
			c++;
		if (heap[c]->deadline >= t->deadline)
			break;
		place(i, heap[c]);
		i = c;
	}
	place(i, t);
}

static void remove_at(unsigned int i)
{
	struct timer *last = heap[--nr];

	heap[i]->slot = 0;
	if (i == nr)
		return;
	place(i, last);
	sift_down(i);
	sift_up(last->slot - 1);
}

uint64_t timers_next(void)
{
	return nr ? heap[0]->deadline : 0;
}

unsigned int timers_armed(void)
{
	return nr;
}

static void reprogram(void)
{
	uint64_t next = timers_next();

	/* A deadline of 0 would mean "none": the earliest real one is 1. */
	if (next == 0 && nr)
		next = 1;
	time_program(next);
}

void timer_arm(struct timer *t, uint64_t deadline)
{
	unsigned int f = upcalls_off();
	uint64_t before = timers_next();

	if (t->slot)
		remove_at(t->slot - 1);
	if (nr == MAX_TIMERS)
		panic("timer: more than %u timers armed", MAX_TIMERS);
	t->deadline = deadline;
	place(nr++, t);
	sift_up(nr - 1);
	if (timers_next() != before)
		reprogram();
	upcalls_restore(f);
}

bool timer_cancel(struct timer *t)
{
	unsigned int f = upcalls_off();
	bool was = t->slot != 0;
	uint64_t before = timers_next();

	if (was) {
		remove_at(t->slot - 1);
		if (timers_next() != before)
			reprogram();
	}
	upcalls_restore(f);
	return was;
}

void timers_expire(void)
{
	unsigned int f = upcalls_off();
	uint64_t now = xen_system_time();

	while (nr && heap[0]->deadline <= now) {
		struct timer *t = heap[0];

		remove_at(0);
		t->fn(t);
		/* A callback may arm timers; time moved on meanwhile too. */
		now = xen_system_time();
	}
	reprogram();
	upcalls_restore(f);
}
