/*
 * Building the domain's start of day: the adapter between parahost and the
 * PV domain builder (host/pv/build.{c,h}, Xen's start-of-day layout written
 * into guest frames). What parahost needs back from it is small.
 */
#ifndef HOST_PV_START_H
#define HOST_PV_START_H

#include <stddef.h>
#include <stdint.h>

struct xen_image;
struct boot_module;

struct pv_start {
	uint64_t entry;			/* RIP */
	uint64_t stack;			/* RSP */
	uint64_t start_info_va;		/* RSI */
	uint64_t l4_mfn;		/* CR3 */
	uint64_t console_mfn, store_mfn;
	uint64_t hypercall_page_va;	/* 0: none */
};

int pv_start_build(const void *image, size_t len, const struct xen_image *img,
		   const char *cmdline, const struct boot_module *initrd, struct pv_start *ps,
		   const char **why);

#endif
