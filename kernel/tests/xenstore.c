/*
 * Xenstore as a domU sees it: xl's tree for a PV guest under xenstored
 * 4.17, its permissions, error strings and watch events, through our own
 * ring (start_info.store_mfn). One table of requests in order, each with
 * the answer Xen's harness gave (NULs shown as '|'); "%D" stands for our
 * domid. Answers that name machine resources (the VM's uuid, ring frames,
 * ports, the console's pty) are checked against what start_info and
 * xen_version say instead. The initial domain has no xenstore at boot.
 * The tree must be as xl left it, apart from what earlier tests put and
 * took away again under data/.
 */
#include <xen/errno.h>
#include <xen/io/xs_wire.h>
#include <xen/version.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/tests/xs_raw.h"
#include "lib/printf.h"
#include "mm/p2m.h"
#include "xen/evtchn.h"
#include "xen/start_info.h"
#include "xen/time.h"

static uint32_t req_id;
static char domid[8];

static bool xs_read_msg(struct xsd_sockmsg *m, char *buf, size_t size)
{
	return xsr_read(m, buf, size, XSR_WAIT_NS);
}

static void xs_send(uint32_t type, const char *p1, const char *p2, uint32_t p2len)
{
	char buf[512];
	uint32_t l1 = (uint32_t)strlen(p1) + 1, len = l1 + (p2 ? p2len : 0);

	memcpy(buf, p1, l1);
	if (p2)
		memcpy(buf + l1, p2, p2len);
	xsr_send(type, ++req_id, 0, buf, len);
}

/* "%D" in s becomes our domid. */
static void subst(char *dst, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s && n + 1 < size; s++) {
		if (s[0] == '%' && s[1] == 'D') {
			for (const char *d = domid; *d && n + 1 < size; d++)
				dst[n++] = *d;
			s++;
		} else {
			dst[n++] = *s;
		}
	}
	dst[n] = '\0';
}

static bool decimal_is(const char *s, unsigned long v)
{
	char want[24];

	snprintf(want, sizeof(want), "%lu", v);
	return strcmp(s, want) == 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The VM path's uuid is the domain handle xl created us with. */
static bool vm_path_ok(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	xen_domain_handle_t h;
	char want[48];
	size_t n = 4;

	if (hypercall_xen_version(XENVER_guest_handle, h))
		return false;
	memcpy(want, "/vm/", 4);
	for (unsigned int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			want[n++] = '-';
		want[n++] = hex[h[i] >> 4];
		want[n++] = hex[h[i] & 15];
	}
	want[n] = '\0';
	return strcmp(s, want) == 0;
}

enum check {
	XS_EXACT, XS_DOMID, XS_VM, XS_MEM_KIB, XS_CONSOLE_PORT, XS_STORE_PORT,
	XS_CONSOLE_MFN, XS_STORE_MFN, XS_TTY, XS_TX_ID, XS_DEVICES,
};

/* The transaction the table starts and never uses (every request is outside it). */
static uint32_t open_tx;

static bool check_special(enum check c, const char *got)
{
	switch (c) {
	case XS_DOMID:
		if (!all_digits(got) || strcmp(got, "0") == 0 || strlen(got) >= sizeof(domid))
			return false;
		strlcpy(domid, got, sizeof(domid));
		return true;
	case XS_VM:		return vm_path_ok(got);
	case XS_MEM_KIB:	return decimal_is(got, start_info.nr_pages * 4);
	case XS_CONSOLE_PORT:	return decimal_is(got, start_info.console.domU.evtchn);
	case XS_STORE_PORT:	return decimal_is(got, start_info.store_evtchn);
	case XS_CONSOLE_MFN:	return decimal_is(got, start_info.console.domU.mfn);
	case XS_STORE_MFN:	return decimal_is(got, start_info.store_mfn);
	case XS_TTY:		return strncmp(got, "/dev/pts/", 9) == 0 && all_digits(got + 9);
	/* xl's suspend node, and the vbd of the harness's disk where there is one. */
	case XS_DEVICES:	return strcmp(got, "suspend|") == 0 || strcmp(got, "suspend|vbd|") == 0;
	/* Ids count up per connection: earlier tests (the client's) took some. */
	case XS_TX_ID: {
		char id[12];
		size_t n = strlen(got);

		if (n < 2 || n > sizeof(id) || got[n - 1] != '|')
			return false;
		memcpy(id, got, n - 1);
		id[n - 1] = '\0';
		if (!all_digits(id) || id[0] == '0')
			return false;
		open_tx = 0;
		for (const char *d = id; *d; d++)
			open_tx = open_tx * 10 + (uint32_t)(*d - '0');
		return true;
	}
	default:		return false;
	}
}

struct xs_case {
	uint32_t type;
	const char *path, *value;
	uint32_t value_len;
	uint32_t reply_type;
	const char *reply;
	enum check check;
	const char *event;	/* a watch event xenstored sends before the reply */
	const char *fires;	/* a new watch's first event, right after the reply */
};

#define REQ(t, p, v, vlen, rt, r, ...) \
	{ .type = (t), .path = (p), .value = (v), .value_len = (vlen), .reply_type = (rt), \
	  .reply = (r), __VA_ARGS__ }

static const struct xs_case cases[] = {
	REQ(XS_READ, "name", NULL, 0, XS_READ, "paraos"),
	REQ(XS_READ, "domid", NULL, 0, XS_READ, "", .check = XS_DOMID),
	REQ(XS_READ, "vm", NULL, 0, XS_READ, "", .check = XS_VM),
	REQ(XS_READ, "memory/target", NULL, 0, XS_READ, "", .check = XS_MEM_KIB),
	REQ(XS_READ, "memory/static-max", NULL, 0, XS_READ, "", .check = XS_MEM_KIB),
	REQ(XS_READ, "console/port", NULL, 0, XS_READ, "", .check = XS_CONSOLE_PORT),
	REQ(XS_READ, "console/ring-ref", NULL, 0, XS_READ, "", .check = XS_CONSOLE_MFN),
	REQ(XS_READ, "console/type", NULL, 0, XS_READ, "xenconsoled"),
	REQ(XS_READ, "store/port", NULL, 0, XS_READ, "", .check = XS_STORE_PORT),
	REQ(XS_READ, "nosuch", NULL, 0, XS_ERROR, "ENOENT|"),
	REQ(XS_DIRECTORY, "", NULL, 0, XS_ERROR, "EINVAL|"),
	REQ(XS_DIRECTORY, "control", NULL, 0, XS_DIRECTORY,
		"shutdown|feature-poweroff|feature-reboot|feature-suspend|"
		"sysrq|platform-feature-multiprocessor-suspend|"
		"platform-feature-xs_reset_watches|"),
	REQ(XS_DIRECTORY, "device", NULL, 0, XS_DIRECTORY, "", .check = XS_DEVICES),
	REQ(XS_DIRECTORY, "console", NULL, 0, XS_DIRECTORY,
		"backend|backend-id|limit|type|output|tty|port|ring-ref|"),
	REQ(XS_DIRECTORY, "data", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_GET_DOMAIN_PATH, "%D", NULL, 0, XS_GET_DOMAIN_PATH, "/local/domain/%D|"),
	REQ(XS_WRITE, "data/x", "hello", 5, XS_WRITE, "OK|"),
	REQ(XS_READ, "data/x", NULL, 0, XS_READ, "hello"),
	REQ(XS_WRITE, "name", "evil", 4, XS_ERROR, "EACCES|"),
	REQ(XS_WRITE, "/local/domain/0/x", "evil", 4, XS_ERROR, "EACCES|"),
	REQ(XS_MKDIR, "data/d", NULL, 0, XS_MKDIR, "OK|"),
	REQ(XS_RM, "data/x", NULL, 0, XS_RM, "OK|"),
	REQ(XS_RM, "data/x", NULL, 0, XS_RM, "OK|"),
	REQ(XS_GET_PERMS, "name", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_GET_PERMS, "data", NULL, 0, XS_GET_PERMS, "n1|"),
	REQ(XS_WATCH, "control/shutdown", "tok", 4, XS_WATCH, "OK|", .fires = "control/shutdown|tok|"),
	REQ(XS_UNWATCH, "control/shutdown", "tok", 4, XS_UNWATCH, "OK|"),
	REQ(XS_TRANSACTION_START, "", NULL, 0, XS_TRANSACTION_START, "", .check = XS_TX_ID),
	REQ(XS_READ, "control/platform-feature-multiprocessor-suspend", NULL, 0, XS_READ, "1"),
	REQ(XS_READ, "/local/domain/0/name", NULL, 0, XS_ERROR, "EACCES|"),
	REQ(XS_DIRECTORY, "/", NULL, 0, XS_ERROR, "EACCES|"),
	REQ(99, "x", NULL, 0, XS_ERROR, "ENOSYS|"),
	REQ(XS_READ, "/local/domain/%D", NULL, 0, XS_READ, ""),
	REQ(XS_DIRECTORY, "/local/domain/%D", NULL, 0, XS_DIRECTORY,
		"vm|name|cpu|memory|device|control|data|drivers|feature|attr|"
		"error|domid|store|console|"),
	REQ(XS_GET_PERMS, "/local/domain/%D", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_READ, "memory", NULL, 0, XS_READ, ""),
	REQ(XS_DIRECTORY, "memory", NULL, 0, XS_DIRECTORY, "static-max|target|videoram|"),
	REQ(XS_GET_PERMS, "memory", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_READ, "store", NULL, 0, XS_READ, ""),
	REQ(XS_DIRECTORY, "store", NULL, 0, XS_DIRECTORY, "port|ring-ref|"),
	REQ(XS_GET_PERMS, "store", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_READ, "cpu", NULL, 0, XS_READ, ""),
	REQ(XS_DIRECTORY, "cpu", NULL, 0, XS_DIRECTORY, "0|"),
	REQ(XS_GET_PERMS, "cpu", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_READ, "cpu/0", NULL, 0, XS_READ, ""),
	REQ(XS_DIRECTORY, "cpu/0", NULL, 0, XS_DIRECTORY, "availability|"),
	REQ(XS_GET_PERMS, "cpu/0", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_READ, "image", NULL, 0, XS_ERROR, "ENOENT|"),
	REQ(XS_DIRECTORY, "image", NULL, 0, XS_ERROR, "ENOENT|"),
	REQ(XS_GET_PERMS, "image", NULL, 0, XS_ERROR, "ENOENT|"),
	REQ(XS_READ, "device/suspend", NULL, 0, XS_READ, ""),
	REQ(XS_DIRECTORY, "device/suspend", NULL, 0, XS_DIRECTORY, "event-channel|"),
	REQ(XS_GET_PERMS, "device/suspend", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_READ, "console/backend", NULL, 0, XS_READ, "/local/domain/0/backend/console/1/0"),
	REQ(XS_DIRECTORY, "console/backend", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_GET_PERMS, "console/backend", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_READ, "console/backend-id", NULL, 0, XS_READ, "0"),
	REQ(XS_DIRECTORY, "console/backend-id", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_GET_PERMS, "console/backend-id", NULL, 0, XS_GET_PERMS, "n1|r0|"),
	REQ(XS_READ, "console/limit", NULL, 0, XS_READ, "1048576"),
	REQ(XS_DIRECTORY, "console/limit", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_GET_PERMS, "console/limit", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_READ, "console/output", NULL, 0, XS_READ, "pty"),
	REQ(XS_DIRECTORY, "console/output", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_GET_PERMS, "console/output", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_READ, "console/tty", NULL, 0, XS_READ, "", .check = XS_TTY),
	REQ(XS_DIRECTORY, "console/tty", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_GET_PERMS, "console/tty", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_READ, "store/ring-ref", NULL, 0, XS_READ, "", .check = XS_STORE_MFN),
	REQ(XS_DIRECTORY, "store/ring-ref", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_GET_PERMS, "store/ring-ref", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_READ, "control/shutdown", NULL, 0, XS_READ, ""),
	REQ(XS_DIRECTORY, "control/shutdown", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_GET_PERMS, "control/shutdown", NULL, 0, XS_GET_PERMS, "n1|"),
	REQ(XS_READ, "control/feature-poweroff", NULL, 0, XS_READ, ""),
	REQ(XS_DIRECTORY, "control/feature-poweroff", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_GET_PERMS, "control/feature-poweroff", NULL, 0, XS_GET_PERMS, "n1|"),
	REQ(XS_READ, "control/feature-reboot", NULL, 0, XS_READ, ""),
	REQ(XS_DIRECTORY, "control/feature-reboot", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_GET_PERMS, "control/feature-reboot", NULL, 0, XS_GET_PERMS, "n1|"),
	REQ(XS_READ, "control/feature-suspend", NULL, 0, XS_READ, ""),
	REQ(XS_DIRECTORY, "control/feature-suspend", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_GET_PERMS, "control/feature-suspend", NULL, 0, XS_GET_PERMS, "n1|"),
	REQ(XS_READ, "control/sysrq", NULL, 0, XS_READ, ""),
	REQ(XS_DIRECTORY, "control/sysrq", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_GET_PERMS, "control/sysrq", NULL, 0, XS_GET_PERMS, "n1|"),
	REQ(XS_READ, "control/platform-feature-xs_reset_watches", NULL, 0, XS_READ, "1"),
	REQ(XS_DIRECTORY, "control/platform-feature-xs_reset_watches", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_GET_PERMS, "control/platform-feature-xs_reset_watches", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_READ, "device/suspend/event-channel", NULL, 0, XS_READ, ""),
	REQ(XS_DIRECTORY, "device/suspend/event-channel", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_GET_PERMS, "device/suspend/event-channel", NULL, 0, XS_GET_PERMS, "n1|"),
	REQ(XS_READ, "cpu/0/availability", NULL, 0, XS_READ, "online"),
	REQ(XS_DIRECTORY, "cpu/0/availability", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_GET_PERMS, "cpu/0/availability", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_READ, "memory/videoram", NULL, 0, XS_READ, "0"),
	REQ(XS_DIRECTORY, "memory/videoram", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_GET_PERMS, "memory/videoram", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_READ, "console", NULL, 0, XS_READ, ""),
	REQ(XS_DIRECTORY, "console", NULL, 0, XS_DIRECTORY,
		"backend|backend-id|limit|type|output|tty|port|ring-ref|"),
	REQ(XS_GET_PERMS, "console", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_READ, "/local", NULL, 0, XS_ERROR, "EACCES|"),
	REQ(XS_DIRECTORY, "/local", NULL, 0, XS_ERROR, "EACCES|"),
	REQ(XS_GET_PERMS, "/local", NULL, 0, XS_ERROR, "EACCES|"),
	REQ(XS_READ, "/local/domain", NULL, 0, XS_ERROR, "EACCES|"),
	REQ(XS_DIRECTORY, "/local/domain", NULL, 0, XS_ERROR, "EACCES|"),
	REQ(XS_GET_PERMS, "/local/domain", NULL, 0, XS_ERROR, "EACCES|"),
	REQ(XS_READ, "/vm", NULL, 0, XS_ERROR, "EACCES|"),
	REQ(XS_DIRECTORY, "/vm", NULL, 0, XS_ERROR, "EACCES|"),
	REQ(XS_GET_PERMS, "/vm", NULL, 0, XS_ERROR, "EACCES|"),
	REQ(XS_READ, "serial", NULL, 0, XS_ERROR, "ENOENT|"),
	REQ(XS_DIRECTORY, "serial", NULL, 0, XS_ERROR, "ENOENT|"),
	REQ(XS_GET_PERMS, "serial", NULL, 0, XS_ERROR, "ENOENT|"),
	REQ(XS_READ, "device", NULL, 0, XS_READ, ""),
	REQ(XS_DIRECTORY, "device", NULL, 0, XS_DIRECTORY, "", .check = XS_DEVICES),
	REQ(XS_GET_PERMS, "device", NULL, 0, XS_GET_PERMS, "n0|r1|"),
	REQ(XS_WRITE, "data/deep/new/node", "v", 1, XS_WRITE, "OK|"),
	REQ(XS_DIRECTORY, "data/deep", NULL, 0, XS_DIRECTORY, "new|"),
	REQ(XS_READ, "data/deep", NULL, 0, XS_READ, ""),
	REQ(XS_GET_PERMS, "data/deep/new", NULL, 0, XS_GET_PERMS, "n1|"),
	REQ(XS_MKDIR, "data/d", NULL, 0, XS_MKDIR, "OK|"),
	REQ(XS_WRITE, "control/shutdown", "", 0, XS_WRITE, "OK|"),
	REQ(XS_WRITE, "newtop", "x", 1, XS_ERROR, "EACCES|"),
	REQ(XS_WATCH, "data/w", "t2", 3, XS_WATCH, "OK|", .fires = "data/w|t2|"),
	REQ(XS_WRITE, "data/w", "1", 1, XS_WRITE, "OK|", .event = "data/w|t2|"),
	REQ(XS_WRITE, "data/w/sub", "2", 1, XS_WRITE, "OK|", .event = "data/w/sub|t2|"),
	REQ(XS_RM, "data/w", NULL, 0, XS_RM, "OK|", .event = "data/w|t2|"),
	REQ(XS_UNWATCH, "data/w", "t2", 3, XS_UNWATCH, "OK|"),
	REQ(XS_UNWATCH, "data/w", "t2", 3, XS_ERROR, "ENOENT|"),
	REQ(XS_WATCH, "/local/domain/%D/data/abs", "t3", 3, XS_WATCH,
		"OK|", .fires = "/local/domain/%D/data/abs|t3|"),
	REQ(XS_WRITE, "data/abs", "1", 1, XS_WRITE, "OK|", .event = "/local/domain/%D/data/abs|t3|"),
	REQ(XS_TRANSACTION_END, "T", NULL, 0, XS_ERROR, "ENOENT|"),
	REQ(XS_TRANSACTION_END, "X", NULL, 0, XS_ERROR, "EINVAL|"),
	/* Empty data/ again for the tests after this one (the guest cannot make data/ anew). */
	REQ(XS_RM, "data/deep", NULL, 0, XS_RM, "OK|"),
	REQ(XS_RM, "data/abs", NULL, 0, XS_RM, "OK|", .event = "/local/domain/%D/data/abs|t3|"),
	REQ(XS_RM, "data/d", NULL, 0, XS_RM, "OK|"),
	REQ(XS_DIRECTORY, "data", NULL, 0, XS_DIRECTORY, ""),
	REQ(XS_READ, "/local/domain/2/name", NULL, 0, XS_ERROR, "EACCES|"),
	REQ(XS_RESET_WATCHES, "", NULL, 0, XS_RESET_WATCHES, "OK|"),
	REQ(XS_SET_PERMS, "data/d", "n1\0r0", 6, XS_ERROR, "ENOENT|"),
	REQ(XS_SET_PERMS, "/local/domain/%D/nope", "n1\0r0", 6, XS_ERROR, "EACCES|"),
	REQ(XS_GET_PERMS, "data/d", NULL, 0, XS_ERROR, "ENOENT|"),
	REQ(XS_CONTROL, "print", "x", 2, XS_ERROR, "EACCES|"),
	REQ(XS_IS_DOMAIN_INTRODUCED, "%D", NULL, 0, XS_ERROR, "EACCES|"),
	REQ(XS_INTRODUCE, "%D", NULL, 0, XS_ERROR, "EACCES|"),
};

KTEST(xenstore, ring_idle)
{
	if (is_initial_domain()) {
		/* dom0 runs xenstored itself: nothing to connect to at boot. */
		KT_ASSERT(start_info.store_mfn == 0 && start_info.store_evtchn == 0,
			  "dom0 has a store ring (mfn %#lx, port %u)",
			  (unsigned long)start_info.store_mfn, start_info.store_evtchn);
		return;
	}
	xsr_init();
	/* Whoever used it before us left nothing in flight; xenstored 4.17
	 * offers no ring features and keeps the connection up. */
	KT_ASSERT(xsr_idle(), "ring indexes %u/%u %u/%u", xsr_ring->req_cons, xsr_ring->req_prod,
		  xsr_ring->rsp_cons, xsr_ring->rsp_prod);
	KT_ASSERT_EQ(xsr_ring->server_features, 0, "server features");
	KT_ASSERT_EQ(xsr_ring->connection, XENSTORE_CONNECTED, "connection state");
}

static bool expect_event(const char *what, const char *want)
{
	struct xsd_sockmsg m;
	char got[512], exp[256];

	subst(exp, sizeof(exp), want);
	if (!xs_read_msg(&m, got, sizeof(got))) {
		KT_FAIL("%s: no watch event", what);
		return false;
	}
	if (m.type != XS_WATCH_EVENT || strcmp(got, exp) != 0) {
		KT_FAIL("%s: got type %u '%s', expected watch event '%s'", what, m.type, got, exp);
		return false;
	}
	return true;
}

KTEST(xenstore, requests)
{
	if (is_initial_domain())
		return;		/* no xenstore: see ring_idle */
	xsr_init();
	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct xs_case *c = &cases[i];
		char path[128], want[512], got[512];
		struct xsd_sockmsg m;

		subst(path, sizeof(path), c->path);
		subst(want, sizeof(want), c->reply);
		xs_send(c->type, path, c->value, c->value_len);
		if (c->event && !expect_event(path, c->event))
			return;
		KT_ASSERT(xs_read_msg(&m, got, sizeof(got)), "request %u (%s): no reply", i, path);
		KT_ASSERT(m.req_id == req_id, "request %u (%s): reply to request %u", i, path, m.req_id);
		KT_ASSERT(m.type == c->reply_type, "request %u (%s): reply type %u, expected %u ('%s')",
			  i, path, m.type, c->reply_type, got);
		if (c->check != XS_EXACT)
			KT_ASSERT(check_special(c->check, got), "request %u (%s): '%s'", i, path, got);
		else
			KT_ASSERT(strcmp(got, want) == 0, "request %u (%s): '%s', expected '%s'",
				  i, path, got, want);
		if (c->fires && !expect_event(path, c->fires))
			return;
	}
	/* RESET_WATCHES in the table ended the transaction it started, too. */
	if (open_tx) {
		struct xsd_sockmsg m;
		char got[64];

		xsr_send(XS_TRANSACTION_END, 0x5ffe, open_tx, "F", 2);
		KT_ASSERT(xsr_read(&m, got, sizeof(got), XSR_WAIT_NS) && m.type == XS_ERROR &&
			  strcmp(got, "ENOENT|") == 0, "ending transaction %u after RESET_WATCHES: "
			  "type %u '%s', expected ENOENT", open_tx, m.type, got);
		open_tx = 0;
	}
	KT_ASSERT(xsr_idle(), "ring not drained: %u/%u %u/%u", xsr_ring->req_cons,
		  xsr_ring->req_prod, xsr_ring->rsp_cons, xsr_ring->rsp_prod);
}

#define ST(t, p, rt, r, ...) \
	{ .type = XS_##t, XSR_S(p), .reply_type = XS_##rt, .reply = (r), __VA_ARGS__ }
#define OK(t, p, ...)	ST(t, p, t, "OK|", __VA_ARGS__)
#define ERR(t, p, e, ...) ST(t, p, ERROR, e "|", __VA_ARGS__)

/*
 * Watches as xenstored fires them: once when set (special @ paths too),
 * for the one node a MKDIR makes (not its new parents), not for a MKDIR of
 * what exists; a removal fires each removed node's exact watches, deepest
 * first, then the watches at and above the removed root, in the order set.
 */
KTEST(xenstore, watches)
{
	static const struct xsr_step steps[] = {
		OK(WATCH, "data/w\0t\0", .after = { "data/w|t|" }),
		OK(MKDIR, "data/w/c/d\0", .before = { "data/w/c/d|t|" }),
		OK(WRITE, "data/w/c/d\0v", .before = { "data/w/c/d|t|" }),
		OK(MKDIR, "data/w/c/d\0"),
		OK(WATCH, "data\0t2\0", .after = { "data|t2|" }),
		OK(WATCH, "data/w/c/d\0t3\0", .after = { "data/w/c/d|t3|" }),
		ERR(WATCH, "data\0t2\0", "EEXIST"),
		OK(RM, "data/w\0", .before = { "data/w/c/d|t3|", "data/w|t|", "data/w|t2|" }),
		OK(RM, "data/w\0"),
		ERR(RM, "data/w/x/y\0", "ENOENT"),
		OK(SET_PERMS, "data\0n1\0", .before = { "data|t2|" }),
		OK(WATCH, "@releaseDomain\0t4\0", .after = { "@releaseDomain|t4|" }),
		OK(WATCH, "@introduceDomain\0t5\0", .after = { "@introduceDomain|t5|" }),
		OK(WATCH, "data/w\0\0", .after = { "data/w||" }),
		OK(WATCH, "/local/domain/0\0t7\0", .after = { "/local/domain/0|t7|" }),
		ERR(UNWATCH, "data\0nope\0", "ENOENT"),
		OK(RESET_WATCHES, "junk"),
		OK(WRITE, "data/w\0" "1"),
		OK(RM, "data/w\0"),
	};

	if (xsr_store())
		xsr_run("watches", steps, ARRAY_SIZE(steps));
}

/*
 * SET_PERMS: more than 5 entries is ENOSPC before anything is parsed; a
 * bad entry EINVAL; the owner may not change (EPERM); only the owner may
 * set them (EACCES); strtol ids, unchecked; bytes after the last NUL are
 * no entry. New nodes inherit their parent's permissions, owned by their
 * creator.
 */
KTEST(xenstore, permissions)
{
	static const struct xsr_step steps[] = {
		OK(MKDIR, "data/p\0"),
		OK(SET_PERMS, "data/p\0n1\0r0\0"),
		ST(GET_PERMS, "data/p\0", GET_PERMS, "n1|r0|"),
		ERR(SET_PERMS, "data/p\0n0\0", "EPERM"),
		ERR(SET_PERMS, "data/p\0x1\0", "EINVAL"),
		ERR(SET_PERMS, "data/p\0", "EINVAL"),
		OK(SET_PERMS, "data/p\0n1\0r2\0w3\0b4\0r5\0"),
		ST(GET_PERMS, "data/p\0", GET_PERMS, "n1|r2|w3|b4|r5|"),
		ERR(SET_PERMS, "data/p\0n1\0r2\0w3\0b4\0r5\0r6\0", "ENOSPC"),
		ERR(SET_PERMS, "data/p\0x1\0r2\0w3\0b4\0r5\0r6\0", "ENOSPC"),
		ERR(SET_PERMS, "data/p\0n1\0r\0", "EINVAL"),
		ERR(SET_PERMS, "data/p\0n1x\0", "EINVAL"),
		OK(SET_PERMS, "data/p\0n1\0r99999\0"),
		OK(SET_PERMS, "data/p\0n1\0r-1\0"),
		ERR(SET_PERMS, "name\0n1\0", "EACCES"),
		ERR(SET_PERMS, "data/nope\0n1\0", "ENOENT"),
		ERR(SET_PERMS, "@releaseDomain\0n1\0", "ENOENT"),
		ERR(SET_PERMS, "/\0n1\0", "EACCES"),
		OK(SET_PERMS, "data/p\0b1\0"),
		ST(GET_PERMS, "data/p\0", GET_PERMS, "b1|"),
		OK(SET_PERMS, "data/p\0n1\0r0"),
		ST(GET_PERMS, "data/p\0", GET_PERMS, "n1|"),
		OK(SET_PERMS, "data/p\0n1\0w0\0"),
		OK(MKDIR, "data/p/c\0"),
		ST(GET_PERMS, "data/p/c\0", GET_PERMS, "n1|w0|"),
		OK(SET_PERMS, "control/shutdown\0n1\0r0\0"),
		ST(GET_PERMS, "control/shutdown\0", GET_PERMS, "n1|r0|"),
		OK(SET_PERMS, "control/shutdown\0n1\0"),
		OK(RM, "data/p\0"),
	};

	if (xsr_store())
		xsr_run("permissions", steps, ARRAY_SIZE(steps));
}
