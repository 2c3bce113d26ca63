/*
 * The console backend (xenconsoled's job): the guest's console ring
 * (<xen/io/console.h>, struct xencons_interface) to the serial port.
 * Serviced when the guest sends on the console event channel and after
 * every exit. It holds a writable reference on the ring frame for as long
 * as the ring is open, so the guest can never retype it, and signals the
 * guest only through its own end of the channel. The guest's indexes are
 * never trusted (lib/bytering.c).
 */
#include "host/pv/pv.h"
#include "lib/barrier.h"
#include "lib/bytering.h"

#include <xen/io/console.h>

static struct xencons_interface *ring;
static int port;

void console_backend_init(void)
{
	/* The builder's ring and port, as xenconsoled finds them in the store. */
	ring = gframe_get(&dom, dom.console_mfn, GF_WRITABLE);
	if (!ring || !mfn_is_ram(dom.console_mfn))
		panic("console ring mfn %#lx is not a writable guest frame",
		      (unsigned long)dom.console_mfn);
	port = evtchn_backend_bind(dom.console_port, console_backend_poll);
	if (port < 0)
		panic("console event channel %u: %d", dom.console_port, port);
}

void console_backend_poll(void)
{
	char buf[256];
	uint32_t cons, prod;
	size_t n;
	bool any = false;

	if (!ring)
		return;
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
