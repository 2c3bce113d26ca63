/* SCHEDOP_*: giving the CPU back, and leaving for good. */
#include "arch/x86/hypercall.h"
#include "xen/sched.h"

void xen_yield(void)
{
	hypercall_sched_op(SCHEDOP_yield, NULL);
}

void xen_shutdown(unsigned int reason)
{
	struct sched_shutdown arg = { .reason = reason };

	/*
	 * Shutdown does not return on Xen. If a host ever lets it return we
	 * must not run on: ask again, forever.
	 */
	for (;;)
		hypercall_sched_op(SCHEDOP_shutdown, &arg);
}
