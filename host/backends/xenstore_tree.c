/*
 * xenstored's node tree: nodes (lookup, create, free), their permissions,
 * the builder's writes, and path validation and canonicalisation. The
 * protocol over the ring is in xenstore.c.
 */
#include "host/host.h"
#include "host/backends/xenstore_tree.h"

struct node nodes[MAX_NODES];
char dom_path[32];

static char *strrchr_(char *s, char c)
{
	char *r = NULL;

	for (; *s; s++)
		if (*s == c)
			r = s;
	return r;
}

/* ---- the tree ------------------------------------------------------------ */

static int node_alloc(int parent, const char *name, size_t len)
{
	for (int i = 1; i < MAX_NODES; i++) {
		struct node *n = &nodes[i];

		if (n->used)
			continue;
		memset(n, 0, sizeof(*n));
		n->used = true;
		memcpy(n->name, name, len);
		n->name[len] = 0;
		n->parent = parent;
		n->first_child = n->next_sibling = 0;
		/* xenstored: children inherit the parent's permissions. */
		n->nr_perms = nodes[parent].nr_perms;
		memcpy(n->perms, nodes[parent].perms, sizeof(n->perms));
		/* Append: directory listings come in creation order. */
		if (!nodes[parent].first_child) {
			nodes[parent].first_child = i;
		} else {
			int c = nodes[parent].first_child;

			while (nodes[c].next_sibling)
				c = nodes[c].next_sibling;
			nodes[c].next_sibling = i;
		}
		return i;
	}
	return -1;
}

void node_free(int i)
{
	int p = nodes[i].parent, c;

	while (nodes[i].first_child)
		node_free(nodes[i].first_child);
	if (nodes[p].first_child == i) {
		nodes[p].first_child = nodes[i].next_sibling;
	} else {
		for (c = nodes[p].first_child; c && nodes[c].next_sibling != i; c = nodes[c].next_sibling)
			;
		if (c)
			nodes[c].next_sibling = nodes[i].next_sibling;
	}
	nodes[i].used = false;
}

/* Look an absolute path up; with create, make missing nodes. Root is node 0. */
int lookup(const char *path, bool create, int *created_from)
{
	int cur = 0;
	const char *p = path + 1;

	if (created_from)
		*created_from = 0;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int c;

		for (c = nodes[cur].first_child; c; c = nodes[c].next_sibling)
			if (strlen(nodes[c].name) == len && !memcmp(nodes[c].name, p, len))
				break;
		if (!c) {
			if (!create)
				return NOT_FOUND;
			c = node_alloc(cur, p, len);
			if (c < 0)
				return TREE_FULL;
			if (created_from && !*created_from)
				*created_from = c;
		}
		cur = c;
		p += len;
		if (*p == '/')
			p++;
	}
	return cur;
}

int perm_of(int i, unsigned int dom)
{
	const struct node *n = &nodes[i];

	if (n->perms[0].dom == dom)
		return PERM_BOTH;			/* the owner */
	for (unsigned int k = 1; k < n->nr_perms; k++)
		if (n->perms[k].dom == dom)
			return n->perms[k].perm;
	return n->perms[0].perm;
}

void set_perms(int i, unsigned int owner, int other, int dom, int perm)
{
	nodes[i].nr_perms = 1;
	nodes[i].perms[0].dom = (uint16_t)owner;
	nodes[i].perms[0].perm = (uint8_t)other;
	if (dom >= 0) {
		nodes[i].perms[1].dom = (uint16_t)dom;
		nodes[i].perms[1].perm = (uint8_t)perm;
		nodes[i].nr_perms = 2;
	}
}

/* Builder-time write (no permission checks). */
int put(const char *rel, const char *value)
{
	char path[MAX_PATH];
	int i;

	snprintf(path, sizeof(path), "%s%s%s", dom_path, *rel ? "/" : "", rel);
	i = lookup(path, true, NULL);
	if (i < 0)
		panic("xenstore: tree full");
	nodes[i].value_len = (uint16_t)strlen(value);
	memcpy(nodes[i].value, value, nodes[i].value_len);
	return i;
}

/* The closest existing node on the way to path (the root at worst). */
int nearest_ancestor(const char *path)
{
	char parent[MAX_PATH];
	char *slash;
	int pi;

	snprintf(parent, sizeof(parent), "%s", path);
	while ((slash = strrchr_(parent, '/')) && slash != parent) {
		*slash = 0;
		if ((pi = lookup(parent, false, NULL)) >= 0)
			return pi;
	}
	return 0;
}

/* ---- paths --------------------------------------------------------------- */

static bool valid_path(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n >= 256)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '/' || c == '_' || c == '@'))
			return false;
		if (c == '/' && i + 1 < n && p[i + 1] == '/')
			return false;
	}
	if (n > 1 && p[n - 1] == '/')
		return false;
	return true;
}

/* Relative paths live under /local/domain/<id>. */
bool canonical(const char *in, char *out, size_t size)
{
	if (!valid_path(in))
		return false;
	if (in[0] == '/')
		return (size_t)snprintf(out, size, "%s", in) < size;
	return (size_t)snprintf(out, size, "%s/%s", dom_path, in) < size;
}
