/*
 * Our own domain id. A PV guest has no hypercall that says it, but Xen
 * resolves DOMID_SELF when it records the remote end of an unbound port,
 * and EVTCHNOP_status reports it back.
 */
#ifndef KERNEL_TESTS_SELF_H
#define KERNEL_TESTS_SELF_H

#include "arch/x86/hypercall.h"

/* Our domid, or -1 if Xen would not tell. */
static inline int own_domid(void)
{
	struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
	struct evtchn_status st = { .dom = DOMID_SELF };
	struct evtchn_close c;
	int id = -1;

	if (hypercall_event_channel_op(EVTCHNOP_alloc_unbound, &au))
		return -1;
	st.port = au.port;
	if (hypercall_event_channel_op(EVTCHNOP_status, &st) == 0 &&
	    st.status == EVTCHNSTAT_unbound)
		id = st.u.unbound.dom;
	c.port = au.port;
	hypercall_event_channel_op(EVTCHNOP_close, &c);
	return id;
}

#endif
