/*
 * The PV MMU hypercalls over the page-type system of mm.c: mmu_update,
 * mmuext_op, update_va_mapping, with Xen 4.17's checks, error codes and
 * partial completion (Xen: do_mmu_update, do_mmuext_op, new_guest_cr3,
 * __do_update_va_mapping, map_guest_l1e). See mm.h for the contract.
 */
#include "host/pv/mm.h"

#include <xen/errno.h>

#define PAGE_SHIFT	12
#define PAGE_OFFSET	0xfffull

/* The top bit of count marks a continuation (Xen: MMU_UPDATE_PREEMPTED). */
#define PREEMPTED	0x80000000u

static bool preempted(struct mm_domain *d, unsigned int i)
{
	return i && d->ops->preempt && d->ops->preempt(d->ctx);
}

/*
 * Xen's get_pg_owner: DOMID_SELF is the caller; naming itself by number
 * or a domain that does not exist is -ESRCH. *other: a real domain that
 * is not us.
 */
static int get_pg_owner(struct mm_domain *d, domid_t dom, enum mm_owner *owner,
			bool *other)
{
	*owner = MM_OWNER_SELF;
	*other = false;
	if (dom == DOMID_SELF)
		return 0;
	if (dom == d->domid)
		return -XEN_ESRCH;
	if (dom == DOMID_IO) {
		*owner = MM_OWNER_IO;
		return 0;
	}
	if (dom == DOMID_XEN) {
		*owner = MM_OWNER_XEN;
		return 0;
	}
	if (!d->ops->domain_exists || !d->ops->domain_exists(d->ctx, dom))
		return -XEN_ESRCH;
	*other = true;
	return 0;
}

/* XSM's dummy XSM_TARGET: ourselves, or anyone for the control domain. */
static int xsm_target(const struct mm_domain *d, bool self)
{
	return self || d->privileged ? 0 : -XEN_EPERM;
}

/* ---- mmu_update ----------------------------------------------------------- */

/* Write one entry: checked if the frame is a page table in use, plain if not. */
static int normal_update(struct mm_domain *d, uint64_t ptr, uint64_t val,
			 bool preserve_ad, enum mm_owner owner)
{
	xen_pfn_t mfn = ptr >> PAGE_SHIFT;
	unsigned int slot = (unsigned int)((ptr & PAGE_OFFSET) >> 3);
	struct mm_page *p = mm__get_page(d, mfn);
	int rc = -XEN_EINVAL;

	if (!p)
		return -XEN_EINVAL;	/* not a frame of the caller */
	if (p->type_count && (p->flags & MM_PG_VALIDATED)) {
		/* Xen's page_lock: a type use for the duration. */
		p->type_count++;
		switch (p->type) {
		case MM_T_L2: case MM_T_L3: case MM_T_L4:
			/* Only an L1 may map another owner's frames. */
			if (owner != MM_OWNER_SELF)
				break;
			/* fall through */
		case MM_T_L1:
			rc = mm__mod_entry(d, mfn, p, slot, val, preserve_ad, owner);
			break;
		case MM_T_WRITABLE:
			mm__map(d, mfn)[slot] = val;
			rc = 0;
			break;
		default:		/* segment descriptors */
			break;
		}
		mm__put_type(d, mfn, p);
	} else if (!mm__get_type(d, mfn, p, MM_T_WRITABLE)) {
		/* Not in use as anything: an ordinary write. */
		mm__map(d, mfn)[slot] = val;
		mm__put_type(d, mfn, p);
		rc = 0;
	}
	mm__put_page(d, p);
	return rc;
}

int mm_mmu_update(struct mm_domain *d, struct mm_vcpu *v,
		  const mmu_update_t *reqs, unsigned int count,
		  unsigned int *done, unsigned int foreigndom)
{
	unsigned int i, pt_dom = foreigndom >> 16;
	bool pt_other = false, pg_other;
	enum mm_owner owner;
	int rc = 0;

	(void)v;
	*done = 0;
	count &= ~PREEMPTED;
	if (pt_dom && pt_dom - 1 != d->domid) {
		/* Page tables of another domain (PFD): it must exist. */
		if (pt_dom - 1 >= DOMID_FIRST_RESERVED || !d->ops->domain_exists ||
		    !d->ops->domain_exists(d->ctx, (domid_t)(pt_dom - 1))) {
			*done = MM_DONE_NONE;
			return -XEN_ESRCH;
		}
		pt_other = true;
	}
	rc = get_pg_owner(d, (domid_t)foreigndom, &owner, &pg_other);
	if (rc)
		return rc;

	for (i = 0; i < count; i++) {
		uint64_t ptr = reqs[i].ptr, val = reqs[i].val;
		unsigned int cmd = (unsigned int)(ptr & 7);

		if (preempted(d, i)) {
			rc = -MM_ERESTART;
			break;
		}
		switch (cmd) {
		case MMU_NORMAL_PT_UPDATE:
		case MMU_PT_UPDATE_PRESERVE_AD:
		case MMU_PT_UPDATE_NO_TRANSLATE:
			/* xsm_mmu_update: the page owner unless DOMID_IO, then the PFD. */
			rc = owner == MM_OWNER_IO ? 0 :
			     xsm_target(d, owner == MM_OWNER_SELF && !pg_other);
			if (!rc)
				rc = xsm_target(d, !pt_other);
			/* A privileged domain naming another one: there is none here. */
			if (!rc && (pt_other || pg_other))
				rc = -XEN_EINVAL;
			if (!rc)
				rc = normal_update(d, ptr - cmd, val,
						   cmd == MMU_PT_UPDATE_PRESERVE_AD, owner);
			break;
		case MMU_MACHPHYS_UPDATE:
			if (pt_other) {
				rc = -XEN_EPERM;
				break;
			}
			rc = owner == MM_OWNER_IO ? 0 :
			     xsm_target(d, owner == MM_OWNER_SELF && !pg_other);
			if (rc)
				break;
			/* The frame must be the page owner's; IO and XEN own none of ours. */
			if (owner != MM_OWNER_SELF || pg_other ||
			    !mm_owns(d, ptr >> PAGE_SHIFT)) {
				rc = -XEN_EINVAL;
				break;
			}
			if (d->ops->set_m2p)
				d->ops->set_m2p(d->ctx, ptr >> PAGE_SHIFT, val);
			rc = 0;
			break;
		default:
			rc = -XEN_ENOSYS;
			break;
		}
		if (rc)
			break;
	}
	*done = i;
	return rc;
}

/* ---- mmuext_op -------------------------------------------------------------- */

static int pin(struct mm_domain *d, xen_pfn_t mfn, enum mm_type t)
{
	struct mm_page *p = mm__get_page(d, mfn);
	int rc;

	if (!p)
		return -XEN_EINVAL;
	rc = mm__get_type(d, mfn, p, t);
	if (rc) {
		mm__put_page(d, p);
		return rc;
	}
	if (p->flags & MM_PG_PINNED) {
		mm__put_type(d, mfn, p);
		mm__put_page(d, p);
		return -XEN_EINVAL;	/* already pinned */
	}
	p->flags |= MM_PG_PINNED;	/* keeps the reference and the use */
	return 0;
}

static int unpin(struct mm_domain *d, xen_pfn_t mfn)
{
	struct mm_page *p = mm__get_page(d, mfn);

	if (!p)
		return -XEN_EINVAL;
	if (!(p->flags & MM_PG_PINNED)) {
		mm__put_page(d, p);
		return -XEN_EINVAL;	/* not pinned */
	}
	p->flags &= ~MM_PG_PINNED;
	mm__put_type(d, mfn, p);
	mm__put_page(d, p);		/* the pin's */
	mm__put_page(d, p);		/* ours */
	return 0;
}

/*
 * What a base pointer holds on its L4: a reference and the L4 type (which
 * validates the table if nobody uses it yet), and, when asked, Xen's own
 * slots filled in for that kind of base.
 */
static int get_base_l4(struct mm_domain *d, xen_pfn_t mfn, bool fill_xen_slots,
		       enum mm_l4_event which)
{
	struct mm_page *p = mm__get_page(d, mfn);
	int rc;

	if (!p)
		return -XEN_EINVAL;
	rc = mm__get_type(d, mfn, p, MM_T_L4);
	if (rc) {
		mm__put_page(d, p);
		return rc;
	}
	if (fill_xen_slots && d->ops->xen_l4)
		d->ops->xen_l4(d->ctx, mm__map(d, mfn), mfn, which);
	return 0;
}

/* Xen's new_guest_cr3 for a 64-bit guest. */
static int new_baseptr(struct mm_domain *d, struct mm_vcpu *v, xen_pfn_t mfn)
{
	xen_pfn_t old = v->guest_table;
	int rc;

	if (mfn != old) {
		rc = get_base_l4(d, mfn, !d->m2p_strict, MM_L4_KERNEL_BASE);
		if (rc)
			return rc;
		v->guest_table = mfn;
	}
	mm__tlb(d, v, MM_TLB_NEW_BASE, 0, 0);
	if (mfn != old && old)
		mm_put_page_and_type(d, old);
	return 0;
}

static int new_user_baseptr(struct mm_domain *d, struct mm_vcpu *v,
			    xen_pfn_t mfn)
{
	xen_pfn_t old = v->guest_table_user;
	int rc;

	if (mfn == old)
		return 0;
	if (mfn) {
		rc = get_base_l4(d, mfn, d->m2p_strict, MM_L4_USER_BASE);
		if (rc)
			return rc;
	}
	v->guest_table_user = mfn;
	if (old)
		mm_put_page_and_type(d, old);
	return 0;
}

static int clear_page(struct mm_domain *d, xen_pfn_t mfn)
{
	struct mm_page *p = mm__get_page(d, mfn);
	uint64_t *t;

	if (!p)
		return -XEN_EINVAL;
	if (mm__get_type(d, mfn, p, MM_T_WRITABLE)) {
		mm__put_page(d, p);
		return -XEN_EINVAL;
	}
	t = mm__map(d, mfn);
	for (unsigned int i = 0; i < MM_ENTRIES; i++)
		t[i] = 0;
	mm_put_page_and_type(d, mfn);
	return 0;
}

static int copy_page(struct mm_domain *d, xen_pfn_t dst, xen_pfn_t src)
{
	struct mm_page *sp = mm__get_page(d, src), *dp;
	const uint64_t *s;
	uint64_t *t;

	if (!sp)
		return -XEN_EINVAL;
	dp = mm__get_page(d, dst);
	if (!dp || mm__get_type(d, dst, dp, MM_T_WRITABLE)) {
		mm__put_page(d, sp);
		if (dp)
			mm__put_page(d, dp);
		return -XEN_EINVAL;
	}
	s = mm__map(d, src);
	t = mm__map(d, dst);
	if (s != t)
		for (unsigned int i = 0; i < MM_ENTRIES; i++)
			t[i] = s[i];
	mm_put_page_and_type(d, dst);
	mm__put_page(d, sp);
	return 0;
}

static int set_ldt(struct mm_domain *d, struct mm_vcpu *v, uint64_t va,
		   unsigned int ents)
{
	uint64_t ptr = ents ? va : 0;

	if ((ptr & PAGE_OFFSET) || !mm__addr_ok(ptr) || ents > 8192)
		return -XEN_EINVAL;
	if (v->ldt_ents != ents || v->ldt_base != ptr) {
		v->ldt_base = ptr;
		v->ldt_ents = ents;
		mm__tlb(d, v, MM_TLB_NEW_LDT, 0, 0);
	}
	return 0;
}

static int one_ext_op(struct mm_domain *d, struct mm_vcpu *v,
		      const struct mmuext_op *op)
{
	uint64_t va = op->arg1.linear_addr;
	uint64_t mask = (uint64_t)(uintptr_t)op->arg2.vcpumask.p;

	switch (op->cmd) {
	case MMUEXT_PIN_L1_TABLE:
	case MMUEXT_PIN_L2_TABLE:
	case MMUEXT_PIN_L3_TABLE:
	case MMUEXT_PIN_L4_TABLE:
		return pin(d, op->arg1.mfn, (enum mm_type)
			   (MM_T_L1 + op->cmd - MMUEXT_PIN_L1_TABLE));
	case MMUEXT_UNPIN_TABLE:
		return unpin(d, op->arg1.mfn);
	case MMUEXT_NEW_BASEPTR:
		return new_baseptr(d, v, op->arg1.mfn);
	case MMUEXT_NEW_USER_BASEPTR:
		return new_user_baseptr(d, v, op->arg1.mfn);
	case MMUEXT_TLB_FLUSH_LOCAL:
		return mm__tlb(d, v, MM_TLB_FLUSH_LOCAL, 0, 0);
	case MMUEXT_INVLPG_LOCAL:
		return mm__tlb(d, v, MM_TLB_INVLPG_LOCAL, va, 0);
	case MMUEXT_TLB_FLUSH_MULTI:
		return mm__tlb(d, v, MM_TLB_FLUSH_MULTI, 0, mask) ?
			-XEN_EINVAL : 0;
	case MMUEXT_INVLPG_MULTI:
		/* The bitmap is read first; a bad VA is then ignored. */
		return mm__tlb(d, v, mm__addr_ok(va) ? MM_TLB_INVLPG_MULTI :
			       MM_TLB_MASK_ONLY, va, mask) ? -XEN_EINVAL : 0;
	case MMUEXT_TLB_FLUSH_ALL:
		return mm__tlb(d, v, MM_TLB_FLUSH_ALL, 0, 0);
	case MMUEXT_INVLPG_ALL:
		if (mm__addr_ok(va))
			mm__tlb(d, v, MM_TLB_INVLPG_ALL, va, 0);
		return 0;
	case MMUEXT_FLUSH_CACHE:
		if (!d->cache_flush)
			return -XEN_EACCES;
		return mm__tlb(d, v, MM_TLB_WBINVD, 0, 0);
	case MMUEXT_FLUSH_CACHE_GLOBAL:
		if (!d->cache_flush)
			return -XEN_EINVAL;
		return mm__tlb(d, v, MM_TLB_WBINVD_GLOBAL, 0, 0);
	case MMUEXT_SET_LDT:
		return set_ldt(d, v, va, op->arg2.nr_ents);
	case MMUEXT_CLEAR_PAGE:
		return clear_page(d, op->arg1.mfn);
	case MMUEXT_COPY_PAGE:
		return copy_page(d, op->arg1.mfn, op->arg2.src_mfn);
	case MMUEXT_MARK_SUPER:
	case MMUEXT_UNMARK_SUPER:
		return -XEN_EOPNOTSUPP;
	default:
		return -XEN_ENOSYS;
	}
}

/*
 * An op naming another page owner (only the control domain gets this
 * far): the frame ops look the frame up as that owner's, which owns none
 * of ours (-EINVAL); everything else is the caller's own business (-EPERM).
 */
static int foreign_ext_op(const struct mmuext_op *op)
{
	switch (op->cmd) {
	case MMUEXT_PIN_L1_TABLE: case MMUEXT_PIN_L2_TABLE:
	case MMUEXT_PIN_L3_TABLE: case MMUEXT_PIN_L4_TABLE:
	case MMUEXT_UNPIN_TABLE:
	case MMUEXT_CLEAR_PAGE: case MMUEXT_COPY_PAGE:
		return -XEN_EINVAL;
	case MMUEXT_MARK_SUPER: case MMUEXT_UNMARK_SUPER:
		return -XEN_EOPNOTSUPP;
	case MMUEXT_NEW_BASEPTR: case MMUEXT_NEW_USER_BASEPTR:
	case MMUEXT_TLB_FLUSH_LOCAL: case MMUEXT_INVLPG_LOCAL:
	case MMUEXT_TLB_FLUSH_MULTI: case MMUEXT_INVLPG_MULTI:
	case MMUEXT_TLB_FLUSH_ALL: case MMUEXT_INVLPG_ALL:
	case MMUEXT_FLUSH_CACHE: case MMUEXT_FLUSH_CACHE_GLOBAL:
	case MMUEXT_SET_LDT:
		return -XEN_EPERM;
	default:
		return -XEN_ENOSYS;
	}
}

int mm_mmuext_op(struct mm_domain *d, struct mm_vcpu *v,
		 const struct mmuext_op *ops, unsigned int count,
		 unsigned int *done, unsigned int foreigndom)
{
	enum mm_owner owner;
	unsigned int i;
	bool other;
	int rc;

	*done = 0;
	count &= ~PREEMPTED;
	/* Xen returns these before touching pdone: xsm_mmuext_op is XSM_TARGET. */
	rc = get_pg_owner(d, (domid_t)foreigndom, &owner, &other);
	if (!rc)
		rc = xsm_target(d, owner == MM_OWNER_SELF && !other);
	if (rc) {
		*done = MM_DONE_NONE;
		return rc;
	}
	for (i = 0; i < count; i++) {
		if (preempted(d, i)) {
			rc = -MM_ERESTART;
			break;
		}
		rc = owner == MM_OWNER_SELF && !other ? one_ext_op(d, v, &ops[i]) :
			foreign_ext_op(&ops[i]);
		if (rc)
			break;
	}
	*done = i;
	return rc;
}

/* ---- update_va_mapping ------------------------------------------------------ */

/*
 * Xen's map_guest_l1e: the L1 frame for va through v's kernel page tables,
 * as the hardware walk of Xen's linear map sees them (present L4e and L3e,
 * present non-PSE L2e). 0 if there is none.
 */
xen_pfn_t mm__walk_to_l1(const struct mm_domain *d, const struct mm_vcpu *v,
			 uint64_t va)
{
	xen_pfn_t mfn = v->guest_table;
	unsigned int level;

	if (!mm__addr_ok(va) || !mfn)
		return 0;
	for (level = 4; level >= 2; level--) {
		unsigned int idx = (unsigned int)(va >> (12 + 9 * (level - 1))) & 511;
		uint64_t e;

		if (!mm_owns(d, mfn))
			return 0;
		e = mm__map(d, mfn)[idx];
		if (!(e & MM_PTE_P) || (level == 2 && (e & MM_PTE_PSE)))
			return 0;
		mfn = MM_PTE_MFN(e);
	}
	return mfn;
}

int mm_update_va_mapping(struct mm_domain *d, struct mm_vcpu *v,
			 uint64_t va, uint64_t val, uint64_t flags)
{
	xen_pfn_t l1 = mm__walk_to_l1(d, v, va);
	struct mm_page *p = l1 ? mm__get_page(d, l1) : NULL;
	uint64_t bmap = flags & ~(uint64_t)UVMF_FLUSHTYPE_MASK;
	int rc;

	if (!p)
		return -XEN_EINVAL;
	if (p->type != MM_T_L1 || !p->type_count ||
	    !(p->flags & MM_PG_VALIDATED)) {
		mm__put_page(d, p);
		return -XEN_EINVAL;
	}
	p->type_count++;
	rc = mm__mod_entry(d, l1, p, (unsigned int)(va >> 12) & 511, val, false,
			   MM_OWNER_SELF);
	mm__put_type(d, l1, p);
	mm__put_page(d, p);
	if (rc)
		return rc;	/* nothing changed: no flush */

	switch (flags & UVMF_FLUSHTYPE_MASK) {
	case UVMF_TLB_FLUSH:
		if (bmap == UVMF_LOCAL)
			return mm__tlb(d, v, MM_TLB_FLUSH_LOCAL, 0, 0);
		if (bmap == UVMF_ALL)
			return mm__tlb(d, v, MM_TLB_FLUSH_ALL, 0, 0);
		return mm__tlb(d, v, MM_TLB_FLUSH_MULTI, 0, bmap) ?
			-XEN_EFAULT : 0;
	case UVMF_INVLPG:
		if (bmap == UVMF_LOCAL)
			return mm__tlb(d, v, MM_TLB_INVLPG_LOCAL, va, 0);
		if (bmap == UVMF_ALL)
			return mm__tlb(d, v, MM_TLB_INVLPG_ALL, va, 0);
		return mm__tlb(d, v, MM_TLB_INVLPG_MULTI, va, bmap) ?
			-XEN_EFAULT : 0;
	default:
		return 0;
	}
}

/* ---- writable page tables: a trapped write to a read-only L1 ----------- */

/* 0 if va lies in a validated L1 of d's that its tables map read-only. */
int mm_ptwr_target(struct mm_domain *d, struct mm_vcpu *v, uint64_t va)
{
	xen_pfn_t l1 = mm__walk_to_l1(d, v, va);
	struct mm_page *p;
	uint64_t pte;
	int rc = -1;

	if (!l1 || !mm_owns(d, l1))
		return -1;
	pte = mm__map(d, l1)[(va >> PAGE_SHIFT) & 511];
	if ((pte & (MM_PTE_P | MM_PTE_RW)) != MM_PTE_P)
		return -1;
	p = mm__get_page(d, MM_PTE_MFN(pte));
	if (!p)
		return -1;
	if (p->type == MM_T_L1 && p->type_count && (p->flags & MM_PG_VALIDATED))
		rc = 0;
	mm__put_page(d, p);
	return rc;
}

int mm_ptwr_write(struct mm_domain *d, struct mm_vcpu *v, uint64_t va,
		  uint64_t val, unsigned int bytes)
{
	xen_pfn_t l1 = mm__walk_to_l1(d, v, va), mfn;
	unsigned int slot, shift;
	struct mm_page *p;
	uint64_t pte;
	int rc;

	/* The entry that maps va must be present and read-only. */
	if (!l1 || !mm_owns(d, l1))
		return -1;
	pte = mm__map(d, l1)[(va >> PAGE_SHIFT) & 511];
	if ((pte & (MM_PTE_P | MM_PTE_RW)) != MM_PTE_P)
		return -1;
	/* Naturally aligned, 1..8 bytes (Xen: ptwr_emulated_write/update). */
	if (!bytes || bytes > 8 || (bytes & (bytes - 1)) || (va & (bytes - 1)))
		return -1;
	mfn = MM_PTE_MFN(pte);
	p = mm__get_page(d, mfn);
	if (!p)
		return -1;
	if (p->type != MM_T_L1 || !p->type_count ||
	    !(p->flags & MM_PG_VALIDATED)) {
		mm__put_page(d, p);
		return -1;
	}
	p->type_count++;
	slot = (unsigned int)((va & PAGE_OFFSET) >> 3);
	if (bytes != 8) {
		/* A sub-word write: merge into the entry it lands in. */
		uint64_t full = mm__map(d, mfn)[slot];
		uint64_t m = ((1ull << (bytes * 8)) - 1);

		shift = (unsigned int)(va & 7) * 8;
		val = (full & ~(m << shift)) | ((val & m) << shift);
	}
	rc = mm__mod_entry(d, mfn, p, slot, val, false, MM_OWNER_SELF);
	mm__put_type(d, mfn, p);
	mm__put_page(d, p);
	return rc ? -1 : 0;
}
