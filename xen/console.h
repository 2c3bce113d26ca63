#ifndef XEN_CONSOLE_H
#define XEN_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/event_channel.h>

/*
 * The console: a domU writes into its PV console ring (io/console.h) and
 * kicks the console event channel; the initial domain has no ring and
 * writes through HYPERVISOR_console_io instead.
 */
void console_init(void);
void console_write(const char *s, size_t len);
/* Wait (bounded) until the backend has consumed everything we wrote. */
bool console_flush(void);
bool console_uses_ring(void);
/* The console's event channel; a test that rebinds it says where it went. */
evtchn_port_t console_port(void);
void console_set_port(evtchn_port_t p);

/* For tests: bytes ever published, bytes the backend acknowledged. */
uint32_t console_produced(void);
uint32_t console_consumed(void);

#endif
