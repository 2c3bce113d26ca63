#!/usr/bin/env python3
"""The durability check: did what the guest wrote and flushed reach the disk
image on this machine, though the VM was killed right after?

A run with a disk (runvm.py --disk IMG) starts from a fresh image of zeros.
With `durable` on its command line the guest, after its test summary, writes
a pattern, flushes it, and prints exactly one line

    blk-durable: sector=S count=N crc32=XXXXXXXX

(S and N in 512-byte sectors from the start of its disk, which is the start
of the image; crc32 as zlib.crc32 of those N*512 bytes, 8 lowercase hex
digits), then waits forever.  The harness kills the VM as soon as the line
arrives (dom0 runs `xl destroy`; runvm.py --durable-kill SIGKILLs the
emulator), and then check() reads the image.  The verdict goes to
build/results/NAME.durable.txt, one line `NAME STATUS REASON...` (STATUS ok,
fail or skip), which tests/test-all.py counts.

    durable.py check IMG 'blk-durable: ...'   judge one line against an image
    durable.py fake IMG [SECTOR COUNT]        what a guest would do (for
                                              testing the harness): write a
                                              pattern, print the line, wait
Standard library only.
"""

import os
import re
import shutil
import sys
import time
import zlib

SECTOR = 512
DISK_MIB = 64
LINE_RE = re.compile(r"^blk-durable: sector=(\d+) count=(\d+) crc32=([0-9a-f]{8})\s*$")
# A line that starts like ours, whatever follows (a malformed one is judged too).
PREFIX = "blk-durable:"


def fresh_disk(path, mib=DISK_MIB, template=None):
    """A new image of `mib` MiB of zeros (sparse), or a copy of `template`
    (a disk made for the guest: tests/linux/build_disk.py), replacing any
    old one, so that nothing from an earlier run can pass for this run's
    data."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    # Bochs locks an image with IMG.lock, and a Bochs that was killed (as
    # every run ends) leaves it behind: the next one refuses the image.
    for p in (path, path + ".lock"):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass
    if template:
        shutil.copyfile(template, path)
        return
    with open(path, "wb") as f:
        f.truncate(mib << 20)


def check(image, line):
    """(ok, reason) for the guest's blk-durable line against the image."""
    if line is None:
        return False, "the guest never printed a blk-durable line"
    m = LINE_RE.match(line.strip())
    if not m:
        return False, "malformed line %r (want 'blk-durable: sector=S count=N " \
            "crc32=XXXXXXXX')" % line.strip()
    sector, count, want = int(m.group(1)), int(m.group(2)), m.group(3)
    try:
        size = os.path.getsize(image)
        with open(image, "rb") as f:
            f.seek(sector * SECTOR)
            data = f.read(count * SECTOR)
    except OSError as e:
        return False, "cannot read %s: %s" % (image, e.strerror)
    where = "sector=%d count=%d" % (sector, count)
    if count == 0:
        return False, "%s: an empty range proves nothing" % where
    if (sector + count) * SECTOR > size:
        return False, "%s runs past the end of %s (%d sectors)" % (where, image, size // SECTOR)
    got = "%08x" % (zlib.crc32(data) & 0xffffffff)
    if got != want:
        return False, "%s: the image has crc32=%s, the guest flushed crc32=%s" % (where, got, want)
    # The image starts as zeros: a pattern of zeros would match even if
    # nothing had been written.
    if data.count(0) == len(data):
        return False, "%s: the pattern is all zeros, as the fresh image was" % where
    return True, "%s crc32=%s found in %s" % (where, got, image)


def result_path(results_dir, name):
    return os.path.join(results_dir, name + ".durable.txt")


def forget(results_dir, name):
    try:
        os.unlink(result_path(results_dir, name))
    except FileNotFoundError:
        pass


def write_verdict(path, name, status, reason):
    """One verdict file `NAME STATUS REASON...` (read_verdict() reads it)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write("%s %s %s\n" % (name, status, " ".join(reason.split()) or "-"))


def write_result(results_dir, name, status, reason):
    write_verdict(result_path(results_dir, name), name, status, reason)


def read_verdict(path):
    """(status, reason) from a verdict file `NAME STATUS REASON...` (this
    check's, or tests/linux/root_check.py's), or None if there is none."""
    try:
        with open(path) as f:
            fields = f.read().split(None, 2)
    except OSError:
        return None
    if len(fields) < 2 or fields[1] not in ("ok", "fail", "skip"):
        return ("fail", "malformed %s" % path)
    return fields[1], fields[2].strip() if len(fields) > 2 else ""


def read_result(results_dir, name):
    """(status, reason) from the platform's durability verdict, or None."""
    return read_verdict(result_path(results_dir, name))


def fake(image, sector=2048, count=256):
    """Stand-in for a guest, to test the harness: write a pattern straight
    into the image, make it durable, print the line, wait to be killed."""
    data = bytes((i * 7 + (i >> 9)) & 0xff for i in range(count * SECTOR))
    fd = os.open(image, os.O_WRONLY)
    os.pwrite(fd, data, sector * SECTOR)
    os.fsync(fd)
    os.close(fd)
    print("blk-durable: sector=%d count=%d crc32=%08x"
          % (sector, count, zlib.crc32(data) & 0xffffffff), flush=True)
    while True:
        time.sleep(60)


def main(argv):
    if len(argv) == 3 and argv[0] == "check":
        ok, why = check(argv[1], argv[2])
        print(("ok: " if ok else "FAILED: ") + why)
        return 0 if ok else 1
    if len(argv) in (2, 4) and argv[0] == "fake":
        fake(argv[1], *(int(x) for x in argv[2:]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
