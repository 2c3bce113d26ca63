/*
 * Bus-master DMA for the ATA disks (the PCI IDE function's "Bus Master
 * IDE" registers, SFF-8038i; PIIX3/4 in QEMU's and Bochs' i440FX): the
 * controller moves the sectors itself along a table of physical regions
 * (PRDs), where PIO costs one port read per 16 bits. Under QEMU's TCG
 * PIO reaches about 2 MB/s, the guest's whole budget for disk I/O.
 * Regions: each run of sectors contiguous in memory, at most 64 KiB and
 * never across a 64 KiB boundary, below 4 GiB (32-bit addresses); a
 * command takes as many sectors as the table holds. Completion is
 * polled (the device not busy and the controller no longer active),
 * bounded like every other wait here.
 */
#include "host/host.h"
#include "host/x86.h"
#include "host/boot/boot.h"
#include "host/drivers/ata.h"
#include "host/drivers/ata_regs.h"

enum { BM_CMD = 0, BM_STATUS = 2, BM_PRDT = 4 };
enum { BM_START = 0x01, BM_TO_MEMORY = 0x08 };		/* command */
enum { BM_ACTIVE = 0x01, BM_ERROR = 0x02, BM_IRQ = 0x04 };	/* status */
#define PRD_EOT		0x8000
#define NR_PRD		512			/* one page of them */
#define CHUNK_MAX	(1u << 16)

struct prd {
	uint32_t addr;
	uint16_t len;				/* 0 means 64 KiB */
	uint16_t flags;
};

static struct prd prdt[NR_PRD] __attribute__((aligned(PAGE_SIZE)));

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static uint32_t pci_read(unsigned int dev, unsigned int fn, unsigned int off)
{
	outl(0xcf8, 0x80000000u | dev << 11 | fn << 8 | (off & 0xfc));
	return inl(0xcfc);
}

static void pci_write16(unsigned int dev, unsigned int fn, unsigned int off, uint16_t v)
{
	outl(0xcf8, 0x80000000u | dev << 11 | fn << 8 | (off & 0xfc));
	outw(0xcfc + (off & 2), v);
}

/* The bus-master registers of an IDE function on bus 0 in compatibility mode, or 0. */
uint16_t ata_dma_probe(void)
{
	for (unsigned int dev = 0; dev < 32; dev++)
		for (unsigned int fn = 0; fn < 8; fn++) {
			uint32_t id = pci_read(dev, fn, 0), class = pci_read(dev, fn, 8), bar;

			if ((id & 0xffff) == 0xffff || (class >> 16) != 0x0101 || !(class & 0x8000))
				continue;	/* not an IDE function that can bus-master (prog-if bit 7) */
			bar = pci_read(dev, fn, 0x20);
			if (!(bar & 1) || !(bar & ~3u))
				continue;
			/* I/O space and bus mastering on: the firmware may have left them off. */
			pci_write16(dev, fn, 4, (uint16_t)(pci_read(dev, fn, 4) | 0x5));
			printk("ata: bus-master DMA at %#x (PCI 00:%02x.%u)", bar & ~3u, dev, fn);
			return (uint16_t)(bar & ~3u);
		}
	return 0;
}

/* The table for sectors k.. of the transfer: how many sectors it covers (0: not DMA-able). */
static uint32_t fill(struct ata_disk *d, uint32_t k, uint32_t nr,
		     void *(*sector)(void *ctx, uint32_t k), void *ctx)
{
	uint32_t ss = d->id.sector_size, done = 0;
	unsigned int n = 0;

	while (done < nr) {
		uint64_t pa = virt_to_phys(sector(ctx, k + done));

		if (pa + ss > (1ull << 32))
			return 0;
		if (n && prdt[n - 1].addr + (prdt[n - 1].len ? prdt[n - 1].len : CHUNK_MAX) == pa &&
		    prdt[n - 1].len && prdt[n - 1].len + ss <= CHUNK_MAX &&
		    ((pa + ss - 1) >> 16) == (prdt[n - 1].addr >> 16)) {
			prdt[n - 1].len = (uint16_t)((prdt[n - 1].len + ss) & 0xffff);
		} else {
			if (n == NR_PRD)
				break;
			prdt[n++] = (struct prd){ (uint32_t)pa, (uint16_t)ss, 0 };
		}
		done++;
	}
	prdt[n - 1].flags = PRD_EOT;
	return done;
}

/* The table loaded and the direction set: then the command, then go(). */
static void prepare(uint16_t bm, bool to_memory)
{
	outb(bm + BM_CMD, 0);
	outl(bm + BM_PRDT, (uint32_t)virt_to_phys(prdt));
	outb(bm + BM_STATUS, inb(bm + BM_STATUS) | BM_ERROR | BM_IRQ);	/* write 1 to clear */
	outb(bm + BM_CMD, to_memory ? BM_TO_MEMORY : 0);
}

/* Start the controller, wait (bounded) for the command to end: 0, or -1 with one line. */
static int go(struct ata_disk *d, bool to_memory, const char *what)
{
	uint16_t bm = d->bm;
	uint64_t end;
	uint8_t st, bs;

	outb(bm + BM_CMD, (to_memory ? BM_TO_MEMORY : 0) | BM_START);
	end = rdtsc() + (time_tsc_hz() ? time_tsc_hz() : 1000000000ull) * 5;
	for (;;) {
		bs = inb(bm + BM_STATUS);
		st = inb(d->base + ATA_REG_STATUS);
		if (!(st & ATA_ST_BSY) && (!(bs & BM_ACTIVE) || (st & (ATA_ST_ERR | ATA_ST_DF))))
			break;
		if (rdtsc() > end) {
			outb(bm + BM_CMD, 0);
			printk("ata %#x%s: DMA %s: no answer (status %#x, bus master %#x)",
			       d->base, d->slave ? " slave" : "", what, st, bs);
			return -1;
		}
		cpu_relax();
	}
	outb(bm + BM_CMD, 0);
	outb(bm + BM_STATUS, bs | BM_ERROR | BM_IRQ);
	if ((st & (ATA_ST_ERR | ATA_ST_DF | ATA_ST_DRQ)) || (bs & BM_ERROR)) {
		printk("ata %#x%s: DMA %s failed: status %#x error %#x bus master %#x", d->base,
		       d->slave ? " slave" : "", what, st, inb(d->base + ATA_REG_ERROR), bs);
		return -1;
	}
	return 0;
}

int ata_dma_rw(struct ata_disk *d, uint64_t lba, uint32_t nr, bool write,
	       void *(*sector)(void *ctx, uint32_t k), void *ctx)
{
	uint32_t k = 0;

	while (k < nr) {
		uint32_t left = nr - k, n, max = ata_max_count(d->id.lba48);

		n = fill(d, k, left < max ? left : max, sector, ctx);
		if (!n)
			return 1;		/* the caller goes by PIO */
		prepare(d->bm, !write);
		ata_taskfile(d, lba + k, n, write ? ATA_CMD_WRITE_DMA : ATA_CMD_READ_DMA,
			     write ? ATA_CMD_WRITE_DMA_EXT : ATA_CMD_READ_DMA_EXT);
		if (go(d, !write, write ? "write" : "read"))
			return -1;
		k += n;
	}
	return 0;
}

/*
 * DATA SET MANAGEMENT with TRIM (ACS-3 7.5), a DMA command: one 512-byte
 * block of 64 range entries (48-bit LBA, 16-bit count) per command.
 */
static uint64_t ranges[64] __attribute__((aligned(512)));

int ata_trim(struct ata_disk *d, uint64_t lba, uint64_t nr)
{
	if (!d->bm || !d->id.dma || !d->id.trim || !d->id.lba48)
		return -1;
	while (nr) {
		unsigned int n = 0;

		memset(ranges, 0, sizeof(ranges));
		for (; nr && n < 64; n++) {
			uint64_t c = nr < 0xffff ? nr : 0xffff;

			ranges[n] = lba | c << 48;
			lba += c;
			nr -= c;
		}
		prdt[0] = (struct prd){ (uint32_t)virt_to_phys(ranges), sizeof(ranges), PRD_EOT };
		prepare(d->bm, false);
		outb(d->base + ATA_REG_DEVICE, 0x40 | (d->slave ? 0x10 : 0));
		for (int i = 0; i < 4; i++)
			(void)inb(d->ctrl);
		/* 48-bit registers, high byte first: features TRIM, one block, LBA 0. */
		outb(d->base + ATA_REG_FEATURES, 0);
		outb(d->base + ATA_REG_FEATURES, 1);
		outb(d->base + ATA_REG_COUNT, 0);
		outb(d->base + ATA_REG_COUNT, 1);
		for (int r = ATA_REG_LBA_LO; r <= ATA_REG_LBA_HI; r++) {
			outb((uint16_t)(d->base + r), 0);
			outb((uint16_t)(d->base + r), 0);
		}
		outb(d->base + ATA_REG_COMMAND, ATA_CMD_DSM);
		if (go(d, false, "trim"))
			return -1;
	}
	return 0;
}
