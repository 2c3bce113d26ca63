/*
 * parahost's xenstored, the watches (as C xenstored 4.17's, measured on
 * Xen's harness): 129 per domain (E2BIG past that), each fired once when
 * set, then per change by xenstore.c (xs_fire_now); a relative watch sees
 * relative paths; special @ paths are taken and fire once.
 */
#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "host/host.h"
#include "host/backends/xenstore.h"
#include "host/backends/xenstore_tree.h"

struct watch {
	bool relative;
	uint32_t plen;			/* path (canonical), NUL, token, NUL */
	char buf[XENSTORE_PAYLOAD_MAX];
};

static struct watch watches[XS_QUOTA_WATCHES];
static unsigned int nr_watches;

static void event(const struct watch *w, const char *path)
{
	const char *token = w->buf + w->plen + 1;
	uint32_t pl = (uint32_t)strlen(path) + 1, tl = (uint32_t)strlen(token) + 1;
	struct xsd_sockmsg m = { .type = XS_WATCH_EVENT, .len = pl + tl };
	char buf[XENSTORE_PAYLOAD_MAX];

	if (m.len > XENSTORE_PAYLOAD_MAX)
		return;			/* xenstored drops over-long events */
	memcpy(buf, path, pl);
	memcpy(buf + pl, token, tl);
	xs_queue(&m, buf, false);
}

/* Shown the way the watch was set: relative to the domain's home or not. */
static void event_for(const struct watch *w, const char *name)
{
	size_t n = strlen(dom_path);

	if (w->relative && !strncmp(name, dom_path, n) && name[n] == '/')
		name += n + 1;
	event(w, name);
}

/* xenstored's fire_watches: exact ones only, or all at and above name. */
void xs_fire_now(const char *name, bool exact)
{
	for (unsigned int i = 0; i < nr_watches; i++) {
		const struct watch *w = &watches[i];

		if (exact ? !strcmp(name, w->buf) : xs_is_child(name, w->buf))
			event_for(w, name);
	}
}

void xs_do_watch(const char *pl, uint32_t len, bool add)
{
	char path[XS_KEY_MAX];
	const char *token;
	uint32_t tl;

	if (xs_nr_strings(pl, len) != 2 || len != strlen(pl) + 1 + strlen(pl + strlen(pl) + 1) + 1)
		FAIL("EINVAL");
	token = pl + strlen(pl) + 1;
	if (pl[0] == '@') {
		strlcpy(path, pl, sizeof(path));
	} else if (!xs_canonical(pl, path, sizeof(path))) {
		if (add || strlen(dom_path) + 1 + strlen(pl) >= sizeof(path))
			FAIL(add ? "EINVAL" : "ENOENT");
		snprintf(path, sizeof(path), "%s%s%s", pl[0] == '/' ? "" : dom_path,
			 pl[0] == '/' ? "" : "/", pl);
	}
	tl = (uint32_t)strlen(token) + 1;
	for (unsigned int i = 0; i < nr_watches; i++) {
		struct watch *w = &watches[i];

		if (strcmp(w->buf, path) || strcmp(w->buf + w->plen + 1, token))
			continue;
		if (add)
			FAIL("EEXIST");
		memmove(w, w + 1, (nr_watches - i - 1) * sizeof(*w));
		nr_watches--;
		return xs_ack();
	}
	if (!add)
		FAIL("ENOENT");
	if (nr_watches >= XS_QUOTA_WATCHES)
		FAIL("E2BIG");
	{
		struct watch *w = &watches[nr_watches];
		uint32_t pl2 = (uint32_t)strlen(path);

		if (pl2 + 1 + tl > sizeof(w->buf))
			FAIL("E2BIG");
		w->relative = pl[0] != '/' && pl[0] != '@';
		w->plen = pl2;
		memcpy(w->buf, path, pl2 + 1);
		memcpy(w->buf + pl2 + 1, token, tl);
		nr_watches++;
		xs_ack();
		event_for(w, path);		/* fires once when set */
	}
}


void xs_reset_watches(void)
{
	nr_watches = 0;
}
