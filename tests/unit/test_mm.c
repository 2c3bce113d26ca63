/*
 * host/pv/mm*.c: Xen's PV page-type system and MMU hypercalls. Every
 * forbidden operation gets exactly Xen 4.17's error (docs/pv-mmu.md, cases
 * a-i), and after each test the from-scratch recount (mm_audit) agrees with
 * the counts and teardown brings every frame back to its allocation.
 * The other operations are in test_mm_ops.c.
 */
#include "tests/unit/mm_fixture.h"

/* ---- start of day and the counts ---------------------------------------- */

static void test_boot_counts(void)
{
	boot();
	/* L4: alloc + pin + base; L3/L2/L1: alloc + one entry, plus RO maps. */
	CU_ASSERT_EQUAL(PG(F_L4)->type, MM_T_L4);
	CU_ASSERT_EQUAL(PG(F_L4)->type_count, 2);
	CU_ASSERT_EQUAL(PG(F_L4)->count, 1 + 2 + 1);	/* + RO map */
	CU_ASSERT(PG(F_L4)->flags & MM_PG_PINNED);
	CU_ASSERT_EQUAL(PG(F_L3)->type, MM_T_L3);
	CU_ASSERT_EQUAL(PG(F_L3)->type_count, 1);
	CU_ASSERT_EQUAL(PG(F_L1)->type, MM_T_L1);
	CU_ASSERT_EQUAL(PG(F_L1)->count, 1 + 1 + 1);	/* alloc, L2e, self RO */
	CU_ASSERT_EQUAL(PG(F_DATA)->type, MM_T_WRITABLE);
	CU_ASSERT_EQUAL(PG(F_DATA)->type_count, 1);
	CU_ASSERT_EQUAL(PG(F_SHINFO)->type_count, 2);	/* permanent + RW map */
	CU_ASSERT_EQUAL(E.v[0].guest_table, MFN(F_L4));
	CU_ASSERT(E.nr_new_base >= 1);
	/* The host filled its L4 slots; the guest's entries were adjusted. */
	CU_ASSERT_EQUAL(MEM[F_L4][MM_XEN_SLOT_FIRST],
			pte(0xfff00 + MM_XEN_SLOT_FIRST, MM_PTE_P | MM_PTE_RW) ^
			(MFN(F_L4) << 40));
	CU_ASSERT_EQUAL(MM_XEN_SLOT_FIRST, 256);
	CU_ASSERT_EQUAL(MM_XEN_SLOT_LAST, 271);
	finish();
}

/* ---- (a) a page table is never writable ---------------------------------- */

static void test_writable_pagetable_ebusy(void)
{
	boot();
	/* Map the pinned L4, the L3 (in use) and the L1 writable: -EBUSY. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, fpte(F_L4, PTE_KERN)),
			-XEN_EBUSY);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, fpte(F_L3, PTE_KERN)),
			-XEN_EBUSY);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, fpte(F_L1, PTE_KERN)),
			-XEN_EBUSY);
	CU_ASSERT_EQUAL(MEM[F_L1][20], 0);	/* unchanged */
	/* Read-only is fine. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, fpte(F_L4, PTE_RO)), 0);
	/* Upgrading that entry to RW is refused and leaves it as it was. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20,
				   fpte(F_L4, PTE_RO | MM_PTE_RW)), -XEN_EBUSY);
	CU_ASSERT(MEM[F_L1][20] & MM_PTE_P);
	CU_ASSERT_FALSE(MEM[F_L1][20] & MM_PTE_RW);
	/* Same through update_va_mapping. */
	CU_ASSERT_EQUAL(mm_update_va_mapping(&E.d, &E.v[0], VA(21),
					     fpte(F_L2, PTE_KERN), 0), -XEN_EBUSY);
	/* And the other way: pinning a frame mapped writable is -EINVAL. */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L1_TABLE, MFN(F_DATA)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L2_TABLE, MFN(F_SHINFO)), -XEN_EINVAL);
	finish();
}

/* A frame that was a page table is an ordinary frame once unused. */
static void test_type_change_after_unpin(void)
{
	boot();
	pinned_l1(F_FREE, F_FREE + 1);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, fpte(F_FREE, PTE_KERN)),
			-XEN_EBUSY);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_UNPIN_TABLE, MFN(F_FREE)), 0);
	CU_ASSERT_EQUAL(PG(F_FREE)->type_count, 0);
	CU_ASSERT_EQUAL(PG(F_FREE + 1)->type_count, 0);	/* devalidated */
	unsigned int flushes = E.nr_flush_all;
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, fpte(F_FREE, PTE_KERN)), 0);
	CU_ASSERT_EQUAL(PG(F_FREE)->type, MM_T_WRITABLE);
	/* L1 -> writable with no flush since it fell unused: one flush. */
	CU_ASSERT_EQUAL(E.nr_flush_all, flushes + 1);
	/* Unmap, then pin as an L1 again: writable -> L1 also flushes. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, 0), 0);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L1_TABLE, MFN(F_FREE)), 0);
	CU_ASSERT_EQUAL(E.nr_flush_all, flushes + 2);
	/* A flush in between makes the next change free. */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_UNPIN_TABLE, MFN(F_FREE)), 0);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_TLB_FLUSH_ALL, 0), 0);
	flushes = E.nr_flush_all;
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L2_TABLE, MFN(F_FREE)), 0);
	CU_ASSERT_EQUAL(E.nr_flush_all, flushes);
	CU_ASSERT_EQUAL(PG(F_FREE + 1)->type, MM_T_L1);	/* retyped below it */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_UNPIN_TABLE, MFN(F_FREE)), 0);
	finish();
}

/* ---- (b) pinning a table that holds a bad entry --------------------------- */

static void test_pin_bad_entry(void)
{
	boot();
	unsigned int f = F_FREE;

	MEM[f][0] = fpte(F_DATA, PTE_KERN);		/* fine */
	MEM[f][5] = fpte(F_OTHER, PTE_RO);		/* another domain's */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L1_TABLE, MFN(f)), -XEN_EBUSY);
	CU_ASSERT_EQUAL(PG(f)->type, MM_T_NONE);
	CU_ASSERT_EQUAL(PG(f)->type_count, 0);
	CU_ASSERT_EQUAL(PG(F_DATA)->type_count, 1);	/* entry 0's ref undone */
	CU_ASSERT_EQUAL(env_audit(&E), 0);

	MEM[f][5] = pte(MFN_RAM, PTE_RO);		/* free RAM */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L1_TABLE, MFN(f)), -XEN_EBUSY);
	MEM[f][5] = pte(MFN_IO, PTE_RO);		/* MMIO, domU */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L1_TABLE, MFN(f)), -XEN_EPERM);
	MEM[f][5] = pte(MM_INVALID_MFN, PTE_RO);	/* Xen's INVALID_MFN */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L1_TABLE, MFN(f)), -XEN_EINVAL);
	MEM[f][5] = fpte(F_DATA + 1, PTE_RO | MM_PTE_PCD);	/* bad flag */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L1_TABLE, MFN(f)), -XEN_EINVAL);

	/* The error comes up through an L2 whose L1 is bad. */
	MEM[f][5] = fpte(F_OTHER, PTE_RO);
	MEM[f + 1][3] = fpte(f, PTE_KERN);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L2_TABLE, MFN(f + 1)), -XEN_EBUSY);
	CU_ASSERT_EQUAL(PG(f + 1)->type_count, 0);
	CU_ASSERT_EQUAL(env_audit(&E), 0);

	/* Fixed: pins, and the adjustment is written back. */
	MEM[f][5] = fpte(F_DATA + 1, PTE_RO);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L2_TABLE, MFN(f + 1)), 0);
	CU_ASSERT_EQUAL(MEM[f][5], fpte(F_DATA + 1, PTE_RO | MM_PTE_US |
					MM_PTE_GUEST_KERNEL));
	CU_ASSERT_EQUAL(PG(f)->type, MM_T_L1);
	/* Already pinned: -EINVAL; the L1 below can be pinned too. */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L2_TABLE, MFN(f + 1)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L1_TABLE, MFN(f)), 0);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L3_TABLE, MFN(f)), -XEN_EINVAL);
	/* Not ours. */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L1_TABLE, MFN(F_OTHER)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L1_TABLE, MFN_RAM), -XEN_EINVAL);
	finish();
}

/* ---- (c) mapping what the guest does not own ------------------------------ */

static void test_map_not_owned(void)
{
	boot();
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, fpte(F_OTHER, PTE_KERN)),
			-XEN_EBUSY);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, fpte(F_OTHER, PTE_RO)),
			-XEN_EBUSY);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, pte(MFN_RAM, PTE_KERN)),
			-XEN_EBUSY);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, pte(MFN_IO, PTE_KERN)),
			-XEN_EPERM);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, pte(0x10000001ull, PTE_RO)),
			-XEN_EPERM);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, pte(MM_INVALID_MFN, PTE_RO)),
			-XEN_EINVAL);
	/* Host frames the guest may read (M2P): read-only only. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, pte(MFN_RO, PTE_KERN)),
			-XEN_EBUSY);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, pte(MFN_RO, PTE_RO)), 0);
	/* shared_info: read-write, as Xen shares it. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 21, fpte(F_SHINFO, PTE_KERN)), 0);
	CU_ASSERT_EQUAL(PG(F_SHINFO)->type_count, 3);
	/* Permitted I/O: no refs, WB forced to UC as Xen does. */
	E.d.io_caps = true;
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 22, pte(MFN_IO_OK, PTE_KERN)), 0);
	CU_ASSERT(MEM[F_L1][22] & MM_PTE_PCD);
	CU_ASSERT(MEM[F_L1][22] & MM_PTE_PWT);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 22, 0), 0);
	E.d.io_caps = false;
	/* Upper levels: a frame not owned is -EINVAL. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L2), 1, fpte(F_OTHER, PTE_KERN)),
			-XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L3), 1, pte(MFN_IO, PTE_KERN)),
			-XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L4), 1, pte(MFN_RO, PTE_RO)),
			-XEN_EINVAL);
	/* ptr in a frame that is not the caller's: -EINVAL. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_OTHER), 0, 0), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN_RAM, 0, 0), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, 0), 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 21, 0), 0);
	CU_ASSERT_EQUAL(PG(F_SHINFO)->type_count, 2);
	finish();
}

/* ---- (d) unpin --------------------------------------------------------------- */

static void test_unpin(void)
{
	boot();
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_UNPIN_TABLE, MFN(F_L1)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_UNPIN_TABLE, MFN(F_FREE)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_UNPIN_TABLE, MFN(F_OTHER)), -XEN_EINVAL);
	pinned_l1(F_FREE, F_FREE + 1);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_UNPIN_TABLE, MFN(F_FREE)), 0);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_UNPIN_TABLE, MFN(F_FREE)), -XEN_EINVAL);
	/* Unpinning the base L4 keeps it: the base holds a use. */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_UNPIN_TABLE, MFN(F_L4)), 0);
	CU_ASSERT_EQUAL(PG(F_L4)->type_count, 1);
	CU_ASSERT(PG(F_L4)->flags & MM_PG_VALIDATED);
	finish();
}

/* ---- (e) PSE and disallowed bits, (f) Xen's L4 slots ---------------------- */

static void test_flags(void)
{
	boot();
	uint64_t l1 = fpte(F_L1, PTE_KERN);

	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L2), 0, l1 | MM_PTE_PSE), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L2), 1, fpte(F_FREE, PTE_KERN | MM_PTE_PSE)),
			-XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L3), 1, fpte(F_FREE, PTE_KERN | MM_PTE_PSE)),
			-XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L2), 0, l1 | MM_PTE_G), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L2), 0, l1 | MM_PTE_PCD), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L4), 0, fpte(F_L3, PTE_KERN | MM_PTE_PWT)),
			-XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 0, fpte(F_DATA, PTE_KERN | MM_PTE_PAT)),
			-XEN_EINVAL);
	/* Allowed: G, NX, AVAIL and AVAIL_HIGH (bit 62 too: release Xen's GNTTAB is 0) in
	 * L1; NX, AVAIL_HIGH above. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 0, fpte(F_DATA, PTE_KERN | MM_PTE_GNTTAB)), 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 0, fpte(F_DATA, PTE_KERN | MM_PTE_G |
							   MM_PTE_NX | MM_PTE_AVAIL)), 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L2), 0, l1 | MM_PTE_NX | (1ull << 55)), 0);
	/* I/O capable domains may use cache attributes in L1s. */
	E.d.io_caps = true;
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 0, fpte(F_DATA, PTE_KERN | MM_PTE_PCD)), 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L2), 0, l1 | MM_PTE_PCD), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 0, fpte(F_DATA, PTE_KERN)), 0);
	E.d.io_caps = false;

	/* (f) Xen's L4 slots: -EINVAL whatever the value. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L4), 256, fpte(F_L3, PTE_KERN)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L4), 271, 0), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L4), 260, fpte(F_L4, PTE_RO)), -XEN_EINVAL);
	uint64_t x = MEM[F_L4][256];
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L4), 255, 0), 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L4), 272, 0), 0);
	CU_ASSERT_EQUAL(MEM[F_L4][256], x);
	/* An L4 not in use takes plain writes; validation overwrites Xen's slots. */
	unsigned int f = F_FREE;
	CU_ASSERT_EQUAL(env_update(&E, MFN(f), 256, fpte(F_OTHER, PTE_KERN)), 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(f), 0, fpte(F_L3, PTE_KERN)), 0);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L4_TABLE, MFN(f)), 0);
	CU_ASSERT_NOT_EQUAL(MEM[f][256], fpte(F_OTHER, PTE_KERN));
	CU_ASSERT_EQUAL(MEM[f][0], fpte(F_L3, PTE_KERN | MM_PTE_US));
	CU_ASSERT_EQUAL(PG(F_L3)->type_count, 2);
	finish();
}

/* _PAGE_USER and friends, as Xen's adjust_guest_l*e. */
static void test_adjust(void)
{
	boot();
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 30, fpte(F_DATA, PTE_KERN)), 0);
	CU_ASSERT_EQUAL(MEM[F_L1][30], fpte(F_DATA, PTE_KERN | MM_PTE_US |
					    MM_PTE_GUEST_KERNEL));
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 31, fpte(F_DATA, PTE_RO | MM_PTE_US)), 0);
	CU_ASSERT_EQUAL(MEM[F_L1][31], fpte(F_DATA, PTE_RO | MM_PTE_US | MM_PTE_G));
	/* Builder entries: kernel ones marked, ones with US made global. */
	CU_ASSERT((MEM[F_L1][0] & MM_PTE_GUEST_KERNEL) != 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 33, fpte(F_DATA, PTE_KERN | MM_PTE_US)), 0);
	CU_ASSERT(MEM[F_L1][33] & MM_PTE_G);
	CU_ASSERT_EQUAL(MEM[F_L3][0], fpte(F_L2, PTE_KERN | MM_PTE_US));
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L2), 5, fpte(F_L1, MM_PTE_P)), 0);
	CU_ASSERT_EQUAL(MEM[F_L2][5], fpte(F_L1, MM_PTE_P | MM_PTE_US));
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L4), 5, fpte(F_L3, MM_PTE_P)), 0);
	CU_ASSERT_EQUAL(MEM[F_L4][5], fpte(F_L3, MM_PTE_P | MM_PTE_US | MM_PTE_A));
	/* Not-present entries are written as they are. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 32, 0x1234500ull), 0);
	CU_ASSERT_EQUAL(MEM[F_L1][32], 0x1234500ull);
	/* Fast path: only whitelisted bits change, no recount. */
	uint32_t c = PG(F_DATA)->count;
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 30, fpte(F_DATA, PTE_KERN | MM_PTE_NX)), 0);
	CU_ASSERT_EQUAL(PG(F_DATA)->count, c);
	CU_ASSERT((MEM[F_L1][30] & MM_PTE_NX) != 0);
	finish();
}

/* ---- (g) partial completion ---------------------------------------------- */

static void test_batch_done(void)
{
	boot();
	mmu_update_t r[5];
	unsigned int done = 77;

	for (unsigned int i = 0; i < 5; i++) {
		r[i].ptr = (MFN(F_L1) << 12) | ((40 + i) * 8ull);
		r[i].val = fpte(F_DATA + i, PTE_KERN);
	}
	r[2].val = fpte(F_L2, PTE_KERN);	/* a page table, writable */
	CU_ASSERT_EQUAL(mm_mmu_update(&E.d, &E.v[0], r, 5, &done, DOMID_SELF),
			-XEN_EBUSY);
	CU_ASSERT_EQUAL(done, 2);
	CU_ASSERT(MEM[F_L1][40] & MM_PTE_P);
	CU_ASSERT(MEM[F_L1][41] & MM_PTE_P);
	CU_ASSERT_EQUAL(MEM[F_L1][42], 0);
	CU_ASSERT_EQUAL(MEM[F_L1][43], 0);	/* never looked at */
	/* A bad command in the middle: -ENOSYS at its index. */
	r[2].val = 0;
	r[3].ptr |= 5;
	CU_ASSERT_EQUAL(mm_mmu_update(&E.d, &E.v[0], r, 5, &done, DOMID_SELF),
			-XEN_ENOSYS);
	CU_ASSERT_EQUAL(done, 3);
	r[3].ptr &= ~7ull;
	CU_ASSERT_EQUAL(mm_mmu_update(&E.d, &E.v[0], r, 5, &done, DOMID_SELF), 0);
	CU_ASSERT_EQUAL(done, 5);
	/* mmuext_op: the same rule. */
	struct mmuext_op ops[3] = {
		{ .cmd = MMUEXT_TLB_FLUSH_LOCAL },
		{ .cmd = MMUEXT_UNPIN_TABLE },
		{ .cmd = MMUEXT_TLB_FLUSH_LOCAL },
	};
	ops[1].arg1.mfn = MFN(F_L2);
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], ops, 3, &done, DOMID_SELF),
			-XEN_EINVAL);
	CU_ASSERT_EQUAL(done, 1);
	/* count 0: nothing, done 0. */
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], ops, 0, &done, DOMID_SELF), 0);
	CU_ASSERT_EQUAL(done, 0);
	/* foreigndom naming itself by number, or another domain: -ESRCH. */
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], ops, 1, &done, 1), -XEN_ESRCH);
	CU_ASSERT_EQUAL(mm_mmu_update(&E.d, &E.v[0], r, 1, &done, 0), -XEN_ESRCH);
	CU_ASSERT_EQUAL(mm_mmu_update(&E.d, &E.v[0], r, 1, &done,
				      DOMID_SELF | (2u << 16)), 0);	/* PFD = self */
	CU_ASSERT_EQUAL(mm_mmu_update(&E.d, &E.v[0], r, 1, &done,
				      DOMID_SELF | (3u << 16)), -XEN_ESRCH);
	for (unsigned int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 40 + i, 0), 0);
	finish();
}

/* Preemption between elements: -ERESTART, resume with the rest. */
static void test_continuation(void)
{
	boot();
	mmu_update_t r[6];
	unsigned int done, total = 0;

	for (unsigned int i = 0; i < 6; i++) {
		r[i].ptr = (MFN(F_L1) << 12) | ((50 + i) * 8ull);
		r[i].val = fpte(F_DATA + (i & 7), PTE_RO);
	}
	E.preempt_after = 2;	/* element 0 always runs */
	CU_ASSERT_EQUAL(mm_mmu_update(&E.d, &E.v[0], r, 6, &done, DOMID_SELF),
			-MM_ERESTART);
	CU_ASSERT_EQUAL(done, 3);
	total += done;
	E.preempt_after = -1;
	CU_ASSERT_EQUAL(mm_mmu_update(&E.d, &E.v[0], r + total,
				      (6 - total) | 0x80000000u, &done, DOMID_SELF), 0);
	total += done;
	CU_ASSERT_EQUAL(total, 6);
	for (unsigned int i = 0; i < 6; i++)
		CU_ASSERT(MEM[F_L1][50 + i] & MM_PTE_P);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	finish();
}

/* ---- (h) update_va_mapping -------------------------------------------------- */

static void test_update_va_mapping(void)
{
	boot();
	uint64_t v = fpte(F_DATA + 3, PTE_RO);

	/* No L1 for the VA: L4, L3 or L2 entry missing. */
	CU_ASSERT_EQUAL(mm_update_va_mapping(&E.d, &E.v[0], 1ull << 39, v, 0), -XEN_EINVAL);
	CU_ASSERT_EQUAL(mm_update_va_mapping(&E.d, &E.v[0], 1ull << 30, v, 0), -XEN_EINVAL);
	CU_ASSERT_EQUAL(mm_update_va_mapping(&E.d, &E.v[0], 1ull << 21, v, 0), -XEN_EINVAL);
	/* Non-canonical, or Xen's area. */
	CU_ASSERT_EQUAL(mm_update_va_mapping(&E.d, &E.v[0], 1ull << 47, v, 0), -XEN_EINVAL);
	CU_ASSERT_EQUAL(mm_update_va_mapping(&E.d, &E.v[0], HYPERVISOR_VIRT_START, v, 0),
			-XEN_EINVAL);
	CU_ASSERT_EQUAL(E.nr_tlb, 1u);	/* boot's NEW_BASE only: no flush on error */

	/* Works, with each flush flavour. */
	CU_ASSERT_EQUAL(mm_update_va_mapping(&E.d, &E.v[0], VA(60), v, UVMF_INVLPG), 0);
	CU_ASSERT_EQUAL(E.last_op, MM_TLB_INVLPG_LOCAL);
	CU_ASSERT_EQUAL(E.last_va, VA(60));
	CU_ASSERT(MEM[F_L1][60] & MM_PTE_P);
	CU_ASSERT_EQUAL(mm_update_va_mapping(&E.d, &E.v[0], VA(60), v,
					     UVMF_TLB_FLUSH | UVMF_ALL), 0);
	CU_ASSERT_EQUAL(E.last_op, MM_TLB_FLUSH_ALL);
	CU_ASSERT_EQUAL(mm_update_va_mapping(&E.d, &E.v[0], VA(60), v,
					     UVMF_INVLPG | UVMF_ALL), 0);
	CU_ASSERT_EQUAL(E.last_op, MM_TLB_INVLPG_ALL);
	CU_ASSERT_EQUAL(mm_update_va_mapping(&E.d, &E.v[0], VA(60), v,
					     UVMF_TLB_FLUSH | 0x1000), 0);
	CU_ASSERT_EQUAL(E.last_op, MM_TLB_FLUSH_MULTI);
	CU_ASSERT_EQUAL(E.last_mask, 0x1000);
	/* An unreadable vCPU bitmap: -EFAULT, but the entry has changed. */
	E.mask_fault = true;
	CU_ASSERT_EQUAL(mm_update_va_mapping(&E.d, &E.v[0], VA(61), v,
					     UVMF_INVLPG | 0x2000), -XEN_EFAULT);
	CU_ASSERT(MEM[F_L1][61] & MM_PTE_P);
	E.mask_fault = false;
	unsigned int n = E.nr_tlb;
	CU_ASSERT_EQUAL(mm_update_va_mapping(&E.d, &E.v[0], VA(61), 0, UVMF_NONE), 0);
	CU_ASSERT_EQUAL(mm_update_va_mapping(&E.d, &E.v[0], VA(61), 0, 3), 0);
	CU_ASSERT_EQUAL(E.nr_tlb, n);
	CU_ASSERT_EQUAL(MEM[F_L1][61], 0);
	/* The L2 entry is a PSE or the "L1" is not a validated L1: -EINVAL. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L2), 3, fpte(F_L2, PTE_RO)), 0);	/* linear */
	CU_ASSERT_EQUAL(mm_update_va_mapping(&E.d, &E.v[0], (3ull << 21) | VA(1), 0, 0),
			-XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L2), 3, 0), 0);
	/* No base at all. */
	CU_ASSERT_EQUAL(mm_update_va_mapping(&E.d, &E.v[1], VA(60), 0, 0), -XEN_EINVAL);
	CU_ASSERT_EQUAL(mm_update_va_mapping(&E.d, &E.v[0], VA(60), 0, 0), 0);
	finish();
}

/* ---- (i) NEW_BASEPTR / NEW_USER_BASEPTR ------------------------------------ */

static void test_new_baseptr(void)
{
	boot();
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_NEW_BASEPTR, MFN(F_L3)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_NEW_BASEPTR, MFN(F_DATA)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_NEW_BASEPTR, MFN(F_SHINFO)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_NEW_BASEPTR, MFN(F_OTHER)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_NEW_BASEPTR, 0), -XEN_EINVAL);
	CU_ASSERT_EQUAL(E.v[0].guest_table, MFN(F_L4));
	/* Same base: 0, reloads. */
	unsigned int nb = E.nr_new_base;
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_NEW_BASEPTR, MFN(F_L4)), 0);
	CU_ASSERT_EQUAL(E.nr_new_base, nb + 1);
	/* An unused frame is validated as an L4 on the spot. */
	unsigned int f = F_FREE;
	MEM[f][0] = fpte(F_L3, PTE_KERN);
	MEM[f][1] = fpte(f, PTE_RO);		/* linear self-map */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_NEW_BASEPTR, MFN(f)), 0);
	CU_ASSERT_EQUAL(E.v[0].guest_table, MFN(f));
	CU_ASSERT_EQUAL(PG(f)->type, MM_T_L4);
	CU_ASSERT_EQUAL(PG(f)->type_count, 1);
	CU_ASSERT_EQUAL(PG(F_L4)->type_count, 1);	/* pin only now */
	/* One whose contents do not validate: the validation's error. */
	MEM[f + 1][0] = fpte(F_OTHER, PTE_KERN);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_NEW_BASEPTR, MFN(f + 1)), -XEN_EINVAL);
	MEM[f + 1][0] = fpte(F_L3, PTE_KERN | MM_PTE_PSE);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_NEW_BASEPTR, MFN(f + 1)), -XEN_EINVAL);
	MEM[f + 1][0] = 0;
	MEM[f + 2][0] = fpte(F_OTHER, PTE_RO);	/* L1 -> foreign */
	MEM[f + 3][0] = fpte(f + 2, PTE_KERN);	/* L2 */
	MEM[f + 4][0] = fpte(f + 3, PTE_KERN);	/* L3 */
	MEM[f + 1][0] = fpte(f + 4, PTE_KERN);	/* L4 */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_NEW_BASEPTR, MFN(f + 1)), -XEN_EBUSY);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	/* Back to the first L4: the second drops to unused and is devalidated. */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_NEW_BASEPTR, MFN(F_L4)), 0);
	CU_ASSERT_EQUAL(PG(f)->type_count, 0);
	CU_ASSERT_FALSE(PG(f)->flags & MM_PG_VALIDATED);
	CU_ASSERT_EQUAL(PG(F_L3)->type_count, 1);

	/* User base: 0 clears; a non-L4 is -EINVAL. */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_NEW_USER_BASEPTR, MFN(F_L4)), 0);
	CU_ASSERT_EQUAL(PG(F_L4)->type_count, 3);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_NEW_USER_BASEPTR, MFN(F_L1)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(E.v[0].guest_table_user, MFN(F_L4));
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_NEW_USER_BASEPTR, 0), 0);
	CU_ASSERT_EQUAL(PG(F_L4)->type_count, 2);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_NEW_USER_BASEPTR, MFN(f)), 0);
	finish();
}


int suite_mm(void)
{
	CU_pSuite s = CU_add_suite("pv_mm", setup, cleanup);

	if (!s)
		return -1;
	ADD_TEST(s, test_boot_counts);
	ADD_TEST(s, test_writable_pagetable_ebusy);
	ADD_TEST(s, test_type_change_after_unpin);
	ADD_TEST(s, test_pin_bad_entry);
	ADD_TEST(s, test_map_not_owned);
	ADD_TEST(s, test_unpin);
	ADD_TEST(s, test_flags);
	ADD_TEST(s, test_adjust);
	ADD_TEST(s, test_batch_done);
	ADD_TEST(s, test_continuation);
	ADD_TEST(s, test_update_va_mapping);
	ADD_TEST(s, test_new_baseptr);
	return 0;
}
UNIT_SUITE(suite_mm)
