/*
 * Xenbus, the frontend side, in protocol order: the registry of drivers;
 * enumeration of ROOT/TYPE/ID; attaching one device (its backend's path
 * and id read once and checked); the state machine, driven by a watch on
 * the backend's state node; waiting for it, with a timeout; detaching.
 * Mini-OS's frontends do the same in line; here it is once, for all of
 * them, and nothing the backend writes is taken on trust.
 */
#include <xen/errno.h>

#include "drivers/pv/xenbus.h"
#include "kernel/kernel.h"
#include "lib/printf.h"
#include "mm/kmalloc.h"
#include "xen/time.h"

const struct xenbus_bus xenbus_devices = {
	.root = "device", .backend_home = "backend", .timeout_ns = 10 * NSEC_PER_SEC,
};

static struct xenbus_driver *drivers;
static struct xenbus_device *probed;	/* what xenbus_probe attached */

const char *xenbus_state_name(enum xenbus_state s)
{
	static const char *const names[] = {
		"Unknown", "Initialising", "InitWait", "Initialised", "Connected",
		"Closing", "Closed", "Reconfiguring", "Reconfigured",
	};

	return (unsigned int)s < ARRAY_SIZE(names) ? names[s] : "invalid";
}

/* ---- the registry ---------------------------------------------------------------- */

struct xenbus_driver *xenbus_driver_for(const char *type)
{
	for (struct xenbus_driver *d = drivers; d; d = d->next)
		if (!strcmp(d->type, type))
			return d;
	return NULL;
}

long xenbus_register(struct xenbus_driver *drv)
{
	if (xenbus_driver_for(drv->type))
		return -XEN_EEXIST;
	drv->next = drivers;
	drivers = drv;
	return 0;
}

void xenbus_unregister(struct xenbus_driver *drv)
{
	for (struct xenbus_driver **pp = &drivers; *pp; pp = &(*pp)->next)
		if (*pp == drv) {
			*pp = drv->next;
			return;
		}
}

/* ---- enumeration ------------------------------------------------------------------ */

long xenbus_enumerate(const struct xenbus_bus *bus,
		      void (*found)(const char *type, const char *id, void *arg), void *arg)
{
	char types[512], ids[512], path[128];
	long nt, n = 0;
	const char *t = types;

	nt = xs_directory(XS_NO_TX, bus->root, types, sizeof(types));
	if (nt == -XEN_ENOENT)
		return 0;		/* no devices at all */
	if (nt < 0)
		return nt;
	for (long i = 0; i < nt; i++, t += strlen(t) + 1) {
		const char *id = ids;
		long ni;

		snprintf(path, sizeof(path), "%s/%s", bus->root, t);
		ni = xs_directory(XS_NO_TX, path, ids, sizeof(ids));
		for (long k = 0; k < ni; k++, id += strlen(id) + 1, n++)
			found(t, id, arg);
	}
	return n;
}

/* ---- attaching: the backend read once, and checked ---------------------------------- */

static bool is_name(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (!n || n >= max)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

static bool is_number(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (!n || n >= max || (s[0] == '0' && n > 1))
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static unsigned long self_domid(void)
{
	static unsigned long domid;

	if (!domid && xs_read_ulong(XS_NO_TX, "domid", &domid))
		domid = 0;
	return domid;
}

/*
 * The toolstack writes "backend" as /local/domain/BID/HOME/KIND/DOMID/ID:
 * the backend domain's own home, any kind (vbd's backend may be qdisk),
 * our domid and our device id. Anything else is a lie we do not follow.
 */
static long check_otherend(struct xenbus_device *dev)
{
	char want[64], kind[16];
	const char *p = dev->otherend, *end;
	size_t n;

	n = (size_t)snprintf(want, sizeof(want), "/local/domain/%u/%s/", dev->otherend_id,
			     dev->bus->backend_home);
	if (strncmp(p, want, n))
		return -XEN_EINVAL;
	p += n;
	end = strchr(p, '/');
	if (!end || (size_t)(end - p) >= sizeof(kind))
		return -XEN_EINVAL;
	memcpy(kind, p, (size_t)(end - p));
	kind[end - p] = '\0';
	if (!is_name(kind, sizeof(kind)))
		return -XEN_EINVAL;
	snprintf(want, sizeof(want), "/%lu/%s", self_domid(), dev->id);
	return strcmp(end, want) ? -XEN_EINVAL : 0;
}

static long read_otherend(struct xenbus_device *dev, const char **what)
{
	char path[128];
	unsigned long bid;
	long rc;

	*what = "backend-id";
	snprintf(path, sizeof(path), "%s/backend-id", dev->nodename);
	rc = xs_read_ulong(XS_NO_TX, path, &bid);
	if (rc)
		return rc;
	if (bid >= DOMID_FIRST_RESERVED)
		return -XEN_EINVAL;
	dev->otherend_id = (unsigned int)bid;
	*what = "backend";
	snprintf(path, sizeof(path), "%s/backend", dev->nodename);
	rc = xs_read(XS_NO_TX, path, dev->otherend, sizeof(dev->otherend));
	if (rc < 0)
		return rc == -XEN_E2BIG ? -XEN_EINVAL : rc;
	if ((size_t)rc != strlen(dev->otherend))
		return -XEN_EINVAL;		/* a NUL inside */
	*what = "backend (not where backend-id's domain keeps our device)";
	return check_otherend(dev);
}

/* ---- the state machine ---------------------------------------------------------------- */

static long switch_state(struct xenbus_device *dev, enum xenbus_state s)
{
	long rc = xenbus_printf(dev, "state", "%d", s);

	if (!rc) {
		unsigned int f = upcalls_off();

		dev->state = s;
		wake_up(&dev->wq);
		upcalls_restore(f);
	}
	return rc;
}

/* The backend's state: Unknown if it is not there or not readable; -1 if not a state. */
static int otherend_state(struct xenbus_device *dev)
{
	char buf[8];
	long rc = xenbus_read_otherend(dev, "state", buf, sizeof(buf));

	if (rc < 0)
		return XenbusStateUnknown;
	if (rc != 1 || buf[0] < '0' || buf[0] > '0' + XenbusStateReconfigured) {
		kprintf("xenbus: %s: backend state '%.7s' is not a state: ignored\n",
			dev->nodename, buf);
		return -1;
	}
	return buf[0] - '0';
}

static void disconnect(struct xenbus_device *dev)
{
	if (dev->state == XenbusStateInitialised || dev->state == XenbusStateConnected) {
		dev->disconnects++;
		dev->drv->disconnect(dev);
	}
}

/* Closing, then Closed; then Initialising again once the backend has closed too. */
static void close_ours(struct xenbus_device *dev, bool backend_closed)
{
	disconnect(dev);
	if (dev->state != XenbusStateClosing && dev->state != XenbusStateClosed)
		switch_state(dev, XenbusStateClosing);
	if (dev->state != XenbusStateClosed)
		switch_state(dev, XenbusStateClosed);
	if (backend_closed)
		switch_state(dev, XenbusStateInitialising);
}

static void fail(struct xenbus_device *dev, const char *what, int rc)
{
	kprintf("xenbus: %s: %s failed (%d): closing\n", dev->nodename, what, rc);
	dev->detaching = true;		/* not again until someone attaches it anew */
	close_ours(dev, false);
}

/* The watch thread, on every change of the backend's state node. */
static void otherend_changed(struct xs_watch *w, const char *path)
{
	struct xenbus_device *dev = w->arg;
	int state = otherend_state(dev), rc;
	enum xenbus_state be = (enum xenbus_state)state;

	(void)path;
	mutex_lock(&dev->lock);
	if (state < 0)
		goto out;
	dev->otherend_state = be;
	if (dev->detaching)
		goto out;		/* xenbus_detach moves us now */
	switch (be) {
	case XenbusStateInitWait:
	case XenbusStateInitialised:
	case XenbusStateConnected:
		/* Back after closing, or restarted under us: start again. */
		if (be == XenbusStateInitWait && dev->state == XenbusStateConnected)
			close_ours(dev, true);
		if (dev->state == XenbusStateClosed)
			switch_state(dev, XenbusStateInitialising);
		if (dev->state == XenbusStateInitialising) {
			dev->probes++;
			rc = dev->drv->probe(dev);
			if (rc) {
				fail(dev, "probe", rc);
				break;
			}
			switch_state(dev, XenbusStateInitialised);
		}
		if (be == XenbusStateConnected && dev->state == XenbusStateInitialised) {
			dev->connects++;
			rc = dev->drv->connect(dev);
			if (rc) {
				fail(dev, "connect", rc);
				break;
			}
			switch_state(dev, XenbusStateConnected);
		}
		break;
	case XenbusStateClosing:
		close_ours(dev, false);
		break;
	case XenbusStateClosed:
		if (dev->state != XenbusStateInitialising)
			close_ours(dev, true);
		break;
	case XenbusStateUnknown:
		/* Gone (or never there): as good as closed, if we had started. */
		if (dev->state != XenbusStateInitialising)
			close_ours(dev, true);
		break;
	default:
		break;		/* Reconfiguring: not ours to follow */
	}
out:
	wake_up(&dev->wq);
	mutex_unlock(&dev->lock);
}

long xenbus_attach(const struct xenbus_bus *bus, const char *type, const char *id,
		   struct xenbus_device *dev)
{
	char path[sizeof(dev->otherend) + 8];
	const char *what;
	long rc;

	memset(dev, 0, sizeof(*dev));
	dev->bus = bus;
	if (!is_name(type, sizeof(dev->type)) || !is_number(id, sizeof(dev->id)))
		return -XEN_EINVAL;
	dev->drv = xenbus_driver_for(type);
	if (!dev->drv)
		return -XEN_ENODEV;
	strlcpy(dev->type, type, sizeof(dev->type));
	strlcpy(dev->id, id, sizeof(dev->id));
	if ((size_t)snprintf(dev->nodename, sizeof(dev->nodename), "%s/%s/%s", bus->root, type, id)
	    >= sizeof(dev->nodename))
		return -XEN_EINVAL;
	rc = read_otherend(dev, &what);
	if (rc) {
		kprintf("xenbus: %s: %s refused (%ld): backend '%.96s', backend-id %u\n",
			dev->nodename, what, rc, dev->otherend, dev->otherend_id);
		return rc;
	}
	rc = switch_state(dev, XenbusStateInitialising);
	if (rc)
		return rc;
	/* The first event (on setting the watch) looks at where the backend is now. */
	snprintf(path, sizeof(path), "%s/state", dev->otherend);
	return xs_watch(&dev->watch, path, otherend_changed, dev);
}

bool xenbus_wait_state(struct xenbus_device *dev, enum xenbus_state s, uint64_t deadline)
{
	return wait_event_until(&dev->wq, dev->state == s, deadline);
}

long xenbus_wait_connected(struct xenbus_device *dev)
{
	uint64_t t0 = xen_system_time();

	wait_event_until(&dev->wq, dev->state == XenbusStateConnected || dev->detaching,
			 t0 + dev->bus->timeout_ns);
	if (dev->state == XenbusStateConnected)
		return 0;
	if (dev->detaching)
		return -XEN_EIO;	/* the driver failed: said already */
	kprintf("xenbus: %s: backend %s not connected after %lu ms (it is %s, we are %s): giving up\n",
		dev->nodename, dev->otherend, (unsigned long)(dev->bus->timeout_ns / NSEC_PER_MSEC),
		xenbus_state_name(dev->otherend_state), xenbus_state_name(dev->state));
	xenbus_detach(dev);
	return -XEN_ETIMEDOUT;
}

void xenbus_detach(struct xenbus_device *dev)
{
	uint64_t deadline = xen_system_time() + dev->bus->timeout_ns;

	mutex_lock(&dev->lock);
	dev->detaching = true;
	disconnect(dev);
	if (dev->state != XenbusStateClosed)
		switch_state(dev, XenbusStateClosing);
	mutex_unlock(&dev->lock);
	/* A backend that is there follows us to Closing or Closed; one that is not, never will. */
	if (dev->otherend_state != XenbusStateUnknown)
		wait_event_until(&dev->wq, dev->otherend_state >= XenbusStateClosing ||
				 dev->otherend_state == XenbusStateUnknown, deadline);
	xs_unwatch(&dev->watch);
	switch_state(dev, XenbusStateClosed);
}

/* ---- the toolstack's devices ------------------------------------------------------------ */

static void attach_found(const char *type, const char *id, void *arg)
{
	const struct xenbus_bus *bus = arg;
	struct xenbus_device *dev;

	if (!xenbus_driver_for(type))
		return;
	/* Probing again (a test, or a later boot step) takes only the new ones. */
	for (dev = probed; dev; dev = dev->next)
		if (dev->bus == bus && !strcmp(dev->type, type) && !strcmp(dev->id, id))
			return;
	dev = kzalloc(sizeof(*dev));
	if (!dev) {
		kprintf("xenbus: %s/%s/%s: no memory\n", bus->root, type, id);
		return;
	}
	if (xenbus_attach(bus, type, id, dev)) {
		kfree(dev);
		return;
	}
	dev->next = probed;
	probed = dev;
}

long xenbus_probe(const struct xenbus_bus *bus)
{
	struct xenbus_device *before = probed;
	long rc = xenbus_enumerate(bus, attach_found, (void *)bus), n = 0;

	if (rc < 0)
		return rc;
	/* New ones go on the front: wait for those only. */
	for (struct xenbus_device *d = probed; d != before; d = d->next)
		if (!xenbus_wait_connected(d))
			n++;
	return n;
}

/* ---- for drivers -------------------------------------------------------------------- */

long xenbus_printf(struct xenbus_device *dev, const char *name, const char *fmt, ...)
{
	char path[128], val[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dev->nodename, name) >= sizeof(path))
		return -XEN_E2BIG;
	return xs_write(XS_NO_TX, path, val, (size_t)n);
}

long xenbus_read_otherend(struct xenbus_device *dev, const char *name, char *buf, size_t size)
{
	char path[sizeof(dev->otherend) + 32];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dev->otherend, name) >= sizeof(path))
		return -XEN_E2BIG;
	return xs_read(XS_NO_TX, path, buf, size);
}
