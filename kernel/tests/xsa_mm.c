/*
 * XSAs about the PV MMU: page-table validation (superpages, cache
 * attributes, linear entries), mmu_update's foreign-domain and M2P forms,
 * TLB-flush requests with bad addresses, Xen's own linear mappings inside
 * a multicall, and the hypercall return to a non-canonical RIP.
 */
#include <xen/errno.h>

#include "arch/x86/extable.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/regs.h"
#include "kernel/ktest.h"
#include "kernel/tests/probe.h"
#include "kernel/tests/ptframe.h"
#include "kernel/tests/self.h"
#include "mm/layout.h"
#include "mm/mm.h"
#include "mm/mmu.h"
#include "mm/vmap.h"

#define NON_CANONICAL	0x8000000000000000ul

/*
 * XSA-148: a PV guest could create superpage (PSE) mappings in its L2s
 * and so map memory it does not own. Xen 4.17 has no PV superpages: an
 * L2 holding a PSE entry does not validate, so pinning it is -EINVAL.
 */
KTEST(xsa, xsa_148_l2_superpage_refused)
{
	unsigned long pfn = frame_alloc(), data = frame_alloc();
	struct pt_batch b = { 0 };
	long rc;

	KT_ASSERT(pfn != FRAME_NONE && data != FRAME_NONE, "setup");
	memset(pfn_to_virt(pfn), 0, PAGE_SIZE);
	/* Written while ordinary memory; checked when pinned. */
	((uint64_t *)pfn_to_virt(pfn))[3] = frame_pte(data, PTE_KERNEL_RW | _PAGE_PSE);
	pt_set(&b, (unsigned long)pfn_to_virt(pfn), frame_pte(pfn, PTE_KERNEL_RO));
	pt_commit(&b);
	rc = mmuext(MMUEXT_PIN_L2_TABLE, pfn_to_mfn(pfn));
	if (rc == 0)
		mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(pfn));
	release_table_frame(pfn);
	frame_free(data);
	KT_ASSERT_EQ(rc, -XEN_EINVAL, "pinning an L2 with a PSE entry");
}

/*
 * XSA-154: mapping RAM with a cache attribute other than write-back
 * (while Xen maps it write-back) gave inconsistent attributes. A domU
 * without I/O resources may not set PWT, PCD or PAT in an L1 at all:
 * -EINVAL. The initial domain may (it drives devices): 0.
 */
KTEST(xsa, xsa_154_cache_attributes_refused)
{
	static const uint64_t attrs[] = { _PAGE_PCD, _PAGE_PWT, _PAGE_PSE /* L1 PAT */ };
	unsigned long va = vmap_alloc(1), pfn = frame_alloc();
	uint64_t *slot = vmap_slot(va);
	long expect = is_initial_domain() ? 0 : -XEN_EINVAL;

	KT_ASSERT(va && slot && pfn != FRAME_NONE, "setup");
	for (unsigned int i = 0; i < ARRAY_SIZE(attrs); i++) {
		long rc = mmu_update_one(virt_to_maddr(slot), frame_pte(pfn, PTE_KERNEL_RW | attrs[i]));

		mmu_update_one(virt_to_maddr(slot), 0);
		mmuext(MMUEXT_INVLPG_LOCAL, va);
		KT_ASSERT(rc == expect, "L1 entry with attribute bit %#lx: %ld, expected %ld",
			  attrs[i], rc, expect);
	}
	KT_ASSERT_EQ(*slot, 0, "slot left empty");
	frame_free(pfn);
	vmap_free(va, 1);
}

/*
 * XSA-167: the PV superpage operations (MARK_SUPER/UNMARK_SUPER) lacked
 * checks. They are gone from Xen 4.17: -EOPNOTSUPP.
 */
KTEST(xsa, xsa_167_superpage_ops_gone)
{
	xen_pfn_t mfn = pfn_to_mfn(0) & ~511ul;

	KT_ASSERT_EQ(mmuext(MMUEXT_MARK_SUPER, mfn), -XEN_EOPNOTSUPP, "MMUEXT_MARK_SUPER");
	KT_ASSERT_EQ(mmuext(MMUEXT_UNMARK_SUPER, mfn), -XEN_EOPNOTSUPP, "MMUEXT_UNMARK_SUPER");
}

/*
 * XSA-168 (INVLPG of a non-canonical address) and XSA-279 (INVPCID, which
 * faults on one, used for guest flush requests): a guest flush request for
 * a non-canonical address must never reach the instruction. Xen ignores
 * it in MMUEXT_INVLPG_* (0), and update_va_mapping finds no L1 for it
 * (-EINVAL) before it would flush.
 */
KTEST(xsa, xsa_168_279_invlpg_noncanonical)
{
	KT_ASSERT_EQ(mmuext(MMUEXT_INVLPG_LOCAL, NON_CANONICAL), 0,
		     "MMUEXT_INVLPG_LOCAL non-canonical");
	KT_ASSERT_EQ(mmuext(MMUEXT_INVLPG_ALL, NON_CANONICAL), 0,
		     "MMUEXT_INVLPG_ALL non-canonical");
	KT_ASSERT_EQ(mmuext(MMUEXT_INVLPG_LOCAL, HYPERVISOR_VIRT_START), 0,
		     "MMUEXT_INVLPG_LOCAL in Xen's range");
	KT_ASSERT_EQ(hypercall_update_va_mapping(NON_CANONICAL, 0, UVMF_INVLPG | UVMF_ALL),
		     -XEN_EINVAL, "update_va_mapping non-canonical, UVMF_INVLPG|UVMF_ALL");
	KT_ASSERT_EQ(hypercall_update_va_mapping(NON_CANONICAL, 0, UVMF_INVLPG | UVMF_LOCAL),
		     -XEN_EINVAL, "update_va_mapping non-canonical, UVMF_INVLPG|UVMF_LOCAL");
}

/* A free guest slot of our L4 (below Xen's 256..271), or 0 if none. */
static unsigned int free_l4_slot(void)
{
	for (unsigned int s = 255; s > 0; s--)
		if (!kernel_l4[s])
			return s;
	return 0;
}

/*
 * XSA-182: an L4 update that changed only "harmless" flags took a fast
 * path without re-validation, so a read-only linear (self) entry could
 * be made writable, giving the guest write access to its own page
 * tables. Xen allows a linear entry only read-only: RO 0, RW -EINVAL, by
 * both routes.
 */
KTEST(xsa, xsa_182_l4_linear_writable)
{
	unsigned int slot = free_l4_slot();
	uint64_t maddr = virt_to_maddr(&kernel_l4[slot]);
	uint64_t self = ((uint64_t)mm_boot.l4_mfn << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_ACCESSED;
	long ro, rw, direct;

	KT_ASSERT(slot, "no free L4 slot");
	direct = mmu_update_one(maddr, self | _PAGE_RW);	/* empty -> RW */
	ro = mmu_update_one(maddr, self);			/* empty -> RO */
	rw = mmu_update_one(maddr, self | _PAGE_RW);		/* RO -> RW: flags only */
	KT_ASSERT_EQ(mmu_update_one(maddr, 0), 0, "removing the linear entry");
	mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0);
	KT_ASSERT_EQ(direct, -XEN_EINVAL, "writable linear L4 entry");
	KT_ASSERT_EQ(ro, 0, "read-only linear L4 entry");
	KT_ASSERT_EQ(rw, -XEN_EINVAL, "making the linear L4 entry writable");
	KT_ASSERT_EQ(kernel_l4[slot], 0, "slot empty again");
}

/*
 * XSA-109: mmu_update did not check whose page tables it was asked to
 * edit (the PFD half of foreigndom, which may name an HVM domain), and
 * the page owner half (DOMID_IO, DOMID_XEN) reached code that assumed a
 * real domain. The request here is a no-op, 0 into an empty L1 slot of
 * ours, so only the owner checks can refuse it: XSM lets anyone name
 * DOMID_IO as page owner; DOMID_XEN and other domains need privilege
 * (-EPERM); naming oneself by number, or a domain that does not exist, is
 * -ESRCH. The initial domain is privileged, and domain 0 is itself.
 */
KTEST(xsa, xsa_109_mmu_update_foreigndom)
{
	bool dom0 = is_initial_domain();
	int self = own_domid();
	const struct { uint32_t foreigndom; long expect; const char *what; } cases[] = {
		{ DOMID_IO, 0, "page owner DOMID_IO" },
		{ DOMID_XEN, dom0 ? 0 : -XEN_EPERM, "page owner DOMID_XEN" },
		{ 0, dom0 ? -XEN_ESRCH : -XEN_EPERM, "page owner domain 0" },
		{ 0x7000, -XEN_ESRCH, "page owner that does not exist" },
		{ (1u << 16) | DOMID_SELF, dom0 ? 0 : -XEN_EPERM, "page tables of domain 0" },
		{ ((uint32_t)(self + 1) << 16) | DOMID_SELF, 0, "our own page tables by number" },
		{ (0x7001u << 16) | DOMID_SELF, -XEN_ESRCH, "page tables of no domain" },
	};
	unsigned long va = vmap_alloc(1);
	uint64_t *slot = vmap_slot(va);

	KT_ASSERT(self >= 0, "own domid");
	KT_ASSERT(va && slot && *slot == 0, "setup");
	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		mmu_update_t req = { virt_to_maddr(slot), 0 };
		unsigned int done = 0;
		long rc = _hypercall4(__HYPERVISOR_mmu_update, &req, 1, &done,
				      cases[i].foreigndom);

		KT_ASSERT(rc == cases[i].expect && done == (rc == 0),
			  "%s: %ld (done %u), expected %ld", cases[i].what, rc, done,
			  cases[i].expect);
	}
	KT_ASSERT_EQ(*slot, 0, "slot still empty");
	vmap_free(va, 1);
}

/*
 * XSA-113: MMU_MACHPHYS_UPDATE leaked a page reference on one of its
 * paths. The M2P may only be changed for frames the caller owns: our own
 * frame (written with its own pfn, a no-op) 0, anyone else's -EINVAL.
 */
KTEST(xsa, xsa_113_machphys_update)
{
	unsigned long pfn = frame_alloc();
	mmu_update_t req;

	KT_ASSERT(pfn != FRAME_NONE, "setup");
	req = (mmu_update_t){ ((uint64_t)pfn_to_mfn(pfn) << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE, pfn };
	KT_ASSERT_EQ(hypercall_mmu_update(&req, 1, NULL, DOMID_SELF), 0,
		     "MACHPHYS_UPDATE of our own frame");
	KT_ASSERT_EQ(mfn_to_pfn(pfn_to_mfn(pfn)), pfn, "M2P of our frame");
	req = (mmu_update_t){ ((uint64_t)foreign_mfn() << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE, pfn };
	KT_ASSERT_EQ(hypercall_mmu_update(&req, 1, NULL, DOMID_SELF), -XEN_EINVAL,
		     "MACHPHYS_UPDATE of a frame that is not ours");
	KT_ASSERT(mfn_to_pfn(foreign_mfn()) != pfn, "M2P of the foreign frame changed");
	frame_free(pfn);
}

/*
 * XSA-286: Xen edits guest page tables through its own linear mappings
 * and did not flush them when a multicall changed an upper-level entry
 * between two update_va_mapping calls: the second one then edited the L1
 * the old L2 pointed at. Swap an L3 slot between two L2 -> L1 chains
 * inside one multicall, as XTF's PoC does; the last update must land in
 * the L1 now mapped, and the old one must stay empty.
 */
KTEST(xsa, xsa_286_stale_linear_mapping)
{
	unsigned long l1a = table_frame(), l1b = table_frame();
	unsigned long l2a = frame_alloc(), l2b = frame_alloc(), data = frame_alloc();
	unsigned long va = VMAP_START + (1ul << 30);	/* L3 slot 1 next to the vmap */
	struct pt_batch b = { 0 }, walk = { 0 };
	uint64_t *l3, *pa = pfn_to_virt(l1a), *pb = pfn_to_virt(l1b);
	unsigned int l3slot = pt_index(va, 3);

	KT_ASSERT(l1a != FRAME_NONE && l1b != FRAME_NONE && l2a != FRAME_NONE &&
		  l2b != FRAME_NONE && data != FRAME_NONE, "setup");
	pt_walk(&walk, kernel_l4, VMAP_START, false);
	l3 = walk.table[3];
	KT_ASSERT(l3 && l3[l3slot] == 0, "L3 slot %u next to the vmap is in use", l3slot);
	/* Each L2's slot 0 -> its L1; written before they become tables. */
	memset(pfn_to_virt(l2a), 0, PAGE_SIZE);
	memset(pfn_to_virt(l2b), 0, PAGE_SIZE);
	((uint64_t *)pfn_to_virt(l2a))[0] = frame_pte(l1a, PTE_TABLE);
	((uint64_t *)pfn_to_virt(l2b))[0] = frame_pte(l1b, PTE_TABLE);
	pt_set(&b, (unsigned long)pfn_to_virt(l2a), frame_pte(l2a, PTE_KERNEL_RO));
	pt_set(&b, (unsigned long)pfn_to_virt(l2b), frame_pte(l2b, PTE_KERNEL_RO));
	pt_commit(&b);
	KT_ASSERT_EQ(mmuext(MMUEXT_PIN_L2_TABLE, pfn_to_mfn(l2a)), 0, "pin L2 a");
	KT_ASSERT_EQ(mmuext(MMUEXT_PIN_L2_TABLE, pfn_to_mfn(l2b)), 0, "pin L2 b");

	for (int round = 0; round < 8 && !ktest_failed(); round++) {
		mmu_update_t reset[3] = {
			{ virt_to_maddr(&l3[l3slot]), frame_pte(l2a, PTE_TABLE) },
			{ virt_to_maddr(&pa[0]), 0 },
			{ virt_to_maddr(&pb[0]), 0 },
		};
		mmu_update_t swap = { virt_to_maddr(&l3[l3slot]), frame_pte(l2b, PTE_TABLE) };
		multicall_entry_t mc[3] = {
			{ .op = __HYPERVISOR_update_va_mapping, .args = { va, 0, UVMF_INVLPG } },
			{ .op = __HYPERVISOR_mmu_update,
			  .args = { (unsigned long)&swap, 1, 0, DOMID_SELF } },
			{ .op = __HYPERVISOR_update_va_mapping,
			  .args = { va, frame_pte(data, PTE_KERNEL_RO), UVMF_INVLPG } },
		};
		long rc = hypercall_mmu_update(reset, 3, NULL, DOMID_SELF);

		if (rc) {
			KT_FAIL("resetting the two chains: %ld", rc);
			break;
		}
		rc = hypercall_multicall(mc, 3);
		if (rc || mc[0].result || mc[1].result || mc[2].result) {
			KT_FAIL("multicall %ld: results %ld %ld %ld", rc, (long)mc[0].result,
				(long)mc[1].result, (long)mc[2].result);
			break;
		}
		if (READ_ONCE(pa[0]))
			KT_FAIL("round %d: the update went into the L1 no longer mapped (%#lx)",
				round, pa[0]);
		else if (pte_mfn(READ_ONCE(pb[0])) != pfn_to_mfn(data))
			KT_FAIL("round %d: the L1 now mapped holds %#lx", round, pb[0]);
	}
	{
		mmu_update_t undo[2] = {
			{ virt_to_maddr(&l3[l3slot]), 0 },
			{ virt_to_maddr(&pb[0]), 0 },
		};

		KT_ASSERT_EQ(hypercall_mmu_update(undo, 2, NULL, DOMID_SELF), 0, "undo");
	}
	mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0);
	KT_ASSERT_EQ(mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(l2a)), 0, "unpin L2 a");
	KT_ASSERT_EQ(mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(l2b)), 0, "unpin L2 b");
	release_table_frame(l2a);
	release_table_frame(l2b);
	release_table_frame(l1a);
	release_table_frame(l1b);
	frame_free(data);
}

/*
 * XSA-240 (unbounded recursion through chains of linear page tables) and
 * XSA-309 (miscounted linear entries): Xen allows a read-only L2 -> L2
 * linear entry only one level deep: the target must not have linear
 * entries of its own, and the table holding the entry must not itself be
 * a linear target. Three pinned, empty L2s A, B, C.
 */
KTEST(xsa, xsa_240_309_linear_l2_chains)
{
	unsigned long a = table_frame(), b = table_frame(), c = table_frame();
	uint64_t *pa = pfn_to_virt(a), *pb = pfn_to_virt(b), *pc = pfn_to_virt(c);
	const uint64_t ro = _PAGE_PRESENT | _PAGE_ACCESSED;
	long r[9];

	KT_ASSERT(a != FRAME_NONE && b != FRAME_NONE && c != FRAME_NONE, "setup");
	KT_ASSERT(mmuext(MMUEXT_PIN_L2_TABLE, pfn_to_mfn(a)) == 0 &&
		  mmuext(MMUEXT_PIN_L2_TABLE, pfn_to_mfn(b)) == 0 &&
		  mmuext(MMUEXT_PIN_L2_TABLE, pfn_to_mfn(c)) == 0, "pinning three L2s");
	r[0] = mmu_update_one(virt_to_maddr(&pa[1]), frame_pte(b, ro | _PAGE_RW)); /* writable */
	r[1] = mmu_update_one(virt_to_maddr(&pa[1]), frame_pte(b, ro));	/* A -> B */
	r[2] = mmu_update_one(virt_to_maddr(&pb[1]), frame_pte(c, ro));	/* B is a target */
	r[3] = mmu_update_one(virt_to_maddr(&pc[1]), frame_pte(a, ro));	/* A has entries */
	r[4] = mmu_update_one(virt_to_maddr(&pa[2]), frame_pte(a, ro));	/* A -> A: self */
	r[5] = mmu_update_one(virt_to_maddr(&pa[1]), 0);
	r[6] = mmu_update_one(virt_to_maddr(&pb[1]), frame_pte(c, ro));	/* B no longer one */
	r[7] = mmu_update_one(virt_to_maddr(&pb[1]), 0);
	r[8] = mmu_update_one(virt_to_maddr(&pa[2]), 0);
	mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0);
	{
		static const long expect[9] = { -XEN_EINVAL, 0, -XEN_EINVAL, -XEN_EINVAL, 0, 0, 0, 0, 0 };
		static const char *const what[9] = {
			"writable A -> B", "read-only A -> B", "B -> C while B is a linear target",
			"C -> A while A holds a linear entry", "A -> A (a self map counts for nothing)",
			"removing A -> B", "B -> C once B is no target", "removing B -> C",
			"removing the self map",
		};

		for (int i = 0; i < 9; i++)
			if (r[i] != expect[i])
				KT_FAIL("%s: %ld, expected %ld", what[i], r[i], expect[i]);
	}
	if (mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(a)) || mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(b)) ||
	    mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(c))) {
		KT_FAIL("unpinning");
		return;
	}
	release_table_frame(a);
	release_table_frame(b);
	release_table_frame(c);
}
