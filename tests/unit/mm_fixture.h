/*
 * The fixture shared by the PV MMU suites (test_mm.c, test_mm_ops.c): a
 * small domain in malloc'd machine memory (tests/fuzz/mm_env.h), booted
 * fresh by each test, audited and torn down by finish(). Each suite file
 * gets its own copy of the state (static), so suites stay independent.
 */
#ifndef TESTS_UNIT_MM_FIXTURE_H
#define TESTS_UNIT_MM_FIXTURE_H

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include <xen/errno.h>

#include "tests/fuzz/mm_env.h"
#include "tests/unit/unit.h"

static struct env E;
static uint64_t (*MEM)[MM_ENTRIES];

#define MFN(f)		mfn_of(f)
#define PG(f)		mm_page(&E.d, MFN(f))
#define VA(slot)	((uint64_t)(slot) << 12)	/* via L4/L3/L2 slot 0 */

static __attribute__((unused)) int setup(void)
{
	MEM = aligned_alloc(4096, (size_t)ENV_FRAMES * 4096);
	return MEM ? 0 : -1;
}

static __attribute__((unused)) int cleanup(void)
{
	free(MEM);
	return 0;
}

static __attribute__((unused)) void boot(void)
{
	env_init(&E, MEM);
	CU_ASSERT_EQUAL_FATAL(env_boot(&E), 0);
	CU_ASSERT_EQUAL(env_audit(&E), 0);
}

/* Audit, tear down, and check every frame is back to its allocation. */
static __attribute__((unused)) void finish(void)
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
static __attribute__((unused)) void pinned_l1(unsigned int f, unsigned int df)
{
	MEM[f][0] = fpte(df, PTE_KERN);
	CU_ASSERT_EQUAL(env_ext(&E, MMUEXT_PIN_L1_TABLE, MFN(f)), 0);
}

#endif
