/*
 * Event channels: the ABI-independent half. Binding hypercalls, one
 * handler per port, the upcall, and waiting for a port. The bits live in
 * shared_info (2-level, evtchn_2l.c) or in event words and queues we
 * register with Xen (FIFO, evtchn_fifo.c); evtchn_ops says which.
 */
#include <xen/errno.h>

#include "arch/x86/hypercall.h"
#include "arch/x86/regs.h"
#include "kernel/cmdline.h"
#include "kernel/kernel.h"
#include "kernel/sched.h"
#include "xen/evtchn.h"
#include "xen/time.h"

uint64_t evtchn_upcalls, evtchn_events, evtchn_strays;
void (*upcall_hook)(const struct cpu_regs *regs);

static const struct evtchn_ops *ops = &evtchn_ops_2l;
static bool fifo_offered;

struct port {
	evtchn_handler_t *handler;
	void *arg;
	bool bound;		/* bound through this API: unmasked, ours to dispatch */
	uint64_t count;		/* events delivered */
	struct waitq waiters;
};
static struct port ports[EVTCHN_MAX_HANDLED];

bool evtchn_uses_fifo(void)
{
	return ops == &evtchn_ops_fifo;
}

bool evtchn_fifo_offered(void)
{
	return fifo_offered;
}

const char *evtchn_abi_name(void)
{
	return ops->name;
}

void evtchn_init(void)
{
	char abi[8] = "";

	cmdline_get("evtchn", abi, sizeof(abi));
	/*
	 * Linux's order: try FIFO first; if Xen refuses init_control, the
	 * domain is still 2-level and nothing changed. Forcing 2-level means
	 * never asking, so the domain stays exactly as Xen built it.
	 */
	if (strcmp(abi, "2l") != 0 && evtchn_fifo_start()) {
		fifo_offered = true;
		ops = &evtchn_ops_fifo;
	} else {
		evtchn_2l_start();
		ops = &evtchn_ops_2l;
	}
	kprintf("evtchn: %s ABI%s\n", ops->name,
		strcmp(abi, "2l") == 0 ? " (evtchn=2l)" : "");
}

void upcalls_on(void)
{
	struct vcpu_info *v = &shared_info->vcpu_info[0];

	barrier();
	WRITE_ONCE(v->evtchn_upcall_mask, 0);
	barrier();
	/*
	 * An event that came while we were masked is still waiting: any
	 * hypercall returns through the upcall now (Linux's
	 * xen_force_evtchn_callback does the same with xen_version).
	 */
	if (READ_ONCE(v->evtchn_upcall_pending))
		hypercall_xen_version(XENVER_version, NULL);
}

static struct port *port_of(evtchn_port_t port)
{
	return port < EVTCHN_MAX_HANDLED ? &ports[port] : NULL;
}

/* A port Xen just gave us: usable, its handler in place, then unmasked. */
static long adopt(long rc, evtchn_port_t port, evtchn_handler_t *h, void *arg)
{
	struct port *p = port_of(port);
	struct evtchn_close c = { .port = port };
	unsigned int f;

	if (rc)
		return rc;
	if (!p || ops->setup(port)) {
		hypercall_event_channel_op(EVTCHNOP_close, &c);
		return -XEN_ENOSPC;
	}
	f = upcalls_off();
	p->handler = h;
	p->arg = arg;
	p->bound = true;
	ops->unmask(port);
	upcalls_restore(f);
	return port;
}

long evtchn_bind_virq(unsigned int virq, evtchn_handler_t *h, void *arg)
{
	struct evtchn_bind_virq b = { .virq = virq, .vcpu = 0 };
	long rc = hypercall_event_channel_op(EVTCHNOP_bind_virq, &b);

	return adopt(rc, b.port, h, arg);
}

long evtchn_bind_ipi(evtchn_handler_t *h, void *arg)
{
	struct evtchn_bind_ipi b = { .vcpu = 0 };
	long rc = hypercall_event_channel_op(EVTCHNOP_bind_ipi, &b);

	return adopt(rc, b.port, h, arg);
}

long evtchn_alloc_unbound(domid_t remote, evtchn_handler_t *h, void *arg)
{
	struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = remote };
	long rc = hypercall_event_channel_op(EVTCHNOP_alloc_unbound, &a);

	return adopt(rc, a.port, h, arg);
}

long evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port,
			     evtchn_handler_t *h, void *arg)
{
	struct evtchn_bind_interdomain b = { .remote_dom = remote, .remote_port = remote_port };
	long rc = hypercall_event_channel_op(EVTCHNOP_bind_interdomain, &b);

	return adopt(rc, b.local_port, h, arg);
}

long evtchn_loopback(evtchn_port_t *a, evtchn_handler_t *ha, void *arga,
		     evtchn_port_t *b, evtchn_handler_t *hb, void *argb)
{
	long pa = evtchn_alloc_unbound(DOMID_SELF, ha, arga), pb;

	if (pa < 0)
		return pa;
	pb = evtchn_bind_interdomain(DOMID_SELF, (evtchn_port_t)pa, hb, argb);
	if (pb < 0) {
		evtchn_close((evtchn_port_t)pa);
		return pb;
	}
	*a = (evtchn_port_t)pa;
	*b = (evtchn_port_t)pb;
	return 0;
}

void evtchn_set_handler(evtchn_port_t port, evtchn_handler_t *h, void *arg)
{
	adopt(0, port, h, arg);
}

long evtchn_close(evtchn_port_t port)
{
	struct evtchn_close c = { .port = port };
	struct port *p = port_of(port);
	unsigned int f = upcalls_off();
	long rc;

	/* Masked first: a port number Xen hands out again starts quiet. */
	if (p && p->bound)
		ops->mask(port);
	rc = hypercall_event_channel_op(EVTCHNOP_close, &c);
	/* -EINVAL: closed already (a raw close); our record of it is stale. */
	if (p && (rc == 0 || rc == -XEN_EINVAL)) {
		p->handler = NULL;
		p->arg = NULL;
		p->bound = false;
		wake_up(&p->waiters);
	}
	upcalls_restore(f);
	return rc;
}

void evtchn_release(evtchn_port_t port)
{
	struct port *p = port_of(port);
	unsigned int f = upcalls_off();

	if (p && p->bound) {
		ops->mask(port);
		p->handler = NULL;
		p->arg = NULL;
		p->bound = false;
		wake_up(&p->waiters);
	}
	upcalls_restore(f);
}

long evtchn_notify(evtchn_port_t port)
{
	struct evtchn_send send = { .port = port };

	return hypercall_event_channel_op(EVTCHNOP_send, &send);
}

void evtchn_mask(evtchn_port_t port) { ops->mask(port); }
bool evtchn_is_masked(evtchn_port_t port) { return ops->is_masked(port); }
bool evtchn_is_pending(evtchn_port_t port) { return ops->is_pending(port); }
void evtchn_clear_pending(evtchn_port_t port) { ops->clear_pending(port); }

void evtchn_unmask(evtchn_port_t port)
{
	unsigned int f = upcalls_off();

	ops->unmask(port);
	upcalls_restore(f);
}

/*
 * One pending, unmasked port, from the ABI's walk. The pending bit goes
 * first, as Linux's edge-style ack does, so an event that arrives while
 * the handler runs is seen again. A port nobody handles is masked and
 * left pending, for whoever polls or tests it.
 */
void evtchn_dispatch(evtchn_port_t port)
{
	struct port *p = port_of(port);

	if (!p || !p->bound) {
		evtchn_strays++;
		ops->mask(port);
		return;
	}
	ops->clear_pending(port);
	evtchn_events++;
	p->count++;
	if (p->handler)
		p->handler(port, p->arg);
	wake_up(&p->waiters);
}

uint64_t evtchn_count(evtchn_port_t port)
{
	struct port *p = port_of(port);

	return p ? READ_ONCE(p->count) : 0;
}

uint64_t evtchn_wait(evtchn_port_t port, uint64_t seen, uint64_t deadline)
{
	struct port *p = port_of(port);

	if (!p)
		return seen;
	wait_event_until(&p->waiters, p->count != seen || !p->bound, deadline);
	return READ_ONCE(p->count);
}

/* Upcalls a storm may keep us in before we return and let Xen re-deliver. */
#define UPCALL_PASSES	8

void do_hypervisor_callback(struct cpu_regs *regs);

void do_hypervisor_callback(struct cpu_regs *regs)
{
	struct vcpu_info *vcpu = &shared_info->vcpu_info[0];
	unsigned int pass = 0;

	evtchn_upcalls++;
	if (upcall_hook)
		upcall_hook(regs);
	/*
	 * The flag first, then the walk: an event that arrives meanwhile sets
	 * it again and gets another pass, rather than being lost.
	 */
	do {
		WRITE_ONCE(vcpu->evtchn_upcall_pending, 0);
		ops->handle_events();
	} while (READ_ONCE(vcpu->evtchn_upcall_pending) && ++pass < UPCALL_PASSES);
	/* Kernel code that ran with upcalls on may be preempted here. */
	if ((regs->cs & 3) == 0 && ((regs->cs >> 32) & 0xff) == 0)
		sched_preempt_point();
}

/* ---- handing the raw ABI to a test ------------------------------------- */

static uint8_t quiet_masked[EVTCHN_MAX_HANDLED / 8];
static evtchn_port_t quiet_keep;
static bool quiet_keep_was_masked, quieted;

void evtchn_quiet(evtchn_port_t keep)
{
	unsigned int f = upcalls_off();

	if (quieted)
		panic("evtchn_quiet: nested");
	quieted = true;
	memset(quiet_masked, 0, sizeof(quiet_masked));
	for (evtchn_port_t p = 1; p < EVTCHN_MAX_HANDLED; p++)
		if (p != keep && ports[p].bound && !ops->is_masked(p)) {
			ops->mask(p);
			quiet_masked[p / 8] |= 1 << (p % 8);
		}
	quiet_keep = keep;
	quiet_keep_was_masked = keep && ops->is_masked(keep);
	ops->forget(keep);
	upcalls_restore(f);
}

void evtchn_unquiet(void)
{
	unsigned int f = upcalls_off();

	if (quiet_keep && quiet_keep_was_masked)
		ops->mask(quiet_keep);
	for (evtchn_port_t p = 1; p < EVTCHN_MAX_HANDLED; p++)
		if (quiet_masked[p / 8] & (1 << (p % 8)))
			ops->unmask(p);
	ops->rescan();
	quieted = false;
	upcalls_restore(f);
}
