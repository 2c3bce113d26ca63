/*
 * lib/bytering.c: a power-of-two ring with free-running 32-bit indexes.
 * Full and empty, index wraparound at 2^32, and a peer that lies about
 * its index (nothing may be copied then).
 */
#include <stdint.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "lib/bytering.h"
#include "tests/unit/unit.h"

#define SIZE 8u

static void test_put_get(void)
{
	char ring[SIZE] = { 0 }, out[16];
	uint32_t prod = 0, cons = 0;

	CU_ASSERT_EQUAL(bytering_put(ring, SIZE, &prod, cons, "abc", 3), 3);
	CU_ASSERT_EQUAL(prod, 3);
	CU_ASSERT_EQUAL(bytering_get(ring, SIZE, &cons, prod, out, sizeof(out)), 3);
	CU_ASSERT_EQUAL(cons, 3);
	CU_ASSERT_NSTRING_EQUAL(out, "abc", 3);
	/* Zero-length requests move nothing. */
	CU_ASSERT_EQUAL(bytering_put(ring, SIZE, &prod, cons, "x", 0), 0);
	CU_ASSERT_EQUAL(bytering_get(ring, SIZE, &cons, prod, out, 0), 0);
	CU_ASSERT_EQUAL(prod, 3);
	CU_ASSERT_EQUAL(cons, 3);
}

static void test_full_empty(void)
{
	char ring[SIZE] = { 0 }, out[16];
	uint32_t prod = 0, cons = 0;

	CU_ASSERT_EQUAL(bytering_get(ring, SIZE, &cons, prod, out, 4), 0);
	/* Only SIZE bytes fit; the rest is refused, not overwritten. */
	CU_ASSERT_EQUAL(bytering_put(ring, SIZE, &prod, cons, "0123456789", 10), SIZE);
	CU_ASSERT_EQUAL(prod - cons, SIZE);
	CU_ASSERT_EQUAL(bytering_put(ring, SIZE, &prod, cons, "x", 1), 0);
	/* Partial read, then room for exactly that much. */
	CU_ASSERT_EQUAL(bytering_get(ring, SIZE, &cons, prod, out, 3), 3);
	CU_ASSERT_NSTRING_EQUAL(out, "012", 3);
	CU_ASSERT_EQUAL(bytering_put(ring, SIZE, &prod, cons, "abcdef", 6), 3);
	CU_ASSERT_EQUAL(bytering_get(ring, SIZE, &cons, prod, out, sizeof(out)), SIZE);
	CU_ASSERT_NSTRING_EQUAL(out, "34567abc", SIZE);
	CU_ASSERT_EQUAL(bytering_get(ring, SIZE, &cons, prod, out, sizeof(out)), 0);
}

static void test_wraparound_2_32(void)
{
	char ring[SIZE] = { 0 }, out[16];
	uint32_t prod = UINT32_MAX - 2, cons = UINT32_MAX - 2;

	/* The indexes wrap through 0 mid-copy; order must survive. */
	CU_ASSERT_EQUAL(bytering_put(ring, SIZE, &prod, cons, "ABCDEFGH", 8), 8);
	CU_ASSERT_EQUAL(prod, 5u);
	CU_ASSERT_EQUAL(prod - cons, 8u);
	CU_ASSERT_EQUAL(bytering_put(ring, SIZE, &prod, cons, "Z", 1), 0);
	CU_ASSERT_EQUAL(bytering_get(ring, SIZE, &cons, prod, out, 5), 5);
	CU_ASSERT_EQUAL(cons, 2u);
	CU_ASSERT_EQUAL(bytering_get(ring, SIZE, &cons, prod, out + 5, 5), 3);
	CU_ASSERT_NSTRING_EQUAL(out, "ABCDEFGH", 8);
	CU_ASSERT_EQUAL(cons, prod);
}

static void test_lying_peer(void)
{
	char ring[SIZE] = "01234567", out[16];
	uint32_t prod = 100, cons = 100;

	memset(out, '-', sizeof(out));
	/* Consumer claims to be ahead of us: used = prod - cons wraps huge. */
	CU_ASSERT_EQUAL(bytering_put(ring, SIZE, &prod, 101, "abc", 3), 0);
	CU_ASSERT_EQUAL(prod, 100);
	/* Consumer claims to be further behind than the ring holds. */
	CU_ASSERT_EQUAL(bytering_put(ring, SIZE, &prod, 100 - SIZE - 1, "abc", 3), 0);
	CU_ASSERT_EQUAL(prod, 100);
	/* Producer claims more data than the ring can hold. */
	CU_ASSERT_EQUAL(bytering_get(ring, SIZE, &cons, cons + SIZE + 1, out, 16), 0);
	CU_ASSERT_EQUAL(bytering_get(ring, SIZE, &cons, UINT32_MAX, out, 16), 0);
	/* Producer behind the consumer. */
	CU_ASSERT_EQUAL(bytering_get(ring, SIZE, &cons, cons - 1, out, 16), 0);
	CU_ASSERT_EQUAL(cons, 100);
	CU_ASSERT_EQUAL(out[0], '-');
	/* Exactly full is the truth, not a lie. */
	CU_ASSERT_EQUAL(bytering_get(ring, SIZE, &cons, cons + SIZE, out, 16), SIZE);
}

UNIT_SUITE(suite_bytering)

int suite_bytering(void)
{
	CU_pSuite s = unit_add_suite("bytering");

	if (!s)
		return -1;
	ADD_TEST(s, test_put_get);
	ADD_TEST(s, test_full_empty);
	ADD_TEST(s, test_wraparound_2_32);
	ADD_TEST(s, test_lying_peer);
	return 0;
}
