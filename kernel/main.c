/*
 * start_kernel: from Xen's start of day to the test suite. The order
 * matters: shared_info before the trap table (the #PF handler reads CR2
 * from it), the console before anything that prints, the trap table
 * before mm_init (a fault there must be reported, not lost), memory
 * before events (FIFO's pages) and grants (their frames are mapped),
 * events before time (VIRQ_TIMER), time before threads (time slices),
 * threads before xenstore (its watch thread).
 */
#include "drivers/pv/blkfront.h"
#include "kernel/bench.h"
#include "kernel/cmdline.h"
#include "kernel/cpuid_walk.h"
#include "kernel/durable.h"
#include "kernel/fuzz.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "arch/x86/hypercall.h"
#include "kernel/sched.h"
#include "mm/mm.h"
#include "xen/console.h"
#include "xen/evtchn.h"
#include "xen/grant_table.h"
#include "xen/start_info.h"
#include "xen/time.h"
#include "xen/version.h"
#include "xen/xenstore.h"

void start_kernel(const struct start_info *si);

uint64_t boot_ready_tsc;
uint64_t boot_running_ns[2];	/* vCPU running time by Xen's runstate: at entry, at ready */

/* Time this vCPU has spent running, by Xen's runstate accounting. */
static uint64_t running_ns(void)
{
	struct vcpu_runstate_info r;

	if (hypercall_vcpu_op(VCPUOP_get_runstate_info, 0, &r))
		return 0;
	/* Xen counts the current state's time up to the call (vcpu_runstate_get). */
	return r.time[RUNSTATE_running];
}

static uint64_t rdtsc_now(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

void start_kernel(const struct start_info *si)
{
	long rc;

	start_info_init(si);
	boot_running_ns[0] = running_ns();
	console_init();
	kprintf("ParaOS booting (%s)\n",
		is_initial_domain() ? "initial domain" : "domU");
	start_info_print();
	if (start_info_problem())
		panic("%s", start_info_problem());
	version_init();
	traps_init();
	mm_init();
	evtchn_init();
	if ((rc = gnttab_init()))
		kprintf("gnttab: no grant table (%ld): nothing can be shared\n", rc);
	time_init();
	sched_init();
	console_start();
	boot_ready_tsc = rdtsc_now();
	boot_running_ns[1] = running_ns();

	if (fuzz_requested())
		fuzz_run();	/* instead of the test suite */
	/* Not for the fuzzer: it takes the store ring's frame as scratch. */
	xenstore_init();
	/* The toolstack's devices, each given its backend's timeout at most to connect. */
	if (!xenstore_unavailable()) {
		blkfront_init();
		xenbus_probe(&xenbus_devices);
	}
	if (cmdline_has("cpuid-dump"))
		cpuid_dump();	/* for tools/gen-cpuid-table.py */
	if (cmdline_has("durable"))
		durable_run();	/* instead of the test suite: the harness kills us */
	if (bench_requested())
		bench_run();
	if (ktest_run_all() == 0) {
		blkfront_close_all();
		poweroff();
	}
	crash();
}
