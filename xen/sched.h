#ifndef XEN_SCHED_H
#define XEN_SCHED_H

#include <xen/sched.h>

void xen_shutdown(unsigned int reason) __attribute__((noreturn));
void xen_yield(void);

#endif
