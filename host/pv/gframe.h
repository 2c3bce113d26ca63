/*
 * Guest frames, from the host: the one way host code outside the page-type
 * system turns a guest machine frame number into a pointer (Xen:
 * get_page / get_page_and_type, then map_domain_page).
 *
 *     p = gframe_get(d, mfn, GF_WRITABLE);	NULL: Xen's get_page_and_type would fail
 *     ... use p ...
 *     gframe_put(d, mfn, GF_WRITABLE);
 *
 * A get takes the reference its use needs and fails where Xen's would: a
 * frame the domain does not own (another domain's, free RAM, Xen's own), a
 * writable use of a frame in use as a page table or descriptor page, a
 * descriptor use of a frame typed otherwise. The reference holds until the
 * put. A backend that keeps a ring open holds its writable reference for
 * the ring's lifetime, so the guest can never retype the frame under it.
 */
#ifndef HOST_PV_GFRAME_H
#define HOST_PV_GFRAME_H

#include <stdint.h>

struct domain;

enum gframe_use {
	GF_READ,	/* a general reference: any frame the domain owns; read only */
	GF_WRITABLE,	/* plus a writable type reference */
	GF_SEGDESC,	/* plus a descriptor-page type reference */
};

void *gframe_get(struct domain *d, uint64_t mfn, enum gframe_use use);
void gframe_put(struct domain *d, uint64_t mfn, enum gframe_use use);

/*
 * For the page-type system itself and the page walker only: the frame of
 * an mfn the type system tracks, for a caller whose access is already
 * covered by a reference it holds (the MMU validating a table it is
 * typing; the walker reading tables that the vcpu's base pointer holds
 * typed, as the CPU does). NULL outside the frame table.
 */
void *gframe__held(const struct domain *d, uint64_t mfn);

#endif
