#!/usr/bin/env python3
"""Judge the Linux guest's ext4 root (xvda1 of tests/linux/build_disk.py's
image) from outside, once the VM is gone.

    root_check.py NAME IMG RESULTS_DIR             after the suite's poweroff
    root_check.py NAME IMG RESULTS_DIR --after-kill after the durability kill

After the poweroff (init.sh remounted / read-only first, as a distribution's
shutdown does): `e2fsck -fn` must find the filesystem clean, and
/data/written must hold what the guest wrote (the pattern 16 times).
After the kill (the guest synced, printed its blk-durable line and was
SIGKILLed): e2fsck -p, as a boot runs it, may replay the journal and fix
what needs no human (the free counts), and a second pass must be clean, and /data/durable must hold the pattern 4 times.
The verdict: one line `[NAME] ext4 root: ok|FAILED: ...`, and
RESULTS_DIR/NAME.root.txt (or NAME.root-durable.txt) `NAME STATUS REASON`,
which tests/test-all.py counts as one result.
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "xen"))
import linux_guest  # noqa: E402
sys.path.insert(0, os.path.join(HERE, ".."))
import durable  # noqa: E402  (the verdict files' format)

SECTOR = 512
E2FSCK = "/usr/sbin/e2fsck"
DEBUGFS = "/usr/sbin/debugfs"


def result_path(results_dir, name, after_kill):
    return os.path.join(results_dir, name + (".root-durable.txt" if after_kill else ".root.txt"))


def first_partition(img):
    with open(img, "rb") as f:
        mbr = f.read(SECTOR)
    if len(mbr) != SECTOR or mbr[510:512] != b"\x55\xaa":
        raise ValueError("%s has no partition table any more" % img)
    start, count = struct.unpack("<II", mbr[454:462])
    return start, count


def run(argv):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    return r.returncode, r.stdout


def dump_crc(fs, path, tmp):
    out = os.path.join(tmp, "dump")
    if os.path.exists(out):
        os.unlink(out)
    # debugfs exits 0 even when the file is not there: the inode decides.
    rc, text = run([DEBUGFS, "-R", "stat %s" % path, fs])
    if rc != 0 or "Inode:" not in text:
        return None
    rc, text = run([DEBUGFS, "-R", "dump %s %s" % (path, out), fs])
    if rc != 0 or not os.path.exists(out):
        return None
    with open(out, "rb") as f:
        return zlib.crc32(f.read()) & 0xffffffff


def judge(img, after_kill):
    start, count = first_partition(img)
    with tempfile.TemporaryDirectory() as tmp:
        # A copy: e2fsck may replay the journal, and the image stays as the
        # guest left it for whoever looks next.
        fs = os.path.join(tmp, "xvda1")
        with open(img, "rb") as src, open(fs, "wb") as dst:
            src.seek(start * SECTOR)
            dst.write(src.read(count * SECTOR))
        if after_kill:
            # -p, as a boot's fsck: the journal replayed, and the free
            # counts the superblock keeps only at a clean unmount made
            # right; anything else needs a human, exit 4.
            rc, text = run([E2FSCK, "-fp", fs])
            if rc not in (0, 1):
                lines = [l for l in text.splitlines() if l.strip()]
                return False, "after the kill e2fsck -fp exited %d: %s" % (
                    rc, lines[-1] if lines else "no output")
        rc, text = run([E2FSCK, "-fn", fs])
        if rc != 0:
            lines = [l for l in text.splitlines() if l.strip()]
            return False, "e2fsck -fn exited %d: %s" % (rc, lines[-1] if lines else "no output")
        name, times = ("/data/durable", 4) if after_kill else ("/data/written", 16)
        want = zlib.crc32(linux_guest.pattern() * times) & 0xffffffff
        got = dump_crc(fs, name, tmp)
        if got is None:
            return False, "clean, but %s is not on it" % name
        if got != want:
            return False, "clean, but %s has crc32=%08x, the guest wrote %08x" % (name, got, want)
        how = "e2fsck -fp, then -fn clean" if after_kill else "clean (e2fsck -fn)"
        return True, "%s; %s crc32=%08x as written" % (how, name, got)


def main(argv):
    after_kill = "--after-kill" in argv
    argv = [a for a in argv if a != "--after-kill"]
    if len(argv) != 3:
        raise SystemExit("usage: root_check.py NAME IMG RESULTS_DIR [--after-kill]")
    name, img, results = argv
    try:
        ok, why = judge(img, after_kill)
    except (OSError, ValueError) as e:
        ok, why = False, str(e)
    what = "ext4 root after the kill" if after_kill else "ext4 root after poweroff"
    print("[%s] %s: %s: %s" % (name, what, "ok" if ok else "FAILED", why))
    durable.write_verdict(result_path(results, name, after_kill), name, "ok" if ok else "fail", why)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
