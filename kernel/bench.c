/*
 * Benchmarks print figures; they never pass or fail. Some are counts the
 * guest can see for itself (hypercalls made, VM exits on parahost), which
 * mean the same on every platform; the others are times by our pvclock,
 * which say as much about the emulator as about us.
 *
 * "bench" runs them all; "bench=boot" only the boot figure (make bench
 * boots a second time with much more memory just for that one).
 */
#include "arch/x86/hypercall.h"
#include "kernel/bench.h"
#include "kernel/cmdline.h"
#include "kernel/kernel.h"
#include "kernel/sched.h"
#include "kernel/tests/self.h"
#include "kernel/timer.h"
#include "lib/printf.h"
#include "mm/frames.h"
#include "mm/layout.h"
#include "mm/p2m.h"
#include "mm/pagetable.h"
#include "mm/vmap.h"
#include "xen/console.h"
#include "xen/evtchn.h"
#include "xen/grant_table.h"
#include "xen/start_info.h"
#include "xen/time.h"
#include "xen/xenstore.h"

#define BENCH_PAGES	1000

bool bench_requested(void)
{
	return cmdline_has("bench") || cmdline_get("bench", NULL, 0);
}

static bool only_boot(void)
{
	char what[8] = "";

	return cmdline_get("bench", what, sizeof(what)) && !strcmp(what, "boot");
}

/* "12.34": ns as ms with two decimals, for figures that are not whole. */
static void print_ms(const char *name, const char *metric, uint64_t ns)
{
	kprintf("bench %s %s=%lu.%02lu\n", name, metric, ns / NSEC_PER_MSEC,
		ns % NSEC_PER_MSEC / 10000);
}

/* From our first instruction to the end of start_kernel's setup. */
static void bench_boot(void)
{
	uint64_t entry = xen_tsc_to_system_time(boot_entry_tsc);
	uint64_t ready = xen_tsc_to_system_time(boot_ready_tsc);
	char metric[24];

	snprintf(metric, sizeof(metric), "mem_%luMiB", start_info.nr_pages >> 8);
	print_ms("boot.entry_to_ready_ms", metric, ready - entry);
	/*
	 * The same, less the time Xen ran something else (dom0's xenconsoled,
	 * woken by our boot messages): the part that is ours alone.
	 */
	snprintf(metric, sizeof(metric), "running_%luMiB", start_info.nr_pages >> 8);
	if (boot_running_ns[1] > boot_running_ns[0])
		print_ms("boot.entry_to_ready_ms", metric, boot_running_ns[1] - boot_running_ns[0]);
}

/* Send on one end of a loopback pair to its handler on the other, upcalls on. */
static volatile uint64_t handled_at;

static void loopback_handler(evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	handled_at = xen_system_time();
}

static void bench_loopback(void)
{
	evtchn_port_t a, b;
	uint64_t total = 0, n = 0;

	if (evtchn_loopback(&a, NULL, NULL, &b, loopback_handler, NULL)) {
		kprintf("bench evtchn.loopback_ns skipped: no loopback pair\n");
		return;
	}
	upcalls_on();
	upcalls_off();
	for (unsigned int i = 0; i < 1000; i++) {
		uint64_t t0;

		handled_at = 0;
		upcalls_on();
		t0 = xen_system_time();
		evtchn_notify(a);
		upcalls_off();
		if (handled_at >= t0) {
			total += handled_at - t0;
			n++;
		}
	}
	evtchn_close(a);
	evtchn_close(b);
	kprintf("bench evtchn.loopback_ns mean=%lu\n", n ? total / n : 0);
	kprintf("bench evtchn.loopback_ns events=%lu\n", n);
}

/* How late a 1 ms sleep wakes: median and 99th percentile over 200. */
#define SLEEPS	200

static void bench_timer_lateness(void)
{
	static uint64_t late[SLEEPS];

	for (unsigned int i = 0; i < SLEEPS; i++) {
		uint64_t deadline = xen_system_time() + NSEC_PER_MSEC;

		sleep_until(deadline);
		late[i] = xen_system_time() - deadline;
	}
	for (unsigned int i = 1; i < SLEEPS; i++)
		for (unsigned int j = i; j > 0 && late[j - 1] > late[j]; j--) {
			uint64_t t = late[j];

			late[j] = late[j - 1];
			late[j - 1] = t;
		}
	kprintf("bench timer.lateness_us median=%lu\n", late[SLEEPS / 2] / 1000);
	kprintf("bench timer.lateness_us p99=%lu\n", late[SLEEPS * 99 / 100] / 1000);
}

/* Two threads that yield to each other: the time of one switch. */
#define YIELDS	2000

static void yielder(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < YIELDS; i++)
		yield();
}

static void bench_switch(void)
{
	struct thread *t[2];
	uint64_t switches = sched_switches, t0 = xen_system_time(), t1;

	for (unsigned int i = 0; i < 2; i++)
		t[i] = thread_create("yielder", yielder, NULL);
	for (unsigned int i = 0; i < 2; i++)
		if (t[i])
			thread_join(t[i]);
	t1 = xen_system_time();
	switches = sched_switches - switches;
	if (!t[0] || !t[1] || !switches) {
		kprintf("bench sched.switch_ns skipped: no threads\n");
		return;
	}
	kprintf("bench sched.switch_ns mean=%lu\n", (t1 - t0) / switches);
}

/* parahost's own counters (its CPUID statistics leaf); nothing under Xen. */
static bool on_parahost(void)
{
	uint32_t a, b, c, d;

	asm volatile("ud2; .ascii \"xen\"; cpuid"
		     : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x4000ff00), "c"(0));
	return !memcmp(&b, "para", 4) && !memcmp(&c, "host", 4) && !memcmp(&d, "stat", 4);
}

/* VM exits before this read's own (one CPUID, so one exit per read). */
static uint64_t parahost_exits(void)
{
	uint32_t a, b, c, d;

	asm volatile("ud2; .ascii \"xen\"; cpuid"
		     : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x4000ff00), "c"(1));
	return ((uint64_t)d << 32) | a;
}

/*
 * VM exits while we sleep a second (the reads themselves not counted),
 * against the deadlines we gave Xen meanwhile; and exits per hypercall.
 */
static void bench_parahost(void)
{
	uint64_t e0, e1, d0, n = 1000;

	if (!on_parahost())
		return;
	/* Nothing left over: the console drained and its event taken, or it would count. */
	console_flush();
	upcalls_on();
	upcalls_off();
	d0 = time_deadlines_set;
	e0 = parahost_exits();
	sleep_ns(NSEC_PER_SEC);
	e1 = parahost_exits();
	/* e1 - e0 counts the first read's exit too. */
	kprintf("bench parahost.idle_exits_per_s exits=%lu\n", e1 - e0 - 1);
	kprintf("bench parahost.idle_exits_per_s deadlines=%lu\n", time_deadlines_set - d0);
	e0 = parahost_exits();
	for (uint64_t i = 0; i < n; i++)
		hypercall_xen_version(XENVER_version, NULL);
	e1 = parahost_exits() - e0 - 1;
	kprintf("bench parahost.exits_per_hypercall ratio=%lu.%02lu\n", e1 / n, e1 % n / 10);
}

/* Map 1000 fresh frames at fresh addresses (new L1 tables included). */
static void bench_mm_map(void)
{
	/* 2 MiB-aligned so no L1 of an earlier user is shared. */
	unsigned long slack = 512, va = vmap_alloc(BENCH_PAGES + slack);
	static unsigned long pfns[BENCH_PAGES];
	unsigned long start, map_calls, unmap_calls;
	struct pt_batch b = { 0 };

	if (!va) {
		kprintf("bench mm.map skipped: no virtual range\n");
		return;
	}
	start = (va + (slack * PAGE_SIZE - 1)) & ~(slack * PAGE_SIZE - 1);
	for (int i = 0; i < BENCH_PAGES; i++) {
		pfns[i] = frame_alloc();
		if (pfns[i] == FRAME_NONE) {
			kprintf("bench mm.map skipped: out of frames\n");
			while (i--)
				frame_free(pfns[i]);
			vmap_free(va, BENCH_PAGES + slack);
			return;
		}
	}

	map_calls = hypercall_count;
	for (int i = 0; i < BENCH_PAGES; i++)
		pt_set(&b, start + i * PAGE_SIZE,
		       ((uint64_t)pfn_to_mfn(pfns[i]) << PAGE_SHIFT) | PTE_KERNEL_RW);
	pt_commit(&b);
	map_calls = hypercall_count - map_calls;

	unmap_calls = hypercall_count;
	unmap_range(start, BENCH_PAGES);
	unmap_calls = hypercall_count - unmap_calls;

	kprintf("bench mm.map hypercalls_per_1000=%lu\n", map_calls);
	kprintf("bench mm.unmap hypercalls_per_1000=%lu\n", unmap_calls);
	for (int i = 0; i < BENCH_PAGES; i++)
		frame_free(pfns[i]);
	vmap_free(va, BENCH_PAGES + slack);
}

/*
 * GNTTABOP_copy as a backend does it: whole pages out of grants (ours,
 * made out to ourselves) into local frames, 16 a hypercall, for at
 * least 200 ms; and the same between frames, for comparison.
 */
#define COPY_PAGES	16

static uint64_t copy_rate(struct gnttab_copy *ops)
{
	uint64_t bytes = 0, t0 = xen_system_time(), t;

	do {
		if (gnttab_copy(ops, COPY_PAGES))
			return 0;
		bytes += COPY_PAGES * PAGE_SIZE;
		t = xen_system_time();
	} while (t - t0 < 200 * NSEC_PER_MSEC);
	return bytes * 1000 / (t - t0);		/* bytes per ns * 1000 = 10^6 bytes per s */
}

static void bench_gnttab_copy(void)
{
	static struct gnttab_copy ops[COPY_PAGES];
	unsigned long src[COPY_PAGES], dst[COPY_PAGES];
	long ref[COPY_PAGES];
	int self = own_domid();
	unsigned int n = 0;
	uint64_t by_ref = 0, by_frame = 0;

	if (self < 0) {
		kprintf("bench gnttab.copy_MBps skipped: no domid\n");
		return;
	}
	for (; n < COPY_PAGES; n++) {
		src[n] = frame_alloc();
		dst[n] = frame_alloc();
		ref[n] = -1;
		if (src[n] == FRAME_NONE || dst[n] == FRAME_NONE)
			break;
		ref[n] = gnttab_grant_access((domid_t)self, pfn_to_mfn(src[n]), true);
		if (ref[n] < 0)
			break;
		ops[n] = (struct gnttab_copy){
			.source = { .u.ref = (grant_ref_t)ref[n], .domid = (domid_t)self },
			.dest = { .u.gmfn = pfn_to_mfn(dst[n]), .domid = DOMID_SELF },
			.len = PAGE_SIZE, .flags = GNTCOPY_source_gref,
		};
	}
	if (n == COPY_PAGES) {
		by_ref = copy_rate(ops);
		for (unsigned int i = 0; i < COPY_PAGES; i++) {
			ops[i].source.u.gmfn = pfn_to_mfn(src[i]);
			ops[i].source.domid = DOMID_SELF;
			ops[i].flags = 0;
		}
		by_frame = copy_rate(ops);
	}
	/* The one that failed, if any, is at n: its frames, perhaps no grant. */
	for (unsigned int i = 0; i <= n && i < COPY_PAGES; i++) {
		if (ref[i] >= 0)
			gnttab_end_access((grant_ref_t)ref[i], FRAME_NONE);
		if (src[i] != FRAME_NONE)
			frame_free(src[i]);
		if (dst[i] != FRAME_NONE)
			frame_free(dst[i]);
	}
	if (!by_ref || !by_frame) {
		kprintf("bench gnttab.copy_MBps skipped: no grants or frames, or a copy failed\n");
		return;
	}
	kprintf("bench gnttab.copy_MBps from_grant=%lu\n", by_ref);
	kprintf("bench gnttab.copy_MBps frame_to_frame=%lu\n", by_frame);
}

/* One XS_READ of our domid, request to reply, as a thread sees it: mean and median of 200. */
#define XS_READS	200

static void bench_xenstore(void)
{
	static uint64_t ns[XS_READS];
	uint64_t total = 0;
	char buf[16];

	if (xenstore_unavailable()) {
		kprintf("bench xenstore.read_us skipped: %s\n", xenstore_unavailable());
		return;
	}
	for (unsigned int i = 0; i < XS_READS; i++) {
		uint64_t t0 = xen_system_time();

		if (xs_read(XS_NO_TX, "domid", buf, sizeof(buf)) < 0) {
			kprintf("bench xenstore.read_us skipped: read %u failed\n", i);
			return;
		}
		ns[i] = xen_system_time() - t0;
		total += ns[i];
	}
	/* Insertion sort: 200 values. */
	for (unsigned int i = 1; i < XS_READS; i++)
		for (unsigned int j = i; j && ns[j - 1] > ns[j]; j--) {
			uint64_t x = ns[j];

			ns[j] = ns[j - 1];
			ns[j - 1] = x;
		}
	total /= XS_READS;
	kprintf("bench xenstore.read_us mean=%lu.%02lu\n", total / 1000, total % 1000 / 10);
	kprintf("bench xenstore.read_us median=%lu.%02lu\n", ns[XS_READS / 2] / 1000,
		ns[XS_READS / 2] % 1000 / 10);
}

void bench_run(void)
{
	bench_boot();
	if (only_boot())
		return;
	bench_mm_map();
	bench_gnttab_copy();
	bench_loopback();
	bench_timer_lateness();
	bench_switch();
	bench_xenstore();
	bench_blk();
	bench_parahost();
}
