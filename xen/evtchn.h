#ifndef XEN_EVTCHN_H
#define XEN_EVTCHN_H

#include <stdint.h>
#include <xen/event_channel.h>

/* Kick the other end of an event channel. */
long evtchn_notify(evtchn_port_t port);

/* Events seen by the upcall handler so far (no handlers are bound yet). */
extern uint64_t evtchn_upcalls, evtchn_events;

/* For tests: sees each upcall's frame (where the event interrupted us) first. */
struct cpu_regs;
extern void (*upcall_hook)(const struct cpu_regs *regs);

#endif
