/*
 * Between the two halves of the xenstore client: xenstore.c (the ring,
 * requests and replies) and xenstore_watch.c (watches and their thread).
 * Not for anyone else: xen/xenstore.h is the API.
 */
#ifndef XEN_XENSTORE_CORE_H
#define XEN_XENSTORE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xen/xenstore.h"

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
