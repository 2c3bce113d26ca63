/*
 * blkfront: the virtual block device's frontend (blkif, <xen/io/blkif.h>).
 * Its disks are struct blkdev (drivers/blkdev.h); this is what the rest of
 * the kernel, and the tests, need beyond that.
 */
#ifndef DRIVERS_PV_BLKFRONT_H
#define DRIVERS_PV_BLKFRONT_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/io/blkif.h>

#include "drivers/blkdev.h"
#include "drivers/pv/xenbus.h"

/* Register the "vbd" driver (boot, before xenbus_probe). */
void blkfront_init(void);

/* The toolstack's first disk once connected (device/vbd/...), or NULL. */
struct blkdev *blkfront_disk(void);

/* What was negotiated, and what is out right now. */
struct blkfront_info {
	unsigned int ring_order, nr_queues, ring_size;
	unsigned int max_segments;		/* per request: 11, or the indirect maximum */
	bool persistent, indirect, flush_is_barrier;
	unsigned int pages;			/* bounce pages held (all queues) */
	unsigned int granted;			/* of them, granted to the backend now */
	unsigned int in_flight;
	domid_t backend_id;
	const char *nodename;
};
void blkfront_info(struct blkdev *d, struct blkfront_info *i);

/*
 * What we ask for. Each is taken only if the backend offers it too; a
 * test that wants to see the other path asks for less, then reconnects.
 */
struct blkfront_wants {
	bool no_persistent, no_indirect, no_multi_page, no_multi_queue;
};
extern struct blkfront_wants blkfront_wants;

/* For tests that play their own backend: attach ROOT/vbd/ID of bus, wait for Connected. */
struct blkdev *blkfront_attach(const struct xenbus_bus *bus, const char *id, long *rc);
/* Drain what is in flight (up to the bus's timeout), then Closing, Closed. */
void blkfront_detach(struct blkdev *d);
/* At shutdown: every disk drained and closed, so the backend sees a clean Closed. */
void blkfront_close_all(void);
/* Whether the backend is Connected to it now. */
bool blkfront_connected(struct blkdev *d);
/* Close and attach again (with today's blkfront_wants): 0 once Connected. */
long blkfront_reconnect(struct blkdev *d);

/*
 * A request as the caller wrote it (id excepted: ours), on queue 0, for
 * tests of the backend's checks. 0 and *rsp once answered (it passed the
 * same checks as any response), -XEN_ETIMEDOUT if not by the deadline.
 */
long blkfront_raw(struct blkdev *d, const blkif_request_t *req, blkif_response_t *rsp,
		  uint64_t timeout_ns);
/* Queue q's front ring, for tests that play the backend's side of it. */
blkif_front_ring_t *blkfront_ring(struct blkdev *d, unsigned int q);
/* The port the frontend notifies the backend on, for queue q. */
evtchn_port_t blkfront_port(struct blkdev *d, unsigned int q);

#endif
