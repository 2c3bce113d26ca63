/*
 * Legacy ATA/IDE (ATA8-ACS, the ISA-compatible task file), the one disk
 * controller both QEMU's default machine and Bochs emulate, and that real
 * PCs still offer in IDE mode: channels at 0x1f0/0x3f6 and 0x170/0x376,
 * master and slave each. PIO and polled, interrupts off (nIEN): parahost
 * runs its backends synchronously at VM-exit time, so there is nothing to
 * overlap with. Every wait is bounded (a few seconds; a flush longer, as
 * a disk's cache can take that), and ends in one log line and -1.
 * Transfers go by bus-master DMA where the machine has a PCI IDE function
 * that can (ata_dma.c), else by PIO here.
 */
#include "host/host.h"
#include "host/x86.h"
#include "host/drivers/ata.h"
#include "host/drivers/ata_regs.h"

enum { CTL_NIEN = 0x02 };

static struct ata_disk disks[4];


static void insw(uint16_t port, void *buf, unsigned int n)
{
	asm volatile("rep insw" : "+D"(buf), "+c"(n) : "d"(port) : "memory");
}

static void outsw(uint16_t port, const void *buf, unsigned int n)
{
	asm volatile("rep outsw" : "+S"(buf), "+c"(n) : "d"(port) : "memory");
}

/* ATA's 400 ns after a device select or command: four reads of the alternate status. */
static void settle(const struct ata_disk *d)
{
	for (int i = 0; i < 4; i++)
		(void)inb(d->ctrl);
}

static uint64_t deadline_after_ms(uint64_t ms)
{
	uint64_t hz = time_tsc_hz();

	return rdtsc() + (hz ? hz / 1000 : 1000000) * ms;
}

/*
 * Until BSY clears and (want) is set, or ERR/DF: the status, or -1 past the
 * deadline. The status register (not the alternate) acknowledges the
 * device's interrupt, which we never take.
 */
static int wait_status(const struct ata_disk *d, uint8_t want, uint64_t ms, const char *what)
{
	uint64_t end = deadline_after_ms(ms);
	uint8_t st;

	for (;;) {
		st = inb(d->base + ATA_REG_STATUS);
		if (st == 0xff)
			break;			/* floating bus: nothing there */
		if (!(st & ATA_ST_BSY) && ((st & (ATA_ST_ERR | ATA_ST_DF)) || (st & want) == want))
			return st;
		if (rdtsc() > end)
			break;
		cpu_relax();
	}
	printk("ata %#x%s: %s: no answer (status %#x)", d->base, d->slave ? " slave" : "",
	       what, st);
	return -1;
}

static bool failed(const struct ata_disk *d, int st, const char *what)
{
	if (st < 0)
		return true;
	if (st & (ATA_ST_ERR | ATA_ST_DF)) {
		printk("ata %#x%s: %s failed: status %#x error %#x", d->base,
		       d->slave ? " slave" : "", what, st, inb(d->base + ATA_REG_ERROR));
		return true;
	}
	return false;
}

static void select_dev(const struct ata_disk *d, uint8_t device)
{
	outb(d->base + ATA_REG_DEVICE, device);
	settle(d);
}

/* IDENTIFY DEVICE: false if nothing answers, or an ATAPI device (which aborts it). */
static bool identify(struct ata_disk *d)
{
	uint16_t w[256];
	const char *why;
	int st;

	outb(d->ctrl, CTL_NIEN);
	select_dev(d, 0xa0 | (d->slave ? 0x10 : 0));
	if (inb(d->base + ATA_REG_STATUS) == 0xff)
		return false;			/* no channel */
	outb(d->base + ATA_REG_COUNT, 0);
	outb(d->base + ATA_REG_LBA_LO, 0);
	outb(d->base + ATA_REG_LBA_MID, 0);
	outb(d->base + ATA_REG_LBA_HI, 0);
	outb(d->base + ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
	settle(d);
	if (!inb(d->base + ATA_REG_STATUS))
		return false;			/* no device */
	st = wait_status(d, ATA_ST_DRQ, 1000, "IDENTIFY");
	/* A packet device aborts with its signature in LBA mid/high (0x14 0xeb). */
	if (st < 0 || (st & ATA_ST_ERR))
		return false;
	insw(d->base + ATA_REG_DATA, w, 256);
	why = ata_parse_identify(w, &d->id);
	if (why) {
		printk("ata %#x%s: skipped: %s", d->base, d->slave ? " slave" : "", why);
		return false;
	}
	return true;
}

struct ata_disk *ata_probe(void)
{
	static const uint16_t chan[2][2] = { { 0x1f0, 0x3f6 }, { 0x170, 0x376 } };
	uint16_t bm = ata_dma_probe();

	for (int i = 0; i < 4; i++) {
		struct ata_disk *d = &disks[i];

		d->base = chan[i / 2][0];
		d->ctrl = chan[i / 2][1];
		d->slave = i & 1;
		d->bm = bm ? (uint16_t)(bm + 8 * (i / 2)) : 0;	/* each channel's registers */
		if (identify(d)) {
			printk("ata %#x%s: \"%s\", %lu sectors of %u bytes%s%s", d->base,
			       d->slave ? " slave" : "", d->id.model, (unsigned long)d->id.sectors,
			       d->id.sector_size, d->id.lba48 ? ", LBA48" : ", LBA28",
			       d->id.trim ? ", TRIM" : "");
			printk("ata %#x%s: transfers by %s", d->base, d->slave ? " slave" : "",
			       d->bm && d->id.dma ? "bus-master DMA" : "PIO");
			return d;
		}
	}
	return NULL;
}

void ata_taskfile(struct ata_disk *d, uint64_t lba, uint32_t nr, uint8_t cmd28, uint8_t cmd48)
{
	struct ata_taskfile tf;

	/* The callers split at ata_max_count and check the range against id.sectors. */
	if (!ata_encode(lba, nr, d->id.lba48, d->slave, &tf))
		panic("ata: task file for %lu+%u", (unsigned long)lba, nr);
	select_dev(d, tf.device);
	if (d->id.lba48) {
		outb(d->base + ATA_REG_COUNT, tf.count[0]);
		outb(d->base + ATA_REG_LBA_LO, tf.lba_lo[0]);
		outb(d->base + ATA_REG_LBA_MID, tf.lba_mid[0]);
		outb(d->base + ATA_REG_LBA_HI, tf.lba_hi[0]);
	}
	outb(d->base + ATA_REG_COUNT, tf.count[1]);
	outb(d->base + ATA_REG_LBA_LO, tf.lba_lo[1]);
	outb(d->base + ATA_REG_LBA_MID, tf.lba_mid[1]);
	outb(d->base + ATA_REG_LBA_HI, tf.lba_hi[1]);
	outb(d->base + ATA_REG_COMMAND, d->id.lba48 ? cmd48 : cmd28);
	settle(d);
}

int ata_rw(struct ata_disk *d, uint64_t lba, uint32_t nr, bool write,
	   void *(*sector)(void *ctx, uint32_t k), void *ctx)
{
	uint32_t words = d->id.sector_size / 2, k = 0;
	const char *what = write ? "write" : "read";

	if (lba > d->id.sectors || nr > d->id.sectors - lba)
		return -1;
	if (d->bm && d->id.dma) {
		int rc = ata_dma_rw(d, lba, nr, write, sector, ctx);

		if (rc <= 0)
			return rc;	/* else memory DMA cannot reach: PIO */
	}
	while (nr) {
		uint32_t n = nr < ata_max_count(d->id.lba48) ? nr : ata_max_count(d->id.lba48);

		ata_taskfile(d, lba, n, write ? ATA_CMD_WRITE : ATA_CMD_READ,
			 write ? ATA_CMD_WRITE_EXT : ATA_CMD_READ_EXT);
		/* PIO: the device asks for (DRQ) each sector in turn. */
		for (uint32_t i = 0; i < n; i++, k++) {
			if (failed(d, wait_status(d, ATA_ST_DRQ, 5000, what), what))
				return -1;
			if (write)
				outsw(d->base + ATA_REG_DATA, sector(ctx, k), words);
			else
				insw(d->base + ATA_REG_DATA, sector(ctx, k), words);
		}
		/* A write is done when the device is no longer busy with the last sector. */
		if (write && failed(d, wait_status(d, 0, 5000, what), what))
			return -1;
		lba += n;
		nr -= n;
	}
	return 0;
}

int ata_flush(struct ata_disk *d)
{
	select_dev(d, 0xa0 | (d->slave ? 0x10 : 0));
	outb(d->base + ATA_REG_COMMAND, d->id.flush_ext ? ATA_CMD_FLUSH_EXT : ATA_CMD_FLUSH);
	settle(d);
	/* ATA allows a flush 30 s; past that the disk is not coming back. */
	return failed(d, wait_status(d, 0, 30000, "flush"), "flush") ? -1 : 0;
}
