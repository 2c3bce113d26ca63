/*
 * The console backend (xenconsoled's job): the guest's console ring
 * (<xen/io/console.h>, struct xencons_interface) to the serial port.
 * Serviced when the guest sends on the console event channel and after
 * every exit. The guest's indexes are never trusted (lib/bytering.c).
 */
#include "host/pv/pv.h"
#include "lib/barrier.h"
#include "lib/bytering.h"

#include <xen/io/console.h>

static struct xencons_interface *ring;

void console_backend_init(void)
{
	ring = mfn_to_host(dom.console_mfn);
	if (!ring || !mfn_is_ram(dom.console_mfn))
		panic("console ring mfn %#lx is not guest memory", (unsigned long)dom.console_mfn);
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
	if (any && dom.console_port)
		evtchn_set_pending(dom.console_port);
}
