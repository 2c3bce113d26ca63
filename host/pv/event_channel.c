/*
 * Event channels (Xen: common/event_channel.c). The guest's ports are
 * VIRQs, IPIs, unbound ports and interdomain ports, bound either to
 * another port of its own (loopback) or to a port of domain 0, which
 * parahost's backends play: the console and xenstore channels the
 * toolstack sets up, and whatever a frontend offers. Where the pending
 * and mask bits live is the ABI's business (evtchn_2l.c, evtchn_fifo.c);
 * everything here answers as Xen 4.17 does, error codes and their order
 * included.
 */
#include "host/boot/boot.h"
#include "host/pv/evtchn.h"

/*
 * EVTCHNOP_reset's continuation: in event_channel.h, but only for Xen's
 * own build (__XEN__). A guest can issue it all the same.
 */
#ifndef EVTCHNOP_reset_cont
#define EVTCHNOP_reset_cont	14
#endif

/* ---- ports ---------------------------------------------------------------- */

static unsigned int max_evtchns(void)
{
	return dom.evtchn_fifo ? EVTCHN_FIFO_NR_CHANNELS : NR_2L_PORTS;
}

bool evtchn_port_is_valid(evtchn_port_t port)
{
	return port < dom.valid_evtchns;
}

struct evtchn *evtchn_from_port(evtchn_port_t port)
{
	if (!evtchn_port_is_valid(port))
		return NULL;
	return &dom.evtchn_buckets[port / EVTCHNS_PER_BUCKET][port % EVTCHNS_PER_BUCKET];
}

/* Xen's evtchn_usable: a port the guest may use, i.e. bound to something. */
static bool usable(const struct evtchn *chn)
{
	return chn->state > ECS_RESERVED;
}

static bool is_busy(const struct evtchn *chn)
{
	return dom.evtchn_ops->is_busy && dom.evtchn_ops->is_busy(chn);
}

/* Xen's evtchn_allocate_port: buckets up to port exist afterwards. */
static int allocate_port(evtchn_port_t port)
{
	if (port > dom.max_evtchn_port || port >= max_evtchns())
		return -ENOSPC;
	if (evtchn_port_is_valid(port)) {
		const struct evtchn *chn = evtchn_from_port(port);

		return chn->state != ECS_FREE || is_busy(chn) ? -EBUSY : 0;
	}
	while (dom.valid_evtchns <= port) {
		/* A bucket of 64 ports (24 bytes each) in one host frame. */
		uint64_t pa = frame_alloc();
		struct evtchn *b;

		if (!pa)
			return -ENOMEM;
		b = phys_to_virt(pa);
		for (unsigned int i = 0; i < EVTCHNS_PER_BUCKET; i++)
			b[i].port = dom.valid_evtchns + i;
		dom.evtchn_buckets[dom.valid_evtchns / EVTCHNS_PER_BUCKET] = b;
		dom.valid_evtchns += EVTCHNS_PER_BUCKET;
	}
	return 0;
}

/* The lowest port that is free and not busy, as Xen's get_free_port. */
static int get_free_port(void)
{
	for (evtchn_port_t port = 0; port <= dom.max_evtchn_port; port++) {
		int rc = allocate_port(port);

		if (rc == 0)
			return (int)port;
		if (rc != -EBUSY)
			return rc;
	}
	return -ENOSPC;
}

static void port_init(struct evtchn *chn)
{
	if (dom.evtchn_ops->init)
		dom.evtchn_ops->init(chn);
}

static void set_pending(struct evtchn *chn)
{
	if (usable(chn))
		dom.evtchn_ops->set_pending(chn);
}

/* Xen's evtchn_free: a port that comes back starts without an event. */
static void free_port(struct evtchn *chn)
{
	if (usable(chn))
		dom.evtchn_ops->clear_pending(chn);
	chn->state = ECS_FREE;
}

void evtchn_mark_events_pending(void)
{
	struct vcpu_info *vi = vcpu_info0();

	if (!__atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST))
		dom.kicked = true;	/* vcpu_kick: a blocked or polling vcpu wakes */
}

void evtchn_init(void)
{
	dom.evtchn_ops = &evtchn_port_ops_2l;
	dom.evtchn_fifo = NULL;
	dom.valid_evtchns = 0;
	/*
	 * xl gives a domU max_event_channels = 1023; Xen's own domain 0 has
	 * no limit but the ABI's.
	 */
	dom.max_evtchn_port = dom.is_dom0 ? 0x7fffffffU : 1023;
	if (get_free_port() != 0)
		panic("event channels: no port 0");
	evtchn_from_port(0)->state = ECS_RESERVED;	/* port 0 is never valid */
}

evtchn_port_t evtchn_alloc_unbound_for(domid_t remote)
{
	int p = get_free_port();
	struct evtchn *chn;

	BUG_ON(p < 0);
	chn = evtchn_from_port((evtchn_port_t)p);
	chn->state = ECS_UNBOUND;
	chn->remote_dom = remote;
	port_init(chn);
	return (evtchn_port_t)p;
}

void evtchn_set_pending(evtchn_port_t port)
{
	struct evtchn *chn = evtchn_from_port(port);

	if (chn)
		set_pending(chn);
}

bool evtchn_upcall_pending(void)
{
	return vcpu_info0()->evtchn_upcall_pending;
}

void send_guest_virq(unsigned int virq)
{
	if (virq < NR_VIRQS && dom.virq_to_port[virq])
		evtchn_set_pending(dom.virq_to_port[virq]);
}

int evtchn_port_poll(evtchn_port_t port)
{
	const struct evtchn *chn = evtchn_from_port(port);

	if (!chn || !usable(chn))
		return -EINVAL;
	return dom.evtchn_ops->is_pending(chn);
}

/* ---- domain 0's ends: the backends ---------------------------------------- */

/* Domain 0's ports, as the backends hold them (port 0 is never valid there either). */
#define NR_BACKEND_PORTS	16

static struct backend_port {
	bool used, bound;
	evtchn_port_t peer;		/* the guest's port, while bound */
	void (*notify)(void);
} backend_ports[NR_BACKEND_PORTS];

static bool is_backend_peer(const struct evtchn *c)
{
	return c->state == ECS_INTERDOMAIN && c->remote_dom == 0 && !dom.is_dom0;
}

static void bind_pair(struct evtchn *chn, int be_port)
{
	backend_ports[be_port].bound = true;
	backend_ports[be_port].peer = chn->port;
	chn->state = ECS_INTERDOMAIN;
	chn->remote_dom = 0;
	chn->remote_port = (evtchn_port_t)be_port;
}

int evtchn_backend_bind(evtchn_port_t guest_port, void (*notify)(void))
{
	struct evtchn *c = evtchn_from_port(guest_port);

	if (!c || c->state != ECS_UNBOUND || c->remote_dom != 0)
		return -EINVAL;		/* not offered to domain 0 */
	for (int p = 1; p < NR_BACKEND_PORTS; p++)
		if (!backend_ports[p].used) {
			backend_ports[p].used = true;
			backend_ports[p].notify = notify;
			/* The binder's own port gets the conservative event (dom0's here). */
			bind_pair(c, p);
			return p;
		}
	return -ENOSPC;
}

/*
 * For parahost's audit (audit.c): our backend ports and the guest's ports
 * bound to them name each other. NULL, or what is wrong.
 */
const char *evtchn_backend_check(void)
{
	for (int p = 1; p < NR_BACKEND_PORTS; p++) {
		const struct backend_port *b = &backend_ports[p];
		const struct evtchn *peer = b->bound ? evtchn_from_port(b->peer) : NULL;

		if (b->bound && (!b->used || !peer || !is_backend_peer(peer) ||
				 peer->remote_port != (evtchn_port_t)p))
			return "a backend's bound port and the guest's port do not name each other";
		if (b->used && !b->notify)
			return "a backend port without a backend";
	}
	for (evtchn_port_t p = 1; p < dom.valid_evtchns; p++) {
		const struct evtchn *c = evtchn_from_port(p);

		if (c && is_backend_peer(c) &&
		    (c->remote_port == 0 || c->remote_port >= NR_BACKEND_PORTS ||
		     !backend_ports[c->remote_port].bound ||
		     backend_ports[c->remote_port].peer != p))
			return "a guest port bound to domain 0 whose backend port is not its pair";
	}
	return NULL;
}

void evtchn_backend_notify(int be_port)
{
	if (be_port > 0 && be_port < NR_BACKEND_PORTS && backend_ports[be_port].bound)
		evtchn_set_pending(backend_ports[be_port].peer);
}

void evtchn_backend_unbind(int be_port)
{
	struct backend_port *b;

	if (be_port <= 0 || be_port >= NR_BACKEND_PORTS || !backend_ports[be_port].used)
		return;
	b = &backend_ports[be_port];
	if (b->bound) {
		/* Xen's evtchn_close from dom0's side: the guest's end waits for dom0 again. */
		struct evtchn *c = evtchn_from_port(b->peer);

		BUG_ON(!c || !is_backend_peer(c) || c->remote_port != (evtchn_port_t)be_port);
		c->state = ECS_UNBOUND;
		c->remote_dom = 0;
		c->remote_port = 0;
	}
	*b = (struct backend_port){ 0 };
}

/* ---- the hypercalls --------------------------------------------------------- */

static bool self(domid_t d)
{
	return d == DOMID_SELF || d == dom.domid;
}

/*
 * Xen's rcu_lock_domain_by_any_id then XSM_TARGET: our own domain, or
 * domain 0, which exists (it runs our backends) but is not ours to
 * touch; any other domain id names nothing.
 */
static long other_domain(domid_t d)
{
	return d == 0 && !dom.is_dom0 ? -EPERM : -ESRCH;
}

static long evtchn_close(evtchn_port_t port)
{
	struct evtchn *c = evtchn_from_port(port);

	if (!c)
		return -EINVAL;
	switch (c->state) {
	case ECS_FREE:
	case ECS_RESERVED:
		return -EINVAL;
	case ECS_VIRQ:
		dom.virq_to_port[c->virq] = 0;
		break;
	case ECS_INTERDOMAIN:
		/* The other end is unbound again, waiting for us (Xen's evtchn_close). */
		if (is_backend_peer(c)) {
			backend_ports[c->remote_port].bound = false;
		} else {
			struct evtchn *r = evtchn_from_port(c->remote_port);

			BUG_ON(!r || r->state != ECS_INTERDOMAIN);
			r->state = ECS_UNBOUND;
			r->remote_dom = dom.domid;
		}
		break;
	default:
		break;
	}
	free_port(c);
	return 0;
}

static long evtchn_send(evtchn_port_t port)
{
	struct evtchn *c = evtchn_from_port(port);

	if (!c)
		return -EINVAL;
	switch (c->state) {
	case ECS_INTERDOMAIN:
		if (is_backend_peer(c))
			backend_ports[c->remote_port].notify();
		else
			evtchn_set_pending(c->remote_port);
		return 0;
	case ECS_IPI:
		set_pending(c);
		return 0;
	case ECS_UNBOUND:
		return 0;	/* silently dropped, as Xen does */
	default:
		return -EINVAL;
	}
}

static long alloc_unbound(struct evtchn_alloc_unbound *a)
{
	struct evtchn *c;
	int p;

	if (!self(a->dom))
		return other_domain(a->dom);
	p = get_free_port();
	if (p < 0)
		return p;
	c = evtchn_from_port((evtchn_port_t)p);
	c->state = ECS_UNBOUND;
	c->remote_dom = a->remote_dom == DOMID_SELF ? dom.domid : a->remote_dom;
	port_init(c);
	a->port = (evtchn_port_t)p;
	return 0;
}

static bool virq_is_global(unsigned int virq)
{
	return !(virq == VIRQ_TIMER || virq == VIRQ_DEBUG ||
		 virq == VIRQ_XENOPROF || virq == VIRQ_XENPMU);
}

static long bind_virq(struct evtchn_bind_virq *b)
{
	struct evtchn *c;
	int p;

	if (b->virq >= NR_VIRQS)
		return -EINVAL;
	if (virq_is_global(b->virq) && b->vcpu != 0)
		return -EINVAL;		/* Xen: global VIRQs bind to vcpu 0 */
	if (b->vcpu != 0)
		return -ENOENT;
	if (dom.virq_to_port[b->virq])
		return -EEXIST;
	p = get_free_port();
	if (p < 0)
		return p;
	c = evtchn_from_port((evtchn_port_t)p);
	c->state = ECS_VIRQ;
	c->virq = (uint16_t)b->virq;
	port_init(c);
	dom.virq_to_port[b->virq] = (evtchn_port_t)p;
	b->port = (evtchn_port_t)p;
	return 0;
}

static long bind_ipi(struct evtchn_bind_ipi *b)
{
	struct evtchn *c;
	int p;

	if (b->vcpu != 0)
		return -ENOENT;
	p = get_free_port();
	if (p < 0)
		return p;
	c = evtchn_from_port((evtchn_port_t)p);
	c->state = ECS_IPI;
	port_init(c);
	b->port = (evtchn_port_t)p;
	return 0;
}

/*
 * Xen takes the local port first and looks at the remote one after, so a
 * domain out of ports hears -ENOSPC whatever it names. The new local port
 * gets an event at once: notifications sent to the remote end while it
 * was unbound would otherwise be lost (Xen's comment, and behaviour).
 */
static long bind_interdomain(struct evtchn_bind_interdomain *b)
{
	domid_t rd = b->remote_dom == DOMID_SELF ? dom.domid : b->remote_dom;
	evtchn_port_t rp = b->remote_port;
	struct evtchn *l, *r;
	int p;

	if (rd != dom.domid && rd != 0)
		return -ESRCH;		/* no such domain */
	p = get_free_port();
	if (p < 0)
		return p;
	l = evtchn_from_port((evtchn_port_t)p);
	if (rd == 0 && !dom.is_dom0) {
		if (rp == 0 || rp >= NR_BACKEND_PORTS || !backend_ports[rp].used ||
		    backend_ports[rp].bound)
			return -EINVAL;
		bind_pair(l, (int)rp);
	} else {
		r = evtchn_from_port(rp);
		if (!r || r->state != ECS_UNBOUND || r->remote_dom != dom.domid)
			return -EINVAL;
		l->state = r->state = ECS_INTERDOMAIN;
		l->remote_dom = r->remote_dom = dom.domid;
		l->remote_port = rp;
		r->remote_port = (evtchn_port_t)p;
	}
	port_init(l);
	set_pending(l);
	b->local_port = (evtchn_port_t)p;
	return 0;
}

static long status(struct evtchn_status *s)
{
	const struct evtchn *c;

	if (!self(s->dom))
		return other_domain(s->dom);
	c = evtchn_from_port(s->port);
	if (!c)
		return -EINVAL;
	switch (c->state) {
	case ECS_FREE:
	case ECS_RESERVED:
		s->status = EVTCHNSTAT_closed;
		break;
	case ECS_UNBOUND:
		s->status = EVTCHNSTAT_unbound;
		s->u.unbound.dom = c->remote_dom;
		break;
	case ECS_INTERDOMAIN:
		s->status = EVTCHNSTAT_interdomain;
		s->u.interdomain.dom = c->remote_dom;
		s->u.interdomain.port = c->remote_port;
		break;
	case ECS_VIRQ:
		s->status = EVTCHNSTAT_virq;
		s->u.virq = c->virq;
		break;
	case ECS_IPI:
		s->status = EVTCHNSTAT_ipi;
		break;
	}
	s->vcpu = 0;
	return 0;
}

/* Xen's evtchn_bind_vcpu: which kinds of port may move at all. */
static long bind_vcpu(const struct evtchn_bind_vcpu *b)
{
	const struct evtchn *c;

	if (b->vcpu != 0)
		return -ENOENT;
	c = evtchn_from_port(b->port);
	if (!c)
		return -EINVAL;
	switch (c->state) {
	case ECS_VIRQ:
		return virq_is_global(c->virq) ? 0 : -EINVAL;
	case ECS_UNBOUND:
	case ECS_INTERDOMAIN:
		return 0;
	default:
		return -EINVAL;
	}
}

static long unmask(evtchn_port_t port)
{
	struct evtchn *c = evtchn_from_port(port);

	if (!c)
		return -EINVAL;
	if (usable(c))
		dom.evtchn_ops->unmask(c);
	return 0;
}

static long set_priority(const struct evtchn_set_priority *sp)
{
	struct evtchn *c = evtchn_from_port(sp->port);

	if (!c)
		return -EINVAL;
	if (!dom.evtchn_ops->set_priority)
		return -ENOSYS;
	if (!usable(c))
		return -EACCES;
	return dom.evtchn_ops->set_priority(c, sp->priority);
}

/*
 * Xen's evtchn_reset on ourselves: every port closed (the toolstack's
 * too: their backends' ends go back to unbound), and back to 2-level.
 * Preempted every 64 ports, resumed through EVTCHNOP_reset_cont.
 */
static evtchn_port_t reset_next;

static long reset(const struct evtchn_reset *r, bool resuming, uint64_t arg)
{
	evtchn_port_t i;

	if (!self(r->dom))
		return other_domain(r->dom);
	i = resuming ? reset_next : !reset_next;
	if (i > reset_next)
		reset_next = i;
	if (!i)
		return -EBUSY;
	for (; evtchn_port_is_valid(i); i++) {
		if (usable(evtchn_from_port(i)))
			evtchn_close(i);
		if (!(i & 0x3f) && hypercall_preempt_check()) {
			reset_next = i;
			return hypercall_create_continuation(__HYPERVISOR_event_channel_op, 2,
							     (uint64_t)EVTCHNOP_reset_cont, arg);
		}
	}
	reset_next = 0;
	if (dom.evtchn_fifo) {
		evtchn_fifo_destroy();
		dom.evtchn_ops = &evtchn_port_ops_2l;
	}
	return 0;
}

long do_event_channel_op(int cmd, uint64_t arg)
{
	union {
		struct evtchn_send send;
		struct evtchn_alloc_unbound alloc_unbound;
		struct evtchn_bind_virq bind_virq;
		struct evtchn_bind_ipi bind_ipi;
		struct evtchn_close close;
		struct evtchn_status status;
		struct evtchn_unmask unmask;
		struct evtchn_bind_vcpu bind_vcpu;
		struct evtchn_bind_interdomain bind_interdomain;
		struct evtchn_reset reset;
		struct evtchn_init_control init_control;
		struct evtchn_expand_array expand_array;
		struct evtchn_set_priority set_priority;
	} u;
	size_t size;
	long rc;

	switch (cmd) {
	case EVTCHNOP_send: size = sizeof(u.send); break;
	case EVTCHNOP_alloc_unbound: size = sizeof(u.alloc_unbound); break;
	case EVTCHNOP_bind_virq: size = sizeof(u.bind_virq); break;
	case EVTCHNOP_bind_ipi: size = sizeof(u.bind_ipi); break;
	case EVTCHNOP_close: size = sizeof(u.close); break;
	case EVTCHNOP_status: size = sizeof(u.status); break;
	case EVTCHNOP_unmask: size = sizeof(u.unmask); break;
	case EVTCHNOP_bind_vcpu: size = sizeof(u.bind_vcpu); break;
	case EVTCHNOP_bind_interdomain: size = sizeof(u.bind_interdomain); break;
	case EVTCHNOP_reset: case EVTCHNOP_reset_cont: size = sizeof(u.reset); break;
	case EVTCHNOP_init_control: size = sizeof(u.init_control); break;
	case EVTCHNOP_expand_array: size = sizeof(u.expand_array); break;
	case EVTCHNOP_set_priority: size = sizeof(u.set_priority); break;
	default:
		return -ENOSYS;
	}
	if (copy_from_guest(&u, arg, size))
		return -EFAULT;

	/* Results go back only on success, as Xen's __copy_to_guest after rc == 0. */
	switch (cmd) {
	case EVTCHNOP_send:		return evtchn_send(u.send.port);
	case EVTCHNOP_close:		return evtchn_close(u.close.port);
	case EVTCHNOP_unmask:		return unmask(u.unmask.port);
	case EVTCHNOP_bind_vcpu:	return bind_vcpu(&u.bind_vcpu);
	case EVTCHNOP_set_priority:	return set_priority(&u.set_priority);
	case EVTCHNOP_expand_array:	return evtchn_fifo_expand_array(&u.expand_array);
	case EVTCHNOP_reset:
	case EVTCHNOP_reset_cont:
		return reset(&u.reset, cmd == EVTCHNOP_reset_cont, arg);
	case EVTCHNOP_alloc_unbound:	rc = alloc_unbound(&u.alloc_unbound); break;
	case EVTCHNOP_bind_virq:	rc = bind_virq(&u.bind_virq); break;
	case EVTCHNOP_bind_ipi:		rc = bind_ipi(&u.bind_ipi); break;
	case EVTCHNOP_bind_interdomain:	rc = bind_interdomain(&u.bind_interdomain); break;
	case EVTCHNOP_status:		rc = status(&u.status); break;
	case EVTCHNOP_init_control:	rc = evtchn_fifo_init_control(&u.init_control); break;
	default:			return -ENOSYS;
	}
	if (rc == 0 && copy_to_guest(arg, &u, size))
		rc = -EFAULT;
	return rc;
}
