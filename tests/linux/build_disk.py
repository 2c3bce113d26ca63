#!/usr/bin/env python3
"""The disk of the Linux guest test: a 64 MiB image, the template that
runvm.py --disk-template copies fresh before every boot.

    build_disk.py MEMTEST INIT OUT.img

An MBR (Linux's own partition code reads it: CONFIG_MSDOS_PARTITION=y)
with two partitions:
  xvda1  40 MiB ext4, the root the initramfs switches to: busybox, memtest
         and init.sh as /init (the same script, run there as stage 2), made
         and the pattern it writes, made with mkfs.ext4 -d from a directory,
         so no loop mount and no root
  xvda2  the rest, raw: init.sh's O_DIRECT pattern and the durability
         pattern (tests/durable.py) go there, never over the filesystem
What the guest writes on the root, root_check.py judges from outside.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "xen"))
import build_images as bi  # noqa: E402
import linux_guest  # noqa: E402

SECTOR = 512
DISK_SECTORS = 131072            # 64 MiB: init.sh's DISK_SECTORS
ROOT_START = 2048                # 1 MiB, as fdisk aligns
ROOT_SECTORS = 81920             # 40 MiB
RAW_START = ROOT_START + ROOT_SECTORS
MKFS = "/usr/sbin/mkfs.ext4"


def mbr(parts):
    """Sector 0: no boot code, a disk id, (start, count) as type 0x83 each."""
    out = bytearray(SECTOR)
    out[440:444] = b"PHlx"
    for i, (start, count) in enumerate(parts):
        # CHS fields say "use LBA" (0xfe 0xff 0xff), as tools write for big disks.
        out[446 + 16 * i:462 + 16 * i] = struct.pack(
            "<B3sB3sII", 0, b"\xfe\xff\xff", 0x83, b"\xfe\xff\xff", start, count)
    out[510:512] = b"\x55\xaa"
    return bytes(out)


def root_tree(top, memtest, init):
    busybox = os.path.join(bi.ROOT, "bin", "busybox")
    for d in ("bin", "data", "dev", "proc", "sys", "mnt", "tmp"):
        os.makedirs(os.path.join(top, d))
    shutil.copy(busybox, os.path.join(top, "bin", "busybox"))
    shutil.copy(memtest, os.path.join(top, "bin", "memtest"))
    shutil.copy(init, os.path.join(top, "init"))
    # The pattern stage 2 writes (root_check.py knows it too).
    with open(os.path.join(top, "pattern"), "wb") as f:
        f.write(linux_guest.pattern())
    for p in ("bin/busybox", "bin/memtest", "init"):
        os.chmod(os.path.join(top, p), 0o755)


def build(memtest, init, out):
    bi.images()
    if not os.path.exists(MKFS):
        raise SystemExit("build_disk: %s missing (Debian package e2fsprogs)" % MKFS)
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(out))) as tmp:
        top = os.path.join(tmp, "root")
        root_tree(top, memtest, init)
        fs = os.path.join(tmp, "root.ext4")
        # -d fills it from the directory; root_owner: the files are root's
        # whoever builds; -L: the label init.sh checks.
        r = subprocess.run([MKFS, "-q", "-F", "-L", "paraos-root", "-E", "root_owner=0:0",
                            "-d", top, fs, "%dk" % (ROOT_SECTORS // 2)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        if r.returncode != 0:
            raise SystemExit("build_disk: mkfs.ext4 failed: %s" % r.stdout.strip())
        with open(out + ".tmp", "wb") as f:
            f.truncate(DISK_SECTORS * SECTOR)
            f.write(mbr([(ROOT_START, ROOT_SECTORS), (RAW_START, DISK_SECTORS - RAW_START)]))
            f.seek(ROOT_START * SECTOR)
            with open(fs, "rb") as src:
                shutil.copyfileobj(src, f)
        os.rename(out + ".tmp", out)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit("usage: build_disk.py MEMTEST INIT OUT.img")
    build(*sys.argv[1:])
