/*
 * A raw blkif frontend for the hostile tests (kernel/tests/hostile_blk.c):
 * the ring, its grant and its event channel made by hand, the requests
 * written as a hostile frontend wants them, so the tests can send what no
 * real blkfront would. It borrows vbd 51712: if blkfront has it, blkfront
 * is detached first (Closed, then Initialising: the backend's "prepare
 * for reconnect") and attached again at the end; either way the device
 * is given back through Closing, Closed, Initialising (the backend back
 * in InitWait). Only on a scratch disk (blk_scratch): the tests write.
 */
#ifndef KERNEL_TESTS_BLK_RAW_H
#define KERNEL_TESTS_BLK_RAW_H

#include "lib/barrier.h"
#define xen_mb()	mb()
#define xen_rmb()	rmb()
#define xen_wmb()	wmb()
#include <xen/grant_table.h>
#include <xen/io/blkif.h>
#include <xen/event_channel.h>

#include <stdbool.h>
#include <stdint.h>

#define BLK_NO_RESPONSE	(-100)	/* no answer within the wait */

struct blk_raw {
	char be[128];
	unsigned long sectors;
	struct blkif_front_ring ring;
	unsigned long ring_pfn, data_pfn;
	grant_ref_t ring_ref, data_ref;	/* both granted writable to the backend */
	evtchn_port_t port;
	uint8_t *data;			/* one page */
	bool up;
	struct blkdev *borrowed;	/* blkfront's, to attach again when done */
};

/* NULL: connected. Else why not, and *skip says whether that is a reason to skip. */
const char *blk_raw_up(struct blk_raw *f, bool *skip);
/* Close and give the device back; NULL, or what went wrong. */
const char *blk_raw_down(struct blk_raw *f);
/*
 * One request (len bytes of it) put in the ring at req_prod, the backend
 * notified; the response's status, operation and id (BLK_NO_RESPONSE
 * after wait_ms).
 */
int blk_raw_submit(struct blk_raw *f, const void *req, size_t len, uint8_t *op, uint64_t *id,
		   uint64_t wait_ms);
/* Waits for a response to what is already in the ring (after a lie about req_prod). */
int blk_raw_wait(struct blk_raw *f, uint8_t *op, uint64_t *id, uint64_t wait_ms);

#endif
