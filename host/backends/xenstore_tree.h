/*
 * The store of parahost's xenstored (xenstore_tree.c), shared with the
 * protocol side (xenstore.c). As C xenstored keeps it: one record per
 * node, keyed by its absolute path, holding the node's permissions, its
 * value and its children's names (xenstored's TDB record), and a
 * generation that changes with every write. A transaction keeps its own
 * records for what it touched (xenstored prefixes the key with the
 * transaction instead), checked against the store's generations when it
 * ends.
 */
#ifndef HOST_BACKENDS_XENSTORE_TREE_H
#define HOST_BACKENDS_XENSTORE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

/*
 * xenstored 4.17's default quotas for an unprivileged domain, measured on
 * Xen's harness: 1000 nodes owned, a node record under 2048 bytes (24 of
 * header, 8 per permission, the value, the children's names), 5
 * permissions, 129 watches, 11 open transactions, a path at most 2048
 * beyond /local/domain/<id>/, 20 replies waiting to be read.
 */
#define XS_QUOTA_NODES		1000
#define XS_QUOTA_RECORD		2048
#define XS_RECORD_HDR		24
#define XS_RECORD_PERM		8
#define XS_QUOTA_PERMS		5
#define XS_QUOTA_WATCHES	129
#define XS_QUOTA_TRANS		11
#define XS_QUOTA_PATH		XENSTORE_REL_PATH_MAX
#define XS_QUOTA_OUTSTANDING	20

#define XS_KEY_MAX	(sizeof("/local/domain/65535/") + XS_QUOTA_PATH)
#define XS_DATA_MAX	XS_QUOTA_RECORD
#define XS_PERMS_MAX	XS_QUOTA_PERMS
/*
 * The guest's quota, the builder's nodes, and room for transactions: one
 * can touch as many nodes as xenstored's transaction-nodes quota (1024).
 */
#define XS_QUOTA_TRANS_NODES	1024
#define XS_RECORDS	(XS_QUOTA_NODES + 100 + XS_QUOTA_TRANS_NODES)
#define XS_NO_GEN	(~0ull)

enum xs_perm_bits { XS_P_NONE = 0, XS_P_READ = 1, XS_P_WRITE = 2, XS_P_BOTH = 3, XS_P_OWNER = 4 };

struct xs_perm {
	uint32_t id;
	uint8_t perm;
};

enum rec_state { REC_FREE, REC_LIVE, REC_GONE, REC_SEEN };

struct xs_rec {
	uint8_t state;
	uint8_t nperms;
	bool fire, fire_exact;		/* a transaction's change: watches at commit */
	uint32_t tx;			/* 0: the store; else that transaction's record */
	uint32_t hash, seq;
	uint16_t vlen, clen;		/* data: the value, then the children's names */
	uint64_t gen;			/* in a transaction: the store's when first touched */
	struct xs_perm perms[XS_PERMS_MAX];
	char key[XS_KEY_MAX];
	char data[XS_DATA_MAX];
};

extern struct xs_rec xs_recs[XS_RECORDS];
extern uint64_t xs_generation;
extern char dom_path[32];

/* An empty store. */
void xs_reset(void);
/* The record for key as transaction tx sees it (NULL: no such node). */
struct xs_rec *xs_get(uint32_t tx, const char *key);
/* tx's own record for key, made from the store's on first use (NULL: full). */
struct xs_rec *xs_touch(uint32_t tx, const char *key);
/* A new node's record (tx's, or the store's with tx 0); NULL: full. */
struct xs_rec *xs_new(uint32_t tx, const char *key);
/* tx's own record for key, whatever its state (NULL: none). */
struct xs_rec *xs_record(uint32_t tx, const char *key);
/* Remove key from what tx sees (false: no record left to say so). */
bool xs_del(uint32_t tx, const char *key);
/* The node changed: a new generation (the store's records only). */
void xs_written(struct xs_rec *r);
/* A transaction's records: commit (false: a conflict) or drop. */
bool xs_tx_conflicts(uint32_t tx);
void xs_tx_drop(uint32_t tx);
uint32_t xs_tx_records_from(uint32_t tx, uint32_t seq);

unsigned int xs_owned(uint32_t tx, unsigned int dom);
int xs_perm_of(const struct xs_rec *r, unsigned int dom);
bool xs_record_fits(const struct xs_rec *r);
bool xs_add_child(struct xs_rec *parent, const char *name);
void xs_remove_child(struct xs_rec *parent, const char *name);
bool xs_set_value(struct xs_rec *r, const void *v, uint32_t len);

/* Paths. */
bool xs_canonical(const char *in, char *out, size_t size);
void xs_parent(const char *path, char *out);
const char *xs_basename(const char *path);
bool xs_is_child(const char *child, const char *parent);

/* The builder's nodes (no quota, no permission checks). */
struct xs_rec *xs_put(const char *rel, const char *value);
struct xs_rec *xs_put_abs(const char *path, const char *value);
void xs_set_perms(struct xs_rec *r, unsigned int owner, int other, int dom, int perm);

#endif
