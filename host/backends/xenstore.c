/*
 * A minimal xenstored for the one domU: the store as xl/libxl 4.17 lays it
 * out for a PV guest (measured with host/tools/oracle/zz_oracle3.c against
 * Debian's Xen), served over the guest's xenstore ring (<xen/io/xs_wire.h>)
 * with xenstored's answers: relative paths under /local/domain/<id>,
 * permissions (owner, then per-domain rights), watches (an event when
 * registered and on every change at or below the path, or above it for
 * removals), trivial transactions, and the error strings of xsd_errors.
 * Nothing the guest writes is trusted: ring indexes, lengths and paths are
 * all checked; a malformed message gets an error, never a crash.
 * This file holds the protocol: replies, watch events, the requests, the
 * ring and the initial store; the node tree is in xenstore_tree.c.
 */
/* Before pv.h: its E* macros would make xs_wire.h define its error table. */
#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "host/pv/pv.h"
#include "lib/barrier.h"
#include "lib/bytering.h"
#include "host/backends/xenstore_tree.h"

#define MAX_WATCHES	32

struct watch {
	bool used;
	char path[256];			/* as the guest gave it */
	char token[64];
	char abs[256];			/* absolute form */
};

static struct watch watches[MAX_WATCHES];
static struct xenstore_domain_interface *ring;
static int port;			/* domain 0's end of the store channel */
static unsigned int next_tx = 1;

/* Replies wait here until the response ring has room. */
static char outq[16384];
static uint32_t outq_len;

static bool memchr_safe(const char *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (!p[i])
			return true;
	return false;
}

/* ---- replies and watch events -------------------------------------------- */

static void out_bytes(const void *data, uint32_t len)
{
	if (len > sizeof(outq) - outq_len)
		return;			/* the guest stopped reading: drop */
	memcpy(outq + outq_len, data, len);
	outq_len += len;
}

static void reply(uint32_t type, const struct xsd_sockmsg *req, const void *data, uint32_t len)
{
	struct xsd_sockmsg m = { .type = type, .req_id = req->req_id, .tx_id = req->tx_id, .len = len };

	out_bytes(&m, sizeof(m));
	out_bytes(data, len);
}

static void reply_error(const struct xsd_sockmsg *req, const char *err)
{
	reply(XS_ERROR, req, err, (uint32_t)strlen(err) + 1);
}

static void reply_ok(const struct xsd_sockmsg *req)
{
	reply(req->type, req, "OK", 3);
}

static void watch_event(const struct watch *w, const char *path)
{
	struct xsd_sockmsg m = { .type = XS_WATCH_EVENT, .req_id = 0, .tx_id = 0 };
	uint32_t pl = (uint32_t)strlen(path) + 1, tl = (uint32_t)strlen(w->token) + 1;

	m.len = pl + tl;
	out_bytes(&m, sizeof(m));
	out_bytes(path, pl);
	out_bytes(w->token, tl);
}

static bool is_prefix(const char *pre, const char *path)
{
	size_t n = strlen(pre);

	return !strncmp(pre, path, n) && (path[n] == 0 || path[n] == '/' || !strcmp(pre, "/"));
}

/* Something changed at abs: fire every watch at or above it (and below it, for removals). */
static void fire(const char *abs, bool removed)
{
	for (unsigned int i = 0; i < MAX_WATCHES; i++) {
		const struct watch *w = &watches[i];
		char shown[MAX_PATH];

		if (!w->used)
			continue;
		if (is_prefix(w->abs, abs)) {
			/* Show the changed node the way the watch was set: relative or not. */
			if (w->path[0] == '/')
				snprintf(shown, sizeof(shown), "%s", abs);
			else
				snprintf(shown, sizeof(shown), "%s", abs + strlen(dom_path) + 1);
			watch_event(w, shown);
		} else if (removed && is_prefix(abs, w->abs)) {
			watch_event(w, w->path);
		}
	}
}

/* ---- requests ------------------------------------------------------------ */

/* The n-th NUL-terminated string of the payload (NULL if absent). */
static const char *arg(const char *data, uint32_t len, unsigned int n, uint32_t *off_out)
{
	uint32_t off = 0;

	for (unsigned int k = 0; k < n; k++) {
		while (off < len && data[off])
			off++;
		if (off >= len)
			return NULL;
		off++;
	}
	if (off >= len || !memchr_safe(data + off, len - off))
		return NULL;
	if (off_out)
		*off_out = off;
	return data + off;
}

static void handle(const struct xsd_sockmsg *req, const char *data)
{
	if (host_opts.verbose)
		printk("xenstore: type %u len %u '%s'", req->type, req->len, data);
	char path[MAX_PATH];
	const char *p0 = arg(data, req->len, 0, NULL);
	int i;

	switch (req->type) {
	case XS_READ:
	case XS_DIRECTORY:
	case XS_GET_PERMS:
		if (!p0 || !canonical(p0, path, sizeof(path)))
			return reply_error(req, "EINVAL");
		i = lookup(path, false, NULL);
		if (i == NOT_FOUND) {
			/* Not there: ENOENT if we could see where it would be, else EACCES. */
			int pi = nearest_ancestor(path);

			if (!(perm_of(pi, dom.domid) & PERM_READ))
				return reply_error(req, "EACCES");
			return reply_error(req, "ENOENT");
		}
		if (!(perm_of(i, dom.domid) & PERM_READ))
			return reply_error(req, "EACCES");
		if (req->type == XS_READ)
			return reply(XS_READ, req, nodes[i].value, nodes[i].value_len);
		if (req->type == XS_DIRECTORY) {
			char buf[XENSTORE_PAYLOAD_MAX];
			uint32_t n = 0;

			for (int c = nodes[i].first_child; c; c = nodes[c].next_sibling) {
				uint32_t l = (uint32_t)strlen(nodes[c].name) + 1;

				if (n + l > sizeof(buf))
					return reply_error(req, "E2BIG");
				memcpy(buf + n, nodes[c].name, l);
				n += l;
			}
			return reply(XS_DIRECTORY, req, buf, n);
		}
		{
			char buf[128];
			uint32_t n = 0;
			static const char letters[] = "nrwb";

			for (unsigned int k = 0; k < nodes[i].nr_perms; k++)
				n += (uint32_t)snprintf(buf + n, sizeof(buf) - n, "%c%u",
							letters[nodes[i].perms[k].perm & 3],
							nodes[i].perms[k].dom) + 1;
			return reply(XS_GET_PERMS, req, buf, n);
		}
	case XS_WRITE:
	case XS_MKDIR: {
		uint32_t voff = 0;
		int created, pi;

		if (!p0 || !canonical(p0, path, sizeof(path)))
			return reply_error(req, "EINVAL");
		i = lookup(path, false, NULL);
		if (i >= 0 && req->type == XS_MKDIR)
			return reply_ok(req);
		if (i >= 0 && !(perm_of(i, dom.domid) & PERM_WRITE))
			return reply_error(req, "EACCES");
		if (i == NOT_FOUND) {
			/* Creating: the nearest existing ancestor must be writable. */
			pi = nearest_ancestor(path);
			if (!(perm_of(pi, dom.domid) & PERM_WRITE))
				return reply_error(req, "EACCES");
			i = lookup(path, true, &created);
			if (i < 0)
				return reply_error(req, "ENOSPC");
			/* New nodes belong to their creator, as xenstored's. */
			for (int n = created; n; n = nodes[n].first_child)
				nodes[n].perms[0].dom = (uint16_t)dom.domid;
		}
		if (req->type == XS_WRITE) {
			uint32_t vlen;

			arg(data, req->len, 0, &voff);
			voff += (uint32_t)strlen(p0) + 1;
			vlen = voff <= req->len ? req->len - voff : 0;
			if (vlen > MAX_VALUE)
				return reply_error(req, "E2BIG");
			memcpy(nodes[i].value, data + voff, vlen);
			nodes[i].value_len = (uint16_t)vlen;
		}
		fire(path, false);
		return reply_ok(req);
	}
	case XS_RM:
		if (!p0 || !canonical(p0, path, sizeof(path)))
			return reply_error(req, "EINVAL");
		i = lookup(path, false, NULL);
		if (i == NOT_FOUND)
			return reply_ok(req);		/* xenstored: removing nothing is fine */
		if (i <= 0 || !(perm_of(i, dom.domid) & PERM_WRITE) ||
		    i == lookup(dom_path, false, NULL))
			return reply_error(req, "EACCES");
		node_free(i);
		fire(path, true);
		return reply_ok(req);
	case XS_SET_PERMS: {
		uint32_t off;
		unsigned int n = 0;
		struct perm_entry pe[MAX_PERMS];

		if (!p0 || !canonical(p0, path, sizeof(path)))
			return reply_error(req, "EINVAL");
		i = lookup(path, false, NULL);
		if (i < 0 || nodes[i].perms[0].dom != dom.domid)
			return reply_error(req, "EACCES");
		for (unsigned int k = 1; k <= MAX_PERMS; k++) {
			const char *s = arg(data, req->len, k, &off);
			unsigned int d = 0;

			if (!s)
				break;
			if (!strchr("nrwb", s[0]) || !s[1])
				return reply_error(req, "EINVAL");
			for (const char *q = s + 1; *q; q++) {
				if (*q < '0' || *q > '9')
					return reply_error(req, "EINVAL");
				d = d * 10 + (unsigned int)(*q - '0');
			}
			pe[n].dom = (uint16_t)d;
			pe[n].perm = (uint8_t)(strchr("nrwb", s[0]) - "nrwb");
			n++;
		}
		if (!n)
			return reply_error(req, "EINVAL");
		memcpy(nodes[i].perms, pe, sizeof(pe));
		nodes[i].nr_perms = n;
		fire(path, false);
		return reply_ok(req);
	}
	case XS_WATCH: {
		const char *token = arg(data, req->len, 1, NULL);
		struct watch *w = NULL;

		if (!p0 || !token || !canonical(p0, path, sizeof(path)) ||
		    strlen(p0) >= sizeof(w->path) || strlen(token) >= sizeof(w->token))
			return reply_error(req, "EINVAL");
		for (unsigned int k = 0; k < MAX_WATCHES; k++) {
			if (watches[k].used && !strcmp(watches[k].path, p0) &&
			    !strcmp(watches[k].token, token))
				return reply_error(req, "EEXIST");
			if (!watches[k].used && !w)
				w = &watches[k];
		}
		if (!w)
			return reply_error(req, "E2BIG");
		w->used = true;
		strlcpy(w->path, p0, sizeof(w->path));
		strlcpy(w->token, token, sizeof(w->token));
		strlcpy(w->abs, path, sizeof(w->abs));
		reply_ok(req);
		watch_event(w, w->path);	/* fires once when set */
		return;
	}
	case XS_UNWATCH: {
		const char *token = arg(data, req->len, 1, NULL);

		if (!p0 || !token)
			return reply_error(req, "EINVAL");
		for (unsigned int k = 0; k < MAX_WATCHES; k++)
			if (watches[k].used && !strcmp(watches[k].path, p0) &&
			    !strcmp(watches[k].token, token)) {
				watches[k].used = false;
				return reply_ok(req);
			}
		return reply_error(req, "ENOENT");
	}
	case XS_RESET_WATCHES:
		memset(watches, 0, sizeof(watches));
		return reply_ok(req);
	case XS_TRANSACTION_START: {
		char id[16];
		int n = snprintf(id, sizeof(id), "%u", next_tx++);

		return reply(XS_TRANSACTION_START, req, id, (uint32_t)n + 1);
	}
	case XS_TRANSACTION_END:
		/* Operations apply at once; ending a transaction we handed out is fine. */
		if (!p0 || (strcmp(p0, "T") && strcmp(p0, "F")))
			return reply_error(req, "EINVAL");
		if (req->tx_id == 0 || req->tx_id >= next_tx)
			return reply_error(req, "ENOENT");
		return reply_ok(req);
	case XS_GET_DOMAIN_PATH: {
		char buf[32];
		unsigned int d = 0;

		if (!p0 || !*p0)
			return reply_error(req, "EINVAL");
		for (const char *q = p0; *q; q++) {
			if (*q < '0' || *q > '9')
				return reply_error(req, "EINVAL");
			d = d * 10 + (unsigned int)(*q - '0');
		}
		snprintf(buf, sizeof(buf), "/local/domain/%u", d);
		return reply(XS_GET_DOMAIN_PATH, req, buf, (uint32_t)strlen(buf) + 1);
	}
	case XS_CONTROL:
	case XS_INTRODUCE:
	case XS_RELEASE:
	case XS_IS_DOMAIN_INTRODUCED:
	case XS_RESUME:
	case XS_SET_TARGET:
		return reply_error(req, "EACCES");	/* dom0's business */
	default:
		return reply_error(req, "ENOSYS");
	}
}

/* ---- the ring ------------------------------------------------------------ */

static char inbuf[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
static uint32_t inlen;

void xenstore_poll(void)
{
	bool produced = false;

	if (!ring)
		return;
	/* Requests: take what is there, process each complete message. */
	for (;;) {
		uint32_t cons = READ_ONCE(ring->req_cons), prod = READ_ONCE(ring->req_prod);
		size_t n;

		rmb();
		n = bytering_get(ring->req, XENSTORE_RING_SIZE, &cons, prod,
				 inbuf + inlen, sizeof(inbuf) - inlen);
		mb();
		WRITE_ONCE(ring->req_cons, cons);
		inlen += (uint32_t)n;
		while (inlen >= sizeof(struct xsd_sockmsg)) {
			struct xsd_sockmsg m;
			uint32_t total;

			memcpy(&m, inbuf, sizeof(m));
			if (m.len > XENSTORE_PAYLOAD_MAX) {
				/* A lying length: answer and resynchronise by dropping it all. */
				reply_error(&m, "E2BIG");
				inlen = 0;
				break;
			}
			total = (uint32_t)sizeof(m) + m.len;
			if (inlen < total)
				break;
			{
				/* NUL-terminate a copy so string parsing cannot run off. */
				static char payload[XENSTORE_PAYLOAD_MAX + 1];

				memcpy(payload, inbuf + sizeof(m), m.len);
				payload[m.len] = 0;
				handle(&m, payload);
			}
			memmove(inbuf, inbuf + total, inlen - total);
			inlen -= total;
		}
		if (!n)
			break;
	}
	/* Replies: as much as fits. */
	while (outq_len) {
		uint32_t prod = READ_ONCE(ring->rsp_prod), cons = READ_ONCE(ring->rsp_cons);
		size_t n;

		rmb();
		n = bytering_put(ring->rsp, XENSTORE_RING_SIZE, &prod, cons, outq, outq_len);
		if (!n)
			break;
		wmb();
		WRITE_ONCE(ring->rsp_prod, prod);
		memmove(outq, outq + n, outq_len - n);
		outq_len -= (uint32_t)n;
		produced = true;
	}
	if (produced)
		evtchn_backend_notify(port);
}

/* The store as xl leaves it for a PV domU (see the file comment). */
void xenstore_init(void)
{
	int i;
	char v[64];

	/*
	 * The ring stays referenced writable for as long as it is open, so the
	 * guest can never make it a page table under us; we signal the guest
	 * only through our end of its channel.
	 */
	ring = gframe_get(&dom, dom.store_mfn, GF_WRITABLE);
	if (!ring || !mfn_is_ram(dom.store_mfn))
		panic("xenstore ring mfn %#lx is not a writable guest frame",
		      (unsigned long)dom.store_mfn);
	port = evtchn_backend_bind(dom.store_port, xenstore_poll);
	if (port < 0)
		panic("xenstore event channel %u: %d", dom.store_port, port);
	snprintf(dom_path, sizeof(dom_path), "/local/domain/%u", dom.domid);

	memset(nodes, 0, sizeof(nodes));
	nodes[0].used = true;				/* "/" */
	set_perms(0, 0, PERM_NONE, -1, 0);
	i = put("", "");				/* n0 r<domid>: read-only home */
	set_perms(i, 0, PERM_NONE, dom.domid, PERM_READ);
	snprintf(v, sizeof(v), "/vm/00000000-0000-0000-0000-%012x", dom.domid);
	put("vm", v);
	put("name", "paraos");
	put("cpu/0/availability", "online");
	snprintf(v, sizeof(v), "%lu", dom.nr_pages * 4);
	put("memory/static-max", v);
	put("memory/target", v);
	put("memory/videoram", "0");
	i = put("device/suspend/event-channel", "");
	set_perms(i, dom.domid, PERM_NONE, -1, 0);
	static const char *const rw[] = {
		"control/shutdown", "control/feature-poweroff", "control/feature-reboot",
		"control/feature-suspend", "control/sysrq",
	};
	for (unsigned int k = 0; k < ARRAY_SIZE(rw); k++)
		set_perms(put(rw[k], ""), dom.domid, PERM_NONE, -1, 0);
	put("control/platform-feature-multiprocessor-suspend", "1");
	put("control/platform-feature-xs_reset_watches", "1");
	static const char *const rwdirs[] = { "data", "drivers", "feature", "attr", "error" };
	for (unsigned int k = 0; k < ARRAY_SIZE(rwdirs); k++)
		set_perms(put(rwdirs[k], ""), dom.domid, PERM_NONE, -1, 0);
	snprintf(v, sizeof(v), "%u", dom.domid);
	put("domid", v);
	snprintf(v, sizeof(v), "%u", dom.store_port);
	put("store/port", v);
	snprintf(v, sizeof(v), "%lu", (unsigned long)dom.store_mfn);
	put("store/ring-ref", v);
	snprintf(v, sizeof(v), "/local/domain/0/backend/console/%u/0", dom.domid);
	put("console/backend", v);
	set_perms(put("console/backend-id", "0"), dom.domid, PERM_NONE, 0, PERM_READ);
	put("console/limit", "1048576");
	put("console/type", "xenconsoled");
	put("console/output", "pty");
	put("console/tty", "/dev/pts/0");
	snprintf(v, sizeof(v), "%u", dom.console_port);
	put("console/port", v);
	snprintf(v, sizeof(v), "%lu", (unsigned long)dom.console_mfn);
	put("console/ring-ref", v);
}
