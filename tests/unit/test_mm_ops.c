/*
 * host/pv/mm*.c beyond the error cases: linear page tables, the rest of
 * mmuext_op, MACHPHYS updates, releasing frames, teardown of a busy
 * domain, and Xen's writable-page-table emulation.
 */
#include "tests/unit/mm_fixture.h"

/* ---- linear page tables ----------------------------------------------------- */

static void test_linear(void)
{
	boot();
	/* Self-maps: read-only at any level, no reference taken. */
	uint32_t c = PG(F_L4)->count;
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L4), 258, fpte(F_L4, PTE_RO)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L4), 100, fpte(F_L4, PTE_KERN)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L4), 100, fpte(F_L4, PTE_RO)), 0);
	CU_ASSERT_EQUAL(PG(F_L4)->count, c);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L2), 100, fpte(F_L2, PTE_RO)), 0);
	/* Another validated L4, read-only: a use on it, counted as linear. */
	unsigned int f = F_FREE;
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L4_TABLE, MFN(f)), 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L4), 101, fpte(f, PTE_RO)), 0);
	CU_ASSERT_EQUAL(PG(f)->type_count, 2);
	CU_ASSERT_EQUAL(PG(F_L4)->linear, 1);
	CU_ASSERT_EQUAL(PG(f)->linear, -1);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	/* No chains: f may not get linear entries, F_L4 may not be a target. */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L4_TABLE, MFN(f + 1)), 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(f), 7, fpte(f + 1, PTE_RO)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(f + 1), 7, fpte(F_L4, PTE_RO)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(f + 1), 7, fpte(f, PTE_RO)), 0);
	CU_ASSERT_EQUAL(PG(f)->linear, -2);
	/* Not validated (type count 0): a linear entry would be -EINVAL, so
	 * Xen first tries it as an L3 and validates it as one. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L4), 102, fpte(f + 2, PTE_RO)), 0);
	CU_ASSERT_EQUAL(PG(f + 2)->type, MM_T_L3);
	/* Writable linear: -EINVAL. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L4), 103, fpte(f, PTE_KERN)), -XEN_EINVAL);
	/* Unpinning f keeps it alive while the linear entries hold it. */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_UNPIN_TABLE, MFN(f)), 0);
	CU_ASSERT(PG(f)->flags & MM_PG_VALIDATED);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L4), 101, 0), 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(f + 1), 7, 0), 0);
	CU_ASSERT_EQUAL(PG(f)->type_count, 0);
	CU_ASSERT_EQUAL(PG(F_L4)->linear, 0);
	CU_ASSERT_EQUAL(PG(f)->linear, 0);
	/* L3 and L2 linear too. */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L3_TABLE, MFN(f + 3)), 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L3), 9, fpte(f + 3, PTE_RO)), 0);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L2_TABLE, MFN(f + 4)), 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L2), 9, fpte(f + 4, PTE_RO)), 0);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	finish();
}

/* ---- the rest of mmuext_op, MACHPHYS, plain writes ------------------------ */

static void test_misc_ops(void)
{
	boot();
	struct mmuext_op op = { .cmd = MMUEXT_COPY_PAGE };
	unsigned int done;

	MEM[F_DATA][7] = 0xabcdef;
	op.arg1.mfn = MFN(F_FREE);
	op.arg2.src_mfn = MFN(F_DATA);
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, DOMID_SELF), 0);
	CU_ASSERT_EQUAL(MEM[F_FREE][7], 0xabcdef);
	op.arg1.mfn = MFN(F_L1);		/* a page table: not writable */
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, DOMID_SELF),
			-XEN_EINVAL);
	op.arg1.mfn = MFN(F_FREE);
	op.arg2.src_mfn = MFN(F_OTHER);
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, DOMID_SELF),
			-XEN_EINVAL);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_CLEAR_PAGE, MFN(F_FREE)), 0);
	CU_ASSERT_EQUAL(MEM[F_FREE][7], 0);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_CLEAR_PAGE, MFN(F_L2)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_CLEAR_PAGE, MFN(F_OTHER)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_MARK_SUPER, MFN(F_FREE)), -XEN_EOPNOTSUPP);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_UNMARK_SUPER, MFN(F_FREE)), -XEN_EOPNOTSUPP);
	CU_ASSERT_EQUAL(env_ext(&E, 14, 0), -XEN_ENOSYS);
	CU_ASSERT_EQUAL(env_ext(&E, 99, 0), -XEN_ENOSYS);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_FLUSH_CACHE, 0), -XEN_EACCES);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_FLUSH_CACHE_GLOBAL, 0), -XEN_EINVAL);
	E.d.cache_flush = true;
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_FLUSH_CACHE, 0), 0);
	CU_ASSERT_EQUAL(E.last_op, MM_TLB_WBINVD);
	E.d.cache_flush = false;
	/* TLB ops. */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_INVLPG_LOCAL, 0x5000), 0);
	CU_ASSERT_EQUAL(E.last_op, MM_TLB_INVLPG_LOCAL);
	CU_ASSERT_EQUAL(E.last_va, 0x5000);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_TLB_FLUSH_LOCAL, 0), 0);
	CU_ASSERT_EQUAL(E.last_op, MM_TLB_FLUSH_LOCAL);
	unsigned int n = E.nr_tlb;
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_INVLPG_ALL, HYPERVISOR_VIRT_START), 0);
	CU_ASSERT_EQUAL(E.nr_tlb, n);		/* Xen's area: ignored */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_INVLPG_ALL, 0x6000), 0);
	CU_ASSERT_EQUAL(E.last_op, MM_TLB_INVLPG_ALL);
	op = (struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_MULTI };
	op.arg2.vcpumask.p = (const void *)0x3000;
	E.mask_fault = true;
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, DOMID_SELF),
			-XEN_EINVAL);
	op.cmd = MMUEXT_INVLPG_MULTI;
	op.arg1.linear_addr = HYPERVISOR_VIRT_START;
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, DOMID_SELF),
			-XEN_EINVAL);
	E.mask_fault = false;
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, DOMID_SELF), 0);
	CU_ASSERT_EQUAL(E.last_op, MM_TLB_MASK_ONLY);
	/* SET_LDT. */
	op = (struct mmuext_op){ .cmd = MMUEXT_SET_LDT };
	op.arg1.linear_addr = 0x10000;
	op.arg2.nr_ents = 16;
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, DOMID_SELF), 0);
	CU_ASSERT_EQUAL(E.v[0].ldt_base, 0x10000);
	CU_ASSERT_EQUAL(E.last_op, MM_TLB_NEW_LDT);
	op.arg1.linear_addr = 0x10008;
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, DOMID_SELF),
			-XEN_EINVAL);
	op.arg1.linear_addr = 0x10000;
	op.arg2.nr_ents = 8193;
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, DOMID_SELF),
			-XEN_EINVAL);
	op.arg2.nr_ents = 0;
	op.arg1.linear_addr = 0x10008;		/* ignored when 0 entries */
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, DOMID_SELF), 0);
	CU_ASSERT_EQUAL(E.v[0].ldt_base, 0);

	/* MACHPHYS. */
	mmu_update_t r = { .ptr = (MFN(F_DATA) << 12) | MMU_MACHPHYS_UPDATE,
			   .val = 0x42 };
	CU_ASSERT_EQUAL(mm_mmu_update(&E.d, &E.v[0], &r, 1, &done, DOMID_SELF), 0);
	CU_ASSERT_EQUAL(E.m2p[F_DATA], 0x42);
	r.ptr = (MFN(F_OTHER) << 12) | MMU_MACHPHYS_UPDATE;
	CU_ASSERT_EQUAL(mm_mmu_update(&E.d, &E.v[0], &r, 1, &done, DOMID_SELF),
			-XEN_EINVAL);

	/* Plain writes: a writable-typed frame, an unused frame. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_DATA), 3, 0x77), 0);
	CU_ASSERT_EQUAL(MEM[F_DATA][3], 0x77);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_FREE + 5), 3, 0x78), 0);
	CU_ASSERT_EQUAL(MEM[F_FREE + 5][3], 0x78);
	CU_ASSERT_EQUAL(PG(F_FREE + 5)->type_count, 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_SHINFO), 3, 0x79), 0);
	/* A segment-descriptor frame: -EINVAL. */
	CU_ASSERT_EQUAL(mm_get_page_and_type(&E.d, MFN(F_FREE + 6), MM_T_SEGDESC), 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_FREE + 6), 3, 0x79), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 20, fpte(F_FREE + 6, PTE_KERN)),
			-XEN_EBUSY);
	mm_put_page_and_type(&E.d, MFN(F_FREE + 6));
	/* PRESERVE_AD keeps A/D the hardware set. */
	MEM[F_L1][0] |= MM_PTE_D | MM_PTE_A;
	r.ptr = (MFN(F_L1) << 12) | MMU_PT_UPDATE_PRESERVE_AD;
	r.val = fpte(F_DATA, MM_PTE_P | MM_PTE_RW | MM_PTE_US);
	CU_ASSERT_EQUAL(mm_mmu_update(&E.d, &E.v[0], &r, 1, &done, DOMID_SELF), 0);
	CU_ASSERT(MEM[F_L1][0] & MM_PTE_D);
	CU_ASSERT(MEM[F_L1][0] & MM_PTE_A);
	r.ptr = (MFN(F_L1) << 12) | MMU_NORMAL_PT_UPDATE;
	CU_ASSERT_EQUAL(mm_mmu_update(&E.d, &E.v[0], &r, 1, &done, DOMID_SELF), 0);
	CU_ASSERT_FALSE(MEM[F_L1][0] & MM_PTE_D);
	finish();
}

/* Releasing frames; a frame freed while mapped stays until unmapped. */
static void test_release(void)
{
	boot();
	CU_ASSERT_EQUAL(mm_release(&E.d, MFN(F_L4)), -XEN_EBUSY);	/* pinned */
	CU_ASSERT_EQUAL(mm_release(&E.d, MFN(F_OTHER)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(mm_release(&E.d, MFN(F_DATA + 7)), 0);
	CU_ASSERT(mm_owns(&E.d, MFN(F_DATA + 7)));	/* still mapped */
	CU_ASSERT_EQUAL(mm_release(&E.d, MFN(F_DATA + 7)), -XEN_EINVAL);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 7, 0), 0);
	CU_ASSERT_FALSE(mm_owns(&E.d, MFN(F_DATA + 7)));
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 7, fpte(F_DATA + 7, PTE_KERN)),
			-XEN_EBUSY);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	/* Give it back so that finish() sees every frame. */
	CU_ASSERT_EQUAL(mm_assign(&E.d, MFN(F_DATA + 7)), 0);
	finish();
}

/* Teardown of a busy domain: deep trees, two vCPUs, user bases, linear. */
static void test_teardown(void)
{
	boot();
	unsigned int f = F_FREE;

	for (unsigned int i = 0; i < 4; i++)
		MEM[f + 3][i] = fpte(F_DATA + i, PTE_KERN);	/* L1 */
	MEM[f + 2][0] = fpte(f + 3, PTE_KERN);			/* L2 */
	MEM[f + 2][1] = fpte(F_L1, PTE_KERN);
	MEM[f + 1][0] = fpte(f + 2, PTE_KERN);			/* L3 */
	MEM[f][0] = fpte(f + 1, PTE_KERN);			/* L4 */
	MEM[f][1] = fpte(F_L3, PTE_KERN);
	MEM[f][2] = fpte(f, PTE_RO);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L4_TABLE, MFN(f)), 0);
	struct mmuext_op op = { .cmd = MMUEXT_NEW_BASEPTR };
	unsigned int done;
	op.arg1.mfn = MFN(f);
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[1], &op, 1, &done, DOMID_SELF), 0);
	op.cmd = MMUEXT_NEW_USER_BASEPTR;
	op.arg1.mfn = MFN(F_L4);
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[1], &op, 1, &done, DOMID_SELF), 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L4), 9, fpte(f, PTE_RO)), 0);
	CU_ASSERT_EQUAL(PG(F_DATA)->type_count, 2);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	finish();
}

/* Writes to a read-only mapped L1 are emulated as updates, as Xen does. */
static void test_ptwr(void)
{
	boot();
	/* F_L1 is mapped read-only at VA(11): write slot 40 through it. */
	CU_ASSERT_EQUAL(mm_ptwr_write(&E.d, &E.v[0], VA(11) + 40 * 8,
				      fpte(F_DATA, PTE_KERN), 8), 0);
	CU_ASSERT_EQUAL(MEM[F_L1][40], fpte(F_DATA, PTE_KERN | MM_PTE_US |
					    MM_PTE_GUEST_KERNEL));
	CU_ASSERT_EQUAL(PG(F_DATA)->type_count, 2);
	/* A sub-word write that clears P (low byte). */
	CU_ASSERT_EQUAL(mm_ptwr_write(&E.d, &E.v[0], VA(11) + 40 * 8, 0, 1), 0);
	CU_ASSERT_FALSE(MEM[F_L1][40] & MM_PTE_P);
	CU_ASSERT_EQUAL(PG(F_DATA)->type_count, 1);
	/* Refused entries, misaligned writes, non-L1 frames: the #PF stands. */
	CU_ASSERT_EQUAL(mm_ptwr_write(&E.d, &E.v[0], VA(11) + 41 * 8,
				      fpte(F_L2, PTE_KERN), 8), -1);
	CU_ASSERT_EQUAL(mm_ptwr_write(&E.d, &E.v[0], VA(11) + 41 * 8 + 4, 0, 8), -1);
	CU_ASSERT_EQUAL(mm_ptwr_write(&E.d, &E.v[0], VA(10) + 8, 0, 8), -1);	/* L2 */
	CU_ASSERT_EQUAL(mm_ptwr_write(&E.d, &E.v[0], VA(0), 0, 8), -1);	/* RW data */
	CU_ASSERT_EQUAL(mm_ptwr_write(&E.d, &E.v[0], VA(100), 0, 8), -1);	/* unmapped */
	finish();
}


int suite_mm_ops(void)
{
	CU_pSuite s = CU_add_suite("pv_mm_ops", setup, cleanup);

	if (!s)
		return -1;
	ADD_TEST(s, test_linear);
	ADD_TEST(s, test_misc_ops);
	ADD_TEST(s, test_release);
	ADD_TEST(s, test_teardown);
	ADD_TEST(s, test_ptwr);
	return 0;
}
UNIT_SUITE(suite_mm_ops)
