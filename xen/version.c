/* xen_version: the hypervisor's version and the feature bits it offers. */
#include <xen/version.h>
#include <xen/features.h>

#include "arch/x86/hypercall.h"
#include "kernel/kernel.h"
#include "xen/version.h"



static uint32_t features[XENFEAT_NR_SUBMAPS];
unsigned int xen_major, xen_minor;

bool xen_feature(unsigned int feature)
{
	return feature < XENFEAT_NR_SUBMAPS * 32 &&
		(features[feature / 32] >> (feature % 32)) & 1;
}

void version_init(void)
{
	long version = hypercall_xen_version(XENVER_version, NULL);
	xen_extraversion_t extra = "";

	xen_major = (unsigned long)version >> 16;
	xen_minor = version & 0xffff;
	hypercall_xen_version(XENVER_extraversion, extra);
	extra[sizeof(extra) - 1] = '\0';

	for (unsigned int i = 0; i < XENFEAT_NR_SUBMAPS; i++) {
		struct xen_feature_info fi = { .submap_idx = i };

		if (hypercall_xen_version(XENVER_get_features, &fi) == 0)
			features[i] = fi.submap;
	}
	kprintf("xen: version %u.%u%s, features[0] %#x\n", xen_major, xen_minor,
		extra, features[0]);
}
