/*
 * mm_audit: recount the references of a PV domain from scratch and check
 * the page-type invariants (see mm.h). For the tests and the fuzzer, and a
 * debugging aid in parahost; it changes nothing.
 */
#include "host/pv/mm.h"

#define FAIL(msg, mfn)			\
	do {				\
		*why = (msg);		\
		*bad_mfn = (mfn);	\
		return -1;		\
	} while (0)

/* Bits a present, validated entry of each level must (not) have. */
static bool user_bits_ok(unsigned int level, uint64_t e)
{
	if (!(e & MM_PTE_US))
		return false;
	if (level == 4 && !(e & MM_PTE_A))
		return false;
	/* L1: a kernel page is marked, a user page is global. */
	if (level == 1 && !(e & MM_PTE_GUEST_KERNEL) && !(e & MM_PTE_G))
		return false;
	return true;
}

/* mm_owns, inline: parahost's audit runs this for every entry before every VM entry. */
static inline const struct mm_page *owned(const struct mm_domain *d, xen_pfn_t mfn)
{
	uint64_t i = mfn - d->mfn_base;

	return i < d->nr_frames && (d->pages[i].flags & MM_PG_OWNED) ? &d->pages[i] : NULL;
}

/* Add one reference (and type use) on mfn from a scratch count. */
static inline bool add(const struct mm_domain *d, uint32_t *cnt, uint32_t *tcnt,
		       xen_pfn_t mfn, bool type)
{
	uint64_t i;

	if (!owned(d, mfn))
		return false;
	i = mfn - d->mfn_base;
	cnt[i]++;
	if (type)
		tcnt[i]++;
	return true;
}

/* The entries of a validated L1: one reference each, a type use if writable. */
static int audit_l1(const struct mm_domain *d, const uint64_t *tab, xen_pfn_t mfn,
		    uint32_t *cnt, uint32_t *tcnt, const char **why, xen_pfn_t *bad_mfn)
{
	uint64_t dis = mm__disallow(d, 1);

	for (unsigned int s = 0; s < MM_ENTRIES; s++) {
		uint64_t e = tab[s];
		xen_pfn_t t = MM_PTE_MFN(e);
		const struct mm_page *tp;

		if (!(e & MM_PTE_P))
			continue;
		/*
		 * A grant mapping holds what any L1 entry holds (the grant
		 * table took it for the entry): counted below.
		 */
		if (e & dis)
			FAIL("disallowed bit in a validated entry", mfn);
		if (!user_bits_ok(1, e))
			FAIL("64-bit PV adjustment missing", mfn);
		tp = owned(d, t);
		if (!tp) {
			enum mm_foreign f = d->ops->foreign ?
				d->ops->foreign(d->ctx, t) : MM_FOREIGN_RAM;

			if (f == MM_FOREIGN_IO_OK && !d->io_caps)
				f = MM_FOREIGN_IO;
			if (f == MM_FOREIGN_RAM || f == MM_FOREIGN_IO)
				FAIL("L1 maps a frame outside the domain", mfn);
			if (f == MM_FOREIGN_RO && (e & MM_PTE_RW))
				FAIL("L1 maps a read-only host frame writable", mfn);
			continue;
		}
		if ((e & MM_PTE_RW) && tp->type != MM_T_WRITABLE)
			FAIL("writable mapping of a non-writable frame", t);
		cnt[t - d->mfn_base]++;
		if (e & MM_PTE_RW)
			tcnt[t - d->mfn_base]++;
	}
	return 0;
}

int mm_audit(const struct mm_domain *d, const struct mm_vcpu *vcpus,
	     unsigned int nr_vcpus, uint32_t *scratch, const char **why,
	     xen_pfn_t *bad_mfn)
{
	return mm_audit_held(d, vcpus, nr_vcpus, NULL, 0, scratch, why, bad_mfn);
}

int mm_audit_held(const struct mm_domain *d, const struct mm_vcpu *vcpus,
		  unsigned int nr_vcpus, const struct mm_held *held,
		  unsigned int nr_held, uint32_t *scratch, const char **why,
		  xen_pfn_t *bad_mfn)
{
	uint64_t n = d->nr_frames, owned = 0, special = 0;
	uint32_t *cnt = scratch, *tcnt = scratch + n;
	uint32_t *lin_entries = scratch + 2 * n, *lin_uses = scratch + 3 * n;

	/* References that are not entries (and the scratch counts zeroed on the way). */
	for (uint64_t i = 0; i < n; i++) {
		const struct mm_page *p = &d->pages[i];
		xen_pfn_t mfn = d->mfn_base + i;

		cnt[i] = tcnt[i] = lin_entries[i] = lin_uses[i] = 0;
		if (!(p->flags & MM_PG_OWNED)) {
			if (p->count || p->type_count || p->flags || p->linear)
				FAIL("state on a frame the domain does not own", mfn);
			continue;
		}
		owned++;
		if (!p->count)
			FAIL("owned frame with no reference", mfn);
		if (p->flags & MM_PG_ALLOC)
			cnt[i]++;
		if (p->flags & MM_PG_SPECIAL) {
			special++;
			if (p->type != MM_T_WRITABLE)
				FAIL("special frame lost its type", mfn);
			tcnt[i]++;
		}
		if (p->flags & MM_PG_PINNED) {
			if (p->type < MM_T_L1 || p->type > MM_T_L4)
				FAIL("pinned frame is not a page table", mfn);
			cnt[i]++;
			tcnt[i]++;
		}
		if (p->type >= MM_T_L1 && p->type <= MM_T_L4 &&
		    !p->type_count != !(p->flags & MM_PG_VALIDATED))
			FAIL("page table validated iff in use: broken", mfn);
		if (p->type == MM_T_NONE && p->type_count)
			FAIL("type count without a type", mfn);
	}
	if (owned != d->nr_owned)
		FAIL("owned-frame total is off", 0);
	if (special != d->nr_special)
		FAIL("special-frame total is off", 0);
	for (unsigned int k = 0; k < nr_held; k++) {
		bool typed = held[k].type != MM_T_NONE;

		if (!add(d, cnt, tcnt, held[k].mfn, typed))
			FAIL("host-held reference to a frame not owned", held[k].mfn);
		if (typed && d->pages[held[k].mfn - d->mfn_base].type != held[k].type)
			FAIL("host-held reference of another type", held[k].mfn);
	}
	for (unsigned int k = 0; k < nr_vcpus; k++) {
		xen_pfn_t b[2] = { vcpus[k].guest_table, vcpus[k].guest_table_user };

		for (unsigned int j = 0; j < 2; j++) {
			if (!b[j])
				continue;
			if (!add(d, cnt, tcnt, b[j], true))
				FAIL("base pointer to a frame not owned", b[j]);
			if (d->pages[b[j] - d->mfn_base].type != MM_T_L4)
				FAIL("base pointer to a frame not an L4", b[j]);
		}
	}

	/* Every entry of every validated page table. */
	for (uint64_t i = 0; i < n; i++) {
		const struct mm_page *p = &d->pages[i];
		xen_pfn_t mfn = d->mfn_base + i;
		unsigned int level = p->type;
		const uint64_t *tab;
		uint64_t dis;

		if (!(p->flags & MM_PG_OWNED) || level < MM_T_L1 ||
		    level > MM_T_L4 || !(p->flags & MM_PG_VALIDATED))
			continue;
		tab = mm__map(d, mfn);
		if (level == 1) {
			if (audit_l1(d, tab, mfn, cnt, tcnt, why, bad_mfn))
				return -1;
			continue;
		}
		dis = mm__disallow(d, level);
		for (unsigned int s = 0; s < MM_ENTRIES; s++) {
			uint64_t e = tab[s];
			xen_pfn_t t = MM_PTE_MFN(e);
			const struct mm_page *tp;

			if (level == 4 && s >= MM_XEN_SLOT_FIRST &&
			    s <= MM_XEN_SLOT_LAST)
				continue;
			if (!(e & MM_PTE_P))
				continue;
			if (e & dis)
				FAIL("disallowed bit in a validated entry", mfn);
			if (!user_bits_ok(level, e))
				FAIL("64-bit PV adjustment missing", mfn);
			if (t == mfn) {		/* linear self-map */
				if (e & MM_PTE_RW)
					FAIL("writable linear self-map", mfn);
				continue;
			}
			if (!add(d, cnt, tcnt, t, true))
				FAIL("table entry to a frame outside the domain", mfn);
			tp = &d->pages[t - d->mfn_base];
			if (tp->type == level) {
				if (e & MM_PTE_RW)
					FAIL("writable linear entry", mfn);
				lin_entries[i]++;
				lin_uses[t - d->mfn_base]++;
			} else if (tp->type != level - 1) {
				FAIL("table entry to a frame of the wrong type", t);
			}
			if (!(tp->flags & MM_PG_VALIDATED))
				FAIL("table entry to an unvalidated table", t);
		}
	}

	for (uint64_t i = 0; i < n; i++) {
		const struct mm_page *p = &d->pages[i];
		xen_pfn_t mfn = d->mfn_base + i;

		if (!(p->flags & MM_PG_OWNED))
			continue;
		/* Xen also counts hypercall-held references; none between calls. */
		if (p->count != cnt[i])
			FAIL("reference count differs from the recount", mfn);
		if (p->type_count != tcnt[i])
			FAIL("type count differs from the recount", mfn);
		if (lin_entries[i] && lin_uses[i])
			FAIL("table both holds and is a linear entry", mfn);
		if (p->linear != (int32_t)lin_entries[i] - (int32_t)lin_uses[i])
			FAIL("linear count differs from the recount", mfn);
	}
	return 0;
}
