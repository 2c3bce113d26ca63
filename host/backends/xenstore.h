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

/* Inside xs_handle: the reply to the request being handled, an OK, an error. */
void xs_reply(uint32_t type, const void *data, uint32_t len);
void xs_ack(void);
#define FAIL(e)	return xs_reply(XS_ERROR, (e), (uint32_t)strlen(e) + 1)
/* xenstored counts the NULs: trailing bytes without one are no string. */
unsigned int xs_nr_strings(const char *p, uint32_t len);

/* Watches (xenstore_watch.c): a change at name fires them, exact ones only or all at and above. */
void xs_fire_now(const char *name, bool exact);
void xs_do_watch(const char *payload, uint32_t len, bool add);
void xs_reset_watches(void);

#endif
