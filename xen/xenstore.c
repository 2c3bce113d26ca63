/*
 * The xenstore client, in protocol order: the ring page and port from
 * start_info; a request is a header (struct xsd_sockmsg) and its payload
 * written into the request ring under one mutex, so messages never
 * interleave; xenstored answers in the response ring, in any order with
 * watch events, and each reply goes to the thread whose req_id it
 * carries; watch events go to a queue that the watch thread empties.
 *
 * Never trust the server: its bytes are copied out of the ring once and
 * only the copy is looked at; indexes are checked on every read, every
 * access is masked, and a reply that breaks the protocol (a length over
 * XENSTORE_PAYLOAD_MAX, a req_id nobody waits for, a type that does not
 * answer the request, a payload of the wrong shape) marks the connection
 * broken: every waiter gets -XEN_EIO and later calls -XEN_ENODEV. Where
 * the ring offers XENSTORE_SERVER_FEATURE_RECONNECTION, the watch thread
 * then resets the ring and sets our watches again (untested: neither
 * xenstored 4.17 nor parahost offers the feature).
 */
#include <xen/errno.h>

/*
 * xs_wire.h builds its table of error strings (xsd_errors) from the
 * errno names it finds defined: give it Xen's values.
 */
#define EINVAL		XEN_EINVAL
#define EACCES		XEN_EACCES
#define EEXIST		XEN_EEXIST
#define EISDIR		XEN_EISDIR
#define ENOENT		XEN_ENOENT
#define ENOMEM		XEN_ENOMEM
#define ENOSPC		XEN_ENOSPC
#define EIO		XEN_EIO
#define ENOTEMPTY	XEN_ENOTEMPTY
#define ENOSYS		XEN_ENOSYS
#define EROFS		XEN_EROFS
#define EBUSY		XEN_EBUSY
#define EAGAIN		XEN_EAGAIN
#define EISCONN		XEN_EISCONN
#define E2BIG		XEN_E2BIG
#define EPERM		XEN_EPERM
#include <xen/io/xs_wire.h>

#include "kernel/kernel.h"
#include "kernel/sched.h"
#include "lib/printf.h"
#include "mm/p2m.h"
#include "xen/evtchn.h"
#include "xen/start_info.h"
#include "xen/time.h"
#include "xen/xenstore.h"
#include "xen/xenstore_core.h"

/* A dead or wedged xenstored, not a slow one (Xen in Bochs is slow). */
#define REPLY_TIMEOUT_NS	(30 * NSEC_PER_SEC)
/* Requests in flight at once; more callers wait for a slot. */
#define XS_SLOTS		8

struct xs_stats xs_stats;

static struct xenstore_domain_interface *ring, *real_ring;
static evtchn_port_t port;
static uint32_t features;
static const char *down;		/* NULL: connected */
static char down_why[96];

/* ---- requests in flight ---------------------------------------------------- */

static struct xs_req slots[XS_SLOTS];
static struct semaphore free_slots = { .count = XS_SLOTS };
static struct mutex send_lock;
static uint32_t last_id;
static struct waitq room;		/* writers waiting for the server to consume */
static bool held;

const char *xenstore_unavailable(void)
{
	return down;
}

/* Upcalls masked. Everyone waiting is told; the reason is said once. */
static void broken(const char *fmt, ...)
{
	va_list ap;

	if (down)
		return;
	va_start(ap, fmt);
	vsnprintf(down_why, sizeof(down_why), fmt, ap);
	va_end(ap);
	down = down_why;
	kprintf("xenstore: connection broken: %s\n", down_why);
	for (unsigned int i = 0; i < XS_SLOTS; i++)
		wake_up(&slots[i].wq);
	wake_up(&room);
	if (features & XENSTORE_SERVER_FEATURE_RECONNECTION)
		xs_watch_reconnect();
}

/* ---- the request ring (threads, send_lock held) ------------------------------ */

/*
 * The index rules: we own req_prod, the server req_cons; prod - cons is
 * what is queued and can never exceed the ring. Read cons before writing
 * the bytes it frees (mb), publish prod only after the bytes (wmb).
 */
static bool ring_write(const void *data, uint32_t len)
{
	const char *d = data;

	while (len) {
		unsigned int f = upcalls_off();
		uint32_t cons = READ_ONCE(ring->req_cons), prod = READ_ONCE(ring->req_prod);
		uint32_t n;

		if (prod - cons > XENSTORE_RING_SIZE)
			broken("request ring indexes: cons %u, prod %u", cons, prod);
		if (down) {
			upcalls_restore(f);
			return false;
		}
		n = XENSTORE_RING_SIZE - (prod - cons);
		if (!n) {
			/* Full: make sure the server knows, then look again shortly. */
			evtchn_notify(port);
			waitq_wait(&room, xen_system_time() + 10 * NSEC_PER_MSEC);
			upcalls_restore(f);
			continue;
		}
		upcalls_restore(f);
		if (n > len)
			n = len;
		mb();
		for (uint32_t i = 0; i < n; i++)
			ring->req[MASK_XENSTORE_IDX(prod + i)] = d[i];
		wmb();
		WRITE_ONCE(ring->req_prod, prod + n);
		d += n;
		len -= n;
	}
	return true;
}

/* ---- the response ring (the port's handler, upcalls masked) ------------------ */

/* The message being read: its header, and where its payload goes. */
static struct {
	struct xsd_sockmsg hdr;
	uint32_t got;			/* bytes of header and payload so far */
	char *body;
	struct xs_req *req;		/* NULL: a watch event */
} in;
static char event_buf[XENSTORE_PAYLOAD_MAX + 1];

/* The header is in: decide where the payload goes, or give up on the server. */
static bool header_ok(void)
{
	const struct xsd_sockmsg *h = &in.hdr;

	if (h->len > XENSTORE_PAYLOAD_MAX) {
		broken("message of %u bytes (type %u)", h->len, h->type);
		return false;
	}
	in.req = NULL;
	in.body = event_buf;
	if (h->type == XS_WATCH_EVENT)
		return true;
	for (unsigned int i = 0; i < XS_SLOTS; i++)
		if (slots[i].used && !slots[i].done && slots[i].id == h->req_id)
			in.req = &slots[i];
	if (!in.req) {
		broken("reply (type %u) to request %u, which nobody waits for", h->type, h->req_id);
		return false;
	}
	if (h->type != in.req->type && h->type != XS_ERROR) {
		broken("reply of type %u to request %u of type %u", h->type, h->req_id, in.req->type);
		return false;
	}
	if (h->tx_id != in.req->tx) {
		broken("reply to request %u in transaction %u, asked in %u",
		       h->req_id, h->tx_id, in.req->tx);
		return false;
	}
	in.body = in.req->reply;
	return true;
}

/* "path\0token\0", exactly; the watch it is for is the watch code's business. */
static void event_in(uint32_t len)
{
	const char *path = event_buf;
	size_t pl = strnlen(path, len);

	xs_stats.events++;
	if (pl + 1 >= len || strnlen(path + pl + 1, len - pl - 1) != len - pl - 2) {
		broken("watch event of %u bytes is not a path and a token", len);
		return;
	}
	xs_watch_event(path, pl, path + pl + 1);
}

static void message_in(void)
{
	if (!in.req) {
		event_in(in.hdr.len);
		return;
	}
	in.req->rtype = in.hdr.type;
	in.req->len = in.hdr.len;
	in.req->reply[in.hdr.len] = '\0';
	in.req->done = true;
	xs_stats.replies++;
	wake_up(&in.req->wq);
}

/*
 * The index rules, the other way: the server owns rsp_prod, we own
 * rsp_cons. Read prod, then the bytes (rmb); free them (mb) only once
 * copied. Each byte of the server's is read once, into in.hdr or a
 * private buffer.
 */
static void take_replies(void)
{
	bool took = false;

	while (!down && !held) {
		uint32_t cons = READ_ONCE(ring->rsp_cons), prod = READ_ONCE(ring->rsp_prod);
		uint32_t hdr = sizeof(in.hdr), want, n;
		char *dst;

		if (prod - cons > XENSTORE_RING_SIZE) {
			broken("response ring indexes: cons %u, prod %u", cons, prod);
			break;
		}
		if (prod == cons)
			break;
		rmb();
		if (in.got < hdr) {
			dst = (char *)&in.hdr + in.got;
			want = hdr - in.got;
		} else {
			dst = in.body + (in.got - hdr);
			want = in.hdr.len - (in.got - hdr);
		}
		n = prod - cons < want ? prod - cons : want;
		for (uint32_t i = 0; i < n; i++)
			dst[i] = ring->rsp[MASK_XENSTORE_IDX(cons + i)];
		mb();
		WRITE_ONCE(ring->rsp_cons, cons + n);
		took = true;
		in.got += n;
		if (in.got == hdr && !header_ok())
			break;
		if (in.got >= hdr && in.got == hdr + in.hdr.len) {
			message_in();
			in.got = 0;
		}
	}
	if (took)
		evtchn_notify(port);	/* room again, if the server was waiting for it */
}

static void store_event(evtchn_port_t p, void *arg)
{
	(void)p;
	(void)arg;
	take_replies();
	wake_up(&room);
}

void xenstore_hold_replies(bool hold)
{
	unsigned int f = upcalls_off();

	held = hold;
	if (!hold && ring)
		take_replies();
	upcalls_restore(f);
}

void xenstore_test_recover(void)
{
	unsigned int f = upcalls_off();

	if (ring) {
		WRITE_ONCE(ring->rsp_cons, READ_ONCE(ring->rsp_prod));
		in.got = 0;
		down = NULL;
	}
	upcalls_restore(f);
}

void xenstore_test_ring(struct xenstore_domain_interface *r)
{
	unsigned int f = upcalls_off();

	if (real_ring)
		ring = r ? r : real_ring;
	upcalls_restore(f);
}

/* ---- one request, one reply ---------------------------------------------------- */

static struct xs_req *slot_get(void)
{
	unsigned int f;
	struct xs_req *r = NULL;

	sem_down(&free_slots);
	f = upcalls_off();
	for (unsigned int i = 0; i < XS_SLOTS && !r; i++)
		if (!slots[i].used)
			r = &slots[i];
	r->used = true;
	r->done = false;
	/* An id nobody in flight has: a late reply can never be taken for another's. */
	do
		last_id++;
	while (!last_id);
	r->id = last_id;
	upcalls_restore(f);
	return r;
}

void xs_reply_put(struct xs_req *r)
{
	unsigned int f = upcalls_off();

	r->used = false;
	xs_stats.in_flight--;
	upcalls_restore(f);
	sem_up(&free_slots);
}

/*
 * Send type with payload s1 (with its NUL) then len2 bytes of s2, and
 * wait for the answer. On success (>= 0) the reply is in *out, which the
 * caller gives back with xs_reply_put; an XS_ERROR reply is the errno.
 */
long xs_talk(uint32_t type, xs_tx_t t, const char *s1, const void *s2, uint32_t len2,
		 struct xs_req **out)
{
	uint32_t len1 = (uint32_t)strnlen(s1, XENSTORE_PAYLOAD_MAX + 1) + 1;
	struct xsd_sockmsg h = { .type = type, .tx_id = t };
	struct xs_req *r;
	unsigned int f;
	bool sent, ok;

	if (down)
		return -XEN_ENODEV;
	if (len1 > XENSTORE_PAYLOAD_MAX || len2 > XENSTORE_PAYLOAD_MAX - len1)
		return -XEN_E2BIG;
	r = slot_get();
	r->type = type;
	r->tx = t;
	h.req_id = r->id;
	h.len = len1 + len2;
	f = upcalls_off();
	xs_stats.requests++;
	if (++xs_stats.in_flight > xs_stats.max_in_flight)
		xs_stats.max_in_flight = xs_stats.in_flight;
	upcalls_restore(f);

	mutex_lock(&send_lock);
	sent = ring_write(&h, sizeof(h)) && ring_write(s1, len1) && ring_write(s2, len2);
	mutex_unlock(&send_lock);
	if (sent)
		evtchn_notify(port);
	ok = sent && wait_event_until(&r->wq, r->done || down,
				      xen_system_time() + REPLY_TIMEOUT_NS);
	f = upcalls_off();
	if (sent && !ok)
		broken("no reply to request %u (type %u) in %lu s", r->id, type,
		       REPLY_TIMEOUT_NS / NSEC_PER_SEC);
	ok = r->done;
	upcalls_restore(f);
	if (!ok) {
		xs_reply_put(r);
		return -XEN_EIO;
	}
	if (r->rtype == XS_ERROR) {
		long err = -XEN_EIO;

		for (unsigned int i = 0; i < ARRAY_SIZE(xsd_errors); i++)
			if (!strcmp(r->reply, xsd_errors[i].errstring))
				err = -xsd_errors[i].errnum;
		if (err == -XEN_EIO && strcmp(r->reply, "EIO"))
			kprintf("xenstore: unknown error '%.32s' (request type %u)\n", r->reply, type);
		xs_reply_put(r);
		return err;
	}
	*out = r;
	return 0;
}

long xs_protocol_error(struct xs_req *r, const char *what)
{
	unsigned int f = upcalls_off();

	broken("%s: reply of %u bytes to request %u (type %u)", what, r->len, r->id, r->type);
	upcalls_restore(f);
	xs_reply_put(r);
	return -XEN_EIO;
}

/* Requests whose answer is "OK". */
long xs_talk_ok(uint32_t type, xs_tx_t t, const char *s1, const void *s2, uint32_t len2)
{
	struct xs_req *r;
	long rc = xs_talk(type, t, s1, s2, len2, &r);

	if (rc)
		return rc;
	if (r->len != 3 || memcmp(r->reply, "OK", 3))
		return xs_protocol_error(r, "not OK");
	xs_reply_put(r);
	return 0;
}

/* Requests whose answer is a list of NUL-terminated strings: their count. */
long xs_talk_list(uint32_t type, xs_tx_t t, const char *path, char *buf, size_t size)
{
	struct xs_req *r;
	long rc = xs_talk(type, t, path, NULL, 0, &r), n = 0;

	if (rc)
		return rc;
	if (r->len && r->reply[r->len - 1])
		return xs_protocol_error(r, "unterminated list");
	if (r->len > size) {
		xs_reply_put(r);
		return -XEN_E2BIG;
	}
	for (uint32_t i = 0; i < r->len; i++)
		n += r->reply[i] == '\0';
	memcpy(buf, r->reply, r->len);
	xs_reply_put(r);
	return n;
}

/* The ring reset the server offers (docs/misc/xenstore-ring.txt); the watch thread's. */
bool xenstore_ring_reset(void)
{
	uint64_t deadline = xen_system_time() + 5 * NSEC_PER_SEC;
	unsigned int f;

	WRITE_ONCE(ring->connection, XENSTORE_RECONNECT);
	mb();
	evtchn_notify(port);
	while (READ_ONCE(ring->connection) != XENSTORE_CONNECTED) {
		if (xen_system_time() > deadline) {
			kprintf("xenstore: the server did not reconnect the ring in 5 s\n");
			return false;
		}
		sleep_ns(NSEC_PER_MSEC);
	}
	f = upcalls_off();
	in.got = 0;
	down = NULL;
	upcalls_restore(f);
	kprintf("xenstore: ring reconnected\n");
	return true;
}

/* ---- start of day ------------------------------------------------------------------ */

void xenstore_init(void)
{
	if (is_initial_domain() || !start_info.store_mfn) {
		down = "no xenstore at boot: the initial domain runs xenstored itself, later";
		return;
	}
	ring = real_ring = mfn_to_virt(start_info.store_mfn);
	port = start_info.store_evtchn;
	features = READ_ONCE(ring->server_features);
	if (!xs_watch_start()) {
		down = "no memory for the watch thread";
		return;
	}
	/* Whatever a previous kernel left in the ring cannot be resynchronised without a reset. */
	if (READ_ONCE(ring->rsp_prod) != READ_ONCE(ring->rsp_cons) ||
	    READ_ONCE(ring->connection) != XENSTORE_CONNECTED) {
		unsigned int f = upcalls_off();

		broken("ring not idle at boot (rsp %u/%u, connection %u)", ring->rsp_cons,
		       ring->rsp_prod, ring->connection);
		upcalls_restore(f);
	}
	evtchn_set_handler(port, store_event, NULL);
	kprintf("xenstore: ring mfn %#lx, port %u, server features %#x\n",
		(unsigned long)start_info.store_mfn, port, features);
}
