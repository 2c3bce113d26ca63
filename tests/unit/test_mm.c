/*
 * host/pv/mm*.c: Xen's PV page-type system and MMU hypercalls, on a small
 * domain in malloc'd machine memory (tests/fuzz/mm_env.h). Every forbidden
 * operation gets exactly Xen 4.17's error (docs/pv-mmu.md), and after each
 * test the from-scratch recount (mm_audit) agrees with the counts and
 * teardown brings every frame back to its allocation reference.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include <xen/errno.h>

#include "tests/fuzz/mm_env.h"
#include "tests/unit/unit.h"

int suite_mm(void);

static struct env E;
static uint64_t (*MEM)[MM_ENTRIES];

#define MFN(f)		mfn_of(f)
#define PG(f)		mm_page(&E.d, MFN(f))
#define VA(slot)	((uint64_t)(slot) << 12)	/* via L4/L3/L2 slot 0 */

static int setup(void)
{
	MEM = aligned_alloc(4096, (size_t)ENV_FRAMES * 4096);
	return MEM ? 0 : -1;
}

static int cleanup(void)
{
	free(MEM);
	return 0;
}

static void boot(void)
{
	env_init(&E, MEM);
	CU_ASSERT_EQUAL_FATAL(env_boot(&E), 0);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
}

/* Audit, tear down, and check every frame is back to its allocation. */
static void finish(void)
{
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	mm_teardown(&E.d, E.v, 2);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
	for (unsigned int i = 0; i < ENV_FRAMES; i++) {
		const struct mm_page *p = PG(i);

		if (i >= ENV_OWNED) {
			CU_ASSERT(p->count == 0 && p->type_count == 0);
			continue;
		}
		CU_ASSERT_EQUAL(p->count, 1);
		CU_ASSERT_EQUAL(p->type_count, i == F_SHINFO ? 1u : 0u);
		CU_ASSERT_FALSE(p->flags & (MM_PG_PINNED));
		CU_ASSERT_EQUAL(p->linear, 0);
		CU_ASSERT_EQUAL(mm_release(&E.d, MFN(i)), 0);
		CU_ASSERT_FALSE(mm_owns(&E.d, MFN(i)));
	}
	CU_ASSERT_EQUAL(E.d.nr_owned, 0);
}

/* A fresh L1 at frame f mapping data frame df at slot 0, pinned. */
static void pinned_l1(unsigned int f, unsigned int df)
{
	MEM[f][0] = fpte(df, PTE_KERN);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L1_TABLE, MFN(f)), 0);
}

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
	MEM[f][5] = fpte(F_DATA + 1, PTE_RO | MM_PTE_GNTTAB);
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
	CU_ASSERT_EQUAL(env_update(&E, MFN(F_L1), 0, fpte(F_DATA, PTE_KERN | MM_PTE_GNTTAB)),
			-XEN_EINVAL);
	/* Allowed: G, NX, AVAIL in L1; NX, AVAIL_HIGH above. */
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
	ADD_TEST(s, test_linear);
	ADD_TEST(s, test_misc_ops);
	ADD_TEST(s, test_release);
	ADD_TEST(s, test_teardown);
	ADD_TEST(s, test_ptwr);
	return 0;
}

#ifdef MM_TEST_MAIN
#include <CUnit/Basic.h>

/* Standalone runner (make mm-unit): this suite alone. */
int main(void)
{
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS || suite_mm())
		return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
#endif
