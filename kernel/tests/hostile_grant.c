/*
 * A guest mapping grants it made out to itself, as a hostile backend
 * would: every argument of map_grant_ref / unmap_grant_ref wrong in turn
 * (flags, domain, refs beyond the table, frames not ours, addresses with
 * no L1, machine addresses of frames that are not L1s, handles never
 * given or already freed, the wrong address or bus address at unmap), the
 * reading/writing flags and handles as mappings come and go, the frame's
 * type while it is mapped (no page table under a writable mapping, no
 * writable mapping of a page table), device mappings, cache_flush's
 * arguments and the reserved entries across version switches. Each
 * asserts Xen 4.17's answer. Refs 0-7 are the toolstack's; 6 is used
 * only by the version test and left as found.
 */
#include <xen/errno.h>
#include <xen/grant_table.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/tests/ptframe.h"
#include "kernel/tests/self.h"
#include "lib/barrier.h"
#include "mm/mmu.h"
#include "mm/vmap.h"

static volatile grant_entry_v1_t *table;	/* our first grant frame */
static xen_pfn_t table_mfn;

static bool table_mapped(void)
{
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1 };
	xen_pfn_t frame = 0;
	unsigned long va;

	if (table)
		return true;
	set_xen_guest_handle(st.frame_list, &frame);
	if (hypercall_grant_table_op(GNTTABOP_setup_table, &st, 1) || st.status || !frame)
		return false;
	va = vmap_alloc(1);
	if (!va || !vmap_slot(va) ||
	    hypercall_update_va_mapping(va, (frame << PAGE_SHIFT) | PTE_KERNEL_RW,
					UVMF_INVLPG | UVMF_LOCAL))
		return false;
	table_mfn = frame;
	table = (void *)va;
	return true;
}

static void grant(grant_ref_t ref, domid_t domid, xen_pfn_t frame, uint16_t flags)
{
	table[ref].domid = domid;
	table[ref].frame = (uint32_t)frame;
	wmb();
	table[ref].flags = flags;
}

static void ungrant(grant_ref_t ref)
{
	table[ref].flags = 0;
	table[ref].frame = 0;
	table[ref].domid = 0;
}

static unsigned int nr_entries(void)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };

	if (hypercall_grant_table_op(GNTTABOP_query_size, &q, 1) || q.status)
		return 0;
	return q.nr_frames * (PAGE_SIZE / sizeof(grant_entry_v1_t));
}

struct mapped {
	int16_t status;
	grant_handle_t handle;
	uint64_t bus;
};

static struct mapped map(domid_t dom, grant_ref_t ref, uint64_t addr, uint32_t flags)
{
	struct gnttab_map_grant_ref m = {
		.host_addr = addr, .flags = flags, .ref = ref, .dom = dom,
		.status = 99, .handle = 0xdeadbeef,
	};
	struct mapped r = { .status = -100 };

	if (!hypercall_grant_table_op(GNTTABOP_map_grant_ref, &m, 1))
		r = (struct mapped){ m.status, m.handle, m.dev_bus_addr };
	return r;
}

static int16_t unmap(uint64_t addr, uint64_t bus, grant_handle_t handle)
{
	struct gnttab_unmap_grant_ref u = {
		.host_addr = addr, .dev_bus_addr = bus, .handle = handle, .status = 99,
	};

	return hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1) ? -100 : u.status;
}

static long set_version(unsigned int v)
{
	struct gnttab_set_version sv = { .version = v };

	return hypercall_grant_table_op(GNTTABOP_set_version, &sv, 1);
}

#define REF	20	/* ours to use here */

/*
 * Every refusal of map_grant_ref, in Xen's order, each leaving the grant's
 * flags as they were and the target entry empty.
 */
KTEST(hostile, grant_map_refused)
{
	int self = own_domid();
	unsigned long va = vmap_alloc(1), data = frame_alloc(), l1 = table_frame();
	uint64_t *slot = vmap_slot(va);
	xen_pfn_t dm;
	struct {
		const char *what;
		domid_t dom;
		grant_ref_t ref;
		uint64_t addr;
		uint32_t flags;
		uint16_t gflags;	/* the grant's, 0: permit_access */
		domid_t gdom;		/* the grant's domid, 0: us */
		int gframe;		/* 0 our data frame; 1 not ours; 2, 3 see below; 4 the L1 */
		int16_t expect;
	} c[] = {
		{ "no host or device map", 0, REF, 0, GNTMAP_readonly, 0, 0, 0, GNTST_bad_gntref },
		{ "DOMID_SELF as the domain", DOMID_SELF, REF, 0, GNTMAP_host_map, 0, 0, 0,
		  GNTST_bad_domain },
		{ "a domain that does not exist", 0x7000, REF, 0, GNTMAP_host_map, 0, 0, 0,
		  GNTST_bad_domain },
		{ "a ref beyond the table", 0, ~0u, 0, GNTMAP_host_map, 0, 0, 0,
		  GNTST_bad_gntref },
		{ "writable, of a read-only grant", 0, REF, 0, GNTMAP_host_map,
		  GTF_permit_access | GTF_readonly, 0, 0, GNTST_general_error },
		{ "a sub-page grant", 0, REF, 0, GNTMAP_host_map,
		  GTF_permit_access | GTF_sub_page, 0, 0, GNTST_general_error },
		{ "a grant made out to DOMID_SELF", 0, REF, 0, GNTMAP_host_map,
		  0, DOMID_SELF, 0, GNTST_general_error },
		{ "a grant of a frame not ours", 0, REF, 0, GNTMAP_host_map,
		  0, 0, 1, GNTST_bad_page },
		{ "an address with no L1 table", 0, REF, 1ul << 46, GNTMAP_host_map,
		  0, 0, 0, GNTST_general_error },
		{ "an address in Xen's range", 0, REF, HYPERVISOR_VIRT_START, GNTMAP_host_map,
		  0, 0, 0, GNTST_general_error },
		{ "contains_pte: a data frame's address", 0, REF, 0,
		  GNTMAP_host_map | GNTMAP_contains_pte, 0, 0, 2, GNTST_general_error },
		{ "contains_pte: a frame not ours", 0, REF, 0,
		  GNTMAP_host_map | GNTMAP_contains_pte, 0, 0, 3, GNTST_general_error },
		{ "writable, of a frame that is a page table", 0, REF, 0, GNTMAP_host_map,
		  0, 0, 4, GNTST_general_error },
	};
	struct mapped got[ARRAY_SIZE(c)];
	uint16_t flags_after[ARRAY_SIZE(c)];
	uint64_t slot_after[ARRAY_SIZE(c)];
	long pin = -1;

	KT_ASSERT(self >= 0 && table_mapped() && va && slot && data != FRAME_NONE &&
		  l1 != FRAME_NONE, "setup");
	dm = pfn_to_mfn(data);
	KT_ASSERT(REF < nr_entries() && *slot == 0, "setup: table size");
	pin = mmuext(MMUEXT_PIN_L1_TABLE, pfn_to_mfn(l1));
	for (unsigned int i = 0; i < ARRAY_SIZE(c); i++) {
		xen_pfn_t gframe = c[i].gframe == 1 ? foreign_mfn() :
				   c[i].gframe == 4 ? pfn_to_mfn(l1) : dm;
		uint64_t addr = c[i].addr ? c[i].addr : va;
		uint16_t gflags = c[i].gflags ? c[i].gflags : GTF_permit_access;

		if (c[i].gframe == 2 || c[i].gframe == 3) {
			/* contains_pte: the "PTE" is in a data frame, or not ours. */
			addr = (uint64_t)(c[i].gframe == 2 ? dm : foreign_mfn()) << PAGE_SHIFT;
			gframe = dm;
		}
		grant(REF, c[i].gdom ? c[i].gdom : (domid_t)self, gframe, gflags);
		got[i] = map(c[i].dom ? c[i].dom : (domid_t)self, c[i].ref, addr, c[i].flags);
		if (got[i].status == GNTST_okay)
			unmap(addr, 0, got[i].handle);
		flags_after[i] = table[REF].flags;
		slot_after[i] = *slot;
		ungrant(REF);
	}
	if (pin == 0)
		mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(l1));
	release_table_frame(l1);
	frame_free(data);
	vmap_free(va, 1);
	KT_ASSERT_EQ(pin, 0, "pinning the L1 for the last case");
	for (unsigned int i = 0; i < ARRAY_SIZE(c); i++) {
		uint16_t gflags = c[i].gflags ? c[i].gflags : GTF_permit_access;

		KT_ASSERT(got[i].status == c[i].expect, "map, %s: status %d, expected %d",
			  c[i].what, got[i].status, c[i].expect);
		KT_ASSERT(flags_after[i] == gflags, "map, %s: grant flags %#x after, were %#x",
			  c[i].what, flags_after[i], gflags);
		KT_ASSERT(slot_after[i] == 0, "map, %s: the PTE is %#lx", c[i].what,
			  (unsigned long)slot_after[i]);
	}
}

/*
 * Handles and flags as mappings come and go: handles are handed out in
 * order and a freed one goes to the back of the list; GTF_writing goes
 * with the last writable mapping, GTF_reading with the last one. An unmap
 * with a handle never given or already freed is GNTST_bad_handle; with
 * another address GNTST_general_error and the mapping stays; with neither
 * address it does nothing, successfully.
 */
KTEST(hostile, grant_unmap_handles_and_flags)
{
	int self = own_domid();
	unsigned long va = vmap_alloc(3), data = frame_alloc();
	xen_pfn_t dm;
	struct mapped ro, rw, again = { -100, 0, 0 };
	uint64_t pte_ro = 0, pte_rw = 0, want;
	uint16_t f_ro = 0, f_both = 0, f_after_rw = 0, f_end = 0;
	int16_t bad_handle = 99, far_handle = 99, wrong_addr = 99, no_addr = 99;
	int16_t freed = 99, unmap_rw = 99, unmap_ro = 99, unmap_again = 99;
	uint8_t seen = 0;

	KT_ASSERT(self >= 0 && table_mapped() && va && vmap_slot(va) &&
		  vmap_slot(va + PAGE_SIZE) && vmap_slot(va + 2 * PAGE_SIZE) &&
		  data != FRAME_NONE, "setup");
	dm = pfn_to_mfn(data);
	*(volatile uint8_t *)pfn_to_virt(data) = 0x42;
	grant(REF, (domid_t)self, dm, GTF_permit_access);
	ro = map((domid_t)self, REF, va, GNTMAP_host_map | GNTMAP_readonly);
	f_ro = table[REF].flags;
	pte_ro = *vmap_slot(va);
	rw = map((domid_t)self, REF, va + PAGE_SIZE, GNTMAP_host_map);
	f_both = table[REF].flags;
	pte_rw = *vmap_slot(va + PAGE_SIZE);
	if (ro.status == GNTST_okay && rw.status == GNTST_okay) {
		bad_handle = unmap(va, 0, ~0u);
		far_handle = unmap(va, 0, rw.handle + 10);
		wrong_addr = unmap(va + 2 * PAGE_SIZE, 0, ro.handle);
		no_addr = unmap(0, 0, ro.handle);
		seen = *(volatile uint8_t *)va;		/* still mapped after all that */
		unmap_rw = unmap(va + PAGE_SIZE, 0, rw.handle);
		f_after_rw = table[REF].flags;
		freed = unmap(va + PAGE_SIZE, 0, rw.handle);
		again = map((domid_t)self, REF, va + 2 * PAGE_SIZE,
			    GNTMAP_host_map | GNTMAP_readonly);
		unmap_ro = unmap(va, 0, ro.handle);
		if (again.status == GNTST_okay)
			unmap_again = unmap(va + 2 * PAGE_SIZE, 0, again.handle);
		f_end = table[REF].flags;
	} else {
		if (ro.status == GNTST_okay)
			unmap(va, 0, ro.handle);
		if (rw.status == GNTST_okay)
			unmap(va + PAGE_SIZE, 0, rw.handle);
	}
	ungrant(REF);
	frame_free(data);
	vmap_free(va, 3);
	KT_ASSERT(ro.status == GNTST_okay && rw.status == GNTST_okay,
		  "mapping read-only and writable: %d, %d", ro.status, rw.status);
	KT_ASSERT_EQ(ro.bus, (uint64_t)dm << PAGE_SHIFT, "dev_bus_addr of the mapping");
	KT_ASSERT_EQ(rw.handle, ro.handle + 1, "the second handle");
	/* A release build's grant entry: P, A, D, NX, kernel; no GNTTAB marker. */
	want = ((uint64_t)dm << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED |
	       _PAGE_DIRTY | _PAGE_NX | (1ul << 52);
	KT_ASSERT_EQ(pte_ro, want, "the read-only mapping's PTE");
	KT_ASSERT_EQ(pte_rw, want | _PAGE_RW, "the writable mapping's PTE");
	KT_ASSERT_EQ(f_ro, GTF_permit_access | GTF_reading, "flags while mapped read-only");
	KT_ASSERT_EQ(f_both, GTF_permit_access | GTF_reading | GTF_writing,
		     "flags while also mapped writable");
	KT_ASSERT_EQ(bad_handle, GNTST_bad_handle, "unmap with handle ~0");
	KT_ASSERT_EQ(far_handle, GNTST_bad_handle, "unmap with a handle never given");
	KT_ASSERT_EQ(wrong_addr, GNTST_general_error, "unmap at another address");
	KT_ASSERT_EQ(no_addr, GNTST_okay, "unmap with neither address");
	KT_ASSERT_EQ(seen, 0x42, "reading through the mapping after the refusals");
	KT_ASSERT_EQ(unmap_rw, GNTST_okay, "unmap of the writable mapping");
	KT_ASSERT_EQ(f_after_rw, GTF_permit_access | GTF_reading,
		     "flags with the read-only mapping left");
	KT_ASSERT_EQ(freed, GNTST_bad_handle, "unmap with a freed handle");
	KT_ASSERT_EQ(again.status, GNTST_okay, "mapping again");
	KT_ASSERT_EQ(again.handle, rw.handle + 1, "a new handle, not the freed one");
	KT_ASSERT_EQ(unmap_ro, GNTST_okay, "unmap of the read-only mapping");
	KT_ASSERT_EQ(unmap_again, GNTST_okay, "unmap of the last mapping");
	KT_ASSERT_EQ(f_end, GTF_permit_access, "flags with nothing mapped");
}

/*
 * A mapped frame's type: a writable mapping holds it writable, so it
 * cannot be pinned as a page table; a read-only one does not, but then a
 * writable mapping of the page table it became is refused. A mapped
 * entry cannot be swapped, nor the table's version changed under it.
 */
KTEST(hostile, grant_mapped_frame_retyped)
{
	int self = own_domid();
	unsigned long va = vmap_alloc(2), f = table_frame();
	struct mapped rw = { -100, 0, 0 }, ro = { -100, 0, 0 }, rw2 = { -100, 0, 0 };
	struct gnttab_swap_grant_ref sw = { .ref_a = REF, .ref_b = REF + 1 };
	long pin_rw = -1, pin_ro = -1, pin_after = -1, ver = -1;
	int16_t un_rw = 99, un_ro = 99;

	KT_ASSERT(self >= 0 && table_mapped() && va && vmap_slot(va) &&
		  vmap_slot(va + PAGE_SIZE) && f != FRAME_NONE, "setup");
	grant(REF, (domid_t)self, pfn_to_mfn(f), GTF_permit_access);
	rw = map((domid_t)self, REF, va, GNTMAP_host_map);
	if (rw.status == GNTST_okay) {
		pin_rw = mmuext(MMUEXT_PIN_L1_TABLE, pfn_to_mfn(f));
		if (pin_rw == 0)
			mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(f));
		ver = set_version(2);
		if (ver == 0)
			set_version(1);
		if (hypercall_grant_table_op(GNTTABOP_swap_grant_ref, &sw, 1))
			sw.status = -100;
		un_rw = unmap(va, 0, rw.handle);
	}
	ro = map((domid_t)self, REF, va + PAGE_SIZE, GNTMAP_host_map | GNTMAP_readonly);
	if (ro.status == GNTST_okay) {
		pin_ro = mmuext(MMUEXT_PIN_L1_TABLE, pfn_to_mfn(f));
		rw2 = map((domid_t)self, REF, va, GNTMAP_host_map);
		if (rw2.status == GNTST_okay)
			unmap(va, 0, rw2.handle);
		if (pin_ro == 0)
			pin_after = mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(f));
		un_ro = unmap(va + PAGE_SIZE, 0, ro.handle);
	}
	ungrant(REF);
	release_table_frame(f);
	vmap_free(va, 2);
	KT_ASSERT_EQ(rw.status, GNTST_okay, "mapping writable");
	KT_ASSERT_EQ(pin_rw, -XEN_EINVAL, "pinning the frame as an L1 while mapped writable");
	KT_ASSERT_EQ(ver, -XEN_EBUSY, "switching to v2 with the entry mapped");
	KT_ASSERT_EQ(sw.status, GNTST_eagain, "swapping the mapped entry");
	KT_ASSERT_EQ(un_rw, GNTST_okay, "unmap");
	KT_ASSERT_EQ(ro.status, GNTST_okay, "mapping read-only");
	KT_ASSERT_EQ(pin_ro, 0, "pinning the frame as an L1 while mapped read-only");
	KT_ASSERT_EQ(rw2.status, GNTST_general_error, "mapping the pinned L1 writable");
	KT_ASSERT_EQ(pin_after, 0, "unpinning");
	KT_ASSERT_EQ(un_ro, GNTST_okay, "unmap of the read-only mapping");
}

/*
 * Device mappings (GNTMAP_device_map, no page-table entry): the frame is
 * held writable all the same, the bus address is the frame's; an unmap
 * must name that bus address (another is GNTST_bad_dev_addr; a host-only
 * mapping's unmap ignores it). A host and device mapping under one handle
 * comes apart one half at a time.
 */
KTEST(hostile, grant_device_map)
{
	int self = own_domid();
	unsigned long va = vmap_alloc(1), f = table_frame();
	uint64_t bus = 0;
	struct mapped dev = { -100, 0, 0 }, both = { -100, 0, 0 };
	uint16_t f_dev = 0, f_host_gone = 0, f_end = 0;
	long pin_dev = -1, pin_free = -1;
	int16_t un_nobus = 99, un_badbus = 99, un_dev = 99, un_host = 99, un_rest = 99;

	KT_ASSERT(self >= 0 && table_mapped() && va && vmap_slot(va) && f != FRAME_NONE,
		  "setup");
	bus = (uint64_t)pfn_to_mfn(f) << PAGE_SHIFT;
	grant(REF, (domid_t)self, pfn_to_mfn(f), GTF_permit_access);
	dev = map((domid_t)self, REF, 0, GNTMAP_device_map);
	f_dev = table[REF].flags;
	if (dev.status == GNTST_okay) {
		pin_dev = mmuext(MMUEXT_PIN_L1_TABLE, pfn_to_mfn(f));
		if (pin_dev == 0)
			mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(f));
		un_nobus = unmap(va, 0, dev.handle);	/* no host mapping to undo */
		un_badbus = unmap(0, bus + PAGE_SIZE, dev.handle);
		un_dev = unmap(0, bus, dev.handle);
		pin_free = mmuext(MMUEXT_PIN_L1_TABLE, pfn_to_mfn(f));
		if (pin_free == 0)
			mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(f));
	}
	both = map((domid_t)self, REF, va, GNTMAP_device_map | GNTMAP_host_map | GNTMAP_readonly);
	if (both.status == GNTST_okay) {
		un_host = unmap(va, 0, both.handle);
		f_host_gone = table[REF].flags;
		un_rest = unmap(0, bus, both.handle);
	}
	f_end = table[REF].flags;
	ungrant(REF);
	release_table_frame(f);
	vmap_free(va, 1);
	KT_ASSERT_EQ(dev.status, GNTST_okay, "a device mapping");
	KT_ASSERT_EQ(dev.bus, bus, "its bus address");
	KT_ASSERT_EQ(f_dev, GTF_permit_access | GTF_reading | GTF_writing, "flags");
	KT_ASSERT_EQ(pin_dev, -XEN_EINVAL, "pinning the device-mapped frame");
	KT_ASSERT_EQ(un_nobus, GNTST_okay, "unmap without the bus address");
	KT_ASSERT_EQ(un_badbus, GNTST_bad_dev_addr, "unmap with another bus address");
	KT_ASSERT_EQ(un_dev, GNTST_okay, "unmap with the bus address");
	KT_ASSERT_EQ(pin_free, 0, "pinning once unmapped");
	KT_ASSERT_EQ(both.status, GNTST_okay, "a read-only host and device mapping");
	KT_ASSERT_EQ(un_host, GNTST_okay, "unmap of the host half");
	KT_ASSERT_EQ(f_host_gone, GTF_permit_access | GTF_reading, "flags with the device half left");
	KT_ASSERT_EQ(un_rest, GNTST_okay, "unmap of the device half");
	KT_ASSERT_EQ(f_end, GTF_permit_access, "flags at the end");
}

static long cache_flush(unsigned int cmd, uint64_t maddr, uint16_t offset, uint16_t length,
			uint32_t op)
{
	struct gnttab_cache_flush f = { .offset = offset, .length = length, .op = op };

	f.a.dev_bus_addr = maddr;
	return hypercall_grant_table_op(cmd, &f, 1);
}

/*
 * cache_flush's arguments: the range within one page, known ops only;
 * nothing to do is 0; x86 has no invalidate without write-back
 * (-EOPNOTSUPP); Xen's own frames are nobody's with a grant table
 * (-EPERM); our shared and grant frames are ours. The continuation bits
 * of the command belong to cache_flush alone.
 */
KTEST(hostile, grant_cache_flush_args)
{
	unsigned long pfn = frame_alloc();
	const unsigned int cf = GNTTABOP_cache_flush, both = GNTTAB_CACHE_CLEAN | GNTTAB_CACHE_INVAL;
	uint64_t own, xen = (uint64_t)pte_mfn(kernel_l4[256]) << PAGE_SHIFT;
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	struct {
		const char *what;
		unsigned int cmd;
		int which;		/* 0 ours, 1 Xen's, 2 shared_info, 3 grant frame */
		uint16_t offset, length;
		uint32_t op;
		long expect;
	} c[] = {
		{ "offset 4096", cf, 0, 4096, 0, both, -XEN_EINVAL },
		{ "length 4097", cf, 0, 0, 4097, both, -XEN_EINVAL },
		{ "an unknown op bit", cf, 0, 0, 64, 4, -XEN_EINVAL },
		{ "GNTTAB_CACHE_SOURCE_GREF", cf, 0, 0, 64, GNTTAB_CACHE_SOURCE_GREF | both,
		  -XEN_EINVAL },
		{ "length 0", cf, 1, 0, 0, both, 0 },
		{ "op 0", cf, 1, 0, 64, 0, 0 },
		{ "invalidate only", cf, 0, 0, 64, GNTTAB_CACHE_INVAL, -XEN_EOPNOTSUPP },
		{ "clean only", cf, 0, 100, 64, GNTTAB_CACHE_CLEAN, 0 },
		{ "Xen's own frame", cf, 1, 0, 64, both, -XEN_EPERM },
		{ "shared_info", cf, 2, 0, 64, both, 0 },
		{ "our grant frame", cf, 3, 0, 64, both, 0 },
		{ "continuation bits, done", cf | (1u << 12), 0, 0, 64, both, 0 },
		{ "continuation bits on another op", GNTTABOP_query_size | (1u << 12), 0, 0, 0, 0,
		  -XEN_EINVAL },
	};
	long got[ARRAY_SIZE(c)];

	KT_ASSERT(pfn != FRAME_NONE && table_mapped(), "setup");
	own = (uint64_t)pfn_to_mfn(pfn) << PAGE_SHIFT;
	for (unsigned int i = 0; i < ARRAY_SIZE(c); i++) {
		uint64_t m[] = { own, xen, start_info.shared_info & ~0xfffUL,
				 (uint64_t)table_mfn << PAGE_SHIFT };

		if ((c[i].cmd & 0xfff) == GNTTABOP_query_size)
			got[i] = hypercall_grant_table_op(c[i].cmd, &q, 1);
		else
			got[i] = cache_flush(c[i].cmd, m[c[i].which], c[i].offset, c[i].length,
					     c[i].op);
	}
	frame_free(pfn);
	for (unsigned int i = 0; i < ARRAY_SIZE(c); i++)
		KT_ASSERT(got[i] == c[i].expect, "cache_flush, %s: %ld, expected %ld", c[i].what,
			  got[i], c[i].expect);
}

/*
 * The toolstack's eight entries survive a version switch in the new
 * layout, everything after them is cleared; one that v1 cannot hold
 * (a frame above 2^32) stops the switch back with -ERANGE.
 */
KTEST(hostile, grant_version_switch_reserved)
{
	volatile grant_entry_v2_t *v2 = (volatile void *)table;
	uint64_t frame6_v2 = 0, frame6_back = 0;
	domid_t dom6_v2 = 0, dom6_back = 0;
	uint16_t flags6_back = 99, flags20_v2 = 99;
	long to2 = -1, erange = -1, to1 = -1, ver_after = -1;
	struct gnttab_get_version gv = { .dom = DOMID_SELF };

	KT_ASSERT(table_mapped(), "setup");
	KT_ASSERT(table[6].flags == 0 && table[6].frame == 0 && table[6].domid == 0,
		  "entry 6 is in use: %#x", table[6].flags);
	table[6].domid = 0x1234;
	table[6].frame = 0x5678;
	grant(REF, 0, 0x9abc, GTF_permit_access);
	to2 = set_version(2);
	if (to2 == 0) {
		frame6_v2 = v2[6].full_page.frame;
		dom6_v2 = v2[6].hdr.domid;
		flags20_v2 = v2[REF / 2].hdr.flags;	/* v1 entry 20 sat in v2 entry 10 */
		v2[6].full_page.frame = 1ull << 32;
		wmb();
		v2[6].hdr.flags = GTF_permit_access;
		erange = set_version(1);
		if (!hypercall_grant_table_op(GNTTABOP_get_version, &gv, 1))
			ver_after = gv.version;
		v2[6].full_page.frame = 0x4321;
		to1 = set_version(1);
		flags6_back = table[6].flags;
		frame6_back = table[6].frame;
		dom6_back = table[6].domid;
	}
	ungrant(6);
	ungrant(REF);
	if (to2 == 0 && to1 != 0)
		set_version(1);
	KT_ASSERT_EQ(to2, 0, "switching to v2");
	KT_ASSERT_EQ(frame6_v2, 0x5678, "entry 6's frame in v2");
	KT_ASSERT_EQ(dom6_v2, 0x1234, "entry 6's domid in v2");
	KT_ASSERT_EQ(flags20_v2, 0, "the rest cleared");
	KT_ASSERT_EQ(erange, -XEN_ERANGE, "switching back with a frame above 2^32 in entry 6");
	KT_ASSERT_EQ(ver_after, 2, "version after the refusal");
	KT_ASSERT_EQ(to1, 0, "switching back");
	KT_ASSERT_EQ(flags6_back, GTF_permit_access, "entry 6's flags in v1");
	KT_ASSERT_EQ(frame6_back, 0x4321, "entry 6's frame in v1");
	KT_ASSERT_EQ(dom6_back, 0x1234, "entry 6's domid in v1");
}

/*
 * The guest removing a grant's entry itself (mmu_update): a release build
 * of Xen cannot tell it from any other entry (no GNTTAB marker), so the
 * domain lives on and the entry's references go with it; the grant's
 * unmap then finds no entry, and removes the same frame and rights mapped
 * there again. A guest may set bit 62 in its own entries.
 */
KTEST(hostile, grant_entry_removed_by_guest)
{
	int self = own_domid();
	unsigned long va = vmap_alloc(1), data = frame_alloc();
	uint64_t *slot = vmap_slot(va), ro;
	struct mapped m = { -100, 0, 0 };
	long zap = -1, remap = -1, bit62 = -1;
	int16_t gone = 99, un = 99;
	uint16_t f_end = 0;

	KT_ASSERT(self >= 0 && table_mapped() && va && slot && data != FRAME_NONE, "setup");
	ro = frame_pte(data, PTE_KERNEL_RO);
	grant(REF, (domid_t)self, pfn_to_mfn(data), GTF_permit_access);
	m = map((domid_t)self, REF, va, GNTMAP_host_map | GNTMAP_readonly);
	if (m.status == GNTST_okay) {
		zap = hypercall_update_va_mapping(va, 0, UVMF_INVLPG | UVMF_LOCAL);
		gone = unmap(va, 0, m.handle);
		remap = hypercall_update_va_mapping(va, ro, UVMF_INVLPG | UVMF_LOCAL);
		un = unmap(va, 0, m.handle);
		if (un != GNTST_okay)
			hypercall_update_va_mapping(va, 0, UVMF_INVLPG | UVMF_LOCAL);
	}
	f_end = table[REF].flags;
	bit62 = hypercall_update_va_mapping(va, ro | (1ul << 62), UVMF_INVLPG | UVMF_LOCAL);
	hypercall_update_va_mapping(va, 0, UVMF_INVLPG | UVMF_LOCAL);
	ungrant(REF);
	frame_free(data);
	vmap_free(va, 1);
	KT_ASSERT_EQ(m.status, GNTST_okay, "mapping read-only");
	KT_ASSERT_EQ(zap, 0, "clearing the grant's PTE with update_va_mapping");
	KT_ASSERT_EQ(gone, GNTST_general_error, "the grant's unmap with its PTE gone");
	KT_ASSERT_EQ(remap, 0, "mapping the frame there again, read-only");
	KT_ASSERT_EQ(un, GNTST_okay, "the grant's unmap of that mapping");
	KT_ASSERT_EQ(f_end, GTF_permit_access, "flags at the end");
	KT_ASSERT_EQ(bit62, 0, "a PTE of ours with bit 62 set");
}
