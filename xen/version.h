#ifndef XEN_VERSION_H
#define XEN_VERSION_H

#include <stdbool.h>
#include <stdint.h>

/* Ask Xen who it is and which XENFEAT_* it offers us; print both. */
void version_init(void);
bool xen_feature(unsigned int feature);
extern unsigned int xen_major, xen_minor;

#endif
