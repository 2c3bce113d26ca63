#!/usr/bin/env python3
"""The initrd of the Linux domU that uses the same disk as ParaOS on Xen:
Debian's kernel (the dom0 vmlinux, a PV kernel) with its xen-blkfront
module, busybox, tests/xen/linux-guest.sh as /init, a pattern for the
durability check and, for make bench, fio with the shared libraries it needs.

    linux_guest.py OUT [--fio]

fio is Debian's package installed on this machine (`apt-get install fio`:
it pulls in ~80 MB of libraries, Ceph's among them, so it is taken with
what `ldd` names rather than fetched and unpacked again); the initrd is
gzipped, which Linux unpacks itself.  Without --fio it is a few MB.
"""

import gzip
import os
import re
import shutil
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import build_images as bi  # noqa: E402

FIO = "/usr/bin/fio"
# 256 KiB at 4 MiB into the disk: past anything a partition table or a
# future filesystem's first block would touch, and not sector 0.
PATTERN_SECTOR = 8192
PATTERN_BYTES = 256 << 10


def pattern():
    """Bytes that are not zeros (what a fresh image holds) and differ from
    sector to sector, so a sector written to the wrong place shows."""
    out = bytearray(PATTERN_BYTES)
    x = 0x2545F491
    for i in range(0, PATTERN_BYTES, 4):
        x = (x * 1103515245 + 12345) & 0xffffffff
        out[i:i + 4] = x.to_bytes(4, "little")
    return bytes(out)


def add_fio(c):
    """fio and every library ldd finds for it, at the same paths."""
    if not os.path.exists(FIO):
        raise bi.BuildError("%s missing: apt-get install fio (make bench needs it)" % FIO)
    r = subprocess.run(["ldd", FIO], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    if r.returncode != 0:
        raise bi.BuildError("ldd %s failed: %s" % (FIO, bi.last_line(r.stdout)))
    c.copy("usr/bin/fio", FIO, 0o755)
    for line in r.stdout.splitlines():
        m = re.search(r"(/\S+)\s+\(0x", line)
        if m:
            real = os.path.realpath(m.group(1))
            c.copy(m.group(1).lstrip("/"), real, 0o755)
    # glibc dlopen()s it (pthread_cancel), as for xl in dom0
    gcc = "/lib/x86_64-linux-gnu/libgcc_s.so.1"
    if os.path.exists(gcc):
        c.copy(gcc.lstrip("/"), os.path.realpath(gcc), 0o755)


def build(out, with_fio=False):
    bi.images()
    c = bi.Cpio()
    c.copy("bin/busybox", os.path.join(bi.ROOT, "bin", "busybox"), 0o755)
    for d in ("proc", "sys", "dev", "tmp", "usr/bin"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.copy("init", os.path.join(HERE, "linux-guest.sh"), 0o755)
    c.copy("lib/modules/xen-blkfront.ko", os.path.join(bi.KDIR, "xen-blkfront.ko"))
    data = pattern()
    c.file("pattern", data)
    c.file("pattern.sector", b"%d\n" % PATTERN_SECTOR)
    c.file("pattern.crc", b"%08x\n" % (zlib.crc32(data) & 0xffffffff))
    if with_fio:
        add_fio(c)
    c.entries.pop("", None)         # the root itself is not an entry
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    raw = out + ".cpio"
    c.write(raw)
    with open(raw, "rb") as fi, gzip.open(out + ".tmp", "wb", compresslevel=6) as fo:
        shutil.copyfileobj(fi, fo)
    os.unlink(raw)
    os.rename(out + ".tmp", out)
    return out


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__)
        return 2
    try:
        print(build(argv[0], "--fio" in argv[1:]))
    except bi.BuildError as e:
        print("[xen] error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
