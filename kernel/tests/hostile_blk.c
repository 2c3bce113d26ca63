/*
 * A hostile blkif frontend against the backend of vbd 51712 (Linux's
 * xen-blkback on Xen, parahost's host/backends/blkback*.c): requests no
 * real blkfront sends, each answered as Linux 6.1's
 * drivers/block/xen-blkback/blkback.c answers it (the function is named
 * at each check). Through the raw frontend of blk_raw.c, one connection
 * per test, and only while no driver owns the device. Non-persistent
 * grants (we never write feature-persistent), one ring page, one queue.
 * No discard here: whether a disk takes it is the disk's business (a
 * loop device on Xen does, QEMU's ATA disk does, Bochs' has no TRIM).
 */
#include <xen/io/xenbus.h>

#include "kernel/ktest.h"
#include "kernel/tests/blk_raw.h"
#include "kernel/tests/need_store.h"
#include "kernel/tests/self.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/p2m.h"
#include "xen/evtchn.h"
#include "xen/grant_table.h"
#include "xen/xenstore.h"

#define WAIT_MS	5000

/* Connect, or skip (no disk, a driver owns it) or fail; the body then runs with f up. */
#define BLK_UP(f)								\
	do {									\
		bool skip_;							\
		const char *why_;						\
		NEED_STORE();							\
		why_ = blk_raw_up(&(f), &skip_);				\
		if (why_) {							\
			blk_raw_down(&(f));					\
			if (skip_)						\
				ktest_skip("%s", why_);				\
			else							\
				KT_FAIL("connecting: %s", why_);		\
			return;							\
		}								\
	} while (0)

/* A READ/WRITE/FLUSH of segments (gref, first, last) at sector, its status; op and id checked. */
static int rw(struct blk_raw *f, uint8_t op, uint64_t sector, unsigned int nseg,
	      const struct blkif_request_segment *seg, const char **bad)
{
	struct blkif_request r = { .operation = op, .nr_segments = (uint8_t)nseg, .handle = 0,
				   .id = 0xb1c0000000000000ull | f->ring.req_prod_pvt,
				   .sector_number = sector };
	uint64_t id;
	uint8_t rop;
	int st;

	for (unsigned int i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		r.seg[i] = seg[i];
	st = blk_raw_submit(f, &r, sizeof(r), &rop, &id, WAIT_MS);
	/* make_response: the request's id and operation, whatever the verdict. */
	if (st != BLK_NO_RESPONSE && (id != r.id || rop != op))
		*bad = "the response's id or operation is not the request's";
	return st;
}

/* A node's permissions as "n0|r1|": the list of n strings, each followed by a bar. */
static const char *perms(const char *path, char *buf, size_t size)
{
	long n = xs_get_perms(XS_NO_TX, path, buf, size - 1);
	size_t at = 0;

	if (n < 0)
		return "";
	for (long k = 0; k < n; k++) {
		at += strlen(buf + at);
		buf[at++] = '|';
	}
	buf[at] = 0;
	return buf;
}

static struct blkif_request_segment seg(grant_ref_t g, uint8_t first, uint8_t last)
{
	return (struct blkif_request_segment){ .gref = g, .first_sect = first, .last_sect = last };
}

/* Down, then the verdicts: a failed assertion must not leave the device taken. */
#define BLK_CHECK(f, cond, ...)							\
	do {									\
		if (!(cond)) {							\
			blk_raw_down(&(f));					\
			KT_FAIL(__VA_ARGS__);					\
			return;							\
		}								\
	} while (0)

KTEST(hostile, blk_raw_frontend_and_backend_nodes)
{
	static struct blk_raw f;
	struct blkif_request_segment s = { 0 };
	const char *bad = NULL;
	char path[160], buf[64];
	int domid = own_domid(), w, r;
	static const char *const nodes[] = {
		"feature-flush-cache", "feature-persistent", "feature-max-indirect-segments",
		"max-ring-page-order", "multi-queue-max-queues", "sectors", "info", "sector-size",
		"physical-sector-size", "feature-discard", "feature-barrier",
	};

	BLK_UP(f);
	/* Linux's connect() and xen_blkbk_probe(): the nodes a frontend negotiates from. */
	for (unsigned int i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", f.be, nodes[i]);
		BLK_CHECK(f, xs_read(XS_NO_TX, path, buf, sizeof(buf)) > 0, "no %s", path);
	}
	/* libxl's permissions: the backend directory dom0's, readable by us; ours by us, dom0 reads. */
	snprintf(path, sizeof(path), "n0|r%d|", domid);
	BLK_CHECK(f, !strcmp(perms(f.be, buf, sizeof(buf)), path),
		  "backend directory's permissions '%s', expected '%s'", buf, path);
	snprintf(path, sizeof(path), "n%d|r0|", domid);
	BLK_CHECK(f, !strcmp(perms("device/vbd/51712", buf, sizeof(buf)), path),
		  "frontend directory's permissions '%s', expected '%s'", buf, path);
	/* A write of a pattern and its read back, the last 8 sectors of the disk. */
	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		f.data[i] = (uint8_t)(i * 7 + 3);
	s = seg(f.data_ref, 0, 7);
	w = rw(&f, BLKIF_OP_WRITE, f.sectors - 8, 1, &s, &bad);
	memset(f.data, 0, PAGE_SIZE);
	r = rw(&f, BLKIF_OP_READ, f.sectors - 8, 1, &s, &bad);
	BLK_CHECK(f, w == BLKIF_RSP_OKAY && r == BLKIF_RSP_OKAY, "write %d, read %d", w, r);
	BLK_CHECK(f, !bad, "%s", bad);
	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		BLK_CHECK(f, f.data[i] == (uint8_t)(i * 7 + 3), "byte %u read back %#x", i, f.data[i]);
	bad = blk_raw_down(&f);
	KT_ASSERT(!bad, "closing: %s", bad);
}

KTEST(hostile, blk_bad_grants)
{
	static struct blk_raw f;
	struct blkif_request_segment s;
	const char *bad = NULL;
	long self_ref, ro_ref;
	int a, b, c, d;

	BLK_UP(f);
	self_ref = gnttab_grant_access((domid_t)own_domid(), pfn_to_mfn(f.data_pfn), false);
	ro_ref = gnttab_grant_access(0, pfn_to_mfn(f.data_pfn), true);
	BLK_CHECK(f, self_ref >= 0 && ro_ref >= 0, "granting: %ld %ld", self_ref, ro_ref);
	/* xen_blkbk_map: a ref past the table, or made out to someone else, does not map: ERROR. */
	s = seg(0x7fffffff, 0, 7);
	a = rw(&f, BLKIF_OP_READ, 0, 1, &s, &bad);
	s = seg((grant_ref_t)self_ref, 0, 7);
	b = rw(&f, BLKIF_OP_READ, 0, 1, &s, &bad);
	/* xen_blkbk_map_seg: a READ maps the page writable, a WRITE read-only. */
	s = seg((grant_ref_t)ro_ref, 0, 7);
	c = rw(&f, BLKIF_OP_READ, 0, 1, &s, &bad);
	d = rw(&f, BLKIF_OP_WRITE, 0, 1, &s, &bad);
	gnttab_end_access((grant_ref_t)self_ref, ~0ul);
	gnttab_end_access((grant_ref_t)ro_ref, ~0ul);
	BLK_CHECK(f, a == BLKIF_RSP_ERROR && b == BLKIF_RSP_ERROR, "bad refs: %d %d", a, b);
	BLK_CHECK(f, c == BLKIF_RSP_ERROR && d == BLKIF_RSP_OKAY,
		  "read-only grant: read %d, write %d", c, d);
	BLK_CHECK(f, !bad, "%s", bad);
	KT_ASSERT(!(bad = blk_raw_down(&f)), "closing: %s", bad);
}

/* One request of segments all alike; sector counted back from the end if from_end. */
struct rw_case {
	const char *what;
	uint8_t op, nseg, first, last;
	bool from_end;
	uint64_t sector;
	int want;
};

static const struct rw_case rw_cases[] = {
	/* dispatch_rw_block_io: last_sect past the page, or before first_sect: ERROR. */
	{ "last_sect 8", BLKIF_OP_READ, 1, 0, 8, false, 0, BLKIF_RSP_ERROR },
	{ "last_sect before first_sect", BLKIF_OP_READ, 1, 5, 4, false, 0, BLKIF_RSP_ERROR },
	{ "a whole page", BLKIF_OP_READ, 1, 0, 7, false, 0, BLKIF_RSP_OKAY },
	/* xen_vbd_translate: the range's end past the disk, or wrapping: ERROR. */
	{ "one sector past the end", BLKIF_OP_READ, 1, 0, 7, true, 7, BLKIF_RSP_ERROR },
	{ "the last 8 sectors", BLKIF_OP_READ, 1, 0, 7, true, 8, BLKIF_RSP_OKAY },
	{ "a range that wraps", BLKIF_OP_READ, 1, 0, 7, false, ~0ull - 3, BLKIF_RSP_ERROR },
	/* The segment count: 0 only for a flush; at most 11 outside an indirect request. */
	{ "READ with no segments", BLKIF_OP_READ, 0, 0, 0, false, 0, BLKIF_RSP_ERROR },
	{ "WRITE with no segments", BLKIF_OP_WRITE, 0, 0, 0, false, 0, BLKIF_RSP_ERROR },
	{ "FLUSH_DISKCACHE with no segments", BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0, false, 0,
	  BLKIF_RSP_OKAY },
	{ "11 segments", BLKIF_OP_READ, 11, 0, 0, false, 0, BLKIF_RSP_OKAY },
	{ "12 segments", BLKIF_OP_READ, 12, 0, 0, false, 0, BLKIF_RSP_ERROR },
};

KTEST(hostile, blk_segments_and_ranges)
{
	static struct blk_raw f;
	struct blkif_request_segment s[12];
	const struct rw_case *wrong = NULL;
	const char *bad = NULL;
	int got = 0;

	BLK_UP(f);
	for (unsigned int i = 0; i < sizeof(rw_cases) / sizeof(rw_cases[0]) && !wrong; i++) {
		const struct rw_case *c = &rw_cases[i];

		for (unsigned int k = 0; k < c->nseg; k++)
			s[k] = seg(f.data_ref, c->first, c->last);
		got = rw(&f, c->op, c->from_end ? f.sectors - c->sector : c->sector, c->nseg, s, &bad);
		if (got != c->want)
			wrong = c;
	}
	BLK_CHECK(f, !wrong, "%s: status %d, expected %d", wrong->what, got, wrong->want);
	BLK_CHECK(f, !bad, "%s", bad);
	KT_ASSERT(!(bad = blk_raw_down(&f)), "closing: %s", bad);
}

KTEST(hostile, blk_unknown_and_indirect_operations)
{
	static struct blk_raw f;
	struct blkif_request r = { 0 };
	struct blkif_request_indirect in = { 0 };
	uint8_t op4, op7f, in_op, in2_op;
	uint64_t id4, id7f, in_id, in2_id;
	int st4, st7f, in_st, in2_st;

	BLK_UP(f);
	/* dispatch_other_io: any other operation is BLKIF_RSP_EOPNOTSUPP, id and op echoed. */
	r.operation = BLKIF_OP_RESERVED_1;
	r.id = 0x4444;
	st4 = blk_raw_submit(&f, &r, sizeof(r), &op4, &id4, WAIT_MS);
	r.operation = 0x7f;
	r.id = 0x7f7f;
	st7f = blk_raw_submit(&f, &r, sizeof(r), &op7f, &id7f, WAIT_MS);
	/*
	 * dispatch_rw_block_io: an indirect request whose inner operation is
	 * not READ or WRITE, or with more than MAX_INDIRECT_SEGMENTS (256):
	 * ERROR, and the answer names the inner operation (req_operation).
	 */
	in.operation = BLKIF_OP_INDIRECT;
	in.indirect_op = BLKIF_OP_FLUSH_DISKCACHE;
	in.nr_segments = 1;
	in.id = 0x1d1d;
	in.indirect_grefs[0] = f.data_ref;
	in_st = blk_raw_submit(&f, &in, sizeof(in), &in_op, &in_id, WAIT_MS);
	in.indirect_op = BLKIF_OP_READ;
	in.nr_segments = 257;
	in.id = 0x2d2d;
	in2_st = blk_raw_submit(&f, &in, sizeof(in), &in2_op, &in2_id, WAIT_MS);
	BLK_CHECK(f, st4 == BLKIF_RSP_EOPNOTSUPP && op4 == BLKIF_OP_RESERVED_1 && id4 == 0x4444,
		  "operation 4: status %d op %u id %#lx", st4, op4, (unsigned long)id4);
	BLK_CHECK(f, st7f == BLKIF_RSP_EOPNOTSUPP && op7f == 0x7f && id7f == 0x7f7f,
		  "operation 0x7f: status %d op %u id %#lx", st7f, op7f, (unsigned long)id7f);
	BLK_CHECK(f, in_st == BLKIF_RSP_ERROR && in_op == BLKIF_OP_FLUSH_DISKCACHE && in_id == 0x1d1d,
		  "indirect flush: status %d op %u id %#lx", in_st, in_op, (unsigned long)in_id);
	BLK_CHECK(f, in2_st == BLKIF_RSP_ERROR && in2_op == BLKIF_OP_READ && in2_id == 0x2d2d,
		  "indirect, 257 segments: status %d op %u id %#lx", in2_st, in2_op,
		  (unsigned long)in2_id);
	r.operation = 0;
	KT_ASSERT(!blk_raw_down(&f), "closing");
}

KTEST(hostile, blk_ring_index_past_the_ring)
{
	static struct blk_raw f;
	struct blkif_request_segment s;
	const char *bad = NULL;
	uint64_t id;
	uint8_t op;
	int lie, after, again;

	BLK_UP(f);
	/*
	 * __do_block_io_op: a req_prod more than a ring ahead of the responses
	 * is "Frontend provided bogus ring requests": the ring is halted, no
	 * answer to that or to anything after, until the frontend reconnects.
	 */
	f.ring.sring->req_prod = f.ring.rsp_cons + RING_SIZE(&f.ring) + 1;
	wmb();
	evtchn_notify(f.port);
	lie = blk_raw_wait(&f, &op, &id, 1000);
	f.ring.sring->req_prod = f.ring.req_prod_pvt;
	s = seg(f.data_ref, 0, 7);
	after = rw(&f, BLKIF_OP_READ, 0, 1, &s, &bad);
	bad = blk_raw_down(&f);
	KT_ASSERT(!bad, "closing a halted ring: %s", bad);
	BLK_UP(f);
	s = seg(f.data_ref, 0, 7);	/* this connection's grant */
	again = rw(&f, BLKIF_OP_READ, 0, 1, &s, &bad);
	BLK_CHECK(f, lie == BLK_NO_RESPONSE && after == BLK_NO_RESPONSE,
		  "a halted ring answered: %d, then %d", lie, after);
	BLK_CHECK(f, again == BLKIF_RSP_OKAY, "after reconnecting: %d", again);
	BLK_CHECK(f, !bad, "%s", bad);
	KT_ASSERT(!blk_raw_down(&f), "closing");
}
