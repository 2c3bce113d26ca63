/*
 * A minimal xenstored for the one domU: the store as xl/libxl 4.17 lays it
 * out for a PV guest, served over the guest's xenstore ring
 * (<xen/io/xs_wire.h>) with C xenstored 4.17's answers, measured on Xen's
 * harness (kernel/tests/xenstore*.c, hostile_xenstore.c): relative paths
 * under /local/domain/<id>, permissions, watches (the initial event, then
 * one per change at or below the path; a removal fires each removed node's
 * exact watches, deepest first, then those at or above the root removed),
 * transactions (the guest's own view; EAGAIN at the end if anything they
 * read or wrote changed meanwhile), xenstored's default quotas and the
 * error strings of xsd_errors. The request handlers are here; the store in
 * xenstore_tree.c, the watches in xenstore_watch.c, the ring in
 * xenstore_ring.c. Nothing here touches the
 * machine, so tests/unit/test_xenstore.c runs it under the sanitizers.
 */
/* Before pv.h: its E* macros would make xs_wire.h define its error table. */
#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "host/host.h"
#include "host/backends/xenstore.h"
#include "host/backends/xenstore_tree.h"

struct txn {
	bool used, failed;
	uint32_t id;
};

static struct txn txns[XS_QUOTA_TRANS];
static uint32_t next_tx_id = 1;

/* The request being handled. */
static const struct xsd_sockmsg *req;
static uint32_t cur_tx;

void xs_reply(uint32_t type, const void *data, uint32_t len)
{
	struct xsd_sockmsg m = { .type = type, .req_id = req->req_id, .tx_id = req->tx_id, .len = len };

	xs_queue(&m, data, true);
}

void xs_ack(void)
{
	xs_reply(req->type, "OK", 3);
}

/* In a transaction, watches fire when it commits. */
static void fire(const char *name, bool exact)
{
	struct xs_rec *r;

	if (!cur_tx) {
		xs_fire_now(name, exact);
		return;
	}
	r = xs_record(cur_tx, name);
	if (r) {
		r->fire = true;
		r->fire_exact = exact;
	}
}

/* ---- arguments ------------------------------------------------------------ */

/* xenstored counts the NULs: trailing bytes without one are no string. */
unsigned int xs_nr_strings(const char *p, uint32_t len)
{
	unsigned int n = 0;

	for (uint32_t i = 0; i < len; i++)
		n += !p[i];
	return n;
}

/* Exactly one string, NUL-terminated at the end. */
static const char *onearg(const char *p, uint32_t len)
{
	if (!len || strlen(p) + 1 != len)
		return NULL;
	return p;
}

/* ---- nodes ----------------------------------------------------------------- */

/* What xenstored says for a node we may not see, or that is not there. */
static const char *missing(const char *path, int perm)
{
	char parent[XS_KEY_MAX], cur[XS_KEY_MAX];
	struct xs_rec *p = NULL;

	strlcpy(cur, path, sizeof(cur));
	while (!p && strcmp(cur, "/")) {
		xs_parent(cur, parent);
		p = xs_get(cur_tx, parent);
		strlcpy(cur, parent, sizeof(cur));
	}
	if (p && (xs_perm_of(p, xs_domid) & perm))
		return "ENOENT";
	return "EACCES";
}

/* xenstored's get_node: NULL with *err set if invalid, hidden or absent. */
static struct xs_rec *get_node(const char *name, char *path, int perm, const char **err)
{
	struct xs_rec *r;

	if (!name || !xs_canonical(name, path, XS_KEY_MAX)) {
		*err = "EINVAL";
		return NULL;
	}
	r = xs_get(cur_tx, path);
	if (r && (xs_perm_of(r, xs_domid) & perm) != perm) {
		*err = "EACCES";
		return NULL;
	}
	if (!r)
		*err = missing(path, perm);
	return r;
}

/* A record the guest writes must fit xenstored's entry quota; a failure spoils a transaction. */
static bool fits(const struct xs_rec *r)
{
	if (xs_record_fits(r))
		return true;
	for (unsigned int i = 0; cur_tx && i < ARRAY_SIZE(txns); i++)
		if (txns[i].used && txns[i].id == cur_tx)
			txns[i].failed = true;
	return false;
}

/*
 * parahost's store is out of records (only a transaction can make it
 * so: the guest's own nodes have their quota): the request is ENOMEM and
 * the transaction spoilt, as xenstored after a failed allocation.
 */
static const char *full(void)
{
	for (unsigned int i = 0; cur_tx && i < ARRAY_SIZE(txns); i++)
		if (txns[i].used && txns[i].id == cur_tx)
			txns[i].failed = true;
	return "ENOMEM";
}

static struct xs_rec *writable(const char *path)
{
	return xs_touch(cur_tx, path);
}

static void written(struct xs_rec *r)
{
	if (!cur_tx)
		xs_written(r);
}

/*
 * xenstored's create_node: the missing nodes down to path, each inheriting
 * its parent's permissions with the guest as owner, checked deepest first
 * against the node count and the record size, then the existing parent
 * with its new child. Nothing changes unless all fit.
 */
static const char *create(const char *path, const void *val, uint32_t vlen)
{
	static uint16_t cut[XS_KEY_MAX / 2];	/* the missing prefixes' lengths, deepest first */
	static char pre[XS_KEY_MAX];
	unsigned int n = 0, owned = xs_owned(cur_tx, xs_domid);
	size_t l = strlen(path);
	struct xs_rec *p, probe;

	for (;;) {
		cut[n++] = (uint16_t)l;
		memcpy(pre, path, l);
		pre[l] = 0;
		xs_parent(pre, pre);
		l = strlen(pre);
		if ((p = xs_get(cur_tx, pre)) != NULL)
			break;
	}
	probe.nperms = p->nperms;
	for (unsigned int k = 0; k < n; k++) {
		if (owned + k >= XS_QUOTA_NODES)
			return "ENOSPC";
		probe.vlen = (uint16_t)(k ? 0 : vlen);
		probe.clen = (uint16_t)(k ? cut[k - 1] - cut[k] : 0);	/* its one child's name */
		if (!fits(&probe))
			return "ENOSPC";
	}
	probe = *p;
	probe.clen = (uint16_t)(p->clen + cut[n - 1] - l + (l == 1));
	if (!fits(&probe))
		return "ENOSPC";

	/* All fit: make them, top down. */
	p = writable(pre);
	for (unsigned int k = n; k-- > 0; ) {
		struct xs_rec *r;

		memcpy(pre, path, cut[k]);
		pre[cut[k]] = 0;
		r = xs_new(cur_tx, pre);
		if (!p || !r || !xs_add_child(p, xs_basename(pre)))
			return full();
		written(p);
		r->nperms = p->nperms;
		memcpy(r->perms, p->perms, sizeof(r->perms));
		r->perms[0].id = xs_domid;
		if (!k)
			xs_set_value(r, val, vlen);
		written(r);
		p = r;
	}
	return NULL;
}

static void do_read(const char *pl, uint32_t len, int type)
{
	char path[XS_KEY_MAX];
	const char *err;
	struct xs_rec *r = get_node(onearg(pl, len), path, XS_P_READ, &err);

	if (!r)
		return xs_reply(XS_ERROR, err, (uint32_t)strlen(err) + 1);
	if (type == XS_READ)
		return xs_reply(XS_READ, r->data, r->vlen);
	if (type == XS_DIRECTORY)
		return xs_reply(XS_DIRECTORY, r->data + r->vlen, r->clen);
	{
		static const char letters[] = "nrwb";
		char buf[XS_PERMS_MAX * 12];
		uint32_t n = 0;

		for (unsigned int k = 0; k < r->nperms; k++)
			n += (uint32_t)snprintf(buf + n, sizeof(buf) - n, "%c%u",
						letters[r->perms[k].perm & 3], r->perms[k].id) + 1;
		xs_reply(XS_GET_PERMS, buf, n);
	}
}


static void do_write(const char *pl, uint32_t len, bool mkdir)
{
	char path[XS_KEY_MAX];
	const char *err, *name = mkdir ? onearg(pl, len) : (xs_nr_strings(pl, len) ? pl : NULL);
	uint32_t off = name ? (uint32_t)strlen(name) + 1 : 0;
	struct xs_rec *r = get_node(name, path, XS_P_WRITE, &err);

	if (!r && strcmp(err, "ENOENT"))
		return xs_reply(XS_ERROR, err, (uint32_t)strlen(err) + 1);
	if (!r) {
		err = create(path, pl + off, mkdir ? 0 : len - off);
		if (err)
			return xs_reply(XS_ERROR, err, (uint32_t)strlen(err) + 1);
	} else if (mkdir) {
		return xs_ack();		/* there already: fine, and no event */
	} else {
		struct xs_rec probe = *r;

		probe.vlen = (uint16_t)(len - off);
		if (len - off > XS_DATA_MAX || !fits(&probe))
			FAIL("ENOSPC");
		r = writable(path);
		if (!r)
			FAIL(full());
		xs_set_value(r, pl + off, len - off);
		written(r);
	}
	fire(path, false);
	xs_ack();
}

/*
 * Post-order, as xenstored's walk (and without recursion: a path can be a
 * thousand nodes deep): each node below root fires its exact watches as
 * it goes, root those at and above it.
 */
static bool remove_tree(const char *root)
{
	static char path[XS_KEY_MAX], parent[XS_KEY_MAX];
	size_t rl = strlen(root);

	strlcpy(path, root, sizeof(path));
	for (;;) {
		struct xs_rec *r = xs_get(cur_tx, path), *p;
		size_t l = strlen(path);

		if (r && r->clen && l + 1 + strlen(r->data + r->vlen) < sizeof(path)) {
			snprintf(path + l, sizeof(path) - l, "/%s", r->data + r->vlen);
			continue;
		}
		if (!xs_del(cur_tx, path))
			return false;
		fire(path, l != rl);
		if (l == rl)
			return true;
		xs_parent(path, parent);
		if ((p = writable(parent)) == NULL)
			return false;
		xs_remove_child(p, xs_basename(path));
		strlcpy(path, parent, sizeof(path));
	}
}

static void do_rm(const char *pl, uint32_t len)
{
	char path[XS_KEY_MAX], parent[XS_KEY_MAX];
	const char *err;
	struct xs_rec *r = get_node(onearg(pl, len), path, XS_P_WRITE, &err), *p;

	if (!r) {
		if (!strcmp(err, "ENOENT")) {
			xs_parent(path, parent);
			if (xs_get(cur_tx, parent))
				return xs_ack();	/* not there, parent there: fine */
		}
		return xs_reply(XS_ERROR, err, (uint32_t)strlen(err) + 1);
	}
	if (!strcmp(path, "/"))
		FAIL("EINVAL");
	xs_parent(path, parent);
	if (!remove_tree(path) || (p = writable(parent)) == NULL)
		FAIL(full());
	xs_remove_child(p, xs_basename(path));
	written(p);
	xs_ack();
}

/* xs_strings_to_perms: a letter, then strtol(, 0) to the end. */
static bool parse_perm(const char *s, struct xs_perm *p)
{
	static const char letters[] = "nrwb";
	const char *l = s[0] ? strchr(letters, s[0]) : NULL;
	long v = 0, base = 10, sign = 1;
	const char *q = s + 1;

	if (!l || !*q)
		return false;
	if (*q == '-' || *q == '+')
		sign = *q++ == '-' ? -1 : 1;
	if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
		base = 16, q += 2;
	else if (q[0] == '0')
		base = 8;
	for (; *q; q++) {
		int d = *q >= '0' && *q <= '9' ? *q - '0' :
			*q >= 'a' && *q <= 'f' ? *q - 'a' + 10 :
			*q >= 'A' && *q <= 'F' ? *q - 'A' + 10 : 99;

		if (d >= base)
			return false;
		v = v * base + d;
	}
	p->perm = (uint8_t)(l - letters);
	p->id = (uint32_t)(sign * v);
	return true;
}

static void do_set_perms(const char *pl, uint32_t len)
{
	unsigned int n = xs_nr_strings(pl, len);
	struct xs_perm pe[XS_PERMS_MAX];
	char path[XS_KEY_MAX];
	const char *err, *s;
	struct xs_rec *r, probe;

	if (n < 2)
		FAIL("EINVAL");
	if (--n > XS_QUOTA_PERMS)
		FAIL("ENOSPC");
	s = pl + strlen(pl) + 1;
	for (unsigned int k = 0; k < n; k++, s += strlen(s) + 1)
		if (!parse_perm(s, &pe[k]))
			FAIL("EINVAL");
	if (pl[0] == '@')
		FAIL("ENOENT");		/* special nodes are the toolstack's */
	r = get_node(pl, path, XS_P_WRITE | XS_P_OWNER, &err);
	if (!r)
		return xs_reply(XS_ERROR, err, (uint32_t)strlen(err) + 1);
	if (pe[0].id != r->perms[0].id)
		FAIL("EPERM");		/* the guest may not give its nodes away */
	probe = *r;
	probe.nperms = (uint8_t)n;
	if (!fits(&probe))
		FAIL("ENOSPC");
	r = writable(path);
	if (!r)
		FAIL(full());
	r->nperms = (uint8_t)n;
	memcpy(r->perms, pe, sizeof(pe));
	written(r);
	fire(path, false);
	xs_ack();
}

static struct txn *txn_of(uint32_t id)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(txns); i++)
		if (txns[i].used && txns[i].id == id)
			return &txns[i];
	return NULL;
}

static void do_transaction_start(void)
{
	char id[16];
	int n;

	if (cur_tx)
		FAIL("EBUSY");		/* no nesting */
	for (unsigned int i = 0; i < ARRAY_SIZE(txns); i++) {
		struct txn *t = &txns[i];

		if (t->used)
			continue;
		while (txn_of(next_tx_id) || !next_tx_id)
			next_tx_id++;
		t->used = true;
		t->failed = false;
		t->id = next_tx_id++;
		n = snprintf(id, sizeof(id), "%u", t->id);
		return xs_reply(XS_TRANSACTION_START, id, (uint32_t)n + 1);
	}
	FAIL("ENOSPC");
}

/* Commit: the transaction's records into the store, in the order touched, then their watches. */
static void commit(uint32_t tx)
{
	for (uint32_t seq = 0, i; (i = xs_tx_records_from(tx, seq)) != ~0u; seq = xs_recs[i].seq) {
		struct xs_rec *r = &xs_recs[i], *g;

		if (r->state == REC_LIVE) {
			g = xs_touch(0, r->key);
			if (!g)
				g = xs_new(0, r->key);
			if (!g)
				continue;	/* parahost's store is full */
			g->nperms = r->nperms;
			memcpy(g->perms, r->perms, sizeof(g->perms));
			g->vlen = r->vlen;
			g->clen = r->clen;
			memcpy(g->data, r->data, r->vlen + r->clen);
			xs_written(g);
		} else if (r->state == REC_GONE) {
			xs_del(0, r->key);
		}
	}
	for (uint32_t seq = 0, i; (i = xs_tx_records_from(tx, seq)) != ~0u; seq = xs_recs[i].seq)
		if (xs_recs[i].fire)
			xs_fire_now(xs_recs[i].key, xs_recs[i].fire_exact);
}

static void do_transaction_end(const char *pl, uint32_t len)
{
	const char *arg = onearg(pl, len);
	struct txn *t = txn_of(cur_tx);
	const char *err = NULL;

	if (!arg || (strcmp(arg, "T") && strcmp(arg, "F")))
		FAIL("EINVAL");
	if (!t)
		FAIL("ENOENT");
	if (!strcmp(arg, "T")) {
		if (t->failed)
			err = "ENOMEM";	/* xenstored's answer once a write in it failed */
		else if (xs_tx_conflicts(cur_tx))
			err = "EAGAIN";
		else
			commit(cur_tx);
	}
	xs_tx_drop(cur_tx);
	t->used = false;
	if (err)
		return xs_reply(XS_ERROR, err, (uint32_t)strlen(err) + 1);
	xs_ack();
}

static void do_get_domain_path(const char *pl, uint32_t len)
{
	const char *arg = onearg(pl, len);
	char buf[32];
	unsigned int d = 0;
	const char *q = arg;
	bool neg;

	if (!arg)
		FAIL("EINVAL");
	/* xenstored: atoi, printed unsigned ("abc" is 0, "-1" 4294967295) */
	while (*q == ' ' || (*q >= '\t' && *q <= '\r'))
		q++;
	neg = *q == '-';
	if (*q == '-' || *q == '+')
		q++;
	for (; *q >= '0' && *q <= '9'; q++)
		d = d * 10 + (unsigned int)(*q - '0');
	if (neg)
		d = -d;
	snprintf(buf, sizeof(buf), "/local/domain/%u", d);
	xs_reply(XS_GET_DOMAIN_PATH, buf, (uint32_t)strlen(buf) + 1);
}

/* DIRECTORY_PART: the node's generation, then as many children as fit, "" at the end. */
static void do_directory_part(const char *pl, uint32_t len)
{
	char path[XS_KEY_MAX], buf[XENSTORE_PAYLOAD_MAX];
	const char *err;
	struct xs_rec *r;
	uint32_t off = 0, genlen, n = 0;

	if (xs_nr_strings(pl, len) != 2)
		FAIL("EINVAL");
	if (!(r = get_node(pl, path, XS_P_READ, &err)))
		return xs_reply(XS_ERROR, err, (uint32_t)strlen(err) + 1);
	for (const char *q = pl + strlen(pl) + 1; *q >= '0' && *q <= '9'; q++)
		off = off * 10 + (uint32_t)(*q - '0');
	genlen = (uint32_t)snprintf(buf, sizeof(buf), "%lu", (unsigned long)r->gen) + 1;
	if (off >= r->clen) {
		buf[genlen] = 0;
		return xs_reply(XS_DIRECTORY_PART, buf, genlen + 1);
	}
	for (const char *c = r->data + r->vlen + off; off + n < r->clen; ) {
		uint32_t l = (uint32_t)strlen(c) + 1;

		if (genlen + n + l >= XENSTORE_PAYLOAD_MAX - 1)
			break;
		n += l;
		c += l;
	}
	memcpy(buf + genlen, r->data + r->vlen + off, n);
	if (off + n == r->clen)
		buf[genlen + n++] = 0;
	xs_reply(XS_DIRECTORY_PART, buf, genlen + n);
}

/* pl is NUL-terminated at len (one byte past what the guest sent). */
void xs_handle(const struct xsd_sockmsg *m, const char *pl)
{
	uint32_t len = m->len;
	bool notid = m->type == XS_WATCH || m->type == XS_UNWATCH;

	req = m;
	cur_tx = 0;
	if (m->type >= XS_TYPE_COUNT || m->type == XS_WATCH_EVENT || m->type == XS_ERROR ||
	    m->type == XS_RESET_WATCHES - 1)
		FAIL("ENOSYS");
	switch (m->type) {
	case XS_CONTROL: case XS_INTRODUCE: case XS_RELEASE: case XS_IS_DOMAIN_INTRODUCED:
	case XS_RESUME: case XS_SET_TARGET:
		FAIL("EACCES");		/* dom0's business */
	}
	if (!notid && m->tx_id) {
		if (!txn_of(m->tx_id))
			FAIL("ENOENT");
		cur_tx = m->tx_id;
	}
	switch (m->type) {
	case XS_READ: case XS_DIRECTORY: case XS_GET_PERMS:
		return do_read(pl, len, (int)m->type);
	case XS_DIRECTORY_PART:
		return do_directory_part(pl, len);
	case XS_WRITE:
		return do_write(pl, len, false);
	case XS_MKDIR:
		return do_write(pl, len, true);
	case XS_RM:
		return do_rm(pl, len);
	case XS_SET_PERMS:
		return do_set_perms(pl, len);
	case XS_WATCH:
	case XS_UNWATCH:
		return xs_do_watch(pl, len, m->type == XS_WATCH);
	case XS_RESET_WATCHES:
		/* The protocol's "reset all watches and transactions of the caller". */
		xs_reset_watches();
		for (unsigned int i = 0; i < ARRAY_SIZE(txns); i++)
			if (txns[i].used) {
				xs_tx_drop(txns[i].id);
				txns[i].used = false;
			}
		return xs_ack();
	case XS_TRANSACTION_START:
		return do_transaction_start();
	case XS_TRANSACTION_END:
		return do_transaction_end(pl, len);
	case XS_GET_DOMAIN_PATH:
		return do_get_domain_path(pl, len);
	}
	FAIL("ENOSYS");
}

