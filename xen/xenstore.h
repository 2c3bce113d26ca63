/*
 * The xenstore client: requests to xenstored over the store ring that the
 * domain builder gave us (start_info.store_mfn and store_evtchn).
 *
 * Every call blocks its thread until the reply comes (threads only, never
 * a handler); several threads may wait at once, each on its own request.
 * Paths are relative to our home (/local/domain/<domid>) unless they
 * start with '/'. Results are >= 0 on success, else a negative Xen errno:
 * xenstored's error string mapped through xs_wire.h's table (-XEN_EACCES,
 * -XEN_ENOENT, -XEN_EAGAIN ...), or one of ours:
 *   -XEN_ENODEV   no store: the initial domain has none at boot (it runs
 *                 xenstored itself, later), or the connection broke;
 *                 xenstore_unavailable() says which;
 *   -XEN_E2BIG    the request would not fit XENSTORE_PAYLOAD_MAX, or the
 *                 reply does not fit the caller's buffer (never truncated);
 *   -XEN_EIO      the server broke the protocol: the connection is marked
 *                 broken, and every later call fails with -XEN_ENODEV.
 */
#ifndef XEN_XENSTORE_H
#define XEN_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A transaction id; XS_NO_TX outside any. */
typedef uint32_t xs_tx_t;
#define XS_NO_TX	0

/* At boot, after threads: the ring, its port's handler and the watch thread. */
void xenstore_init(void);
/* NULL if the store can be used, else why not (one line). */
const char *xenstore_unavailable(void);

/*
 * The value's length; buf gets it NUL-terminated (values may hold NULs
 * themselves), so size must exceed the length.
 */
long xs_read(xs_tx_t t, const char *path, char *buf, size_t size);
/* A decimal value, strictly: digits only, no sign, no overflow (-XEN_EINVAL). */
long xs_read_ulong(xs_tx_t t, const char *path, unsigned long *v);
long xs_write(xs_tx_t t, const char *path, const void *value, size_t len);
long xs_printf(xs_tx_t t, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
long xs_mkdir(xs_tx_t t, const char *path);
long xs_rm(xs_tx_t t, const char *path);
/* The number of children; buf gets their names, each NUL-terminated. */
long xs_directory(xs_tx_t t, const char *path, char *buf, size_t size);
/* The number of entries; buf gets them ("n0", "r1", ...), each NUL-terminated. */
long xs_get_perms(xs_tx_t t, const char *path, char *buf, size_t size);
/* perms: entries as xs_get_perms gives them, len bytes in all. */
long xs_set_perms(xs_tx_t t, const char *path, const char *perms, size_t len);

long xs_transaction_start(xs_tx_t *t);
/* commit false: abort. -XEN_EAGAIN: another change got there first; start again. */
long xs_transaction_end(xs_tx_t t, bool commit);
/*
 * Run body in a transaction, again while the commit says -XEN_EAGAIN (at
 * most XS_TRANSACT_TRIES times). A body that fails aborts it and its
 * error is returned. *tries (if not NULL) says how many were made.
 */
#define XS_TRANSACT_TRIES	16
long xs_transact(long (*body)(xs_tx_t t, void *arg), void *arg, unsigned int *tries);

/*
 * Watches. The callback runs on the watch thread ("xenwatch"), one event
 * at a time, with upcalls on: it may make requests of its own. It runs
 * once when the watch is set (xenstored's rule), then once per change at
 * or below path, or of path's ancestors when they are removed; p is the
 * node that changed, as xenstored named it. If events come faster than
 * the thread takes them, some are folded into one call with p = the
 * watch's own path.
 */
struct xs_watch;
typedef void xs_watch_fn(struct xs_watch *w, const char *p);
struct xs_watch {
	xs_watch_fn *fn;
	void *arg;
	/* The client's: */
	char path[256];
	char token[16];
	bool lost;			/* events folded: one call with path owed */
	struct xs_watch *next;
};
long xs_watch(struct xs_watch *w, const char *path, xs_watch_fn *fn, void *arg);
/* When it returns, w's callback is not running and will not run again. */
long xs_unwatch(struct xs_watch *w);

/* What the client has seen, for tests and benchmarks. */
struct xs_stats {
	uint64_t requests, replies, events, events_folded;
	unsigned int in_flight, max_in_flight;
};
extern struct xs_stats xs_stats;

/*
 * For tests: while held, replies stay in the ring (the handler reads
 * nothing), so that several threads are certain to wait at once; on
 * release they are all taken, and each goes to its own waiter.
 */
void xenstore_hold_replies(bool hold);
/*
 * For tests that lied to the client through the ring themselves: drop
 * what is left of the lie and connect again. Nothing may be in flight.
 */
void xenstore_test_recover(void);
/*
 * For tests: read and write r instead of the real ring (NULL: the real
 * one again), so that a test can lie about the server's own indexes
 * without the server seeing them. Nothing may be in flight.
 */
struct xenstore_domain_interface;
void xenstore_test_ring(struct xenstore_domain_interface *r);

#endif
