/*
 * The parts of ATA that need no hardware (ACS-3, T13/2161-D): what an
 * IDENTIFY DEVICE block says about a disk, and how an LBA and a count go
 * into the task-file registers. Shared by parahost's disk driver
 * (host/drivers/ata.c) and its unit tests (tests/unit/test_ata.c).
 */
#ifndef LIB_ATA_H
#define LIB_ATA_H

#include <stdbool.h>
#include <stdint.h>

struct ata_ident {
	bool lba48;			/* the 48-bit address feature set, enabled */
	bool flush_ext;			/* FLUSH CACHE EXT (else FLUSH CACHE) */
	bool trim;			/* DATA SET MANAGEMENT with TRIM */
	bool dma;			/* DMA (word 49 bit 8): bus-master transfers possible */
	uint64_t sectors;		/* addressable logical sectors */
	uint32_t sector_size;		/* logical sector, bytes */
	uint32_t physical_sector_size;	/* bytes */
	char model[41];			/* words 27-46, spaces trimmed */
};

/* NULL, or why the block is no disk we can drive (and *id is not to be used). */
const char *ata_parse_identify(const uint16_t w[256], struct ata_ident *id);

/*
 * The task file of a READ/WRITE SECTORS (EXT): the values for the
 * sector-count and LBA low/mid/high registers, the "previous" (high-order)
 * bytes first for LBA48, and the device register. nr is 1..ata_max_count.
 */
struct ata_taskfile {
	uint8_t count[2], lba_lo[2], lba_mid[2], lba_hi[2];	/* [0]: written first (LBA48 only) */
	uint8_t device;
};

uint32_t ata_max_count(bool lba48);
/* false: lba + nr does not fit the addressing mode. */
bool ata_encode(uint64_t lba, uint32_t nr, bool lba48, bool slave, struct ata_taskfile *tf);

#endif
