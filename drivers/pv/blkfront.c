/*
 * blkfront, in protocol order (docs/pv-drivers.md, "blkfront"):
 *
 *   1. probe, the backend waiting (InitWait): read what it offers for the
 *      rings; per queue grant the ring pages and allocate an event channel;
 *      write our half in one transaction; we are Initialised.
 *   2. connect, the backend Connected: read the disk (sectors, sector
 *      sizes, info) and its features; the disk is usable.
 *   3. requests and 4. responses: blkfront_io.c. The caller's data goes
 *      through pages of our own ("bounce pages"), never the caller's, so
 *      nothing else is ever shared. Each response is copied once from the
 *      ring, then checked (producer, id, operation, status); a violation
 *      breaks the device: one line, every request -XEN_EIO, no crash.
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

#include "drivers/pv/blkfront_io.h"
#include "kernel/kernel.h"
#include "lib/printf.h"
#include "mm/frames.h"
#include "mm/kmalloc.h"
#include "mm/p2m.h"
#include "xen/evtchn.h"
#include "xen/grant_table.h"
#include "xen/time.h"

struct blkfront_wants blkfront_wants;
static struct blkfront *fronts;

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
	queue_abandon(q);
	kfree(q->shadow);
	q->shadow = NULL;
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

bool blkfront_connected(struct blkdev *d)
{
	return front(d)->connected;
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
