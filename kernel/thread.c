/*
 * Threads: their stacks, their start and their end. Each stack is a run
 * of pages in the vmap area with the page below it left unmapped, so an
 * overflow faults on the guard page instead of overwriting whatever
 * lies below.
 */
#include "kernel/kernel.h"
#include "kernel/thread.h"
#include "mm/frames.h"
#include "mm/kmalloc.h"
#include "mm/p2m.h"
#include "mm/pagetable.h"
#include "mm/vmap.h"

extern char thread_trampoline[];
void thread_start(void);

static void free_stack(unsigned long va, unsigned int mapped)
{
	for (unsigned int i = 1; i <= mapped; i++) {
		uint64_t pte = pt_get(va + i * PAGE_SIZE);

		if (pte & _PAGE_PRESENT) {
			unmap_range(va + i * PAGE_SIZE, 1);
			frame_free(mfn_to_pfn(pte_mfn(pte)));
		}
	}
	vmap_free(va, THREAD_STACK_PAGES + 1);
}

/* The guard page and THREAD_STACK_PAGES mapped above it; 0 if no memory. */
static unsigned long alloc_stack(void)
{
	unsigned long va = vmap_alloc(THREAD_STACK_PAGES + 1);
	struct pt_batch b = { 0 };

	if (!va)
		return 0;
	for (unsigned int i = 1; i <= THREAD_STACK_PAGES; i++) {
		unsigned long pfn = frame_alloc();

		if (pfn == FRAME_NONE ||
		    pt_set(&b, va + i * PAGE_SIZE,
			   ((uint64_t)pfn_to_mfn(pfn) << PAGE_SHIFT) | PTE_KERNEL_RW | _PAGE_NX)) {
			if (pfn != FRAME_NONE)
				frame_free(pfn);
			pt_commit(&b);
			free_stack(va, i - 1);
			return 0;
		}
	}
	pt_commit(&b);
	return va;
}

struct thread *thread_create(const char *name, void (*fn)(void *arg), void *arg)
{
	struct thread *t = kzalloc(sizeof(*t));
	uint64_t *sp;

	if (!t)
		return NULL;
	t->stack_va = alloc_stack();
	if (!t->stack_va) {
		kfree(t);
		return NULL;
	}
	t->name = name;
	t->fn = fn;
	t->arg = arg;
	/* What context_switch pops: six callee-saved registers, then "return". */
	sp = (uint64_t *)(t->stack_va + (THREAD_STACK_PAGES + 1) * PAGE_SIZE);
	*--sp = 0;
	*--sp = (uint64_t)thread_trampoline;
	for (int i = 0; i < 6; i++)
		*--sp = 0;
	t->rsp = (uint64_t)sp;
	sched_make_runnable(t);
	return t;
}

void thread_start(void)
{
	struct thread *t = sched_current;

	/* A new thread begins with upcalls on, as a kernel thread normally runs. */
	upcalls_on();
	t->fn(t->arg);
	thread_exit();
}

void thread_exit(void)
{
	struct thread *t = sched_current;

	upcalls_off();
	t->state = THREAD_DEAD;
	wake_up(&t->joiners);
	schedule();
	panic("thread %s ran after its exit", t->name);
}

void thread_join(struct thread *t)
{
	wait_event(&t->joiners, t->state == THREAD_DEAD);
	/* It switched away for the last time before we could run: the stack is free. */
	free_stack(t->stack_va, THREAD_STACK_PAGES);
	kfree(t);
}

struct thread *thread_current(void)
{
	return sched_current;
}

const char *thread_name(const struct thread *t)
{
	return t->name;
}

void thread_stack(const struct thread *t, unsigned long *bottom, unsigned long *top)
{
	*bottom = t->stack_va + PAGE_SIZE;
	*top = t->stack_va + (THREAD_STACK_PAGES + 1) * PAGE_SIZE;
}
