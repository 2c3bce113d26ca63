/*
 * Between the parts of the xenstore client: xenstore.c (the ring,
 * requests and replies), xenstore_ops.c (the operations and transactions
 * on top) and xenstore_watch.c (watches and their thread).
 * Not for anyone else: xen/xenstore.h is the API.
 */
#ifndef XEN_XENSTORE_CORE_H
#define XEN_XENSTORE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xs_wire.h>

#include "kernel/sched.h"
#include "xen/xenstore.h"

/* One request in flight, and our copy of its reply. */
struct xs_req {
	bool used, done;
	uint32_t id, type, tx;
	uint32_t rtype, len;		/* the reply: type, payload length */
	char reply[XENSTORE_PAYLOAD_MAX + 1];	/* our copy, NUL-terminated */
	struct waitq wq;
};

/*
 * xenstore.c, for xenstore_ops.c: send a request and wait for its reply
 * (>= 0: *out holds it until xs_reply_put); a reply that breaks the protocol
 * (the connection is then down); a reply that is a list of strings.
 */
long xs_talk(uint32_t type, xs_tx_t t, const char *s1, const void *s2, uint32_t len2,
	  struct xs_req **out);
void xs_reply_put(struct xs_req *r);
long xs_protocol_error(struct xs_req *r, const char *what);
long xs_talk_list(uint32_t type, xs_tx_t t, const char *path, char *buf, size_t size);

/* xenstore.c: a request whose answer must be "OK". */
long xs_talk_ok(uint32_t type, xs_tx_t t, const char *s1, const void *s2, uint32_t len2);
/* xenstore.c, on the watch thread: the server's ring reset; true once connected again. */
bool xenstore_ring_reset(void);

/* xenstore_watch.c, from the port's handler (upcalls masked): a well-formed event. */
void xs_watch_event(const char *path, size_t path_len, const char *token);
/* xenstore_watch.c, upcalls masked: the connection broke and the server can reset it. */
void xs_watch_reconnect(void);
/* xenstore_watch.c, at boot: the watch thread. */
bool xs_watch_start(void);

#endif
