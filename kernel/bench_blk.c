/*
 * Block figures, as fio measures them for Linux's blkfront in the same run
 * (tests/bench.py prints both and the ratio): sequential 1 MiB requests
 * one at a time, random 4 KiB reads 32 at a time, and the latency of one
 * random 4 KiB read on its own. The disk is the harness's scratch image.
 */
#include "drivers/pv/blkfront.h"
#include "kernel/bench.h"
#include "kernel/kernel.h"
#include "kernel/sched.h"
#include "mm/kmalloc.h"
#include "xen/time.h"

#define SEQ_BYTES	(16u << 20)
#define REQ_BYTES	(1u << 20)
#define RAND_READS	2048u
#define RAND_DEPTH	32u
#define QD1_READS	256u

static uint64_t rand_state = 0x2545f4914f6cdd1dull;

/* A 4 KiB-aligned sector anywhere on the disk. */
static uint64_t random_sector(const struct blkdev *d)
{
	rand_state ^= rand_state << 13;
	rand_state ^= rand_state >> 7;
	rand_state ^= rand_state << 17;
	return rand_state % (d->sectors / 8) * 8;
}

/* MB/s (10^6 bytes, as fio's MB) for bytes in ns. */
static uint64_t mbps(uint64_t bytes, uint64_t ns)
{
	return ns ? bytes * 1000 / ns : 0;
}

static int seq(struct blkdev *d, enum blk_op op, uint8_t *buf, uint64_t *ns)
{
	uint64_t t0 = xen_system_time();

	for (uint64_t off = 0; off < SEQ_BYTES; off += REQ_BYTES) {
		int rc = blk_sync(d, op, off / BLK_SECTOR_SIZE, REQ_BYTES / BLK_SECTOR_SIZE, buf);

		if (rc)
			return rc;
	}
	*ns = xen_system_time() - t0;
	return 0;
}

struct depth {
	struct blkdev *d;
	struct blk_req reqs[RAND_DEPTH];
	unsigned int free[RAND_DEPTH], nfree;	/* slots whose read has ended */
	uint8_t *buf;
	unsigned int issued, done;
	int status;
	struct waitq wq;
};

static void rand_done(struct blk_req *r)
{
	struct depth *q = r->arg;

	if (r->status)
		q->status = r->status;
	q->done++;
	q->free[q->nfree++] = (unsigned int)(r - q->reqs);
	wake_up(&q->wq);
}

/* RAND_READS reads, RAND_DEPTH of them out at any time; false if one failed. */
static bool rand_reads(struct depth *q, uint64_t deadline)
{
	for (unsigned int i = 0; i < RAND_DEPTH; i++)
		q->free[i] = i;
	q->nfree = RAND_DEPTH;
	while (q->issued < RAND_READS && !q->status) {
		unsigned int slot;

		if (!wait_event_until(&q->wq, q->nfree > 0, deadline))
			return false;
		slot = q->free[--q->nfree];
		q->reqs[slot] = (struct blk_req){
			.op = BLK_READ, .sector = random_sector(q->d), .count = 8,
			.buf = q->buf + slot * 4096, .done = rand_done, .arg = q,
		};
		q->issued++;
		if (blk_submit(q->d, &q->reqs[slot]))
			return false;
	}
	return wait_event_until(&q->wq, q->done == q->issued, deadline) && !q->status;
}

void bench_blk(void)
{
	struct blkdev *d = blkfront_disk();
	static struct depth q;
	uint8_t *buf = kmalloc(REQ_BYTES);
	uint64_t ns, t0, total = 0;

	if (!blk_scratch_allowed() || !d || !buf || d->sectors * BLK_SECTOR_SIZE < SEQ_BYTES) {
		kprintf("bench blk skipped: %s\n", !blk_scratch_allowed() ? "not a scratch disk (blk_scratch)" :
			!d ? "no disk" : !buf ? "no memory" : "disk too small");
		return;
	}
	memset(buf, 0x5a, REQ_BYTES);
	if (seq(d, BLK_WRITE, buf, &ns) == 0)
		kprintf("bench blk.seq_write_MBps mean=%lu\n", mbps(SEQ_BYTES, ns));
	if (seq(d, BLK_READ, buf, &ns) == 0)
		kprintf("bench blk.seq_read_MBps mean=%lu\n", mbps(SEQ_BYTES, ns));

	q = (struct depth){ .d = d, .buf = buf };
	t0 = xen_system_time();
	if (rand_reads(&q, t0 + 120 * NSEC_PER_SEC)) {
		ns = xen_system_time() - t0;
		kprintf("bench blk.rand4k_read_iops qd32=%lu\n", ns ? RAND_READS * NSEC_PER_SEC / ns : 0);
	} else {
		kprintf("bench blk.rand4k_read_iops skipped: %u of %u reads done, status %d\n",
			q.done, RAND_READS, q.status);
	}

	for (unsigned int i = 0; i < QD1_READS; i++) {
		t0 = xen_system_time();
		if (blk_read(d, random_sector(d), 8, buf)) {
			kprintf("bench blk.read4k_qd1_us skipped: read %u failed\n", i);
			return;
		}
		total += xen_system_time() - t0;
	}
	kprintf("bench blk.read4k_qd1_us mean=%lu\n", total / QD1_READS / 1000);
	/* buf stays: after a failure, reads may still be out into it. */
}
