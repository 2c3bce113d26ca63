/*
 * The PV console frontend, in protocol order: find the ring page and port
 * that the builder put in start_info, then for every write: copy into the
 * out ring, publish the producer index, kick the port.
 */
#include <xen/io/console.h>

#include "arch/x86/hypercall.h"
#include "kernel/kernel.h"
#include "lib/bytering.h"
#include "mm/p2m.h"
#include "xen/console.h"
#include "xen/evtchn.h"
#include "xen/sched.h"
#include "xen/start_info.h"

/* How long we wait for a backend that does not drain the ring. */
#define CONSOLE_MAX_YIELDS	200000

static struct xencons_interface *ring;
static evtchn_port_t port;
static bool ready;
static uint32_t dropped;

void console_init(void)
{
	/* Without a ring, console_io is all we have (a debug Xen prints it). */
	if (!is_initial_domain() && start_info.console.domU.mfn) {
		/* The builder mapped the ring page inside our bootstrap region. */
		ring = mfn_to_virt(start_info.console.domU.mfn);
		port = start_info.console.domU.evtchn;
	}
	ready = true;
}

bool console_uses_ring(void)
{
	return ring != NULL;
}

evtchn_port_t console_port(void)
{
	return port;
}

void console_set_port(evtchn_port_t p)
{
	port = p;
}

static void ring_write(const char *s, size_t len)
{
	unsigned int yields = 0;

	while (len) {
		uint32_t prod = ring->out_prod;	/* only we write out_prod */
		uint32_t cons = READ_ONCE(ring->out_cons);
		size_t n;

		/* Read cons before overwriting the bytes it frees. */
		mb();
		n = bytering_put(ring->out, sizeof(ring->out), &prod, cons, s, len);
		/* The bytes must be visible before the index that covers them. */
		wmb();
		WRITE_ONCE(ring->out_prod, prod);
		evtchn_notify(port);
		s += n;
		len -= n;
		if (n == 0) {
			if (++yields > CONSOLE_MAX_YIELDS) {
				dropped += len;	/* a dead backend must not hang us */
				return;
			}
			xen_yield();
		}
	}
}

void console_write(const char *s, size_t len)
{
	if (!ready)
		return;
	if (ring)
		ring_write(s, len);
	else
		hypercall_console_io(CONSOLEIO_write, len, s);
}

bool console_flush(void)
{
	if (!ring)
		return true;
	for (unsigned int i = 0; i < CONSOLE_MAX_YIELDS; i++) {
		if (READ_ONCE(ring->out_cons) == ring->out_prod)
			return true;
		evtchn_notify(port);
		xen_yield();
	}
	return false;
}

uint32_t console_produced(void)
{
	return ring ? ring->out_prod : 0;
}

uint32_t console_consumed(void)
{
	return ring ? READ_ONCE(ring->out_cons) : 0;
}
