#!/usr/bin/env python3
"""Build the initramfs of the Linux guest test (make parahost-linux-test).

Debian's busybox (busybox-static) and kernel come from the Xen harness's
cache (tests/xen/build_images.py: fetched once with apt-get download, unpacked
under build/xen/); nothing is downloaded again when they are there. The
initramfs holds busybox, tests/linux/memtest (built static by make),
Debian's xen-blkfront.ko (a module in Debian's kernel, taken out of the
same cached kernel package) and tests/linux/init.sh as /init.

Usage: build_initramfs.py MEMTEST OUT.cpio VMLINUX_PATH_FILE
(the last gets the path of Debian's vmlinux, for the ISO and the Xen run)
"""
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "xen"))
import build_images as bi  # noqa: E402


def blkfront_ko(dest_dir):
    """xen-blkfront.ko of the cached kernel package, extracted once into dest_dir."""
    with open(os.path.join(bi.KDIR, "version")) as f:
        ver = f.read().strip()
    out = os.path.join(dest_dir, "xen-blkfront-%s.ko" % ver)
    if os.path.exists(out):
        return out
    debs = glob.glob(os.path.join(bi.DEBS, "linux-image-%s_*.deb" % ver))
    if len(debs) != 1:
        raise SystemExit("build_initramfs: no single linux-image-%s deb in %s" % (ver, bi.DEBS))
    member = "./lib/modules/%s/kernel/drivers/block/xen-blkfront.ko" % ver
    data = subprocess.run("dpkg-deb --fsys-tarfile '%s' | tar -xO '%s'" % (debs[0], member),
                          shell=True, check=True, stdout=subprocess.PIPE).stdout
    if not data.startswith(b"\x7fELF"):
        raise SystemExit("build_initramfs: %s: not a module" % member)
    with open(out + ".tmp", "wb") as f:
        f.write(data)
    os.rename(out + ".tmp", out)
    return out


def main(argv):
    memtest, out, path_file = argv
    paths = bi.images()
    busybox = os.path.join(bi.ROOT, "bin", "busybox")
    c = bi.Cpio()
    c.copy("bin/busybox", busybox, 0o755)
    c.copy("bin/memtest", memtest, 0o755)
    c.dir("lib")
    c.dir("lib/modules")
    c.copy("lib/modules/xen-blkfront.ko", blkfront_ko(os.path.dirname(os.path.abspath(out))), 0o644)
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
