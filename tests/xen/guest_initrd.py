#!/usr/bin/env python3
"""What a domU run adds to dom0's initramfs: the guest, its xl config (from
boot/paraos.cfg, with the harness's kernel path, command line, memory,
initrd and disk), and the guests dom0 runs after it (/guest/then), in a
small cpio appended to build/xen/dom0.cpio, so a new guest never rebuilds
dom0 (Linux unpacks concatenated cpio archives).
"""

import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_images as bi  # noqa: E402


def guest_cfg(cfg_path, kernel_in_initrd, guest_args="", memory=None, ramdisk_in_initrd=None,
              disk=None):
    """The xl config for dom0: boot/paraos.cfg with the kernel path replaced
    by the guest's path inside the initramfs, the guest's command line
    (xl's `extra`) when one is given, its memory (MiB) if asked, its
    own initrd (xl's `ramdisk`) if it has one, and dom0's block device
    `disk` (e.g. /dev/vda) as the guest's xvda, served by blkback."""
    with open(cfg_path) as f:
        text = f.read()
    new, n = re.subn(r'(?m)^\s*kernel\s*=.*$',
                     'kernel = "%s"' % kernel_in_initrd, text)
    if n != 1:
        raise bi.BuildError("%s: expected exactly one kernel = line" % cfg_path)
    if guest_args:
        if '"' in guest_args or "\n" in guest_args:
            raise bi.BuildError("guest command line %r: no quotes or newlines" % guest_args)
        new = re.sub(r'(?m)^\s*extra\s*=.*\n?', '', new)
        new += 'extra = "%s"\n' % guest_args
    if memory:
        new = re.sub(r'(?m)^\s*memory\s*=.*\n?', '', new)
        new += 'memory = %d\n' % memory
    if ramdisk_in_initrd:
        new += 'ramdisk = "%s"\n' % ramdisk_in_initrd
    if disk:
        # Any disk line of the config is for a real host's disk, not ours.
        new = re.sub(r'(?m)^\s*disk\s*=.*\n?', '', new)
        new += "disk = [ 'phy:%s,xvda,w' ]\n" % disk
    return new


def build_guest_initrd(guest, cfg, out=None, guest_args="", memory=None, ramdisk=None,
                       disk=None, then=()):
    """initrd for a domU run: dom0.cpio followed by a small cpio holding the
    guest, its own initrd if any, and its config (concatenation; only the
    small part changes).  then: (name, kernel, initrd, args, MiB) of each
    guest dom0 runs next on the same disk, in order (/guest/then); kernel
    None is the guest's own."""
    if not os.path.isfile(guest):
        raise bi.BuildError("guest kernel %s not found (run make %s)" % (guest, guest))
    out = out or os.path.join(bi.XDIR, "initrd-domu.cpio")
    c = bi.Cpio()
    c.copy("guest/paraos", guest, 0o644)
    if ramdisk:
        c.copy("guest/initrd.cpio", ramdisk, 0o644)
    c.file("guest/paraos.cfg", guest_cfg(cfg, "/guest/paraos", guest_args, memory,
                                         "/guest/initrd.cpio" if ramdisk else None,
                                         disk).encode())
    for name, kernel, initrd, args, mib in then:
        if kernel:
            c.copy("guest/%s.kernel" % name, kernel, 0o644)
        if initrd:
            c.copy("guest/%s.initrd" % name, initrd, 0o644)
        text = guest_cfg(cfg, "/guest/%s.kernel" % name if kernel else "/guest/paraos",
                         args, mib, "/guest/%s.initrd" % name if initrd else None, disk)
        c.file("guest/%s.cfg" % name, re.sub(r'(?m)^\s*name\s*=.*$', 'name = "%s"' % name,
                                             text).encode())
    c.file("guest/then", "".join(t[0] + "\n" for t in then).encode())
    small = os.path.join(bi.XDIR, "guest.cpio")
    c.write(small)
    with open(out + ".tmp", "wb") as fo:
        for p in (bi.DOM0_CPIO, small):
            with open(p, "rb") as fi:
                shutil.copyfileobj(fi, fo)
    os.rename(out + ".tmp", out)
    return out
