/*
 * parahost's blkback, the rings: requests taken from the frontend's
 * blkif ring (<xen/io/blkif.h>, <xen/io/ring.h>), done on the machine's
 * disk (host/drivers/ata.c), answered in the same ring. Each check and
 * each answer is Linux 6.1's drivers/block/xen-blkback/blkback.c's:
 *  - __do_block_io_op: a req_prod more than a ring ahead of our responses
 *    halts the ring ("Frontend provided bogus ring requests"), for good,
 *    until the frontend reconnects; each request is copied once out of
 *    the shared ring and only the copy is looked at;
 *  - dispatch_rw_block_io: READ, WRITE, FLUSH_DISKCACHE (and the legacy
 *    WRITE_BARRIER) and INDIRECT; BLKIF_RSP_ERROR for a bad indirect
 *    operation, 0 segments (except a flush), more than 11 (or, indirect,
 *    256), a segment's last_sect past the page or before first_sect, a
 *    sector range past the end (xen_vbd_translate), a grant that cannot
 *    be taken; the answer carries the request's id and its (inner)
 *    operation;
 *  - dispatch_discard_io: the range checked, then TRIM on the disk (or
 *    "not supported" where it has none); dispatch_other_io:
 *    BLKIF_RSP_EOPNOTSUPP.
 * Grants are taken as Xen's grant map takes them for dom0
 * (gnttab_backend_acquire) and the frames only through gframe_get:
 * writable for what we write into. With feature-persistent, grants stay
 * taken (writable, as Linux maps them) until the ring closes, up to
 * Linux's 1056 per ring; past that they are taken per request.
 * Work is bounded: 16 requests or 2 ms per call, then the caller comes
 * back (blkback_poll), so a full ring never holds off the host's timers.
 */
#include "host/backends/blkback.h"
#include "host/pv/grant.h"

#define BUDGET_REQS	16
#define BUDGET_NS	2000000ull
#define SECTOR		512u
#define SECTORS_PER_PAGE	(PAGE_SIZE / SECTOR)
#define SEGS_PER_INDIRECT	(PAGE_SIZE / sizeof(struct blkif_request_segment))

/* The ring as if its pages were contiguous (they need not be, for us). */
static size_t entry_off(const struct blkring *r, RING_IDX i)
{
	return offsetof(struct blkif_sring, ring) +
	       (size_t)(i & (RING_SIZE(&r->br) - 1)) * sizeof(r->br.sring->ring[0]);
}

static void ring_copy(struct blkring *r, size_t off, void *buf, size_t len, bool to_ring)
{
	uint8_t *b = buf;

	while (len) {
		size_t in = off % PAGE_SIZE, n = PAGE_SIZE - in;
		uint8_t *page = r->pages[off / PAGE_SIZE];

		if (n > len)
			n = len;
		if (to_ring)
			memcpy(page + in, b, n);
		else
			memcpy(b, page + in, n);
		off += n;
		b += n;
		len -= n;
	}
}

/* ---- grants ------------------------------------------------------------ */

/* One page a request touches: where it is, and what we hold for it. */
struct frame {
	grant_ref_t ref;
	bool held, ro;			/* held: ours to release after the request */
	uint64_t mfn;
	uint8_t *p;
};

static int16_t take(grant_ref_t ref, bool ro, struct frame *f)
{
	int16_t rc = gnttab_backend_acquire(ref, ro, &f->mfn);

	if (rc != GNTST_okay)
		return rc;
	f->p = gframe_get(&dom, f->mfn, ro ? GF_READ : GF_WRITABLE);
	if (!f->p) {
		gnttab_copy_release(ref, ro);
		return GNTST_general_error;
	}
	f->ref = ref;
	f->ro = ro;
	f->held = true;
	return GNTST_okay;
}

static void give_back(struct frame *f)
{
	if (!f->held)
		return;
	gframe_put(&dom, f->mfn, f->ro ? GF_READ : GF_WRITABLE);
	gnttab_copy_release(f->ref, f->ro);
	f->held = false;
}

/* The persistent grant for ref, or NULL and the free slot where it would go. */
static struct pgrant *persistent(struct blkring *r, grant_ref_t ref, unsigned int *slot)
{
	unsigned int h = ref % PGRANT_HASH;

	while (r->hash[h]) {
		if (r->pgrants[r->hash[h] - 1].ref == ref)
			return &r->pgrants[r->hash[h] - 1];
		h = (h + 1) % PGRANT_HASH;
	}
	*slot = h;
	return NULL;
}

/* A page of the request: persistent if negotiated and there is room, else for this request. */
static int16_t get_frame(struct blkring *r, grant_ref_t ref, bool ro, struct frame *f)
{
	struct pgrant *pg;
	unsigned int slot = 0;
	int16_t rc;

	f->held = false;
	if (!blk.persistent)
		return take(ref, ro, f);
	pg = persistent(r, ref, &slot);
	if (!pg && r->nr_pgrants < BLKBACK_MAX_PGRANTS) {
		/* Linux maps a persistent grant writable whatever the request. */
		rc = take(ref, false, f);
		if (rc != GNTST_okay)
			return rc;
		pg = &r->pgrants[r->nr_pgrants++];
		*pg = (struct pgrant){ .ref = ref, .mfn = f->mfn, .p = f->p };
		r->hash[slot] = (uint16_t)r->nr_pgrants;
		f->held = false;
	}
	if (!pg)
		return take(ref, ro, f);
	f->p = pg->p;
	f->mfn = pg->mfn;
	return GNTST_okay;
}

/* ---- requests ------------------------------------------------------------ */

static void respond(struct blkring *r, uint64_t id, uint8_t op, int16_t st)
{
	struct blkif_response rsp = { .id = id, .operation = op, .status = st };
	int notify;

	ring_copy(r, entry_off(r, r->br.rsp_prod_pvt), &rsp, sizeof(rsp), true);
	r->br.rsp_prod_pvt++;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&r->br, notify);
	if (notify)
		evtchn_backend_notify(r->port);
}

struct seg {
	grant_ref_t ref;
	uint8_t first, last;
};

/* The request's pages, in sector order: ata_rw's scatter list. */
struct io {
	const struct seg *seg;
	struct frame *frame;
	unsigned int i;			/* segment of the sector asked for last */
	uint32_t start;			/* the request's first sector in segment i */
};

static void *sector_of(void *ctx, uint32_t k)
{
	struct io *io = ctx;

	while (k - io->start > (uint32_t)(io->seg[io->i].last - io->seg[io->i].first)) {
		io->start += io->seg[io->i].last - io->seg[io->i].first + 1u;
		io->i++;
	}
	return io->frame[io->i].p + (io->seg[io->i].first + (k - io->start)) * SECTOR;
}

/* xen_vbd_translate's range check: an empty range is always fine. */
static bool in_range(uint64_t sector, uint64_t nr)
{
	return !nr || (sector + nr >= sector && sector + nr <= blk.disk->id.sectors);
}

/* xen_blkbk_parse_indirect: the segments from the indirect pages (read-only), each checked. */
static bool indirect_segs(struct blkring *r, const struct blkif_request_indirect *in,
			  unsigned int nseg, struct seg *seg)
{
	unsigned int pages = (nseg + SEGS_PER_INDIRECT - 1) / SEGS_PER_INDIRECT;

	for (unsigned int p = 0; p < pages; p++) {
		struct frame f;
		unsigned int n = nseg - p * SEGS_PER_INDIRECT;

		if (get_frame(r, in->indirect_grefs[p], true, &f) != GNTST_okay)
			return false;
		if (n > SEGS_PER_INDIRECT)
			n = SEGS_PER_INDIRECT;
		for (unsigned int k = 0; k < n; k++) {
			struct blkif_request_segment s;

			memcpy(&s, f.p + k * sizeof(s), sizeof(s));	/* read once */
			seg[p * SEGS_PER_INDIRECT + k] = (struct seg){ s.gref, s.first_sect, s.last_sect };
		}
		give_back(&f);
	}
	return true;
}

static struct seg segs[BLKBACK_MAX_INDIRECT];
static struct frame frames[BLKBACK_MAX_INDIRECT];

static int16_t do_rw(struct blkring *r, uint8_t op, unsigned int nseg, uint64_t sector)
{
	bool write = op != BLKIF_OP_READ, flush = op == BLKIF_OP_FLUSH_DISKCACHE ||
						 op == BLKIF_OP_WRITE_BARRIER;
	uint64_t nr = 0;
	unsigned int got = 0;
	int16_t st = BLKIF_RSP_OKAY;

	for (unsigned int i = 0; i < nseg; i++) {
		if (segs[i].last >= SECTORS_PER_PAGE || segs[i].last < segs[i].first)
			return BLKIF_RSP_ERROR;
		nr += segs[i].last - segs[i].first + 1u;
	}
	if (!in_range(sector, nr))
		return BLKIF_RSP_ERROR;
	/* xen_blkbk_map_seg: read-only unless we write into the page (a READ). */
	for (; got < nseg; got++)
		if (get_frame(r, segs[got].ref, op != BLKIF_OP_READ, &frames[got]) != GNTST_okay) {
			st = BLKIF_RSP_ERROR;
			break;
		}
	/* A flush's data goes after the flush (REQ_PREFLUSH). */
	if (st == BLKIF_RSP_OKAY && flush && ata_flush(blk.disk))
		st = BLKIF_RSP_ERROR;
	if (st == BLKIF_RSP_OKAY && nr) {
		struct io io = { .seg = segs, .frame = frames };

		if (ata_rw(blk.disk, sector, (uint32_t)nr, write, sector_of, &io))
			st = BLKIF_RSP_ERROR;
	}
	while (got--)
		give_back(&frames[got]);
	return st;
}

/* dispatch_rw_block_io's checks, in its order; the answer names the inner operation. */
static void dispatch_rw(struct blkring *r, const struct blkif_request *req)
{
	struct blkif_request_indirect in;
	bool indirect = req->operation == BLKIF_OP_INDIRECT;
	uint8_t op = req->operation;
	unsigned int nseg = req->nr_segments;
	uint64_t sector = req->sector_number;
	int16_t st = BLKIF_RSP_ERROR;

	if (indirect) {
		memcpy(&in, req, sizeof(in));
		op = in.indirect_op;
		nseg = in.nr_segments;
		sector = in.sector_number;
		if (op != BLKIF_OP_READ && op != BLKIF_OP_WRITE)
			goto out;
	}
	if ((nseg == 0 && op != BLKIF_OP_FLUSH_DISKCACHE && op != BLKIF_OP_WRITE_BARRIER) ||
	    (!indirect && nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST) ||
	    (indirect && nseg > BLKBACK_MAX_INDIRECT))
		goto out;
	if (indirect) {
		if (!indirect_segs(r, &in, nseg, segs))
			goto out;
	} else {
		for (unsigned int i = 0; i < nseg; i++)
			segs[i] = (struct seg){ req->seg[i].gref, req->seg[i].first_sect,
						req->seg[i].last_sect };
	}
	st = do_rw(r, op, nseg, sector);
out:
	respond(r, req->id, op, st);
}

static void dispatch(struct blkring *r, const struct blkif_request *req)
{
	switch (req->operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
	case BLKIF_OP_INDIRECT:
		dispatch_rw(r, req);
		break;
	case BLKIF_OP_DISCARD: {
		struct blkif_request_discard d;

		int16_t st = BLKIF_RSP_ERROR;

		memcpy(&d, req, sizeof(d));
		/*
		 * The range first (xen_vbd_translate), then the disk: a disk
		 * without TRIM says "not supported"; discard-secure is 0, so
		 * BLKIF_DISCARD_SECURE is ignored, as Linux ignores it then.
		 */
		if (in_range(d.sector_number, d.nr_sectors))
			st = !blk.discard ? BLKIF_RSP_EOPNOTSUPP :
			     !d.nr_sectors || !ata_trim(blk.disk, d.sector_number, d.nr_sectors) ?
			     BLKIF_RSP_OKAY : BLKIF_RSP_ERROR;
		respond(r, d.id, d.operation, st);
		break;
	}
	default:
		respond(r, req->id, req->operation, BLKIF_RSP_EOPNOTSUPP);
		break;
	}
}

bool blkring_work(struct blkring *r)
{
	uint64_t end = system_time_ns() + BUDGET_NS;
	unsigned int done = 0;
	int more;

	if (!r->open || r->halted)
		return false;
	for (;;) {
		RING_IDX rc = r->br.req_cons, rp = READ_ONCE(r->br.sring->req_prod);

		rmb();		/* the requests up to rp, after rp */
		if (RING_REQUEST_PROD_OVERFLOW(&r->br, rp)) {
			printk("blkback: Frontend provided bogus ring requests (%u - %u = %u). "
			       "Halting ring processing", rp, r->br.rsp_prod_pvt,
			       rp - r->br.rsp_prod_pvt);
			r->halted = true;
			return false;
		}
		while (rc != rp && !RING_REQUEST_CONS_OVERFLOW(&r->br, rc)) {
			struct blkif_request req;

			if (done >= BUDGET_REQS || (done && system_time_ns() >= end))
				return true;
			ring_copy(r, entry_off(r, rc), &req, sizeof(req), false);
			r->br.req_cons = ++rc;
			barrier();	/* every check on the private copy */
			dispatch(r, &req);
			done++;
		}
		RING_FINAL_CHECK_FOR_REQUESTS(&r->br, more);
		if (!more)
			return false;
	}
}

/* ---- opening and closing --------------------------------------------------- */

int blkring_open(struct blkring *r, const grant_ref_t *refs, unsigned int nr, evtchn_port_t port,
		 void (*notify)(void))
{
	struct frame f;

	memset(r, 0, sizeof(*r));
	for (unsigned int i = 0; i < nr; i++) {
		if (take(refs[i], false, &f) != GNTST_okay) {
			blkring_close(r);
			return -EINVAL;
		}
		r->refs[i] = refs[i];
		r->mfns[i] = f.mfn;
		r->pages[i] = f.p;
		r->nr_pages++;
	}
	r->port = evtchn_backend_bind(port, notify);
	if (r->port < 0) {
		int rc = r->port;

		r->port = 0;
		blkring_close(r);
		return rc;
	}
	/* Linux's xen_blkif_map: the frontend initialised the indexes, we attach at 0. */
	BACK_RING_ATTACH(&r->br, (struct blkif_sring *)r->pages[0], 0, (size_t)nr * PAGE_SIZE);
	r->open = true;
	return 0;
}

void blkring_close(struct blkring *r)
{
	for (unsigned int i = 0; i < r->nr_pgrants; i++) {
		gframe_put(&dom, r->pgrants[i].mfn, GF_WRITABLE);
		gnttab_copy_release(r->pgrants[i].ref, false);
	}
	for (unsigned int i = 0; i < r->nr_pages; i++) {
		gframe_put(&dom, r->mfns[i], GF_WRITABLE);
		gnttab_copy_release(r->refs[i], false);
	}
	if (r->port > 0)
		evtchn_backend_unbind(r->port);
	memset(r, 0, sizeof(*r));
}
