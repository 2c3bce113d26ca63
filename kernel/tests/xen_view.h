/* The table entry for the CPU we run on (kernel/tests/xen_view.c). */
#ifndef KERNEL_TESTS_XEN_VIEW_H
#define KERNEL_TESTS_XEN_VIEW_H

#include "kernel/cpuid_walk.h"

/*
 * What real Xen showed a domU on this CPU; NULL, with the running test
 * marked skipped and why, on the initial domain (Xen's dom0 policy is not a
 * domU's) or on a CPU no Xen run was recorded on.
 */
const struct xen_cpu_view *xen_view_or_skip(void);

#endif
