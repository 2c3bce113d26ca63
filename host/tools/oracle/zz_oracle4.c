/* Oracle probes, batch 4: grant table corners. */
#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include <xen/grant_table.h>

#define P(...) kprintf("oracle4: " __VA_ARGS__)

static long gnttab(unsigned int cmd, void *op, unsigned int count)
{
	return _hypercall3(__HYPERVISOR_grant_table_op, cmd, op, count);
}

KTEST(zz, oracle_gnttab2)
{
	struct gnttab_set_version sv = { .version = 2 };
	long rc = gnttab(GNTTABOP_set_version, &sv, 1);
	P("set_version(2) rc %ld version %u\n", rc, sv.version);
	struct gnttab_get_version gv = { .dom = DOMID_SELF };
	rc = gnttab(GNTTABOP_get_version, &gv, 1);
	P("get_version rc %ld version %u\n", rc, gv.version);
	sv.version = 1;
	rc = gnttab(GNTTABOP_set_version, &sv, 1);
	P("set_version(1) rc %ld version %u\n", rc, sv.version);
	sv.version = 0;
	rc = gnttab(GNTTABOP_set_version, &sv, 1);
	P("set_version(0) rc %ld version %u\n", rc, sv.version);
	gv.dom = 5;
	rc = gnttab(GNTTABOP_get_version, &gv, 1);
	P("get_version(dom5) rc %ld\n", rc);
	struct gnttab_unmap_grant_ref u = { .host_addr = 0, .dev_bus_addr = 0, .handle = 0 };
	rc = gnttab(GNTTABOP_unmap_grant_ref, &u, 1);
	P("unmap handle 0 rc %ld status %d\n", rc, u.status);
	P("map count 0 rc %ld\n", gnttab(GNTTABOP_map_grant_ref, &u, 0));
	struct gnttab_dump_table d = { .dom = DOMID_SELF };
	rc = gnttab(GNTTABOP_dump_table, &d, 1);
	P("dump_table rc %ld status %d\n", rc, d.status);
	struct gnttab_copy c;
	memset(&c, 0, sizeof(c));
	c.source.domid = DOMID_SELF; c.dest.domid = DOMID_SELF; c.len = 8;
	rc = gnttab(GNTTABOP_copy, &c, 1);
	P("copy(self->self, gref 0) rc %ld status %d\n", rc, c.status);
	P("query count -1 rc %ld\n", gnttab(GNTTABOP_query_size, &d, 0xffffffff));
}
