/*
 * xenstored's store (see xenstore_tree.h): records by path, their
 * generations, permissions, children lists and the transactions' own
 * records; path validation as xenstored 4.17's. The protocol is in
 * xenstore.c.
 */
#include "host/host.h"
#include "host/backends/xenstore_tree.h"

struct xs_rec xs_recs[XS_RECORDS];
uint64_t xs_generation;
char dom_path[32];
static uint32_t next_seq;

static uint32_t hash_of(const char *s)
{
	uint32_t h = 5381;

	while (*s)
		h = h * 33 + (uint8_t)*s++;
	return h;
}

/* Records by hash of their key, so a lookup is not a scan (a flood makes thousands). */
#define BUCKETS	2048
static int16_t bucket[BUCKETS], chain[XS_RECORDS];
static unsigned int free_hint;

void xs_reset(void)
{
	memset(xs_recs, 0, sizeof(xs_recs));
	memset(bucket, 0xff, sizeof(bucket));
	free_hint = 0;
}

static struct xs_rec *find(uint32_t tx, const char *key)
{
	uint32_t h = hash_of(key);

	for (int i = bucket[h % BUCKETS]; i >= 0; i = chain[i]) {
		struct xs_rec *r = &xs_recs[i];

		if (r->tx == tx && r->hash == h && !strcmp(r->key, key))
			return r;
	}
	return NULL;
}

static void release(struct xs_rec *r)
{
	int i = (int)(r - xs_recs);
	int16_t *p = &bucket[r->hash % BUCKETS];

	while (*p >= 0 && *p != i)
		p = &chain[*p];
	if (*p == i)
		*p = chain[i];
	r->state = REC_FREE;
	if ((unsigned int)i < free_hint)
		free_hint = (unsigned int)i;
}

static struct xs_rec *alloc(uint32_t tx, const char *key)
{
	for (unsigned int i = free_hint; i < XS_RECORDS; i++) {
		struct xs_rec *r = &xs_recs[i];

		if (r->state != REC_FREE)
			continue;
		free_hint = i + 1;
		memset(r, 0, offsetof(struct xs_rec, key));
		r->state = REC_SEEN;		/* the caller sets what it is */
		r->tx = tx;
		r->hash = hash_of(key);
		r->seq = ++next_seq;
		strlcpy(r->key, key, sizeof(r->key));
		chain[i] = bucket[r->hash % BUCKETS];
		bucket[r->hash % BUCKETS] = (int16_t)i;
		return r;
	}
	free_hint = XS_RECORDS;
	return NULL;
}

struct xs_rec *xs_get(uint32_t tx, const char *key)
{
	struct xs_rec *r;

	if (tx && (r = find(tx, key)) != NULL) {
		if (r->state == REC_LIVE)
			return r;
		if (r->state == REC_GONE)
			return NULL;
	}
	r = find(0, key);
	if (tx && !find(tx, key)) {
		/* First access: remember the generation it had (xenstored's access_node). */
		struct xs_rec *s = alloc(tx, key);

		if (s) {
			s->state = REC_SEEN;
			s->gen = r ? r->gen : XS_NO_GEN;
		}
	}
	return r;
}

struct xs_rec *xs_touch(uint32_t tx, const char *key)
{
	struct xs_rec *r, *g;

	if (!tx)
		return find(0, key);
	r = find(tx, key);
	if (r && r->state == REC_LIVE)
		return r;
	if (r && r->state == REC_GONE)
		return NULL;
	g = find(0, key);
	if (!g)
		return NULL;
	if (!r) {
		r = alloc(tx, key);
		if (!r)
			return NULL;
		r->gen = g->gen;
	}
	r->state = REC_LIVE;
	r->nperms = g->nperms;
	memcpy(r->perms, g->perms, sizeof(r->perms));
	r->vlen = g->vlen;
	r->clen = g->clen;
	memcpy(r->data, g->data, g->vlen + g->clen);
	return r;
}

struct xs_rec *xs_new(uint32_t tx, const char *key)
{
	struct xs_rec *r = tx ? find(tx, key) : NULL;

	if (!r) {
		r = alloc(tx, key);
		if (!r)
			return NULL;
		r->gen = XS_NO_GEN;
	} else if (r->state == REC_SEEN) {
		/* Seen absent (or gone since): keep the generation it was seen with. */
	}
	r->state = REC_LIVE;
	r->nperms = 0;
	r->vlen = r->clen = 0;
	if (!tx)
		xs_written(r);
	return r;
}

struct xs_rec *xs_record(uint32_t tx, const char *key)
{
	return find(tx, key);
}

bool xs_del(uint32_t tx, const char *key)
{
	struct xs_rec *r;

	if (!tx) {
		if ((r = find(0, key)) != NULL)
			release(r);
		return true;
	}
	r = find(tx, key);
	if (!r) {
		struct xs_rec *g = find(0, key);

		r = alloc(tx, key);
		if (!r)
			return false;
		r->gen = g ? g->gen : XS_NO_GEN;
	}
	r->state = REC_GONE;
	return true;
}

void xs_written(struct xs_rec *r)
{
	r->gen = ++xs_generation;
}

/* A transaction conflicts if anything it touched changed in the store since. */
bool xs_tx_conflicts(uint32_t tx)
{
	for (unsigned int i = 0; i < XS_RECORDS; i++) {
		struct xs_rec *r = &xs_recs[i], *g;

		if (r->state == REC_FREE || r->tx != tx)
			continue;
		g = find(0, r->key);
		if ((g ? g->gen : XS_NO_GEN) != r->gen)
			return true;
	}
	return false;
}

void xs_tx_drop(uint32_t tx)
{
	for (unsigned int i = 0; i < XS_RECORDS; i++)
		if (xs_recs[i].state != REC_FREE && xs_recs[i].tx == tx)
			release(&xs_recs[i]);
}

/* The index of tx's next record after seq, in the order it touched them (-1: none). */
uint32_t xs_tx_records_from(uint32_t tx, uint32_t seq)
{
	uint32_t best = ~0u, idx = ~0u;

	for (unsigned int i = 0; i < XS_RECORDS; i++) {
		const struct xs_rec *r = &xs_recs[i];

		if (r->state != REC_FREE && r->tx == tx && r->seq > seq && r->seq < best) {
			best = r->seq;
			idx = i;
		}
	}
	return idx;
}

/* Nodes dom owns (xenstored's per-domain entry count); a transaction adds its new ones. */
unsigned int xs_owned(uint32_t tx, unsigned int dom)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < XS_RECORDS; i++) {
		const struct xs_rec *r = &xs_recs[i];

		if (r->state != REC_LIVE || r->perms[0].id != dom)
			continue;
		if (r->tx == 0 || (r->tx == tx && r->gen == XS_NO_GEN))
			n++;
	}
	return n;
}

int xs_perm_of(const struct xs_rec *r, unsigned int dom)
{
	if (r->perms[0].id == dom)
		return XS_P_BOTH | XS_P_OWNER;		/* the owner */
	for (unsigned int k = 1; k < r->nperms; k++)
		if (r->perms[k].id == dom)
			return r->perms[k].perm;
	return r->perms[0].perm;
}

/* xenstored's entry-size quota on a node record the guest writes. */
bool xs_record_fits(const struct xs_rec *r)
{
	return XS_RECORD_HDR + XS_RECORD_PERM * r->nperms + r->vlen + r->clen < XS_QUOTA_RECORD;
}

bool xs_set_value(struct xs_rec *r, const void *v, uint32_t len)
{
	if (len + r->clen > sizeof(r->data))
		return false;
	memmove(r->data + len, r->data + r->vlen, r->clen);
	memcpy(r->data, v, len);
	r->vlen = (uint16_t)len;
	return true;
}

bool xs_add_child(struct xs_rec *parent, const char *name)
{
	uint32_t l = (uint32_t)strlen(name) + 1;

	if (parent->vlen + parent->clen + l > sizeof(parent->data))
		return false;
	memcpy(parent->data + parent->vlen + parent->clen, name, l);
	parent->clen = (uint16_t)(parent->clen + l);
	return true;
}

void xs_remove_child(struct xs_rec *parent, const char *name)
{
	char *c = parent->data + parent->vlen, *end = c + parent->clen;

	for (; c < end; c += strlen(c) + 1) {
		uint32_t l = (uint32_t)strlen(c) + 1;

		if (strcmp(c, name))
			continue;
		memmove(c, c + l, (size_t)(end - c - l));
		parent->clen = (uint16_t)(parent->clen - l);
		return;
	}
}

/* ---- paths --------------------------------------------------------------- */

/*
 * xenstored's is_valid_nodename: absolute, no trailing or double slash,
 * its characters, and at most XS_QUOTA_PATH past /local/domain/<id>/ (or
 * in all, elsewhere).
 */
static bool valid_path(const char *p)
{
	size_t n = strlen(p), local = 0;

	if (p[0] != '/' || (n > 1 && p[n - 1] == '/') || n > XENSTORE_ABS_PATH_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '/' || c == '_' || c == '@'))
			return false;
		if (c == '/' && p[i + 1] == '/')
			return false;
	}
	if (!strncmp(p, "/local/domain/", 14)) {
		size_t d = 14;

		while (d < n && d < 19 && p[d] >= '0' && p[d] <= '9')
			d++;
		if (d > 14 && p[d] == '/')
			local = d + 1;
	}
	return n <= local + XS_QUOTA_PATH;
}

/* Relative paths live under /local/domain/<id>; out is at least XS_KEY_MAX. */
bool xs_canonical(const char *in, char *out, size_t size)
{
	if (in[0] == '/' || in[0] == '@') {
		if (strlen(in) >= size)
			return false;
		strlcpy(out, in, size);
	} else if ((size_t)snprintf(out, size, "%s/%s", dom_path, in) >= size) {
		return false;
	}
	return valid_path(out);
}

void xs_parent(const char *path, char *out)
{
	size_t cut = 0;

	for (size_t i = 1; path[i]; i++)
		if (path[i] == '/')
			cut = i;
	if (!cut) {
		out[0] = '/';
		out[1] = 0;
		return;
	}
	memmove(out, path, cut);
	out[cut] = 0;
}

const char *xs_basename(const char *path)
{
	const char *b = path;

	for (; *path; path++)
		if (*path == '/')
			b = path + 1;
	return b;
}

bool xs_is_child(const char *child, const char *parent)
{
	size_t n = strlen(parent);

	if (!strcmp(parent, "/"))
		return true;
	return !strncmp(child, parent, n) && (child[n] == '/' || child[n] == 0);
}

/* ---- the builder's nodes ----------------------------------------------- */

void xs_set_perms(struct xs_rec *r, unsigned int owner, int other, int dom, int perm)
{
	r->nperms = 1;
	r->perms[0].id = owner;
	r->perms[0].perm = (uint8_t)other;
	if (dom >= 0) {
		r->perms[1].id = (uint32_t)dom;
		r->perms[1].perm = (uint8_t)perm;
		r->nperms = 2;
	}
}

/* The node, made with its missing parents as the toolstack makes them (inheriting permissions). */
static struct xs_rec *ensure(const char *path)
{
	char parent[XS_KEY_MAX];
	struct xs_rec *r = find(0, path), *p;

	if (r)
		return r;
	xs_parent(path, parent);
	p = ensure(parent);
	r = xs_new(0, path);
	if (!r || !xs_add_child(p, xs_basename(path)))
		panic("xenstore: store full");
	r->nperms = p->nperms;
	memcpy(r->perms, p->perms, sizeof(r->perms));
	return r;
}

struct xs_rec *xs_put(const char *rel, const char *value)
{
	char path[XS_KEY_MAX];

	snprintf(path, sizeof(path), "%s%s%s", dom_path, *rel ? "/" : "", rel);
	return xs_put_abs(path, value);
}

struct xs_rec *xs_put_abs(const char *path, const char *value)
{
	struct xs_rec *r = ensure(path);

	xs_set_value(r, value, (uint32_t)strlen(value));
	xs_written(r);
	return r;
}
