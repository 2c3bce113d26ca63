/*
 * The raw blkif frontend of the hostile tests (blk_raw.h), one step per
 * line of the protocol (<xen/io/blkif.h>): the backend in InitWait, our
 * ring page and data page granted to it, an unbound port offered to it,
 * ring-ref, event-channel and protocol written, Initialised; then the
 * backend's Connected and its sectors.
 */
#include <xen/io/xenbus.h>

#include "drivers/pv/blkfront.h"
#include "kernel/ktest.h"
#include "kernel/sched.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "kernel/tests/blk_raw.h"
#include "mm/frames.h"
#include "mm/p2m.h"
#include "xen/evtchn.h"
#include "xen/grant_table.h"
#include "xen/time.h"
#include "xen/xenstore.h"

#define VBD	"device/vbd/51712"
#define MS	1000000ull

static void nop(evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
}

static bool be_state_is(const struct blk_raw *f, unsigned long want, uint64_t ms)
{
	uint64_t end = xen_system_time() + ms * MS;
	char path[160];
	unsigned long s;

	snprintf(path, sizeof(path), "%s/state", f->be);
	for (;;) {
		if (xs_read_ulong(XS_NO_TX, path, &s) >= 0 && s == want)
			return true;
		if (xen_system_time() > end)
			return false;
		sleep_ns(5 * MS);
	}
}

static unsigned long page(void)
{
	unsigned long pfn = frame_alloc();

	if (pfn != FRAME_NONE)
		memset(pfn_to_virt(pfn), 0, PAGE_SIZE);
	return pfn;
}

static const char *const stale[] = {
	"ring-ref", "event-channel", "protocol", "ring-page-order", "num-ring-pages",
	"multi-queue-num-queues", "feature-persistent", "queue-0", "queue-1", "queue-2", "queue-3",
	"ring-ref0", "ring-ref1", "ring-ref2", "ring-ref3", "ring-ref4", "ring-ref5", "ring-ref6",
	"ring-ref7", "ring-ref8", "ring-ref9", "ring-ref10", "ring-ref11", "ring-ref12",
	"ring-ref13", "ring-ref14", "ring-ref15",
};

static char state_why[96];

const char *blk_raw_up(struct blk_raw *f, bool *skip)
{
	struct blkif_sring *s;
	unsigned long st;
	char path[160];
	long rc;

	struct blkdev *d = blkfront_disk();

	memset(f, 0, sizeof(*f));
	*skip = true;
	if (xs_read(XS_NO_TX, VBD "/backend", f->be, sizeof(f->be)) < 0)
		return "no disk: the toolstack gave us no vbd 51712";
	if (!blk_scratch_allowed())
		return "not a scratch disk (no blk_scratch on the command line): the tests write";
	*skip = false;
	if (d && blkfront_connected(d)) {
		blkfront_detach(d);
		f->borrowed = d;
	}
	/* Closed (blkfront's, or a test's before us): Initialising, the backend's cue for InitWait. */
	if (xs_read_ulong(XS_NO_TX, VBD "/state", &st) >= 0 && st == XenbusStateClosed)
		xs_printf(XS_NO_TX, VBD "/state", "%d", XenbusStateInitialising);
	if (xs_read_ulong(XS_NO_TX, VBD "/state", &st) < 0 || st != XenbusStateInitialising) {
		snprintf(state_why, sizeof(state_why), "vbd 51712's frontend is in state %lu, not "
			 "Initialising or Closed%s", st, d ? " (blkfront has it)" : "");
		return state_why;
	}
	if (!be_state_is(f, XenbusStateInitWait, 10000))
		return "the backend is not in InitWait";
	/* What blkfront may have left: the backend must see only our half. */
	for (unsigned int i = 0; i < sizeof(stale) / sizeof(stale[0]); i++) {
		snprintf(path, sizeof(path), VBD "/%s", stale[i]);
		xs_rm(XS_NO_TX, path);
	}
	f->ring_pfn = page();
	f->data_pfn = page();
	if (f->ring_pfn == FRAME_NONE || f->data_pfn == FRAME_NONE)
		return "no free frames";
	s = pfn_to_virt(f->ring_pfn);
	f->data = pfn_to_virt(f->data_pfn);
	SHARED_RING_INIT(s);
	FRONT_RING_INIT(&f->ring, s, PAGE_SIZE);
	rc = gnttab_grant_access(0, pfn_to_mfn(f->ring_pfn), false);
	if (rc < 0)
		return "granting the ring";
	f->ring_ref = (grant_ref_t)rc;
	rc = gnttab_grant_access(0, pfn_to_mfn(f->data_pfn), false);
	if (rc < 0)
		return "granting the data page";
	f->data_ref = (grant_ref_t)rc;
	rc = evtchn_alloc_unbound(0, nop, NULL);
	if (rc < 0)
		return "an unbound port for domain 0";
	f->port = (evtchn_port_t)rc;
	f->up = true;
	if (xs_printf(XS_NO_TX, VBD "/ring-ref", "%u", f->ring_ref) < 0 ||
	    xs_printf(XS_NO_TX, VBD "/event-channel", "%u", f->port) < 0 ||
	    xs_printf(XS_NO_TX, VBD "/protocol", "%s", "x86_64-abi") < 0 ||
	    xs_printf(XS_NO_TX, VBD "/state", "%d", XenbusStateInitialised) < 0)
		return "writing our half";
	if (!be_state_is(f, XenbusStateConnected, 10000))
		return "the backend did not reach Connected";
	snprintf(path, sizeof(path), "%s/sectors", f->be);
	if (xs_read_ulong(XS_NO_TX, path, &f->sectors) < 0 || f->sectors < 16)
		return "the backend's sectors";
	return NULL;
}

/* blkfront takes its disk back, if we borrowed it. */
static const char *give_back(struct blkdev *d, const char *why)
{
	if (d && blkfront_reconnect(d) && !why)
		why = "blkfront did not connect again";
	return why;
}

const char *blk_raw_down(struct blk_raw *f)
{
	struct blkdev *d = f->borrowed;
	const char *why = NULL;

	if (!f->up && !f->ring_pfn) {
		memset(f, 0, sizeof(*f));
		return give_back(d, NULL);
	}
	/* Linux's frontend_changed: Closing -> Closing, Closed -> disconnect and Closed. */
	xs_printf(XS_NO_TX, VBD "/state", "%d", XenbusStateClosing);
	if (!be_state_is(f, XenbusStateClosing, 10000))
		why = "the backend did not reach Closing";
	xs_printf(XS_NO_TX, VBD "/state", "%d", XenbusStateClosed);
	if (!why && !be_state_is(f, XenbusStateClosed, 10000))
		why = "the backend did not reach Closed";
	xs_rm(XS_NO_TX, VBD "/ring-ref");
	xs_rm(XS_NO_TX, VBD "/event-channel");
	xs_rm(XS_NO_TX, VBD "/protocol");
	/* Initialising after Closed: "prepare for reconnect", InitWait again. */
	xs_printf(XS_NO_TX, VBD "/state", "%d", XenbusStateInitialising);
	if (!why && !be_state_is(f, XenbusStateInitWait, 10000))
		why = "the backend did not go back to InitWait";
	if (f->port)
		evtchn_close(f->port);
	/* A grant the backend still holds is deferred with its page, never reused. */
	if (f->ring_ref)
		gnttab_end_access(f->ring_ref, f->ring_pfn);
	else if (f->ring_pfn != FRAME_NONE && f->ring_pfn)
		frame_free(f->ring_pfn);
	if (f->data_ref)
		gnttab_end_access(f->data_ref, f->data_pfn);
	else if (f->data_pfn != FRAME_NONE && f->data_pfn)
		frame_free(f->data_pfn);
	memset(f, 0, sizeof(*f));
	return give_back(d, why);
}

int blk_raw_wait(struct blk_raw *f, uint8_t *op, uint64_t *id, uint64_t wait_ms)
{
	uint64_t end = xen_system_time() + wait_ms * MS;
	struct blkif_response rsp;

	while (READ_ONCE(f->ring.sring->rsp_prod) == f->ring.rsp_cons) {
		if (xen_system_time() > end)
			return BLK_NO_RESPONSE;
		sleep_ns(MS);
	}
	rmb();		/* the response after its producer index */
	memcpy(&rsp, RING_GET_RESPONSE(&f->ring, f->ring.rsp_cons), sizeof(rsp));
	f->ring.rsp_cons++;
	*op = rsp.operation;
	*id = rsp.id;
	return rsp.status;
}

int blk_raw_submit(struct blk_raw *f, const void *req, size_t len, uint8_t *op, uint64_t *id,
		   uint64_t wait_ms)
{
	memcpy(RING_GET_REQUEST(&f->ring, f->ring.req_prod_pvt), req, len);
	f->ring.req_prod_pvt++;
	RING_PUSH_REQUESTS(&f->ring);
	evtchn_notify(f->port);
	return blk_raw_wait(f, op, id, wait_ms);
}
