/*
 * Event channels, the basics: sending, and an upcall handler that
 * acknowledges whatever is pending. Binding handlers to ports comes with
 * the events issue; until then upcalls stay masked and this handler only
 * runs if something unmasks them.
 */
#include "arch/x86/hypercall.h"
#include "arch/x86/regs.h"
#include "kernel/kernel.h"
#include "xen/evtchn.h"
#include "xen/start_info.h"

uint64_t evtchn_upcalls, evtchn_events;

long evtchn_notify(evtchn_port_t port)
{
	struct evtchn_send send = { .port = port };

	return hypercall_event_channel_op(EVTCHNOP_send, &send);
}

void (*upcall_hook)(const struct cpu_regs *regs);

void do_hypervisor_callback(struct cpu_regs *regs)
{
	struct vcpu_info *vcpu = &shared_info->vcpu_info[0];

	evtchn_upcalls++;
	if (upcall_hook)
		upcall_hook(regs);
	/*
	 * The two-level scan of the 2-level ABI: clear the summary flag first,
	 * then the selector, then the ports, so an event that arrives meanwhile
	 * sets the flag again rather than being lost.
	 */
	WRITE_ONCE(vcpu->evtchn_upcall_pending, 0);
	xen_ulong_t sel = __atomic_exchange_n(&vcpu->evtchn_pending_sel, 0,
					      __ATOMIC_SEQ_CST);
	while (sel) {
		unsigned int word = __builtin_ctzl(sel);
		xen_ulong_t pending;

		sel &= sel - 1;
		pending = READ_ONCE(shared_info->evtchn_pending[word]) &
			~READ_ONCE(shared_info->evtchn_mask[word]);
		__atomic_fetch_and(&shared_info->evtchn_pending[word], ~pending,
				   __ATOMIC_SEQ_CST);
		for (; pending; pending &= pending - 1)
			evtchn_events++;
	}
}
