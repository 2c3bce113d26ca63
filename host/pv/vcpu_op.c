/*
 * HYPERVISOR_vcpu_op for our one vcpu (Xen: common/domain.c do_vcpu_op,
 * arch/x86/domain.c arch_do_vcpu_op): state queries, runstate, timers,
 * vcpu_info placement.
 */
#include "host/pv/pv.h"

/*
 * Xen's accounting: an interval goes into time[] when the state changes,
 * so the times sum to the entry time of the current state. Zero-filled:
 * running since the domain was built, at system time 0.
 */
static struct vcpu_runstate_info runstate;

void vcpu_runstate_set(int state)
{
	uint64_t now = system_time_ns();

	runstate.time[runstate.state] += now - runstate.state_entry_time;
	runstate.state = state;
	runstate.state_entry_time = now;
}

/* Xen's vcpu_runstate_get: the current state's time counted up to now. */
static void fill_runstate(struct vcpu_runstate_info *r)
{
	uint64_t now = system_time_ns();

	*r = runstate;
	if (now > r->state_entry_time)
		r->time[r->state] += now - r->state_entry_time;
}

long do_vcpu_op(int cmd, unsigned int vcpuid, uint64_t arg)
{
	if (vcpuid != 0)
		return -ENOENT;

	switch (cmd) {
	case VCPUOP_initialise:
		return -EEXIST;		/* vcpu 0 is already initialised */
	case VCPUOP_up:
		return 0;
	case VCPUOP_down:
		return -EINVAL;		/* taking down the only vcpu: not supported here */
	case VCPUOP_is_up:
		return 1;
	case VCPUOP_get_runstate_info: {
		struct vcpu_runstate_info r;

		fill_runstate(&r);
		return copy_to_guest(arg, &r, sizeof(r)) ? -EFAULT : 0;
	}
	case VCPUOP_register_runstate_memory_area: {
		struct vcpu_register_runstate_memory_area a;
		struct vcpu_runstate_info r;

		if (copy_from_guest(&a, arg, sizeof(a)))
			return -EFAULT;
		dom.runstate_va = (uint64_t)(uintptr_t)a.addr.h.p;
		if (dom.runstate_va) {
			/* Xen's update_runstate_area: the record as it stands, no interval added. */
			r = runstate;
			copy_to_guest(dom.runstate_va, &r, sizeof(r));	/* best effort, as Xen */
		}
		return 0;
	}
	case VCPUOP_set_periodic_timer: {
		struct vcpu_set_periodic_timer t;

		if (copy_from_guest(&t, arg, sizeof(t)))
			return -EFAULT;
		if (t.period_ns < 1000000)
			return -EINVAL;
		dom.periodic_period = t.period_ns;
		dom.periodic_next = system_time_ns() + t.period_ns;
		return 0;
	}
	case VCPUOP_stop_periodic_timer:
		dom.periodic_period = 0;
		return 0;
	case VCPUOP_set_singleshot_timer: {
		struct vcpu_set_singleshot_timer t;

		if (copy_from_guest(&t, arg, sizeof(t)))
			return -EFAULT;
		/* Xen 4.17 ignores VCPU_SSHOTTMR_future: a past timeout fires at once. */
		dom.timer_deadline = t.timeout_abs_ns ? t.timeout_abs_ns : 1;
		return 0;
	}
	case VCPUOP_stop_singleshot_timer:
		dom.timer_deadline = 0;
		return 0;
	case VCPUOP_register_vcpu_info: {
		struct vcpu_register_vcpu_info info;
		struct vcpu_info *nv;
		uint8_t *page;

		if (copy_from_guest(&info, arg, sizeof(info)))
			return -EFAULT;
		if (dom.vcpu_info_registered)
			return -EINVAL;
		if (info.offset > PAGE_SIZE - sizeof(struct vcpu_info))
			return -EINVAL;
		/* Xen keeps a writable type reference on the page for good. */
		page = gframe_get(&dom, info.mfn, GF_WRITABLE);
		if (!page)
			return -EINVAL;
		nv = (struct vcpu_info *)(page + info.offset);
		memcpy(nv, dom.vcpu_info, sizeof(*nv));
		/* Make the guest rescan every event word, as Xen does. */
		nv->evtchn_upcall_pending = 1;
		nv->evtchn_pending_sel = ~0UL;
		dom.vcpu_info = nv;
		dom.vcpu_info_registered = true;
		return 0;
	}
	case VCPUOP_get_physid:
		return -EINVAL;		/* hardware domain only */
	default:
		return -ENOSYS;
	}
}
