/*
 * The durability check's guest half: data acknowledged after a flush must
 * be on the disk whatever happens to the VM next. We write 1 MiB in 16
 * concurrent requests, flush, and only then print the checksum; the
 * harness kills the VM on that line and checksums the image itself. What
 * keeps an earlier run's data from passing for this one's is the harness:
 * a fresh image of zeros each run, and an all-zero range never passes.
 * (The pattern is seeded by the boot's system time, which Bochs, whose
 * clock does not follow the host's, repeats from run to run.)
 */
#include <xen/errno.h>

#include "drivers/pv/blkfront.h"
#include "kernel/durable.h"
#include "kernel/kernel.h"
#include "kernel/sched.h"
#include "lib/crc32.h"
#include "mm/kmalloc.h"
#include "xen/time.h"

#define DURABLE_SECTOR	4096u		/* 2 MiB into the disk */
#define DURABLE_COUNT	2048u		/* 1 MiB */
#define DURABLE_PARTS	16u

static int write_all(struct blkdev *disk, uint8_t *buf)
{
	static struct blk_req reqs[DURABLE_PARTS];
	struct blk_batch d = { .wq = { 0 }, .left = DURABLE_PARTS, .status = 0 };
	uint64_t per = DURABLE_COUNT / DURABLE_PARTS;

	for (unsigned int i = 0; i < DURABLE_PARTS; i++) {
		int rc;

		reqs[i] = (struct blk_req){
			.op = BLK_WRITE, .sector = DURABLE_SECTOR + i * per, .count = per,
			.buf = buf + i * per * BLK_SECTOR_SIZE, .done = blk_batch_done, .arg = &d,
		};
		rc = blk_submit(disk, &reqs[i]);
		if (rc) {
			d.left -= DURABLE_PARTS - i;
			wait_event(&d.wq, d.left == 0);
			return rc;
		}
	}
	if (!wait_event_until(&d.wq, d.left == 0, xen_system_time() + BLK_SYNC_TIMEOUT_NS))
		return -XEN_ETIMEDOUT;
	return d.status;
}

void durable_run(void)
{
	struct blkdev *disk = blkfront_disk();
	uint64_t x = xen_system_time() | 1;
	uint8_t *buf = kmalloc(DURABLE_COUNT * BLK_SECTOR_SIZE);
	int rc;

	if (!blk_scratch_allowed())
		panic("durable: the disk is not a scratch disk (no blk_scratch): not writing to it");
	if (!disk || !buf || disk->sectors < DURABLE_SECTOR + DURABLE_COUNT)
		panic("durable: %s", !disk ? "no disk" : !buf ? "no memory" : "the disk is too small");
	for (size_t i = 0; i < DURABLE_COUNT * BLK_SECTOR_SIZE; i += 8) {
		x ^= x << 13;		/* xorshift64: any run-dependent bytes do */
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(buf + i, &x, 8);
	}
	rc = write_all(disk, buf);
	/*
	 * A backend that offers no flush has no volatile cache to flush: Linux's
	 * blkback offers it only when its disk has a write cache (not Bochs's
	 * ATA disk under xen-bochs), and Linux's blkfront then runs write-through.
	 * A write it has completed is on the disk already.
	 */
	if (!rc && disk->can_flush)
		rc = blk_flush(disk);
	if (rc)
		panic("durable: writing or flushing %s failed (%d)", disk->name, rc);
	kprintf("blk-durable: sector=%u count=%u crc32=%08x\n", DURABLE_SECTOR, DURABLE_COUNT,
		crc32_update(0, buf, DURABLE_COUNT * BLK_SECTOR_SIZE));
	for (;;)
		sleep_ns(NSEC_PER_SEC);		/* until the harness kills us */
}
