/*
 * Time as Xen gives it to a PV guest: system time (ns since the host
 * booted) from the vcpu_time_info that Xen keeps in shared_info, extended
 * with the TSC between Xen's updates.
 */
#ifndef XEN_TIME_H
#define XEN_TIME_H

#include <stdint.h>

uint64_t xen_system_time(void);

#endif
