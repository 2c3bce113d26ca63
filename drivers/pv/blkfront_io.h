/*
 * blkfront's insides, shared by its two halves: the protocol with the
 * backend (blkfront.c) and the data path over the rings (blkfront_io.c).
 * Nothing else includes this; the rest of the kernel sees blkfront.h.
 */
#ifndef DRIVERS_PV_BLKFRONT_IO_H
#define DRIVERS_PV_BLKFRONT_IO_H

#include "drivers/pv/blkfront.h"
#include "kernel/sched.h"

#define MAX_QUEUES		4
#define MAX_RING_ORDER		2		/* 4 pages, 128 requests a queue */
#define MAX_RING_PAGES		(1u << MAX_RING_ORDER)
#define MAX_SEGMENTS		32		/* indirect: Linux's default; one indirect page */
#define SECTORS_PER_PAGE	(PAGE_SIZE / BLK_SECTOR_SIZE)
#define POOL_MAX_PAGES		256		/* bounce pages a queue may hold: 1 MiB */
#define ROOM_TIMEOUT_NS		(30ull * NSEC_PER_SEC)	/* to wait for a ring slot, or a connection */

struct page_buf {
	void *va;
	unsigned long pfn;
	long gref;			/* <0: not granted */
	struct page_buf *next;
};

/* One ring request in flight; its index is the request's id. */
struct shadow {
	struct blk_req *req;		/* NULL: a raw request of a test */
	size_t off;			/* where in req->buf this part's data is */
	size_t bytes;			/* its data */
	uint8_t op;			/* what the response must say */
	bool in_flight;
	unsigned int npages, ndata;	/* pages held; the first ndata carry data */
	struct page_buf *pages[MAX_SEGMENTS + 1];	/* the data's, then the indirect page */
	blkif_response_t *raw_rsp;
	unsigned int next_free;
};

struct queue {
	struct blkfront *bf;
	unsigned int idx;
	blkif_front_ring_t ring;
	unsigned long ring_pfn;		/* a run of 2^ring_order frames */
	long ring_ref[MAX_RING_PAGES];
	long port;			/* <0: none */
	struct shadow *shadow;
	unsigned int free_head, in_flight;
	struct page_buf *pool;		/* free bounce pages (granted, if persistent) */
	unsigned int pages, granted;
	struct waitq room;
};

struct blkfront {
	struct blkdev disk;
	struct xenbus_device *xb;
	char nodename[96];
	unsigned int ring_order, nr_queues, max_segments;
	bool persistent, flush_is_barrier, connected, closing;
	struct waitq state;		/* connected or broken changed */
	unsigned int next_queue;
	struct queue q[MAX_QUEUES];
	struct blkfront *next;
};

static inline struct blkfront *front(struct blkdev *d)
{
	return d->priv;
}

/* blkfront_io.c: the data path. */
extern const struct blkdev_ops blkfront_ops;
/* A queue's event handler: its responses, copied, checked and ended. */
void queue_event(evtchn_port_t port, void *arg);
/* Every request in flight on q ended -XEN_EIO, every bounce page given back. */
void queue_abandon(struct queue *q);

#endif
