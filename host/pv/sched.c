/*
 * HYPERVISOR_sched_op and set_timer_op (Xen: common/sched/core.c). One
 * vcpu: yield returns at once; block and poll stop the physical CPU
 * (HLT) until the host timer fires at the next guest deadline, or an
 * event comes (serial input, for now the only other source). A blocked
 * vcpu with no timer waits for an event, however long, as on Xen.
 */
#include "host/pv/pv.h"

void vcpu_wait(bool (*done)(const void *ctx), const void *ctx, uint64_t deadline)
{
	for (;;) {
		bool more;

		time_check_timers();
		pv_poll_input();
		/* A backend's work left over from its budget goes on instead of halting. */
		more = blkback_poll();
		if (done(ctx) || (deadline && system_time_ns() >= deadline))
			return;
		if (more)
			continue;
		time_arm_host_timer(deadline);
		host_halt();
	}
}

/* Xen's vcpu_block: woken by an event that needs delivery, with upcalls on. */
static bool events_need_delivery(const void *ctx)
{
	(void)ctx;
	return evtchn_upcall_pending();
}

/* SCHEDOP_block: enable event delivery, then sleep until something is pending. */
static long do_block(void)
{
	vcpu_info0()->evtchn_upcall_mask = 0;
	if (!evtchn_upcall_pending()) {
		vcpu_runstate_set(RUNSTATE_blocked);
		vcpu_wait(events_need_delivery, NULL, 0);
		vcpu_runstate_set(RUNSTATE_running);
	}
	return 0;
}

struct poll {
	const evtchn_port_t *ports;
	unsigned int n;
};

/*
 * Xen's poll ends when one of the ports becomes pending (masked or not),
 * and also when the vcpu is kicked: an event anywhere that raised the
 * upcall flag from clear, as vcpu_mark_events_pending wakes any blocked
 * vcpu, polling or not.
 */
static bool poll_done(const void *ctx)
{
	const struct poll *p = ctx;

	if (dom.kicked)
		return true;
	for (unsigned int i = 0; i < p->n; i++)
		if (evtchn_port_poll(p->ports[i]) > 0)
			return true;
	return false;
}

long do_sched_op(int cmd, uint64_t arg)
{
	switch (cmd) {
	case SCHEDOP_yield:
		return 0;
	case SCHEDOP_block:
		return do_block();
	case SCHEDOP_shutdown: {
		struct sched_shutdown s;

		if (copy_from_guest(&s, arg, sizeof(s)))
			return -EFAULT;
		domain_shutdown(s.reason);
	}
	case SCHEDOP_shutdown_code: {
		struct sched_shutdown s;

		if (copy_from_guest(&s, arg, sizeof(s)))
			return -EFAULT;
		dom.shutdown_reason = s.reason;
		return 0;
	}
	case SCHEDOP_poll: {
		struct sched_poll p;
		evtchn_port_t ports[128];

		if (copy_from_guest(&p, arg, sizeof(p)))
			return -EFAULT;
		if (p.nr_ports > 128)
			return -EINVAL;
		if (p.nr_ports > ARRAY_SIZE(ports))
			return -EINVAL;
		if (copy_from_guest(ports, (uint64_t)(uintptr_t)p.ports.p,
				    p.nr_ports * sizeof(evtchn_port_t)))
			return -EFAULT;
		/*
		 * Xen's evtchn_port_poll, port by port before blocking: a port
		 * that is not in use is -EINVAL (XSA-221: never look further
		 * into it), a pending one ends the poll at once.
		 */
		/* Xen looks at the vcpu's own events first: they end any poll. */
		if (evtchn_upcall_pending() && !vcpu_info0()->evtchn_upcall_mask)
			return 0;
		for (unsigned int i = 0; i < p.nr_ports; i++) {
			int rc = evtchn_port_poll(ports[i]);

			if (rc < 0)
				return rc;
			if (rc > 0)
				return 0;
		}
		{
			struct poll ctx = { ports, p.nr_ports };

			vcpu_runstate_set(RUNSTATE_blocked);
			dom.kicked = false;
			vcpu_wait(poll_done, &ctx, p.timeout);
			vcpu_runstate_set(RUNSTATE_running);
		}
		return 0;
	}
	case SCHEDOP_remote_shutdown:
		return -EPERM;
	case SCHEDOP_watchdog: {
		struct sched_watchdog w;
		unsigned int id;

		if (copy_from_guest(&w, arg, sizeof(w)))
			return -EFAULT;
		if (w.id > 2)
			return -EINVAL;
		if (w.id == 0) {
			for (id = 0; id < 2; id++)
				if (!(dom.watchdog_inuse & (1U << id)))
					break;
			/* Xen's "id == 2 ? -ENOSPC : id + 1" is unsigned: the
			 * error reaches the guest zero-extended from 32 bits. */
			if (id == 2)
				return (long)(uint32_t)-ENOSPC;
			dom.watchdog_inuse |= 1U << id;
			dom.watchdog_deadline[id] = system_time_ns() + w.timeout * 1000000000UL;
			return id + 1;
		}
		id = w.id - 1;
		if (!(dom.watchdog_inuse & (1U << id)))
			return -EINVAL;
		if (w.timeout == 0)
			dom.watchdog_inuse &= ~(1U << id);
		else
			dom.watchdog_deadline[id] = system_time_ns() + w.timeout * 1000000000UL;
		return 0;
	}
	case SCHEDOP_pin_override:
		return -EPERM;
	default:
		return -ENOSYS;
	}
}

long do_sched_op_compat(int cmd, uint64_t arg)
{
	switch (cmd) {
	case SCHEDOP_yield:
		return 0;
	case SCHEDOP_block:
		return do_block();
	case SCHEDOP_shutdown:
		domain_shutdown((unsigned int)arg);
	default:
		return -ENOSYS;
	}
}

long do_set_timer_op(uint64_t timeout)
{
	uint64_t now = system_time_ns();
	int64_t offset = (int64_t)(timeout - now);

	/* 0 cancels; a time in the past fires at once. */
	if (timeout == 0) {
		dom.timer_deadline = 0;
	} else if ((int64_t)timeout < 0 || (offset > 0 && (uint32_t)(offset >> 50) != 0)) {
		/* Xen's workaround for huge (wrapped) timeouts: fire in 100 ms. */
		dom.timer_deadline = now + 100000000;
	} else {
		dom.timer_deadline = timeout;
	}
	return 0;
}
