/*
 * HYPERVISOR_vcpu_op, the operations that are not timers (timer.c has
 * those): which vcpus exist, the runstate, and the privileged ones. We
 * are a one-vcpu domain, as xl builds it from boot/paraos.cfg.
 */
#include <xen/errno.h>
#include <xen/vcpu.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "xen/start_info.h"
#include "xen/time.h"

KTEST(vcpu, is_up)
{
	KT_ASSERT_EQ(hypercall_vcpu_op(VCPUOP_is_up, 0, NULL), 1, "VCPUOP_is_up(0)");
	/* A vcpu the domain does not have: -ENOENT, however far out. */
	KT_ASSERT_EQ(hypercall_vcpu_op(VCPUOP_is_up, 1, NULL), -XEN_ENOENT, "VCPUOP_is_up(1)");
	KT_ASSERT_EQ(hypercall_vcpu_op(VCPUOP_is_up, 100, NULL), -XEN_ENOENT, "VCPUOP_is_up(100)");
}

KTEST(vcpu, up_running_vcpu)
{
	/* Bringing up a vcpu that runs is a no-op that succeeds. */
	KT_ASSERT_EQ(hypercall_vcpu_op(VCPUOP_up, 0, NULL), 0, "VCPUOP_up(0)");
	KT_ASSERT_EQ(hypercall_vcpu_op(VCPUOP_up, 1, NULL), -XEN_ENOENT, "VCPUOP_up(1)");
}

KTEST(vcpu, runstate)
{
	struct vcpu_runstate_info ri;
	uint64_t sum, before, after;

	memset(&ri, 0x5a, sizeof(ri));
	before = xen_system_time();
	KT_ASSERT_EQ(hypercall_vcpu_op(VCPUOP_get_runstate_info, 0, &ri), 0, "get_runstate_info");
	after = xen_system_time();
	/*
	 * We are asking, so we are running. Xen's vcpu_runstate_get counts
	 * the current state's time up to the call: time[running] covers at
	 * least the stretch since state_entry_time, and all the times sum
	 * to no more than the system time now (they start at the vCPU's
	 * creation).
	 */
	KT_ASSERT_EQ(ri.state, RUNSTATE_running, "state");
	sum = ri.time[0] + ri.time[1] + ri.time[2] + ri.time[3];
	KT_ASSERT(ri.state_entry_time <= before, "state entered at %lu, in the future",
		  ri.state_entry_time);
	KT_ASSERT(ri.time[RUNSTATE_running] >= before - ri.state_entry_time,
		  "running %lu ns, but in this state for %lu", ri.time[RUNSTATE_running],
		  before - ri.state_entry_time);
	KT_ASSERT(sum <= after, "times sum to %lu ns at system time %lu", sum, after);
	KT_ASSERT_EQ(hypercall_vcpu_op(VCPUOP_get_runstate_info, 1, &ri), -XEN_ENOENT,
		     "get_runstate_info(1)");
}

KTEST(vcpu, get_physid)
{
	struct vcpu_get_physid id = { .phys_id = ~0ull };
	long rc = hypercall_vcpu_op(VCPUOP_get_physid, 0, &id);

	/* The physical CPU's ids are for the hardware domain only. */
	if (is_initial_domain()) {
		KT_ASSERT_EQ(rc, 0, "VCPUOP_get_physid for dom0");
		KT_ASSERT(id.phys_id != ~0ull, "phys_id not written");
	} else {
		KT_ASSERT_EQ(rc, -XEN_EINVAL, "VCPUOP_get_physid for a domU");
	}
}

KTEST(vcpu, unknown_op)
{
	KT_ASSERT_EQ(hypercall_vcpu_op(99, 0, NULL), -XEN_ENOSYS, "vcpu_op 99");
}
