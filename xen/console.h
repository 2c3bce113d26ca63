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
/* Input on: the console port's handler (VIRQ_CONSOLE for the initial domain). */
void console_start(void);
/*
 * The next line typed, without its end (CR, LF or CRLF), NUL-terminated
 * and cut to size; its length, or -1 if the deadline (0: none) came first.
 */
long console_read_line(char *buf, size_t size, uint64_t deadline);
uint64_t console_input_bytes(void);
/* The console's event channel; a test that rebinds it says where it went. */
evtchn_port_t console_port(void);
void console_set_port(evtchn_port_t p);

/* For tests: bytes ever published, bytes the backend acknowledged. */
uint32_t console_produced(void);
uint32_t console_consumed(void);

#endif
