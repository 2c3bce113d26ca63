/*
 * Giving frames back (mm_remove_page: Xen's guest_remove_page for a PV
 * domain, the heart of XENMEM_decrease_reservation) and Xen's tot_pages
 * (mm_tot_pages): the allocation reference goes, the frame leaves the
 * domain when its last reference does, pinned or mapped frames live on
 * (XSA-252: no implicit unpin), and shared host frames are not counted.
 */
#include "tests/unit/mm_fixture.h"

static void test_remove(void)
{
	uint64_t tot;

	boot();
	tot = mm_tot_pages(&E.d);
	CU_ASSERT_EQUAL(tot, ENV_OWNED - 1);	/* shared_info is the host's */
	/* Unused: gone at once. */
	CU_ASSERT_EQUAL(mm_remove_page(&E.d, MFN(F_FREE)), 0);
	CU_ASSERT_FALSE(mm_owns(&E.d, MFN(F_FREE)));
	CU_ASSERT_EQUAL(mm_tot_pages(&E.d), tot - 1);
	CU_ASSERT_EQUAL(mm_remove_page(&E.d, MFN(F_FREE)), -XEN_ENXIO);
	/* Not ours, or outside the frame table: -ENXIO. */
	CU_ASSERT_EQUAL(mm_remove_page(&E.d, MFN(F_OTHER)), -XEN_ENXIO);
	CU_ASSERT_EQUAL(mm_remove_page(&E.d, MFN_RAM), -XEN_ENXIO);
	/* Mapped: still ours until the mapping goes; a second removal is 0 too. */
	CU_ASSERT_EQUAL(mm_remove_page(&E.d, MFN(F_DATA + 6)), 0);
	CU_ASSERT(mm_owns(&E.d, MFN(F_DATA + 6)));
	CU_ASSERT_EQUAL(mm_remove_page(&E.d, MFN(F_DATA + 6)), 0);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 6, 0), 0);
	CU_ASSERT_FALSE(mm_owns(&E.d, MFN(F_DATA + 6)));
	/* Pinned: not unpinned, lives on, typed, until the unpin. */
	MEM[F_FREE + 1][0] = fpte(F_DATA, PTE_RO);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L1_TABLE, MFN(F_FREE + 1)), 0);
	CU_ASSERT_EQUAL(mm_remove_page(&E.d, MFN(F_FREE + 1)), 0);
	CU_ASSERT(mm_owns(&E.d, MFN(F_FREE + 1)));
	CU_ASSERT_EQUAL(PG(F_FREE + 1)->type, MM_T_L1);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_UNPIN_TABLE, MFN(F_FREE + 1)), 0);
	CU_ASSERT_FALSE(mm_owns(&E.d, MFN(F_FREE + 1)));
	CU_ASSERT_EQUAL(mm_tot_pages(&E.d), tot - 3);
	/* A host frame given back leaves too, and was never counted. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 12, 0), 0);	/* unmap shared_info */
	CU_ASSERT_EQUAL(mm_remove_page(&E.d, MFN(F_SHINFO)), 0);
	CU_ASSERT_FALSE(mm_owns(&E.d, MFN(F_SHINFO)));
	CU_ASSERT_EQUAL(mm_tot_pages(&E.d), tot - 3);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	/* Back as they were, for finish(). */
	CU_ASSERT_EQUAL(mm_assign(&E.d, MFN(F_FREE)), 0);
	CU_ASSERT_EQUAL(mm_assign(&E.d, MFN(F_FREE + 1)), 0);
	CU_ASSERT_EQUAL(mm_assign(&E.d, MFN(F_DATA + 6)), 0);
	CU_ASSERT_EQUAL(mm_assign_special(&E.d, MFN(F_SHINFO)), 0);
	CU_ASSERT_EQUAL(mm_tot_pages(&E.d), tot);
	finish();
}

static int suite_mm_remove(void)
{
	CU_pSuite s = CU_add_suite("pv_mm_remove", setup, cleanup);

	if (!s)
		return -1;
	ADD_TEST(s, test_remove);
	return 0;
}
UNIT_SUITE(suite_mm_remove)
