#!/usr/bin/env python3
"""Build and cache the pieces of the real-Xen test platform.

Everything comes from Debian packages fetched with `apt-get download` and
unpacked with `dpkg -x` under build/xen/ (nothing is installed on the
machine):

  build/xen/debs/       the .deb files and manifest.json (what was fetched)
  build/xen/root/       every package but the kernel, unpacked
  build/xen/kernel/     vmlinux (uncompressed ELF) + the dom0 modules we load
  build/xen/xen.elf     Xen 4.17, gunzipped (QEMU -kernel loads it as multiboot)
  build/xen/dom0.cpio   the dom0 initramfs (busybox, xl, xenstored, ...)
  build/xen/guest.cpio  a tiny cpio with the guest kernel and its xl config
                        (guest_initrd.py); appended to dom0.cpio (Linux
                        accepts concatenated cpio archives), so a new guest
                        never rebuilds dom0.

Each step is skipped when its inputs are unchanged (a key file next to the
output records them).  Only the standard library is used.

Usage:  build_images.py images            # build/refresh the cached pieces
        build_images.py guest GUEST CFG   # build build/xen/initrd-domu.cpio
Set XEN_REFRESH=1 to ask apt again for the newest package versions.
"""

import contextlib
import fcntl
import gzip
import hashlib
import json
import lzma
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("BUILD", "build")
XDIR = os.path.join(BUILD, "xen")
DEBS = os.path.join(XDIR, "debs")
ROOT = os.path.join(XDIR, "root")
KDIR = os.path.join(XDIR, "kernel")
XEN_ELF = os.path.join(XDIR, "xen.elf")
DOM0_CPIO = os.path.join(XDIR, "dom0.cpio")

XEN_VER = "4.17"
# Packages unpacked into build/xen/root.  The C library and friends are taken
# from packages too, so dom0 does not depend on what the build host has.
PACKAGES = [
    "xen-hypervisor-4.17-amd64", "xen-utils-4.17", "xen-utils-common",
    "xenstore-utils", "libxenmisc4.17", "libxenstore4", "libxencall1",
    "libxenevtchn1", "libxenforeignmemory1", "libxengnttab1",
    "libxentoollog1", "libxentoolcore1", "libxendevicemodel1",
    "libxenhypfs1", "libyajl2", "busybox-static",
    "libc6", "libgcc-s1", "libtinfo6", "bash", "util-linux", "zlib1g",
    "liblzma5", "libzstd1", "libuuid1",
]
# linux-image-amd64 is a metapackage; we resolve it to linux-image-6.1.*.
KERNEL_META = "linux-image-amd64"

# Modules in the order they are insmod'ed (xenfs needs xen-privcmd, bridge
# needs llc and stp).  blkback/netback/bridge are there for PV disks/vifs.
MODULES = [
    "drivers/xen/xen-evtchn", "drivers/xen/xen-gntdev",
    "drivers/xen/xen-gntalloc", "drivers/xen/xen-privcmd",
    "drivers/xen/xenfs/xenfs", "drivers/block/loop",
    "drivers/block/xen-blkback/xen-blkback",
    "drivers/net/xen-netback/xen-netback", "net/llc/llc", "net/802/stp",
    "net/bridge/bridge",
    # The disk QEMU or Bochs gives dom0, which blkback serves to the domU
    # (docs/xen-harness.md): virtio-blk under QEMU (fewer emulated exits
    # than IDE under TCG), the PIIX IDE controller under Bochs (its only
    # disk controller), both modules in Debian's kernel.
    "drivers/virtio/virtio_ring", "drivers/virtio/virtio",
    "drivers/virtio/virtio_pci_legacy_dev", "drivers/virtio/virtio_pci_modern_dev",
    "drivers/virtio/virtio_pci", "drivers/block/virtio_blk",
    "drivers/scsi/scsi_common", "drivers/scsi/scsi_mod", "drivers/ata/libata",
    "drivers/ata/ata_piix", "crypto/crct10dif_common", "lib/crc-t10dif",
    "lib/crc64", "lib/crc64-rocksoft", "block/t10-pi", "drivers/scsi/sd_mod",
]
# Extracted next to the dom0 modules but not loaded in dom0: Linux as a
# domU (tests/xen/linux_guest.py) needs its block frontend.
DOMU_MODULES = ["drivers/block/xen-blkfront"]

XEN_BIN = "usr/lib/xen-%s/bin" % XEN_VER
DOM0_BINARIES = [
    XEN_BIN + "/xl", XEN_BIN + "/xenstored", XEN_BIN + "/xenconsoled",
    XEN_BIN + "/xen-init-dom0", XEN_BIN + "/libxl-save-helper",
    XEN_BIN + "/xenconsole",
    "usr/bin/xenstore", "bin/bash", "usr/bin/flock",
]
XENSTORE_TOOLS = ["xenstore-read", "xenstore-write", "xenstore-ls",
                  "xenstore-list", "xenstore-rm", "xenstore-exists",
                  "xenstore-chmod", "xenstore-watch"]
# glibc dlopen()s libgcc_s (pthread_cancel/exit); xl aborts without it.
EXTRA_LIBS = ["libgcc_s.so.1"]
LIB_DIRS = ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu",
            "lib64", "usr/lib64"]


class BuildError(Exception):
    pass


def progress(msg):
    print("[xen] " + msg, flush=True)


def sha(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\0")
    return h.hexdigest()


def file_sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_key(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def write_key(path, key):
    with open(path, "w") as f:
        f.write(key + "\n")


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, **kw)


# --------------------------------------------------------------- fetching

_updated = [False]


def apt_update():
    if _updated[0]:
        return
    _updated[0] = True
    progress("running apt-get update (package lists missing or stale)...")
    r = run(["apt-get", "update", "-qq"])
    if r.returncode != 0:
        raise BuildError("apt-get update failed: " + last_line(r.stdout))


def last_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1] if lines else "(no output)"


def resolve_kernel():
    for attempt in range(2):
        r = run(["apt-cache", "depends", KERNEL_META])
        m = re.search(r"Depends:\s*(linux-image-6\.1\.\S+-amd64)\b", r.stdout)
        if r.returncode == 0 and m:
            return m.group(1)
        if attempt == 0:
            apt_update()
    raise BuildError("cannot resolve %s to a kernel package with apt-cache: %s"
                     % (KERNEL_META, last_line(r.stdout)))


def fetch():
    """Make sure build/xen/debs holds every package; return the manifest."""
    os.makedirs(DEBS, exist_ok=True)
    mpath = os.path.join(DEBS, "manifest.json")
    want = sha(*PACKAGES)
    try:
        with open(mpath) as f:
            man = json.load(f)
    except (OSError, ValueError):
        man = None
    if (man and man.get("packages") == want and not os.environ.get("XEN_REFRESH")
            and all(os.path.exists(os.path.join(DEBS, d)) for d in man["debs"])):
        return man
    if shutil.which("apt-get") is None:
        raise BuildError("apt-get not found and no cached packages in " + DEBS)
    progress("fetching Debian packages (Xen %s, Linux 6.1, busybox, libs)..."
             % XEN_VER)
    kernel_pkg = resolve_kernel()
    names = PACKAGES + [kernel_pkg]
    tmp = tempfile.mkdtemp(prefix="dl.", dir=DEBS)
    try:
        for attempt in range(2):
            r = run(["apt-get", "download", "-q", "-o",
                     "APT::Sandbox::User=root"] + names, cwd=tmp)
            if r.returncode == 0:
                break
            if attempt == 0:
                apt_update()
        else:
            raise BuildError("apt-get download failed: " + last_line(r.stdout))
        debs = sorted(f for f in os.listdir(tmp) if f.endswith(".deb"))
        for d in os.listdir(DEBS):
            if d.endswith(".deb"):
                os.unlink(os.path.join(DEBS, d))
        for d in debs:
            os.rename(os.path.join(tmp, d), os.path.join(DEBS, d))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    kdebs = [d for d in debs if d.startswith(kernel_pkg + "_")]
    if len(kdebs) != 1 or len(debs) != len(names):
        raise BuildError("apt-get download gave %d packages for %d names"
                         % (len(debs), len(names)))
    man = {"packages": want, "debs": debs, "kernel_deb": kdebs[0]}
    with open(mpath, "w") as f:
        json.dump(man, f, indent=1)
    return man


# --------------------------------------------------------------- unpacking

def dpkg_x(deb, dest):
    r = run(["dpkg", "-x", deb, dest])
    if r.returncode != 0:
        raise BuildError("dpkg -x %s failed: %s" % (deb, last_line(r.stdout)))


def unpack(man):
    key = sha("root-v1", *man["debs"])
    stamp = os.path.join(ROOT, ".stamp")
    if read_key(stamp) != key:
        progress("unpacking packages with dpkg -x...")
        shutil.rmtree(ROOT, ignore_errors=True)
        os.makedirs(ROOT)
        for d in man["debs"]:
            if d != man["kernel_deb"]:
                dpkg_x(os.path.join(DEBS, d), ROOT)
        write_key(stamp, key)
    else:
        key = read_key(stamp)

    xkey = sha("xen-v1", key)
    if read_key(XEN_ELF + ".key") != xkey or not os.path.exists(XEN_ELF):
        src = os.path.join(ROOT, "boot", "xen-%s-amd64.gz" % XEN_VER)
        with gzip.open(src) as fi, open(XEN_ELF + ".tmp", "wb") as fo:
            shutil.copyfileobj(fi, fo)
        os.rename(XEN_ELF + ".tmp", XEN_ELF)
        write_key(XEN_ELF + ".key", xkey)

    kkey = sha("kernel-v1", man["kernel_deb"], *(MODULES + DOMU_MODULES))
    kstamp = os.path.join(KDIR, ".stamp")
    if read_key(kstamp) != kkey:
        progress("extracting Linux vmlinux and dom0 modules...")
        shutil.rmtree(KDIR, ignore_errors=True)
        os.makedirs(KDIR)
        tmp = tempfile.mkdtemp(prefix="kx.", dir=XDIR)
        try:
            dpkg_x(os.path.join(DEBS, man["kernel_deb"]), tmp)
            boot = os.path.join(tmp, "boot")
            vmlinuz = [f for f in os.listdir(boot) if f.startswith("vmlinuz-")]
            if len(vmlinuz) != 1:
                raise BuildError("no single vmlinuz in " + man["kernel_deb"])
            with open(os.path.join(boot, vmlinuz[0]), "rb") as f:
                data = f.read()
            with open(os.path.join(KDIR, "vmlinux"), "wb") as f:
                f.write(extract_vmlinux(data))
            mods = os.path.join(tmp, "lib", "modules")
            kver = os.listdir(mods)[0]
            for m in MODULES + DOMU_MODULES:
                src = os.path.join(mods, kver, "kernel", m + ".ko")
                if not os.path.exists(src):
                    raise BuildError("module %s.ko missing in %s"
                                     % (m, man["kernel_deb"]))
                shutil.copy(src, os.path.join(KDIR, os.path.basename(m) + ".ko"))
            with open(os.path.join(KDIR, "version"), "w") as f:
                f.write(kver + "\n")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        write_key(kstamp, kkey)
    return key, kkey


def extract_vmlinux(bz):
    """Debian's bzImage holds an xz-compressed ELF vmlinux; unpack it (Xen
    decompressing it itself costs ~3 s under TCG)."""
    pos = 0
    while True:
        pos = bz.find(b"\xfd7zXZ\x00", pos)
        if pos < 0:
            raise BuildError("no xz-compressed vmlinux found in the bzImage")
        try:
            d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
            out = d.decompress(bz[pos:])
            if out[:4] == b"\x7fELF":
                return out
        except lzma.LZMAError:
            pass
        pos += 1


# --------------------------------------------------------------- ELF deps

def elf_needed(path):
    """DT_NEEDED names of a 64-bit little-endian ELF (empty if static)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return []
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3a)
    secs = []
    for i in range(shnum):
        secs.append(struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize))
    out = []
    for s in secs:
        if s[1] != 6:           # SHT_DYNAMIC
            continue
        strtab = secs[s[6]]     # sh_link
        stroff = strtab[4]
        for off in range(s[4], s[4] + s[5], 16):
            tag, val = struct.unpack_from("<qQ", data, off)
            if tag == 0:
                break
            if tag == 1:        # DT_NEEDED
                end = data.index(b"\0", stroff + val)
                out.append(data[stroff + val:end].decode())
    return out


def in_root(rel):
    """Resolve symlinks of ROOT/rel inside ROOT (absolute link targets
    point into the unpacked tree, never to the build host)."""
    parts = rel.strip("/").split("/")
    cur = []
    for _ in range(40):
        if not parts:
            return os.path.join(ROOT, *cur)
        cur.append(parts.pop(0))
        p = os.path.join(ROOT, *cur)
        if os.path.islink(p):
            t = os.readlink(p)
            cur.pop()
            if t.startswith("/"):
                cur = []
            parts = t.strip("/").split("/") + parts
        while ".." in cur:
            i = cur.index("..")
            del cur[max(i - 1, 0):i + 1]
        cur = [x for x in cur if x != "."]
    raise BuildError("symlink loop at " + rel)


def find_lib(name):
    for d in LIB_DIRS:
        p = in_root(d + "/" + name)
        if os.path.isfile(p):
            return p
    raise BuildError("shared library %s not found in the unpacked packages" % name)


# --------------------------------------------------------------- cpio

class Cpio:
    """Minimal writer for the 'newc' cpio format the Linux kernel unpacks."""

    def __init__(self):
        self.entries = {}   # path -> (mode, data, rdev)

    def dir(self, path, mode=0o755):
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            p = "/".join(parts[:i])
            if p not in self.entries:
                self.entries[p] = (stat.S_IFDIR | mode, b"", (0, 0))

    def file(self, path, data, mode=0o644):
        path = path.strip("/")
        self.dir(os.path.dirname(path))
        self.entries[path] = (stat.S_IFREG | mode, data, (0, 0))

    def copy(self, path, src, mode=None):
        with open(src, "rb") as f:
            data = f.read()
        if mode is None:
            mode = stat.S_IMODE(os.stat(src).st_mode)
        self.file(path, data, mode)

    def symlink(self, path, target):
        path = path.strip("/")
        self.dir(os.path.dirname(path))
        self.entries[path] = (stat.S_IFLNK | 0o777, target.encode(), (0, 0))

    def chardev(self, path, major, minor, mode=0o600):
        path = path.strip("/")
        self.dir(os.path.dirname(path))
        self.entries[path] = (stat.S_IFCHR | mode, b"", (major, minor))

    def write(self, out):
        blobs = []
        ino = 1000
        for path in sorted(self.entries, key=lambda p: (p.count("/"), p)):
            mode, data, (maj, mino) = self.entries[path]
            ino += 1
            blobs.append(self._entry(path, mode, data, ino, maj, mino))
        blobs.append(self._entry("TRAILER!!!", 0, b"", 0, 0, 0))
        tmp = out + ".tmp"
        with open(tmp, "wb") as f:
            for b in blobs:
                f.write(b)
        os.rename(tmp, out)

    @staticmethod
    def _entry(name, mode, data, ino, rmaj, rmin):
        nm = name.encode() + b"\0"
        nlink = 2 if stat.S_ISDIR(mode) else 1
        hdr = "070701" + "".join("%08X" % v for v in (
            ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rmaj, rmin, len(nm), 0))
        b = hdr.encode() + nm
        b += b"\0" * (-len(b) % 4)
        b += data
        b += b"\0" * (-len(b) % 4)
        return b


# --------------------------------------------------------------- dom0 cpio

def build_dom0(rkey, kkey):
    init_sh = os.path.join(HERE, "dom0-init.sh")
    key = sha("dom0-v1", rkey, kkey, file_sha(init_sh), file_sha(__file__))
    if read_key(DOM0_CPIO + ".key") == key and os.path.exists(DOM0_CPIO):
        return
    progress("building the dom0 initramfs...")
    c = Cpio()
    for d in ("proc", "sys", "dev", "tmp", "run", "root", "mnt", "var/log/xen",
              "var/lib/xen", "var/lib/xenstored", "etc", "guest"):
        c.dir(d)
    c.dir("tmp", 0o1777)
    c.symlink("var/run", "../run")
    c.symlink("var/lock", "../run/lock")
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3, 0o666)
    c.copy("init", init_sh, 0o755)
    c.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    c.file("etc/group", b"root:x:0:\n")

    # busybox applets, but never over a real program we ship
    bb = os.path.join(ROOT, "bin", "busybox")
    c.copy("bin/busybox", bb, 0o755)
    r = run([bb, "--list-full"])
    if r.returncode != 0:
        raise BuildError("busybox --list-full failed: " + last_line(r.stdout))
    applets = r.stdout.split()

    todo = []
    for b in DOM0_BINARIES:
        src = os.path.join(ROOT, b)
        if not os.path.exists(src):
            raise BuildError("%s missing from the unpacked packages" % b)
        c.copy(b, src, 0o755)
        todo.extend(elf_needed(src))
    # xl etc. by their usual names, without Debian's version wrapper
    for n in ("xl", "xenstored", "xenconsoled"):
        c.symlink("usr/sbin/" + n, "/%s/%s" % (XEN_BIN, n))
    for n in XENSTORE_TOOLS:
        c.symlink("usr/bin/" + n, "xenstore")
    # the shared libraries they need, transitively
    todo.extend(EXTRA_LIBS)
    done = set()
    while todo:
        n = todo.pop()
        if n in done or n.startswith("ld-linux"):
            continue
        done.add(n)
        src = find_lib(n)
        c.copy("lib/x86_64-linux-gnu/" + n, src, 0o755)
        todo.extend(elf_needed(src))
    c.copy("lib64/ld-linux-x86-64.so.2",
           find_lib("ld-linux-x86-64.so.2"), 0o755)
    for a in applets:
        if a.strip("/") not in c.entries:
            c.symlink(a, "/bin/busybox")

    # Xen's hotplug scripts and configuration
    for sub in ("etc/xen/scripts",):
        base = os.path.join(ROOT, sub)
        for n in sorted(os.listdir(base)):
            p = os.path.join(base, n)
            if os.path.isfile(p):
                c.copy(sub + "/" + n, p)
    c.copy("etc/xen/xl.conf", os.path.join(ROOT, "etc/xen/xl.conf"))
    c.file("etc/default/xen", b"")
    # kernel modules, flat, with their load order
    for m in MODULES:
        n = os.path.basename(m) + ".ko"
        c.copy("lib/modules/" + n, os.path.join(KDIR, n), 0o644)
    c.file("lib/modules/order",
           "".join(os.path.basename(m) + "\n" for m in MODULES).encode())
    c.write(DOM0_CPIO)
    write_key(DOM0_CPIO + ".key", key)


@contextlib.contextmanager
def locked():
    """Serialise builders (e.g. two test targets under make -j)."""
    os.makedirs(XDIR, exist_ok=True)
    with open(os.path.join(XDIR, ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def images():
    """Fetch, unpack and build everything dom0 needs.  Returns the paths."""
    with locked():
        man = fetch()
        rkey, kkey = unpack(man)
        build_dom0(rkey, kkey)
    return {"xen": XEN_ELF, "vmlinux": os.path.join(KDIR, "vmlinux"),
            "dom0_cpio": DOM0_CPIO}


def main(argv):
    try:
        if argv[:1] == ["images"]:
            for k, v in images().items():
                print("%s=%s" % (k, v))
        elif argv[:1] == ["guest"] and len(argv) == 3:
            import guest_initrd
            print(guest_initrd.build_guest_initrd(argv[1], argv[2]))
        else:
            print(__doc__)
            return 2
    except BuildError as e:
        print("[xen] error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
