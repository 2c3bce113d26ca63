/*
 * Grant mappings in the page tables (host/pv/mm_grant.c): the entries Xen's
 * create_grant_pv_mapping and replace_grant_pv_mapping write (unmarked, as
 * a release build writes them), the references they hold (taken by the
 * grant table, counted by mm_audit like any L1 entry's), the checks on the
 * address, and what happens when the guest removes one itself.
 */
#include <xen/grant_table.h>

#include "tests/unit/mm_fixture.h"

static void grant_boot(void)
{
	boot();
}

/* What map_grant_ref takes before the entry is written. */
static void take(unsigned int f, bool ro)
{
	CU_ASSERT_EQUAL(mm_get_page(&E.d, MFN(f)), 0);
	if (!ro)
		CU_ASSERT_EQUAL(mm_get_type(&E.d, MFN(f), MM_T_WRITABLE), 0);
}

/* ... and what unmap_common_complete drops. */
static void drop(unsigned int f, bool ro)
{
	if (!ro)
		mm_put_type(&E.d, MFN(f));
	mm_put_page(&E.d, MFN(f));
}

static void test_map_by_va(void)
{
	uint32_t c;

	grant_boot();
	c = PG(F_FREE)->count;
	take(F_FREE, false);
	CU_ASSERT_EQUAL(mm_grant_map(&E.d, &E.v[0], VA(20), MFN(F_FREE), GNTMAP_host_map),
			GNTST_okay);
	/* Xen's grant entry: present, accessed, dirty, NX, kernel; no marker. */
	CU_ASSERT_EQUAL(MEM[F_L1][20], fpte(F_FREE, MM_PTE_P | MM_PTE_RW | MM_PTE_A |
					    MM_PTE_D | MM_PTE_NX | MM_PTE_US |
					    MM_PTE_GUEST_KERNEL));
	CU_ASSERT_EQUAL(PG(F_FREE)->count, c + 1);
	CU_ASSERT_EQUAL(PG(F_FREE)->type, MM_T_WRITABLE);
	CU_ASSERT_EQUAL(env_audit(&E), 0);	/* the entry holds what was taken */
	/* While mapped writable it cannot become a page table. */
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L1_TABLE, MFN(F_FREE)), -XEN_EINVAL);
	/* The unmap must name the mapping's rights: read-only does not match. */
	CU_ASSERT_EQUAL(mm_grant_unmap(&E.d, &E.v[0], VA(20), MFN(F_FREE), 0,
				       GNTMAP_host_map | GNTMAP_readonly), GNTST_general_error);
	CU_ASSERT_EQUAL(mm_grant_unmap(&E.d, &E.v[0], VA(20), MFN(F_FREE + 1), 0,
				       GNTMAP_host_map), GNTST_general_error);
	CU_ASSERT_EQUAL(mm_grant_unmap(&E.d, &E.v[0], VA(20), MFN(F_FREE), 0, GNTMAP_host_map),
			GNTST_okay);
	CU_ASSERT_EQUAL(MEM[F_L1][20], 0);
	CU_ASSERT_EQUAL(PG(F_FREE)->count, c + 1);	/* the grant still holds it */
	drop(F_FREE, false);
	CU_ASSERT_EQUAL(PG(F_FREE)->count, c);
	CU_ASSERT_EQUAL(PG(F_FREE)->type_count, 0);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L1_TABLE, MFN(F_FREE)), 0);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_UNPIN_TABLE, MFN(F_FREE)), 0);
	finish();
}

static void test_map_readonly_flags(void)
{
	uint32_t gflags = GNTMAP_host_map | GNTMAP_readonly | GNTMAP_application_map |
			  (5u << _GNTMAP_guest_avail0);

	grant_boot();
	/* A page table may be granted read-only: no type is taken. */
	take(F_L2, true);
	CU_ASSERT_EQUAL(mm_grant_map(&E.d, &E.v[0], VA(21), MFN(F_L2), gflags), GNTST_okay);
	/* User (application) mappings are global; the avail bits land in 9..11. */
	CU_ASSERT_EQUAL(MEM[F_L1][21], fpte(F_L2, MM_PTE_P | MM_PTE_A | MM_PTE_D | MM_PTE_NX |
					    MM_PTE_US | MM_PTE_G | (5ull << 9)));
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	/* Writable flags do not match a read-only entry. */
	CU_ASSERT_EQUAL(mm_grant_unmap(&E.d, &E.v[0], VA(21), MFN(F_L2), 0, GNTMAP_host_map),
			GNTST_general_error);
	CU_ASSERT_EQUAL(mm_grant_unmap(&E.d, &E.v[0], VA(21), MFN(F_L2), 0, gflags), GNTST_okay);
	drop(F_L2, true);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	finish();
}

static void test_map_addresses(void)
{
	uint64_t l1e = MFN(F_L1) << 12;
	uint32_t pte = GNTMAP_host_map | GNTMAP_contains_pte;

	grant_boot();
	take(F_FREE, true);
	/* contains_pte: a whole, aligned entry of a validated L1 of ours. */
	CU_ASSERT_EQUAL(mm_grant_map(&E.d, &E.v[0], l1e + 30 * 8 + 4, MFN(F_FREE),
				     pte | GNTMAP_readonly), GNTST_general_error);
	CU_ASSERT_EQUAL(MEM[F_L1][30], 0);
	CU_ASSERT_EQUAL(mm_grant_map(&E.d, &E.v[0], MFN(F_L2) << 12, MFN(F_FREE),
				     pte | GNTMAP_readonly), GNTST_general_error);
	CU_ASSERT_EQUAL(mm_grant_map(&E.d, &E.v[0], MFN(F_FREE + 1) << 12, MFN(F_FREE),
				     pte | GNTMAP_readonly), GNTST_general_error);
	CU_ASSERT_EQUAL(mm_grant_map(&E.d, &E.v[0], MFN(F_OTHER) << 12, MFN(F_FREE),
				     pte | GNTMAP_readonly), GNTST_general_error);
	CU_ASSERT_EQUAL(mm_grant_map(&E.d, &E.v[0], MFN_RAM << 12, MFN(F_FREE),
				     pte | GNTMAP_readonly), GNTST_general_error);
	/* By address: no L1 there, non-canonical, Xen's range. */
	CU_ASSERT_EQUAL(mm_grant_map(&E.d, &E.v[0], 1ull << 39, MFN(F_FREE),
				     GNTMAP_host_map | GNTMAP_readonly), GNTST_general_error);
	CU_ASSERT_EQUAL(mm_grant_map(&E.d, &E.v[0], 1ull << 47, MFN(F_FREE),
				     GNTMAP_host_map | GNTMAP_readonly), GNTST_general_error);
	CU_ASSERT_EQUAL(mm_grant_map(&E.d, &E.v[0], 0xffff800000000000ull, MFN(F_FREE),
				     GNTMAP_host_map | GNTMAP_readonly), GNTST_general_error);
	CU_ASSERT_EQUAL(mm_grant_map(&E.d, &E.v[0], l1e + 30 * 8, MFN(F_FREE),
				     pte | GNTMAP_readonly), GNTST_okay);
	CU_ASSERT_EQUAL(MM_PTE_MFN(MEM[F_L1][30]), MFN(F_FREE));
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	/* contains_pte has no replace; the unmap is by the same machine address. */
	CU_ASSERT_EQUAL(mm_grant_unmap(&E.d, &E.v[0], l1e + 30 * 8, MFN(F_FREE), VA(31),
				       pte | GNTMAP_readonly), GNTST_general_error);
	CU_ASSERT_EQUAL(mm_grant_unmap(&E.d, &E.v[0], l1e + 30 * 8, MFN(F_FREE), 0,
				       pte | GNTMAP_readonly), GNTST_okay);
	drop(F_FREE, true);
	finish();
}

static void test_replace_and_steal(void)
{
	uint32_t c = 0;

	grant_boot();
	/* The old entry of the slot is released: here a data frame mapped RW. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 22, fpte(F_FREE + 2, PTE_KERN)), 0);
	CU_ASSERT_EQUAL(PG(F_FREE + 2)->type_count, 1);
	take(F_FREE, false);
	CU_ASSERT_EQUAL(mm_grant_map(&E.d, &E.v[0], VA(22), MFN(F_FREE), GNTMAP_host_map),
			GNTST_okay);
	CU_ASSERT_EQUAL(PG(F_FREE + 2)->type_count, 0);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	/* unmap_and_replace: VA 23's entry moves to VA 22, 23 is zapped. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 23, fpte(F_FREE + 3, PTE_RO)), 0);
	c = PG(F_FREE + 3)->count;
	CU_ASSERT_EQUAL(mm_grant_unmap(&E.d, &E.v[0], VA(22), MFN(F_FREE), VA(23),
				       GNTMAP_host_map), GNTST_okay);
	CU_ASSERT_EQUAL(MEM[F_L1][23], 0);
	CU_ASSERT_EQUAL(MM_PTE_MFN(MEM[F_L1][22]), MFN(F_FREE + 3));
	CU_ASSERT_EQUAL(PG(F_FREE + 3)->count, c);	/* the references moved with it */
	drop(F_FREE, false);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	/* A failed replace releases the stolen entry (an ordinary one here). */
	CU_ASSERT_EQUAL(mm_grant_unmap(&E.d, &E.v[0], VA(24), MFN(F_FREE), VA(22),
				       GNTMAP_host_map), GNTST_general_error);
	CU_ASSERT_EQUAL(MEM[F_L1][22], 0);
	CU_ASSERT_EQUAL(PG(F_FREE + 3)->count, c - 1);
	/* Stealing from nowhere fails before anything is looked at. */
	CU_ASSERT_EQUAL(mm_grant_unmap(&E.d, &E.v[0], VA(24), MFN(F_FREE), 1ull << 39,
				       GNTMAP_host_map), GNTST_general_error);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	finish();
}

/*
 * The guest removing a grant entry itself: its references go with it, as
 * any entry's (the grant's unmap then finds nothing to remove); the same
 * frame and rights mapped there again are what the grant's unmap removes,
 * references and all, so nothing is counted twice.
 */
static void test_removed_by_guest(void)
{
	uint32_t c;

	grant_boot();
	c = PG(F_FREE)->count;
	take(F_FREE, false);
	CU_ASSERT_EQUAL(mm_grant_map(&E.d, &E.v[0], VA(25), MFN(F_FREE), GNTMAP_host_map),
			GNTST_okay);
	/* Same frame and rights, other bits: Xen's fast path, references kept. */
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 25, MEM[F_L1][25] | MM_PTE_GNTTAB), 0);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 25, 0), 0);
	CU_ASSERT_EQUAL(PG(F_FREE)->count, c);
	CU_ASSERT_EQUAL(PG(F_FREE)->type_count, 0);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	CU_ASSERT_EQUAL(mm_grant_unmap(&E.d, &E.v[0], VA(25), MFN(F_FREE), 0, GNTMAP_host_map),
			GNTST_general_error);
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 25, fpte(F_FREE, PTE_KERN)), 0);
	CU_ASSERT_EQUAL(mm_grant_unmap(&E.d, &E.v[0], VA(25), MFN(F_FREE), 0, GNTMAP_host_map),
			GNTST_okay);
	drop(F_FREE, false);
	CU_ASSERT_EQUAL(PG(F_FREE)->count, c);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	/* A grant mapped over another releases the one it replaces. */
	take(F_FREE, true);
	CU_ASSERT_EQUAL(mm_grant_map(&E.d, &E.v[0], VA(25), MFN(F_FREE),
				     GNTMAP_host_map | GNTMAP_readonly), GNTST_okay);
	take(F_FREE, true);
	CU_ASSERT_EQUAL(mm_grant_map(&E.d, &E.v[0], VA(25), MFN(F_FREE),
				     GNTMAP_host_map | GNTMAP_readonly), GNTST_okay);
	CU_ASSERT_EQUAL(PG(F_FREE)->count, c + 1);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	/* Teardown takes grant entries with their tables. */
	finish();
}

static void test_audit_grant_entry(void)
{
	grant_boot();
	take(F_FREE, false);
	CU_ASSERT_EQUAL(mm_grant_map(&E.d, &E.v[0], VA(27), MFN(F_FREE), GNTMAP_host_map),
			GNTST_okay);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	/* A writable grant entry without its writable type reference is caught. */
	mm_put_type(&E.d, MFN(F_FREE));
	CU_ASSERT_NOT_EQUAL(env_audit(&E), 0);
	CU_ASSERT_EQUAL(mm_get_type(&E.d, MFN(F_FREE), MM_T_WRITABLE), 0);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	CU_ASSERT_EQUAL(mm_grant_unmap(&E.d, &E.v[0], VA(27), MFN(F_FREE), 0, GNTMAP_host_map),
			GNTST_okay);
	drop(F_FREE, false);
	finish();
}

static int suite_mm_grant(void)
{
	CU_pSuite s = CU_add_suite("pv_mm_grant", setup, cleanup);

	if (!s)
		return -1;
	ADD_TEST(s, test_map_by_va);
	ADD_TEST(s, test_map_readonly_flags);
	ADD_TEST(s, test_map_addresses);
	ADD_TEST(s, test_replace_and_steal);
	ADD_TEST(s, test_removed_by_guest);
	ADD_TEST(s, test_audit_grant_entry);
	return 0;
}
UNIT_SUITE(suite_mm_grant)
