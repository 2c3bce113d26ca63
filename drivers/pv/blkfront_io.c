/*
 * blkfront's data path (the protocol is in blkfront.c): the caller's data
 * is copied through bounce pages of our own, one ring request per up to
 * max_segments of them (indirect beyond 11); each response is copied once
 * from the ring and checked before anything is done with it, and any
 * violation breaks the device. Upcalls masked is the lock throughout.
 */
#include <xen/errno.h>

#include "drivers/pv/blkfront_io.h"
#include "kernel/kernel.h"
#include "lib/printf.h"
#include "mm/frames.h"
#include "mm/kmalloc.h"
#include "mm/p2m.h"
#include "xen/evtchn.h"
#include "xen/grant_table.h"
#include "xen/time.h"

/* ---- bounce pages ---------------------------------------------------------------------- */

static struct page_buf *page_get(struct queue *q)
{
	struct page_buf *p = q->pool;
	unsigned long pfn;

	if (p) {
		q->pool = p->next;
		return p;
	}
	if (q->pages >= POOL_MAX_PAGES || (pfn = frame_alloc()) == FRAME_NONE)
		return NULL;
	p = kmalloc(sizeof(*p));
	if (!p) {
		frame_free(pfn);
		return NULL;
	}
	*p = (struct page_buf){ .va = pfn_to_virt(pfn), .pfn = pfn, .gref = -1 };
	q->pages++;
	return p;
}

/* Grant p for a request (for good, if persistent). 0, or the grant's error. */
static long page_grant(struct queue *q, struct page_buf *p, bool readonly)
{
	if (p->gref >= 0)
		return 0;
	/* Persistent pages carry both directions, so they are granted writable. */
	p->gref = gnttab_grant_access(q->bf->xb->otherend_id, pfn_to_mfn(p->pfn),
				      readonly && !q->bf->persistent);
	if (p->gref < 0)
		return p->gref;
	q->granted++;
	return 0;
}

/* Done with p: back to the pool, or gone if the backend will not let go of it. */
static void page_put(struct queue *q, struct page_buf *p, bool keep_grant)
{
	if (p->gref >= 0 && !keep_grant) {
		q->granted--;
		if (gnttab_try_end_access((grant_ref_t)p->gref)) {
			/* Still mapped: the page is the grant table's to free once it is let go. */
			kprintf("blkfront: %s: backend still maps a page after its response\n",
				q->bf->nodename);
			gnttab_end_access((grant_ref_t)p->gref, p->pfn);
			q->pages--;
			kfree(p);
			return;
		}
		p->gref = -1;
	}
	p->next = q->pool;
	q->pool = p;
}

/* Every page given back for good (disconnect, or a broken device). */
static void pool_release(struct queue *q)
{
	while (q->pool) {
		struct page_buf *p = q->pool;

		q->pool = p->next;
		if (p->gref >= 0) {
			q->granted--;
			gnttab_end_access((grant_ref_t)p->gref, p->pfn);
		} else {
			frame_free(p->pfn);
		}
		q->pages--;
		kfree(p);
	}
}

/* ---- 4. responses (and the ending of requests) ------------------------------------------- */

static void end_shadow(struct queue *q, unsigned int id, int16_t status, bool give_back)
{
	struct shadow *s = &q->shadow[id];
	bool persistent = q->bf->persistent && !give_back;
	struct blk_req *r = s->req;
	int st = status == BLKIF_RSP_OKAY ? 0 :
		 status == BLKIF_RSP_EOPNOTSUPP ? -XEN_EOPNOTSUPP : -XEN_EIO;

	if (r && !st && r->op == BLK_READ) {
		size_t left = s->bytes;

		for (unsigned int i = 0; i < s->ndata; i++, left -= PAGE_SIZE)
			memcpy((char *)r->buf + s->off + i * PAGE_SIZE, s->pages[i]->va,
			       left < PAGE_SIZE ? left : PAGE_SIZE);
	}
	for (unsigned int i = 0; i < s->npages; i++)
		page_put(q, s->pages[i], persistent);
	s->npages = s->ndata = 0;
	s->in_flight = false;
	s->next_free = q->free_head;
	q->free_head = id;
	q->in_flight--;
	if (r) {
		if (st == -XEN_EOPNOTSUPP && r->op == BLK_FLUSH && q->bf->disk.can_flush) {
			kprintf("blkfront: %s: the backend refuses flushes now: none sent from here on\n",
				q->bf->nodename);
			q->bf->disk.can_flush = false;
		}
		blk_part_done(r, st);
	} else if (s->raw_rsp) {
		s->raw_rsp->status = status;
		s->raw_rsp = NULL;
		wake_up(&q->room);
	}
}

void queue_abandon(struct queue *q)
{
	/* The backend may still hold those pages: none of them is used again. */
	if (q->shadow)
		for (unsigned int id = 0; id < RING_SIZE(&q->ring); id++)
			if (q->shadow[id].in_flight)
				end_shadow(q, id, BLKIF_RSP_ERROR, true);
	pool_release(q);
	wake_up(&q->room);
}

static void fail_device(struct blkfront *bf, const char *why)
{
	unsigned int f = upcalls_off();

	if (!bf->disk.broken)
		kprintf("blkfront: %s: %s: device broken, every request fails\n", bf->nodename, why);
	bf->disk.broken = true;
	for (unsigned int qi = 0; qi < bf->nr_queues; qi++)
		queue_abandon(&bf->q[qi]);
	wake_up(&bf->state);
	upcalls_restore(f);
}

static void fail_op(struct blkdev *d, const char *why)
{
	fail_device(front(d), why);
}

static bool response_ok(struct queue *q, const blkif_response_t *rsp, char *why, size_t size)
{
	if (rsp->id >= RING_SIZE(&q->ring) || !q->shadow[rsp->id].in_flight) {
		snprintf(why, size, "response id %lu is not a request in flight", (unsigned long)rsp->id);
		return false;
	}
	if (rsp->operation != q->shadow[rsp->id].op) {
		snprintf(why, size, "response to request %lu says operation %u, not %u",
			 (unsigned long)rsp->id, rsp->operation, q->shadow[rsp->id].op);
		return false;
	}
	if (rsp->status != BLKIF_RSP_OKAY && rsp->status != BLKIF_RSP_ERROR &&
	    rsp->status != BLKIF_RSP_EOPNOTSUPP) {
		snprintf(why, size, "response to request %lu has status %d",
			 (unsigned long)rsp->id, rsp->status);
		return false;
	}
	return true;
}

void queue_event(evtchn_port_t port, void *arg)
{
	struct queue *q = arg;
	char why[96];
	int more;

	(void)port;
	if (q->bf->disk.broken || !q->shadow)
		return;
	do {
		RING_IDX rp = READ_ONCE(q->ring.sring->rsp_prod);

		rmb();		/* the responses after the index that covers them */
		if (RING_RESPONSE_PROD_OVERFLOW(&q->ring, rp) ||
		    (int32_t)(rp - q->ring.req_prod_pvt) > 0) {
			snprintf(why, sizeof(why), "response producer %u runs ahead of our %u requests",
				 rp, q->ring.req_prod_pvt);
			fail_device(q->bf, why);
			return;
		}
		for (RING_IDX i = q->ring.rsp_cons; i != rp; i++) {
			blkif_response_t rsp;

			RING_COPY_RESPONSE(&q->ring, i, &rsp);
			q->ring.rsp_cons = i + 1;
			if (!response_ok(q, &rsp, why, sizeof(why))) {
				fail_device(q->bf, why);
				return;
			}
			if (!q->shadow[rsp.id].req && q->shadow[rsp.id].raw_rsp)
				*q->shadow[rsp.id].raw_rsp = rsp;
			end_shadow(q, (unsigned int)rsp.id, rsp.status, false);
		}
		RING_FINAL_CHECK_FOR_RESPONSES(&q->ring, more);
	} while (more);
	wake_up(&q->room);
}

/* ---- 3. requests ---------------------------------------------------------------------- */

static uint8_t blkif_op(const struct blkfront *bf, enum blk_op op)
{
	switch (op) {
	case BLK_READ:
		return BLKIF_OP_READ;
	case BLK_WRITE:
		return BLKIF_OP_WRITE;
	case BLK_FLUSH:
		return bf->flush_is_barrier ? BLKIF_OP_WRITE_BARRIER : BLKIF_OP_FLUSH_DISKCACHE;
	default:
		return BLKIF_OP_DISCARD;
	}
}

/* Wait (upcalls masked) for a free id and npages bounce pages; the id, or -1. */
static int take_slot(struct queue *q, unsigned int npages, uint64_t deadline)
{
	struct blkfront *bf = q->bf;

	for (;;) {
		if (bf->disk.broken || bf->closing)
			return -1;
		if (bf->connected && q->shadow && q->free_head < RING_SIZE(&q->ring) &&
		    !RING_FULL(&q->ring)) {
			unsigned int id = q->free_head;
			struct shadow *s = &q->shadow[id];
			unsigned int got = 0;

			while (got < npages && (s->pages[got] = page_get(q)))
				got++;
			if (got == npages) {
				q->free_head = s->next_free;
				s->npages = npages;
				return (int)id;
			}
			while (got)
				page_put(q, s->pages[--got], true);
			if (!q->in_flight)
				return -1;	/* no memory even with nothing out */
		}
		if (xen_system_time() >= deadline)
			return -1;
		waitq_wait(bf->connected ? &q->room : &bf->state, deadline);
	}
}

/* Put shadow id on the ring as request req (its pages granted already). */
static void push(struct queue *q, unsigned int id, blkif_request_t *req)
{
	struct shadow *s = &q->shadow[id];
	int notify;

	req->id = id;
	s->in_flight = true;
	q->in_flight++;
	*RING_GET_REQUEST(&q->ring, q->ring.req_prod_pvt) = *req;
	q->ring.req_prod_pvt++;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->ring, notify);
	if (notify)
		evtchn_notify((evtchn_port_t)q->port);
}

/*
 * Grant the data pages of s (read-only when the backend only reads them)
 * and describe them, for nsect sectors, into segs. False: no grant left.
 */
static bool fill_segments(struct queue *q, struct shadow *s, uint64_t nsect, bool readonly,
			  struct blkif_request_segment *segs)
{
	for (unsigned int i = 0; i < s->ndata; i++) {
		uint64_t n = nsect < SECTORS_PER_PAGE ? nsect : SECTORS_PER_PAGE;

		if (page_grant(q, s->pages[i], readonly) < 0)
			return false;
		segs[i] = (struct blkif_request_segment){
			.gref = (grant_ref_t)s->pages[i]->gref, .first_sect = 0, .last_sect = (uint8_t)(n - 1),
		};
		nsect -= n;
	}
	return true;
}

/* One part of r: sectors [sector, sector + nsect) from byte off of its buffer. */
static bool submit_part(struct queue *q, struct blk_req *r, uint64_t sector, uint64_t nsect,
			size_t off, uint64_t deadline)
{
	struct blkfront *bf = q->bf;
	bool data = r->op == BLK_READ || r->op == BLK_WRITE;
	unsigned int npages = data ? (unsigned int)((nsect + SECTORS_PER_PAGE - 1) / SECTORS_PER_PAGE) : 0;
	bool indirect = npages > BLKIF_MAX_SEGMENTS_PER_REQUEST, granted = true;
	blkif_request_t req = { .handle = 0 };
	struct shadow *s;
	int id = take_slot(q, npages + indirect, deadline);

	if (id < 0)
		return false;
	s = &q->shadow[id];
	s->req = r;
	s->off = off;
	s->bytes = data ? (size_t)nsect * BLK_SECTOR_SIZE : 0;
	s->ndata = npages;
	s->raw_rsp = NULL;
	s->op = blkif_op(bf, r->op);
	req.operation = s->op;
	req.sector_number = sector;
	if (r->op == BLK_WRITE)
		for (unsigned int i = 0; i < npages; i++) {
			size_t n = s->bytes - i * PAGE_SIZE;

			memcpy(s->pages[i]->va, (char *)r->buf + off + i * PAGE_SIZE,
			       n < PAGE_SIZE ? n : PAGE_SIZE);
		}
	if (r->op == BLK_DISCARD) {
		blkif_request_discard_t *d = (blkif_request_discard_t *)&req;

		d->flag = 0;
		d->nr_sectors = nsect;
	} else if (indirect) {
		blkif_request_indirect_t *ind = (blkif_request_indirect_t *)&req;
		struct page_buf *ip = s->pages[npages];

		ind->operation = BLKIF_OP_INDIRECT;
		ind->indirect_op = s->op;
		ind->nr_segments = (uint16_t)npages;
		ind->handle = 0;
		granted = fill_segments(q, s, nsect, r->op == BLK_WRITE, ip->va) &&
			  page_grant(q, ip, true) >= 0;
		ind->indirect_grefs[0] = (grant_ref_t)ip->gref;
	} else {
		req.nr_segments = (uint8_t)npages;
		granted = fill_segments(q, s, nsect, r->op == BLK_WRITE, req.seg);
	}
	if (!granted) {
		/* Not on the ring: ended here, as a backend error would end it. */
		s->in_flight = true;
		q->in_flight++;
		end_shadow(q, (unsigned int)id, BLKIF_RSP_ERROR, false);
		fail_device(bf, "no grant reference left for a request");
		return true;
	}
	push(q, (unsigned int)id, &req);
	return true;
}

static int submit_op(struct blkdev *d, struct blk_req *r)
{
	struct blkfront *bf = front(d);
	uint64_t per_part = (uint64_t)bf->max_segments * SECTORS_PER_PAGE;
	uint64_t deadline = xen_system_time() + ROOM_TIMEOUT_NS;
	bool data = r->op == BLK_READ || r->op == BLK_WRITE;
	unsigned int f, parts = data ? (unsigned int)((r->count + per_part - 1) / per_part) : 1;
	uint64_t done = 0;

	f = upcalls_off();
	r->parts = r->parts_left = parts;
	for (unsigned int i = 0; i < parts; i++) {
		struct queue *q = &bf->q[bf->next_queue++ % (bf->nr_queues ? bf->nr_queues : 1)];
		uint64_t n = data ? (r->count - done < per_part ? r->count - done : per_part) : r->count;

		if (!submit_part(q, r, r->sector + done, n, (size_t)(done * BLK_SECTOR_SIZE), deadline)) {
			/* Broken, closed or never connected again: the rest fails here. */
			if (!bf->disk.broken && !bf->closing)
				kprintf("blkfront: %s: no connection or no room for %lu ms: request failed\n",
					bf->nodename, (unsigned long)(ROOM_TIMEOUT_NS / NSEC_PER_MSEC));
			while (i++ < parts)
				blk_part_done(r, -XEN_EIO);
			break;
		}
		done += n;
	}
	upcalls_restore(f);
	return 0;
}

const struct blkdev_ops blkfront_ops = { .submit = submit_op, .fail = fail_op };

long blkfront_raw(struct blkdev *d, const blkif_request_t *req, blkif_response_t *rsp,
		  uint64_t timeout_ns)
{
	struct blkfront *bf = front(d);
	struct queue *q = &bf->q[0];
	uint64_t deadline = xen_system_time() + timeout_ns;
	blkif_request_t copy = *req;
	unsigned int f = upcalls_off();
	int id = take_slot(q, 0, deadline);
	bool answered;

	if (id < 0) {
		upcalls_restore(f);
		return -XEN_EIO;
	}
	rsp->status = 1;	/* not a status: not answered yet */
	q->shadow[id].req = NULL;
	q->shadow[id].raw_rsp = rsp;
	/* The response must name what was sent; for an indirect request its inner operation. */
	q->shadow[id].op = req->operation == BLKIF_OP_INDIRECT ?
		((const blkif_request_indirect_t *)req)->indirect_op : req->operation;
	push(q, (unsigned int)id, &copy);
	answered = wait_event_until(&q->room, rsp->status != 1 || bf->disk.broken, deadline);
	if (!answered)
		q->shadow[id].raw_rsp = NULL;	/* a late answer must not land in our frame */
	upcalls_restore(f);
	if (bf->disk.broken)
		return -XEN_EIO;
	return answered ? 0 : -XEN_ETIMEDOUT;
}
