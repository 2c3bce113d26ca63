/* lib/ata.c: IDENTIFY blocks as QEMU's and Bochs' disks and a CD answer, and the task file. */
#include <stdint.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "lib/ata.h"
#include "tests/unit/unit.h"

/* An LBA48 disk of n sectors, model "QEMU HARDDISK" (QEMU's ide_identify words). */
static void disk(uint16_t w[256], uint64_t n)
{
	const char model[] = "QEMU HARDDISK                           ";

	memset(w, 0, 512);
	w[0] = 0x0040;
	w[49] = 1u << 9 | 1u << 8;
	w[60] = (uint16_t)(n > 0x0fffffff ? 0xffff : n);
	w[61] = (uint16_t)(n > 0x0fffffff ? 0x0fff : n >> 16);
	w[83] = 0x4000 | 1u << 10 | 1u << 13 | 1u << 12;
	w[86] = 1u << 10 | 1u << 13 | 1u << 12;
	for (int k = 0; k < 4; k++)
		w[100 + k] = (uint16_t)(n >> (16 * k));
	for (int k = 0; k < 20; k++)
		w[27 + k] = (uint16_t)(model[2 * k] << 8 | model[2 * k + 1]);
}

static void test_identify_lba48_disk(void)
{
	uint16_t w[256];
	struct ata_ident id;

	disk(w, 131072);
	CU_ASSERT_PTR_NULL(ata_parse_identify(w, &id));
	CU_ASSERT(id.lba48 && id.flush_ext && !id.trim && id.dma);
	CU_ASSERT_EQUAL(id.sectors, 131072);
	CU_ASSERT_EQUAL(id.sector_size, 512);
	CU_ASSERT_EQUAL(id.physical_sector_size, 512);
	CU_ASSERT_STRING_EQUAL(id.model, "QEMU HARDDISK");
	/* Beyond 28 bits the 28-bit words saturate; the 48-bit count wins. */
	disk(w, 1ull << 30);
	CU_ASSERT_PTR_NULL(ata_parse_identify(w, &id));
	CU_ASSERT_EQUAL(id.sectors, 1ull << 30);
	w[169] = 1;
	CU_ASSERT_PTR_NULL(ata_parse_identify(w, &id));
	CU_ASSERT(id.trim);
}

static void test_identify_lba28_and_refusals(void)
{
	uint16_t w[256];
	struct ata_ident id;

	disk(w, 20000);
	w[86] &= (uint16_t)~(1u << 10);		/* supported, not enabled: 28-bit only */
	CU_ASSERT_PTR_NULL(ata_parse_identify(w, &id));
	CU_ASSERT(!id.lba48 && !id.flush_ext);
	CU_ASSERT_EQUAL(id.sectors, 20000);
	w[83] = 0;				/* word 83 invalid (bit 14 clear): no LBA48 either */
	CU_ASSERT_PTR_NULL(ata_parse_identify(w, &id));
	CU_ASSERT(!id.lba48);

	disk(w, 100);
	w[0] = 0x85c0;				/* a CD-ROM's PACKET IDENTIFY word 0 */
	CU_ASSERT_PTR_NOT_NULL(ata_parse_identify(w, &id));
	disk(w, 100);
	w[49] = 0;				/* CHS only */
	CU_ASSERT_PTR_NOT_NULL(ata_parse_identify(w, &id));
	disk(w, 0);
	CU_ASSERT_PTR_NOT_NULL(ata_parse_identify(w, &id));
	disk(w, 100);
	w[106] = 0x4000 | 1u << 12;		/* logical sector in words 117-118 */
	w[117] = 2048;				/* 4096 bytes */
	CU_ASSERT_PTR_NULL(ata_parse_identify(w, &id));
	CU_ASSERT_EQUAL(id.sector_size, 4096);
	w[117] = 300;				/* 600 bytes: no */
	CU_ASSERT_PTR_NOT_NULL(ata_parse_identify(w, &id));
	disk(w, 100);
	w[106] = 0x4000 | 1u << 13 | 3;		/* 8 logical per physical */
	CU_ASSERT_PTR_NULL(ata_parse_identify(w, &id));
	CU_ASSERT_EQUAL(id.physical_sector_size, 4096);
}

static void test_encode(void)
{
	struct ata_taskfile tf;

	CU_ASSERT(ata_encode(0x123456789aull, 65536, true, true, &tf));
	CU_ASSERT(tf.count[0] == 0 && tf.count[1] == 0);	/* 65536 is a count of 0 */
	CU_ASSERT(tf.lba_lo[0] == 0x34 && tf.lba_mid[0] == 0x12 && tf.lba_hi[0] == 0x00);
	CU_ASSERT(tf.lba_lo[1] == 0x9a && tf.lba_mid[1] == 0x78 && tf.lba_hi[1] == 0x56);
	CU_ASSERT_EQUAL(tf.device, 0x50);
	CU_ASSERT(ata_encode(0x0abcdef1, 256, false, false, &tf));
	CU_ASSERT(tf.count[1] == 0 && tf.device == 0xea && tf.lba_lo[1] == 0xf1 &&
		  tf.lba_mid[1] == 0xde && tf.lba_hi[1] == 0xbc);
	CU_ASSERT(!ata_encode(0, 257, false, false, &tf));
	CU_ASSERT(!ata_encode(0, 0, true, false, &tf));
	CU_ASSERT(!ata_encode((1ull << 28) - 1, 2, false, false, &tf));	/* runs past 28 bits */
	CU_ASSERT(ata_encode((1ull << 28) - 1, 1, false, false, &tf));
	CU_ASSERT(!ata_encode((1ull << 48) - 1, 2, true, false, &tf));
}

UNIT_SUITE(suite_ata)
int suite_ata(void)
{
	CU_pSuite s = unit_add_suite("ata");

	if (!s)
		return -1;
	ADD_TEST(s, test_identify_lba48_disk);
	ADD_TEST(s, test_identify_lba28_and_refusals);
	ADD_TEST(s, test_encode);
	return 0;
}
