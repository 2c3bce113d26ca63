/*
 * Block devices: the registry, the checks every request passes before a
 * driver sees it, and synchronous calls on top of the asynchronous one.
 */
#include <xen/errno.h>

#include "drivers/blkdev.h"
#include "kernel/cmdline.h"
#include "kernel/kernel.h"
#include "kernel/sched.h"
#include "lib/printf.h"
#include "xen/evtchn.h"
#include "xen/time.h"

static struct blkdev *devices;

bool blk_scratch_allowed(void)
{
	return cmdline_has("blk_scratch");
}

void blkdev_register(struct blkdev *d)
{
	d->next = devices;
	devices = d;
}

void blkdev_unregister(struct blkdev *d)
{
	for (struct blkdev **pp = &devices; *pp; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			return;
		}
}

struct blkdev *blkdev_find(const char *name)
{
	for (struct blkdev *d = devices; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

struct blkdev *blkdev_first(void)
{
	return devices;
}

int blk_check(const struct blkdev *d, const struct blk_req *r)
{
	uint64_t align = d->sector_size / BLK_SECTOR_SIZE;

	if (d->broken)
		return -XEN_EIO;
	switch (r->op) {
	case BLK_FLUSH:
		if (!d->can_flush)
			return -XEN_EOPNOTSUPP;
		return r->count ? -XEN_EINVAL : 0;
	case BLK_DISCARD:
		if (!d->can_discard)
			return -XEN_EOPNOTSUPP;
		break;
	case BLK_READ:
	case BLK_WRITE:
		if (!r->buf)
			return -XEN_EINVAL;
		break;
	default:
		return -XEN_EINVAL;
	}
	if (r->op != BLK_READ && d->readonly)
		return -XEN_EROFS;
	if (!r->count || r->sector % align || r->count % align)
		return -XEN_EINVAL;
	/* Written so that no sum can wrap. */
	if (r->sector >= d->sectors || r->count > d->sectors - r->sector)
		return -XEN_ERANGE;
	return 0;
}

int blk_submit(struct blkdev *d, struct blk_req *r)
{
	int rc = blk_check(d, r);

	if (rc)
		return rc;
	r->status = 0;
	r->parts = r->parts_left = 0;
	return d->ops->submit(d, r);
}

void blk_part_done(struct blk_req *r, int st)
{
	if (st && !r->status)
		r->status = st;		/* the first error is the one that counts */
	if (--r->parts_left == 0 && r->done)
		r->done(r);
}

void blk_batch_done(struct blk_req *r)
{
	struct blk_batch *b = r->arg;

	if (r->status && !b->status)
		b->status = r->status;
	b->left--;
	wake_up(&b->wq);
}

struct sync_wait {
	struct waitq wq;
	bool done;
};

static void sync_done(struct blk_req *r)
{
	struct sync_wait *w = r->arg;

	w->done = true;
	wake_up(&w->wq);
}

int blk_sync(struct blkdev *d, enum blk_op op, uint64_t sector, uint64_t count, void *buf)
{
	struct sync_wait w = { .wq = { 0 }, .done = false };
	struct blk_req r = {
		.op = op, .sector = sector, .count = count, .buf = buf,
		.done = sync_done, .arg = &w,
	};
	int rc;

	rc = blk_submit(d, &r);
	if (rc)
		return rc;
	if (!wait_event_until(&w.wq, w.done, xen_system_time() + BLK_SYNC_TIMEOUT_NS)) {
		/* The backend has stopped answering: nothing we can wait for any more. */
		d->ops->fail(d, "a request got no answer in 120 s");
		if (!w.done)
			panic("blk: %s failed but a request is still in flight", d->name);
		return -XEN_ETIMEDOUT;
	}
	return r.status;
}
