/*
 * Xenbus (drivers/pv/xenbus.h) with what can be had honestly before a
 * real device exists: enumeration of what xl gives a PV domU (only
 * device/suspend/event-channel: no disk, no vif, see boot/paraos.cfg),
 * the driver registry, backend paths that must be refused, a backend
 * that never comes, and the whole state machine against a backend we
 * play ourselves under data/ (our own domain as the backend domain).
 * Everything made under data/xb is removed again.
 */
#include <xen/errno.h>

#include "drivers/pv/xenbus.h"
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/tests/need_store.h"
#include "lib/printf.h"
#include "xen/start_info.h"
#include "xen/time.h"
#include "xen/xenstore.h"

#define STEP_NS		(10 * NSEC_PER_SEC)

/* Frontends under data/xb/device, backends under HOME/data/xb/backend. */
static const struct xenbus_bus own_bus = {
	.root = "data/xb/device", .backend_home = "data/xb/backend", .timeout_ns = 10 * NSEC_PER_SEC,
};
static const struct xenbus_bus short_bus = {
	.root = "data/xb/device", .backend_home = "backend", .timeout_ns = NSEC_PER_SEC,
};

/* ---- a frontend driver for tests ----------------------------------------------------- */

static int vtest_probe(struct xenbus_device *dev)
{
	return (int)xenbus_printf(dev, "ring-ref", "%u", 41 + dev->probes);
}

static int vtest_connect(struct xenbus_device *dev)
{
	char buf[8];

	if (xenbus_read_otherend(dev, "feature-test", buf, sizeof(buf)) != 1 || buf[0] != '1')
		return -XEN_EINVAL;
	return 0;
}

static void vtest_disconnect(struct xenbus_device *dev)
{
	(void)dev;
}

static struct xenbus_driver vtest = {
	.type = "vtest", .probe = vtest_probe, .connect = vtest_connect,
	.disconnect = vtest_disconnect,
};

static unsigned long domid(void)
{
	unsigned long d = 0;

	xs_read_ulong(XS_NO_TX, "domid", &d);
	return d;
}

/* ---- enumeration and the registry ---------------------------------------------------- */

struct found {
	unsigned int n;
	char what[4][40];
};

static void note(const char *type, const char *id, void *arg)
{
	struct found *f = arg;

	if (f->n < 4)
		snprintf(f->what[f->n], sizeof(f->what[0]), "%s/%s", type, id);
	f->n++;
}

KTEST(xenbus, enumerates_what_xl_gives)
{
	struct found f = { 0 };
	long n;

	NEED_STORE();
	/* xl's PV domU with one disk and no vif: the suspend event channel's node and the vbd. */
	n = xenbus_enumerate(&xenbus_devices, note, &f);
	KT_ASSERT(n == 2 && f.n == 2, "%ld devices: '%s' '%s'", n, f.what[0], f.what[1]);
	KT_ASSERT((!strcmp(f.what[0], "suspend/event-channel") && !strcmp(f.what[1], "vbd/51712")) ||
		  (!strcmp(f.what[1], "suspend/event-channel") && !strcmp(f.what[0], "vbd/51712")),
		  "devices '%s' '%s'", f.what[0], f.what[1]);
	KT_ASSERT(!xenbus_driver_for("suspend"), "a driver for suspend");
	KT_ASSERT(xenbus_driver_for("vbd"), "no driver for vbd");
	/* The vbd was attached at boot: probing again attaches nothing new. */
	KT_ASSERT_EQ(xenbus_probe(&xenbus_devices), 0, "devices connected anew");
}

KTEST(xenbus, registry)
{
	static struct xenbus_driver again = { .type = "vtest" };
	struct xenbus_device dev;

	KT_ASSERT_EQ(xenbus_register(&vtest), 0, "register vtest");
	KT_ASSERT(xenbus_driver_for("vtest") == &vtest, "vtest not found");
	KT_ASSERT_EQ(xenbus_register(&again), -XEN_EEXIST, "a second driver for vtest");
	KT_ASSERT(!xenbus_driver_for("vtes") && !xenbus_driver_for("vtest2"), "a near name matched");
	/* A type without a driver, or a name that is not one, is not attached. */
	KT_ASSERT_EQ(xenbus_attach(&own_bus, "vnone", "0", &dev), -XEN_ENODEV, "a type without driver");
	KT_ASSERT_EQ(xenbus_attach(&own_bus, "../vtest", "0", &dev), -XEN_EINVAL, "type '../vtest'");
	KT_ASSERT_EQ(xenbus_attach(&own_bus, "vtest", "0/../1", &dev), -XEN_EINVAL, "id '0/../1'");
	KT_ASSERT_EQ(xenbus_attach(&own_bus, "vtest", "007", &dev), -XEN_EINVAL, "id '007'");
}

/* ---- backends that must not be followed ---------------------------------------------- */

struct bad_backend {
	const char *backend;		/* %D: our domid */
	const char *backend_id;
	long rc;
};

static const struct bad_backend bad[] = {
	{ NULL, "0", -XEN_ENOENT },					/* no backend node */
	{ "/local/domain/0/backend/vtest/%D/0", NULL, -XEN_ENOENT },	/* no backend-id */
	{ "/local/domain/0/backend/vtest/%D/0", "zero", -XEN_EINVAL },
	{ "/local/domain/0/backend/vtest/%D/0", "32752", -XEN_EINVAL },	/* DOMID_FIRST_RESERVED */
	{ "/local/domain/0/backend/vtest/%D/0", "5", -XEN_EINVAL },	/* not the id's home */
	{ "backend/vtest/%D/0", "0", -XEN_EINVAL },			/* relative */
	{ "/local/domain/0/backend/vtest/%D/1", "0", -XEN_EINVAL },	/* another device */
	{ "/local/domain/0/backend/vtest/99/0", "0", -XEN_EINVAL },	/* another frontend */
	{ "/local/domain/0/backend/vtest/%D/0/", "0", -XEN_EINVAL },
	{ "/local/domain/0/backend/../vtest/%D/0", "0", -XEN_EINVAL },
	{ "/local/domain/0/backend//%D/0", "0", -XEN_EINVAL },
	{ "/local/domain/0/backend/vtest/%D/0/state", "0", -XEN_EINVAL },
	{ "/local/domain/0/backend/a-kind-name-much-too-long/%D/0", "0", -XEN_EINVAL },
};

/* "%D" in s becomes our domid. */
static void subst(char *dst, size_t size, const char *s, unsigned long d)
{
	const char *at = strstr(s, "%D");

	if (!at) {
		strlcpy(dst, s, size);
		return;
	}
	snprintf(dst, size, "%.*s%lu%s", (int)(at - s), s, d, at + 2);
}

static void bad_backend_paths_refused(void)
{
	unsigned long d;
	char path[96];
	long rc;

	NEED_STORE();
	d = domid();
	xenbus_register(&vtest);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		struct xenbus_device dev;

		xs_rm(XS_NO_TX, "data/xb");
		if (bad[i].backend) {
			subst(path, sizeof(path), bad[i].backend, d);
			KT_ASSERT_EQ(xs_write(XS_NO_TX, "data/xb/device/vtest/0/backend", path,
					      strlen(path)), 0, "write backend");
		}
		if (bad[i].backend_id)
			KT_ASSERT_EQ(xs_write(XS_NO_TX, "data/xb/device/vtest/0/backend-id",
					      bad[i].backend_id, strlen(bad[i].backend_id)), 0,
				     "write backend-id");
		rc = xenbus_attach(&short_bus, "vtest", "0", &dev);
		KT_ASSERT(rc == bad[i].rc, "case %u (%s, id %s): %ld, expected %ld", i,
			  bad[i].backend ? path : "none", bad[i].backend_id ? bad[i].backend_id : "none",
			  rc, bad[i].rc);
		/* Refused before saying anything: no state node of ours. */
		KT_ASSERT_EQ(xs_read(XS_NO_TX, "data/xb/device/vtest/0/state", path, sizeof(path)),
			     -XEN_ENOENT, "our state after a refusal");
	}
}

KTEST(xenbus, bad_backend_paths_refused)
{
	bad_backend_paths_refused();
	xs_rm(XS_NO_TX, "data/xb");
}

/* ---- a backend that never comes ---------------------------------------------------- */

static void backend_never_comes(void)
{
	struct xenbus_device dev;
	char path[96], buf[8];
	uint64_t t0;
	long rc;

	NEED_STORE();
	xenbus_register(&vtest);
	snprintf(path, sizeof(path), "/local/domain/0/backend/vtest/%lu/0", domid());
	KT_ASSERT_EQ(xs_write(XS_NO_TX, "data/xb/device/vtest/0/backend", path, strlen(path)), 0,
		     "write backend");
	KT_ASSERT_EQ(xs_write(XS_NO_TX, "data/xb/device/vtest/0/backend-id", "0", 1), 0,
		     "write backend-id");
	t0 = xen_system_time();
	KT_ASSERT_EQ(xenbus_attach(&short_bus, "vtest", "0", &dev), 0, "attach");
	rc = xenbus_wait_connected(&dev);
	KT_ASSERT_EQ(rc, -XEN_ETIMEDOUT, "waiting for a backend that is not there");
	KT_ASSERT(xen_system_time() - t0 >= short_bus.timeout_ns, "gave up before the timeout");
	KT_ASSERT(dev.probes == 0 && dev.connects == 0, "probe %u, connect %u without a backend",
		  dev.probes, dev.connects);
	KT_ASSERT(xs_read(XS_NO_TX, "data/xb/device/vtest/0/state", buf, sizeof(buf)) == 1 &&
		  buf[0] == '0' + XenbusStateClosed, "our state after giving up: '%s'", buf);
}

KTEST(xenbus, backend_never_comes_times_out)
{
	backend_never_comes();
	xs_rm(XS_NO_TX, "data/xb");
}

/* ---- the state machine, against a backend of our own --------------------------------- */

static char be[96];			/* the backend's directory, relative */
static struct xenbus_device own;
static struct xs_watch follower;

static long be_state(enum xenbus_state s)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/state", be);
	return xs_printf(XS_NO_TX, path, "%d", s);
}

/* The backend's one reaction of its own: our Closing makes it Closed. */
static void backend_follows(struct xs_watch *w, const char *p)
{
	char buf[8];

	(void)w;
	(void)p;
	if (xs_read(XS_NO_TX, "data/xb/device/vtest/0/state", buf, sizeof(buf)) == 1 &&
	    buf[0] == '0' + XenbusStateClosing)
		be_state(XenbusStateClosed);
}

static bool reaches(enum xenbus_state s)
{
	return xenbus_wait_state(&own, s, xen_system_time() + STEP_NS);
}

#define KT_ASSERT_STATE(s, why)							\
	KT_ASSERT(reaches(s), "%s: we are %s, expected %s (backend %s)", why,	\
		  xenbus_state_name(own.state), xenbus_state_name(s),		\
		  xenbus_state_name(own.otherend_state))

static void state_machine(void)
{
	unsigned long d;
	char path[128], buf[8];

	NEED_STORE();
	d = domid();
	xenbus_register(&vtest);
	snprintf(be, sizeof(be), "data/xb/backend/vtest/%lu/0", d);
	snprintf(path, sizeof(path), "/local/domain/%lu/%s", d, be);
	KT_ASSERT_EQ(xs_write(XS_NO_TX, "data/xb/device/vtest/0/backend", path, strlen(path)), 0,
		     "write backend");
	KT_ASSERT_EQ(xs_printf(XS_NO_TX, "data/xb/device/vtest/0/backend-id", "%lu", d), 0,
		     "write backend-id");
	snprintf(path, sizeof(path), "%s/feature-test", be);
	KT_ASSERT_EQ(xs_write(XS_NO_TX, path, "1", 1), 0, "write feature-test");
	KT_ASSERT_EQ(be_state(XenbusStateInitialising), 0, "backend Initialising");

	KT_ASSERT_EQ(xenbus_attach(&own_bus, "vtest", "0", &own), 0, "attach");
	KT_ASSERT_STATE(XenbusStateInitialising, "attached");
	/* The backend waits for us: our half written, Initialised. */
	KT_ASSERT_EQ(be_state(XenbusStateInitWait), 0, "backend InitWait");
	KT_ASSERT_STATE(XenbusStateInitialised, "backend InitWait");
	KT_ASSERT(xs_read(XS_NO_TX, "data/xb/device/vtest/0/ring-ref", buf, sizeof(buf)) == 2 &&
		  !strcmp(buf, "42"), "ring-ref '%s'", buf);
	KT_ASSERT_EQ(be_state(XenbusStateConnected), 0, "backend Connected");
	KT_ASSERT_EQ(xenbus_wait_connected(&own), 0, "wait connected");
	KT_ASSERT(own.probes == 1 && own.connects == 1 && own.disconnects == 0,
		  "probe %u connect %u disconnect %u", own.probes, own.connects, own.disconnects);
	KT_ASSERT(xs_read(XS_NO_TX, "data/xb/device/vtest/0/state", buf, sizeof(buf)) == 1 &&
		  buf[0] == '0' + XenbusStateConnected, "our state node '%s'", buf);

	/* The backend closes: we follow, and wait for it to come back. */
	KT_ASSERT_EQ(be_state(XenbusStateClosing), 0, "backend Closing");
	KT_ASSERT_STATE(XenbusStateClosed, "backend Closing");
	KT_ASSERT_EQ(own.disconnects, 1, "disconnects");
	KT_ASSERT_EQ(be_state(XenbusStateClosed), 0, "backend Closed");
	KT_ASSERT_STATE(XenbusStateInitialising, "backend Closed");
	/* It comes back: the whole handshake again. */
	KT_ASSERT_EQ(be_state(XenbusStateInitWait), 0, "backend InitWait again");
	KT_ASSERT_STATE(XenbusStateInitialised, "backend InitWait again");
	KT_ASSERT(xs_read(XS_NO_TX, "data/xb/device/vtest/0/ring-ref", buf, sizeof(buf)) == 2 &&
		  !strcmp(buf, "43"), "ring-ref again '%s'", buf);
	KT_ASSERT_EQ(be_state(XenbusStateConnected), 0, "backend Connected again");
	KT_ASSERT_STATE(XenbusStateConnected, "backend Connected again");
	KT_ASSERT(own.probes == 2 && own.connects == 2, "probe %u connect %u", own.probes, own.connects);

	/* A state that is not one is not followed. */
	snprintf(path, sizeof(path), "%s/state", be);
	KT_ASSERT_EQ(xs_write(XS_NO_TX, path, "9", 1), 0, "backend state 9");
	sleep_ns(50 * NSEC_PER_MSEC);
	KT_ASSERT(own.state == XenbusStateConnected && own.disconnects == 1,
		  "after backend state 9: %s", xenbus_state_name(own.state));

	/* We close: Closing, the backend follows to Closed, and so do we. */
	KT_ASSERT_EQ(be_state(XenbusStateConnected), 0, "backend Connected once more");
	KT_ASSERT_EQ(xs_watch(&follower, "data/xb/device/vtest/0/state", backend_follows, NULL), 0,
		     "the backend's watch");
	xenbus_detach(&own);
	xs_unwatch(&follower);
	KT_ASSERT(own.state == XenbusStateClosed && own.otherend_state == XenbusStateClosed,
		  "detached: we are %s, the backend %s", xenbus_state_name(own.state),
		  xenbus_state_name(own.otherend_state));
	KT_ASSERT_EQ(own.disconnects, 2, "disconnects after detach");
}

KTEST(xenbus, state_machine_with_our_own_backend)
{
	state_machine();
	if (ktest_failed()) {
		xs_unwatch(&follower);
		if (own.bus)
			xs_unwatch(&own.watch);
	}
	xs_rm(XS_NO_TX, "data/xb");
	xenbus_unregister(&vtest);
}
