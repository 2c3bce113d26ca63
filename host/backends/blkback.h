/*
 * parahost's block backend, between its two halves: blkback.c (the vbd's
 * xenstore nodes and the xenbus state machine, as Linux's
 * drivers/block/xen-blkback/xenbus.c) and blkback_ring.c (the rings and
 * the requests, as its blkback.c). Figures are Linux 6.1's defaults.
 */
#ifndef HOST_BACKENDS_BLKBACK_H
#define HOST_BACKENDS_BLKBACK_H

#include "host/pv/pv.h"
#include "host/drivers/ata.h"
#include "lib/barrier.h"

/* ring.h's barriers are the including program's. */
#define xen_mb()	mb()
#define xen_rmb()	rmb()
#define xen_wmb()	wmb()
#include <xen/grant_table.h>
#include <xen/io/blkif.h>

#define BLKBACK_MAX_RING_ORDER	4	/* XENBUS_MAX_RING_GRANT_ORDER, Linux's max_ring_page_order */
#define BLKBACK_MAX_RING_PAGES	(1u << BLKBACK_MAX_RING_ORDER)
#define BLKBACK_MAX_QUEUES	4
#define BLKBACK_MAX_INDIRECT	256	/* Linux's MAX_INDIRECT_SEGMENTS */
/* Linux's xen_blkif_max_pgrants: BLKIF_MAX_SEGMENTS_PER_REQUEST * XEN_BLKIF_REQS_PER_PAGE, per ring. */
#define BLKBACK_MAX_PGRANTS	1056
#define PGRANT_HASH		2048

struct pgrant {
	grant_ref_t ref;
	uint64_t mfn;
	uint8_t *p;			/* held writable until the ring closes */
};

struct blkring {
	bool open, halted;
	unsigned int nr_pages;
	grant_ref_t refs[BLKBACK_MAX_RING_PAGES];
	uint64_t mfns[BLKBACK_MAX_RING_PAGES];
	uint8_t *pages[BLKBACK_MAX_RING_PAGES];
	struct blkif_back_ring br;	/* sring: page 0, where the indexes are */
	int port;			/* domain 0's end of the ring's channel */
	unsigned int nr_pgrants;
	struct pgrant pgrants[BLKBACK_MAX_PGRANTS];
	uint16_t hash[PGRANT_HASH];	/* index + 1 into pgrants, open addressing */
};

struct blkback {
	struct ata_disk *disk;
	bool persistent;		/* the frontend asked for feature-persistent */
	bool discard;			/* the disk TRIMs (and can DMA, which TRIM needs) */
	unsigned int nr_rings;
	struct blkring rings[BLKBACK_MAX_QUEUES];
};
extern struct blkback blk;

/* blkback_ring.c. open: 0 or a negative errno (the grants, frames or port refused). */
int blkring_open(struct blkring *r, const grant_ref_t *refs, unsigned int nr, evtchn_port_t port,
		 void (*notify)(void));
void blkring_close(struct blkring *r);
/* Up to a budget of requests; true while more are waiting. */
bool blkring_work(struct blkring *r);

#endif
