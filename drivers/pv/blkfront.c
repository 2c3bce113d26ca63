/*
 * blkfront, in protocol order (docs/pv-drivers.md, "blkfront"):
 *
 *   1. probe, the backend waiting (InitWait): read what it offers for the
 *      rings; per queue grant the ring pages and allocate an event channel;
 *      write our half in one transaction; we are Initialised.
 *   2. connect, the backend Connected: read the disk (sectors, sector
 *      sizes, info) and its features; the disk is usable.
 *   3. requests: the caller's data goes through pages of our own ("bounce
 *      pages"), never the caller's, so nothing else is ever shared; one
 *      ring request per up to max_segments pages, indirect beyond 11.
 *   4. responses: each copied once from the ring, then checked (producer,
 *      id, operation, status); any violation breaks the device: one line,
 *      every request ended -XEN_EIO, never a crash.
 *   5. disconnect: the rings, ports and grants given back; a backend that
 *      comes back gets the whole handshake again.
 *
 * Persistent grants: the bounce pages stay granted for the connection's
 * life. Without them each page is granted for one request and taken back
 * when it completes. Everything here runs with upcalls masked (one vCPU):
 * that is the lock between submitters and the event handler.
 */
#include <xen/errno.h>
#include <xen/event_channel.h>
#include <xen/io/protocols.h>

#include "drivers/pv/blkfront.h"
#include "kernel/kernel.h"
#include "lib/printf.h"
#include "mm/frames.h"
#include "mm/kmalloc.h"
#include "mm/p2m.h"
#include "xen/evtchn.h"
#include "xen/grant_table.h"
#include "xen/time.h"

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

struct blkfront_wants blkfront_wants;
static struct blkfront *fronts;

static struct blkfront *front(struct blkdev *d)
{
	return d->priv;
}

/* The backend's node NAME as a number; def if it is not there; -1 if it is not a number. */
static long otherend_ulong(struct blkfront *bf, const char *name, unsigned long def,
			   unsigned long *v)
{
	char path[sizeof(bf->xb->otherend) + 40];
	long rc;

	snprintf(path, sizeof(path), "%s/%s", bf->xb->otherend, name);
	rc = xs_read_ulong(XS_NO_TX, path, v);
	if (rc == -XEN_ENOENT) {
		*v = def;
		return 0;
	}
	if (rc)
		kprintf("blkfront: %s: backend's %s is not a number (%ld)\n", bf->nodename, name, rc);
	return rc;
}

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

static void fail_device(struct blkfront *bf, const char *why)
{
	unsigned int f = upcalls_off();

	if (!bf->disk.broken)
		kprintf("blkfront: %s: %s: device broken, every request fails\n", bf->nodename, why);
	bf->disk.broken = true;
	for (unsigned int qi = 0; qi < bf->nr_queues; qi++) {
		struct queue *q = &bf->q[qi];

		if (!q->shadow)
			continue;
		/* The backend may still hold those pages: none of them is used again. */
		for (unsigned int id = 0; id < RING_SIZE(&q->ring); id++)
			if (q->shadow[id].in_flight)
				end_shadow(q, id, BLKIF_RSP_ERROR, true);
		pool_release(q);
		wake_up(&q->room);
	}
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

static void queue_event(evtchn_port_t port, void *arg)
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

static const struct blkdev_ops blkfront_ops = { .submit = submit_op, .fail = fail_op };

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

/* ---- 1. probe: our half of the handshake ------------------------------------------------- */

static void queue_free(struct queue *q)
{
	if (q->port >= 0)
		evtchn_close((evtchn_port_t)q->port);
	q->port = -1;
	for (unsigned int i = 0; i < MAX_RING_PAGES; i++) {
		if (q->ring_ref[i] >= 0)
			gnttab_end_access((grant_ref_t)q->ring_ref[i], q->ring_pfn + i);
		else if (q->ring_pfn != FRAME_NONE && i < (1u << q->bf->ring_order))
			frame_free(q->ring_pfn + i);
		q->ring_ref[i] = -1;
	}
	q->ring_pfn = FRAME_NONE;
	if (q->shadow) {
		for (unsigned int id = 0; id < RING_SIZE(&q->ring); id++)
			if (q->shadow[id].in_flight)
				end_shadow(q, id, BLKIF_RSP_ERROR, true);
		kfree(q->shadow);
		q->shadow = NULL;
	}
	pool_release(q);
	wake_up(&q->room);
}

static long queue_alloc(struct blkfront *bf, struct queue *q, unsigned int idx)
{
	unsigned int pages = 1u << bf->ring_order;
	blkif_sring_t *sring;
	long rc;

	/* Threads may sleep on room across a reconnection: it is kept. */
	*q = (struct queue){ .bf = bf, .idx = idx, .port = -1, .ring_pfn = FRAME_NONE,
			     .room = q->room };
	for (unsigned int i = 0; i < MAX_RING_PAGES; i++)
		q->ring_ref[i] = -1;
	q->ring_pfn = frame_alloc_run(pages);
	if (q->ring_pfn == FRAME_NONE)
		return -XEN_ENOMEM;
	sring = pfn_to_virt(q->ring_pfn);
	memset(sring, 0, pages * PAGE_SIZE);
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&q->ring, sring, pages * PAGE_SIZE);
	q->shadow = kzalloc(RING_SIZE(&q->ring) * sizeof(*q->shadow));
	if (!q->shadow)
		return -XEN_ENOMEM;
	for (unsigned int id = 0; id < RING_SIZE(&q->ring); id++)
		q->shadow[id].next_free = id + 1;
	for (unsigned int i = 0; i < pages; i++) {
		q->ring_ref[i] = gnttab_grant_access(bf->xb->otherend_id,
						     pfn_to_mfn(q->ring_pfn + i), false);
		if (q->ring_ref[i] < 0)
			return q->ring_ref[i];
	}
	rc = evtchn_alloc_unbound(bf->xb->otherend_id, queue_event, q);
	if (rc < 0)
		return rc;
	q->port = rc;
	evtchn_unmask((evtchn_port_t)rc);
	return 0;
}

/* Queue q's keys, under DIR ("" or "queue-N/"). */
static long write_queue(xs_tx_t t, struct blkfront *bf, struct queue *q, const char *dir)
{
	char path[160];
	long rc;

	if (bf->ring_order == 0) {
		snprintf(path, sizeof(path), "%s/%sring-ref", bf->nodename, dir);
		rc = xs_printf(t, path, "%ld", q->ring_ref[0]);
	} else {
		rc = 0;
		for (unsigned int i = 0; i < (1u << bf->ring_order) && !rc; i++) {
			snprintf(path, sizeof(path), "%s/%sring-ref%u", bf->nodename, dir, i);
			rc = xs_printf(t, path, "%ld", q->ring_ref[i]);
		}
	}
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/%sevent-channel", bf->nodename, dir);
	return xs_printf(t, path, "%ld", q->port);
}

/* What an earlier connection wrote that this one may not (fewer queues, a smaller ring). */
static long remove_old_half(xs_tx_t t, struct blkfront *bf)
{
	static const char *const keys[] = {
		"ring-ref", "ring-page-order", "event-channel", "multi-queue-num-queues",
		"queue-0", "queue-1", "queue-2", "queue-3",
		"ring-ref0", "ring-ref1", "ring-ref2", "ring-ref3",
	};
	char path[160];

	for (unsigned int i = 0; i < ARRAY_SIZE(keys); i++) {
		long rc;

		snprintf(path, sizeof(path), "%s/%s", bf->nodename, keys[i]);
		rc = xs_rm(t, path);
		if (rc && rc != -XEN_ENOENT)
			return rc;
	}
	return 0;
}

static long write_our_half(xs_tx_t t, void *arg)
{
	struct blkfront *bf = arg;
	char path[160], dir[16];
	long rc = remove_old_half(t, bf);

	if (!rc && bf->ring_order) {
		snprintf(path, sizeof(path), "%s/ring-page-order", bf->nodename);
		rc = xs_printf(t, path, "%u", bf->ring_order);
	}
	if (!rc && bf->nr_queues > 1) {
		snprintf(path, sizeof(path), "%s/multi-queue-num-queues", bf->nodename);
		rc = xs_printf(t, path, "%u", bf->nr_queues);
	}
	for (unsigned int i = 0; i < bf->nr_queues && !rc; i++) {
		if (bf->nr_queues > 1)
			snprintf(dir, sizeof(dir), "queue-%u/", i);
		else
			dir[0] = '\0';
		rc = write_queue(t, bf, &bf->q[i], dir);
	}
	if (!rc) {
		snprintf(path, sizeof(path), "%s/protocol", bf->nodename);
		rc = xs_printf(t, path, "%s", XEN_IO_PROTO_ABI_NATIVE);
	}
	if (!rc) {
		snprintf(path, sizeof(path), "%s/feature-persistent", bf->nodename);
		rc = xs_printf(t, path, "%u", blkfront_wants.no_persistent ? 0 : 1);
	}
	return rc;
}

static void disconnect(struct xenbus_device *dev);

static int probe(struct xenbus_device *dev)
{
	struct blkfront *bf = dev->priv;
	unsigned long order, queues;
	long rc;

	if (otherend_ulong(bf, "max-ring-page-order", 0, &order) ||
	    otherend_ulong(bf, "multi-queue-max-queues", 1, &queues))
		return -XEN_EINVAL;
	bf->ring_order = blkfront_wants.no_multi_page ? 0 :
			 order < MAX_RING_ORDER ? (unsigned int)order : MAX_RING_ORDER;
	bf->nr_queues = blkfront_wants.no_multi_queue || queues == 0 ? 1 :
			queues < MAX_QUEUES ? (unsigned int)queues : MAX_QUEUES;
	for (unsigned int i = 0; i < bf->nr_queues; i++) {
		rc = queue_alloc(bf, &bf->q[i], i);
		if (rc) {
			kprintf("blkfront: %s: queue %u: %ld\n", bf->nodename, i, rc);
			bf->nr_queues = i + 1;
			disconnect(dev);
			return (int)rc;
		}
	}
	rc = xs_transact(write_our_half, bf, NULL);
	if (rc) {
		kprintf("blkfront: %s: writing our half: %ld\n", bf->nodename, rc);
		disconnect(dev);
	}
	return (int)rc;
}

/* ---- 2. connect: the disk as the backend describes it ------------------------------------ */

static bool is_sector_size(unsigned long s)
{
	return s >= BLK_SECTOR_SIZE && s <= PAGE_SIZE && !(s & (s - 1));
}

static int connect(struct xenbus_device *dev)
{
	struct blkfront *bf = dev->priv;
	struct blkdev *disk = &bf->disk;
	unsigned long sectors, ssize, pssize, info, flush, barrier, discard, gran, persist, indirect;
	unsigned int f;

	/* Linux's blkback writes "sectors" in 512-byte units whatever sector-size says; so do we. */
	if (otherend_ulong(bf, "sectors", 0, &sectors) || !sectors ||
	    otherend_ulong(bf, "sector-size", 0, &ssize) || !is_sector_size(ssize) ||
	    otherend_ulong(bf, "physical-sector-size", ssize, &pssize) ||
	    pssize < ssize || (pssize & (pssize - 1)) || sectors % (ssize / BLK_SECTOR_SIZE) ||
	    otherend_ulong(bf, "info", 0, &info) ||
	    otherend_ulong(bf, "feature-flush-cache", 0, &flush) ||
	    otherend_ulong(bf, "feature-barrier", 0, &barrier) ||
	    otherend_ulong(bf, "feature-discard", 0, &discard) ||
	    otherend_ulong(bf, "discard-granularity", 0, &gran) ||
	    otherend_ulong(bf, "feature-persistent", 0, &persist) ||
	    otherend_ulong(bf, "feature-max-indirect-segments", 0, &indirect)) {
		kprintf("blkfront: %s: the backend describes no disk we can use "
			"(sectors %lu, sector-size %lu)\n", bf->nodename, sectors, ssize);
		return -XEN_EINVAL;
	}
	f = upcalls_off();
	disk->sectors = sectors;
	disk->sector_size = (unsigned int)ssize;
	disk->physical_sector_size = (unsigned int)pssize;
	disk->readonly = info & VDISK_READONLY;
	disk->removable = info & VDISK_REMOVABLE;
	disk->can_flush = flush || barrier;
	bf->flush_is_barrier = !flush && barrier;
	disk->can_discard = discard != 0;
	disk->discard_granularity = gran <= (1ul << 30) ? (unsigned int)gran : 0;
	bf->persistent = persist == 1 && !blkfront_wants.no_persistent;
	bf->max_segments = indirect > BLKIF_MAX_SEGMENTS_PER_REQUEST && !blkfront_wants.no_indirect ?
		(indirect < MAX_SEGMENTS ? (unsigned int)indirect : MAX_SEGMENTS) :
		BLKIF_MAX_SEGMENTS_PER_REQUEST;
	disk->broken = false;
	bf->connected = true;
	wake_up(&bf->state);
	upcalls_restore(f);
	kprintf("blkfront: %s: %s: %lu sectors of %lu bytes%s%s%s%s; %u queue%s of %u, "
		"%u segments a request%s\n", bf->nodename, disk->name, sectors, ssize,
		disk->readonly ? ", read-only" : "", disk->can_flush ? ", flush" : "",
		disk->can_discard ? ", discard" : "", bf->persistent ? ", persistent grants" : "",
		bf->nr_queues, bf->nr_queues > 1 ? "s" : "", RING_SIZE(&bf->q[0].ring),
		bf->max_segments, bf->max_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST ? " (indirect)" : "");
	return 0;
}

/* ---- 5. disconnect, and the device's life ------------------------------------------------- */

static void disconnect(struct xenbus_device *dev)
{
	struct blkfront *bf = dev->priv;
	unsigned int f = upcalls_off();

	if (bf->connected && bf->disk.sectors)
		for (unsigned int i = 0; i < bf->nr_queues; i++)
			if (bf->q[i].in_flight)
				kprintf("blkfront: %s: backend gone with %u requests in flight: they fail\n",
					bf->nodename, bf->q[i].in_flight);
	bf->connected = false;
	for (unsigned int i = 0; i < bf->nr_queues; i++)
		queue_free(&bf->q[i]);
	bf->nr_queues = 0;
	wake_up(&bf->state);
	upcalls_restore(f);
}

/* The device's blkfront, made on its first probe (on the watch thread, the only caller). */
static struct blkfront *front_for(struct xenbus_device *dev)
{
	struct blkfront *bf;
	unsigned long vdev;
	char path[128];

	for (bf = fronts; bf; bf = bf->next)
		if (!strcmp(bf->nodename, dev->nodename))
			goto found;
	bf = kzalloc(sizeof(*bf));
	if (!bf)
		return NULL;
	strlcpy(bf->nodename, dev->nodename, sizeof(bf->nodename));
	snprintf(path, sizeof(path), "%s/virtual-device", dev->nodename);
	/* xvd majors (202) name disks xvda, xvdb...; anything else by its number. */
	if (!xs_read_ulong(XS_NO_TX, path, &vdev) && vdev >> 8 == 202 && (vdev & 0xff) < 26 * 16)
		snprintf(bf->disk.name, sizeof(bf->disk.name), "xvd%c", 'a' + (int)((vdev & 0xff) >> 4));
	else
		snprintf(bf->disk.name, sizeof(bf->disk.name), "vbd%s", dev->id);
	bf->disk.ops = &blkfront_ops;
	bf->disk.priv = bf;
	bf->next = fronts;
	fronts = bf;
	blkdev_register(&bf->disk);
found:
	bf->xb = dev;
	dev->priv = bf;
	bf->closing = false;
	return bf;
}

static int probe_cb(struct xenbus_device *dev)
{
	if (!dev->priv && !front_for(dev))
		return -XEN_ENOMEM;
	return probe(dev);
}

static struct xenbus_driver vbd_driver = {
	.type = "vbd", .probe = probe_cb, .connect = connect, .disconnect = disconnect,
};

void blkfront_init(void)
{
	xenbus_register(&vbd_driver);
}

struct blkdev *blkfront_disk(void)
{
	for (struct blkfront *bf = fronts; bf; bf = bf->next)
		if (bf->xb && bf->xb->bus == &xenbus_devices && bf->connected)
			return &bf->disk;
	return NULL;
}

struct blkdev *blkfront_attach(const struct xenbus_bus *bus, const char *id, long *rc)
{
	struct xenbus_device *dev = kzalloc(sizeof(*dev));

	*rc = -XEN_ENOMEM;
	if (!dev)
		return NULL;
	*rc = xenbus_attach(bus, "vbd", id, dev);
	/* Probing (on the watch thread) made dev->priv before anything could connect. */
	if (!*rc)
		*rc = xenbus_wait_connected(dev);
	if (*rc) {
		if (dev->priv)
			((struct blkfront *)dev->priv)->xb = NULL;
		kfree(dev);
		return NULL;
	}
	return &((struct blkfront *)dev->priv)->disk;
}

void blkfront_detach(struct blkdev *d)
{
	struct blkfront *bf = front(d);
	uint64_t deadline = xen_system_time() + bf->xb->bus->timeout_ns;
	bool drained = true;

	for (unsigned int i = 0; i < bf->nr_queues; i++)
		drained &= wait_event_until(&bf->q[i].room, !bf->q[i].in_flight, deadline);
	if (!drained)
		kprintf("blkfront: %s: requests still in flight at close: they fail\n", bf->nodename);
	bf->closing = true;
	xenbus_detach(bf->xb);
}

void blkfront_close_all(void)
{
	for (struct blkfront *bf = fronts; bf; bf = bf->next)
		if (bf->xb && !bf->closing && bf->xb->state != XenbusStateClosed)
			blkfront_detach(&bf->disk);
}

long blkfront_reconnect(struct blkdev *d)
{
	struct blkfront *bf = front(d);
	struct xenbus_device *dev = bf->xb;
	const struct xenbus_bus *bus = dev->bus;
	char id[sizeof(dev->id)];
	long rc;

	strlcpy(id, dev->id, sizeof(id));
	blkfront_detach(d);
	rc = xenbus_attach(bus, "vbd", id, dev);
	if (rc)
		return rc;
	return xenbus_wait_connected(dev);
}

void blkfront_info(struct blkdev *d, struct blkfront_info *i)
{
	struct blkfront *bf = front(d);
	unsigned int f = upcalls_off();

	*i = (struct blkfront_info){
		.ring_order = bf->ring_order, .nr_queues = bf->nr_queues,
		.ring_size = bf->nr_queues ? RING_SIZE(&bf->q[0].ring) : 0,
		.max_segments = bf->max_segments, .persistent = bf->persistent,
		.indirect = bf->max_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST,
		.flush_is_barrier = bf->flush_is_barrier,
		.backend_id = bf->xb ? (domid_t)bf->xb->otherend_id : 0, .nodename = bf->nodename,
	};
	for (unsigned int q = 0; q < bf->nr_queues; q++) {
		i->pages += bf->q[q].pages;
		i->granted += bf->q[q].granted;
		i->in_flight += bf->q[q].in_flight;
	}
	upcalls_restore(f);
}

blkif_front_ring_t *blkfront_ring(struct blkdev *d, unsigned int q)
{
	return q < front(d)->nr_queues ? &front(d)->q[q].ring : NULL;
}

evtchn_port_t blkfront_port(struct blkdev *d, unsigned int q)
{
	return q < front(d)->nr_queues ? (evtchn_port_t)front(d)->q[q].port : 0;
}
