/*
 * XSAs about grant tables, checked with grants a domain gives itself:
 * Xen lets a domain map its own grants (the grant names our domid), which
 * reaches the same map/unmap code a backend would. Version switches,
 * swap_grant_ref, misaligned PTE addresses, the reading/writing flags,
 * unmap_and_replace, status frames. Refs 0-7 are the toolstack's
 * (console, xenstore): untouched here.
 */
#include <xen/errno.h>
#include <xen/grant_table.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/tests/probe.h"
#include "kernel/tests/ptframe.h"
#include "kernel/tests/self.h"
#include "lib/barrier.h"
#include "mm/mmu.h"
#include "mm/vmap.h"

/* Our first grant frame, mapped once (v1 and v2 share the frames). */
static volatile void *gnttab;

static volatile struct grant_entry_v1 *gnttab_v1(void)
{
	return gnttab;
}

static bool gnttab_map_frame0(void)
{
	xen_pfn_t frame = 0;
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1 };
	unsigned long va;

	if (gnttab)
		return true;
	set_xen_guest_handle(st.frame_list, &frame);
	if (hypercall_grant_table_op(GNTTABOP_setup_table, &st, 1) || st.status || !frame)
		return false;
	va = vmap_alloc(1);
	if (!va || !vmap_slot(va))
		return false;
	if (hypercall_update_va_mapping(va, (frame << PAGE_SHIFT) | PTE_KERNEL_RW,
					UVMF_INVLPG | UVMF_LOCAL))
		return false;
	gnttab = (void *)va;
	return true;
}

static long set_version(unsigned int v)
{
	struct gnttab_set_version sv = { .version = v };

	return hypercall_grant_table_op(GNTTABOP_set_version, &sv, 1);
}

static long get_version(void)
{
	struct gnttab_get_version gv = { .dom = DOMID_SELF };
	long rc = hypercall_grant_table_op(GNTTABOP_get_version, &gv, 1);

	return rc ? rc : gv.version;
}

static void grant(grant_ref_t ref, int domid, xen_pfn_t frame, uint16_t flags)
{
	gnttab_v1()[ref].domid = (domid_t)domid;
	gnttab_v1()[ref].frame = (uint32_t)frame;
	wmb();
	gnttab_v1()[ref].flags = flags;
}

static void ungrant(grant_ref_t ref)
{
	gnttab_v1()[ref].flags = 0;
	gnttab_v1()[ref].frame = 0;
	gnttab_v1()[ref].domid = 0;
}

/* status, and *handle on success. */
static int16_t map_grant(int domid, grant_ref_t ref, uint64_t addr, uint32_t flags,
			 grant_handle_t *handle)
{
	struct gnttab_map_grant_ref m = {
		.host_addr = addr, .flags = flags, .ref = ref, .dom = (domid_t)domid,
	};

	if (hypercall_grant_table_op(GNTTABOP_map_grant_ref, &m, 1))
		return GNTST_general_error - 100;	/* the hypercall itself failed */
	*handle = m.handle;
	return m.status;
}

static int16_t unmap_grant(uint64_t addr, grant_handle_t handle)
{
	struct gnttab_unmap_grant_ref u = { .host_addr = addr, .handle = handle };

	if (hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1))
		return GNTST_general_error - 100;
	return u.status;
}

#define SETUP()								\
	int self = own_domid();						\
	KT_ASSERT(self >= 0, "own domid");				\
	KT_ASSERT(gnttab_map_frame0(), "setting up our grant table");	\
	KT_ASSERT_EQ(get_version(), 1, "grant table version at start")

/*
 * XSA-26: switching a grant table from v2 back to v1 corrupted a list
 * in Xen. Switching both ways works, each switch shows in get_version,
 * and status frames exist only under v2.
 */
KTEST(xsa, xsa_026_gnttab_version_switch)
{
	uint64_t status_frame = 0;
	struct gnttab_get_status_frames gs = { .nr_frames = 1, .dom = DOMID_SELF };

	SETUP();
	(void)self;
	set_xen_guest_handle(gs.frame_list, &status_frame);
	KT_ASSERT_EQ(hypercall_grant_table_op(GNTTABOP_get_status_frames, &gs, 1), 0,
		     "get_status_frames under v1");
	KT_ASSERT_EQ(gs.status, GNTST_general_error, "get_status_frames status under v1");
	for (int round = 0; round < 2; round++) {
		KT_ASSERT_EQ(set_version(2), 0, "switch to v2");
		KT_ASSERT_EQ(get_version(), 2, "version after switching to v2");
		gs.status = 1;
		KT_ASSERT_EQ(hypercall_grant_table_op(GNTTABOP_get_status_frames, &gs, 1), 0,
			     "get_status_frames under v2");
		KT_ASSERT_EQ(gs.status, GNTST_okay, "get_status_frames status under v2");
		KT_ASSERT(status_frame != 0, "no status frame under v2");
		KT_ASSERT_EQ(set_version(1), 0, "switch back to v1");
		KT_ASSERT_EQ(get_version(), 1, "version after switching back");
	}
}

/*
 * XSA-255: switching v2 -> v1 freed the status frames even while the
 * guest still had them mapped. Xen refuses the switch with -EBUSY while a
 * mapping exists, and allows it once the mapping is gone.
 */
KTEST(xsa, xsa_255_status_frame_mapped)
{
	uint64_t status_frame = 0;
	struct gnttab_get_status_frames gs = { .nr_frames = 1, .dom = DOMID_SELF };
	unsigned long va = vmap_alloc(1);
	long rc;

	SETUP();
	(void)self;
	KT_ASSERT(va && vmap_slot(va), "setup");
	KT_ASSERT_EQ(set_version(2), 0, "switch to v2");
	set_xen_guest_handle(gs.frame_list, &status_frame);
	rc = hypercall_grant_table_op(GNTTABOP_get_status_frames, &gs, 1);
	if (rc || gs.status || !status_frame) {
		set_version(1);
		KT_FAIL("get_status_frames: %ld status %d", rc, gs.status);
		return;
	}
	rc = hypercall_update_va_mapping(va, (status_frame << PAGE_SHIFT) | PTE_KERNEL_RO,
					 UVMF_INVLPG | UVMF_LOCAL);
	if (rc) {
		set_version(1);
		KT_FAIL("mapping the status frame: %ld", rc);
		return;
	}
	rc = set_version(1);
	hypercall_update_va_mapping(va, 0, UVMF_INVLPG | UVMF_LOCAL);
	KT_ASSERT_EQ(rc, -XEN_EBUSY, "switch to v1 with a status frame mapped");
	KT_ASSERT_EQ(get_version(), 2, "version after the refused switch");
	KT_ASSERT_EQ(set_version(1), 0, "switch to v1 once unmapped");
	vmap_free(va, 1);
}

/*
 * XSA-134: GNTTABOP_swap_grant_ref misbehaved. A ref beyond the table is
 * GNTST_bad_gntref and changes nothing; a swap of two idle entries
 * exchanges them; swapping an entry with itself is a no-op.
 */
KTEST(xsa, xsa_134_swap_grant_ref)
{
	struct gnttab_swap_grant_ref sw;

	SETUP();
	grant(8, self, 0x1111, 0);
	grant(9, self, 0x2222, 0);
	sw = (struct gnttab_swap_grant_ref){ .ref_a = 8, .ref_b = 1u << 20 };
	KT_ASSERT_EQ(hypercall_grant_table_op(GNTTABOP_swap_grant_ref, &sw, 1), 0, "swap (bad ref)");
	KT_ASSERT_EQ(sw.status, GNTST_bad_gntref, "swap with a ref beyond the table");
	sw = (struct gnttab_swap_grant_ref){ .ref_a = 1u << 20, .ref_b = 9 };
	KT_ASSERT_EQ(hypercall_grant_table_op(GNTTABOP_swap_grant_ref, &sw, 1), 0, "swap (bad ref)");
	KT_ASSERT_EQ(sw.status, GNTST_bad_gntref, "swap with a ref beyond the table (a)");
	KT_ASSERT(gnttab_v1()[8].frame == 0x1111 && gnttab_v1()[9].frame == 0x2222,
		  "entries changed by a refused swap");
	sw = (struct gnttab_swap_grant_ref){ .ref_a = 8, .ref_b = 8 };
	KT_ASSERT_EQ(hypercall_grant_table_op(GNTTABOP_swap_grant_ref, &sw, 1), 0, "swap (same)");
	KT_ASSERT_EQ(sw.status, GNTST_okay, "swap of an entry with itself");
	sw = (struct gnttab_swap_grant_ref){ .ref_a = 8, .ref_b = 9 };
	KT_ASSERT_EQ(hypercall_grant_table_op(GNTTABOP_swap_grant_ref, &sw, 1), 0, "swap");
	KT_ASSERT_EQ(sw.status, GNTST_okay, "swap of two idle entries");
	KT_ASSERT(gnttab_v1()[8].frame == 0x2222 && gnttab_v1()[9].frame == 0x1111,
		  "entries not exchanged: %#x %#x", gnttab_v1()[8].frame, gnttab_v1()[9].frame);
	ungrant(8);
	ungrant(9);
}

/*
 * XSA-227: map_grant_ref with GNTMAP_contains_pte (host_addr is the
 * machine address of the PTE to write) did not check its alignment, so
 * the write could straddle two entries. Misaligned: GNTST_general_error,
 * nothing mapped and the grant left idle. Aligned: it maps.
 */
KTEST(xsa, xsa_227_map_misaligned_pte)
{
	unsigned long va = vmap_alloc(1), data = frame_alloc();
	uint64_t *slot = vmap_slot(va);
	grant_handle_t h = ~0u;
	int16_t st;

	SETUP();
	KT_ASSERT(va && slot && data != FRAME_NONE, "setup");
	((volatile uint8_t *)pfn_to_virt(data))[0] = 0x27;
	grant(10, self, pfn_to_mfn(data), GTF_permit_access);
	st = map_grant(self, 10, virt_to_maddr(slot) + 4,
		       GNTMAP_host_map | GNTMAP_contains_pte, &h);
	if (st == GNTST_okay)
		unmap_grant(virt_to_maddr(slot) + 4, h);
	KT_ASSERT_EQ(st, GNTST_general_error, "contains_pte map at a misaligned PTE address");
	KT_ASSERT_EQ(*slot, 0, "PTE written by the refused map");
	KT_ASSERT_EQ(gnttab_v1()[10].flags, GTF_permit_access, "grant flags after the refusal");

	st = map_grant(self, 10, virt_to_maddr(slot), GNTMAP_host_map | GNTMAP_contains_pte, &h);
	KT_ASSERT_EQ(st, GNTST_okay, "contains_pte map at an aligned PTE address");
	KT_ASSERT_EQ(pte_mfn(*slot), pfn_to_mfn(data), "PTE written by the map");
	KT_ASSERT_EQ(*(volatile uint8_t *)va, 0x27, "reading through the grant mapping");
	KT_ASSERT_EQ(unmap_grant(virt_to_maddr(slot), h), GNTST_okay, "unmap");
	KT_ASSERT_EQ(*slot, 0, "PTE after unmap");
	ungrant(10);
	frame_free(data);
	vmap_free(va, 1);
}

/*
 * XSA-230: unmapping one of two read-only mappings of a grant cleared
 * GTF_reading although the other mapping still existed, so the granter
 * could reuse the page while it was mapped. GTF_reading stays until the
 * last mapping is gone.
 */
KTEST(xsa, xsa_230_grant_reading_flag)
{
	unsigned long va = vmap_alloc(2), data = frame_alloc();
	grant_handle_t h1 = ~0u, h2 = ~0u;
	int16_t st1, st2;

	SETUP();
	KT_ASSERT(va && vmap_slot(va) && vmap_slot(va + PAGE_SIZE) && data != FRAME_NONE, "setup");
	grant(11, self, pfn_to_mfn(data), GTF_permit_access | GTF_readonly);
	st1 = map_grant(self, 11, va, GNTMAP_host_map | GNTMAP_readonly, &h1);
	st2 = map_grant(self, 11, va + PAGE_SIZE, GNTMAP_host_map | GNTMAP_readonly, &h2);
	if (st1 != GNTST_okay || st2 != GNTST_okay) {
		if (st1 == GNTST_okay)
			unmap_grant(va, h1);
		if (st2 == GNTST_okay)
			unmap_grant(va + PAGE_SIZE, h2);
		ungrant(11);
		KT_FAIL("mapping a read-only self grant twice: status %d, %d", st1, st2);
		return;
	}
	KT_ASSERT(gnttab_v1()[11].flags & GTF_reading, "GTF_reading not set while mapped");
	KT_ASSERT_EQ(unmap_grant(va, h1), GNTST_okay, "first unmap");
	KT_ASSERT(gnttab_v1()[11].flags & GTF_reading,
		  "GTF_reading cleared with one mapping left (flags %#x)", gnttab_v1()[11].flags);
	KT_ASSERT_EQ(unmap_grant(va + PAGE_SIZE, h2), GNTST_okay, "second unmap");
	KT_ASSERT_EQ(gnttab_v1()[11].flags, GTF_permit_access | GTF_readonly,
		     "flags once both mappings are gone");
	ungrant(11);
	frame_free(data);
	vmap_free(va, 2);
}

/*
 * XSA-234: several unmap paths dropped a writable reference even for a
 * mapping that was only read-only, so a guest could shuffle a writable
 * mapping out of Xen's accounting (XTF's PoC, step by step). Xen checks
 * the PTE it is asked to remove: the unmap of a PTE the guest re-pointed
 * itself fails, and the frame, still mapped writable through the grant,
 * cannot become a page table.
 */
KTEST(xsa, xsa_234_unmap_and_replace)
{
	unsigned long va = vmap_alloc(2), f1 = frame_alloc(), f2 = frame_alloc();
	unsigned long va1 = va, va2 = va + PAGE_SIZE;
	grant_handle_t h1 = ~0u, h2 = ~0u;
	struct gnttab_unmap_and_replace ur;
	struct pt_batch b = { 0 };
	int16_t st;
	long pin;

	SETUP();
	KT_ASSERT(va && vmap_slot(va1) && vmap_slot(va2) && f1 != FRAME_NONE &&
		  f2 != FRAME_NONE, "setup");
	/* f1 read-only in the direct map: its only writable use is the grant. */
	pt_set(&b, (unsigned long)pfn_to_virt(f1), frame_pte(f1, PTE_KERNEL_RO));
	pt_commit(&b);
	grant(8, self, pfn_to_mfn(f1), GTF_permit_access);
	grant(9, self, pfn_to_mfn(f2), GTF_permit_access);
	st = map_grant(self, 8, va1, GNTMAP_host_map, &h1);
	if (st != GNTST_okay) {
		KT_FAIL("mapping grant 8 writable: status %d", st);
		goto out;
	}
	st = map_grant(self, 9, va2, GNTMAP_host_map | GNTMAP_readonly, &h2);
	if (st != GNTST_okay) {
		KT_FAIL("mapping grant 9 read-only: status %d", st);
		unmap_grant(va1, h1);
		goto out;
	}
	/* Unmap grant 9 at va2, moving va1's PTE (grant 8, writable) there. */
	ur = (struct gnttab_unmap_and_replace){ .host_addr = va2, .new_addr = va1, .handle = h2 };
	if (hypercall_grant_table_op(GNTTABOP_unmap_and_replace, &ur, 1) || ur.status) {
		KT_FAIL("unmap_and_replace: status %d", ur.status);
		unmap_grant(va2, h2);
		unmap_grant(va1, h1);
		goto out;
	}
	/* va1 is zapped; point it at f1 again, read-only, as the attacker did. */
	if (hypercall_update_va_mapping(va1, frame_pte(f1, PTE_KERNEL_RO), UVMF_INVLPG | UVMF_LOCAL))
		KT_FAIL("re-pointing va1 at f1");
	st = unmap_grant(va1, h1);
	pin = mmuext(MMUEXT_PIN_L1_TABLE, pfn_to_mfn(f1));
	if (pin == 0)
		mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(f1));
	hypercall_update_va_mapping(va1, 0, UVMF_INVLPG | UVMF_LOCAL);
	if (st != GNTST_okay)
		unmap_grant(va2, h1);	/* grant 8's mapping now lives at va2 */
	KT_ASSERT_EQ(st, GNTST_general_error, "unmap of a PTE the guest re-pointed");
	KT_ASSERT_EQ(pin, -XEN_EINVAL, "pinning f1 while it is mapped writable by the grant");
out:
	ungrant(8);
	ungrant(9);
	pt_set(&b, (unsigned long)pfn_to_virt(f1), frame_pte(f1, PTE_KERNEL_RW));
	pt_commit(&b);
	frame_free(f1);
	frame_free(f2);
	vmap_free(va, 2);
}

/*
 * XSA-316: an error path of map_grant_ref returned a positive status
 * (misplaced brackets), which callers took for success. A map that fails
 * the check of the shared entry (it names another domain; it grants
 * nothing) must give GNTST_general_error.
 */
KTEST(xsa, xsa_316_map_grant_error_path)
{
	unsigned long va = vmap_alloc(1), data = frame_alloc();
	uint64_t *slot = vmap_slot(va);
	grant_handle_t h = ~0u;
	int16_t st;

	SETUP();
	KT_ASSERT(va && slot && data != FRAME_NONE, "setup");
	grant(8, (self + 1) & 0x7fff, pfn_to_mfn(data), GTF_permit_access);
	st = map_grant(self, 8, va, GNTMAP_host_map, &h);
	if (st == GNTST_okay)
		unmap_grant(va, h);
	KT_ASSERT_EQ(st, GNTST_general_error, "map of a grant made out to another domain");
	grant(8, self, pfn_to_mfn(data), 0);
	st = map_grant(self, 8, va, GNTMAP_host_map, &h);
	if (st == GNTST_okay)
		unmap_grant(va, h);
	KT_ASSERT_EQ(st, GNTST_general_error, "map of an entry that grants nothing");
	KT_ASSERT_EQ(*slot, 0, "PTE after the refused maps");
	ungrant(8);
	frame_free(data);
	vmap_free(va, 1);
}

/*
 * XSA-232: GNTTABOP_cache_flush followed the grant table pointer of
 * whoever owned the frame, and system domains (DOMID_IO owns the first
 * megabyte) have none. Every page there is now -EPERM, as XTF's PoC
 * walks them; a frame of ours can be flushed (0); a range past the page
 * end or a frame that does not exist is -EINVAL.
 */
static long cache_flush(uint64_t maddr, uint16_t offset, uint16_t length)
{
	struct gnttab_cache_flush f = { .offset = offset, .length = length,
					.op = GNTTAB_CACHE_INVAL | GNTTAB_CACHE_CLEAN };

	f.a.dev_bus_addr = maddr;
	return hypercall_grant_table_op(GNTTABOP_cache_flush, &f, 1);
}

KTEST(xsa, xsa_232_cache_flush_low_memory)
{
	unsigned long pfn = frame_alloc();
	uint64_t own;

	KT_ASSERT(pfn != FRAME_NONE, "setup");
	own = (uint64_t)pfn_to_mfn(pfn) << PAGE_SHIFT;
	for (uint64_t maddr = 0; maddr < (1ul << 20); maddr += PAGE_SIZE) {
		long rc = cache_flush(maddr, 0, PAGE_SIZE);

		if (rc != -XEN_EPERM) {
			frame_free(pfn);
			KT_FAIL("cache_flush of machine address %#lx: %ld, expected -EPERM",
				maddr, rc);
			return;
		}
	}
	KT_ASSERT_EQ(cache_flush(own, 0, PAGE_SIZE), 0, "cache_flush of our own frame");
	KT_ASSERT_EQ(cache_flush(own, 8, PAGE_SIZE), -XEN_EINVAL, "cache_flush past the page end");
	KT_ASSERT_EQ(cache_flush(1ul << 52, 0, PAGE_SIZE), -XEN_EINVAL,
		     "cache_flush of a frame that does not exist");
	frame_free(pfn);
}
