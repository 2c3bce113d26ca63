/*
 * The xenstore client (xen/xenstore.h) against the real xenstored: what a
 * domU reads about itself, writes under its data/ node, watches,
 * transactions that conflict, permissions, and several threads waiting
 * at once. Then the client against a server that lies: we write the lies
 * into the response ring ourselves (or into a copy of it, for the
 * server's own indexes).
 *
 * This file's name sorts before xenstore.c on purpose: the wire-level
 * test there removes data/ at its end, and a domU cannot make it again.
 * Everything made here is removed again, and no watch is left set.
 */
#include <xen/errno.h>
#include <xen/io/xs_wire.h>
#include <xen/version.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "kernel/tests/need_store.h"
#include "lib/printf.h"
#include "mm/p2m.h"
#include "xen/start_info.h"
#include "xen/time.h"
#include "xen/xenstore.h"

#define EVENT_WAIT_NS	(10 * NSEC_PER_SEC)

KTEST(xenstore, client_says_when_there_is_none)
{
	char buf[16];
	long rc = xs_read(XS_NO_TX, "domid", buf, sizeof(buf));

	if (is_initial_domain()) {
		KT_ASSERT(xenstore_unavailable() != NULL, "the initial domain has a store at boot");
		KT_ASSERT_EQ(rc, -XEN_ENODEV, "xs_read without a store");
		return;
	}
	KT_ASSERT(xenstore_unavailable() == NULL, "xenstore: %s", xenstore_unavailable());
	KT_ASSERT(rc > 0, "xs_read(domid): %ld", rc);
}

/* The VM path's uuid is the domain handle we were created with. */
static void vm_path(char *want, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	xen_domain_handle_t h;
	size_t n = 4;

	memset(h, 0, sizeof(h));
	hypercall_xen_version(XENVER_guest_handle, h);
	memcpy(want, "/vm/", 4);
	for (unsigned int i = 0; i < 16 && n + 3 < size; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			want[n++] = '-';
		want[n++] = hex[h[i] >> 4];
		want[n++] = hex[h[i] & 15];
	}
	want[n] = '\0';
}

KTEST(xenstore, client_own_domid_name_vm)
{
	char buf[128], path[64], want[64];
	unsigned long domid, again;

	NEED_STORE();
	KT_ASSERT_EQ(xs_read_ulong(XS_NO_TX, "domid", &domid), 0, "domid");
	KT_ASSERT(domid != 0 && domid < DOMID_FIRST_RESERVED, "domid %lu", domid);
	/* The same node by its absolute path, and the path xenstored gives our home. */
	snprintf(path, sizeof(path), "/local/domain/%lu/domid", domid);
	KT_ASSERT_EQ(xs_read_ulong(XS_NO_TX, path, &again), 0, path);
	KT_ASSERT_EQ(again, domid, path);
	KT_ASSERT(xs_read(XS_NO_TX, "name", buf, sizeof(buf)) == 6 && !strcmp(buf, "paraos"),
		  "name '%s'", buf);
	vm_path(want, sizeof(want));
	KT_ASSERT(xs_read(XS_NO_TX, "vm", buf, sizeof(buf)) > 0 && !strcmp(buf, want),
		  "vm '%s', expected '%s'", buf, want);
	/* A value that does not fit is refused, never cut short. */
	KT_ASSERT_EQ(xs_read(XS_NO_TX, "name", buf, 6), -XEN_E2BIG, "name into 6 bytes");
	KT_ASSERT_EQ(xs_read(XS_NO_TX, "nosuch", buf, sizeof(buf)), -XEN_ENOENT, "nosuch");
	KT_ASSERT_EQ(xs_read_ulong(XS_NO_TX, "name", &again), -XEN_EINVAL, "name as a number");
}

/* Does the NUL-separated list hold name? */
static bool listed(const char *list, long n, const char *name)
{
	for (long i = 0; i < n; i++, list += strlen(list) + 1)
		if (!strcmp(list, name))
			return true;
	return false;
}

static void client_write_read_directory_rm(void)
{
	static const char bin[] = { 'a', 0, 'b' };
	char buf[256];
	long n;

	NEED_STORE();
	KT_ASSERT_EQ(xs_write(XS_NO_TX, "data/c/a", "1", 1), 0, "write data/c/a");
	KT_ASSERT_EQ(xs_printf(XS_NO_TX, "data/c/b", "%s-%d", "two", 2), 0, "write data/c/b");
	KT_ASSERT_EQ(xs_write(XS_NO_TX, "data/c/bin", bin, sizeof(bin)), 0, "write data/c/bin");
	KT_ASSERT_EQ(xs_mkdir(XS_NO_TX, "data/c/d"), 0, "mkdir data/c/d");
	KT_ASSERT(xs_read(XS_NO_TX, "data/c/a", buf, sizeof(buf)) == 1 && !strcmp(buf, "1"),
		  "data/c/a '%s'", buf);
	KT_ASSERT(xs_read(XS_NO_TX, "data/c/b", buf, sizeof(buf)) == 5 && !strcmp(buf, "two-2"),
		  "data/c/b '%s'", buf);
	KT_ASSERT(xs_read(XS_NO_TX, "data/c/bin", buf, sizeof(buf)) == 3 && !memcmp(buf, bin, 3),
		  "data/c/bin: a value with a NUL inside");
	KT_ASSERT(xs_read(XS_NO_TX, "data/c/d", buf, sizeof(buf)) == 0 && !buf[0],
		  "data/c/d is empty");
	n = xs_directory(XS_NO_TX, "data/c", buf, sizeof(buf));
	KT_ASSERT(n == 4 && listed(buf, n, "a") && listed(buf, n, "b") && listed(buf, n, "bin") &&
		  listed(buf, n, "d"), "directory data/c: %ld entries", n);
	KT_ASSERT_EQ(xs_directory(XS_NO_TX, "data/c", buf, 4), -XEN_E2BIG, "directory into 4 bytes");
	KT_ASSERT_EQ(xs_rm(XS_NO_TX, "data/c/a"), 0, "rm data/c/a");
	n = xs_directory(XS_NO_TX, "data/c", buf, sizeof(buf));
	KT_ASSERT(n == 3 && !listed(buf, n, "a"), "directory after rm: %ld entries", n);
	KT_ASSERT_EQ(xs_rm(XS_NO_TX, "data/c"), 0, "rm data/c");
	KT_ASSERT_EQ(xs_read(XS_NO_TX, "data/c/b", buf, sizeof(buf)), -XEN_ENOENT, "data/c/b after rm");
	KT_ASSERT_EQ(xs_directory(XS_NO_TX, "data", buf, sizeof(buf)), 0, "data/ is empty again");
}

KTEST(xenstore, client_write_read_directory_rm)
{
	client_write_read_directory_rm();
	xs_rm(XS_NO_TX, "data/c");	/* whatever a failure left */
}

KTEST(xenstore, client_bad_lengths_never_sent)
{
	static char big[XENSTORE_PAYLOAD_MAX + 2];
	uint64_t before;

	NEED_STORE();
	memset(big, 'a', sizeof(big) - 1);
	before = xs_stats.requests;
	KT_ASSERT_EQ(xs_write(XS_NO_TX, "data/big", big, XENSTORE_PAYLOAD_MAX), -XEN_E2BIG,
		     "a value of XENSTORE_PAYLOAD_MAX bytes with its path");
	KT_ASSERT_EQ(xs_read(XS_NO_TX, big, big, sizeof(big)), -XEN_E2BIG, "a path over the payload");
	KT_ASSERT_EQ(xs_stats.requests, before, "requests sent");
}

/* ---- watches ------------------------------------------------------------------ */

struct seen {
	unsigned int n;
	char path[8][64];
	struct xs_watch *w[8];
	struct waitq wq;
};

static void record(struct xs_watch *w, const char *p)
{
	struct seen *s = w->arg;
	unsigned int f = upcalls_off();

	if (s->n < 8) {
		strlcpy(s->path[s->n], p, sizeof(s->path[0]));
		s->w[s->n] = w;
	}
	s->n++;
	wake_up(&s->wq);
	upcalls_restore(f);
}

static bool events_reach(struct seen *s, unsigned int n)
{
	return wait_event_until(&s->wq, s->n >= n, xen_system_time() + EVENT_WAIT_NS);
}

static struct xs_watch w1, w2;
static struct seen s1, s2;

static void client_watch_fires_on_write_and_rm(void)
{

	NEED_STORE();
	memset(&s1, 0, sizeof(s1));
	memset(&s2, 0, sizeof(s2));
	KT_ASSERT_EQ(xs_watch(&w1, "data/w", record, &s1), 0, "watch data/w");
	KT_ASSERT(events_reach(&s1, 1), "no first event when the watch was set");
	KT_ASSERT(!strcmp(s1.path[0], "data/w") && s1.w[0] == &w1, "first event '%s'", s1.path[0]);
	/* A second watch on the same path: its own token, its own events. */
	KT_ASSERT_EQ(xs_watch(&w2, "data/w", record, &s2), 0, "second watch on data/w");
	KT_ASSERT(strcmp(w1.token, w2.token) != 0, "two watches, one token '%s'", w1.token);
	KT_ASSERT(events_reach(&s2, 1), "no first event for the second watch");

	KT_ASSERT_EQ(xs_write(XS_NO_TX, "data/w", "1", 1), 0, "write data/w");
	KT_ASSERT(events_reach(&s1, 2) && events_reach(&s2, 2), "no event on write (%u, %u)",
		  s1.n, s2.n);
	KT_ASSERT(!strcmp(s1.path[1], "data/w") && s1.w[1] == &w1 && s2.w[1] == &w2,
		  "write event '%s'", s1.path[1]);
	KT_ASSERT_EQ(xs_write(XS_NO_TX, "data/w/sub", "2", 1), 0, "write data/w/sub");
	KT_ASSERT(events_reach(&s1, 3), "no event on a write below the watch");
	KT_ASSERT(!strcmp(s1.path[2], "data/w/sub"), "event below '%s'", s1.path[2]);
	KT_ASSERT_EQ(xs_unwatch(&w2), 0, "unwatch the second");

	KT_ASSERT_EQ(xs_rm(XS_NO_TX, "data/w"), 0, "rm data/w");
	KT_ASSERT(events_reach(&s1, 4), "no event on rm");
	KT_ASSERT(!strcmp(s1.path[3], "data/w"), "rm event '%s'", s1.path[3]);
	KT_ASSERT_EQ(xs_unwatch(&w1), 0, "unwatch");
	KT_ASSERT_EQ(xs_unwatch(&w1), -XEN_ENOENT, "unwatch again");
	/* Unwatched: a change is answered, and no event comes with it. */
	KT_ASSERT_EQ(xs_write(XS_NO_TX, "data/w", "3", 1), 0, "write after unwatch");
	KT_ASSERT_EQ(xs_rm(XS_NO_TX, "data/w"), 0, "rm after unwatch");
	sleep_ns(50 * NSEC_PER_MSEC);
	KT_ASSERT(s1.n == 4 && s2.n == 3, "events after unwatch: %u, %u", s1.n, s2.n);
}

KTEST(xenstore, client_watch_fires_on_write_and_rm)
{
	client_watch_fires_on_write_and_rm();
	if (ktest_failed()) {
		/* No watch may outlive the test: the wire test reads the ring itself. */
		xs_unwatch(&w1);
		xs_unwatch(&w2);
	}
	xs_rm(XS_NO_TX, "data/w");
}

/* The watch thread held in a callback: events queue up to 8, the rest fold into one call. */
static struct semaphore gate;
static struct xs_watch wf;
static struct seen sf;

static void held_record(struct xs_watch *w, const char *p)
{
	if (sf.n == 0)
		sem_down(&gate);	/* the first call (the watch being set) waits for the test */
	record(w, p);
}

static void client_watch_events_fold_when_queued_full(void)
{
	uint64_t folded;
	char path[32];

	NEED_STORE();
	memset(&sf, 0, sizeof(sf));
	gate = (struct semaphore){ 0 };
	KT_ASSERT_EQ(xs_watch(&wf, "data/f", held_record, &sf), 0, "watch data/f");
	folded = xs_stats.events_folded;
	/* Each write's event comes before its reply: all 12 are in by the last reply. */
	for (unsigned int i = 0; i < 12; i++) {
		snprintf(path, sizeof(path), "data/f/%u", i);
		KT_ASSERT_EQ(xs_write(XS_NO_TX, path, "x", 1), 0, path);
	}
	KT_ASSERT_EQ(xs_stats.events_folded - folded, 4, "events folded");
	sem_up(&gate);
	KT_ASSERT(events_reach(&sf, 10), "%u calls, expected 10", sf.n);
	sleep_ns(50 * NSEC_PER_MSEC);
	KT_ASSERT_EQ(sf.n, 10, "calls: the first, 8 queued, one for the 4 folded");
	KT_ASSERT(!strcmp(sf.path[0], "data/f") && !strcmp(sf.path[1], "data/f/0") &&
		  !strcmp(sf.path[7], "data/f/6"), "paths '%s' '%s' '%s'", sf.path[0], sf.path[1],
		  sf.path[7]);
	KT_ASSERT_EQ(xs_unwatch(&wf), 0, "unwatch");
}

KTEST(xenstore, client_watch_events_fold_when_queued_full)
{
	client_watch_events_fold_when_queued_full();
	sem_up(&gate);
	xs_unwatch(&wf);
	xs_rm(XS_NO_TX, "data/f");
}

/* ---- transactions ---------------------------------------------------------------- */

static xs_tx_t t1, t2;

static void client_conflicting_transactions(void)
{
	char buf[16];
	long e1, e2;

	NEED_STORE();
	t1 = t2 = XS_NO_TX;
	KT_ASSERT_EQ(xs_write(XS_NO_TX, "data/tx", "0", 1), 0, "write data/tx");
	KT_ASSERT_EQ(xs_transaction_start(&t1), 0, "start the first");
	KT_ASSERT_EQ(xs_transaction_start(&t2), 0, "start the second");
	KT_ASSERT(t1 != t2, "two transactions, one id %u", t1);
	KT_ASSERT_EQ(xs_read(t1, "data/tx", buf, sizeof(buf)), 1, "read in the first");
	KT_ASSERT_EQ(xs_read(t2, "data/tx", buf, sizeof(buf)), 1, "read in the second");
	KT_ASSERT_EQ(xs_write(t1, "data/tx", "1", 1), 0, "write in the first");
	KT_ASSERT_EQ(xs_write(t2, "data/tx", "2", 1), 0, "write in the second");
	/* Not visible outside before the commit. */
	KT_ASSERT(xs_read(XS_NO_TX, "data/tx", buf, sizeof(buf)) == 1 && buf[0] == '0',
		  "data/tx outside both: '%s'", buf);
	e1 = xs_transaction_end(t1, true);
	e2 = xs_transaction_end(t2, true);
	KT_ASSERT(e1 == 0 && e2 == -XEN_EAGAIN, "commits: %ld then %ld, expected 0 then -EAGAIN",
		  e1, e2);
	KT_ASSERT(xs_read(XS_NO_TX, "data/tx", buf, sizeof(buf)) == 1 && buf[0] == '1',
		  "data/tx after the commits: '%s'", buf);
	KT_ASSERT_EQ(xs_transaction_end(t2, true), -XEN_ENOENT, "ending the failed one again");
	KT_ASSERT_EQ(xs_rm(XS_NO_TX, "data/tx"), 0, "rm data/tx");
}

KTEST(xenstore, client_conflicting_transactions)
{
	client_conflicting_transactions();
	if (ktest_failed()) {
		xs_transaction_end(t1, false);
		xs_transaction_end(t2, false);
	}
	xs_rm(XS_NO_TX, "data/tx");
}

/* Read and bump data/tx; on the first try, someone else changes it meanwhile. */
static long bump(xs_tx_t t, void *arg)
{
	unsigned int *calls = arg;
	unsigned long v;
	long rc = xs_read_ulong(t, "data/tx", &v);

	if (rc)
		return rc;
	if ((*calls)++ == 0) {
		rc = xs_write(XS_NO_TX, "data/tx", "10", 2);
		if (rc)
			return rc;
	}
	return xs_printf(t, "data/tx", "%lu", v + 1);
}

static void client_transaction_retried_on_eagain(void)
{
	unsigned int calls = 0, tries = 0;
	unsigned long v = 0;
	long rc;

	NEED_STORE();
	KT_ASSERT_EQ(xs_write(XS_NO_TX, "data/tx", "5", 1), 0, "write data/tx");
	rc = xs_transact(bump, &calls, &tries);
	KT_ASSERT(rc == 0 && tries == 2 && calls == 2, "xs_transact: %ld after %u tries", rc, tries);
	KT_ASSERT_EQ(xs_read_ulong(XS_NO_TX, "data/tx", &v), 0, "read data/tx");
	KT_ASSERT_EQ(v, 11, "data/tx: the retry's value, over the other writer's");
	KT_ASSERT_EQ(xs_rm(XS_NO_TX, "data/tx"), 0, "rm data/tx");
}

KTEST(xenstore, client_transaction_retried_on_eagain)
{
	client_transaction_retried_on_eagain();
	xs_rm(XS_NO_TX, "data/tx");
}

/* ---- permissions ------------------------------------------------------------------ */

static void client_permissions(void)
{
	char buf[64], want[16];
	unsigned long domid;
	long n;

	NEED_STORE();
	KT_ASSERT_EQ(xs_read_ulong(XS_NO_TX, "domid", &domid), 0, "domid");
	/* Another domain's node, and a node of our own that the toolstack keeps. */
	KT_ASSERT_EQ(xs_write(XS_NO_TX, "/local/domain/0/name", "evil", 4), -XEN_EACCES,
		     "write dom0's name");
	KT_ASSERT_EQ(xs_read(XS_NO_TX, "/local/domain/0/name", buf, sizeof(buf)), -XEN_EACCES,
		     "read dom0's name");
	KT_ASSERT_EQ(xs_write(XS_NO_TX, "name", "evil", 4), -XEN_EACCES, "write our name");
	KT_ASSERT_EQ(xs_rm(XS_NO_TX, "domid"), -XEN_EACCES, "rm our domid");
	n = xs_get_perms(XS_NO_TX, "name", buf, sizeof(buf));
	KT_ASSERT(n == 2 && !strcmp(buf, "n0"), "perms of name: %ld '%s'", n, buf);
	snprintf(want, sizeof(want), "r%lu", domid);
	KT_ASSERT(!strcmp(buf + 3, want), "perms of name: '%s', '%s'", buf, buf + 3);
	/* Ours to share: dom0 may read it too. */
	KT_ASSERT_EQ(xs_write(XS_NO_TX, "data/p", "x", 1), 0, "write data/p");
	n = snprintf(buf, sizeof(buf), "n%lu", domid) + 1;
	n += snprintf(buf + n, sizeof(buf) - n, "r0") + 1;
	KT_ASSERT_EQ(xs_set_perms(XS_NO_TX, "data/p", buf, (size_t)n), 0, "set_perms data/p");
	n = xs_get_perms(XS_NO_TX, "data/p", buf, sizeof(buf));
	snprintf(want, sizeof(want), "n%lu", domid);
	KT_ASSERT(n == 2 && !strcmp(buf, want) && !strcmp(buf + strlen(buf) + 1, "r0"),
		  "perms of data/p: %ld '%s'", n, buf);
	KT_ASSERT_EQ(xs_rm(XS_NO_TX, "data/p"), 0, "rm data/p");
}

KTEST(xenstore, client_permissions)
{
	client_permissions();
	xs_rm(XS_NO_TX, "data/p");
}

/* ---- several threads waiting at once ---------------------------------------------- */

#define WAITERS	4

struct waiter {
	unsigned int i;
	long rc;
	char got[16];
};

static void wait_one(void *arg)
{
	struct waiter *w = arg;
	char path[16];

	snprintf(path, sizeof(path), "data/t%u", w->i);
	w->rc = xs_read(XS_NO_TX, path, w->got, sizeof(w->got));
}

static struct waiter ws[WAITERS];

static void client_threads_wait_at_once(void)
{
	struct thread *t[WAITERS];
	char path[16], want[16];
	bool all;

	NEED_STORE();
	for (unsigned int i = 0; i < WAITERS; i++) {
		snprintf(path, sizeof(path), "data/t%u", i);
		KT_ASSERT_EQ(xs_printf(XS_NO_TX, path, "value %u", i), 0, path);
		ws[i] = (struct waiter){ .i = i, .rc = -1 };
	}
	/* Replies stay in the ring until every thread waits for its own. */
	xenstore_hold_replies(true);
	for (unsigned int i = 0; i < WAITERS; i++)
		t[i] = thread_create("xs-waiter", wait_one, &ws[i]);
	for (unsigned int i = 0; i < 100 && xs_stats.in_flight < WAITERS; i++)
		sleep_ns(10 * NSEC_PER_MSEC);
	all = xs_stats.in_flight == WAITERS;
	xenstore_hold_replies(false);
	for (unsigned int i = 0; i < WAITERS; i++)
		if (t[i])
			thread_join(t[i]);
	KT_ASSERT(all, "only %u of %u requests in flight at once", xs_stats.in_flight, WAITERS);
	for (unsigned int i = 0; i < WAITERS; i++) {
		snprintf(want, sizeof(want), "value %u", i);
		KT_ASSERT(ws[i].rc == (long)strlen(want) && !strcmp(ws[i].got, want),
			  "thread %u: %ld '%s'", i, ws[i].rc, ws[i].got);
		snprintf(path, sizeof(path), "data/t%u", i);
		KT_ASSERT_EQ(xs_rm(XS_NO_TX, path), 0, path);
	}
}

KTEST(xenstore, client_threads_wait_at_once)
{
	char path[16];

	client_threads_wait_at_once();
	for (unsigned int i = 0; i < WAITERS; i++) {
		snprintf(path, sizeof(path), "data/t%u", i);
		xs_rm(XS_NO_TX, path);
	}
}

/* ---- a server that lies ------------------------------------------------------------ */

/*
 * We play the lying server: a real request goes out, its real reply is
 * held in the ring, and we forge it there before the client reads it.
 * The client must refuse the reply, fail its waiter with -XEN_EIO, say
 * why the connection broke, and refuse every call after it; then the
 * test drops the lie and connects again.
 */
static struct xenstore_domain_interface *store_ring(void)
{
	return mfn_to_virt(start_info.store_mfn);
}

static void ring_copy(struct xenstore_domain_interface *r, uint32_t at, void *buf, uint32_t n,
		      bool to_ring)
{
	char *b = buf;

	for (uint32_t i = 0; i < n; i++) {
		if (to_ring)
			r->rsp[MASK_XENSTORE_IDX(at + i)] = b[i];
		else
			b[i] = r->rsp[MASK_XENSTORE_IDX(at + i)];
	}
}

/* The held reply: its header and payload as the server wrote them. */
struct forgery {
	struct xsd_sockmsg h;
	char p[64];
};

static void lie(const char *what, void (*forge)(struct forgery *f), const char *says)
{
	struct xenstore_domain_interface *r = store_ring();
	static struct waiter w;
	struct forgery f;
	struct thread *t;
	uint32_t cons = 0;
	char buf[16];
	bool held = false;
	long after;

	KT_ASSERT_EQ(xs_write(XS_NO_TX, "data/t9", "truth", 5), 0, "write data/t9");
	w = (struct waiter){ .i = 9, .rc = 1 };
	xenstore_hold_replies(true);
	t = thread_create("xs-liar", wait_one, &w);
	for (unsigned int i = 0; i < 500 && !held; i++) {
		uint32_t prod = READ_ONCE(r->rsp_prod);

		cons = READ_ONCE(r->rsp_cons);
		rmb();
		if (prod - cons >= sizeof(f.h)) {
			ring_copy(r, cons, &f.h, sizeof(f.h), false);
			held = f.h.len <= sizeof(f.p) && prod - cons == sizeof(f.h) + f.h.len;
		}
		if (!held)
			sleep_ns(NSEC_PER_MSEC);
	}
	if (held) {
		ring_copy(r, cons + sizeof(f.h), f.p, f.h.len, false);
		forge(&f);
		ring_copy(r, cons, &f.h, sizeof(f.h), true);
		ring_copy(r, cons + sizeof(f.h), f.p, f.h.len < sizeof(f.p) ? f.h.len : sizeof(f.p), true);
		wmb();
	}
	xenstore_hold_replies(false);
	if (t)
		thread_join(t);
	after = xs_read(XS_NO_TX, "data/t9", buf, sizeof(buf));
	const char *why = xenstore_unavailable();
	bool said = why && strstr(why, says);

	xenstore_test_recover();
	KT_ASSERT(held, "%s: the reply never came to be forged", what);
	KT_ASSERT_EQ(w.rc, -XEN_EIO, what);
	KT_ASSERT(said, "%s: the client says '%s', expected '%s'", what, why ? why : "nothing", says);
	KT_ASSERT_EQ(after, -XEN_ENODEV, "a request once the connection broke");
	KT_ASSERT(xs_read(XS_NO_TX, "data/t9", buf, sizeof(buf)) == 5 && !strcmp(buf, "truth"),
		  "%s: reading again, once recovered", what);
}

static void forge_req_id(struct forgery *f)	{ f->h.req_id += 1000; }
static void forge_type(struct forgery *f)	{ f->h.type = XS_DIRECTORY; }
static void forge_tx(struct forgery *f)		{ f->h.tx_id = 7; }
static void forge_len(struct forgery *f)	{ f->h.len = XENSTORE_PAYLOAD_MAX + 1; }
static void forge_event(struct forgery *f)
{
	/* A watch event with a path and no token, as long as the reply it replaces. */
	f->h.type = XS_WATCH_EVENT;
	memcpy(f->p, "data\0", 5);
}

static void client_refuses_forged_replies(void)
{
	NEED_STORE();
	lie("a reply to a request nobody made", forge_req_id, "nobody waits for");
	lie("a reply of another type", forge_type, "reply of type 1");
	lie("a reply in another transaction", forge_tx, "in transaction 7");
	lie("a reply longer than XENSTORE_PAYLOAD_MAX", forge_len, "message of 4097 bytes");
	lie("a watch event without a token", forge_event, "not a path and a token");
}

KTEST(xenstore, client_refuses_forged_replies)
{
	client_refuses_forged_replies();
	xenstore_test_recover();
	xs_rm(XS_NO_TX, "data/t9");
}

KTEST(xenstore, client_refuses_bad_ring_indexes)
{
	/* A copy of the ring: the server must never see the lie (xenstored drops a ring it finds bad). */
	static struct xenstore_domain_interface fake __attribute__((aligned(4096)));
	char buf[16];
	long rc;

	NEED_STORE();
	xenstore_hold_replies(true);
	fake = *store_ring();
	/* The server's producer index 2000 bytes past our consumer: more than the ring holds. */
	fake.rsp_prod = fake.rsp_cons + 2000;
	xenstore_test_ring(&fake);
	xenstore_hold_replies(false);
	xenstore_test_ring(NULL);
	rc = xs_read(XS_NO_TX, "domid", buf, sizeof(buf));
	const char *why = xenstore_unavailable();
	bool said = why && strstr(why, "response ring indexes");

	xenstore_test_recover();
	KT_ASSERT(said, "the client says '%s'", why ? why : "nothing");
	KT_ASSERT_EQ(rc, -XEN_ENODEV, "a request once the connection broke");
	KT_ASSERT(xs_read(XS_NO_TX, "domid", buf, sizeof(buf)) > 0, "reading again, once recovered");
}
