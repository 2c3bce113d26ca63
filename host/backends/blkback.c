/*
 * parahost's block backend, the xenbus side: if the machine has a disk
 * (host/drivers/ata.c), the guest gets it as vbd 51712 (xvda). parahost
 * plays both libxl (the toolstack's nodes, with libxl's permissions: the
 * frontend directory the guest's, the backend directory domain 0's and
 * readable by the guest) and Linux's xen-blkback (drivers/block/
 * xen-blkback/xenbus.c, Linux 6.1): its probe's nodes and InitWait; on
 * the frontend's Initialised or Connected, connect_ring (protocol,
 * feature-persistent, multi-queue-num-queues, each ring's event-channel
 * and ring-ref or ring-page-order + ring-ref%u, in queue-N/ with several
 * queues), then connect's nodes and Connected; Closing and Closed as
 * frontend_changed, and back to InitWait when a closed frontend starts
 * again. A frontend's mistake is xenbus_dev_fatal's: one line, Closing.
 * The frontend's state is looked at whenever the store changed (no
 * watch of our own needed: we run after every exit).
 */
/* Before pv.h: its E* macros would make xs_wire.h define its error table. */
#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "host/backends/xenstore_tree.h"
#include "host/backends/blkback.h"
#include "host/pv/mm.h"

#include <xen/io/xenbus.h>
#include <xen/io/protocols.h>

#define VDEV		51712		/* xvda: (202 << 8) | 0, xl's "xvda" */

struct blkback blk;
static char be_path[64], fe_path[64];
static int be_state, fe_state;
static uint64_t seen_gen;
static bool wrote;			/* nodes written: their watch events to flush */

static void put(const char *dir, const char *node, const char *fmt, ...) __printf(3, 4);
static void put(const char *dir, const char *node, const char *fmt, ...)
{
	char path[128], v[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s%s%s", dir, *node ? "/" : "", node);
	xs_dom0_write(path, v);
	wrote = true;
}

/*
 * xenbus_scanf(..., "%u") as far as a sane frontend goes: leading decimal
 * digits (what follows them is ignored, as sscanf does), 32 bits.
 */
static bool get_uint(const char *dir, const char *node, unsigned long *v)
{
	char path[128], buf[32];
	const char *s;

	snprintf(path, sizeof(path), "%s/%s", dir, node);
	s = xs_dom0_read(path, buf, sizeof(buf));
	if (!s || *s < '0' || *s > '9')
		return false;
	for (*v = 0; *s >= '0' && *s <= '9'; s++) {
		*v = *v * 10 + (unsigned long)(*s - '0');
		if (*v > 0xffffffffu)
			return false;
	}
	return true;
}

static void switch_state(int s)
{
	if (s == be_state)
		return;
	be_state = s;
	put(be_path, "state", "%d", s);
}

/* xenbus_dev_fatal: the reason, and Closing. */
static void dev_fatal(const char *fmt, ...) __printf(1, 2);
static void dev_fatal(const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("blkback: %s: %s", be_path, buf);
	switch_state(XenbusStateClosing);
}

static void ring_notify(void)
{
	/* Nothing to do here: blkback_poll looks at the rings after every exit, this one too. */
}

/* xen_blkif_disconnect: every ring closed, its grants and port given back. */
static void disconnect(void)
{
	for (unsigned int i = 0; i < blk.nr_rings; i++)
		blkring_close(&blk.rings[i]);
	blk.nr_rings = 0;
	blk.persistent = false;
}

/* read_per_ring_refs: dir is the frontend's directory, or its queue-N. */
static int read_ring(struct blkring *r, const char *dir)
{
	grant_ref_t refs[BLKBACK_MAX_RING_PAGES];
	unsigned long evtchn, order, v;
	unsigned int nr = 1;
	char name[16];
	int rc;

	if (!get_uint(dir, "event-channel", &evtchn)) {
		dev_fatal("reading %s/event-channel", dir);
		return -EINVAL;
	}
	if (!get_uint(fe_path, "ring-page-order", &order)) {
		if (!get_uint(dir, "ring-ref", &v)) {
			dev_fatal("reading %s/ring-ref", dir);
			return -EINVAL;
		}
		refs[0] = (grant_ref_t)v;
	} else {
		if (order > BLKBACK_MAX_RING_ORDER) {
			dev_fatal("%s/request %lu ring page order exceed max:%u", dir, order,
			      BLKBACK_MAX_RING_ORDER);
			return -EINVAL;
		}
		nr = 1u << order;
		for (unsigned int i = 0; i < nr; i++) {
			snprintf(name, sizeof(name), "ring-ref%u", i);
			if (!get_uint(dir, name, &v)) {
				dev_fatal("reading %s/%s", dir, name);
				return -EINVAL;
			}
			refs[i] = (grant_ref_t)v;
		}
	}
	rc = blkring_open(r, refs, nr, (evtchn_port_t)evtchn, ring_notify);
	if (rc)
		dev_fatal("mapping ring-ref port %lu", evtchn);
	return rc;
}

static int connect_ring(void)
{
	char path[128], buf[72];
	const char *proto;
	unsigned long v, queues = 1;

	snprintf(path, sizeof(path), "%s/protocol", fe_path);
	proto = xs_dom0_read(path, buf, sizeof(buf));
	/*
	 * Linux also takes x86_32-abi and translates the 32-bit layout; we
	 * serve a 64-bit guest only, so the native (x86_64) layout only.
	 */
	if (proto && strcmp(proto, XEN_IO_PROTO_ABI_X86_64)) {
		dev_fatal("unknown fe protocol %s", proto);
		return -ENOSYS;
	}
	blk.persistent = get_uint(fe_path, "feature-persistent", &v) && v;
	/* xenbus_read_unsigned: absent or not a number is the default, one queue. */
	if (get_uint(fe_path, "multi-queue-num-queues", &v))
		queues = v;
	if (queues == 0 || queues > BLKBACK_MAX_QUEUES) {
		dev_fatal("guest requested %lu queues, exceeding the maximum of %u.", queues,
		      BLKBACK_MAX_QUEUES);
		return -ENOSYS;
	}
	blk.nr_rings = (unsigned int)queues;
	printk("blkback: %s: using %u queues, protocol %s%s", be_path, blk.nr_rings,
	       proto ? proto : "unspecified, assuming default",
	       blk.persistent ? ", persistent grants" : "");
	if (blk.nr_rings == 1)
		return read_ring(&blk.rings[0], fe_path);
	for (unsigned int i = 0; i < blk.nr_rings; i++) {
		int rc;

		snprintf(path, sizeof(path), "%s/queue-%u", fe_path, i);
		rc = read_ring(&blk.rings[i], path);
		if (rc)
			return rc;
	}
	return 0;
}

/* connect(): what the frontend needs to know of the disk, then Connected. */
static void connect(void)
{
	put(be_path, "feature-flush-cache", "%d", 1);
	/* xen_blkbk_discard: granularity, alignment, secure, then feature-discard. */
	if (blk.discard) {
		put(be_path, "discard-granularity", "%u", blk.disk->id.physical_sector_size);
		put(be_path, "discard-alignment", "%u", 0);
		put(be_path, "discard-secure", "%d", 0);
	}
	put(be_path, "feature-discard", "%d", blk.discard);
	put(be_path, "feature-barrier", "%d", 1);
	put(be_path, "feature-persistent", "%u", 1);
	put(be_path, "sectors", "%lu", (unsigned long)blk.disk->id.sectors);
	put(be_path, "info", "%u", 0);
	put(be_path, "sector-size", "%u", blk.disk->id.sector_size);
	put(be_path, "physical-sector-size", "%u", blk.disk->id.physical_sector_size);
	switch_state(XenbusStateConnected);
}

/* frontend_changed, case by case. */
static void frontend_changed(int state)
{
	switch (state) {
	case XenbusStateInitialising:
		if (be_state == XenbusStateClosed) {
			printk("blkback: %s: prepare for reconnect", be_path);
			switch_state(XenbusStateInitWait);
		}
		break;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (be_state == XenbusStateConnected)
			break;
		disconnect();
		if (connect_ring()) {
			disconnect();
			break;
		}
		connect();
		break;
	case XenbusStateClosing:
		switch_state(XenbusStateClosing);
		break;
	case XenbusStateClosed:
		disconnect();
		switch_state(XenbusStateClosed);
		break;
	case XenbusStateUnknown:
		/* Linux unregisters the device; there is no toolstack to make it again. */
		disconnect();
		switch_state(XenbusStateClosed);
		break;
	default:
		dev_fatal("saw state %d at frontend", state);
		break;
	}
}

/* xenbus_read_driver_state: anything but a number is Unknown. */
static int read_fe_state(void)
{
	unsigned long v;

	return get_uint(fe_path, "state", &v) && v <= 0x7fffffff ? (int)v : XenbusStateUnknown;
}

/* The nodes libxl's device_disk_add writes for a PV disk, then xen_blkbk_probe's. */
static void toolstack_nodes(void)
{
	unsigned int d = dom.domid;

	snprintf(fe_path, sizeof(fe_path), "/local/domain/%u/device/vbd/%u", d, VDEV);
	snprintf(be_path, sizeof(be_path), "/local/domain/0/backend/vbd/%u/%u", d, VDEV);
	put(be_path, "", "%s", "");
	xs_dom0_perms(be_path, 0, XS_P_NONE, (int)d, XS_P_READ);
	put(fe_path, "", "%s", "");
	xs_dom0_perms(fe_path, d, XS_P_NONE, 0, XS_P_READ);
	put(be_path, "frontend", "%s", fe_path);
	put(be_path, "frontend-id", "%u", d);
	put(be_path, "online", "1");
	put(be_path, "removable", "0");
	put(be_path, "bootable", "1");
	put(be_path, "state", "%d", XenbusStateInitialising);
	put(be_path, "dev", "xvda");
	put(be_path, "type", "phy");
	put(be_path, "mode", "w");
	put(be_path, "device-type", "disk");
	put(be_path, "discard-enable", "1");	/* libxl's default for a writable disk */
	put(be_path, "params", "ata-%#x-%s", blk.disk->base, blk.disk->slave ? "slave" : "master");
	put(be_path, "hotplug-status", "connected");
	put(fe_path, "backend", "%s", be_path);
	put(fe_path, "backend-id", "0");
	put(fe_path, "state", "%d", XenbusStateInitialising);
	put(fe_path, "virtual-device", "%u", VDEV);
	put(fe_path, "device-type", "disk");
	put(fe_path, "trusted", "1");
	be_state = XenbusStateInitialising;
	fe_state = XenbusStateInitialising;

	put(be_path, "feature-max-indirect-segments", "%u", BLKBACK_MAX_INDIRECT);
	put(be_path, "multi-queue-max-queues", "%u", BLKBACK_MAX_QUEUES);
	put(be_path, "max-ring-page-order", "%u", BLKBACK_MAX_RING_ORDER);
	switch_state(XenbusStateInitWait);
}

void blkback_init(void)
{
	blk.disk = ata_probe();
	if (!blk.disk) {
		printk("blkback: no ATA disk: the guest gets no vbd");
		return;
	}
	if (blk.disk->id.sector_size != 512) {
		printk("blkback: a %u-byte sector disk: only 512 is served", blk.disk->id.sector_size);
		blk.disk = NULL;
		return;
	}
	blk.discard = blk.disk->bm && blk.disk->id.dma && blk.disk->id.trim && blk.disk->id.lba48;
	toolstack_nodes();
	seen_gen = xs_dom0_generation();
}

/* For parahost's audit: the references held between exits (rings, persistent grants). */
unsigned int blkback_held(struct mm_held *out, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < blk.nr_rings; i++) {
		const struct blkring *r = &blk.rings[i];

		for (unsigned int p = 0; p < r->nr_pages && n < max; p++)
			out[n++] = (struct mm_held){ r->mfns[p], MM_T_WRITABLE };
		for (unsigned int g = 0; g < r->nr_pgrants && n < max; g++)
			out[n++] = (struct mm_held){ r->pgrants[g].mfn, MM_T_WRITABLE };
	}
	return n;
}

bool blkback_poll(void)
{
	bool more = false;

	if (!blk.disk)
		return false;
	if (xs_dom0_generation() != seen_gen) {
		int s = read_fe_state();

		if (s != fe_state) {
			fe_state = s;
			frontend_changed(s);
		}
		seen_gen = xs_dom0_generation();
	}
	for (unsigned int i = 0; i < blk.nr_rings; i++)
		more |= blkring_work(&blk.rings[i]);
	if (wrote) {
		wrote = false;
		xenstore_poll();	/* our nodes' watch events, now */
	}
	return more;
}
