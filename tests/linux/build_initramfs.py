#!/usr/bin/env python3
"""Build the initramfs of the Linux guest test (make parahost-linux-test).

Debian's busybox (busybox-static) and kernel come from the Xen harness's
cache (tests/xen/build_images.py: fetched once with apt-get download, unpacked
under build/xen/); nothing is downloaded again when they are there. The
initramfs holds busybox, tests/linux/memtest (built static by make), the
modules of Debian's kernel it needs to reach its ext4 root (xen-blkfront,
ext4 and what ext4 needs: modules in Debian's kernel, taken out of the same
cached kernel package), the durability pattern (tests/xen/linux_guest.py's)
and tests/linux/init.sh as /init.

Usage: build_initramfs.py MEMTEST OUT.cpio VMLINUX_PATH_FILE
(the last gets the path of Debian's vmlinux, for the ISO and the Xen run)
"""
import glob
import os
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "xen"))
import build_images as bi  # noqa: E402
import linux_guest  # noqa: E402


# In the order init.sh loads them: what each needs comes first (their
# "depends=": ext4 on jbd2, mbcache and crc16; ext4's and jbd2's checksums
# are crc32c through the crypto API, which would otherwise ask a modprobe
# the initramfs does not have).
MODULES = ("drivers/block/xen-blkfront", "lib/crc16", "fs/mbcache", "fs/jbd2/jbd2",
           "crypto/crc32c_generic", "fs/ext4/ext4")


def kernel_modules(dest_dir):
    """{name: path} of MODULES from the cached kernel package, extracted once
    into dest_dir."""
    with open(os.path.join(bi.KDIR, "version")) as f:
        ver = f.read().strip()
    out = os.path.join(dest_dir, "modules-%s" % ver)
    found = {m: os.path.join(out, os.path.basename(m) + ".ko") for m in MODULES}
    if all(os.path.exists(p) for p in found.values()):
        return found
    debs = glob.glob(os.path.join(bi.DEBS, "linux-image-%s_*.deb" % ver))
    if len(debs) != 1:
        raise SystemExit("build_initramfs: no single linux-image-%s deb in %s" % (ver, bi.DEBS))
    os.makedirs(out, exist_ok=True)
    members = ["./lib/modules/%s/kernel/%s.ko" % (ver, m) for m in MODULES]
    subprocess.run("dpkg-deb --fsys-tarfile '%s' | tar -x -C '%s' --transform='s|.*/||' %s"
                   % (debs[0], out, " ".join("'%s'" % m for m in members)),
                   shell=True, check=True)
    for m, p in found.items():
        with open(p, "rb") as f:
            if f.read(4) != b"\x7fELF":
                raise SystemExit("build_initramfs: %s: not a module" % m)
    return found


def main(argv):
    memtest, out, path_file = argv
    paths = bi.images()
    busybox = os.path.join(bi.ROOT, "bin", "busybox")
    c = bi.Cpio()
    c.copy("bin/busybox", busybox, 0o755)
    c.copy("bin/memtest", memtest, 0o755)
    c.dir("lib")
    c.dir("lib/modules")
    mods = kernel_modules(os.path.dirname(os.path.abspath(out)))
    for m in MODULES:
        c.copy("lib/modules/%s.ko" % os.path.basename(m), mods[m], 0o644)
    c.file("lib/modules/order", "".join(os.path.basename(m) + "\n" for m in MODULES).encode())
    # The durability boot's pattern, the one xen-linux-disk writes on Xen.
    data = linux_guest.pattern()
    c.file("pattern", data)
    c.file("pattern.crc", b"%08x\n" % (zlib.crc32(data) & 0xffffffff))
    for d in ("proc", "sys", "dev", "mnt", "root"):
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
