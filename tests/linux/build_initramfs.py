#!/usr/bin/env python3
"""Build the initramfs of the Linux guest test (make parahost-linux-test).

Debian's busybox (busybox-static) and kernel come from the Xen harness's
cache (tests/xen/build_images.py: fetched once with apt-get download, unpacked
under build/xen/); nothing is downloaded again when they are there. The
initramfs holds busybox, tests/linux/memtest (built static by make) and
tests/linux/init.sh as /init.

Usage: build_initramfs.py MEMTEST OUT.cpio VMLINUX_PATH_FILE
(the last gets the path of Debian's vmlinux, for the ISO and the Xen run)
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "xen"))
import build_images as bi  # noqa: E402


def main(argv):
    memtest, out, path_file = argv
    paths = bi.images()
    busybox = os.path.join(bi.ROOT, "bin", "busybox")
    c = bi.Cpio()
    c.copy("bin/busybox", busybox, 0o755)
    c.copy("bin/memtest", memtest, 0o755)
    for d in ("proc", "sys", "dev", "mnt"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.copy("init", os.path.join(HERE, "init.sh"), 0o755)
    c.entries.pop("", None)         # the root itself is not an entry
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    c.write(out)
    with open(path_file, "w") as f:
        f.write(paths["vmlinux"] + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
