/*
 * blkfront never trusts its backend. Here the test is the backend: a vbd
 * under data/ whose backend nodes we write ourselves, whose ring we read
 * in our own memory, and whose responses we forge: an id that is not in
 * flight, an operation that does not match, a status blkif does not have,
 * a response producer that runs past our requests. Each must leave the
 * kernel running, the device broken (every request -XEN_EIO), and one
 * line on the console. Nothing of the hypervisor is involved beyond the
 * store and an event channel to ourselves, so every platform judges it.
 */
#include <xen/errno.h>

#include "drivers/pv/blkfront.h"
#include "kernel/ktest.h"
#include "kernel/tests/need_store.h"
#include "kernel/sched.h"
#include "lib/printf.h"
#include "xen/evtchn.h"

static const struct xenbus_bus fake_bus = {
	.root = "data/bf/device", .backend_home = "data/bf/backend", .timeout_ns = 5 * NSEC_PER_SEC,
};

static unsigned long own_domid(void)
{
	unsigned long d = 0;

	xs_read_ulong(XS_NO_TX, "domid", &d);
	return d;
}

static long be_write(unsigned long d, unsigned int id, const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "data/bf/backend/vbd/%lu/%u/%s", d, id, name);
	return xs_write(XS_NO_TX, path, val, strlen(val));
}

/* A backend that offers a small disk and is Connected before we even look. */
static struct blkdev *fake_disk(unsigned int id, evtchn_port_t *backend_port)
{
	unsigned long d = own_domid();
	char path[128], val[128];
	struct blkdev *disk;
	long rc;

	snprintf(path, sizeof(path), "data/bf/device/vbd/%u/backend", id);
	snprintf(val, sizeof(val), "/local/domain/%lu/data/bf/backend/vbd/%lu/%u", d, d, id);
	xs_write(XS_NO_TX, path, val, strlen(val));
	snprintf(path, sizeof(path), "data/bf/device/vbd/%u/backend-id", id);
	xs_printf(XS_NO_TX, path, "%lu", d);
	be_write(d, id, "sectors", "2048");
	be_write(d, id, "sector-size", "512");
	be_write(d, id, "info", "0");
	be_write(d, id, "feature-flush-cache", "1");
	be_write(d, id, "state", "4");
	snprintf(val, sizeof(val), "%u", id);
	disk = blkfront_attach(&fake_bus, val, &rc);
	if (!disk) {
		kprintf("blk: fake vbd %u did not connect (%ld)\n", id, rc);
		return NULL;
	}
	/* The frontend's port was allocated for us (its backend id is ours). */
	rc = evtchn_bind_interdomain((domid_t)d, blkfront_port(disk, 0), NULL, NULL);
	if (rc < 0) {
		kprintf("blk: binding to the frontend's port: %ld\n", rc);
		return NULL;
	}
	*backend_port = (evtchn_port_t)rc;
	return disk;
}

static void fake_close(struct blkdev *disk, unsigned int id, evtchn_port_t port)
{
	evtchn_close(port);
	be_write(own_domid(), id, "state", "6");
	blkfront_detach(disk);
	xs_rm(XS_NO_TX, "data/bf");	/* the store's tests expect data/ as they left it */
}

struct pending {
	struct blk_req r;
	struct waitq wq;
	bool done;
};

static void pending_done(struct blk_req *r)
{
	struct pending *p = r->arg;

	p->done = true;
	wake_up(&p->wq);
}

/* A read the frontend puts on the ring; the request it wrote there. */
static bool start_read(struct blkdev *disk, struct pending *p, void *buf, blkif_request_t *seen)
{
	blkif_front_ring_t *ring = blkfront_ring(disk, 0);

	*p = (struct pending){ .r = { .op = BLK_READ, .sector = 8, .count = 1, .buf = buf,
				      .done = pending_done, .arg = p } };
	if (blk_submit(disk, &p->r))
		return false;
	*seen = ring->sring->ring[(ring->req_prod_pvt - 1) & (RING_SIZE(ring) - 1)].req;
	return true;
}

/* Put rsp on the ring as the backend would, moving the producer by advance. */
static void forge(struct blkdev *disk, evtchn_port_t port, const blkif_response_t *rsp,
		  unsigned int advance)
{
	blkif_front_ring_t *ring = blkfront_ring(disk, 0);
	RING_IDX prod = ring->sring->rsp_prod;

	ring->sring->ring[prod & (RING_SIZE(ring) - 1)].rsp = *rsp;
	wmb();
	ring->sring->rsp_prod = prod + advance;
	evtchn_notify(port);
}

/*
 * One read, answered with the request's id and operation moved by the
 * deltas, the given status, the producer moved by advance. An honest
 * answer (no deltas, OKAY, 1) must complete the read; any other must
 * break the device.
 */
static void answer(unsigned int id, const char *what, uint64_t rsp_id_delta, int op_delta,
		   int16_t status, unsigned int advance)
{
	static uint8_t buf[512];
	bool honest = !rsp_id_delta && !op_delta && status == BLKIF_RSP_OKAY && advance == 1;
	struct pending p;
	blkif_request_t seen;
	blkif_response_t rsp;
	evtchn_port_t port;
	struct blkdev *disk;

	NEED_STORE();
	disk = fake_disk(id, &port);
	KT_ASSERT(disk, "the fake backend's disk did not connect");
	KT_ASSERT(start_read(disk, &p, buf, &seen), "read refused before the ring");
	KT_ASSERT_EQ(seen.operation, BLKIF_OP_READ, "request's operation on the ring");
	rsp = (blkif_response_t){ .id = seen.id + rsp_id_delta,
				  .operation = (uint8_t)(seen.operation + op_delta), .status = status };
	forge(disk, port, &rsp, advance);
	KT_ASSERT(wait_event_until(&p.wq, p.done, xen_system_time() + NSEC_PER_SEC),
		  "%s: the read never ended", what);
	KT_ASSERT_EQ(p.r.status, honest ? 0 : -XEN_EIO, "the read's status");
	KT_ASSERT(disk->broken == !honest, "%s: the device is %sbroken", what,
		  disk->broken ? "" : "not ");
	if (!honest)
		KT_ASSERT_EQ(blk_read(disk, 0, 1, buf), -XEN_EIO, "a read on the broken device");
	fake_close(disk, id, port);
}

KTEST(blk, backend_answers_an_id_not_in_flight)
{
	answer(1, "id not in flight", 5, 0, BLKIF_RSP_OKAY, 1);
}

KTEST(blk, backend_answers_an_id_past_the_ring)
{
	answer(2, "id past the ring", 1ull << 40, 0, BLKIF_RSP_OKAY, 1);
}

KTEST(blk, backend_answers_another_operation)
{
	answer(3, "operation", 0, 1, BLKIF_RSP_OKAY, 1);
}

KTEST(blk, backend_answers_a_status_blkif_has_not)
{
	answer(4, "status", 0, 0, 7, 1);
}

KTEST(blk, backend_response_producer_runs_past_our_requests)
{
	answer(5, "producer", 0, 0, BLKIF_RSP_OKAY, 3);
}

/* The honest answer through the same forge: the test's backend is not what breaks things. */
KTEST(blk, backend_answers_right)
{
	answer(6, "honest", 0, 0, BLKIF_RSP_OKAY, 1);
}

struct late_read {
	struct blkdev *disk;
	int rc;
	bool done;
};

static void late_reader(void *arg)
{
	static uint8_t buf[512];
	struct late_read *l = arg;

	l->rc = blk_read(l->disk, 8, 1, buf);
	l->done = true;
}

static bool state_is(unsigned int id, char want)
{
	char path[64], buf[4];

	snprintf(path, sizeof(path), "data/bf/device/vbd/%u/state", id);
	return xs_read(XS_NO_TX, path, buf, sizeof(buf)) == 1 && buf[0] == want;
}

/*
 * The backend closes with a read in flight (it fails), and comes back: a
 * read made while it was gone waits, goes on the new ring, and succeeds.
 */
KTEST(blk, backend_goes_away_and_comes_back)
{
	static uint8_t buf[512];
	struct late_read l = { 0 };
	struct pending p;
	blkif_request_t seen;
	blkif_response_t rsp;
	evtchn_port_t port;
	struct blkdev *disk;
	struct thread *t;
	blkif_front_ring_t *ring;
	uint64_t deadline;
	long rc;

	NEED_STORE();
	disk = fake_disk(7, &port);
	KT_ASSERT(disk, "the fake backend's disk did not connect");
	KT_ASSERT(start_read(disk, &p, buf, &seen), "read refused before the ring");
	be_write(own_domid(), 7, "state", "5");
	KT_ASSERT(wait_event_until(&p.wq, p.done, xen_system_time() + 5 * NSEC_PER_SEC),
		  "the read in flight never ended when the backend closed");
	KT_ASSERT_EQ(p.r.status, -XEN_EIO, "the read in flight");
	evtchn_close(port);
	be_write(own_domid(), 7, "state", "6");
	deadline = xen_system_time() + 5 * NSEC_PER_SEC;
	while (!state_is(7, '1') && xen_system_time() < deadline)
		sleep_ns(10 * NSEC_PER_MSEC);
	KT_ASSERT(state_is(7, '1'), "not Initialising again after the backend closed");
	KT_ASSERT(!disk->broken && !blkfront_connected(disk), "broken %d connected %d",
		  disk->broken, blkfront_connected(disk));

	l.disk = disk;
	t = thread_create("late-reader", late_reader, &l);
	KT_ASSERT(t, "no thread");
	sleep_ns(50 * NSEC_PER_MSEC);
	KT_ASSERT(!l.done, "a read with no backend ended (%d) instead of waiting", l.rc);
	be_write(own_domid(), 7, "state", "4");
	deadline = xen_system_time() + 5 * NSEC_PER_SEC;
	while (!(blkfront_connected(disk) && blkfront_ring(disk, 0) &&
		 blkfront_ring(disk, 0)->req_prod_pvt == 1) && xen_system_time() < deadline)
		sleep_ns(10 * NSEC_PER_MSEC);
	ring = blkfront_ring(disk, 0);
	KT_ASSERT(ring && ring->req_prod_pvt == 1, "the waiting read is not on the new ring");
	rc = evtchn_bind_interdomain((domid_t)own_domid(), blkfront_port(disk, 0), NULL, NULL);
	KT_ASSERT(rc >= 0, "binding to the new port: %ld", rc);
	port = (evtchn_port_t)rc;
	seen = ring->sring->ring[0].req;
	rsp = (blkif_response_t){ .id = seen.id, .operation = seen.operation, .status = 0 };
	forge(disk, port, &rsp, 1);
	thread_join(t);
	KT_ASSERT_EQ(l.rc, 0, "the read made while the backend was gone");
	fake_close(disk, 7, port);
}
