/*
 * The machine's legacy ATA/IDE disks (host/drivers/ata.c): the primary and
 * secondary channels at their ISA ports, master and slave, PIO, polled.
 * Knows nothing of guests; host/backends/blkback.c owns it.
 */
#ifndef HOST_DRIVERS_ATA_H
#define HOST_DRIVERS_ATA_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/ata.h"

struct ata_disk {
	uint16_t base, ctrl;		/* command block, control block ports */
	uint16_t bm;			/* the channel's bus-master registers, 0: PIO only */
	bool slave;
	struct ata_ident id;
};

/* The first ATA disk found (ATAPI devices such as the boot CD skipped); NULL: none. */
struct ata_disk *ata_probe(void);
/*
 * nr logical sectors at lba, each to or from sector(ctx, k) for the k-th
 * (a scatter list: no bounce buffer). 0, or -1 with one log line (a range
 * past the end, a device error, a device busy past the time limit).
 */
int ata_rw(struct ata_disk *d, uint64_t lba, uint32_t nr, bool write,
	   void *(*sector)(void *ctx, uint32_t k), void *ctx);
int ata_flush(struct ata_disk *d);
/* TRIM nr sectors at lba (the disk has TRIM and DMA); 0, or -1 with one log line. */
int ata_trim(struct ata_disk *d, uint64_t lba, uint64_t nr);

#endif
