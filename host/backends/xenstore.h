/*
 * parahost's xenstored: the ring side (xenstore_ring.c) and the request
 * handlers (xenstore.c) meet here; the store is xenstore_tree.h.
 */
#ifndef HOST_BACKENDS_XENSTORE_H
#define HOST_BACKENDS_XENSTORE_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

/* The domain the store serves (set by xenstore_init). */
extern unsigned int xs_domid;

/* Queue a message for the guest; a reply counts as outstanding until written. */
void xs_queue(const struct xsd_sockmsg *m, const void *payload, bool is_reply);
/* One request; its payload is NUL-terminated one byte past m->len. */
void xs_handle(const struct xsd_sockmsg *m, const char *payload);

#endif
