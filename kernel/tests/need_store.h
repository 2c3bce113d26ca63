/*
 * For tests of the xenstore client and xenbus: the initial domain has no
 * store at boot (xenstored runs in it), so such a test skips there, in
 * the form make test accepts on xen-dom0; a domU must have one.
 */
#ifndef KERNEL_TESTS_NEED_STORE_H
#define KERNEL_TESTS_NEED_STORE_H

#include "kernel/ktest.h"
#include "xen/start_info.h"
#include "xen/xenstore.h"

#define NEED_STORE()								\
	do {									\
		if (is_initial_domain()) {					\
			ktest_skip("initial domain: no xenstored at boot"); \
			return;							\
		}								\
		KT_ASSERT(!xenstore_unavailable(), "xenstore: %s", xenstore_unavailable()); \
	} while (0)

#endif
