/*
 * Pseudo-physical (pfn) vs machine (mfn) frames. A PV guest sees real
 * machine frames in its page tables, so every translation goes through the
 * P2M list Xen gave us (start_info.mfn_list) or Xen's read-only M2P table.
 * Never assume pfn == mfn: parahost deliberately makes them differ.
 */
#ifndef MM_P2M_H
#define MM_P2M_H

#include <stdint.h>
#include <xen/xen.h>

#include "arch/x86/page.h"
#include "xen/start_info.h"

static inline xen_pfn_t pfn_to_mfn(unsigned long pfn)
{
	return ((const xen_pfn_t *)start_info.mfn_list)[pfn];
}

static inline unsigned long mfn_to_pfn(xen_pfn_t mfn)
{
	return machine_to_phys_mapping[mfn];
}

/* The builder maps pfn N at VIRT_BASE + N pages: valid for bootstrap memory. */
static inline unsigned long virt_to_pfn(const void *va)
{
	return ((unsigned long)va - VIRT_BASE) >> PAGE_SHIFT;
}

static inline void *pfn_to_virt(unsigned long pfn)
{
	return (void *)(VIRT_BASE + (pfn << PAGE_SHIFT));
}

static inline xen_pfn_t virt_to_mfn(const void *va)
{
	return pfn_to_mfn(virt_to_pfn(va));
}

static inline void *mfn_to_virt(xen_pfn_t mfn)
{
	return pfn_to_virt(mfn_to_pfn(mfn));
}

#endif
