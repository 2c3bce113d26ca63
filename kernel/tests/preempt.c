/*
 * One VIRQ_TIMER upcall timed to land inside a long hypercall
 * (kernel/tests/preempt.h): the kernel lends us its timer VIRQ, we bind it
 * to a port of our own with only that port unmasked, and note where the
 * upcall found us and how far the call had got.
 */
#include <xen/errno.h>
#include <xen/grant_table.h>
#include <xen/physdev.h>

#include "arch/x86/extable.h"
#include "arch/x86/hypercall.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "kernel/tests/hostile.h"
#include "kernel/tests/probe.h"
#include "kernel/tests/self.h"
#include "mm/frames.h"
#include "mm/kmalloc.h"
#include "mm/mmu.h"
#include "mm/p2m.h"
#include "mm/pagetable.h"
#include "mm/vmap.h"
#include "xen/evtchn.h"
#include "xen/start_info.h"
#include "xen/time.h"
#include "kernel/tests/preempt.h"

/* ---- one VIRQ_TIMER upcall, and where it found us --------------------------- */

static evtchn_port_t timer_port;
uint64_t (*preempt_progress)(void);
volatile bool upcall_hit;
volatile uint64_t upcall_rip, upcall_progress;

static bool port_pending(evtchn_port_t p)
{
	return evtchn_is_pending(p);
}

static void on_upcall(const struct cpu_regs *r)
{
	if (upcall_hit || !port_pending(timer_port))
		return;
	upcall_hit = true;
	upcall_rip = r->rip;
	upcall_progress = preempt_progress ? preempt_progress() : 0;
}

/* Only our timer port unmasked, the timer due in delay_ns, upcalls on. */
static long arm_timer(uint64_t delay_ns)
{
	struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
	struct vcpu_set_singleshot_timer t = { 0 };
	long rc;

	/* The kernel lends its VIRQ; no periodic tick may make the port pending first. */
	time_lend_virq();
	hypercall_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
	rc = hypercall_event_channel_op(EVTCHNOP_bind_virq, &bv);
	if (rc) {
		time_reclaim_virq();
		return rc;
	}
	timer_port = bv.port;
	evtchn_quiet(timer_port);
	evtchn_clear_pending(timer_port);
	upcall_hit = false;
	upcall_hook = on_upcall;
	t.timeout_abs_ns = xen_system_time() + delay_ns;
	rc = hypercall_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
	shared_info->vcpu_info[0].evtchn_upcall_mask = 0;
	return rc;
}

static void disarm_timer(void)
{
	struct evtchn_close c = { .port = timer_port };
	struct vcpu_set_periodic_timer p = { .period_ns = 10000000 };	/* Xen's default */

	shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
	hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
	hypercall_event_channel_op(EVTCHNOP_close, &c);
	upcall_hook = NULL;
	evtchn_clear_pending(timer_port);
	evtchn_unquiet();
	hypercall_vcpu_op(VCPUOP_set_periodic_timer, 0, &p);
	/* The kernel's VIRQ back, its periodic timer stopped again (tickless). */
	time_reclaim_virq();
}

/* The stub's SYSCALL: where a continuation leaves us (hypercall.h's page layout). */
uint64_t stub_syscall(unsigned int nr)
{
	return (uint64_t)hypercall_page + nr * 32 + 8;
}

struct timed timed_call(void (*fill)(unsigned long n), long (*call)(unsigned long n))
{
	struct timed t = { 0 };
	uint64_t t0;

	fill(256);
	call(256);				/* warm up */
	fill(256);
	t0 = xen_system_time();
	call(256);
	t.n = 256UL * 10000000 / (xen_system_time() - t0 + 1);
	t.n = t.n < 1024 ? 1024 : t.n > MAX_ELEMENTS ? MAX_ELEMENTS : t.n;
	for (unsigned int tries = 0, early = 0, delay_ns = 1000000; ; ) {
		fill(t.n);
		t.arm = arm_timer(delay_ns);
		t.rc = call(t.n);
		disarm_timer();
		if (t.arm || tries == 12 || early == 16 || (upcall_hit && upcall_progress > 0))
			break;
		if (upcall_hit) {
			early++;
			continue;
		}
		tries++;
		if (t.n < MAX_ELEMENTS)
			t.n = 2 * t.n > MAX_ELEMENTS ? MAX_ELEMENTS : 2 * t.n;
		else if (delay_ns > 62500)
			delay_ns /= 2;
		else
			break;
	}
	/* Only now: every try samples the same progress (a try used to find it gone). */
	preempt_progress = NULL;
	return t;
}
