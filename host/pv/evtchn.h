/*
 * Event channels inside host/pv (Xen: common/event_channel.h). The ports
 * live in buckets of 64, allocated as the domain takes ports, as Xen's
 * do; the bits a guest sees live where its ABI puts them, behind one set
 * of port operations: shared_info's bitmaps (evtchn_2l.c) or the event
 * words and queues of the FIFO ABI (evtchn_fifo.c).
 */
#ifndef HOST_PV_EVTCHN_H
#define HOST_PV_EVTCHN_H

#include "host/pv/pv.h"

#define EVTCHNS_PER_BUCKET	64
#define NR_2L_PORTS		(64 * 64)	/* a 64-bit guest's 2-level ABI */

struct evtchn {
	uint8_t state;			/* enum evtchn_state */
	uint8_t priority;		/* FIFO queue for the next event */
	uint8_t last_priority;		/* FIFO queue it was last linked on */
	bool pending;			/* FIFO: raised while it had no event word */
	uint16_t virq;
	domid_t remote_dom;		/* ECS_UNBOUND, ECS_INTERDOMAIN */
	evtchn_port_t port;
	evtchn_port_t remote_port;	/* ECS_INTERDOMAIN: in remote_dom's port space */
};

/* Xen's evtchn_port_ops: everything that depends on where the bits are. */
struct evtchn_port_ops {
	void (*init)(struct evtchn *chn);
	void (*set_pending)(struct evtchn *chn);
	void (*clear_pending)(struct evtchn *chn);
	void (*unmask)(struct evtchn *chn);
	bool (*is_pending)(const struct evtchn *chn);
	bool (*is_masked)(const struct evtchn *chn);
	bool (*is_busy)(const struct evtchn *chn);	/* NULL: never */
	long (*set_priority)(struct evtchn *chn, unsigned int priority);	/* NULL: -ENOSYS */
};
extern const struct evtchn_port_ops evtchn_port_ops_2l, evtchn_port_ops_fifo;

/* Ports up to valid_evtchns exist (a port once valid stays valid). */
bool evtchn_port_is_valid(evtchn_port_t port);
struct evtchn *evtchn_from_port(evtchn_port_t port);	/* NULL if not valid */

/* Xen's vcpu_mark_events_pending: the upcall flag, and a kick if it was clear. */
void evtchn_mark_events_pending(void);

/* evtchn_fifo.c: the hypercalls, and going back to 2-level (EVTCHNOP_reset). */
long evtchn_fifo_init_control(struct evtchn_init_control *ic);
long evtchn_fifo_expand_array(const struct evtchn_expand_array *ea);
void evtchn_fifo_destroy(void);
struct mm_held;
unsigned int evtchn_fifo_held(struct mm_held *out, unsigned int max);	/* audit.c */

#endif
