/*
 * What every backend does first: take the guest's ring frame with a
 * writable type reference for as long as the ring is open (so the guest
 * can never make it a page table or descriptor page under us), and bind
 * our end of the guest's event channel. The builder made both, so a
 * failure is parahost's own bug.
 */
#include "host/pv/pv.h"

void *backend_ring_open(const char *what, uint64_t mfn, evtchn_port_t guest_port,
			void (*notify)(void), int *be_port)
{
	void *ring = gframe_get(&dom, mfn, GF_WRITABLE);

	if (!ring || !mfn_is_ram(mfn))
		panic("%s ring mfn %#lx is not a writable guest frame", what, (unsigned long)mfn);
	*be_port = evtchn_backend_bind(guest_port, notify);
	if (*be_port < 0)
		panic("%s event channel %u: %d", what, guest_port, *be_port);
	return ring;
}
