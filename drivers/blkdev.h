/*
 * Block devices: what the tests, the shell and a future filesystem see of
 * a disk, whoever drives it (today only blkfront, drivers/pv/blkfront.c).
 *
 *     struct blk_req r = { .op = BLK_READ, .sector = s, .count = n, .buf = p,
 *                          .done = fn, .arg = x };
 *     blk_submit(dev, &r);	 <0: refused, done never runs
 *     ... done(&r) runs once, r.status 0 or -XEN_EIO ...
 *
 * Sectors are always 512 bytes here, as in blkif; a disk with larger
 * logical sectors wants requests aligned to them. A request is checked
 * (alignment, range, what the disk can do) before any driver sees it. The
 * buffer is the caller's until done runs: the driver copies through pages
 * of its own, so the buffer needs no alignment and is never shared.
 */
#ifndef DRIVERS_BLKDEV_H
#define DRIVERS_BLKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/sched.h"

#define BLK_SECTOR_SIZE		512u

enum blk_op { BLK_READ, BLK_WRITE, BLK_FLUSH, BLK_DISCARD };

struct blk_req;
typedef void blk_done_fn(struct blk_req *r);

struct blk_req {
	enum blk_op op;
	uint64_t sector;		/* 512-byte units from the disk's start */
	uint64_t count;			/* sectors; 0 for a flush */
	void *buf;			/* count * 512 bytes; none for flush or discard */
	blk_done_fn *done;		/* once, maybe from an event handler: keep it short */
	void *arg;
	int status;			/* 0 or a negative XEN_E* */
	/* The driver's, while the request is in its hands. */
	unsigned int parts, parts_left;
	struct blk_req *next;
};

struct blkdev;
struct blkdev_ops {
	/* Already checked; may wait for room, never for completion. */
	int (*submit)(struct blkdev *d, struct blk_req *r);
	/* Give up on the device: one line saying why, every request ended -XEN_EIO, now. */
	void (*fail)(struct blkdev *d, const char *why);
};

struct blkdev {
	char name[16];			/* "xvda" */
	uint64_t sectors;		/* size, 512-byte units */
	unsigned int sector_size;	/* logical: requests are aligned to it */
	unsigned int physical_sector_size;
	bool readonly, removable;
	bool can_flush, can_discard;
	unsigned int discard_granularity;	/* bytes, 0 if none asked */
	bool broken;			/* the driver gave up on it: every request -XEN_EIO */
	const struct blkdev_ops *ops;
	void *priv;
	struct blkdev *next;
};

/*
 * Whether the tests, the benchmarks and the durability check may write
 * anywhere on the disks: `blk_scratch` on the command line, which only
 * the test harness gives (a user's disk keeps what is on it).
 */
bool blk_scratch_allowed(void);

void blkdev_register(struct blkdev *d);
void blkdev_unregister(struct blkdev *d);
struct blkdev *blkdev_find(const char *name);
struct blkdev *blkdev_first(void);

/* Why r cannot go to d (-XEN_EINVAL, -XEN_ERANGE, -XEN_EROFS, -XEN_EOPNOTSUPP, -XEN_EIO), or 0. */
int blk_check(const struct blkdev *d, const struct blk_req *r);
/* Checked, then the driver's. 0: done will run. */
int blk_submit(struct blkdev *d, struct blk_req *r);
/* For drivers: one part of r has ended with status st; done runs after the last. */
void blk_part_done(struct blk_req *r, int st);

/*
 * Several requests out at once, counted home: each gets .done =
 * blk_batch_done and .arg = the batch; status is the first error.
 */
struct blk_batch {
	struct waitq wq;
	unsigned int left;
	int status;
};
void blk_batch_done(struct blk_req *r);

/* Submit and wait (up to BLK_SYNC_TIMEOUT_NS; then -XEN_ETIMEDOUT and the device is broken). */
#define BLK_SYNC_TIMEOUT_NS	(120ull * 1000000000ull)
int blk_sync(struct blkdev *d, enum blk_op op, uint64_t sector, uint64_t count, void *buf);
static inline int blk_read(struct blkdev *d, uint64_t sector, uint64_t count, void *buf)
{
	return blk_sync(d, BLK_READ, sector, count, buf);
}
static inline int blk_write(struct blkdev *d, uint64_t sector, uint64_t count, const void *buf)
{
	return blk_sync(d, BLK_WRITE, sector, count, (void *)buf);
}
static inline int blk_flush(struct blkdev *d)
{
	return blk_sync(d, BLK_FLUSH, 0, 0, NULL);
}
static inline int blk_discard(struct blkdev *d, uint64_t sector, uint64_t count)
{
	return blk_sync(d, BLK_DISCARD, sector, count, NULL);
}

#endif
