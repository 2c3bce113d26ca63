/*
 * The xenstore ring, raw, for the tests that hold xenstored to its exact
 * answers (xenstore.c, xenstore_*.c, hostile_xenstore.c): whole messages in,
 * whole messages out, nothing interpreted, so a test can send what no
 * client library would (bogus lengths, ids, unterminated strings).
 * The initial domain has no store at boot: callers skip there.
 */
#ifndef KERNEL_TESTS_XS_RAW_H
#define KERNEL_TESTS_XS_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

#define XSR_WAIT_NS	20000000000ull	/* a dead xenstored, not a slow one */

extern struct xenstore_domain_interface *xsr_ring;

/* Map the ring (start_info.store_mfn); false for the initial domain. */
bool xsr_init(void);
/*
 * For a test that needs the store: xsr_init(), and for the initial domain,
 * which has none at boot (dom0 runs xenstored itself), the check that
 * start_info names no ring or port (KT_FAIL if it does); then false, and
 * the test has nothing more to hold Xen to there. Not a skip: the verdict
 * must be the same on every platform, and this one is asserted.
 */
bool xsr_store(void);
/* Bytes into the request ring as they are; false if it stays full. */
bool xsr_put(const void *data, uint32_t len);
void xsr_kick(void);
/* One request: header (req_id and tx_id as given) and payload, and a kick. */
bool xsr_send(uint32_t type, uint32_t req_id, uint32_t tx_id, const void *payload, uint32_t len);
/*
 * The next message, its payload NUL-free ('|' for each NUL, cut to size);
 * false if none comes within wait_ns.
 */
bool xsr_read(struct xsd_sockmsg *m, char *buf, size_t size, uint64_t wait_ns);
/* Requests sent and replies read leave the ring idle. */
bool xsr_idle(void);

#endif

/*
 * A script of requests and xenstored's answers, as measured on Xen's
 * harness. Payloads are exact bytes (XSR_S("a\0b") holds a NUL between a
 * and b and none after); "|" in an expected answer stands for a NUL.
 * Transactions go by slot: .tx names the slot whose id the request
 * carries (XSR_TX_BOGUS: an id never handed out), .save_tx the slot a
 * TRANSACTION_START's answer fills (its reply is then any id).
 */
#define XSR_S(lit)	.payload = (lit), .len = (uint32_t)(sizeof(lit) - 1)
#define XSR_TX_BOGUS	9
#define XSR_EVENTS	4

struct xsr_step {
	uint32_t type;
	const char *payload;
	uint32_t len;
	uint8_t tx, save_tx;
	uint32_t reply_type;
	const char *reply;
	const char *before[XSR_EVENTS];	/* watch events ahead of the reply */
	const char *after[XSR_EVENTS];	/* and right after it */
};

/* Run steps in order; on the first difference, KT_FAIL naming it and false. */
bool xsr_run(const char *what, const struct xsr_step *steps, unsigned int n);
/* A slot's transaction id, for scripts that juggle more than the slots. */
uint32_t xsr_slot(unsigned int slot);
void xsr_set_slot(unsigned int slot, uint32_t id);
