/*
 * Grant mappings in a PV guest's own page tables (mm.h): the page-table
 * half of GNTTABOP_map_grant_ref, unmap_grant_ref and unmap_and_replace
 * with GNTMAP_host_map (Xen: pv/grant_table.c create_grant_pv_mapping,
 * replace_grant_pv_mapping, steal_linear_address). The entries are
 * written directly, not through get_page_from_l1e: the references they
 * hold were taken by the grant table, which drops them at the unmap.
 */
#include "host/pv/mm.h"

#include <xen/errno.h>
#include <xen/grant_table.h>

#define PAGE_SHIFT	12
#define AVAIL_SHIFT	9		/* PTE bits 9..11: the guest's avail bits */

/*
 * Xen's grant_to_pte_flags, for a RAM frame (write-back), as a release
 * build writes it: no MM_PTE_GNTTAB (measured on Xen 4.17).
 */
static uint64_t grant_pte_flags(uint32_t gflags)
{
	uint64_t f = MM_PTE_P | MM_PTE_A | MM_PTE_D | MM_PTE_NX;

	if (gflags & GNTMAP_application_map)
		f |= MM_PTE_US;
	if (!(gflags & GNTMAP_readonly))
		f |= MM_PTE_RW;
	f |= ((uint64_t)(gflags >> _GNTMAP_guest_avail0) << AVAIL_SHIFT) & MM_PTE_AVAIL;
	return f;
}

/*
 * The L1 entry addr names (Xen: map_domain_page of the L1 for
 * contains_pte, else map_guest_l1e), with a reference and a type use on
 * its table, as Xen's get_page_from_mfn and page_lock: the table must be
 * one of the domain's validated L1s. NULL if it is not.
 */
static uint64_t *lock_l1e(struct mm_domain *d, struct mm_vcpu *v, uint64_t addr,
			  bool contains_pte, xen_pfn_t *l1)
{
	struct mm_page *p;

	if (contains_pte) {
		/* A machine address, which must name a whole entry. */
		if (addr & 7)
			return NULL;
		*l1 = addr >> PAGE_SHIFT;
	} else {
		*l1 = mm__walk_to_l1(d, v, addr);
		if (!*l1)
			return NULL;
	}
	p = mm__get_page(d, *l1);
	if (!p)
		return NULL;
	if (!p->type_count || !(p->flags & MM_PG_VALIDATED) || p->type != MM_T_L1) {
		mm__put_page(d, p);
		return NULL;
	}
	p->type_count++;
	return &mm__map(d, *l1)[contains_pte ? (addr & 0xfff) >> 3 :
				(addr >> PAGE_SHIFT) & (MM_ENTRIES - 1)];
}

static void unlock_l1e(struct mm_domain *d, xen_pfn_t l1)
{
	struct mm_page *p = mm__page(d, l1);

	mm__put_type(d, l1, p);
	mm__put_page(d, p);
}

int mm_grant_map(struct mm_domain *d, struct mm_vcpu *v, uint64_t addr,
		 xen_pfn_t mfn, uint32_t gflags)
{
	uint64_t e = mm__adjust(1, (mfn << PAGE_SHIFT) | grant_pte_flags(gflags));
	uint64_t *pe, old;
	xen_pfn_t l1;

	pe = lock_l1e(d, v, addr, gflags & GNTMAP_contains_pte, &l1);
	if (!pe)
		return GNTST_general_error;
	old = *pe;
	*pe = e;
	unlock_l1e(d, l1);
	mm__put_l1e(d, old);
	return GNTST_okay;
}

/* Zap the entry mapping va and hand it over, references and all. */
static bool steal_linear(struct mm_domain *d, struct mm_vcpu *v, uint64_t va,
			 uint64_t *out)
{
	xen_pfn_t l1;
	uint64_t *pe = lock_l1e(d, v, va, false, &l1);

	if (!pe)
		return false;
	*out = *pe;
	*pe = 0;
	unlock_l1e(d, l1);
	return true;
}

int mm_grant_unmap(struct mm_domain *d, struct mm_vcpu *v, uint64_t addr,
		   xen_pfn_t mfn, uint64_t new_addr, uint32_t gflags)
{
	bool contains_pte = gflags & GNTMAP_contains_pte;
	uint64_t want = grant_pte_flags(gflags), e = 0, *pe, old;
	int rc = GNTST_general_error;
	xen_pfn_t l1;

	/* What adjust_guest_l1e added to the mapping's flags, cache bits aside. */
	want |= (want & MM_PTE_US) ? MM_PTE_G : (MM_PTE_GUEST_KERNEL | MM_PTE_US);
	if (contains_pte && new_addr)
		return GNTST_general_error;	/* no replace by machine address */
	if (new_addr && !steal_linear(d, v, new_addr, &e))
		return GNTST_general_error;
	pe = lock_l1e(d, v, addr, contains_pte, &l1);
	if (pe) {
		old = *pe;
		/* The entry must still be the grant's: its frame, present, its RW. */
		if (MM_PTE_MFN(old) == mfn && !((old ^ want) & (MM_PTE_P | MM_PTE_RW))) {
			*pe = e;
			rc = GNTST_okay;
		}
		unlock_l1e(d, l1);
	}
	if (rc != GNTST_okay)
		mm__put_l1e(d, e);	/* we are still responsible for the stolen entry */
	return rc;
}
