/*
 * The console backend (xenconsoled's job): the guest's console ring
 * (<xen/io/console.h>, struct xencons_interface) to the serial port and
 * back. Output is drained when the guest sends on the console event
 * channel and after every exit; serial input goes into the ring's in side
 * as it arrives, with an event. It holds a writable reference on the ring
 * frame for as long as the ring is open, so the guest can never retype
 * it, and signals the guest only through its own end of the channel. The
 * guest's indexes are never trusted (lib/bytering.c); the in side's
 * producer index is ours, kept here, only ever copied to the ring.
 */
#include "host/pv/pv.h"
#include "lib/barrier.h"
#include "lib/bytering.h"

#include <xen/io/console.h>

static struct xencons_interface *ring;
static int port;
/* Typed but not yet in the ring (the guest reads slower than we type). */
static char typed[256];
static size_t nr_typed;
static uint32_t in_prod;

static void flush_input(void)
{
	uint32_t cons;
	size_t n;

	if (!ring || !nr_typed)
		return;
	cons = READ_ONCE(ring->in_cons);
	mb();
	n = bytering_put(ring->in, sizeof(ring->in), &in_prod, cons, typed, nr_typed);
	if (!n)
		return;
	wmb();
	WRITE_ONCE(ring->in_prod, in_prod);
	memmove(typed, typed + n, nr_typed - n);
	nr_typed -= n;
	evtchn_backend_notify(port);
}

void console_backend_input(const char *s, size_t n)
{
	/* xenconsoled buffers too; past that, bytes are dropped, not the ring. */
	for (size_t i = 0; i < n && nr_typed < sizeof(typed); i++)
		typed[nr_typed++] = s[i];
	flush_input();
}

void console_backend_init(void)
{
	/* The builder's ring and port, as xenconsoled finds them in the store. */
	ring = backend_ring_open("console", dom.console_mfn, dom.console_port,
				 console_backend_poll, &port);
	in_prod = READ_ONCE(ring->in_prod);	/* the builder's zero */
}

void console_backend_poll(void)
{
	char buf[256];
	uint32_t cons, prod;
	size_t n;
	bool any = false;

	if (!ring)
		return;
	/* The guest kicks us when it has read: room for what is still typed. */
	flush_input();
	for (;;) {
		cons = READ_ONCE(ring->out_cons);
		prod = READ_ONCE(ring->out_prod);
		rmb();
		n = bytering_get(ring->out, sizeof(ring->out), &cons, prod, buf, sizeof(buf));
		if (!n)
			break;
		console_guest_write(buf, n);
		mb();
		WRITE_ONCE(ring->out_cons, cons);
		any = true;
	}
	/* Tell the guest there is room again, as xenconsoled does. */
	if (any)
		evtchn_backend_notify(port);
}
