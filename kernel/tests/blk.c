/*
 * blk: the toolstack's disk (xvda) through blkfront, against Linux's
 * blkback on Xen and parahost's blkback: the same verdicts on each. The
 * disk is a scratch image the harness makes for each run, which it says
 * with `blk_scratch` on our command line: only then is everything on it
 * ours to overwrite (make run's disk is the user's, and so is a disk a
 * user gives ParaOS on a real Xen host). The last test closes the device, so the groups
 * after this one (grant-table version switches, event channel resets)
 * find nothing of ours out.
 */
#include <xen/errno.h>

#include "drivers/pv/blkfront.h"
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/tests/need_store.h"
#include "lib/printf.h"
#include "mm/kmalloc.h"
#include "xen/grant_table.h"

#define MIB		(1024u * 1024u)
#define BIG		(4 * MIB)

static struct blkdev *disk;
static uint8_t *wbuf, *rbuf;		/* BIG + 64 each: room for an odd start */

/*
 * The disk, and two big buffers; a skip (initial domain, or a disk not
 * ours to overwrite) or a failure if there is none.
 */
#define NEED_DISK()								\
	do {									\
		NEED_STORE();							\
		if (!blk_scratch_allowed()) {					\
			ktest_skip("the disk is not a scratch disk (no blk_scratch on the command line)"); \
			return;							\
		}								\
		if (!disk)							\
			disk = blkfront_disk();					\
		KT_ASSERT(disk, "no disk: the toolstack gave us no vbd, or it did not connect"); \
		if (!wbuf) {							\
			wbuf = kmalloc(BIG + 64);				\
			rbuf = kmalloc(BIG + 64);				\
		}								\
		KT_ASSERT(wbuf && rbuf, "no memory for buffers");		\
	} while (0)

static void fill(uint8_t *p, size_t bytes, uint64_t tag)
{
	uint64_t x = tag * 0x9e3779b97f4a7c15ull | 1;

	for (size_t i = 0; i < bytes; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
}

/* The first byte that differs, or -1. */
static long differs(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return (long)i;
	return -1;
}

static long backend_ulong(const struct blkfront_info *i, const char *name, unsigned long def)
{
	char path[192], be[160];
	unsigned long v;

	snprintf(path, sizeof(path), "%s/backend", i->nodename);
	if (xs_read(XS_NO_TX, path, be, sizeof(be)) <= 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", be, name);
	return xs_read_ulong(XS_NO_TX, path, &v) ? (long)def : (long)v;
}

KTEST(blk, negotiated_what_the_backend_offers)
{
	struct blkfront_info i;
	long order, queues, indirect, persistent;

	NEED_DISK();
	blkfront_info(disk, &i);
	order = backend_ulong(&i, "max-ring-page-order", 0);
	queues = backend_ulong(&i, "multi-queue-max-queues", 1);
	indirect = backend_ulong(&i, "feature-max-indirect-segments", 0);
	persistent = backend_ulong(&i, "feature-persistent", 0);
	kprintf("blk: %s: %lu sectors, %u queue(s), ring order %u (%u requests), %u segments, "
		"persistent %d, flush %d%s, discard %d (backend: order %ld, queues %ld, "
		"indirect %ld, persistent %ld)\n", disk->name, (unsigned long)disk->sectors,
		i.nr_queues, i.ring_order, i.ring_size, i.max_segments, i.persistent,
		disk->can_flush, i.flush_is_barrier ? " (barrier)" : "", disk->can_discard,
		order, queues, indirect, persistent);
	KT_ASSERT(disk->sectors >= 8192, "a disk of %lu sectors", (unsigned long)disk->sectors);
	KT_ASSERT(disk->sector_size >= 512 && disk->sector_size <= 4096, "sector size %u",
		  disk->sector_size);
	KT_ASSERT(!disk->readonly, "the test disk is read-only");
	KT_ASSERT(i.ring_order == (order < 2 ? order : 2),
		  "ring order %u with the backend's maximum %ld (ours 2)", i.ring_order, order);
	KT_ASSERT(i.ring_size == 32u << i.ring_order, "ring of %u for order %u", i.ring_size,
		  i.ring_order);
	KT_ASSERT(i.nr_queues >= 1 && i.nr_queues <= (unsigned long)(queues ? queues : 1) &&
		  i.nr_queues <= 4, "%u queues with the backend's maximum %ld", i.nr_queues, queues);
	KT_ASSERT(i.persistent == (persistent == 1), "persistent %d, offered %ld", i.persistent,
		  persistent);
	KT_ASSERT(i.indirect == (indirect > 11) &&
		  i.max_segments == (indirect > 11 ? (indirect < 32 ? (unsigned int)indirect : 32) : 11),
		  "%u segments a request, the backend offers %ld", i.max_segments, indirect);
}

/* Sizes around every limit: a sector, a page, 11 segments, one indirect request, 4 MiB. */
KTEST(blk, patterns_from_512_bytes_to_4_MiB)
{
	static const uint32_t sizes[] = {
		512, 1024, 4096, 4608, 11 * 4096, 11 * 4096 + 512, 32 * 4096, 32 * 4096 + 512,
		MIB, MIB + 3584, BIG,
	};
	uint64_t sector = 64;

	NEED_DISK();
	for (unsigned int k = 0; k < ARRAY_SIZE(sizes); k++) {
		uint32_t n = sizes[k];
		/* An odd buffer start too: the data is bounced, so any address will do. */
		uint8_t *w = wbuf + (k & 1) * 7, *r = rbuf + (k & 2) * 5;
		long at;
		int rc;

		fill(w, n, (uint64_t)k << 32 | sector);
		memset(r, 0xa5, n);
		rc = blk_write(disk, sector, n / 512, w);
		KT_ASSERT_EQ(rc, 0, "write");
		rc = blk_read(disk, sector, n / 512, r);
		KT_ASSERT_EQ(rc, 0, "read");
		at = differs(w, r, n);
		KT_ASSERT(at < 0, "%u bytes at sector %lu: byte %ld differs", n, (unsigned long)sector, at);
		/* Next one at an offset that is not a multiple of anything in particular. */
		sector += n / 512 + 13 + k * 97;
	}
}

KTEST(blk, last_sector_and_the_end_of_the_disk)
{
	uint64_t last;
	struct blkfront_info before, after;

	NEED_DISK();
	last = disk->sectors - 1;
	fill(wbuf, 512, last);
	KT_ASSERT_EQ(blk_write(disk, last, 1, wbuf), 0, "write the last sector");
	memset(rbuf, 0, 512);
	KT_ASSERT_EQ(blk_read(disk, last, 1, rbuf), 0, "read the last sector");
	KT_ASSERT(differs(wbuf, rbuf, 512) < 0, "the last sector reads back differently");
	/* Refused before the ring: nothing goes in flight. */
	blkfront_info(disk, &before);
	KT_ASSERT_EQ(blk_read(disk, disk->sectors, 1, rbuf), -XEN_ERANGE, "read past the end");
	KT_ASSERT_EQ(blk_read(disk, last, 2, rbuf), -XEN_ERANGE, "read across the end");
	KT_ASSERT_EQ(blk_write(disk, ~0ull - 1, 4, wbuf), -XEN_ERANGE, "write at 2^64 - 2");
	KT_ASSERT_EQ(blk_read(disk, 0, 0, rbuf), -XEN_EINVAL, "read of 0 sectors");
	KT_ASSERT_EQ(blk_read(disk, 0, 1, NULL), -XEN_EINVAL, "read into no buffer");
	blkfront_info(disk, &after);
	KT_ASSERT_EQ(after.in_flight, before.in_flight, "requests in flight after refusals");
}

KTEST(blk, flush)
{
	NEED_DISK();
	fill(wbuf, 8192, 77);
	KT_ASSERT_EQ(blk_write(disk, 1000, 16, wbuf), 0, "write");
	if (!disk->can_flush) {
		KT_ASSERT_EQ(blk_flush(disk), -XEN_EOPNOTSUPP, "flush on a disk without a flush");
		return;
	}
	KT_ASSERT_EQ(blk_flush(disk), 0, "flush");
	KT_ASSERT_EQ(blk_read(disk, 1000, 16, rbuf), 0, "read after the flush");
	KT_ASSERT(differs(wbuf, rbuf, 8192) < 0, "data changed by a flush");
}

KTEST(blk, discard)
{
	NEED_DISK();
	if (!disk->can_discard) {
		KT_ASSERT_EQ(blk_discard(disk, 2048, 8), -XEN_EOPNOTSUPP, "discard not offered");
		return;
	}
	KT_ASSERT_EQ(blk_discard(disk, 2048, 256), 0, "discard 128 KiB");
	KT_ASSERT_EQ(blk_discard(disk, disk->sectors - 8, 16), -XEN_ERANGE, "discard past the end");
	/* Discarded sectors read as something (zeros or the old data), without an error. */
	KT_ASSERT_EQ(blk_read(disk, 2048, 256, rbuf), 0, "read a discarded range");
}

/* Queue depth: 32 requests out at once, completing in any order. */
KTEST(blk, thirty_two_requests_in_flight)
{
	static struct blk_req reqs[32];
	struct blk_batch d = { .wq = { 0 }, .left = 32, .status = 0 };
	struct blkfront_info i;
	unsigned int most = 0;

	NEED_DISK();
	fill(wbuf, 32 * 4096, 32);
	KT_ASSERT_EQ(blk_write(disk, 20000, 32 * 8, wbuf), 0, "write");
	memset(rbuf, 0, 32 * 4096);
	for (unsigned int k = 0; k < 32; k++) {
		/* Backwards, so that the backend sees them out of order. */
		unsigned int j = 31 - k;

		reqs[k] = (struct blk_req){ .op = BLK_READ, .sector = 20000 + j * 8, .count = 8,
					    .buf = rbuf + j * 4096, .done = blk_batch_done, .arg = &d };
		KT_ASSERT_EQ(blk_submit(disk, &reqs[k]), 0, "submit");
		blkfront_info(disk, &i);
		if (i.in_flight > most)
			most = i.in_flight;
	}
	KT_ASSERT(wait_event_until(&d.wq, d.left == 0, xen_system_time() + 60 * NSEC_PER_SEC),
		  "%u of 32 reads never completed", d.left);
	KT_ASSERT_EQ(d.status, 0, "a read failed");
	KT_ASSERT(differs(wbuf, rbuf, 32 * 4096) < 0, "data differs");
	KT_ASSERT(most > 1, "at most %u request in flight: no queue depth", most);
}

/* Threads writing and reading their own regions at once. */
struct worker {
	unsigned int n;
	uint64_t sector;
	uint8_t *buf;
	int result;		/* 0 ok, <0 an error, 1 a mismatch */
};

static void worker_fn(void *arg)
{
	struct worker *w = arg;
	uint8_t *in = w->buf, *out = w->buf + 64 * 1024;

	for (unsigned int round = 0; round < 8 && !w->result; round++) {
		uint32_t n = 4096u << (round % 4);
		int rc;

		fill(in, n, (uint64_t)w->n << 40 | round);
		rc = blk_write(disk, w->sector, n / 512, in);
		if (!rc)
			rc = blk_read(disk, w->sector, n / 512, out);
		w->result = rc ? rc : differs(in, out, n) >= 0;
	}
}

KTEST(blk, four_threads_at_once)
{
	struct worker w[4];
	struct thread *t[4];

	NEED_DISK();
	for (unsigned int k = 0; k < 4; k++) {
		w[k] = (struct worker){ .n = k, .sector = 40000 + k * 1000, .buf = wbuf + k * 128 * 1024 };
		t[k] = thread_create("blk-worker", worker_fn, &w[k]);
		KT_ASSERT(t[k], "no thread");
	}
	for (unsigned int k = 0; k < 4; k++)
		thread_join(t[k]);
	for (unsigned int k = 0; k < 4; k++)
		KT_ASSERT_EQ(w[k].result, 0, "worker's result");
}

/* What is granted after each request: only the bounce pages, and only if persistent. */
static void check_grants_after_io(bool want_persistent)
{
	struct blkfront_info i;

	fill(wbuf, MIB, 5);
	KT_ASSERT_EQ(blk_write(disk, 60000, MIB / 512, wbuf), 0, "write");
	KT_ASSERT_EQ(blk_read(disk, 60000, MIB / 512, rbuf), 0, "read");
	KT_ASSERT(differs(wbuf, rbuf, MIB) < 0, "data differs");
	blkfront_info(disk, &i);
	KT_ASSERT_EQ(i.in_flight, 0, "requests in flight");
	/* Persistent: pages stay granted once used (a page fetched but not used may not be). */
	if (want_persistent)
		KT_ASSERT(i.granted <= i.pages && i.granted >= MIB / 4096 / 4,
			  "%u of %u bounce pages granted", i.granted, i.pages);
	else
		KT_ASSERT_EQ(i.granted, 0, "pages still granted after their requests");
}

KTEST(blk, without_persistent_grants_nothing_stays_granted)
{
	struct blkfront_info i;
	long rc;

	NEED_DISK();
	blkfront_wants.no_persistent = true;
	rc = blkfront_reconnect(disk);
	blkfront_wants.no_persistent = false;
	KT_ASSERT_EQ(rc, 0, "reconnect");
	blkfront_info(disk, &i);
	KT_ASSERT(!i.persistent, "persistent grants though we did not ask");
	check_grants_after_io(false);
}

KTEST(blk, reconnect_keeps_the_data_and_takes_every_feature_again)
{
	struct blkfront_info i;

	NEED_DISK();
	fill(wbuf, 64 * 1024, 99);
	KT_ASSERT_EQ(blk_write(disk, 70000, 128, wbuf), 0, "write before");
	if (disk->can_flush)
		KT_ASSERT_EQ(blk_flush(disk), 0, "flush");
	blkfront_wants.no_indirect = blkfront_wants.no_multi_page = true;
	blkfront_wants.no_multi_queue = true;
	KT_ASSERT_EQ(blkfront_reconnect(disk), 0, "reconnect with the least");
	blkfront_info(disk, &i);
	KT_ASSERT(i.ring_order == 0 && i.nr_queues == 1 && i.max_segments == 11,
		  "order %u, %u queues, %u segments", i.ring_order, i.nr_queues, i.max_segments);
	/* 1 MiB in 11-segment requests. */
	memset(rbuf, 0, 64 * 1024);
	KT_ASSERT_EQ(blk_read(disk, 70000, 128, rbuf), 0, "read after");
	KT_ASSERT(differs(wbuf, rbuf, 64 * 1024) < 0, "data lost across a reconnect");
	blkfront_wants = (struct blkfront_wants){ 0 };
	KT_ASSERT_EQ(blkfront_reconnect(disk), 0, "reconnect with everything");
	check_grants_after_io(backend_ulong(&i, "feature-persistent", 0) == 1);
}

/* Last of the group: closed, the backend follows, nothing of ours stays granted. */
KTEST(blk, close_drains_and_gives_everything_back)
{
	struct gnttab_stats before, after;
	struct blkfront_info i;
	char path[192], buf[8];
	uint64_t deadline;

	NEED_DISK();
	gnttab_stats(&before);
	blkfront_info(disk, &i);
	blkfront_detach(disk);
	/*
	 * A backend unmaps once it has seen us Closed (Linux's does), after
	 * our grants were ended: those were deferred until then.
	 */
	deadline = xen_system_time() + 10 * NSEC_PER_SEC;
	do {
		gnttab_reap();
		gnttab_stats(&after);
		if (after.granted + i.granted + (i.nr_queues << i.ring_order) <= before.granted)
			break;
		sleep_ns(10 * NSEC_PER_MSEC);
	} while (xen_system_time() < deadline);
	KT_ASSERT(after.granted + i.granted + (i.nr_queues << i.ring_order) <= before.granted,
		  "granted %u before, %u after (%u bounce pages, %u ring pages)", before.granted,
		  after.granted, i.granted, i.nr_queues << i.ring_order);
	snprintf(path, sizeof(path), "%s/state", i.nodename);
	KT_ASSERT(xs_read(XS_NO_TX, path, buf, sizeof(buf)) == 1 && buf[0] == '6',
		  "our state '%s' after closing", buf);
	KT_ASSERT(blk_read(disk, 0, 1, rbuf) < 0, "a closed disk still reads");
	disk = NULL;
}
