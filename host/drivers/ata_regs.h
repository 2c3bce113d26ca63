/* The ATA task-file registers and commands, shared by ata.c (PIO) and ata_dma.c (bus master). */
#ifndef HOST_DRIVERS_ATA_REGS_H
#define HOST_DRIVERS_ATA_REGS_H

enum {
	ATA_REG_DATA = 0, ATA_REG_ERROR = 1, ATA_REG_FEATURES = 1, ATA_REG_COUNT = 2, ATA_REG_LBA_LO = 3,
	ATA_REG_LBA_MID = 4, ATA_REG_LBA_HI = 5, ATA_REG_DEVICE = 6, ATA_REG_STATUS = 7,
	ATA_REG_COMMAND = 7,
};
enum { ATA_ST_ERR = 0x01, ATA_ST_DRQ = 0x08, ATA_ST_DF = 0x20, ATA_ST_DRDY = 0x40, ATA_ST_BSY = 0x80 };
enum {
	ATA_CMD_DSM = 0x06, ATA_CMD_READ = 0x20, ATA_CMD_READ_EXT = 0x24, ATA_CMD_READ_DMA_EXT = 0x25,
	ATA_CMD_WRITE = 0x30, ATA_CMD_WRITE_EXT = 0x34, ATA_CMD_WRITE_DMA_EXT = 0x35,
	ATA_CMD_READ_DMA = 0xc8, ATA_CMD_WRITE_DMA = 0xca, ATA_CMD_FLUSH = 0xe7,
	ATA_CMD_FLUSH_EXT = 0xea, ATA_CMD_IDENTIFY = 0xec,
};

struct ata_disk;
/* Select the device, write the LBA and count, issue cmd28 or (LBA48) cmd48. */
void ata_taskfile(struct ata_disk *d, uint64_t lba, uint32_t nr, uint8_t cmd28, uint8_t cmd48);
/* ata_dma.c: the bus-master registers (0: none); a transfer, 1 if it cannot be DMA (use PIO). */
uint16_t ata_dma_probe(void);
int ata_dma_rw(struct ata_disk *d, uint64_t lba, uint32_t nr, bool write,
	       void *(*sector)(void *ctx, uint32_t k), void *ctx);

#endif
