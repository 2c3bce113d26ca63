/* Oracle probes, batch 3: grant tables and xenstore as a domU sees them (see zz_oracle.c). */
#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "lib/printf.h"
#include "xen/start_info.h"
#include "mm/p2m.h"
#include "kernel/tests/oracle.h"
#include <xen/grant_table.h>
#include <xen/io/xs_wire.h>

#define P(...) kprintf("oracle3: " __VA_ARGS__)

static long gnttab(unsigned int cmd, void *op, unsigned int count)
{
	return _hypercall3(__HYPERVISOR_grant_table_op, cmd, op, count);
}

KTEST(zz, oracle_gnttab)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	long rc = gnttab(GNTTABOP_query_size, &q, 1);
	P("query_size rc %ld status %d nr_frames %u max %u\n", rc, q.status, q.nr_frames, q.max_nr_frames);
	q.dom = 7;
	rc = gnttab(GNTTABOP_query_size, &q, 1);
	P("query_size(dom7) rc %ld status %d\n", rc, q.status);
	struct gnttab_get_version gv = { .dom = DOMID_SELF };
	rc = gnttab(GNTTABOP_get_version, &gv, 1);
	P("get_version rc %ld version %u\n", rc, gv.version);
	struct gnttab_set_version sv = { .version = 1 };
	rc = gnttab(GNTTABOP_set_version, &sv, 1);
	P("set_version(1) rc %ld version %u\n", rc, sv.version);
	sv.version = 3;
	rc = gnttab(GNTTABOP_set_version, &sv, 1);
	P("set_version(3) rc %ld version %u\n", rc, sv.version);
	{
		xen_pfn_t frames[4] = { 0, 0, 0, 0 };
		struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1 };
		set_xen_guest_handle(st.frame_list, frames);
		rc = gnttab(GNTTABOP_setup_table, &st, 1);
		P("setup_table(1) rc %ld status %d frame_nonzero %d\n", rc, st.status, frames[0] != 0);
		st.nr_frames = 4;
		rc = gnttab(GNTTABOP_setup_table, &st, 1);
		P("setup_table(4) rc %ld status %d frames distinct %d\n", rc, st.status, frames[1] != frames[0] && frames[3] != 0);
		q.dom = DOMID_SELF;
		gnttab(GNTTABOP_query_size, &q, 1);
		P("query_size after: nr_frames %u\n", q.nr_frames);
		st.nr_frames = 1000;
		rc = gnttab(GNTTABOP_setup_table, &st, 1);
		P("setup_table(1000) rc %ld status %d\n", rc, st.status);
		st.dom = 9; st.nr_frames = 1;
		rc = gnttab(GNTTABOP_setup_table, &st, 1);
		P("setup_table(dom9) rc %ld status %d\n", rc, st.status);
		/* map the first grant frame and read entry 0..3 */
	}
	P("gnttab count 2 query %ld\n", gnttab(GNTTABOP_query_size, &q, 2));
	P("gnttab op 99 %ld\n", gnttab(99, &q, 1));
	{
		struct gnttab_map_grant_ref m = { .host_addr = 0, .flags = GNTMAP_host_map, .ref = 0, .dom = DOMID_SELF };
		rc = gnttab(GNTTABOP_map_grant_ref, &m, 1);
		P("map_grant_ref(self, ref 0) rc %ld status %d\n", rc, m.status);
		m.dom = 0;
		rc = gnttab(GNTTABOP_map_grant_ref, &m, 1);
		P("map_grant_ref(dom0, ref 0) rc %ld status %d\n", rc, m.status);
	}
}

/* ---- xenstore --------------------------------------------------------- */
static struct xenstore_domain_interface *xs;
static uint32_t req_id;

static void xs_notify(void)
{
	struct evtchn_send s = { .port = start_info.store_evtchn };
	hypercall_event_channel_op(EVTCHNOP_send, &s);
}

static void xs_put(const void *data, uint32_t len)
{
	const char *d = data;
	for (uint32_t i = 0; i < len; i++) {
		while (xs->req_prod - xs->req_cons >= XENSTORE_RING_SIZE)
			hypercall_sched_op(SCHEDOP_yield, NULL);
		xs->req[MASK_XENSTORE_IDX(xs->req_prod)] = d[i];
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		xs->req_prod++;
	}
}

static int xs_get(void *data, uint32_t len)
{
	char *d = data;
	for (uint32_t i = 0; i < len; i++) {
		uint64_t start = now_ns();
		while (READ_ONCE(xs->rsp_prod) == xs->rsp_cons) {
			evtchn_port_t p = start_info.store_evtchn;
			struct sched_poll sp = { .nr_ports = 1, .timeout = 0 };
			set_xen_guest_handle(sp.ports, &p);
			sp.timeout = now_ns() + 50000000;
			hypercall_sched_op(SCHEDOP_poll, &sp);
			shared_info->evtchn_pending[p / 64] &= ~(1UL << (p % 64));
			if (now_ns() - start > 20000000000ull)
				return -1;
		}
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		d[i] = xs->rsp[MASK_XENSTORE_IDX(xs->rsp_cons)];
		xs->rsp_cons++;
	}
	return 0;
}

/* One request; prints type and payload of the reply (watch events too). */
static void xs_req(const char *what, uint32_t type, const char *p1, const char *p2, int p2len)
{
	struct xsd_sockmsg m = { .type = type, .req_id = ++req_id, .tx_id = 0 };
	char buf[512];
	uint32_t l1 = p1 ? (uint32_t)strlen(p1) + 1 : 0;
	m.len = l1 + (p2 ? (uint32_t)p2len : 0);
	xs_put(&m, sizeof(m));
	if (p1) xs_put(p1, l1);
	if (p2) xs_put(p2, (uint32_t)p2len);
	xs_notify();
	for (int tries = 0; tries < 3; tries++) {
		struct xsd_sockmsg r;
		if (xs_get(&r, sizeof(r))) { P("%s: no reply\n", what); return; }
		uint32_t n = r.len < sizeof(buf) - 1 ? r.len : sizeof(buf) - 1;
		if (xs_get(buf, n)) { P("%s: short reply\n", what); return; }
		for (uint32_t k = n; k < r.len; k++) { char c; xs_get(&c, 1); }
		for (uint32_t k = 0; k < n; k++) if (buf[k] == 0) buf[k] = '|';
		buf[n] = 0;
		P("%s: type %u req_id-ok %d len %u '%s'\n", what, r.type, r.req_id == m.req_id, r.len, buf);
		if (r.type != XS_WATCH_EVENT)
			return;
	}
}

KTEST(zz, oracle_xenstore)
{
	xs = mfn_to_virt(start_info.store_mfn);
	P("ring: req %u/%u rsp %u/%u features %#x connection %u\n", xs->req_cons, xs->req_prod, xs->rsp_cons, xs->rsp_prod,
	  xs->server_features, xs->connection);
	xs_req("read name", XS_READ, "name", NULL, 0);
	xs_req("read domid", XS_READ, "domid", NULL, 0);
	xs_req("read vm", XS_READ, "vm", NULL, 0);
	xs_req("read memory/target", XS_READ, "memory/target", NULL, 0);
	xs_req("read memory/static-max", XS_READ, "memory/static-max", NULL, 0);
	xs_req("read console/port", XS_READ, "console/port", NULL, 0);
	xs_req("read console/ring-ref", XS_READ, "console/ring-ref", NULL, 0);
	xs_req("read console/type", XS_READ, "console/type", NULL, 0);
	xs_req("read store/port", XS_READ, "store/port", NULL, 0);
	xs_req("read nosuch", XS_READ, "nosuch", NULL, 0);
	xs_req("dir own", XS_DIRECTORY, "", NULL, 0);
	xs_req("dir control", XS_DIRECTORY, "control", NULL, 0);
	xs_req("dir device", XS_DIRECTORY, "device", NULL, 0);
	xs_req("dir console", XS_DIRECTORY, "console", NULL, 0);
	xs_req("dir data", XS_DIRECTORY, "data", NULL, 0);
	xs_req("get_domain_path", XS_GET_DOMAIN_PATH, "1", NULL, 0);
	xs_req("write data/x", XS_WRITE, "data/x", "hello", 5);
	xs_req("read data/x", XS_READ, "data/x", NULL, 0);
	xs_req("write name", XS_WRITE, "name", "evil", 4);
	xs_req("write /local/domain/0/x", XS_WRITE, "/local/domain/0/x", "evil", 4);
	xs_req("mkdir data/d", XS_MKDIR, "data/d", NULL, 0);
	xs_req("rm data/x", XS_RM, "data/x", NULL, 0);
	xs_req("rm data/x again", XS_RM, "data/x", NULL, 0);
	xs_req("get_perms name", XS_GET_PERMS, "name", NULL, 0);
	xs_req("get_perms data", XS_GET_PERMS, "data", NULL, 0);
	xs_req("watch control/shutdown", XS_WATCH, "control/shutdown", "tok", 4);
	xs_req("unwatch", XS_UNWATCH, "control/shutdown", "tok", 4);
	xs_req("transaction_start", XS_TRANSACTION_START, "", NULL, 0);
	xs_req("read control/platform-feature-multiprocessor-suspend", XS_READ, "control/platform-feature-multiprocessor-suspend", NULL, 0);
	xs_req("read /local/domain/0/name", XS_READ, "/local/domain/0/name", NULL, 0);
	xs_req("dir /", XS_DIRECTORY, "/", NULL, 0);
	xs_req("bad type", 99, "x", NULL, 0);
	static const char *const paths[] = { "/local/domain/1", "memory", "store", "cpu", "cpu/0", "image", "device/suspend",
		"console/backend", "console/backend-id", "console/limit", "console/output", "console/tty", "store/ring-ref",
		"control/shutdown", "control/feature-poweroff", "control/feature-reboot", "control/feature-suspend", "control/sysrq",
		"control/platform-feature-xs_reset_watches", "device/suspend/event-channel", "cpu/0/availability", "memory/videoram",
		"console", "/local", "/local/domain", "/vm", "serial", "device" };
	for (unsigned int i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char what[96];
		snprintf(what, sizeof(what), "read %s", paths[i]);
		xs_req(what, XS_READ, paths[i], NULL, 0);
		snprintf(what, sizeof(what), "dir %s", paths[i]);
		xs_req(what, XS_DIRECTORY, paths[i], NULL, 0);
		snprintf(what, sizeof(what), "perms %s", paths[i]);
		xs_req(what, XS_GET_PERMS, paths[i], NULL, 0);
	}
	xs_req("write data/deep/new/node", XS_WRITE, "data/deep/new/node", "v", 1);
	xs_req("dir data/deep", XS_DIRECTORY, "data/deep", NULL, 0);
	xs_req("read data/deep", XS_READ, "data/deep", NULL, 0);
	xs_req("perms data/deep/new", XS_GET_PERMS, "data/deep/new", NULL, 0);
	xs_req("mkdir data/d again", XS_MKDIR, "data/d", NULL, 0);
	xs_req("write control/shutdown", XS_WRITE, "control/shutdown", "", 0);
	xs_req("write newtop", XS_WRITE, "newtop", "x", 1);
	xs_req("watch data/w", XS_WATCH, "data/w", "t2", 3);
	xs_req("write data/w", XS_WRITE, "data/w", "1", 1);
	xs_req("write data/w/sub", XS_WRITE, "data/w/sub", "2", 1);
	xs_req("rm data/w", XS_RM, "data/w", NULL, 0);
	xs_req("unwatch data/w", XS_UNWATCH, "data/w", "t2", 3);
	xs_req("unwatch again", XS_UNWATCH, "data/w", "t2", 3);
	xs_req("watch /local/domain/1/data/abs", XS_WATCH, "/local/domain/1/data/abs", "t3", 3);
	xs_req("write data/abs", XS_WRITE, "data/abs", "1", 1);
	xs_req("transaction_end", XS_TRANSACTION_END, "T", NULL, 0);
	xs_req("transaction_end bad", XS_TRANSACTION_END, "X", NULL, 0);
	xs_req("rm data", XS_RM, "data", NULL, 0);
	xs_req("read data", XS_READ, "data", NULL, 0);
	xs_req("read ../2", XS_READ, "/local/domain/2/name", NULL, 0);
	xs_req("reset_watches", XS_RESET_WATCHES, "", NULL, 0);
	xs_req("set_perms data/d", XS_SET_PERMS, "data/d", "n1\0r0", 6);
	xs_req("get_perms data/d", XS_GET_PERMS, "data/d", NULL, 0);
	xs_req("control", XS_CONTROL, "print", "x", 2);
	xs_req("is_introduced", XS_IS_DOMAIN_INTRODUCED, "1", NULL, 0);
	xs_req("introduce", XS_INTRODUCE, "1", NULL, 0);
	P("ring after: req %u/%u rsp %u/%u\n", xs->req_cons, xs->req_prod, xs->rsp_cons, xs->rsp_prod);
}
