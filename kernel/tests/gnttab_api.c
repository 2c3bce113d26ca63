/*
 * The grant API (xen/grant_table.c) against Xen: we grant pages to
 * ourselves and play the backend too, mapping, unmapping and copying
 * through our own grants with the raw hypercalls a backend would make
 * (Xen lets a domain map its own grants). The life cycle, the deferred
 * end of a grant still mapped, batched copies and their statuses, the
 * version switch, and the pool running dry. Each test gives back every
 * reference and leaves the table in v1.
 */
#include <xen/errno.h>
#include <xen/grant_table.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/tests/ptframe.h"
#include "kernel/tests/self.h"
#include "mm/vmap.h"
#include "xen/grant_table.h"

/* The backend's half: raw map and unmap at va. */
static int16_t be_map(domid_t dom, grant_ref_t ref, unsigned long va, bool ro,
		      grant_handle_t *h)
{
	struct gnttab_map_grant_ref m = {
		.host_addr = va, .flags = GNTMAP_host_map | (ro ? GNTMAP_readonly : 0),
		.ref = ref, .dom = dom, .status = 99,
	};

	if (hypercall_grant_table_op(GNTTABOP_map_grant_ref, &m, 1))
		return -100;
	*h = m.handle;
	return m.status;
}

static int16_t be_unmap(unsigned long va, grant_handle_t h)
{
	struct gnttab_unmap_grant_ref u = { .host_addr = va, .handle = h, .status = 99 };

	return hypercall_grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1) ? -100 : u.status;
}

/* One copy op: from/to a grant of dom (ref) and one of our frames (mfn). */
static struct gnttab_copy copy_op(bool from_ref, domid_t dom, grant_ref_t ref,
				  uint16_t ref_off, xen_pfn_t mfn, uint16_t off, uint16_t len)
{
	struct gnttab_copy_ptr g = { .u.ref = ref, .domid = dom, .offset = ref_off };
	struct gnttab_copy_ptr f = { .u.gmfn = mfn, .domid = DOMID_SELF, .offset = off };
	struct gnttab_copy c = { .len = len, .status = 99 };

	c.source = from_ref ? g : f;
	c.dest = from_ref ? f : g;
	c.flags = from_ref ? GNTCOPY_source_gref : GNTCOPY_dest_gref;
	return c;
}

static int16_t copy1(struct gnttab_copy c)
{
	long rc = gnttab_copy(&c, 1);

	return rc < 0 ? -100 : c.status;
}

static void fill(unsigned long pfn, uint8_t seed)
{
	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		((uint8_t *)pfn_to_virt(pfn))[i] = (uint8_t)(i * 13 + seed);
}

/*
 * A page granted, mapped by the "backend", read and written through the
 * mapping, unmapped; copied from and to by ref; then the grant ended, and
 * Xen refuses the ref; the same ref comes out next, read-only this time.
 */
KTEST(gnttab, grant_map_copy_end_reuse)
{
	int self = own_domid();
	unsigned long va = vmap_alloc(1), data = frame_alloc(), buf = frame_alloc();
	uint16_t f_granted = 0, f_mapped = 0, f_unmapped = 0, f_copied = 0, f_ended = 0;
	int16_t map = 99, unmap = 99, c_from = 99, c_to = 99, map_ended = 99, copy_ended = 99;
	int16_t map_rw_of_ro = 99, copy_to_ro = 99, map_ro = 99, unmap_ro = 99;
	bool read_ok = false, write_ok = false, from_ok = false, to_ok = false;
	long ref = -1, again = -1;
	grant_handle_t h = 0;
	bool ended = false;

	KT_ASSERT(self >= 0 && va && vmap_slot(va) && data != FRAME_NONE && buf != FRAME_NONE,
		  "setup");
	fill(data, 1);
	ref = gnttab_grant_access((domid_t)self, pfn_to_mfn(data), false);
	if (ref >= 0) {
		f_granted = gnttab_flags(ref);
		map = be_map((domid_t)self, ref, va, false, &h);
		if (map == GNTST_okay) {
			f_mapped = gnttab_flags(ref);
			read_ok = !memcmp((void *)va, pfn_to_virt(data), PAGE_SIZE);
			((volatile uint8_t *)va)[77] = 0xa5;
			write_ok = ((volatile uint8_t *)pfn_to_virt(data))[77] == 0xa5;
			unmap = be_unmap(va, h);
		}
		f_unmapped = gnttab_flags(ref);
		memset(pfn_to_virt(buf), 0, PAGE_SIZE);
		c_from = copy1(copy_op(true, (domid_t)self, ref, 0, pfn_to_mfn(buf), 0, PAGE_SIZE));
		from_ok = !memcmp(pfn_to_virt(buf), pfn_to_virt(data), PAGE_SIZE);
		fill(buf, 9);
		c_to = copy1(copy_op(false, (domid_t)self, ref, 50, pfn_to_mfn(buf), 3000, 100));
		to_ok = !memcmp((uint8_t *)pfn_to_virt(data) + 50,
				(uint8_t *)pfn_to_virt(buf) + 3000, 100);
		f_copied = gnttab_flags(ref);
		ended = gnttab_end_access(ref, FRAME_NONE);
		f_ended = gnttab_flags(ref);
		map_ended = be_map((domid_t)self, ref, va, true, &h);
		if (map_ended == GNTST_okay)
			be_unmap(va, h);
		copy_ended = copy1(copy_op(true, (domid_t)self, ref, 0, pfn_to_mfn(buf), 0, 8));
		again = gnttab_grant_access((domid_t)self, pfn_to_mfn(data), true);
		if (again >= 0) {
			map_rw_of_ro = be_map((domid_t)self, again, va, false, &h);
			if (map_rw_of_ro == GNTST_okay)
				be_unmap(va, h);
			copy_to_ro = copy1(copy_op(false, (domid_t)self, again, 0,
						   pfn_to_mfn(buf), 0, 8));
			map_ro = be_map((domid_t)self, again, va, true, &h);
			if (map_ro == GNTST_okay)
				unmap_ro = be_unmap(va, h);
			gnttab_end_access(again, FRAME_NONE);
		}
	}
	frame_free(data);
	frame_free(buf);
	vmap_free(va, 1);
	KT_ASSERT(ref >= GNTTAB_FIRST_REF, "grant_access: %ld", ref);
	KT_ASSERT_EQ(f_granted, GTF_permit_access, "flags once granted");
	KT_ASSERT_EQ(map, GNTST_okay, "the backend's map");
	KT_ASSERT_EQ(f_mapped, GTF_permit_access | GTF_reading | GTF_writing, "flags while mapped");
	KT_ASSERT(read_ok, "the mapping shows another page");
	KT_ASSERT(write_ok, "a write through the mapping did not reach the page");
	KT_ASSERT_EQ(unmap, GNTST_okay, "the backend's unmap");
	KT_ASSERT_EQ(f_unmapped, GTF_permit_access, "flags once unmapped");
	KT_ASSERT_EQ(c_from, GNTST_okay, "copy from the grant");
	KT_ASSERT(from_ok, "the bytes copied from the grant differ");
	KT_ASSERT_EQ(c_to, GNTST_okay, "copy into the grant");
	KT_ASSERT(to_ok, "the bytes copied into the grant differ");
	KT_ASSERT_EQ(f_copied, GTF_permit_access, "flags after the copies");
	KT_ASSERT(ended, "end_access of an idle grant was deferred");
	KT_ASSERT_EQ(f_ended, 0, "flags once ended");
	KT_ASSERT_EQ(map_ended, GNTST_general_error, "mapping an ended grant");
	KT_ASSERT_EQ(copy_ended, GNTST_general_error, "copying through an ended grant");
	KT_ASSERT_EQ(again, ref, "the next grant reuses the ref just freed");
	KT_ASSERT_EQ(map_rw_of_ro, GNTST_general_error, "mapping a read-only grant writable");
	KT_ASSERT_EQ(copy_to_ro, GNTST_general_error, "copying into a read-only grant");
	KT_ASSERT_EQ(map_ro, GNTST_okay, "mapping a read-only grant read-only");
	KT_ASSERT_EQ(unmap_ro, GNTST_okay, "unmapping it");
}

/*
 * Ending a grant the backend still maps: not freed (the flags stay, the
 * ref is not handed out again, the frame stays allocated); try_end says
 * -EBUSY; once the backend unmaps, the next reap frees ref and frame.
 */
KTEST(gnttab, end_access_deferred_while_mapped)
{
	int self = own_domid();
	unsigned long va = vmap_alloc(1), data = frame_alloc();
	struct gnttab_stats s0, s1, s2;
	int16_t map = 99, unmap = 99;
	long ref = -1, busy = 0, other = -1;
	uint16_t f_after_end = 0, f_reaped = 0;
	unsigned int left_mapped = 99, left_unmapped = 99;
	bool ended = true, frame_kept = false, frame_freed = false, still_out = false;
	grant_handle_t h = 0;

	KT_ASSERT(self >= 0 && va && vmap_slot(va) && data != FRAME_NONE, "setup");
	gnttab_stats(&s0);
	ref = gnttab_grant_access((domid_t)self, pfn_to_mfn(data), false);
	if (ref >= 0)
		map = be_map((domid_t)self, ref, va, false, &h);
	if (map == GNTST_okay) {
		busy = gnttab_try_end_access(ref);
		ended = gnttab_end_access(ref, data);
		f_after_end = gnttab_flags(ref);
		other = gnttab_grant_access((domid_t)self, pfn_to_mfn(data), true);
		left_mapped = gnttab_reap();
		frame_kept = !frame_is_free(data);
		still_out = gnttab_granted(ref);
		gnttab_stats(&s1);
		((volatile uint8_t *)va)[0] = 1;	/* the backend still writes: the page is not reused */
		unmap = be_unmap(va, h);
		left_unmapped = gnttab_reap();
		f_reaped = gnttab_flags(ref);
		frame_freed = frame_is_free(data);
		if (other >= 0)
			gnttab_end_access(other, FRAME_NONE);
	} else {
		if (ref >= 0)
			gnttab_end_access(ref, FRAME_NONE);
		frame_free(data);
	}
	gnttab_stats(&s2);
	vmap_free(va, 1);
	KT_ASSERT(ref >= 0, "grant_access: %ld", ref);
	KT_ASSERT_EQ(map, GNTST_okay, "the backend's map");
	KT_ASSERT_EQ(busy, -XEN_EBUSY, "try_end_access while mapped");
	KT_ASSERT(!ended, "end_access while mapped was not deferred");
	KT_ASSERT_EQ(f_after_end, GTF_permit_access | GTF_reading | GTF_writing,
		     "flags after the deferred end (cmpxchg must not clear them)");
	KT_ASSERT(other >= 0 && other != ref, "a new grant got ref %ld (the deferred one is %ld)",
		  other, ref);
	KT_ASSERT_EQ(left_mapped, 1, "deferred while still mapped");
	KT_ASSERT(frame_kept && still_out, "the deferred ref or frame was freed while mapped");
	KT_ASSERT_EQ(s1.deferred, s0.deferred + 1, "deferred count");
	KT_ASSERT_EQ(unmap, GNTST_okay, "the backend's unmap");
	KT_ASSERT_EQ(left_unmapped, 0, "deferred once unmapped");
	KT_ASSERT_EQ(f_reaped, 0, "flags once reaped");
	KT_ASSERT(frame_freed, "the frame was not freed with the ref");
	KT_ASSERT(s2.free == s0.free && s2.granted == s0.granted,
		  "pool: %u free, %u granted; %u, %u before", s2.free, s2.granted, s0.free,
		  s0.granted);
}

#define BATCH	16

/*
 * A batch of copies is one hypercall, each op with its own status; a bad
 * op in the middle fails alone, with Xen's status: a ref beyond the
 * table, a ref never granted, a length past the page, an offset outside
 * it, a domain that does not exist, by frame to another domain.
 */
KTEST(gnttab, copy_batch_and_bad_ops)
{
	int self = own_domid();
	unsigned long src[BATCH], dst = frame_alloc();
	long ref[BATCH];
	struct gnttab_copy ops[BATCH];
	struct gnttab_stats st;
	unsigned long calls = 0;
	long failed = -1, failed_bad = -1;
	bool same = true;
	struct {
		const char *what;
		struct gnttab_copy op;
		int16_t expect;
	} bad[] = {
		{ "a ref beyond the table", {}, GNTST_bad_gntref },
		{ "a ref never granted", {}, GNTST_general_error },
		{ "a length past the page", {}, GNTST_bad_copy_arg },
		{ "the grant's offset past the page", {}, GNTST_bad_copy_arg },
		{ "a domain that does not exist", {}, GNTST_bad_domain },
		{ "by frame, to another domain", {}, GNTST_permission_denied },
	};
	int16_t got[ARRAY_SIZE(bad)];
	unsigned int n = 0;
	bool made = false;

	KT_ASSERT(self >= 0 && dst != FRAME_NONE, "setup");
	gnttab_stats(&st);
	for (; n < BATCH; n++) {
		src[n] = frame_alloc();
		if (src[n] == FRAME_NONE)
			break;
		fill(src[n], (uint8_t)n);
		ref[n] = gnttab_grant_access((domid_t)self, pfn_to_mfn(src[n]), true);
		if (ref[n] < 0) {
			frame_free(src[n]);
			break;
		}
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++)
		got[i] = 99;
	made = n == BATCH;
	if (made) {
		/* 256 bytes of each page, into its own slice of dst. */
		for (unsigned int i = 0; i < BATCH; i++)
			ops[i] = copy_op(true, (domid_t)self, ref[i], (uint16_t)(i * 256),
					 pfn_to_mfn(dst), (uint16_t)(i * 256), 256);
		calls = hypercall_count;
		failed = gnttab_copy(ops, BATCH);
		calls = hypercall_count - calls;
		for (unsigned int i = 0; i < BATCH; i++)
			same &= !memcmp((uint8_t *)pfn_to_virt(dst) + i * 256,
					(uint8_t *)pfn_to_virt(src[i]) + i * 256, 256);
		bad[0].op = copy_op(true, (domid_t)self, 1u << 20, 0, pfn_to_mfn(dst), 0, 8);
		bad[1].op = copy_op(true, (domid_t)self, st.capacity - 1, 0, pfn_to_mfn(dst), 0, 8);
		bad[2].op = copy_op(true, (domid_t)self, ref[0], 0, pfn_to_mfn(dst), 100, 4000);
		bad[3].op = copy_op(true, (domid_t)self, ref[0], 4090, pfn_to_mfn(dst), 0, 8);
		bad[4].op = copy_op(true, 0x7000, ref[0], 0, pfn_to_mfn(dst), 0, 8);
		bad[5].op = copy_op(true, (domid_t)self, ref[0], 0, pfn_to_mfn(dst), 0, 8);
		bad[5].op.flags = 0;	/* the source by frame, naming our domid: not DOMID_SELF */
		bad[5].op.source.u.gmfn = pfn_to_mfn(src[0]);
		for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
			/* Each bad op between two good ones, in one call. */
			struct gnttab_copy three[3] = { ops[1], bad[i].op, ops[2] };

			failed_bad = gnttab_copy(three, 3);
			got[i] = three[1].status;
			if (failed_bad != 1 || three[0].status || three[2].status)
				break;
		}
	}
	while (n--)
		gnttab_end_access(ref[n], src[n]);
	frame_free(dst);
	KT_ASSERT(made, "granting %u pages", BATCH);
	KT_ASSERT(failed >= 0, "the batch: hypercall error %ld", failed);
	KT_ASSERT_EQ(failed, 0, "ops of the batch that failed");
	KT_ASSERT_EQ(calls, 1, "hypercalls for a batch of 16");
	KT_ASSERT(same, "a slice of the batch differs");
	KT_ASSERT_EQ(failed_bad, 1, "a bad op between two good ones: ops failed");
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++)
		KT_ASSERT(got[i] == bad[i].expect, "copy, %s: %d (%s), expected %d (%s)",
			  bad[i].what, got[i], gnttab_status_name(got[i]), bad[i].expect,
			  gnttab_status_name(bad[i].expect));
}

static long raw_set_version(unsigned int v)
{
	struct gnttab_set_version sv = { .version = v };

	return hypercall_grant_table_op(GNTTABOP_set_version, &sv, 1);
}

/*
 * Versions with grants out. Xen refuses a switch while a grant is mapped
 * (-EBUSY), and while a v2 status frame is mapped anywhere (-EBUSY: ours
 * are, for as long as we use v2); it accepts one while grants are out but
 * unmapped, and clears them: which is why the API refuses itself while
 * anything is out. Under v2 the same life cycle: grant, map, copy, end
 * deferred while mapped, freed once unmapped.
 */
KTEST(gnttab, version_switch_with_grants)
{
	int self = own_domid();
	unsigned long va = vmap_alloc(1), data = frame_alloc(), buf = frame_alloc();
	long ref = -1, ref2 = -1, raw_mapped = -1, api_out = -1, raw_unmapped = -1, raw_back = -1;
	long to2 = -1, raw_status = -1, raw_status_idle = -1, to1 = -1;
	int16_t map = 99, map2 = 99, copy2 = 99, unmap2 = 99;
	uint16_t f_wiped = 99, f2_granted = 0, f2_mapped = 0, f2_reaped = 99;
	unsigned int ver2 = 0, left_mapped = 99, left = 99;
	bool wiped_ended = false, ended2 = true, copied = false;
	grant_handle_t h = 0;

	KT_ASSERT(self >= 0 && va && vmap_slot(va) && data != FRAME_NONE && buf != FRAME_NONE,
		  "setup");
	KT_ASSERT_EQ(gnttab_version(), 1, "version at the start");
	fill(data, 5);
	ref = gnttab_grant_access((domid_t)self, pfn_to_mfn(data), false);
	if (ref >= 0) {
		map = be_map((domid_t)self, ref, va, false, &h);
		raw_mapped = raw_set_version(2);
		if (map == GNTST_okay)
			be_unmap(va, h);
		api_out = gnttab_set_version(2);
		raw_unmapped = raw_set_version(2);	/* Xen accepts, and clears our entry */
		raw_back = raw_set_version(1);
		f_wiped = gnttab_flags(ref);
		wiped_ended = gnttab_end_access(ref, FRAME_NONE);
	}
	to2 = gnttab_set_version(2);
	ver2 = gnttab_version();
	if (to2 == 0) {
		ref2 = gnttab_grant_access((domid_t)self, pfn_to_mfn(data), false);
		if (ref2 >= 0) {
			f2_granted = gnttab_flags(ref2);
			memset(pfn_to_virt(buf), 0, PAGE_SIZE);
			copy2 = copy1(copy_op(true, (domid_t)self, ref2, 0, pfn_to_mfn(buf), 0,
					      PAGE_SIZE));
			copied = !memcmp(pfn_to_virt(buf), pfn_to_virt(data), PAGE_SIZE);
			map2 = be_map((domid_t)self, ref2, va, false, &h);
			f2_mapped = gnttab_flags(ref2);
			raw_status = raw_set_version(1);
			ended2 = gnttab_end_access(ref2, FRAME_NONE);
			left_mapped = gnttab_reap();
			if (map2 == GNTST_okay)
				unmap2 = be_unmap(va, h);
			left = gnttab_reap();
			f2_reaped = gnttab_flags(ref2);
		}
		raw_status_idle = raw_set_version(1);	/* our status frames are mapped */
	}
	to1 = gnttab_set_version(1);
	if (raw_unmapped == 0 && raw_back != 0)
		raw_set_version(1);
	frame_free(data);
	frame_free(buf);
	vmap_free(va, 1);
	KT_ASSERT(ref >= 0, "grant_access: %ld", ref);
	KT_ASSERT_EQ(map, GNTST_okay, "the backend's map");
	KT_ASSERT_EQ(raw_mapped, -XEN_EBUSY, "Xen's switch to v2 with our grant mapped");
	KT_ASSERT_EQ(api_out, -XEN_EBUSY, "the API's switch with a grant out");
	KT_ASSERT_EQ(raw_unmapped, 0, "Xen's switch to v2 with our grant out, unmapped");
	KT_ASSERT_EQ(raw_back, 0, "Xen's switch back to v1");
	KT_ASSERT_EQ(f_wiped, 0, "our grant's flags after Xen's two switches");
	KT_ASSERT(wiped_ended, "ending the wiped grant");
	KT_ASSERT_EQ(to2, 0, "the API's switch to v2 (Xen 4.17 offers v2 to this domain)");
	KT_ASSERT_EQ(ver2, 2, "version after it");
	KT_ASSERT(ref2 >= GNTTAB_FIRST_REF, "grant_access under v2: %ld", ref2);
	KT_ASSERT_EQ(f2_granted, GTF_permit_access, "v2 flags once granted");
	KT_ASSERT_EQ(copy2, GNTST_okay, "copy from a v2 grant");
	KT_ASSERT(copied, "the bytes copied from the v2 grant differ");
	KT_ASSERT_EQ(map2, GNTST_okay, "the backend's map of a v2 grant");
	KT_ASSERT_EQ(f2_mapped, GTF_permit_access | GTF_reading | GTF_writing,
		     "v2 flags and status while mapped");
	KT_ASSERT_EQ(raw_status, -XEN_EBUSY, "Xen's switch to v1 with a v2 grant mapped");
	KT_ASSERT(!ended2, "end_access of a mapped v2 grant was not deferred");
	KT_ASSERT_EQ(left_mapped, 1, "deferred while mapped (v2)");
	KT_ASSERT_EQ(unmap2, GNTST_okay, "the backend's unmap (v2)");
	KT_ASSERT_EQ(left, 0, "deferred once unmapped (v2)");
	KT_ASSERT_EQ(f2_reaped, 0, "v2 flags and status once reaped");
	KT_ASSERT_EQ(raw_status_idle, -XEN_EBUSY, "Xen's switch to v1 with our status frames mapped");
	KT_ASSERT_EQ(to1, 0, "the API's switch back to v1 (status frames unmapped first)");
	KT_ASSERT_EQ(gnttab_version(), 1, "version at the end");
}

/*
 * Every reference of a table at Xen's maximum size handed out: the pool
 * grows the table a frame at a time up to it, then says -ENOSPC; one
 * given back is the next one out; all given back, the pool is whole.
 */
KTEST(gnttab, pool_exhaustion)
{
	static uint64_t before[64 * 512 / 64];
	unsigned long data = frame_alloc();
	struct gnttab_stats s0, full, s2;
	long got = 0, err = 0, ref = -1, again = -1;
	unsigned int n = 0;

	KT_ASSERT(data != FRAME_NONE, "setup");
	gnttab_stats(&s0);
	for (unsigned int r = 0; r < 64 * 512; r++)
		if (gnttab_granted(r))
			before[r / 64] |= 1ull << (r % 64);
		else
			before[r / 64] &= ~(1ull << (r % 64));
	while ((got = gnttab_grant_access(0, pfn_to_mfn(data), true)) >= 0) {
		ref = got;
		n++;
	}
	err = got;
	gnttab_stats(&full);
	if (ref >= 0) {
		gnttab_end_access(ref, FRAME_NONE);
		again = gnttab_grant_access(0, pfn_to_mfn(data), true);
	}
	for (unsigned int r = GNTTAB_FIRST_REF; r < full.capacity; r++)
		if (gnttab_granted(r) && !((before[r / 64] >> (r % 64)) & 1))
			gnttab_end_access(r, FRAME_NONE);
	gnttab_stats(&s2);
	frame_free(data);
	KT_ASSERT_EQ(err, -XEN_ENOSPC, "grant_access with every ref out");
	KT_ASSERT_EQ(full.max_frames, 64, "Xen's maximum of frames");
	KT_ASSERT_EQ(full.frames, full.max_frames, "frames mapped when the pool ran out");
	KT_ASSERT_EQ(full.free, 0, "free refs when the pool ran out");
	KT_ASSERT_EQ(n + s0.granted, full.capacity - GNTTAB_FIRST_REF, "refs handed out");
	KT_ASSERT_EQ(again, ref, "the ref given back is the next one out");
	KT_ASSERT(s2.granted == s0.granted && s2.free == full.capacity - GNTTAB_FIRST_REF - s0.granted,
		  "pool at the end: %u free, %u granted", s2.free, s2.granted);
}
