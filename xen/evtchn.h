/*
 * Event channels, the guest side: ports with a handler each, behind one
 * API whichever ABI Xen gave us (FIFO when it offers it, else 2-level;
 * "evtchn=2l" on the command line forces 2-level).
 *
 * A port with no handler stays masked: it can still be polled or tested,
 * but never interrupts us. Handlers run in the upcall, with upcalls
 * masked, after the port's pending bit was cleared (an event that comes
 * while the handler runs is a new one).
 */
#ifndef XEN_EVTCHN_H
#define XEN_EVTCHN_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/event_channel.h>
#include <xen/xen.h>

#include "lib/barrier.h"
#include "xen/start_info.h"

typedef void evtchn_handler_t(evtchn_port_t port, void *arg);

/* Ports we keep a handler (and a wait queue) for. */
#define EVTCHN_MAX_HANDLED	4096

/* Pick the ABI and take over the ports the toolstack bound for us. */
void evtchn_init(void);
bool evtchn_uses_fifo(void);
const char *evtchn_abi_name(void);
/* True if the hypervisor accepted FIFO (whether or not we use it). */
bool evtchn_fifo_offered(void);

/*
 * Binding. Each returns the new port, or a negative Xen errno. The port
 * is unmasked once its handler is in place; h may be NULL (a port to
 * poll or wait on: evtchn_wait).
 */
long evtchn_bind_virq(unsigned int virq, evtchn_handler_t *h, void *arg);
long evtchn_bind_ipi(evtchn_handler_t *h, void *arg);
long evtchn_alloc_unbound(domid_t remote, evtchn_handler_t *h, void *arg);
long evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port,
			     evtchn_handler_t *h, void *arg);
/* Two ports of ours bound to each other: a send on one signals the other. */
long evtchn_loopback(evtchn_port_t *a, evtchn_handler_t *ha, void *arga,
		     evtchn_port_t *b, evtchn_handler_t *hb, void *argb);
/* A handler for a port bound elsewhere (the toolstack's console and store ports). */
void evtchn_set_handler(evtchn_port_t port, evtchn_handler_t *h, void *arg);
long evtchn_close(evtchn_port_t port);
/* Give a port back to raw use: masked, no handler, still open. */
void evtchn_release(evtchn_port_t port);

/* Kick the other end. */
long evtchn_notify(evtchn_port_t port);

/* The port's bits, through whichever ABI is in use. */
void evtchn_mask(evtchn_port_t port);
void evtchn_unmask(evtchn_port_t port);	/* re-raises a pending event (Xen's rule) */
bool evtchn_is_masked(evtchn_port_t port);
bool evtchn_is_pending(evtchn_port_t port);
void evtchn_clear_pending(evtchn_port_t port);

/*
 * Events delivered to port's handler so far, and waiting for the next:
 * sleep until the count moves past seen or the deadline (system time,
 * 0 = none) passes. Returns the count then. Threads only, not handlers.
 */
uint64_t evtchn_count(evtchn_port_t port);
uint64_t evtchn_wait(evtchn_port_t port, uint64_t seen, uint64_t deadline);

/*
 * For tests that need the raw ABI to themselves: every port we unmasked
 * masked again (except keep), and nothing queued; evtchn_unquiet puts
 * the masks back and re-raises whatever came meanwhile.
 */
void evtchn_quiet(evtchn_port_t keep);
void evtchn_unquiet(void);

/* FIFO, for tests: port is the head of queue prio, linked, the queue ready. */
bool evtchn_fifo_queued(evtchn_port_t port, unsigned int prio);
/* FIFO, for tests: the pfn of event array page i, of the control block; FRAME_NONE if none. */
unsigned long evtchn_fifo_page_pfn(unsigned int i);
unsigned long evtchn_fifo_control_pfn(void);

/* Upcalls seen, events dispatched, events that found no handler. */
extern uint64_t evtchn_upcalls, evtchn_events, evtchn_strays;

/* For tests: sees each upcall's frame (where the event interrupted us) first. */
struct cpu_regs;
extern void (*upcall_hook)(const struct cpu_regs *regs);

/*
 * The vCPU's "interrupt flag": Xen's evtchn_upcall_mask. Masking is a
 * plain store; unmasking must look for an event that came while masked
 * and ask Xen to deliver it (a hypercall returns through the upcall).
 */
static inline unsigned int upcalls_off(void)
{
	struct vcpu_info *v = &shared_info->vcpu_info[0];
	unsigned int old = READ_ONCE(v->evtchn_upcall_mask);

	WRITE_ONCE(v->evtchn_upcall_mask, 1);
	barrier();
	return old;
}

void upcalls_on(void);

static inline void upcalls_restore(unsigned int old)
{
	if (!old)
		upcalls_on();
}

static inline bool upcalls_masked(void)
{
	return READ_ONCE(shared_info->vcpu_info[0].evtchn_upcall_mask);
}

/* The ABIs (evtchn_2l.c, evtchn_fifo.c), for evtchn.c. */
struct evtchn_ops {
	const char *name;
	/* Make the port usable (FIFO: an event array page covers it). */
	long (*setup)(evtchn_port_t port);
	void (*mask)(evtchn_port_t port);
	void (*unmask)(evtchn_port_t port);
	bool (*is_masked)(evtchn_port_t port);
	bool (*is_pending)(evtchn_port_t port);
	void (*clear_pending)(evtchn_port_t port);
	/* Walk what is pending, calling evtchn_dispatch() for each port. */
	void (*handle_events)(void);
	/*
	 * For evtchn_quiet: keep unmasked without raising anything, every
	 * queued or signalled event forgotten (masked ports stay pending),
	 * so that the next event on keep is the next upcall.
	 */
	void (*forget)(evtchn_port_t keep);
	/*
	 * Make the next upcall look at everything: a test that played with
	 * the raw bits may have cleared a flag Xen will not set again (FIFO
	 * sets evtchn_upcall_pending only when a queue's ready bit goes
	 * from 0 to 1).
	 */
	void (*rescan)(void);
};
extern const struct evtchn_ops evtchn_ops_2l, evtchn_ops_fifo;
bool evtchn_fifo_start(void);		/* init_control; false: use 2-level */
void evtchn_2l_start(void);
void evtchn_dispatch(evtchn_port_t port);

#endif
