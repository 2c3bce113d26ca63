/*
 * The node tree of parahost's xenstored (xenstore_tree.c), shared with the
 * protocol side (xenstore.c): nodes, their permissions, and paths.
 */
#ifndef HOST_BACKENDS_XENSTORE_TREE_H
#define HOST_BACKENDS_XENSTORE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

#define MAX_NODES	512
#define MAX_NAME	64
#define MAX_VALUE	2048		/* xenstored's default quota-maxsize */
#define MAX_PERMS	4
#define MAX_PATH	XENSTORE_ABS_PATH_MAX

enum perm { PERM_NONE = 0, PERM_READ = 1, PERM_WRITE = 2, PERM_BOTH = 3 };

struct perm_entry {
	uint16_t dom;
	uint8_t perm;
};

struct node {
	bool used;
	char name[MAX_NAME];
	int parent, first_child, next_sibling;
	uint16_t value_len;
	char value[MAX_VALUE];
	unsigned int nr_perms;		/* perms[0]: owner and everyone else's rights */
	struct perm_entry perms[MAX_PERMS];
};

#define NOT_FOUND	(-1)
#define TREE_FULL	(-2)

extern struct node nodes[MAX_NODES];
extern char dom_path[32];

void node_free(int i);
int lookup(const char *path, bool create, int *created_from);
int perm_of(int i, unsigned int dom);
void set_perms(int i, unsigned int owner, int other, int dom, int perm);
int put(const char *rel, const char *value);
int nearest_ancestor(const char *path);
bool canonical(const char *in, char *out, size_t size);

#endif
