/*
 * Grant tables as Xen 4.17 answers a domain that shares nothing yet:
 * sizes and versions, setting up frames, and the refusals of map, unmap
 * and copy when no grant exists. (xl gives a domU up to 64 frames.)
 */
#include <xen/errno.h>
#include <xen/grant_table.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"

#define MAX_GRANT_FRAMES	64

static long gnttab(unsigned int cmd, void *op, unsigned int count)
{
	return _hypercall3(__HYPERVISOR_grant_table_op, cmd, op, count);
}

static long query(domid_t d, struct gnttab_query_size *q)
{
	memset(q, 0x5a, sizeof(*q));
	q->dom = d;
	return gnttab(GNTTABOP_query_size, q, 1);
}

static long set_version(uint32_t v, uint32_t *now)
{
	struct gnttab_set_version sv = { .version = v };
	long rc = gnttab(GNTTABOP_set_version, &sv, 1);

	*now = sv.version;
	return rc;
}

KTEST(gnttab, query_size)
{
	struct gnttab_query_size q;

	KT_ASSERT_EQ(query(DOMID_SELF, &q), 0, "query_size");
	KT_ASSERT(q.status == GNTST_okay && q.nr_frames >= 1 && q.max_nr_frames == MAX_GRANT_FRAMES,
		  "status %d, %u of %u frames", q.status, q.nr_frames, q.max_nr_frames);
	KT_ASSERT_EQ(query(7, &q), 0, "query_size(dom 7)");
	KT_ASSERT_EQ(q.status, GNTST_bad_domain, "status for a domain that does not exist");
	/* One struct at a time, or -EINVAL. */
	KT_ASSERT_EQ(gnttab(GNTTABOP_query_size, &q, 2), -XEN_EINVAL, "query_size, count 2");
	KT_ASSERT_EQ(gnttab(GNTTABOP_query_size, &q, 0xffffffff), -XEN_EINVAL, "query_size, count ~0");
}

KTEST(gnttab, versions)
{
	struct gnttab_get_version gv = { .dom = DOMID_SELF };
	uint32_t v1, v2, v1again, v0, v3;
	long rc1, rc2, rc1again, rc0, rc3, get2;

	KT_ASSERT_EQ(gnttab(GNTTABOP_get_version, &gv, 1), 0, "get_version");
	KT_ASSERT_EQ(gv.version, 1, "version at boot");
	rc1 = set_version(1, &v1);
	rc2 = set_version(2, &v2);
	get2 = gnttab(GNTTABOP_get_version, &gv, 1);
	rc1again = set_version(1, &v1again);
	/* Refused versions write back the one in force. */
	rc0 = set_version(0, &v0);
	rc3 = set_version(3, &v3);
	KT_ASSERT(rc1 == 0 && v1 == 1, "set_version(1): %ld, version %u", rc1, v1);
	KT_ASSERT(rc2 == 0 && v2 == 2, "set_version(2): %ld, version %u", rc2, v2);
	KT_ASSERT(get2 == 0 && gv.version == 2, "get_version after 2: %ld, %u", get2, gv.version);
	KT_ASSERT(rc1again == 0 && v1again == 1, "back to 1: %ld, version %u", rc1again, v1again);
	KT_ASSERT(rc0 == -XEN_EINVAL && v0 == 1, "set_version(0): %ld, version %u", rc0, v0);
	KT_ASSERT(rc3 == -XEN_EINVAL && v3 == 1, "set_version(3): %ld, version %u", rc3, v3);
	gv.dom = 5;
	KT_ASSERT_EQ(gnttab(GNTTABOP_get_version, &gv, 1), -XEN_ESRCH, "get_version(dom 5)");
}

KTEST(gnttab, setup_table)
{
	xen_pfn_t frames[4] = { 0, 0, 0, 0 };
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 4 };
	struct gnttab_query_size q;

	set_xen_guest_handle(st.frame_list, frames);
	KT_ASSERT_EQ(gnttab(GNTTABOP_setup_table, &st, 1), 0, "setup_table(4)");
	KT_ASSERT_EQ(st.status, GNTST_okay, "status");
	for (unsigned int i = 0; i < 4; i++)
		for (unsigned int j = 0; j < i; j++)
			KT_ASSERT(frames[i] && frames[i] != frames[j], "frames %#lx and %#lx",
				  (unsigned long)frames[j], (unsigned long)frames[i]);
	query(DOMID_SELF, &q);
	KT_ASSERT_EQ(q.nr_frames, 4, "frames in use after setup_table(4)");
	st.nr_frames = MAX_GRANT_FRAMES + 1;
	KT_ASSERT_EQ(gnttab(GNTTABOP_setup_table, &st, 1), 0, "setup_table(65)");
	KT_ASSERT_EQ(st.status, GNTST_general_error, "more frames than the maximum");
	st.dom = 9;
	st.nr_frames = 1;
	KT_ASSERT_EQ(gnttab(GNTTABOP_setup_table, &st, 1), 0, "setup_table(dom 9)");
	KT_ASSERT_EQ(st.status, GNTST_bad_domain, "status for a domain that does not exist");
}

KTEST(gnttab, nothing_granted)
{
	struct gnttab_map_grant_ref m = { .flags = GNTMAP_host_map, .ref = 0, .dom = DOMID_SELF };
	struct gnttab_unmap_grant_ref u = { .handle = 0 };
	struct gnttab_copy c;

	KT_ASSERT_EQ(gnttab(GNTTABOP_map_grant_ref, &m, 1), 0, "map own ref 0");
	KT_ASSERT_EQ(m.status, GNTST_bad_domain, "mapping a grant of our own");
	m.dom = 0;
	KT_ASSERT_EQ(gnttab(GNTTABOP_map_grant_ref, &m, 1), 0, "map dom0's ref 0");
	KT_ASSERT_EQ(m.status, GNTST_general_error, "mapping a grant dom0 never made");
	KT_ASSERT_EQ(gnttab(GNTTABOP_map_grant_ref, &m, 0), 0, "map, count 0");
	KT_ASSERT_EQ(gnttab(GNTTABOP_unmap_grant_ref, &u, 1), 0, "unmap handle 0");
	KT_ASSERT_EQ(u.status, GNTST_bad_handle, "unmapping what was never mapped");
	/* Copying from our own "frame 0" by frame number: not a frame of ours. */
	memset(&c, 0, sizeof(c));
	c.source.domid = DOMID_SELF;
	c.dest.domid = DOMID_SELF;
	c.len = 8;
	KT_ASSERT_EQ(gnttab(GNTTABOP_copy, &c, 1), 0, "copy");
	KT_ASSERT_EQ(c.status, GNTST_bad_page, "copy from frame 0");
}

KTEST(gnttab, unknown_ops)
{
	struct gnttab_dump_table d = { .dom = DOMID_SELF };

	KT_ASSERT_EQ(gnttab(GNTTABOP_dump_table, &d, 1), -XEN_ENOSYS, "dump_table (-ENOSYS in Debian's 4.17, dom0 too)");
	KT_ASSERT_EQ(gnttab(99, &d, 1), -XEN_ENOSYS, "grant_table_op 99");
}
