/*
 * Xenbus, the frontend side: finding the devices the toolstack gave us
 * (device/TYPE/ID in our xenstore home), handing each to the frontend
 * driver registered for its TYPE, and the handshake every split driver
 * does with its backend through their two "state" nodes (<xen/io/xenbus.h>):
 *
 *   we:       Initialising --> Initialised --> Connected --> Closing --> Closed
 *   backend:       (InitWait)         (Connected)      (Closing/Closed)
 *
 * We move ours; the backend moves its own, and a watch on its state node
 * tells us. After the backend has closed we go back to Initialising, so a
 * backend that comes back (InitWait again) is connected to again.
 * Callbacks run on the xenstore watch thread; the backend is never
 * trusted: its path and id are read once and must have the shape the
 * toolstack gives them, and its state must be one of the states.
 */
#ifndef DRIVERS_PV_XENBUS_H
#define DRIVERS_PV_XENBUS_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/io/xenbus.h>

#include "kernel/sched.h"
#include "xen/xenstore.h"

struct xenbus_device;

struct xenbus_driver {
	const char *type;		/* device/TYPE: "vbd", "vif" */
	/* The backend waits for us (InitWait): set up, write our half. 0: we are Initialised. */
	int (*probe)(struct xenbus_device *dev);
	/* The backend is Connected: read its half, start. 0: we are Connected. */
	int (*connect)(struct xenbus_device *dev);
	/* The backend is closing or gone, or we detach: stop, undo probe. */
	void (*disconnect)(struct xenbus_device *dev);
	struct xenbus_driver *next;
};

/* Where a bus's devices are: ours in our home, the backends' in theirs. */
struct xenbus_bus {
	const char *root;		/* frontends: ROOT/TYPE/ID */
	const char *backend_home;	/* backends: /local/domain/BID/HOME/KIND/OURDOMID/ID */
	uint64_t timeout_ns;		/* for a backend to reach Connected */
};
/* The toolstack's: "device", "backend", 10 s. */
extern const struct xenbus_bus xenbus_devices;

struct xenbus_device {
	const struct xenbus_bus *bus;
	struct xenbus_driver *drv;
	char type[16], id[16];
	char nodename[96];		/* ours: ROOT/TYPE/ID */
	char otherend[160];		/* the backend's, read once and checked */
	unsigned int otherend_id;
	enum xenbus_state state, otherend_state;
	unsigned int probes, connects, disconnects;
	bool detaching;
	struct xs_watch watch;		/* on otherend/state */
	struct mutex lock;
	struct waitq wq;		/* woken on every change of either state */
	void *priv;			/* the driver's */
	struct xenbus_device *next;
};

/* -XEN_EEXIST if TYPE has a driver already. */
long xenbus_register(struct xenbus_driver *drv);
void xenbus_unregister(struct xenbus_driver *drv);
struct xenbus_driver *xenbus_driver_for(const char *type);

/* Calls found(type, id) for each ROOT/TYPE/ID; returns how many, or an errno. */
long xenbus_enumerate(const struct xenbus_bus *bus,
		      void (*found)(const char *type, const char *id, void *arg), void *arg);
/*
 * Take ROOT/TYPE/ID for its driver: read and check the backend's path and
 * id, say Initialising, and follow the backend's state from here on.
 */
long xenbus_attach(const struct xenbus_bus *bus, const char *type, const char *id,
		   struct xenbus_device *dev);
/* Until Connected; after the bus's timeout, one line, the device closed, -XEN_ETIMEDOUT. */
long xenbus_wait_connected(struct xenbus_device *dev);
/* Until our state is s (false: the deadline passed). */
bool xenbus_wait_state(struct xenbus_device *dev, enum xenbus_state s, uint64_t deadline);
/*
 * We close: Closing, the backend follows (or the timeout passes), Closed;
 * no more watching. Not from a driver's callback (it holds dev->lock).
 */
void xenbus_detach(struct xenbus_device *dev);
/* Every device of the bus with a driver, not attached before: attached and waited for.
 * Returns how many of them connected. */
long xenbus_probe(const struct xenbus_bus *bus);

/* For drivers: our node NAME, the backend's node NAME. */
long xenbus_printf(struct xenbus_device *dev, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
long xenbus_read_otherend(struct xenbus_device *dev, const char *name, char *buf, size_t size);
const char *xenbus_state_name(enum xenbus_state s);

#endif
