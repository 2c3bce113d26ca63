/*
 * Xenstore watches, the client's half: a list of the watches we set, each
 * known to xenstored by a token of ours; events the port's handler found
 * for them wait in a small queue, and one thread ("xenwatch") calls the
 * callbacks, one event at a time, so a callback may make requests itself
 * (its replies come through the handler, not this thread). A queue that
 * is full folds further events for a watch into one call with the
 * watch's own path: a change is never lost, only its detail.
 */
#include <xen/errno.h>
#include <xen/io/xs_wire.h>

#include "kernel/kernel.h"
#include "kernel/sched.h"
#include "lib/printf.h"
#include "xen/xenstore.h"
#include "xen/xenstore_core.h"

/* Events waiting for the watch thread; beyond that they fold. */
#define XS_EVENTS		8

static struct xs_watch *watches;
static uint32_t last_token;
static struct {
	struct xs_watch *w;
	char path[XENSTORE_ABS_PATH_MAX + 1];
} events[XS_EVENTS];
static unsigned int ev_head, ev_tail;	/* [ev_tail, ev_head) waiting */
static struct waitq watch_wq, unwatch_wq;
static struct xs_watch *running;	/* whose callback the watch thread is in */
static struct thread *watcher;
static bool want_reconnect;

static struct xs_watch *watch_by_token(const char *token)
{
	for (struct xs_watch *w = watches; w; w = w->next)
		if (!strcmp(w->token, token))
			return w;
	return NULL;
}

/* An event for a watch we no longer have is dropped: it raced our unwatch. */
void xs_watch_event(const char *path, size_t pl, const char *token)
{
	struct xs_watch *w = watch_by_token(token);

	if (!w)
		return;
	if (ev_head - ev_tail == XS_EVENTS || pl >= sizeof(events[0].path)) {
		w->lost = true;
		xs_stats.events_folded++;
	} else {
		events[ev_head % XS_EVENTS].w = w;
		memcpy(events[ev_head % XS_EVENTS].path, path, pl + 1);
		ev_head++;
	}
	wake_up(&watch_wq);
}

void xs_watch_reconnect(void)
{
	want_reconnect = true;
	wake_up(&watch_wq);
}

/* Upcalls masked: w gets no more events, queued or folded. */
static void watch_forget(struct xs_watch *w)
{
	struct xs_watch **pp = &watches;
	unsigned int keep = ev_tail;

	while (*pp && *pp != w)
		pp = &(*pp)->next;
	if (*pp)
		*pp = w->next;
	for (unsigned int i = ev_tail; i != ev_head; i++)
		if (events[i % XS_EVENTS].w != w)
			events[keep++ % XS_EVENTS] = events[i % XS_EVENTS];
	ev_head = keep;
	w->lost = false;
}

static long send_watch(uint32_t type, struct xs_watch *w)
{
	return xs_talk_ok(type, XS_NO_TX, w->path, w->token, (uint32_t)strlen(w->token) + 1);
}

long xs_watch(struct xs_watch *w, const char *path, xs_watch_fn *fn, void *arg)
{
	unsigned int f;
	long rc;

	if (strlcpy(w->path, path, sizeof(w->path)) >= sizeof(w->path))
		return -XEN_E2BIG;
	w->fn = fn;
	w->arg = arg;
	w->lost = false;
	/* In the list before xenstored can fire it (at once, on setting it). */
	f = upcalls_off();
	snprintf(w->token, sizeof(w->token), "pw%u", ++last_token);
	w->next = watches;
	watches = w;
	upcalls_restore(f);
	rc = send_watch(XS_WATCH, w);
	if (rc) {
		f = upcalls_off();
		watch_forget(w);
		upcalls_restore(f);
	}
	return rc;
}

long xs_unwatch(struct xs_watch *w)
{
	unsigned int f = upcalls_off();
	long rc;

	watch_forget(w);
	upcalls_restore(f);
	rc = send_watch(XS_UNWATCH, w);
	/* A callback may unwatch itself; anyone else waits for it to return. */
	if (thread_current() != watcher)
		wait_event(&unwatch_wq, running != w);
	return rc;
}

static struct xs_watch *lost_watch(void)
{
	for (struct xs_watch *w = watches; w; w = w->next)
		if (w->lost)
			return w;
	return NULL;
}

/* A reset ring has no watches: xenstored forgot ours. */
static void reconnect(void)
{
	unsigned int f = upcalls_off();

	want_reconnect = false;
	upcalls_restore(f);
	if (!xenstore_ring_reset())
		return;
	for (struct xs_watch *w = watches; w; w = w->next)
		if (send_watch(XS_WATCH, w))
			kprintf("xenstore: watch on %s not set again after the reset\n", w->path);
}

static void watch_thread(void *unused)
{
	static char path[XENSTORE_ABS_PATH_MAX + 1];

	(void)unused;
	for (;;) {
		unsigned int f = upcalls_off();
		struct xs_watch *w;

		wait_event(&watch_wq, ev_head != ev_tail || lost_watch() || want_reconnect);
		if (want_reconnect) {
			upcalls_restore(f);
			reconnect();
			continue;
		}
		if (ev_head != ev_tail) {
			w = events[ev_tail % XS_EVENTS].w;
			memcpy(path, events[ev_tail % XS_EVENTS].path, sizeof(path));
			ev_tail++;
		} else {
			w = lost_watch();
			w->lost = false;
			strlcpy(path, w->path, sizeof(path));
		}
		running = w;
		upcalls_restore(f);
		w->fn(w, path);
		f = upcalls_off();
		running = NULL;
		wake_up(&unwatch_wq);
		upcalls_restore(f);
	}
}

bool xs_watch_start(void)
{
	watcher = thread_create("xenwatch", watch_thread, NULL);
	return watcher != NULL;
}
