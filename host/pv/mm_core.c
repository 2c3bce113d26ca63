/*
 * The PV page-type system (see mm.h for the model). Xen 4.17's rules, our
 * code: get/put of references and types, validation (Xen: promote_l*_table)
 * and devalidation (demote_l*_table) of page tables, entry checks
 * (get_page_from_l*e / put_page_from_l*e), linear page tables, and one-entry
 * updates (mod_l*_entry). The hypercalls are in mm_hcall.c, the audit in
 * mm_audit.c.
 */
#include "host/pv/mm.h"

#include <xen/errno.h>

/*
 * Disallowed bits (Xen: base_disallow_mask = everything except P, RW, US,
 * A, D, AVAIL, AVAIL_HIGH, NX; of the PTE bits that leaves PWT, PCD,
 * PSE/PAT and G). L1: G allowed (and _PAGE_GNTTAB, 0 in a release build,
 * refuses nothing); a domain with I/O capabilities may use the cache
 * attributes (PWT, PCD, PAT).
 */
#define BASE_DISALLOW	(MM_PTE_PWT | MM_PTE_PCD | MM_PTE_PSE | MM_PTE_G)
#define L1_DISALLOW	(BASE_DISALLOW & ~MM_PTE_G)
#define CACHE_ATTRS	(MM_PTE_PAT | MM_PTE_PCD | MM_PTE_PWT)

/*
 * Bits a guest may change in a present entry without it being checked
 * again (Xen: FASTPATH_FLAG_WHITELIST). A change to anything else (the
 * frame, P, RW, the cache bits) takes the full path.
 */
#define FASTPATH_OK	(MM_PTE_NX | MM_PTE_AVAIL_HIGH | MM_PTE_AVAIL | \
			 MM_PTE_G | MM_PTE_D | MM_PTE_A | MM_PTE_US)
#define FASTPATH_CHECK	(~FASTPATH_OK)	/* frame, P, RW, PWT, PCD, PAT */

#define COUNT_MAX	0x7fffffffu	/* refuse references beyond this */

/* ---- Frames ------------------------------------------------------------- */

struct mm_page *mm__page(const struct mm_domain *d, xen_pfn_t mfn)
{
	if (mfn < d->mfn_base || mfn - d->mfn_base >= d->nr_frames)
		return NULL;
	return &d->pages[mfn - d->mfn_base];
}

const struct mm_page *mm_page(const struct mm_domain *d, xen_pfn_t mfn)
{
	return mm__page(d, mfn);
}

bool mm_owns(const struct mm_domain *d, xen_pfn_t mfn)
{
	const struct mm_page *p = mm__page(d, mfn);

	return p && (p->flags & MM_PG_OWNED);
}

uint64_t *mm__map(const struct mm_domain *d, xen_pfn_t mfn)
{
	return d->ops->frame(d->ctx, mfn);
}

/* Xen's __addr_ok: the low half, or above the Xen-reserved area. */
bool mm__addr_ok(uint64_t va)
{
	return va < (1ull << 47) || va >= HYPERVISOR_VIRT_END;
}

uint64_t mm__disallow(const struct mm_domain *d, unsigned int level)
{
	if (level == 1)
		return d->io_caps ? (L1_DISALLOW & ~CACHE_ATTRS) : L1_DISALLOW;
	return BASE_DISALLOW;
}

/* What Xen makes of a present entry of a 64-bit PV guest (adjust_guest_l*e). */
uint64_t mm__adjust(unsigned int level, uint64_t e)
{
	if (!(e & MM_PTE_P))
		return e;
	switch (level) {
	case 1:
		/* Kernel pages are marked; user pages become global. */
		if (!(e & MM_PTE_US))
			e |= MM_PTE_GUEST_KERNEL | MM_PTE_US;
		if (!(e & MM_PTE_GUEST_KERNEL))
			e |= MM_PTE_G | MM_PTE_US;
		return e;
	case 4:
		return e | MM_PTE_A | MM_PTE_US;
	default:
		return e | MM_PTE_US;
	}
}

int mm__tlb(struct mm_domain *d, struct mm_vcpu *v, enum mm_tlb_op op,
	    uint64_t va, uint64_t mask)
{
	if (op == MM_TLB_FLUSH_ALL)
		d->tlbclock++;
	return d->ops->tlb ? d->ops->tlb(d->ctx, v, op, va, mask) : 0;
}

void mm_domain_init(struct mm_domain *d)
{
	for (uint64_t i = 0; i < d->nr_frames; i++)
		d->pages[i] = (struct mm_page){ 0 };
	d->tlbclock = 1;
	d->nr_owned = 0;
	d->nr_special = 0;
}

int mm_assign(struct mm_domain *d, xen_pfn_t mfn)
{
	struct mm_page *p = mm__page(d, mfn);

	if (!p || (p->flags & MM_PG_OWNED) || p->count)
		return -XEN_EINVAL;
	*p = (struct mm_page){ .count = 1, .flags = MM_PG_OWNED | MM_PG_ALLOC };
	d->nr_owned++;
	return 0;
}

int mm_assign_special(struct mm_domain *d, xen_pfn_t mfn)
{
	int rc = mm_assign(d, mfn);
	struct mm_page *p = mm__page(d, mfn);

	if (rc)
		return rc;
	p->type = MM_T_WRITABLE;
	p->type_count = 1;
	p->flags |= MM_PG_VALIDATED | MM_PG_SPECIAL;
	d->nr_special++;
	return 0;
}

uint64_t mm_tot_pages(const struct mm_domain *d)
{
	return d->nr_owned - d->nr_special;
}

/* Xen's get_page_from_mfn: a reference on a frame of this domain. */
struct mm_page *mm__get_page(struct mm_domain *d, xen_pfn_t mfn)
{
	struct mm_page *p = mm__page(d, mfn);

	if (!p || !(p->flags & MM_PG_OWNED) || !p->count ||
	    p->count >= COUNT_MAX)
		return NULL;
	p->count++;
	return p;
}

void mm__put_page(struct mm_domain *d, struct mm_page *p)
{
	if (--p->count == 0) {
		/* Freed: no longer the domain's. */
		if (p->flags & MM_PG_SPECIAL)
			d->nr_special--;
		*p = (struct mm_page){ .stamp = p->stamp };
		d->nr_owned--;
	}
}

int mm_release(struct mm_domain *d, xen_pfn_t mfn)
{
	struct mm_page *p = mm__page(d, mfn);

	if (!p || !(p->flags & MM_PG_OWNED) || !(p->flags & MM_PG_ALLOC))
		return -XEN_EINVAL;
	if (p->flags & MM_PG_PINNED)
		return -XEN_EBUSY;
	p->flags &= ~MM_PG_ALLOC;
	mm__put_page(d, p);
	return 0;
}

int mm_remove_page(struct mm_domain *d, xen_pfn_t mfn)
{
	struct mm_page *p = mm__get_page(d, mfn);

	if (!p)
		return -XEN_ENXIO;
	if (p->flags & MM_PG_ALLOC) {
		p->flags &= ~MM_PG_ALLOC;
		mm__put_page(d, p);
	}
	mm__put_page(d, p);
	return 0;
}

/* ---- Entries --------------------------------------------------------------- */

static int validate(struct mm_domain *d, xen_pfn_t mfn, enum mm_type t);
static void devalidate(struct mm_domain *d, xen_pfn_t mfn, struct mm_page *p);

/* get_page_and_type: a reference plus a type use; -EINVAL if not ours. */
static int get_page_and_type(struct mm_domain *d, xen_pfn_t mfn,
			     enum mm_type t)
{
	struct mm_page *p = mm__get_page(d, mfn);
	int rc;

	if (!p)
		return -XEN_EINVAL;
	rc = mm__get_type(d, mfn, p, t);
	if (rc)
		mm__put_page(d, p);
	return rc;
}

int mm_get_page(struct mm_domain *d, xen_pfn_t mfn)
{
	return mm__get_page(d, mfn) ? 0 : -XEN_EINVAL;
}

void mm_put_page(struct mm_domain *d, xen_pfn_t mfn)
{
	mm__put_page(d, mm__page(d, mfn));
}

int mm_get_page_and_type(struct mm_domain *d, xen_pfn_t mfn, enum mm_type t)
{
	if (t == MM_T_NONE || t > MM_T_WRITABLE)
		return -XEN_EINVAL;
	return get_page_and_type(d, mfn, t);
}

int mm_get_type(struct mm_domain *d, xen_pfn_t mfn, enum mm_type t)
{
	struct mm_page *p = mm__page(d, mfn);

	if (!p || !(p->flags & MM_PG_OWNED) || !p->count ||
	    t == MM_T_NONE || t > MM_T_WRITABLE)
		return -XEN_EINVAL;
	return mm__get_type(d, mfn, p, t);
}

void mm_put_type(struct mm_domain *d, xen_pfn_t mfn)
{
	mm__put_type(d, mfn, mm__page(d, mfn));
}

void mm_put_page_and_type(struct mm_domain *d, xen_pfn_t mfn)
{
	struct mm_page *p = mm__page(d, mfn);

	mm__put_type(d, mfn, p);
	mm__put_page(d, p);
}

/*
 * An L1 entry (present; Xen: get_page_from_l1e), mapping frames of owner
 * (foreigndom's page owner). 0 = references taken, < 0 = Xen's error,
 * > 0 = bits the caller must flip in the entry (permitted I/O: Xen makes
 * WB mappings of MMIO uncached).
 */
static int64_t get_l1e(struct mm_domain *d, uint64_t e, enum mm_owner owner)
{
	xen_pfn_t mfn = MM_PTE_MFN(e);
	struct mm_page *p;

	if (e & mm__disallow(d, 1))
		return -XEN_EINVAL;
	if (!mm_owns(d, mfn)) {
		enum mm_foreign f = d->ops->foreign ?
			d->ops->foreign(d->ctx, mfn) : MM_FOREIGN_RAM;

		/*
		 * Permitted I/O means I/O capabilities (iomem_caps non-empty);
		 * DOMID_IO reverts to the caller's, DOMID_XEN has none.
		 */
		if (f == MM_FOREIGN_IO_OK && (!d->io_caps || owner == MM_OWNER_XEN))
			f = MM_FOREIGN_IO;
		/* A host frame is DOMID_XEN's: not DOMID_IO's to name. */
		if (f == MM_FOREIGN_RO && owner == MM_OWNER_IO)
			f = MM_FOREIGN_RAM;
		switch (f) {
		case MM_FOREIGN_IO_OK:
			if (!(e & CACHE_ATTRS))
				return (int64_t)(MM_PTE_PWT | MM_PTE_PCD);
			if ((e & CACHE_ATTRS) == MM_PTE_PWT ||
			    (e & CACHE_ATTRS) == (MM_PTE_PWT | MM_PTE_PAT))
				return (int64_t)(MM_PTE_PCD | (e & MM_PTE_PAT));
			return 0;
		case MM_FOREIGN_RO:
			return (e & MM_PTE_RW) ? -XEN_EBUSY : 0;
		case MM_FOREIGN_IO:
			/* Xen tells its own INVALID_MFN pattern apart. */
			return mfn == MM_INVALID_MFN ? -XEN_EINVAL : -XEN_EPERM;
		default:
			return -XEN_EBUSY;
		}
	}
	/*
	 * Our own frame named as another owner's: the real owner differs and
	 * only a privileged page owner may pass that on (xsm_priv_mapping).
	 */
	if (owner != MM_OWNER_SELF)
		return -XEN_EBUSY;
	p = mm__get_page(d, mfn);
	if (!p)
		return -XEN_EBUSY;
	if ((e & MM_PTE_RW) && mm__get_type(d, mfn, p, MM_T_WRITABLE)) {
		mm__put_page(d, p);
		return -XEN_EBUSY;
	}
	return 0;
}

/*
 * Release what an L1 entry holds (Xen: put_page_from_l1e). A grant
 * mapping holds the same references as any other entry; a debug build of
 * Xen would crash a domain that removed one other than through the grant
 * table, a release build (_PAGE_GNTTAB 0) cannot tell it apart.
 */
void mm__put_l1e(struct mm_domain *d, uint64_t e)
{
	xen_pfn_t mfn = MM_PTE_MFN(e);
	struct mm_page *p;

	if (!(e & MM_PTE_P) || !mm_owns(d, mfn))
		return;		/* foreign frames hold no references */
	p = mm__page(d, mfn);
	if (e & MM_PTE_RW)
		mm__put_type(d, mfn, p);
	mm__put_page(d, p);
}

/*
 * A read-only entry of a level-n table pointing at a level-n table (Xen:
 * get_l*_linear_pagetable). Self-references take nothing. Otherwise the
 * target must be a validated table of the same level that has no linear
 * entries itself, and this table must not be a linear target: no chains.
 */
static bool get_linear(struct mm_domain *d, uint64_t e, xen_pfn_t table_mfn,
		       unsigned int level)
{
	xen_pfn_t mfn = MM_PTE_MFN(e);
	struct mm_page *tp = mm__page(d, table_mfn), *p;

	if (e & MM_PTE_RW)
		return false;
	if (mfn == table_mfn)
		return true;
	p = mm__get_page(d, mfn);
	if (!p)
		return false;
	if (tp->linear < 0 || tp->linear == INT16_MAX || p->linear > 0 ||
	    p->linear == INT16_MIN || p->type != level ||
	    !(p->flags & MM_PG_VALIDATED) || p->type_count >= COUNT_MAX) {
		mm__put_page(d, p);
		return false;
	}
	tp->linear++;
	p->linear--;
	p->type_count++;
	return true;
}

/* An entry of a level-n table, n >= 2 (Xen: get_page_from_l[234]e). */
static int get_upper(struct mm_domain *d, uint64_t e, xen_pfn_t table_mfn,
		     unsigned int level)
{
	int rc;

	if (e & mm__disallow(d, level))
		return -XEN_EINVAL;
	rc = get_page_and_type(d, MM_PTE_MFN(e), (enum mm_type)(level - 1));
	if (rc == -XEN_EINVAL && get_linear(d, e, table_mfn, level))
		rc = 0;
	return rc;
}

static void put_upper(struct mm_domain *d, uint64_t e, xen_pfn_t table_mfn)
{
	xen_pfn_t mfn = MM_PTE_MFN(e);
	struct mm_page *tp, *p;

	if (!(e & MM_PTE_P) || mfn == table_mfn)
		return;
	tp = mm__page(d, table_mfn);
	p = mm__page(d, mfn);
	if (p->type == tp->type) {	/* a linear entry */
		p->linear++;
		tp->linear--;
	}
	mm__put_type(d, mfn, p);
	mm__put_page(d, p);
}

static bool guest_slot(unsigned int level, unsigned int i)
{
	return level != 4 || i < MM_XEN_SLOT_FIRST || i > MM_XEN_SLOT_LAST;
}

static void put_entry(struct mm_domain *d, unsigned int level, uint64_t e,
		      xen_pfn_t table_mfn)
{
	if (level == 1)
		mm__put_l1e(d, e);
	else
		put_upper(d, e, table_mfn);
}

/* ---- Types ----------------------------------------------------------------- */

/* Xen's _get_page_type (the caller holds a general reference). */
int mm__get_type(struct mm_domain *d, xen_pfn_t mfn, struct mm_page *p,
		 enum mm_type t)
{
	int rc;

	if (p->type_count >= COUNT_MAX)
		return -XEN_EINVAL;
	if (p->type_count) {
		/* In use: only more of the same, and only once validated. */
		if (p->type != t || !(p->flags & MM_PG_VALIDATED))
			return -XEN_EINVAL;
		p->type_count++;
		return 0;
	}
	if (p->type != t) {
		/*
		 * No vCPU may keep a stale translation of a frame whose use
		 * changes (a frame about to become a page table may still be
		 * writable in some TLB): flush unless one happened since the
		 * frame's last use ended.
		 */
		if (p->stamp == d->tlbclock)
			mm__tlb(d, NULL, MM_TLB_FLUSH_ALL, 0, 0);
		p->type = (uint8_t)t;
		p->flags &= ~MM_PG_VALIDATED;
		if (t == MM_T_WRITABLE)
			p->flags |= MM_PG_VALIDATED;
	}
	p->type_count = 1;
	if (!(p->flags & MM_PG_VALIDATED)) {
		rc = validate(d, mfn, t);
		if (rc) {
			/* Xen leaves a frame that failed typeless. */
			p->type_count = 0;
			p->type = MM_T_NONE;
			p->stamp = d->tlbclock;
			return rc;
		}
		p->flags |= MM_PG_VALIDATED;
	}
	return 0;
}

/* Xen's _put_page_type: the last use of a page table devalidates it. */
void mm__put_type(struct mm_domain *d, xen_pfn_t mfn, struct mm_page *p)
{
	if (p->type_count == 1 && p->type >= MM_T_L1 && p->type <= MM_T_L4 &&
	    (p->flags & MM_PG_VALIDATED)) {
		/* Cleared first: nothing may take this table while it goes. */
		p->flags &= ~MM_PG_VALIDATED;
		devalidate(d, mfn, p);
	}
	if (--p->type_count == 0)
		p->stamp = d->tlbclock;
}

/* Check every entry of a new table and take its references (promote_l*). */
static int validate(struct mm_domain *d, xen_pfn_t mfn, enum mm_type t)
{
	unsigned int level = (unsigned int)t, i;
	uint64_t *tab;
	int64_t rc = 0;

	if (t == MM_T_SEGDESC)
		return (!d->ops->segdesc_ok ||
			d->ops->segdesc_ok(d->ctx, mm__map(d, mfn))) ?
			0 : -XEN_EINVAL;
	if (t < MM_T_L1 || t > MM_T_L4)
		return -XEN_EINVAL;

	tab = mm__map(d, mfn);
	for (i = 0; i < MM_ENTRIES; i++) {
		uint64_t e = tab[i];

		if (!guest_slot(level, i) || !(e & MM_PTE_P))
			continue;
		if (level == 1) {
			rc = get_l1e(d, e, MM_OWNER_SELF);
			if (rc > 0) {
				e ^= (uint64_t)rc;
				rc = 0;
			}
		} else {
			rc = get_upper(d, e, mfn, level);
		}
		if (rc < 0)
			break;
		tab[i] = mm__adjust(level, e);
	}
	if (rc < 0) {
		/* Release what the entries before the bad one took. */
		while (i-- > 0)
			if (guest_slot(level, i))
				put_entry(d, level, tab[i], mfn);
		return (int)rc;
	}
	if (level == 4) {
		/* Xen overwrites all of its slots, whatever the guest left. */
		for (i = MM_XEN_SLOT_FIRST; i <= MM_XEN_SLOT_LAST; i++)
			tab[i] = 0;
		if (d->ops->xen_l4)
			d->ops->xen_l4(d->ctx, tab, mfn, MM_L4_VALIDATED);
	}
	return 0;
}

/* Release what a table's entries hold (demote_l*), last entry first. */
static void devalidate(struct mm_domain *d, xen_pfn_t mfn, struct mm_page *p)
{
	unsigned int level = p->type, i = MM_ENTRIES;
	uint64_t *tab = mm__map(d, mfn);

	while (i-- > 0)
		if (guest_slot(level, i))
			put_entry(d, level, tab[i], mfn);
}

/* ---- Updating one entry of a validated table (mod_l*_entry) ------------ */

static void write_entry(uint64_t *pe, uint64_t old, uint64_t new,
			bool preserve_ad)
{
	if (preserve_ad)
		new |= old & (MM_PTE_A | MM_PTE_D);
	*pe = new;
}

/*
 * The caller holds a reference and a type use on the table (Xen's
 * page_lock), so it cannot be devalidated underneath. Returns 0 or Xen's
 * error; on error the entry is unchanged.
 */
int mm__mod_entry(struct mm_domain *d, xen_pfn_t table_mfn, struct mm_page *tp,
		  unsigned int slot, uint64_t val, bool preserve_ad,
		  enum mm_owner owner)
{
	unsigned int level = tp->type;
	uint64_t *pe = &mm__map(d, table_mfn)[slot];
	uint64_t old = *pe;

	if (!guest_slot(level, slot))
		return -XEN_EINVAL;	/* L4 update in Xen's area */
	if (val & MM_PTE_P) {
		int64_t rc;

		if (val & mm__disallow(d, level))
			return -XEN_EINVAL;
		if (!((old ^ val) & FASTPATH_CHECK)) {
			/* Same frame and rights: nothing to recount. */
			write_entry(pe, old, mm__adjust(level, val), preserve_ad);
			return 0;
		}
		if (level == 1) {
			rc = get_l1e(d, val, owner);
			if (rc > 0)
				val ^= (uint64_t)rc;
		} else {
			rc = get_upper(d, val, table_mfn, level);
		}
		if (rc < 0)
			return (int)rc;
		write_entry(pe, old, mm__adjust(level, val), preserve_ad);
	} else {
		write_entry(pe, old, val, preserve_ad);
	}
	put_entry(d, level, old, table_mfn);
	return 0;
}

/* ---- Start and end of day ------------------------------------------------ */

int mm_boot(struct mm_domain *d, struct mm_vcpu *v, xen_pfn_t l4_mfn)
{
	struct mmuext_op pin = { .cmd = MMUEXT_PIN_L4_TABLE };
	unsigned int done;
	int rc;

	pin.arg1.mfn = l4_mfn;
	rc = mm_mmuext_op(d, v, &pin, 1, &done, DOMID_SELF);
	if (rc)
		return rc;
	rc = get_page_and_type(d, l4_mfn, MM_T_L4);
	if (rc)
		return rc;
	v->guest_table = l4_mfn;
	if (d->ops->xen_l4 && !d->m2p_strict)
		d->ops->xen_l4(d->ctx, mm__map(d, l4_mfn), l4_mfn,
			       MM_L4_KERNEL_BASE);
	mm__tlb(d, v, MM_TLB_NEW_BASE, 0, 0);
	return 0;
}

void mm_teardown(struct mm_domain *d, struct mm_vcpu *vcpus,
		 unsigned int nr_vcpus)
{
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		xen_pfn_t *base[2] = { &vcpus[i].guest_table,
				       &vcpus[i].guest_table_user };

		for (unsigned int j = 0; j < 2; j++) {
			xen_pfn_t mfn = *base[j];

			if (mfn) {
				*base[j] = 0;
				mm_put_page_and_type(d, mfn);
			}
		}
	}
	for (uint64_t i = 0; i < d->nr_frames; i++) {
		struct mm_page *p = &d->pages[i];

		if (p->flags & MM_PG_PINNED) {
			p->flags &= ~MM_PG_PINNED;
			mm_put_page_and_type(d, d->mfn_base + i);
		}
	}
}
