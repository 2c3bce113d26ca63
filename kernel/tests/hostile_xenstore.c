/*
 * A hostile guest against xenstored: floods and malformed requests, each
 * answered as C xenstored 4.17 answers a domU (measured on Xen's harness):
 * the quotas end a flood early with xenstored's error, malformed input gets
 * EINVAL, unknown types ENOSYS, and the store goes on answering. What
 * breaks the connection for good is in xs_ring_broken.c, run last.
 *
 * Not sent, because Debian's xenstored 4.17 reads past the message on
 * them (found here): a READ whose path has no NUL (once ENOENT; twice the
 * harness's dom0 stopped for good right there), and a READ or DIRECTORY
 * with no payload (ENOENT or EACCES for a path never named). Undefined
 * answers are no oracle; parahost answers both EINVAL, as onearg() means.
 */
#include "kernel/ktest.h"
#include "kernel/tests/xs_raw.h"
#include "lib/printf.h"

#define ST(t, p, rt, r, ...) \
	{ .type = XS_##t, XSR_S(p), .reply_type = XS_##rt, .reply = (r), __VA_ARGS__ }
#define OK(t, p, ...)	ST(t, p, t, "OK|", __VA_ARGS__)
#define ERR(t, p, e, ...) ST(t, p, ERROR, e "|", __VA_ARGS__)

static uint32_t rid = 0x9000;
static char buf[XENSTORE_PAYLOAD_MAX + 64];

/* One request and its reply (events skipped); the reply's type, payload in buf. */
static uint32_t ask(uint32_t type, const void *payload, uint32_t len)
{
	struct xsd_sockmsg m;

	xsr_send(type, ++rid, 0, payload, len);
	do {
		if (!xsr_read(&m, buf, sizeof(buf), XSR_WAIT_NS))
			return ~0u;
	} while (m.type == XS_WATCH_EVENT);
	return m.req_id == rid ? m.type : ~0u - 1;
}

/* Our domid, as the store says (the guest is told nothing else). */
static unsigned int my_domid(void)
{
	unsigned int d = 0;

	if (ask(XS_READ, "domid", 6) == XS_READ)
		for (const char *p = buf; *p >= '0' && *p <= '9'; p++)
			d = d * 10 + (unsigned int)(*p - '0');
	return d;
}

static uint32_t askf(uint32_t type, const char *fmt, unsigned int a, unsigned int b)
{
	char p[64];
	int n = snprintf(p, sizeof(p), fmt, a, b);

	return ask(type, p, (uint32_t)n + 1);
}

KTEST(hostile, xenstore_malformed_requests)
{
	static const struct xsr_step steps[] = {
		ERR(WRITE, "data/x", "EINVAL"),			/* no NUL at all */
		ERR(WATCH, "data/x\0tok", "EINVAL"),		/* unterminated token */
		ERR(WATCH, "data/x\0t\0x\0", "EINVAL"),		/* three strings */
		ERR(SET_PERMS, "data/x", "EINVAL"),
		ERR(GET_DOMAIN_PATH, "1", "EINVAL"),
		ERR(TRANSACTION_END, "T", "EINVAL"),
		ERR(READ, "\0", "EINVAL"),
		ERR(READ, "name\0extra\0", "EINVAL"),
		ERR(READ, "data/\0", "EINVAL"),
		ERR(READ, ".\0", "EINVAL"),
		ERR(READ, "na me\0", "EINVAL"),
		ERR(READ, "@releaseDomain\0", "EINVAL"),
		ERR(READ, "/\0", "EACCES"),
		ERR(WATCH, "a//b\0t\0", "EINVAL"),
		ERR(UNWATCH, "a//b\0t\0", "ENOENT"),
		ERR(UNWATCH, "data\0", "EINVAL"),
		ERR(RM, "/\0", "EACCES"),
		ERR(RM, "data/nope/deeper\0", "ENOENT"),
		/* A value is everything after the path, NULs included. */
		OK(WRITE, "data/y\0a\0b"),
		ST(READ, "data/y\0", READ, "a|b"),
		OK(RM, "data/y\0"),
		/* Unknown and reply-only types. */
		ERR(WATCH_EVENT, "x\0", "ENOSYS"),
		ERR(ERROR, "x\0", "ENOSYS"),
		{ .type = 99, XSR_S("x\0"), .reply_type = XS_ERROR, .reply = "ENOSYS|" },
		{ .type = 0x7fffffff, XSR_S("x\0"), .reply_type = XS_ERROR, .reply = "ENOSYS|" },
		{ .type = 0xffffffff, XSR_S("x\0"), .reply_type = XS_ERROR, .reply = "ENOSYS|" },
		ERR(CONTROL, "\0", "EACCES"),
		ERR(RELEASE, "1\0", "EACCES"),
		ERR(RESUME, "1\0", "EACCES"),
		ERR(SET_TARGET, "1\0" "0\0", "EACCES"),
		/* GET_DOMAIN_PATH is atoi, printed unsigned. */
		ST(GET_DOMAIN_PATH, "abc\0", GET_DOMAIN_PATH, "/local/domain/0|"),
		ST(GET_DOMAIN_PATH, "\0", GET_DOMAIN_PATH, "/local/domain/0|"),
		ST(GET_DOMAIN_PATH, "99999\0", GET_DOMAIN_PATH, "/local/domain/99999|"),
		ST(GET_DOMAIN_PATH, "-1\0", GET_DOMAIN_PATH, "/local/domain/4294967295|"),
		ERR(DIRECTORY_PART, "control\0", "EINVAL"),
	};

	if (xsr_store())
		xsr_run("malformed", steps, ARRAY_SIZE(steps));
}

/* Any req_id comes back as sent; a DIRECTORY_PART starts with the node's generation. */
KTEST(hostile, xenstore_req_ids_echoed)
{
	static const uint32_t ids[] = { 0xdeadbeef, 0, 0xffffffff, 0xdeadbeef };
	static const char want[] = "shutdown|feature-poweroff|feature-reboot|feature-suspend|sysrq|"
		"platform-feature-multiprocessor-suspend|platform-feature-xs_reset_watches||";
	struct xsd_sockmsg m;
	const char *p;

	if (!xsr_store())
		return;
	for (unsigned int i = 0; i < ARRAY_SIZE(ids); i++) {
		xsr_send(XS_READ, ids[i], 0, "name", 5);
		KT_ASSERT(xsr_read(&m, buf, sizeof(buf), XSR_WAIT_NS), "no reply to req_id %#x", ids[i]);
		KT_ASSERT(m.req_id == ids[i] && m.type == XS_READ && !strcmp(buf, "paraos"),
			  "req_id %#x: reply %#x type %u '%s'", ids[i], m.req_id, m.type, buf);
	}
	xsr_send(XS_DIRECTORY_PART, ++rid, 0, "control\0" "0", 10);
	KT_ASSERT(xsr_read(&m, buf, sizeof(buf), XSR_WAIT_NS), "no reply to DIRECTORY_PART");
	for (p = buf; *p >= '0' && *p <= '9'; p++)
		;
	KT_ASSERT(m.type == XS_DIRECTORY_PART && p > buf && *p == '|' && !strcmp(p + 1, want),
		  "DIRECTORY_PART: type %u '%s'", m.type, buf);
}

/* Paths: at most 2048 characters past /local/domain/<id>/; a node's record under 2048 bytes. */
KTEST(hostile, xenstore_huge_paths_and_values)
{
	static const struct { const char *pre; unsigned int n; uint32_t type; const char *err; } c[] = {
		{ "data/", 2043, XS_ERROR, "ENOENT" },		/* 2048 in all: may be looked up */
		{ "data/", 2044, XS_ERROR, "EINVAL" },
		{ "data/", 4000, XS_ERROR, "EINVAL" },
		{ "/local/domain/%s/data/", 2043, XS_ERROR, "ENOENT" },
		{ "/local/domain/%s/data/", 2044, XS_ERROR, "EINVAL" },
	};
	uint32_t t;

	if (!xsr_store())
		return;
	for (unsigned int i = 0; i < ARRAY_SIZE(c); i++) {
		char dom[12];
		int l;

		snprintf(dom, sizeof(dom), "%u", my_domid());
		l = snprintf(buf, sizeof(buf), c[i].pre, dom);
		memset(buf + l, 'a', c[i].n);
		buf[l + c[i].n] = 0;
		t = ask(XS_READ, buf, (uint32_t)l + c[i].n + 1);
		KT_ASSERT(t == c[i].type && !strncmp(buf, c[i].err, strlen(c[i].err)) &&
			  !strcmp(buf + strlen(c[i].err), "|"), "read of a %u-character path: %u '%s'",
			  l + c[i].n, t, buf);
	}
	/* A 2015-character name does not fit in data's child list (24 + 8 + 2016). */
	memcpy(buf, "data/", 5);
	memset(buf + 5, 'b', 2015);
	buf[2020] = 0;
	t = ask(XS_WRITE, buf, 2021);
	KT_ASSERT(t == XS_ERROR && !strcmp(buf, "ENOSPC|"), "a 2015-character name: %u '%s'", t, buf);
	/* Values: 2015 bytes fit a node with one permission, 2016 do not. */
	for (unsigned int n = 2014; n <= 2017; n++) {
		memcpy(buf, "data/v", 7);
		memset(buf + 7, 'x', n);
		t = ask(XS_WRITE, buf, 7 + n);
		if (n < 2016)
			KT_ASSERT(t == XS_WRITE, "a %u-byte value: %u '%s'", n, t, buf);
		else
			KT_ASSERT(t == XS_ERROR && !strcmp(buf, "ENOSPC|"), "a %u-byte value: %u '%s'", n, t, buf);
	}
	t = ask(XS_RM, "data/v", 7);
	KT_ASSERT(t == XS_RM, "rm data/v: %u '%s'", t, buf);
}

/* 10^5 watches: xenstored takes 129, then says E2BIG to every further one. */
KTEST(hostile, xenstore_watch_flood)
{
	unsigned int n, refused = 0;
	uint32_t t = 0;

	if (!xsr_store())
		return;
	for (n = 0; n < 100000; n++) {
		struct xsd_sockmsg m;
		int l = snprintf(buf, sizeof(buf), "data/q%c%u", 0, n);

		xsr_send(XS_WATCH, ++rid, 0, buf, (uint32_t)l + 1);
		KT_ASSERT(xsr_read(&m, buf, sizeof(buf), XSR_WAIT_NS), "watch %u: no reply", n);
		t = m.type;
		if (t != XS_WATCH)
			break;
		KT_ASSERT(xsr_read(&m, buf, sizeof(buf), XSR_WAIT_NS) && m.type == XS_WATCH_EVENT,
			  "watch %u: no first event", n);
	}
	KT_ASSERT(n == 129 && t == XS_ERROR && !strcmp(buf, "E2BIG|"),
		  "%u watches taken, then type %u '%s'", n, t, buf);
	/* The flood goes on; the answer stays the same and nothing else comes. */
	for (unsigned int k = 0; k < 1000; k++) {
		t = askf(XS_WATCH, "data/r%c%u", 0, k);
		refused += t == XS_ERROR && !strcmp(buf, "E2BIG|");
	}
	KT_ASSERT(refused == 1000, "%u of 1000 further watches refused E2BIG", refused);
	t = ask(XS_RESET_WATCHES, "", 1);
	KT_ASSERT(t == XS_RESET_WATCHES, "reset watches: %u '%s'", t, buf);
	KT_ASSERT(xsr_idle(), "ring not idle");
}

/* How many nodes under the domain's home the domain owns (xenstored counts those). */
static unsigned int owned_nodes(void)
{
	static char stack[64][160];
	unsigned int sp = 0, owned = 0;
	char mine[16];

	unsigned int d = my_domid();

	snprintf(mine, sizeof(mine), "n%u", d);
	snprintf(stack[sp++], sizeof(stack[0]), "/local/domain/%u", d);
	while (sp) {
		char path[160], kids[1024];
		uint32_t len;

		strlcpy(path, stack[--sp], sizeof(path));
		if (ask(XS_GET_PERMS, path, (uint32_t)strlen(path) + 1) != XS_GET_PERMS)
			continue;
		owned += !strncmp(buf, mine, strlen(mine)) && buf[strlen(mine)] == '|';
		if (ask(XS_DIRECTORY, path, (uint32_t)strlen(path) + 1) != XS_DIRECTORY)
			continue;
		strlcpy(kids, buf, sizeof(kids));
		len = (uint32_t)strlen(kids);
		for (char *k = kids, *e; k < kids + len && sp < 64; k = e + 1) {
			for (e = k; *e && *e != '|'; e++)
				;
			*e = 0;
			snprintf(stack[sp++], sizeof(stack[0]), "%s/%s", path, k);
		}
	}
	return owned;
}

/* A node flood ends at 1000 nodes owned by the domain, with ENOSPC; removing them frees the quota. */
KTEST(hostile, xenstore_node_flood)
{
	unsigned int before, n;
	uint32_t t = 0;

	if (!xsr_store())
		return;
	before = owned_nodes();
	/* Fanned out, so no child list outgrows its record first. */
	for (n = 0; n < 100000; n++) {
		t = askf(XS_MKDIR, "data/f%u/%u", n / 100, n % 100);
		if (t != XS_MKDIR)
			break;
	}
	KT_ASSERT(t == XS_ERROR && !strcmp(buf, "ENOSPC|"), "after %u nodes: type %u '%s'", n, t, buf);
	KT_ASSERT(before + n + (n + 99) / 100 == 1000, "%u owned before, %u made, stopped at %u",
		  before, n + (n + 99) / 100, before + n + (n + 99) / 100);
	t = ask(XS_WRITE, "data/f0/0\0z", 11);
	KT_ASSERT(t == XS_WRITE, "a write to an existing node at the quota: %u '%s'", t, buf);
	for (unsigned int k = 0; k <= n / 100; k++) {
		t = askf(XS_RM, "data/f%u", k, 0);
		KT_ASSERT(t == XS_RM, "rm data/f%u: %u '%s'", k, t, buf);
	}
	t = askf(XS_MKDIR, "data/f%u", 0, 0);
	KT_ASSERT(t == XS_MKDIR, "a node after the flood: %u '%s'", t, buf);
	t = askf(XS_RM, "data/f%u", 0, 0);
	KT_ASSERT(t == XS_RM && xsr_idle(), "rm data/f0: %u '%s'", t, buf);
}

/*
 * 100 requests, no reply read: xenstored answers while its replies fit
 * the ring and 20 more wait, stops taking requests, and goes on as the
 * guest reads: all 100 come, in order.
 */
KTEST(hostile, xenstore_replies_unread)
{
	uint32_t first = rid + 1;
	unsigned int got = 0;
	struct xsd_sockmsg m;

	if (!xsr_store())
		return;
	for (unsigned int i = 0; i < 100; i++)
		KT_ASSERT(xsr_send(XS_READ, ++rid, 0, "name", 5), "request %u: the ring stayed full", i);
	kprintf("hostile/xenstore_replies_unread: after 100 requests, %u bytes of replies and %u of "
		"requests wait in the ring\n", xsr_ring->rsp_prod - xsr_ring->rsp_cons,
		xsr_ring->req_prod - xsr_ring->req_cons);
	KT_ASSERT(xsr_ring->rsp_prod - xsr_ring->rsp_cons <= XENSTORE_RING_SIZE,
		  "reply ring over-full: %u", xsr_ring->rsp_prod - xsr_ring->rsp_cons);
	while (got < 100 && xsr_read(&m, buf, sizeof(buf), XSR_WAIT_NS)) {
		KT_ASSERT(m.req_id == first + got && m.type == XS_READ && !strcmp(buf, "paraos"),
			  "reply %u: req %#x type %u '%s'", got, m.req_id, m.type, buf);
		got++;
	}
	KT_ASSERT(got == 100 && xsr_idle(), "%u replies of 100", got);
}
