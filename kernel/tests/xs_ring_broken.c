/*
 * The last xenstore test of the suite (the file name sorts after every
 * xenstore user and before the xsa files, which use no store): ring
 * indexes that claim more than a ring's worth of requests end the
 * conversation for good. xenstored 4.17 ignores the connection from then
 * on (measured on Xen's harness: no reply, then none even once the
 * indexes are put back); parahost does the same, reads nothing outside
 * the ring, and runs on: the rest of the suite is the proof.
 */
#include "kernel/ktest.h"
#include "kernel/tests/xs_raw.h"

#define SILENCE_NS	1000000000ull	/* xenstored answers in milliseconds when it answers */

KTEST(hostile, xenstore_ring_indexes_garbage)
{
	struct xsd_sockmsg m;
	char buf[64];
	bool answered, answered_after;

	if (!xsr_store())
		return;
	KT_ASSERT(xsr_idle(), "ring not idle before");
	xsr_ring->req_prod += 5000;
	xsr_kick();
	answered = xsr_read(&m, buf, sizeof(buf), SILENCE_NS);
	xsr_ring->req_prod -= 5000;
	xsr_send(XS_READ, 0x7777, 0, "name", 5);
	answered_after = xsr_read(&m, buf, sizeof(buf), SILENCE_NS);
	KT_ASSERT(!answered, "an answer (type %u) to a ring claiming 5000 bytes", m.type);
	KT_ASSERT(!answered_after, "the connection still answers (type %u '%s')", m.type, buf);
	KT_ASSERT_EQ(xsr_ring->connection, XENSTORE_CONNECTED, "connection field");
}
