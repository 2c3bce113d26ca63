/*
 * Which CPU are we on, in the table of what real Xen showed (the generated
 * kernel/tests/cpuid_xen_table.h): the vendor and leaf 1's family, model
 * and stepping, as the hypervisor reports them.
 */
#include "kernel/cpuid_walk.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "kernel/tests/xen_view.h"
#include "lib/string.h"
#include "xen/start_info.h"

#include "kernel/tests/cpuid_xen_table.h"

const struct xen_cpu_view *xen_view_or_skip(void)
{
	uint32_t r[4], sig;
	char vendor[13];

	if (is_initial_domain()) {
		ktest_skip("initial domain: the table holds Xen's view for a domU, not dom0's");
		return NULL;
	}

	cpuid_xen_count(0, 0, r);
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	cpuid_xen_count(1, 0, r);
	sig = r[0];
	for (unsigned int i = 0; i < sizeof(xen_views) / sizeof(xen_views[0]); i++)
		if (!strcmp(xen_views[i].vendor, vendor) && xen_views[i].sig == sig)
			return &xen_views[i];
	/* Which CPU this is, so the run that would add it is plain. */
	ktest_skip("no real Xen run on this CPU (%s, leaf 1 EAX %#x) in cpuid_xen_table.h: "
		   "make cpuid-table", vendor, sig);
	return NULL;
}
