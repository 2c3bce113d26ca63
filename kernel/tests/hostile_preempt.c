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
#include "kernel/tests/preempt.h"

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
	preempt_progress = calls_done;
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
	preempt_progress = mmu_done;
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
	preempt_progress = copies_done;
	t = timed_call(fill_copies_n, grant_copy_n);
	done = copies_done();
	kfree(copies);
	frame_free(pfn);
	KT_ASSERT_EQ(t.rc, 0, "GNTTABOP_copy");
	KT_ASSERT_EQ(done, t.n, "statuses written");
	KT_ASSERT_MID_WAY(t, __HYPERVISOR_grant_table_op, "a grant copy");
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
