/*
 * GNTTABOP_copy through grants, as a hostile backend would use it on a
 * domain's own grants: into a grant of a frame that is a page table, into
 * and out of a grant that is mapped read-only, a grant's source and
 * destination at once, a grant made out to another domain, and under v2
 * a sub-page grant's bounds and a transitive grant naming ourselves.
 * Each asserts Xen 4.17's status, and that the entry's reading/writing
 * flags are back as they were (the copy's pins are its own).
 */
#include <xen/errno.h>
#include <xen/grant_table.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/tests/ptframe.h"
#include "kernel/tests/self.h"
#include "mm/mmu.h"
#include "mm/vmap.h"
#include "xen/grant_table.h"

static int16_t copy_ref(bool from_ref, domid_t dom, grant_ref_t ref, uint16_t ref_off,
			xen_pfn_t mfn, uint16_t off, uint16_t len)
{
	struct gnttab_copy_ptr g = { .u.ref = ref, .domid = dom, .offset = ref_off };
	struct gnttab_copy_ptr f = { .u.gmfn = mfn, .domid = DOMID_SELF, .offset = off };
	struct gnttab_copy c = { .len = len, .status = 99 };

	c.source = from_ref ? g : f;
	c.dest = from_ref ? f : g;
	c.flags = from_ref ? GNTCOPY_source_gref : GNTCOPY_dest_gref;
	return gnttab_copy(&c, 1) < 0 ? -100 : c.status;
}

static int16_t map_ro(domid_t dom, grant_ref_t ref, unsigned long va, grant_handle_t *h)
{
	struct gnttab_map_grant_ref m = {
		.host_addr = va, .flags = GNTMAP_host_map | GNTMAP_readonly, .ref = ref, .dom = dom,
	};

	if (hypercall_grant_table_op(GNTTABOP_map_grant_ref, &m, 1))
		return -100;
	*h = m.handle;
	return m.status;
}

static int16_t unmap(unsigned long va, grant_handle_t h)
{
	struct gnttab_unmap_grant_ref u = { .host_addr = va, .handle = h };

	return hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1) ? -100 : u.status;
}

/* v1, through the API's grants. */
KTEST(hostile, grant_copy_by_ref)
{
	int self = own_domid();
	unsigned long va = vmap_alloc(1), data = frame_alloc(), buf = frame_alloc();
	unsigned long l1 = table_frame();
	long gl1 = -1, gdata = -1, gother = -1, pin = -1;
	int16_t into_l1 = 99, from_l1 = 99, m = 99, from_mapped = 99, into_mapped = 99;
	int16_t both = 99, other = 99, un = 99;
	uint16_t f_l1 = 0, f_mapped = 0, f_both = 0, f_unmapped = 0;
	uint64_t l1_first = ~0ul;
	bool same = false;
	grant_handle_t h = 0;

	KT_ASSERT(self >= 0 && va && vmap_slot(va) && data != FRAME_NONE && buf != FRAME_NONE &&
		  l1 != FRAME_NONE, "setup");
	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		((uint8_t *)pfn_to_virt(data))[i] = (uint8_t)(i * 3);
	memset(pfn_to_virt(buf), 0x77, PAGE_SIZE);
	pin = mmuext(MMUEXT_PIN_L1_TABLE, pfn_to_mfn(l1));
	gl1 = gnttab_grant_access((domid_t)self, pfn_to_mfn(l1), false);
	gdata = gnttab_grant_access((domid_t)self, pfn_to_mfn(data), false);
	gother = gnttab_grant_access((domid_t)(self + 1), pfn_to_mfn(data), false);
	if (pin == 0 && gl1 >= 0 && gdata >= 0 && gother >= 0) {
		into_l1 = copy_ref(false, (domid_t)self, gl1, 0, pfn_to_mfn(buf), 0, 8);
		l1_first = *(volatile uint64_t *)pfn_to_virt(l1);
		from_l1 = copy_ref(true, (domid_t)self, gl1, 0, pfn_to_mfn(buf), 0, 8);
		f_l1 = gnttab_flags(gl1);
		m = map_ro((domid_t)self, gdata, va, &h);
		if (m == GNTST_okay) {
			from_mapped = copy_ref(true, (domid_t)self, gdata, 0, pfn_to_mfn(buf), 0, 64);
			into_mapped = copy_ref(false, (domid_t)self, gdata, 64, pfn_to_mfn(buf), 0,
					       64);
			same = !memcmp((uint8_t *)pfn_to_virt(data) + 64, pfn_to_virt(buf), 64);
			f_mapped = gnttab_flags(gdata);
			un = unmap(va, h);
		}
		f_unmapped = gnttab_flags(gdata);
		/* One grant both ways at once: a read pin, then a write pin. */
		{
			struct gnttab_copy c = {
				.source = { .u.ref = (grant_ref_t)gdata, .domid = (domid_t)self },
				.dest = { .u.ref = (grant_ref_t)gdata, .domid = (domid_t)self,
					  .offset = 2048 },
				.len = 1024, .flags = GNTCOPY_source_gref | GNTCOPY_dest_gref,
			};

			both = gnttab_copy(&c, 1) < 0 ? -100 : c.status;
		}
		f_both = gnttab_flags(gdata);
		other = copy_ref(true, (domid_t)self, gother, 0, pfn_to_mfn(buf), 0, 8);
	}
	if (gother >= 0)
		gnttab_end_access(gother, FRAME_NONE);
	if (gdata >= 0)
		gnttab_end_access(gdata, FRAME_NONE);
	if (gl1 >= 0)
		gnttab_end_access(gl1, FRAME_NONE);
	if (pin == 0)
		mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(l1));
	release_table_frame(l1);
	frame_free(data);
	frame_free(buf);
	vmap_free(va, 1);
	KT_ASSERT_EQ(pin, 0, "pinning an empty L1");
	KT_ASSERT(gl1 >= 0 && gdata >= 0 && gother >= 0, "grants: %ld %ld %ld", gl1, gdata, gother);
	KT_ASSERT_EQ(into_l1, GNTST_general_error, "copy into a grant of a pinned L1");
	KT_ASSERT_EQ(l1_first, 0, "the L1's first entry after the refused copy");
	KT_ASSERT_EQ(from_l1, GNTST_okay, "copy out of a grant of a pinned L1");
	KT_ASSERT_EQ(f_l1, GTF_permit_access, "flags of the L1's grant after both");
	KT_ASSERT_EQ(m, GNTST_okay, "mapping a grant read-only");
	KT_ASSERT_EQ(from_mapped, GNTST_okay, "copy out of a grant mapped read-only");
	KT_ASSERT_EQ(into_mapped, GNTST_okay, "copy into a grant mapped read-only");
	KT_ASSERT(same, "the bytes copied into the mapped grant differ");
	KT_ASSERT_EQ(f_mapped, GTF_permit_access | GTF_reading,
		     "flags while mapped read-only, after the copies");
	KT_ASSERT_EQ(un, GNTST_okay, "unmap");
	KT_ASSERT_EQ(f_unmapped, GTF_permit_access, "flags once unmapped");
	KT_ASSERT_EQ(both, GNTST_okay, "a copy within one grant, source and destination");
	KT_ASSERT_EQ(f_both, GTF_permit_access, "flags after it");
	KT_ASSERT_EQ(other, GNTST_general_error, "copy through a grant made out to another domain");
}

#define SUB	24	/* v2 entries of our own, below the API's pool */
#define TRANS	25

/* v2: a sub-page grant's bounds, and a transitive grant naming ourselves. */
KTEST(hostile, grant_copy_v2_sub_page_and_transitive)
{
	int self = own_domid();
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1 };
	unsigned long va = vmap_alloc(1), data = frame_alloc(), buf = frame_alloc();
	volatile grant_entry_v2_t *e = (volatile void *)va;
	xen_pfn_t frame0 = 0;
	long to2 = -1, to1 = -1, mapped = -1;
	int16_t in = 99, before = 99, after = 99, past_page = 99, dest_in = 99, dest_out = 99;
	int16_t trans = 99;
	uint16_t f_sub = 99, f_trans = 99;

	KT_ASSERT(self >= 0 && va && vmap_slot(va) && data != FRAME_NONE && buf != FRAME_NONE,
		  "setup");
	set_xen_guest_handle(st.frame_list, &frame0);
	to2 = gnttab_set_version(2);
	if (to2 == 0 && !hypercall_grant_table_op(GNTTABOP_setup_table, &st, 1) && !st.status)
		mapped = hypercall_update_va_mapping(va, (frame0 << PAGE_SHIFT) | PTE_KERNEL_RW,
						     UVMF_INVLPG | UVMF_LOCAL);
	if (mapped == 0) {
		e[SUB].sub_page.frame = pfn_to_mfn(data);
		e[SUB].sub_page.page_off = 1000;
		e[SUB].sub_page.length = 200;
		e[SUB].hdr.domid = (domid_t)self;
		e[SUB].hdr.flags = GTF_permit_access | GTF_sub_page;
		in = copy_ref(true, (domid_t)self, SUB, 1000, pfn_to_mfn(buf), 0, 200);
		before = copy_ref(true, (domid_t)self, SUB, 999, pfn_to_mfn(buf), 0, 8);
		after = copy_ref(true, (domid_t)self, SUB, 1100, pfn_to_mfn(buf), 0, 101);
		past_page = copy_ref(true, (domid_t)self, SUB, 4000, pfn_to_mfn(buf), 0, 200);
		dest_in = copy_ref(false, (domid_t)self, SUB, 1199, pfn_to_mfn(buf), 0, 1);
		dest_out = copy_ref(false, (domid_t)self, SUB, 1199, pfn_to_mfn(buf), 0, 2);
		f_sub = gnttab_flags(SUB);
		e[TRANS].transitive.trans_domid = (domid_t)self;
		e[TRANS].transitive.gref = SUB;
		e[TRANS].hdr.domid = (domid_t)self;
		e[TRANS].hdr.flags = GTF_transitive;
		trans = copy_ref(true, (domid_t)self, TRANS, 1000, pfn_to_mfn(buf), 0, 8);
		f_trans = gnttab_flags(TRANS);
		e[SUB].hdr.flags = 0;
		e[TRANS].hdr.flags = 0;
	}
	if (mapped == 0)
		hypercall_update_va_mapping(va, 0, UVMF_INVLPG | UVMF_LOCAL);
	to1 = gnttab_set_version(1);
	frame_free(data);
	frame_free(buf);
	vmap_free(va, 1);
	KT_ASSERT_EQ(to2, 0, "switching to v2");
	KT_ASSERT_EQ(mapped, 0, "mapping our first grant frame");
	KT_ASSERT_EQ(in, GNTST_okay, "copy of a sub-page grant's whole part");
	KT_ASSERT_EQ(before, GNTST_general_error, "copy starting before the part");
	KT_ASSERT_EQ(after, GNTST_general_error, "copy ending after the part");
	KT_ASSERT_EQ(past_page, GNTST_bad_copy_arg, "copy past the page (checked first)");
	KT_ASSERT_EQ(dest_in, GNTST_okay, "copy into the part's last byte");
	KT_ASSERT_EQ(dest_out, GNTST_general_error, "copy into the part and one byte more");
	KT_ASSERT_EQ(f_sub, GTF_permit_access | GTF_sub_page, "the sub-page grant's flags after");
	KT_ASSERT_EQ(trans, GNTST_general_error, "copy through a transitive grant naming ourselves");
	KT_ASSERT_EQ(f_trans, GTF_transitive, "the transitive grant's flags after");
	KT_ASSERT_EQ(to1, 0, "switching back to v1");
}

#define MOVED	26	/* a v1 entry of our own, below the API's pool */

/*
 * A grant mapped read-only whose entry is then pointed at another frame:
 * a read-only copy reads the mapped frame (the active one); a writable
 * copy, which re-reads the entry, is refused and writes neither frame.
 */
KTEST(hostile, grant_copy_entry_repointed_under_mapping)
{
	int self = own_domid();
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1 };
	unsigned long va = vmap_alloc(2), a = frame_alloc(), b = frame_alloc(), buf = frame_alloc();
	volatile grant_entry_v1_t *e = (volatile void *)va;
	xen_pfn_t frame0 = 0;
	long mapped = -1;
	int16_t m = 99, from = 99, into = 99, un = 99;
	uint16_t f_after = 0;
	bool read_a = false, a_kept = false, b_kept = false;
	grant_handle_t h = 0;

	KT_ASSERT(self >= 0 && va && vmap_slot(va) && vmap_slot(va + PAGE_SIZE) &&
		  a != FRAME_NONE && b != FRAME_NONE && buf != FRAME_NONE, "setup");
	KT_ASSERT_EQ(gnttab_version(), 1, "version");
	set_xen_guest_handle(st.frame_list, &frame0);
	if (!hypercall_grant_table_op(GNTTABOP_setup_table, &st, 1) && !st.status)
		mapped = hypercall_update_va_mapping(va, (frame0 << PAGE_SHIFT) | PTE_KERNEL_RW,
						     UVMF_INVLPG | UVMF_LOCAL);
	if (mapped == 0) {
		memset(pfn_to_virt(a), 0xaa, PAGE_SIZE);
		memset(pfn_to_virt(b), 0xbb, PAGE_SIZE);
		e[MOVED].domid = (domid_t)self;
		e[MOVED].frame = (uint32_t)pfn_to_mfn(a);
		e[MOVED].flags = GTF_permit_access;
		m = map_ro((domid_t)self, MOVED, va + PAGE_SIZE, &h);
		if (m == GNTST_okay) {
			e[MOVED].frame = (uint32_t)pfn_to_mfn(b);
			memset(pfn_to_virt(buf), 0, PAGE_SIZE);
			from = copy_ref(true, (domid_t)self, MOVED, 0, pfn_to_mfn(buf), 0, 16);
			read_a = ((uint8_t *)pfn_to_virt(buf))[0] == 0xaa;
			memset(pfn_to_virt(buf), 0x11, PAGE_SIZE);
			into = copy_ref(false, (domid_t)self, MOVED, 0, pfn_to_mfn(buf), 0, 16);
			a_kept = ((uint8_t *)pfn_to_virt(a))[0] == 0xaa;
			b_kept = ((uint8_t *)pfn_to_virt(b))[0] == 0xbb;
			f_after = e[MOVED].flags;
			un = unmap(va + PAGE_SIZE, h);
		}
		e[MOVED].flags = 0;
		e[MOVED].frame = 0;
		e[MOVED].domid = 0;
		hypercall_update_va_mapping(va, 0, UVMF_INVLPG | UVMF_LOCAL);
	}
	frame_free(a);
	frame_free(b);
	frame_free(buf);
	vmap_free(va, 2);
	KT_ASSERT_EQ(mapped, 0, "mapping our first grant frame");
	KT_ASSERT_EQ(m, GNTST_okay, "mapping the grant read-only");
	KT_ASSERT_EQ(from, GNTST_okay, "a copy out of the re-pointed grant");
	KT_ASSERT(read_a, "the copy out did not read the mapped frame");
	KT_ASSERT_EQ(into, GNTST_general_error, "a copy into the re-pointed grant");
	KT_ASSERT(a_kept && b_kept, "the refused copy wrote a frame (mapped %d, new %d)", !a_kept,
		  !b_kept);
	KT_ASSERT_EQ(f_after, GTF_permit_access | GTF_reading, "flags after the refused copy");
	KT_ASSERT_EQ(un, GNTST_okay, "unmap");
}
