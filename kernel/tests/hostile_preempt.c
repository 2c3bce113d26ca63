/*
 * Long hypercalls do not hold the host: Xen stops a multicall, an MMU
 * batch, a grant batch or a trap table between elements when something is
 * due (hypercall_preempt_check) and re-issues the call from the guest's
 * SYSCALL later (a continuation). An event that becomes due in the middle
 * is therefore delivered in the middle, with RIP at the hypercall stub's
 * SYSCALL. Huge counts end at the first element that cannot be read, and
 * emulated string I/O does not loop 2^64 times.
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

/* ---- one VIRQ_TIMER upcall, and where it found us --------------------------- */

static evtchn_port_t timer_port;
static uint64_t (*progress)(void);
static volatile bool upcall_hit;
static volatile uint64_t upcall_rip, upcall_progress;

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
	upcall_progress = progress ? progress() : 0;
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
	progress = NULL;
	evtchn_clear_pending(timer_port);
	evtchn_unquiet();
	hypercall_vcpu_op(VCPUOP_set_periodic_timer, 0, &p);
	/* The kernel's VIRQ back, its periodic timer stopped again (tickless). */
	time_reclaim_virq();
}

/* The stub's SYSCALL: where a continuation leaves us (hypercall.h's page layout). */
static uint64_t stub_syscall(unsigned int nr)
{
	return (uint64_t)hypercall_page + nr * 32 + 8;
}

/*
 * call(n): the hypercall on n elements that fill(n) prepared, with
 * VIRQ_TIMER due 1 ms into it. n starts where a first, measured call says
 * it lasts ~10 ms, and doubles (up to MAX_ELEMENTS) while the call ends
 * before the timer; at MAX_ELEMENTS the timer comes sooner instead (down to
 * 62.5 us). The point is a timer that lands inside the call, on any CPU
 * and under any load: a first measurement taken while the emulator was
 * descheduled once left every try too short. A timer that lands before the
 * call even began (no element done: the emulator's thread was off the host
 * CPU for longer than the delay, so the timer was overdue when it came
 * back) says nothing either way, and is tried again on its own budget, so
 * that a loaded host cannot use up the tries that adapt n and the delay.
 */
#define MAX_ELEMENTS	32768

struct timed {
	long rc, arm;
	unsigned long n;
};

static struct timed timed_call(void (*fill)(unsigned long n), long (*call)(unsigned long n))
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
			return t;
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
			return t;
	}
}

#define KT_ASSERT_MID_WAY(t, nr, what)						\
	do {									\
		KT_ASSERT_EQ((t).arm, 0, "arming VIRQ_TIMER");			\
		KT_ASSERT(upcall_hit, "the timer never fired during %s of %lu", what, (t).n); \
		KT_ASSERT(upcall_rip == stub_syscall(nr) && upcall_progress > 0 &&	\
			  upcall_progress < (t).n,					\
			  "the timer's upcall came at RIP %#lx with %lu of %lu done: " \
			  "not in the middle of %s", (unsigned long)upcall_rip,	\
			  (unsigned long)upcall_progress, (t).n, what);		\
	} while (0)

/* ---- multicall -------------------------------------------------------------- */

static multicall_entry_t *calls;
static unsigned long nr_calls;

static void fill_calls(unsigned long n)
{
	nr_calls = n;
	for (unsigned long i = 0; i < n; i++)
		calls[i] = (multicall_entry_t){ .op = __HYPERVISOR_xen_version,
						.args = { XENVER_version }, .result = 0x5555 };
}

static uint64_t calls_done(void)
{
	uint64_t n = 0;

	for (unsigned long i = 0; i < nr_calls; i++)
		n += calls[i].result != 0x5555;
	return n;
}

static long multicall_n(unsigned long n)
{
	return hypercall_multicall(calls, (unsigned int)n);
}

KTEST(hostile, multicall_preempted_mid_way)
{
	long version = hypercall_xen_version(XENVER_version, NULL);
	struct timed t;
	uint64_t done;
	bool all_ok = true;

	calls = kmalloc(MAX_ELEMENTS * sizeof(*calls));
	KT_ASSERT(calls, "no memory for the multicall list");
	progress = calls_done;
	t = timed_call(fill_calls, multicall_n);
	done = calls_done();
	for (unsigned long i = 0; i < t.n; i++)
		all_ok &= calls[i].result == (uint64_t)version;
	kfree(calls);
	KT_ASSERT_EQ(t.rc, 0, "the multicall");
	KT_ASSERT(all_ok && done == t.n, "%lu of %lu results right", (unsigned long)done, t.n);
	KT_ASSERT_MID_WAY(t, __HYPERVISOR_multicall, "a multicall");
}

/* ---- mmu_update --------------------------------------------------------------- */

static mmu_update_t *reqs;
static unsigned int reqs_done;
static unsigned long reqs_pfn;

static uint64_t mmu_done(void)
{
	return READ_ONCE(reqs_done);
}

/* Harmless work: tell Xen again that our own frame's pfn is what it is. */
static void fill_reqs(unsigned long n, unsigned long pfn)
{
	for (unsigned long i = 0; i < n; i++)
		reqs[i] = (mmu_update_t){
			.ptr = ((uint64_t)pfn_to_mfn(pfn) << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE,
			.val = pfn,
		};
}

static void fill_reqs_n(unsigned long n)
{
	fill_reqs(n, reqs_pfn);
	reqs_done = 0;
}

static long mmu_update_n(unsigned long n)
{
	return hypercall_mmu_update(reqs, (unsigned int)n, &reqs_done, DOMID_SELF);
}

KTEST(hostile, mmu_update_preempted_mid_way)
{
	struct timed t;

	reqs = kmalloc(MAX_ELEMENTS * sizeof(*reqs));
	reqs_pfn = frame_alloc();
	if (!reqs || reqs_pfn == FRAME_NONE) {
		kfree(reqs);
		KT_FAIL("no memory");
		return;
	}
	progress = mmu_done;
	t = timed_call(fill_reqs_n, mmu_update_n);
	kfree(reqs);
	frame_free(reqs_pfn);
	KT_ASSERT_EQ(t.rc, 0, "mmu_update");
	KT_ASSERT_EQ(reqs_done, t.n, "done count");
	KT_ASSERT_MID_WAY(t, __HYPERVISOR_mmu_update, "an mmu_update");
}

/* ---- grant copy ------------------------------------------------------------- */

static struct gnttab_copy *copies;
static unsigned long nr_copies;
static xen_pfn_t copies_mfn;

static void fill_copies(unsigned long n, xen_pfn_t mfn)
{
	nr_copies = n;
	for (unsigned long i = 0; i < n; i++)
		copies[i] = (struct gnttab_copy){
			.source = { .u.gmfn = mfn, .domid = DOMID_SELF },
			.dest = { .u.gmfn = mfn, .domid = DOMID_SELF },
			.len = 0, .status = 99,
		};
}

static uint64_t copies_done(void)
{
	uint64_t n = 0;

	for (unsigned long i = 0; i < nr_copies; i++)
		n += copies[i].status != 99;
	return n;
}

static void fill_copies_n(unsigned long n)
{
	fill_copies(n, copies_mfn);
}

static long grant_copy_n(unsigned long n)
{
	return hypercall_grant_table_op(GNTTABOP_copy, copies, (unsigned int)n);
}

KTEST(hostile, grant_copy_preempted_mid_way)
{
	unsigned long pfn = frame_alloc();
	struct timed t;
	uint64_t done;

	copies = kmalloc(MAX_ELEMENTS * sizeof(*copies));
	if (!copies || pfn == FRAME_NONE) {
		kfree(copies);
		KT_FAIL("no memory");
		return;
	}
	copies_mfn = pfn_to_mfn(pfn);
	progress = copies_done;
	t = timed_call(fill_copies_n, grant_copy_n);
	done = copies_done();
	kfree(copies);
	frame_free(pfn);
	KT_ASSERT_EQ(t.rc, 0, "GNTTABOP_copy");
	KT_ASSERT_EQ(done, t.n, "statuses written");
	KT_ASSERT_MID_WAY(t, __HYPERVISOR_grant_table_op, "a grant copy");
}

/* ---- grant map and unmap ------------------------------------------------------ */

/*
 * Read-only device mappings of grants we give ourselves (refs GREF0 on,
 * each mapped at most 110 times: Xen refuses a pin counter's 128th): no
 * page-table entries, so as many as MAX_ELEMENTS at once. Unmaps run in
 * batches of 32, preempted only between batches.
 */
#define GREF0		200
#define NR_GREFS	300

static struct gnttab_map_grant_ref *maps;
static int own_domid_cached;
static struct gnttab_unmap_grant_ref *unmaps;
static unsigned long nr_maps, nr_unmaps;
static volatile grant_entry_v1_t *gtable;
static uint64_t gbus;

static bool grants_made(xen_pfn_t mfn, domid_t self)
{
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1 };
	xen_pfn_t frame = 0;
	unsigned long va;

	set_xen_guest_handle(st.frame_list, &frame);
	if (hypercall_grant_table_op(GNTTABOP_setup_table, &st, 1) || st.status || !frame)
		return false;
	va = vmap_alloc(1);
	if (va) {
		struct pt_batch b = { 0 };	/* the L1 for va */

		if (!pt_walk(&b, kernel_l4, va, true))
			va = 0;
		pt_commit(&b);
	}
	if (!va || hypercall_update_va_mapping(va, (frame << PAGE_SHIFT) | PTE_KERNEL_RW,
					       UVMF_INVLPG | UVMF_LOCAL))
		return false;
	gtable = (void *)va;
	for (unsigned int r = GREF0; r < GREF0 + NR_GREFS; r++) {
		gtable[r].domid = self;
		gtable[r].frame = (uint32_t)mfn;
		gtable[r].flags = GTF_permit_access | GTF_readonly;
	}
	gbus = (uint64_t)mfn << PAGE_SHIFT;
	return true;
}

static void grants_gone(void)
{
	if (!gtable)
		return;
	for (unsigned int r = GREF0; r < GREF0 + NR_GREFS; r++)
		gtable[r] = (grant_entry_v1_t){ 0 };
	hypercall_update_va_mapping((unsigned long)gtable, 0, UVMF_INVLPG | UVMF_LOCAL);
	vmap_free((unsigned long)gtable, 1);
	gtable = NULL;
}

/* Undo every mapping maps[] made, in one call (not timed). */
static void unmap_all(void)
{
	unsigned long k = 0;

	for (unsigned long i = 0; i < nr_maps; i++)
		if (maps[i].status == GNTST_okay)
			unmaps[k++] = (struct gnttab_unmap_grant_ref){
				.dev_bus_addr = gbus, .handle = maps[i].handle, .status = 99 };
	if (k)
		hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, unmaps, (unsigned int)k);
	nr_maps = 0;
}

static void fill_maps(unsigned long n)
{
	unmap_all();
	nr_maps = n;
	for (unsigned long i = 0; i < n; i++)
		maps[i] = (struct gnttab_map_grant_ref){
			.flags = GNTMAP_device_map | GNTMAP_readonly,
			.ref = GREF0 + (grant_ref_t)(i % NR_GREFS),
			.dom = (domid_t)own_domid_cached, .status = 99,
		};
}

static uint64_t maps_done(void)
{
	uint64_t n = 0;

	for (unsigned long i = 0; i < nr_maps; i++)
		n += maps[i].status != 99;
	return n;
}

static long map_n(unsigned long n)
{
	return hypercall_grant_table_op(GNTTABOP_map_grant_ref, maps, (unsigned int)n);
}

/* n mappings made (not timed), their unmaps ready. */
static void fill_unmaps(unsigned long n)
{
	fill_maps(n);
	map_n(n);
	nr_unmaps = n;
	for (unsigned long i = 0; i < n; i++)
		unmaps[i] = (struct gnttab_unmap_grant_ref){
			.dev_bus_addr = gbus, .handle = maps[i].handle, .status = 99 };
}

static uint64_t unmaps_done(void)
{
	uint64_t n = 0;

	for (unsigned long i = 0; i < nr_unmaps; i++)
		n += unmaps[i].status != 99;
	return n;
}

static long unmap_n(unsigned long n)
{
	long rc = hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, unmaps, (unsigned int)n);

	nr_maps = 0;		/* all undone (unless it failed, checked below) */
	return rc;
}

static bool grant_batch_setup(unsigned long *pfn)
{
	*pfn = frame_alloc();
	maps = kmalloc(MAX_ELEMENTS * sizeof(*maps));
	unmaps = kmalloc(MAX_ELEMENTS * sizeof(*unmaps));
	nr_maps = nr_unmaps = 0;
	own_domid_cached = own_domid();
	return *pfn != FRAME_NONE && maps && unmaps && own_domid_cached >= 0 &&
	       grants_made(pfn_to_mfn(*pfn), (domid_t)own_domid_cached);
}

static void grant_batch_cleanup(unsigned long pfn)
{
	if (maps)
		unmap_all();
	grants_gone();
	kfree(maps);
	kfree(unmaps);
	maps = NULL;
	unmaps = NULL;
	if (pfn != FRAME_NONE)
		frame_free(pfn);
}

KTEST(hostile, grant_map_preempted_mid_way)
{
	unsigned long pfn;
	uint64_t done = 0, ok = 0;
	struct timed t = { 0 };
	bool setup = grant_batch_setup(&pfn);

	if (setup) {
		progress = maps_done;
		t = timed_call(fill_maps, map_n);
		done = maps_done();
		for (unsigned long i = 0; i < nr_maps; i++)
			ok += maps[i].status == GNTST_okay && maps[i].dev_bus_addr == gbus;
	}
	grant_batch_cleanup(pfn);
	KT_ASSERT(setup, "no memory, or no grant table");
	KT_ASSERT_EQ(t.rc, 0, "GNTTABOP_map_grant_ref");
	KT_ASSERT(done == t.n && ok == t.n, "%lu of %lu statuses written, %lu mapped",
		  (unsigned long)done, t.n, (unsigned long)ok);
	KT_ASSERT_MID_WAY(t, __HYPERVISOR_grant_table_op, "a grant map");
}

KTEST(hostile, grant_unmap_preempted_mid_way)
{
	unsigned long pfn;
	uint64_t done = 0, ok = 0;
	struct timed t = { 0 };
	bool setup = grant_batch_setup(&pfn);

	if (setup) {
		progress = unmaps_done;
		t = timed_call(fill_unmaps, unmap_n);
		done = unmaps_done();
		for (unsigned long i = 0; i < nr_unmaps; i++)
			ok += unmaps[i].status == GNTST_okay;
		/* Every pin gone: the table may change version again. */
		if (ok == t.n && !hypercall_grant_table_op(GNTTABOP_set_version,
						      &(struct gnttab_set_version){ 2 }, 1))
			hypercall_grant_table_op(GNTTABOP_set_version,
						 &(struct gnttab_set_version){ 1 }, 1);
		else
			ok = 0;
	}
	grant_batch_cleanup(pfn);
	KT_ASSERT(setup, "no memory, or no grant table");
	KT_ASSERT_EQ(t.rc, 0, "GNTTABOP_unmap_grant_ref");
	KT_ASSERT(done == t.n && ok == t.n, "%lu of %lu statuses written, %lu unmapped "
		  "(and the table free to change version)", (unsigned long)done, t.n,
		  (unsigned long)ok);
	KT_ASSERT_MID_WAY(t, __HYPERVISOR_grant_table_op, "a grant unmap");
}

/* ---- huge counts -------------------------------------------------------------- */

/* One mapped page of elements, then an unmapped one: where a huge count must end. */
static unsigned long edge_va;
static unsigned long edge_pfn = FRAME_NONE;

static void *edge_page(void)
{
	struct pt_batch b = { 0 };

	edge_va = vmap_alloc(2);
	edge_pfn = frame_alloc();
	if (!edge_va || edge_pfn == FRAME_NONE)
		return NULL;
	pt_set(&b, edge_va, ((uint64_t)pfn_to_mfn(edge_pfn) << PAGE_SHIFT) | PTE_KERNEL_RW);
	pt_commit(&b);
	return (void *)edge_va;
}

static void edge_free(void)
{
	if (edge_va) {
		unmap_range(edge_va, 1);
		vmap_free(edge_va, 2);
	}
	if (edge_pfn != FRAME_NONE)
		frame_free(edge_pfn);
	edge_va = 0;
	edge_pfn = FRAME_NONE;
}

KTEST(hostile, huge_counts_end_at_the_first_unreadable_element)
{
	const unsigned int huge = 0x7fffffff;
	void *page = edge_page();
	multicall_entry_t *mc = page;
	mmu_update_t *mu = page;
	struct gnttab_copy *gc = page;
	unsigned long pfn = frame_alloc();
	const unsigned int nmc = PAGE_SIZE / sizeof(*mc), nmu = PAGE_SIZE / sizeof(*mu);
	const unsigned int ngc = PAGE_SIZE / sizeof(*gc);
	long rc_mc, rc_mu, rc_gc, rc_neg, version = hypercall_xen_version(XENVER_version, NULL);
	unsigned int mu_done = 0, gc_done = 0, mc_done = 0;

	if (!page || pfn == FRAME_NONE) {
		edge_free();
		KT_FAIL("no memory");
		return;
	}
	calls = mc;
	fill_calls(nmc);
	rc_mc = hypercall_multicall(mc, huge);
	for (unsigned int i = 0; i < nmc; i++)
		mc_done += mc[i].result == (uint64_t)version;

	reqs = mu;
	fill_reqs(nmu, pfn);
	rc_mu = hypercall_mmu_update(mu, huge, &mu_done, DOMID_SELF);

	copies = gc;
	fill_copies(ngc, pfn_to_mfn(pfn));
	rc_gc = hypercall_grant_table_op(GNTTABOP_copy, gc, huge);
	gc_done = (unsigned int)copies_done();
	rc_neg = hypercall_grant_table_op(GNTTABOP_copy, gc, 0x80000000u);
	edge_free();
	frame_free(pfn);

	KT_ASSERT_EQ(rc_mc, -XEN_EFAULT, "multicall of 2^31-1 entries");
	KT_ASSERT_EQ(mc_done, nmc, "multicall entries done before the fault");
	KT_ASSERT_EQ(rc_mu, -XEN_EFAULT, "mmu_update of 2^31-1 requests");
	KT_ASSERT_EQ(mu_done, nmu, "mmu_update's done count");
	KT_ASSERT_EQ(rc_gc, -XEN_EFAULT, "GNTTABOP_copy of 2^31-1 copies");
	KT_ASSERT_EQ(gc_done, ngc, "copies done before the fault");
	KT_ASSERT_EQ(rc_neg, -XEN_EINVAL, "GNTTABOP_copy with a negative count");
}

/*
 * Hypercall arguments at addresses nothing maps: -EFAULT, whichever level
 * of the page tables is missing (Xen copies with the CPU's own walk).
 */
KTEST(hostile, unmapped_arguments_fault)
{
	void *page = edge_page();
	void *hole = page ? (char *)page + PAGE_SIZE : NULL;	/* missing in its L1 */
	void *low = (void *)0x1000UL;				/* missing in the L4 */
	long f_low, f_hole, st_low, st_hole, rs_hole;

	if (!page) {
		edge_free();
		KT_FAIL("no memory");
		return;
	}
	f_low = hypercall_xen_version(XENVER_get_features, low);
	f_hole = hypercall_xen_version(XENVER_get_features, hole);
	st_low = hypercall_event_channel_op(EVTCHNOP_status, low);
	st_hole = hypercall_event_channel_op(EVTCHNOP_status, hole);
	rs_hole = hypercall_vcpu_op(VCPUOP_get_runstate_info, 0, hole);
	edge_free();
	KT_ASSERT_EQ(f_low, -XEN_EFAULT, "XENVER_get_features at 0x1000");
	KT_ASSERT_EQ(f_hole, -XEN_EFAULT, "XENVER_get_features in an unmapped page");
	KT_ASSERT_EQ(st_low, -XEN_EFAULT, "EVTCHNOP_status at 0x1000");
	KT_ASSERT_EQ(st_hole, -XEN_EFAULT, "EVTCHNOP_status in an unmapped page");
	KT_ASSERT_EQ(rs_hole, -XEN_EFAULT, "VCPUOP_get_runstate_info into an unmapped page");
}

/* A domU may not use console_io at all (Xen's XSM policy); the initial domain may. */
KTEST(hostile, console_io_is_the_initial_domains)
{
	char c = '\n';
	long w = hypercall_console_io(CONSOLEIO_write, 1, &c);
	long r = hypercall_console_io(CONSOLEIO_read, 1, &c);
	long bad = hypercall_console_io(99, 1, &c);

	if (is_initial_domain()) {
		KT_ASSERT_EQ(w, 0, "CONSOLEIO_write");
		KT_ASSERT(r >= 0, "CONSOLEIO_read: %ld", r);
		KT_ASSERT_EQ(bad, -XEN_ENOSYS, "console_io command 99");
		return;
	}
	KT_ASSERT_EQ(w, -XEN_EPERM, "CONSOLEIO_write from a domU");
	KT_ASSERT_EQ(r, -XEN_EPERM, "CONSOLEIO_read from a domU");
	KT_ASSERT_EQ(bad, -XEN_EPERM, "console_io command 99 from a domU");
}

/*
 * rep outsb/insb with RCX = 2^64 - 1, allowed by a virtual IOPL: the
 * emulator moves the bytes through memory, so it stops at the first
 * unmapped one with a #PF there, instead of looping forever.
 */
static uint64_t rep_outsb(uint64_t rsi, uint64_t *rcx)
{
	uint64_t ex = 0, c = ~0UL;

	asm volatile("1: rep outsb\n2:\n" _ASM_EXTABLE(1b, 2b)
		     : "+a"(ex), "+S"(rsi), "+c"(c) : "d"(0x80) : "memory");
	*rcx = c;
	return ex;
}

static uint64_t rep_insb(uint64_t rdi, uint64_t *rcx)
{
	uint64_t ex = 0, c = ~0UL;

	asm volatile("1: rep insb\n2:\n" _ASM_EXTABLE(1b, 2b)
		     : "+a"(ex), "+D"(rdi), "+c"(c) : "d"(0x80) : "memory");
	*rcx = c;
	return ex;
}

KTEST(hostile, rep_outs_huge_count)
{
	struct physdev_set_iopl iopl = { .iopl = 1 }, off = { .iopl = 0 };
	char *page = edge_page();
	uint64_t ex = 0, rcx = 0, cr2 = 0, ex_in = 0, rcx_in = 0, cr2_in = 0;
	uint8_t last_in = 0;
	long rc;

	if (!page) {
		edge_free();
		KT_FAIL("no memory");
		return;
	}
	rc = hypercall_physdev_op(PHYSDEVOP_set_iopl, &iopl);
	extable_last_cr2 = 0;
	if (!rc) {
		ex = rep_outsb((uint64_t)page + PAGE_SIZE - 64, &rcx);
		cr2 = extable_last_cr2;
		ex_in = rep_insb((uint64_t)page + PAGE_SIZE - 32, &rcx_in);
		cr2_in = extable_last_cr2;
		last_in = (uint8_t)page[PAGE_SIZE - 1];
	}
	hypercall_physdev_op(PHYSDEVOP_set_iopl, &off);
	edge_free();
	KT_ASSERT_EQ(rc, 0, "PHYSDEVOP_set_iopl 1");
	/* Xen's emulator: the repetitions done count, the fault is a read's... */
	KT_ASSERT_FAULT(ex, X86_EXC_PF, 0);
	KT_ASSERT_EQ(cr2, (uint64_t)page + PAGE_SIZE, "outsb: CR2, the first unmapped byte");
	KT_ASSERT_EQ(rcx, ~0UL - 64, "outsb: RCX after 64 bytes");
	/* ... or a write's, and a port we do not own reads as all ones. */
	KT_ASSERT_FAULT(ex_in, X86_EXC_PF, PFEC_WRITE);
	KT_ASSERT_EQ(cr2_in, (uint64_t)page + PAGE_SIZE, "insb: CR2, the first unmapped byte");
	KT_ASSERT_EQ(rcx_in, ~0UL - 32, "insb: RCX after 32 bytes");
	KT_ASSERT_EQ(last_in, 0xff, "insb: the byte read from port 0x80");
}
