/*
 * IDENTIFY DEVICE parsing and task-file encoding (lib/ata.h). Word and bit
 * numbers are ACS-3's (T13/2161-D, 7.12.7).
 */
#include "lib/ata.h"
#include "lib/string.h"

static bool bit(const uint16_t w[256], unsigned int word, unsigned int b)
{
	return (w[word] >> b) & 1;
}

/* Words 83/86 and 106 mean something only with bit 14 set and bit 15 clear. */
static bool valid_word(uint16_t v)
{
	return (v & 0xc000) == 0x4000;
}

const char *ata_parse_identify(const uint16_t w[256], struct ata_ident *id)
{
	unsigned int n = 0;

	memset(id, 0, sizeof(*id));
	if (bit(w, 0, 15))
		return "not an ATA device (word 0 bit 15: ATAPI)";
	if (!bit(w, 49, 9))
		return "no LBA addressing (CHS only)";
	id->lba48 = valid_word(w[83]) && bit(w, 83, 10) && bit(w, 86, 10);
	id->flush_ext = id->lba48 && bit(w, 83, 13);
	if (id->lba48)
		id->sectors = (uint64_t)w[100] | (uint64_t)w[101] << 16 |
			      (uint64_t)w[102] << 32 | (uint64_t)w[103] << 48;
	if (!id->sectors)		/* LBA48 not there, or not reporting: the 28-bit count */
		id->sectors = (uint64_t)w[60] | (uint64_t)w[61] << 16;
	if (!id->sectors)
		return "no sectors";
	id->sector_size = 512;
	if (valid_word(w[106]) && bit(w, 106, 12))
		id->sector_size = 2 * ((uint32_t)w[117] | (uint32_t)w[118] << 16);
	if (id->sector_size < 512 || (id->sector_size & (id->sector_size - 1)) ||
	    id->sector_size > 4096)
		return "logical sector size not a power of two in 512..4096";
	id->physical_sector_size = id->sector_size;
	if (valid_word(w[106]) && bit(w, 106, 13))
		id->physical_sector_size <<= (w[106] & 0xf);
	id->trim = bit(w, 169, 0);
	id->dma = bit(w, 49, 8);
	/* ATA strings: two characters a word, the first in the high byte. */
	for (unsigned int k = 27; k <= 46; k++) {
		id->model[n++] = (char)(w[k] >> 8);
		id->model[n++] = (char)(w[k] & 0xff);
	}
	id->model[n] = 0;
	while (n && (id->model[n - 1] == ' ' || !id->model[n - 1]))
		id->model[--n] = 0;
	return NULL;
}

uint32_t ata_max_count(bool lba48)
{
	return lba48 ? 65536 : 256;	/* a count register of 0 means the maximum */
}

bool ata_encode(uint64_t lba, uint32_t nr, bool lba48, bool slave, struct ata_taskfile *tf)
{
	uint64_t limit = lba48 ? 1ull << 48 : 1ull << 28;

	if (!nr || nr > ata_max_count(lba48) || lba >= limit || nr > limit - lba)
		return false;
	memset(tf, 0, sizeof(*tf));
	if (lba48) {
		tf->count[0] = (uint8_t)(nr >> 8);
		tf->lba_lo[0] = (uint8_t)(lba >> 24);
		tf->lba_mid[0] = (uint8_t)(lba >> 32);
		tf->lba_hi[0] = (uint8_t)(lba >> 40);
		tf->device = 0x40 | (slave ? 0x10 : 0);		/* LBA */
	} else {
		/* Bits 7 and 5 are obsolete but set by tradition; LBA bits 27-24 go here. */
		tf->device = 0xe0 | (slave ? 0x10 : 0) | (uint8_t)((lba >> 24) & 0xf);
	}
	tf->count[1] = (uint8_t)nr;
	tf->lba_lo[1] = (uint8_t)lba;
	tf->lba_mid[1] = (uint8_t)(lba >> 8);
	tf->lba_hi[1] = (uint8_t)(lba >> 16);
	return true;
}
