/*
 * lib/crc32.c against values zlib gives (python3 -c 'import zlib;
 * print(hex(zlib.crc32(b"...")))'): the harness recomputes the guest's
 * checksum with zlib, so the two must agree bit for bit.
 */
#include <stdint.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "lib/crc32.h"
#include "tests/unit/unit.h"

static void test_known_values(void)
{
	CU_ASSERT_EQUAL(crc32_update(0, "", 0), 0);
	CU_ASSERT_EQUAL(crc32_update(0, "123456789", 9), 0xcbf43926u);
	CU_ASSERT_EQUAL(crc32_update(0, "The quick brown fox jumps over the lazy dog", 43),
			0x414fa339u);
}

/* Fed in pieces, the same as at once: the guest checksums sector runs in chunks. */
static void test_incremental(void)
{
	static uint8_t buf[4096];
	uint32_t whole, parts = 0;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	whole = crc32_update(0, buf, sizeof(buf));
	for (size_t off = 0; off < sizeof(buf); off += 512)
		parts = crc32_update(parts, buf + off, 512);
	CU_ASSERT_EQUAL(whole, parts);
	memset(buf, 0, 512);
	CU_ASSERT_EQUAL(crc32_update(0, buf, 512), 0xb2aa7578u);
}

UNIT_SUITE(suite_crc32)

int suite_crc32(void)
{
	CU_pSuite s = unit_add_suite("crc32");

	if (!s)
		return -1;
	ADD_TEST(s, test_known_values);
	ADD_TEST(s, test_incremental);
	return 0;
}
