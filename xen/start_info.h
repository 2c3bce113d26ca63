#ifndef XEN_START_INFO_H
#define XEN_START_INFO_H

#include <stdbool.h>
#include <xen/xen.h>

/* Our own copy: the builder's page is bootstrap memory we will reclaim. */
extern struct start_info start_info;
extern struct shared_info *shared_info;

/* Copy start_info and map shared_info; before anything may fault. */
void start_info_init(const struct start_info *si);
void start_info_print(void);
/* NULL if start_info is what a 64-bit PV kernel can run with, else why not. */
const char *start_info_problem(void);

static inline bool is_initial_domain(void)
{
	return start_info.flags & SIF_INITDOMAIN;
}

#endif
