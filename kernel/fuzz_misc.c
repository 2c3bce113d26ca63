/*
 * Generators for event channels, physdev_op, xen_version, console_io, and
 * every other number (privileged, HVM-only, unused): structures of values
 * that are never addresses of ours, behind pointers fz_ptr() chose.
 * The console's port is never closed (our output goes through it); a
 * FIFO control block is never accepted (our 2-level handler would stop
 * seeing events); no event-channel reset names us.
 */
#include <xen/xen.h>
#include <xen/event_channel.h>
#include <xen/physdev.h>
#include <xen/version.h>

#include "arch/x86/page.h"
#include "kernel/fuzz.h"
#include "kernel/kernel.h"

static domid_t not_us(void)
{
	domid_t d = fz_domid();

	return d == DOMID_SELF || d == fz.domid ? (domid_t)(fz.domid + 100) : d;
}

/* The argument of EVTCHNOP_cmd in u; its size. */
static size_t evtchn_arg(unsigned int cmd, void *u)
{
	memset(u, 0, 32);
	switch (cmd) {
	case EVTCHNOP_bind_interdomain: {
		struct evtchn_bind_interdomain *b = u;

		b->remote_dom = fz_domid();
		b->remote_port = fz_port(false);
		return sizeof(*b);
	}
	case EVTCHNOP_bind_virq: {
		struct evtchn_bind_virq *b = u;

		b->virq = fz_chance(85) ? (uint32_t)fz_below(NR_VIRQS + 2) : fz_u32();
		b->vcpu = fz_chance(85) ? 0 : fz_u32();
		return sizeof(*b);
	}
	case EVTCHNOP_bind_pirq: {
		struct evtchn_bind_pirq *b = u;

		b->pirq = fz_u32();
		b->flags = fz_u32();
		return sizeof(*b);
	}
	case EVTCHNOP_close: case EVTCHNOP_send: case EVTCHNOP_unmask: {
		evtchn_port_t *p = u;

		*p = fz_port(cmd == EVTCHNOP_close);
		return sizeof(*p);
	}
	case EVTCHNOP_status: {
		struct evtchn_status *s = u;

		s->dom = fz_chance(80) ? DOMID_SELF : fz_domid();
		s->port = fz_port(false);
		return sizeof(*s);
	}
	case EVTCHNOP_alloc_unbound: {
		struct evtchn_alloc_unbound *a = u;

		a->dom = fz_chance(80) ? DOMID_SELF : fz_domid();
		a->remote_dom = fz_domid();
		return sizeof(*a);
	}
	case EVTCHNOP_bind_ipi: {
		struct evtchn_bind_ipi *b = u;

		b->vcpu = fz_chance(85) ? 0 : fz_u32();
		return sizeof(*b);
	}
	case EVTCHNOP_bind_vcpu: {
		struct evtchn_bind_vcpu *b = u;

		b->port = fz_port(false);
		b->vcpu = fz_chance(70) ? 0 : fz_u32();
		return sizeof(*b);
	}
	case EVTCHNOP_reset: case 14: {		/* 14: EVTCHNOP_reset_cont (newer interface) */
		struct evtchn_reset *r = u;

		r->dom = not_us();	/* ours would close the console's port */
		return sizeof(*r);
	}
	case EVTCHNOP_init_control: {
		struct evtchn_init_control *i = u;

		i->vcpu = fz_chance(70) ? 0 : fz_u32();
		if (fz_chance(50)) {
			i->control_gfn = fz_junk_mfn();
			i->offset = fz_u32();
		} else {
			/* Our frame, but never an offset Xen accepts. */
			i->control_gfn = fz_mfn(FZM_SCRATCH);
			i->offset = fz_chance(50) ? (uint32_t)(fz_below(PAGE_SIZE / 8) * 8 + 1 + fz_below(7))
				: PAGE_SIZE - (uint32_t)fz_below(sizeof(struct evtchn_fifo_control_block));
		}
		return sizeof(*i);
	}
	case EVTCHNOP_expand_array: {
		struct evtchn_expand_array *e = u;

		e->array_gfn = fz_junk_mfn();
		return sizeof(*e);
	}
	case EVTCHNOP_set_priority: {
		struct evtchn_set_priority *p = u;

		p->port = fz_port(false);
		p->priority = fz_chance(70) ? (uint32_t)fz_below(16) : fz_u32();
		return sizeof(*p);
	}
	default: {
		uint64_t *w = u;

		for (unsigned int i = 0; i < 4; i++)
			w[i] = fz_word();
		return 32;
	}
	}
}

/* A command; never one the random number turns into a reset of ourselves. */
static unsigned int evtchn_cmd(void)
{
	return fz_chance(92) ? (unsigned int)fz_below(16) : fz_u32();
}

void fz_gen_event_channel_op(struct fz_call *c, unsigned int flags)
{
	uint64_t u[4];
	unsigned int cmd = evtchn_cmd();
	size_t size = evtchn_arg(cmd, u);

	(void)flags;
	c->a[0] = cmd;
	c->a[1] = fz_in(u, size, FZP_ANY);
}

void fz_gen_event_channel_op_compat(struct fz_call *c, unsigned int flags)
{
	struct { uint32_t cmd, pad; uint64_t u[4]; } op;

	(void)flags;
	op.cmd = evtchn_cmd();
	op.pad = 0;
	evtchn_arg(op.cmd, op.u);
	/* struct evtchn_op: cmd, then the union at offset 4 (no padding in Xen's). */
	memmove((char *)&op + 4, op.u, sizeof(op.u));
	c->a[0] = fz_in(&op, sizeof(struct evtchn_op), FZP_ANY);
}

static size_t physdev_arg(unsigned int cmd, uint64_t *w)
{
	for (unsigned int i = 0; i < 8; i++)
		w[i] = fz_chance(50) ? fz_below(256) : fz_word();
	switch (cmd) {
	case PHYSDEVOP_pirq_eoi_gmfn_v1: case PHYSDEVOP_pirq_eoi_gmfn_v2:
		/* Xen keeps this frame mapped writable: a scratch one, or none of ours. */
		w[0] = fz_mfn(FZM_WRITE);
		return 8;
	case PHYSDEVOP_set_iopl:
		w[0] = fz_chance(80) ? fz_below(4) : fz_u32();
		return 4;
	case PHYSDEVOP_set_iobitmap: {
		struct physdev_set_iobitmap *b = (void *)w;

		b->nr_ports = fz_chance(70) ? (uint32_t)fz_below(0x10001) : fz_u32();
		set_xen_guest_handle(b->bitmap, (uint8_t *)fz_ptr(8192, FZP_ANY));
		return sizeof(*b);
	}
	default:
		return 64;
	}
}

void fz_gen_physdev_op(struct fz_call *c, unsigned int flags)
{
	uint64_t w[8];
	unsigned int cmd = fz_chance(92) ? (unsigned int)fz_below(32) : fz_u32();
	size_t size = physdev_arg(cmd, w);

	(void)flags;
	c->a[0] = cmd;
	c->a[1] = fz_in(w, size, FZP_ANY);
}

void fz_gen_physdev_op_compat(struct fz_call *c, unsigned int flags)
{
	struct physdev_op op;
	uint64_t w[8];

	(void)flags;
	op.cmd = fz_chance(92) ? (uint32_t)fz_below(32) : fz_u32();
	physdev_arg(op.cmd, w);
	memcpy(&op.u, w, sizeof(op.u));
	c->a[0] = fz_in(&op, sizeof(op), FZP_ANY);
}

void fz_gen_xen_version(struct fz_call *c, unsigned int flags)
{
	unsigned int cmd = fz_chance(90) ? (unsigned int)fz_below(12) : fz_u32();
	size_t size;

	(void)flags;
	switch (cmd) {
	case XENVER_version: case XENVER_pagesize: size = 0; break;
	case XENVER_extraversion: size = sizeof(xen_extraversion_t); break;
	case XENVER_compile_info: size = sizeof(struct xen_compile_info); break;
	case XENVER_capabilities: size = sizeof(xen_capabilities_info_t); break;
	case XENVER_changeset: size = sizeof(xen_changeset_info_t); break;
	case XENVER_platform_parameters: size = sizeof(struct xen_platform_parameters); break;
	case XENVER_get_features: size = sizeof(struct xen_feature_info); break;
	case XENVER_guest_handle: size = sizeof(xen_domain_handle_t); break;
	case XENVER_commandline: size = sizeof(xen_commandline_t); break;
	case XENVER_build_id: {
		/* len says how much Xen may write after it. */
		uint32_t len = fz_chance(70) ? (uint32_t)fz_below(64) : fz_u32();

		c->a[1] = fz_ptr(4 + fz_span(len, 1), FZP_ANY);
		fz_put(c->a[1], &len, 4);
		c->a[0] = cmd;
		return;
	}
	default: size = 2048; break;
	}
	c->a[0] = cmd;
	c->a[1] = size || fz_chance(50) ? fz_ptr(size, FZP_ANY) : fz_word();
	if (cmd == XENVER_get_features)
		fz_put(c->a[1], &(uint32_t){ (uint32_t)(fz_chance(80) ? fz_below(3) : fz_u32()) }, 4);
}

/* console_io: short lines of text, so the log stays readable. */
void fz_gen_console_io(struct fz_call *c, unsigned int flags)
{
	static const char text[] = "(fuzz console_io)\n";
	unsigned int cmd = fz_chance(80) ? (unsigned int)fz_below(2) : fz_u32();
	uint32_t count = fz_chance(80) ? (uint32_t)fz_below(sizeof(text)) : fz_count(8) | 0x1000;

	(void)flags;
	c->a[0] = cmd;
	c->a[1] = count;
	if (count >= sizeof(text)) {
		c->a[2] = fz_ptr(count, FZP_FAULT);
	} else {
		c->a[2] = fz_ptr(count, FZP_BUF | FZP_FAULT);
		fz_put(c->a[2], text + sizeof(text) - 1 - count, count);
	}
}

/* Anything else: a small command, structures of harmless values, counts. */
void fz_gen_random(struct fz_call *c, unsigned int flags)
{
	uint64_t w[32];

	(void)flags;
	for (unsigned int i = 0; i < ARRAY_SIZE(w); i++)
		w[i] = fz_chance(30) ? fz_below(64) : fz_word();
	if (fz_chance(50))
		w[0] = FZ_PICK(0x03000001, 0x13, 0x14, 0x15, 0x16, 0x80000000);	/* interface versions */
	c->a[0] = fz_chance(70) ? fz_below(64) : fz_word();
	c->a[1] = fz_in(w, sizeof(w), FZP_ANY);
	c->a[2] = fz_chance(50) ? fz_count(4) : fz_word();
	c->a[3] = fz_in(w, sizeof(w), FZP_ANY);
	c->a[4] = fz_word();
	c->a[5] = fz_word();
}

void fz_gen_privileged(struct fz_call *c, unsigned int flags)
{
	fz_gen_random(c, flags);
	switch (c->op) {
	case __HYPERVISOR_dm_op:
		c->a[0] = fz_domid();		/* dm_op(domid, nr_bufs, bufs) */
		break;
	case __HYPERVISOR_platform_op: case __HYPERVISOR_xsm_op:
	case __HYPERVISOR_sysctl: case __HYPERVISOR_domctl:
	case __HYPERVISOR_tmem_op: case __HYPERVISOR_arch_0: case __HYPERVISOR_arch_1:
		c->a[0] = c->a[1];		/* the structure comes first */
		break;
	}
}
