/*
 * Event channels, 2-level ABI (Xen: common/event_channel.c,
 * common/event_2l.c). The pending and mask bitmaps live in shared_info;
 * the guest's ports are VIRQs, IPIs, unbound ports and interdomain ports,
 * bound either to another port of its own (loopback) or to a port of
 * domain 0, which parahost's backends play: the console and xenstore
 * channels the toolstack sets up, and whatever a frontend offers.
 */
#include "host/pv/pv.h"

#define BITS_PER_WORD	64

static bool test_and_set(unsigned long *w, unsigned int bit)
{
	bool old = *w & (1UL << bit);

	*w |= 1UL << bit;
	return old;
}

void evtchn_init(void)
{
	for (unsigned int v = 0; v < NR_VIRQS; v++)
		dom.virq_to_port[v] = -1;
	dom.evtchn[0].state = ECS_RESERVED;	/* port 0 is never valid */
}

static int alloc_port(void)
{
	for (unsigned int p = 1; p < NR_EVTCHN_PORTS; p++)
		if (dom.evtchn[p].state == ECS_FREE)
			return (int)p;
	return -ENOSPC;
}

evtchn_port_t evtchn_alloc_unbound_for(domid_t remote)
{
	int p = alloc_port();

	BUG_ON(p < 0);
	dom.evtchn[p].state = ECS_UNBOUND;
	dom.evtchn[p].remote_dom = remote;
	return (evtchn_port_t)p;
}

/* Domain 0's ports, as the backends hold them (port 0 is never valid there either). */
#define NR_BACKEND_PORTS	16

static struct backend_port {
	bool used, bound;
	evtchn_port_t peer;		/* the guest's port, while bound */
	void (*notify)(void);
} backend_ports[NR_BACKEND_PORTS];

static bool is_backend_peer(const struct evtchn *c)
{
	return c->state == ECS_INTERDOMAIN && c->remote_dom == 0;
}

static void bind_pair(evtchn_port_t guest_port, int be_port)
{
	backend_ports[be_port].bound = true;
	backend_ports[be_port].peer = guest_port;
	dom.evtchn[guest_port].state = ECS_INTERDOMAIN;
	dom.evtchn[guest_port].remote_dom = 0;
	dom.evtchn[guest_port].remote_port = (evtchn_port_t)be_port;
}

int evtchn_backend_bind(evtchn_port_t guest_port, void (*notify)(void))
{
	const struct evtchn *c;

	if (guest_port >= NR_EVTCHN_PORTS)
		return -EINVAL;
	c = &dom.evtchn[guest_port];
	if (c->state != ECS_UNBOUND || c->remote_dom != 0)
		return -EINVAL;		/* not offered to domain 0 */
	for (int p = 1; p < NR_BACKEND_PORTS; p++)
		if (!backend_ports[p].used) {
			backend_ports[p].used = true;
			backend_ports[p].notify = notify;
			bind_pair(guest_port, p);
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

		if (b->bound && (!b->used || b->peer >= NR_EVTCHN_PORTS ||
				 !is_backend_peer(&dom.evtchn[b->peer]) ||
				 dom.evtchn[b->peer].remote_port != (evtchn_port_t)p))
			return "a backend's bound port and the guest's port do not name each other";
		if (b->used && !b->notify)
			return "a backend port without a backend";
	}
	for (unsigned int p = 1; p < NR_EVTCHN_PORTS; p++) {
		const struct evtchn *c = &dom.evtchn[p];

		if (is_backend_peer(c) &&
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

void evtchn_set_pending(evtchn_port_t port)
{
	struct shared_info *s = dom.shared_info;
	struct vcpu_info *vi = vcpu_info0();

	if (port >= NR_EVTCHN_PORTS)
		return;
	if (test_and_set(&s->evtchn_pending[port / BITS_PER_WORD], port % BITS_PER_WORD))
		return;
	if (!(s->evtchn_mask[port / BITS_PER_WORD] & (1UL << (port % BITS_PER_WORD))) &&
	    !test_and_set(&vi->evtchn_pending_sel, port / BITS_PER_WORD))
		vi->evtchn_upcall_pending = 1;
}

bool evtchn_upcall_pending(void)
{
	return vcpu_info0()->evtchn_upcall_pending;
}

void send_guest_virq(unsigned int virq)
{
	if (virq < NR_VIRQS && dom.virq_to_port[virq] > 0)
		evtchn_set_pending((evtchn_port_t)dom.virq_to_port[virq]);
}

static bool port_ok(evtchn_port_t p)
{
	return p < NR_EVTCHN_PORTS;
}

static bool self(domid_t d)
{
	return d == DOMID_SELF || d == dom.domid;
}

static long evtchn_close(evtchn_port_t port)
{
	struct evtchn *c;

	if (!port_ok(port))
		return -EINVAL;
	c = &dom.evtchn[port];
	switch (c->state) {
	case ECS_FREE:
	case ECS_RESERVED:
		return -EINVAL;
	case ECS_VIRQ:
		dom.virq_to_port[c->virq] = -1;
		break;
	case ECS_INTERDOMAIN:
		/* The other end is unbound again, waiting for us (Xen's evtchn_close). */
		if (is_backend_peer(c)) {
			backend_ports[c->remote_port].bound = false;
		} else if (c->remote_port != port) {
			dom.evtchn[c->remote_port].state = ECS_UNBOUND;
			dom.evtchn[c->remote_port].remote_dom = dom.domid;
		}
		break;
	default:
		break;
	}
	memset(c, 0, sizeof(*c));
	/* Clear pending so a re-used port starts clean (evtchn_2l_clear_pending). */
	dom.shared_info->evtchn_pending[port / BITS_PER_WORD] &= ~(1UL << (port % BITS_PER_WORD));
	return 0;
}

static long evtchn_unmask(evtchn_port_t port)
{
	struct shared_info *s = dom.shared_info;
	struct vcpu_info *vi = vcpu_info0();
	unsigned long bit = 1UL << (port % BITS_PER_WORD);
	unsigned int w = port / BITS_PER_WORD;

	if (!port_ok(port))
		return -EINVAL;
	if ((s->evtchn_mask[w] & bit)) {
		s->evtchn_mask[w] &= ~bit;
		if ((s->evtchn_pending[w] & bit) && !test_and_set(&vi->evtchn_pending_sel, w))
			vi->evtchn_upcall_pending = 1;
	}
	return 0;
}

/*
 * The FIFO ABI is not offered, but its entry points answer as Xen 4.17's
 * do for a domain that stays 2-level (common/event_fifo.c): the argument
 * errors Xen checks first (XSA-188: a failed init_control must leave
 * nothing behind), -EOPNOTSUPP for expand_array before init_control
 * (XSA-107), -ENOSYS for priorities. Only an init_control Xen would
 * accept gets -ENOSYS, and guests then fall back to 2-level.
 */
static long fifo_op(int cmd, uint64_t arg)
{
	union {
		struct evtchn_init_control init_control;
		struct evtchn_expand_array expand_array;
		struct evtchn_set_priority set_priority;
	} u;
	size_t size = cmd == EVTCHNOP_init_control ? sizeof(u.init_control) :
		cmd == EVTCHNOP_expand_array ? sizeof(u.expand_array) : sizeof(u.set_priority);

	if (copy_from_guest(&u, arg, size))
		return -EFAULT;
	switch (cmd) {
	case EVTCHNOP_init_control: {
		const struct evtchn_init_control *ic = &u.init_control;

		if (ic->vcpu != 0)		/* one vCPU */
			return -ENOENT;
		if (ic->offset > PAGE_SIZE - sizeof(struct evtchn_fifo_control_block) ||
		    (ic->offset & 7))
			return -EINVAL;
		/* map_control_block: a frame of ours that can be mapped writable. */
		if (!mfn_is_ram(ic->control_gfn))
			return -EINVAL;
		return -ENOSYS;
	}
	case EVTCHNOP_expand_array:
		return -EOPNOTSUPP;
	default:
		return port_ok(u.set_priority.port) ? -ENOSYS : -EINVAL;
	}
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
	} u;
	size_t size;
	long rc;
	int p;

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
	case EVTCHNOP_reset: size = sizeof(u.reset); break;
	case EVTCHNOP_init_control:
	case EVTCHNOP_expand_array:
	case EVTCHNOP_set_priority:
		return fifo_op(cmd, arg);
	default:
		return -ENOSYS;
	}
	if (copy_from_guest(&u, arg, size))
		return -EFAULT;

	switch (cmd) {
	case EVTCHNOP_send: {
		struct evtchn *c;

		if (!port_ok(u.send.port))
			return -EINVAL;
		c = &dom.evtchn[u.send.port];
		switch (c->state) {
		case ECS_INTERDOMAIN:
			if (is_backend_peer(c))
				backend_ports[c->remote_port].notify();
			else
				evtchn_set_pending(c->remote_port);
			return 0;
		case ECS_IPI:
			evtchn_set_pending(u.send.port);
			return 0;
		case ECS_UNBOUND:
			return 0;	/* silently dropped, as Xen does */
		default:
			return -EINVAL;
		}
	}
	case EVTCHNOP_alloc_unbound:
		if (!self(u.alloc_unbound.dom))
			return -EPERM;
		p = alloc_port();
		if (p < 0)
			return p;
		dom.evtchn[p].state = ECS_UNBOUND;
		dom.evtchn[p].remote_dom = u.alloc_unbound.remote_dom == DOMID_SELF ?
			dom.domid : u.alloc_unbound.remote_dom;
		u.alloc_unbound.port = (evtchn_port_t)p;
		rc = 0;
		break;
	case EVTCHNOP_bind_virq: {
		unsigned int virq = u.bind_virq.virq;

		bool global = !(virq == VIRQ_TIMER || virq == VIRQ_DEBUG ||
				virq == VIRQ_XENOPROF || virq == VIRQ_XENPMU);

		if (virq >= NR_VIRQS)
			return -EINVAL;
		if (global && u.bind_virq.vcpu != 0)
			return -EINVAL;		/* Xen: global VIRQs bind to vcpu 0 */
		if (u.bind_virq.vcpu != 0)
			return -ENOENT;
		if (dom.virq_to_port[virq] > 0)
			return -EEXIST;
		p = alloc_port();
		if (p < 0)
			return p;
		dom.evtchn[p].state = ECS_VIRQ;
		dom.evtchn[p].virq = virq;
		dom.virq_to_port[virq] = p;
		u.bind_virq.port = (evtchn_port_t)p;
		rc = 0;
		break;
	}
	case EVTCHNOP_bind_ipi:
		if (u.bind_ipi.vcpu != 0)
			return -ENOENT;
		p = alloc_port();
		if (p < 0)
			return p;
		dom.evtchn[p].state = ECS_IPI;
		u.bind_ipi.port = (evtchn_port_t)p;
		rc = 0;
		break;
	case EVTCHNOP_close:
		return evtchn_close(u.close.port);
	case EVTCHNOP_status: {
		struct evtchn *c;

		if (!self(u.status.dom))
			return -ESRCH;
		if (!port_ok(u.status.port))
			return -EINVAL;
		c = &dom.evtchn[u.status.port];
		u.status.vcpu = 0;
		switch (c->state) {
		case ECS_FREE:
		case ECS_RESERVED:
			u.status.status = EVTCHNSTAT_closed;
			break;
		case ECS_UNBOUND:
			u.status.status = EVTCHNSTAT_unbound;
			u.status.u.unbound.dom = c->remote_dom;
			break;
		case ECS_INTERDOMAIN:
			u.status.status = EVTCHNSTAT_interdomain;
			u.status.u.interdomain.dom = c->remote_dom;
			u.status.u.interdomain.port = c->remote_port;
			break;
		case ECS_VIRQ:
			u.status.status = EVTCHNSTAT_virq;
			u.status.u.virq = c->virq;
			break;
		case ECS_IPI:
			u.status.status = EVTCHNSTAT_ipi;
			break;
		}
		rc = 0;
		break;
	}
	case EVTCHNOP_unmask:
		return evtchn_unmask(u.unmask.port);
	case EVTCHNOP_bind_vcpu:
		if (!port_ok(u.bind_vcpu.port) || dom.evtchn[u.bind_vcpu.port].state == ECS_FREE)
			return -EINVAL;
		return u.bind_vcpu.vcpu == 0 ? 0 : -ENOENT;
	case EVTCHNOP_bind_interdomain: {
		domid_t rd = u.bind_interdomain.remote_dom;
		evtchn_port_t rp = u.bind_interdomain.remote_port;

		if (rd == DOMID_SELF)
			rd = dom.domid;
		if (rd != dom.domid && rd != 0)
			return -ESRCH;		/* no such domain */
		/* The remote end must be unbound and offered to us (Xen: -EINVAL otherwise). */
		if (rd == 0 ? rp == 0 || rp >= NR_BACKEND_PORTS || !backend_ports[rp].used ||
			      backend_ports[rp].bound
			    : rp >= NR_EVTCHN_PORTS || dom.evtchn[rp].state != ECS_UNBOUND ||
			      dom.evtchn[rp].remote_dom != dom.domid)
			return -EINVAL;
		p = alloc_port();
		if (p < 0)
			return p;
		if (rd == 0) {
			bind_pair((evtchn_port_t)p, (int)rp);
		} else {
			dom.evtchn[p].state = dom.evtchn[rp].state = ECS_INTERDOMAIN;
			dom.evtchn[p].remote_dom = dom.evtchn[rp].remote_dom = dom.domid;
			dom.evtchn[p].remote_port = rp;
			dom.evtchn[rp].remote_port = (evtchn_port_t)p;
		}
		u.bind_interdomain.local_port = (evtchn_port_t)p;
		rc = 0;
		break;
	}
	case EVTCHNOP_reset:
		return self(u.reset.dom) ? -EINVAL : -ESRCH;
	default:
		return -ENOSYS;
	}
	return copy_to_guest(arg, &u, size) ? -EFAULT : rc;
}
