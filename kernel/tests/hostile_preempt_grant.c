/*
 * Grant maps and unmaps are preempted mid-way too, with their statuses
 * written as far as they got (kernel/tests/preempt.h).
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
		preempt_progress = maps_done;
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
		preempt_progress = unmaps_done;
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
