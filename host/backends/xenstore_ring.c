/*
 * parahost's xenstored, the ring side: requests out of the guest's store
 * ring, replies and watch events back, as C xenstored 4.17 moves them
 * (its domain connection, measured on Xen's harness):
 *  - while 20 replies wait unread, no more requests are taken (the
 *    outstanding-request quota); the rest stay in the ring;
 *  - a reply ring the guest does not empty is left full: the rest waits
 *    here and goes on the next event or exit, never blocking the host;
 *  - ring indexes that claim more than a ring's worth, or a message
 *    longer than XENSTORE_PAYLOAD_MAX (its header taken, nothing more),
 *    end the conversation for good (xenstored ignores the connection:
 *    nothing is read or written again).
 * Nothing is ever read or written outside the ring: every index is masked.
 * The store xl writes for a PV domU is built here too.
 */
/* Before pv.h: its E* macros would make xs_wire.h define its error table. */
#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "host/pv/pv.h"
#include "lib/barrier.h"
#include "host/backends/xenstore.h"
#include "host/backends/xenstore_tree.h"

static struct xenstore_domain_interface *ring;
static int port;			/* domain 0's end of the store channel */
static bool ignored;			/* xenstored's ignore_connection */
unsigned int xs_domid;

/*
 * What waits for the guest: the bytes, and per message its length and
 * whether it is a reply (counted against the outstanding quota until its
 * last byte is in the ring). Events that do not fit are dropped, as
 * xenstored drops them past its memory quota.
 */
#define OUTQ_BYTES	(XS_QUOTA_OUTSTANDING * (sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX) + 65536)
#define OUTQ_MSGS	1024

static char outq[OUTQ_BYTES];
static uint32_t out_head, out_len;	/* bytes: first unsent, how many */
static struct { uint32_t len; bool reply; } msgs[OUTQ_MSGS];
static uint32_t msg_head, msg_count, msg_sent;	/* msg_sent: bytes of msgs[msg_head] already out */
static unsigned int outstanding;

static void out_bytes(const void *data, uint32_t len)
{
	const char *d = data;

	for (uint32_t i = 0; i < len; i++)
		outq[(out_head + out_len + i) % OUTQ_BYTES] = d[i];
	out_len += len;
}

void xs_queue(const struct xsd_sockmsg *m, const void *payload, bool is_reply)
{
	uint32_t total = (uint32_t)sizeof(*m) + m->len;

	/* Events leave room for the replies that may still come: a reply is never dropped. */
	uint32_t keep_bytes = is_reply ? 0 : (XS_QUOTA_OUTSTANDING + 1) *
			      (uint32_t)(sizeof(*m) + XENSTORE_PAYLOAD_MAX);
	uint32_t keep_msgs = is_reply ? 0 : XS_QUOTA_OUTSTANDING + 1;

	if (ignored || msg_count + keep_msgs >= OUTQ_MSGS || total + keep_bytes > OUTQ_BYTES - out_len)
		return;
	out_bytes(m, sizeof(*m));
	out_bytes(payload, m->len);
	msgs[(msg_head + msg_count) % OUTQ_MSGS].len = total;
	msgs[(msg_head + msg_count) % OUTQ_MSGS].reply = is_reply;
	msg_count++;
	outstanding += is_reply;
}

/* Indexes the peer wrote: more than a ring's worth apart is a broken ring. */
static bool sane(uint32_t cons, uint32_t prod)
{
	return prod - cons <= XENSTORE_RING_SIZE;
}

static void ignore_connection(const char *why)
{
	printk("xenstore: %s: the connection is ignored from now on, as xenstored's", why);
	ignored = true;
}

/* Replies: as much as fits. */
static bool flush(void)
{
	bool produced = false;
	uint32_t prod = ring->rsp_prod, cons = READ_ONCE(ring->rsp_cons);

	rmb();
	if (!sane(cons, prod)) {
		ignore_connection("reply ring indexes out of range");
		return false;
	}
	while (out_len && prod - cons < XENSTORE_RING_SIZE) {
		ring->rsp[MASK_XENSTORE_IDX(prod)] = outq[out_head];
		prod++;
		out_head = (out_head + 1) % OUTQ_BYTES;
		out_len--;
		if (++msg_sent == msgs[msg_head].len) {
			outstanding -= msgs[msg_head].reply;
			msg_head = (msg_head + 1) % OUTQ_MSGS;
			msg_count--;
			msg_sent = 0;
		}
		produced = true;
	}
	if (produced) {
		wmb();
		WRITE_ONCE(ring->rsp_prod, prod);
	}
	return produced;
}

/* The message being read: header, then payload (NUL-terminated for the handlers). */
static struct xsd_sockmsg in_hdr;
static char in_payload[XENSTORE_PAYLOAD_MAX + 1];
static uint32_t in_used;		/* bytes of header + payload so far */

/* Requests: take bytes while fewer than the quota of replies wait. */
static bool take(void)
{
	bool consumed = false;
	uint32_t cons = ring->req_cons, prod = READ_ONCE(ring->req_prod);

	rmb();
	if (!sane(cons, prod)) {
		ignore_connection("request ring indexes out of range");
		return false;
	}
	while (cons != prod && outstanding < XS_QUOTA_OUTSTANDING && !ignored) {
		char c = ring->req[MASK_XENSTORE_IDX(cons)];

		cons++;
		consumed = true;
		if (in_used < sizeof(in_hdr)) {
			((char *)&in_hdr)[in_used++] = c;
			if (in_used == sizeof(in_hdr) && in_hdr.len > XENSTORE_PAYLOAD_MAX)
				ignore_connection("a message longer than XENSTORE_PAYLOAD_MAX");
		} else {
			in_payload[in_used++ - sizeof(in_hdr)] = c;
		}
		if (!ignored && in_used == sizeof(in_hdr) + in_hdr.len) {
			in_payload[in_hdr.len] = 0;
			in_used = 0;
			xs_handle(&in_hdr, in_payload);
			flush();
		}
	}
	if (consumed) {
		mb();
		WRITE_ONCE(ring->req_cons, cons);
	}
	return consumed;
}

void xenstore_poll(void)
{
	bool kick;

	if (!ring || ignored)
		return;
	kick = flush();
	kick |= take();
	kick |= !ignored && flush();
	if (kick)
		evtchn_backend_notify(port);
}

/* The store as xl leaves it for a PV domU (measured on Xen's harness). */
void xenstore_init(void)
{
	struct xs_rec *r;
	char v[64];

	/* We signal the guest only through our end of its channel. */
	ring = backend_ring_open("xenstore", dom.store_mfn, dom.store_port, xenstore_poll, &port);
	xs_domid = dom.domid;
	snprintf(dom_path, sizeof(dom_path), "/local/domain/%u", dom.domid);

	xs_reset();
	r = xs_new(0, "/");
	xs_set_perms(r, 0, XS_P_NONE, -1, 0);
	r = xs_put("", "");				/* n0 r<domid>: read-only home */
	xs_set_perms(r, 0, XS_P_NONE, (int)dom.domid, XS_P_READ);
	snprintf(v, sizeof(v), "/vm/00000000-0000-0000-0000-%012x", dom.domid);
	xs_put("vm", v);
	xs_put("name", "paraos");
	xs_put("cpu/0/availability", "online");
	snprintf(v, sizeof(v), "%lu", dom.nr_pages * 4);
	xs_put("memory/static-max", v);
	xs_put("memory/target", v);
	xs_put("memory/videoram", "0");
	xs_set_perms(xs_put("device/suspend/event-channel", ""), dom.domid, XS_P_NONE, -1, 0);
	static const char *const rw[] = {
		"control/shutdown", "control/feature-poweroff", "control/feature-reboot",
		"control/feature-suspend", "control/sysrq",
	};
	for (unsigned int k = 0; k < ARRAY_SIZE(rw); k++)
		xs_set_perms(xs_put(rw[k], ""), dom.domid, XS_P_NONE, -1, 0);
	xs_put("control/platform-feature-multiprocessor-suspend", "1");
	xs_put("control/platform-feature-xs_reset_watches", "1");
	static const char *const rwdirs[] = { "data", "drivers", "feature", "attr", "error" };
	for (unsigned int k = 0; k < ARRAY_SIZE(rwdirs); k++)
		xs_set_perms(xs_put(rwdirs[k], ""), dom.domid, XS_P_NONE, -1, 0);
	snprintf(v, sizeof(v), "%u", dom.domid);
	xs_put("domid", v);
	snprintf(v, sizeof(v), "%u", dom.store_port);
	xs_put("store/port", v);
	snprintf(v, sizeof(v), "%lu", (unsigned long)dom.store_mfn);
	xs_put("store/ring-ref", v);
	snprintf(v, sizeof(v), "/local/domain/0/backend/console/%u/0", dom.domid);
	xs_put("console/backend", v);
	xs_set_perms(xs_put("console/backend-id", "0"), dom.domid, XS_P_NONE, 0, XS_P_READ);
	xs_put("console/limit", "1048576");
	xs_put("console/type", "xenconsoled");
	xs_put("console/output", "pty");
	xs_put("console/tty", "/dev/pts/0");
	snprintf(v, sizeof(v), "%u", dom.console_port);
	xs_put("console/port", v);
	snprintf(v, sizeof(v), "%lu", (unsigned long)dom.console_mfn);
	xs_put("console/ring-ref", v);
}

/*
 * Domain 0's own accesses, for the other backends (blkback plays dom0's
 * xen-blkback and the toolstack's part of libxl): absolute paths, no
 * quota or permission checks (dom0 is privileged), and a write fires the
 * guest's watches as any write does; the events go out on the next poll.
 */
const char *xs_dom0_read(const char *path, char *buf, size_t size)
{
	const struct xs_rec *r = xs_get(0, path);

	if (!r || r->vlen >= size)
		return NULL;
	memcpy(buf, r->data, r->vlen);
	buf[r->vlen] = 0;
	return buf;
}

void xs_dom0_write(const char *path, const char *value)
{
	const struct xs_rec *r = xs_get(0, path);

	if (r && r->vlen == strlen(value) && !memcmp(r->data, value, r->vlen))
		return;		/* xenbus_switch_state and friends write only a change */
	xs_put_abs(path, value);
	xs_fire_now(path, false);
}

void xs_dom0_perms(const char *path, unsigned int owner, int other, int domid, int perm)
{
	struct xs_rec *r = xs_get(0, path);

	if (r) {
		xs_set_perms(r, owner, other, domid, perm);
		xs_written(r);
		xs_fire_now(path, false);
	}
}

uint64_t xs_dom0_generation(void)
{
	return xs_generation;
}
