/*
 * Guest frames from the host (gframe.h): references first, then the
 * mapping. parahost maps all of guest RAM and its own frames at all
 * times (identity, host.h's phys_to_virt), so "mapping" is a lookup; the
 * reference is what makes the access safe.
 */
#include "host/boot/boot.h"
#include "host/pv/gframe.h"
#include "host/pv/pv.h"

void *gframe__held(const struct domain *d, uint64_t mfn)
{
	if (mfn >= GUEST_MFN_BASE && mfn < GUEST_MFN_BASE + d->nr_frames)
		return phys_to_virt(d->ram_hpa[mfn - GUEST_MFN_BASE]);
	if (mfn >= d->xen_mfn_base && mfn < d->xen_mfn_base + d->nr_xen_frames)
		return phys_to_virt(d->xen_hpa[mfn - d->xen_mfn_base]);
	return NULL;
}

static const enum mm_type use_type[] = {
	[GF_WRITABLE] = MM_T_WRITABLE,
	[GF_SEGDESC] = MM_T_SEGDESC,
};

void *gframe_get(struct domain *d, uint64_t mfn, enum gframe_use use)
{
	void *p = gframe__held(d, mfn);
	int rc;

	if (!p)
		return NULL;
	rc = use == GF_READ ? mm_get_page(&d->mm, mfn) :
			      mm_get_page_and_type(&d->mm, mfn, use_type[use]);
	return rc ? NULL : p;
}

void gframe_put(struct domain *d, uint64_t mfn, enum gframe_use use)
{
	if (use == GF_READ)
		mm_put_page(&d->mm, mfn);
	else
		mm_put_page_and_type(&d->mm, mfn);
}
