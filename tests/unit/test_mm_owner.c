/*
 * foreigndom in mmu_update and mmuext_op (host/pv/mm_hcall.c), as Xen's
 * get_pg_owner and the dummy XSM policy answer (XSA-109): DOMID_IO as page
 * owner is anyone's (I/O as the caller, none of our RAM), DOMID_XEN and
 * other domains only the control domain's; the PFD half must name us.
 */
#include "tests/unit/mm_fixture.h"

/* Domain 0 exists besides us (domid 1), as for a domU under parahost. */
static bool dom0_exists(void *ctx, domid_t id)
{
	(void)ctx;
	return id == 0;
}

static int update(xen_pfn_t table, unsigned int slot, uint64_t val,
		  unsigned int foreigndom, unsigned int *done)
{
	mmu_update_t req = { .ptr = (table << 12) | (slot * 8ull), .val = val };

	*done = 99;
	return mm_mmu_update(&E.d, &E.v[0], &req, 1, done, foreigndom);
}

static void test_mmu_update_owner(void)
{
	unsigned int done;

	boot();
	E.ops.domain_exists = dom0_exists;
	/* DOMID_IO: a not-present entry is fine, our RAM is not DOMID_IO's. */
	CU_ASSERT_EQUAL(update(MFN(F_L1), 40, 0, DOMID_IO, &done), 0);
	CU_ASSERT_EQUAL(done, 1);
	CU_ASSERT_EQUAL(update(MFN(F_L1), 40, fpte(F_FREE, PTE_KERN), DOMID_IO, &done),
			-XEN_EBUSY);
	CU_ASSERT_EQUAL(done, 0);
	CU_ASSERT_EQUAL(update(MFN(F_L1), 40, pte(MFN_RO, PTE_RO), DOMID_IO, &done),
			-XEN_EBUSY);
	/* I/O reverts to the caller's permissions: none here. */
	CU_ASSERT_EQUAL(update(MFN(F_L1), 40, pte(MFN_IO_OK, PTE_KERN), DOMID_IO, &done),
			-XEN_EPERM);
	/* Only an L1 may take another owner's entries. */
	CU_ASSERT_EQUAL(update(MFN(F_L2), 40, 0, DOMID_IO, &done), -XEN_EINVAL);
	/* An unchanged frame takes the fast path whoever the owner. */
	CU_ASSERT_EQUAL(update(MFN(F_L1), 0, fpte(F_DATA, PTE_KERN) | MM_PTE_NX,
			       DOMID_IO, &done), 0);
	/* MACHPHYS of our frame as DOMID_IO's: not its frame. */
	CU_ASSERT_EQUAL(update(MFN(F_DATA), 0, 5, DOMID_IO, &done) , 0);	/* a plain write */
	{
		mmu_update_t m = { .ptr = (MFN(F_DATA) << 12) | MMU_MACHPHYS_UPDATE, .val = 3 };

		CU_ASSERT_EQUAL(mm_mmu_update(&E.d, &E.v[0], &m, 1, &done, DOMID_IO),
				-XEN_EINVAL);
		CU_ASSERT_EQUAL(done, 0);
	}
	/* DOMID_XEN and domain 0 are not ours to name: -EPERM in the loop. */
	CU_ASSERT_EQUAL(update(MFN(F_L1), 40, 0, DOMID_XEN, &done), -XEN_EPERM);
	CU_ASSERT_EQUAL(done, 0);
	CU_ASSERT_EQUAL(update(MFN(F_L1), 40, 0, 0, &done), -XEN_EPERM);
	/* ... so with nothing to do, nothing is refused. */
	CU_ASSERT_EQUAL(mm_mmu_update(&E.d, &E.v[0], NULL, 0, &done, 0), 0);
	CU_ASSERT_EQUAL(done, 0);
	/* Ourselves by number, or nobody: -ESRCH before the loop (pdone written). */
	CU_ASSERT_EQUAL(update(MFN(F_L1), 40, 0, 1, &done), -XEN_ESRCH);
	CU_ASSERT_EQUAL(done, 0);
	CU_ASSERT_EQUAL(update(MFN(F_L1), 40, 0, 0x7000, &done), -XEN_ESRCH);
	CU_ASSERT_EQUAL(done, 0);
	/* The PFD: ourselves 0; domain 0's tables -EPERM; nobody's -ESRCH, pdone untouched. */
	CU_ASSERT_EQUAL(update(MFN(F_L1), 40, 0, (2u << 16) | DOMID_SELF, &done), 0);
	CU_ASSERT_EQUAL(update(MFN(F_L1), 40, 0, (1u << 16) | DOMID_SELF, &done),
			-XEN_EPERM);
	CU_ASSERT_EQUAL(update(MFN(F_L1), 40, 0, (0x7001u << 16) | DOMID_SELF, &done),
			-XEN_ESRCH);
	CU_ASSERT_EQUAL(done, MM_DONE_NONE);
	CU_ASSERT_EQUAL(update(MFN(F_L1), 40, 0, (0xfff1u << 16) | DOMID_SELF, &done),
			-XEN_ESRCH);
	CU_ASSERT_EQUAL(done, MM_DONE_NONE);
	/* MACHPHYS through another domain's page tables: -EPERM. */
	{
		mmu_update_t m = { .ptr = (MFN(F_DATA) << 12) | MMU_MACHPHYS_UPDATE, .val = 8 };

		CU_ASSERT_EQUAL(mm_mmu_update(&E.d, &E.v[0], &m, 1, &done,
					      (1u << 16) | DOMID_SELF), -XEN_EPERM);
	}
	CU_ASSERT_EQUAL(MEM[F_L1][40], 0);
	finish();
}

static void test_mmu_update_privileged(void)
{
	unsigned int done;

	boot();
	E.d.privileged = true;
	/* The control domain may name DOMID_XEN: host frames, none of our RAM. */
	CU_ASSERT_EQUAL(update(MFN(F_L1), 40, pte(MFN_RO, PTE_RO), DOMID_XEN, &done), 0);
	CU_ASSERT_EQUAL(update(MFN(F_L1), 41, fpte(F_FREE, PTE_RO), DOMID_XEN, &done),
			-XEN_EBUSY);
	/* DOMID_XEN has no I/O permissions of its own. */
	E.d.io_caps = true;
	CU_ASSERT_EQUAL(update(MFN(F_L1), 41, pte(MFN_IO_OK, PTE_KERN), DOMID_XEN, &done),
			-XEN_EPERM);
	CU_ASSERT_EQUAL(update(MFN(F_L1), 41, pte(MFN_IO_OK, PTE_KERN), DOMID_IO, &done), 0);
	CU_ASSERT_EQUAL(update(MFN(F_L1), 41, 0, DOMID_SELF, &done), 0);
	E.d.io_caps = false;
	CU_ASSERT_EQUAL(update(MFN(F_L1), 40, 0, DOMID_SELF, &done), 0);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	finish();
}

static void test_mmuext_owner(void)
{
	struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
	unsigned int done;

	boot();
	E.ops.domain_exists = dom0_exists;
	/* Not the control domain: only DOMID_SELF, refused before pdone. */
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, DOMID_IO), -XEN_EPERM);
	CU_ASSERT_EQUAL(done, MM_DONE_NONE);
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 0, &done, 0), -XEN_EPERM);
	CU_ASSERT_EQUAL(done, MM_DONE_NONE);
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, 1), -XEN_ESRCH);
	CU_ASSERT_EQUAL(done, MM_DONE_NONE);
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, 0x7000), -XEN_ESRCH);
	/* The control domain naming DOMID_IO: frame ops find no frame, the rest is -EPERM. */
	E.d.privileged = true;
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, DOMID_IO), -XEN_EPERM);
	CU_ASSERT_EQUAL(done, 0);
	op.cmd = MMUEXT_PIN_L1_TABLE;
	op.arg1.mfn = MFN(F_FREE);
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, DOMID_IO), -XEN_EINVAL);
	CU_ASSERT_EQUAL(PG(F_FREE)->type_count, 0);
	op.cmd = MMUEXT_MARK_SUPER;
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, DOMID_XEN),
			-XEN_EOPNOTSUPP);
	op.cmd = 99;
	CU_ASSERT_EQUAL(mm_mmuext_op(&E.d, &E.v[0], &op, 1, &done, DOMID_XEN), -XEN_ENOSYS);
	finish();
}

static int suite_mm_owner(void)
{
	CU_pSuite s = CU_add_suite("pv_mm_owner", setup, cleanup);

	if (!s)
		return -1;
	ADD_TEST(s, test_mmu_update_owner);
	ADD_TEST(s, test_mmu_update_privileged);
	ADD_TEST(s, test_mmuext_owner);
	return 0;
}
UNIT_SUITE(suite_mm_owner)
