#!/usr/bin/env python3
"""The real-Xen test platforms: Xen 4.17 (Debian) booted in QEMU or Bochs.

    xen.py images                         fetch/unpack/build the cached pieces
    xen.py test domu  [--guest F] [--timeout S] [--disk | --durable]
                      [--then-linux INITRD]
        Xen + a Debian Linux dom0 whose init runs the guest with
        `xl create -p boot/paraos.cfg; xl unpause`, streams its console and
        reports how the domain ended.  Judged by tests/runvm.py.
        --disk gives dom0 a fresh 64 MiB image build/disk/NAME.img (QEMU
        virtio-blk, Bochs IDE) that blkback serves to the guest as xvda
        (and `blk_scratch` to ParaOS: the disk is the run's to overwrite);
        --durable also has dom0 boot ParaOS again after the suite with
        `durable` (a second domU, paraos-durable; a guest with --ramdisk
        gets `durable` in its one boot) and runvm.py check its blk-durable
        line against the image; --then-linux then boots Debian's Linux
        with that initrd on the same disk (make bench: fio).
    xen.py test bochs [--guest F] [--timeout S] [--disk] [--ramdisk F] [--memory MIB]
        The same Xen, dom0 and dom0 init, booted by GRUB in Bochs 2.7 (an
        Intel CPU, corei7_skylake_x, the model parahost-vmx runs on): the
        oracle where QEMU 7.2's TCG makes Xen misbehave.
    xen.py test dom0  [--guest F] [--timeout S]
        The guest itself booted by Xen as dom0 (its console_io output goes to
        Xen's serial; when it shuts down, Xen halts: we end by pattern).
    xen.py run domu|bochs|dom0 [--guest F]  the same, echoing the whole serial
    xen.py shell [--guest F]              dom0 with a shell on this terminal
                                          (the guest's config is in /guest)
    xen.py qemu-cmd domu|bochs|dom0       print the emulator's command line

The platform's name is xen-MODE (--name overrides it).  Before a run its old
build/logs/NAME.log and build/results/NAME.txt are removed, so a run that
stops early can never leave an older run's verdicts to be judged.

A platform that cannot run on this machine (no QEMU, no Bochs) prints
`[NAME] SKIP: reason`, writes STATUS skip to build/results/NAME.txt and exits
0; a broken input (missing guest, packages unavailable) prints one
`[NAME] FAILED: reason` line and exits 1.

Environment: XEN_ACCEL=auto|kvm|tcg (default auto: KVM only if a quick,
cached probe shows Xen boots under it, else TCG), BUILD (default build).
"""

import argparse
import gzip
import json
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import build_images as bi  # noqa: E402
import guest_initrd as gi  # noqa: E402
import bochs  # noqa: E402

BUILD = bi.BUILD
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
RUNVM = os.path.join(REPO, "tests", "runvm.py")
sys.path.insert(0, os.path.dirname(HERE))
import runvm  # noqa: E402  (fresh_disk: one place makes a run's disk image)
BOCHS_PY = os.path.join(HERE, "bochs.py")
CFG = os.path.join(REPO, "boot", "paraos.cfg")

XEN_COMMON = ("console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all "
              "dom0_max_vcpus=1 noreboot")
# smap=0: under QEMU TCG, dom0 dies at once in Xen's create_bounce_frame
# with SMAP on.
TCG_ONLY = "smap=0"
# Bochs: scrubbing 512 MB of RAM at emulated speed costs minutes; Xen's
# default VGA handling wants a graphics mode the term display cannot show.
# 256 MB for dom0: Linux 6.1's image alone needs ~74 MB of it, and 128 MB is
# refused ("Domain 0 allocation is too small for kernel image").
BOCHS_XEN = "bootscrub=false vga=text-80x25"
BOCHS_DOM0 = 256
BOCHS_MEGS = 512
# A guest with its own initrd (Linux, ~70 MB with it) sits in dom0's rootfs
# and is read again by xl: dom0 gets QEMU's 384 MB then, and Bochs RAM for
# it, the guest's memory and Xen, as qemu_cmd() reckons it.
BOCHS_DOM0_RAMDISK = 384
# Wall seconds a Bochs run needs before dom0 unpauses the guest (BIOS, GRUB
# loading ~90 MB, Xen, Linux): measured ~130 s here, allowed for twice.
BOCHS_BOOT = 260

# How a run ends (regexes on raw serial lines).
END_PATTERNS = [
    r"xen-harness: done",                         # our dom0 init finished
    r"Hardware Dom0 (shutdown|halted|rebooted)",  # dom0 ended (Xen halts)
    r"'noreboot' set - not rebooting",
]
CRASH_PATTERNS = [
    r"\bd\d+v\d+ Unhandled",                      # Xen: PV guest fault
    r"domain_crash(_sync)? called from",
    r"Hardware Dom0 crashed",
    r"Panic on CPU \d+",                          # Xen itself
    r"Kernel panic - not syncing",                # dom0 Linux
    r"xen-harness: domain \S+ ended: (crash|watchdog)",
]
TYPE_ON = r'console: please type "([^"]*)" and Enter'

# The domU's disk: an image on this machine, a disk of dom0's (QEMU:
# virtio-blk, Bochs: IDE, its only controller), blkback serving it as xvda.
DISK_DEV = {"domu": "/dev/vda", "bochs": "/dev/sda"}
# The Linux domU of make bench: fio and its ~80 MB of libraries live in its
# initramfs, in memory.
LINUX_MIB = 512
ECHO_PATTERNS = [
    r"xen-harness: (domain \S+ ended|.*failed|xl create|no guest|.*does not|typed|cannot type"
    r"|disk |vbd backend|domain \S+ destroyed)",
]


def disk_image(name):
    """The platform's disk image (fresh for every run: runvm.py --disk)."""
    return os.path.join(BUILD, "disk", name + ".img")


def results_path(name):
    return os.path.join(BUILD, "results", name + ".txt")


def log_path(name):
    return os.path.join(BUILD, "logs", name + ".log")


def forget(name):
    """Remove a platform's previous log and results before it runs."""
    for p in (results_path(name), log_path(name)):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass


def say_skip(name, reason):
    print("[%s] SKIP: %s" % (name, reason), flush=True)
    os.makedirs(os.path.join(BUILD, "results"), exist_ok=True)
    with open(results_path(name), "w") as f:
        f.write("%s 0 0 0 skip %s\n" % (name, reason))
    return 0


def say_fail(name, reason):
    print("[%s] FAILED: %s" % (name, reason), flush=True)
    os.makedirs(os.path.join(BUILD, "results"), exist_ok=True)
    with open(results_path(name), "w") as f:
        f.write("%s 0 0 0 fail %s\n" % (name, reason))
    return 1


# --------------------------------------------------------------- acceleration

def qemu_version():
    try:
        r = subprocess.run([QEMU, "--version"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True,
                           timeout=20)
        return r.stdout.splitlines()[0] if r.stdout else "?"
    except (OSError, subprocess.SubprocessError):
        return None


def probe_kvm(xen_elf):
    """Boot Xen alone under KVM for a few seconds: does it get as far as
    bringing up its CPUs?  (On a machine that is itself a KVM guest it dies
    at once with a KVM 'emulation failure'.)"""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False, "no usable /dev/kvm"
    cmd = [QEMU, "-accel", "kvm", "-cpu", "host,-arch-capabilities",
           "-m", "512", "-smp", "1", "-kernel", xen_elf,
           "-append", "console=com1 com1=115200,8n1 noreboot",
           "-nic", "none", "-display", "none", "-monitor", "none",
           "-serial", "stdio", "-no-reboot"]
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as e:
        return False, str(e)
    buf = b""
    verdict = (False, "no sign of life in 20 s")
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 20:
            r, _, _ = select.select([p.stdout], [], [], 0.2)
            if not r:
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                verdict = (False, "QEMU exited")
                break
            buf += chunk
            if re.search(rb"emulation failure|KVM internal error|failed to "
                         rb"initialize kvm|Could not access KVM", buf):
                verdict = (False, "KVM cannot run Xen here (emulation failure)")
                break
            if re.search(rb"Brought up \d+ CPUs", buf):
                verdict = (True, "Xen boots under KVM")
                break
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait()
    return verdict


def choose_accel(xen_elf, quiet=False):
    want = os.environ.get("XEN_ACCEL", "auto")
    if want in ("kvm", "tcg"):
        return want
    cache = os.path.join(bi.XDIR, "accel.json")
    key = bi.sha("accel-v1", qemu_version(), bi.read_key(xen_elf + ".key"),
                 os.uname().release)
    try:
        with open(cache) as f:
            c = json.load(f)
        if c.get("key") == key:
            return c["accel"]
    except (OSError, ValueError):
        pass
    if not quiet:
        bi.progress("probing whether Xen runs under KVM here (a few seconds)...")
    ok, why = probe_kvm(xen_elf)
    accel = "kvm" if ok else "tcg"
    if not quiet:
        bi.progress("using %s: %s" % (accel.upper(), why))
    with open(cache, "w") as f:
        json.dump({"key": key, "accel": accel, "why": why}, f)
    return accel


# --------------------------------------------------------------- QEMU

def dom0_cmdline(timeout, dom0_extra=""):
    """Linux's command line as the harness's dom0 (tests/xen/dom0-init.sh
    reads the xenharness.* words)."""
    return ("console=hvc0 earlyprintk=xen rdinit=/init loglevel=4 "
            "xenharness.timeout=%d %s" % (timeout, dom0_extra)).strip()


def qemu_cmd(mode, guest, accel, timeout, dom0_extra="", guest_args="", memory=None,
             ramdisk=None, disk=None, then=()):
    """The QEMU command line for one run; memory: the guest's MiB (None: the
    config's for a domU, 64 as dom0); disk: an image for the domU's xvda;
    then: the guests dom0 runs next on it (next_guests())."""
    xen = bi.XEN_ELF
    if accel == "kvm":
        cpu = ["-accel", "kvm", "-cpu", "host,-arch-capabilities"]
        xen_args = XEN_COMMON
    else:
        cpu = ["-accel", "tcg", "-cpu", "max"]
        xen_args = XEN_COMMON + " " + TCG_ONLY
    for p in (xen, guest) + ((disk,) if disk else ()):
        if "," in p or " " in p:
            raise bi.BuildError("path %r: QEMU's -initrd list cannot hold "
                                "commas or spaces" % p)
    drive = []
    if mode == "domu":
        if disk:
            # cache=writeback: the guest's flush reaches QEMU as a flush
            # (fdatasync), and what QEMU wrote is in the file at once.
            drive = ["-drive", "file=%s,format=raw,if=virtio,cache=writeback" % disk]
            dom0_extra = ("xenharness.disk=%s %s" % (DISK_DEV[mode], dom0_extra)).strip()
        vmlinux = os.path.join(bi.KDIR, "vmlinux")
        initrd = gi.build_guest_initrd(guest, CFG, guest_args=guest_args, memory=memory,
                                       ramdisk=ramdisk,
                                       disk=DISK_DEV[mode] if disk else None, then=then)
        linux = any(t[0] == "linux" for t in then)
        # dom0's rootfs holds the guests: a Linux domU's kernel and initrd
        # (~100 MB) and the initrd being unpacked do not fit in 384 MB
        # ("Initramfs unpacking failed: write error").
        dom0 = 384 + (384 if linux else 0)
        mem = str(max(768, dom0 + (memory or 0) + 384) + (LINUX_MIB if linux else 0))
        xen_args += " dom0_mem=%dM,max:%dM" % (dom0, dom0)
        mods = "%s %s,%s" % (vmlinux, dom0_cmdline(timeout, dom0_extra), initrd)
    else:
        mem = str((memory or 64) + 192)
        xen_args += " dom0_mem=%dM,max:%dM" % (memory or 64, memory or 64)
        if "," in guest_args:
            raise bi.BuildError("guest command line %r: QEMU's -initrd list "
                                "cannot hold commas" % guest_args)
        mods = ("%s %s" % (guest, guest_args)).strip()
    return [QEMU] + cpu + [
        "-m", mem, "-smp", "1", "-kernel", xen, "-append", xen_args,
        "-initrd", mods, "-nic", "none", "-display", "none",
        "-monitor", "none", "-serial", "stdio", "-no-reboot",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=4"] + drive


# --------------------------------------------------------------- Bochs

GRUB_CFG = """\
# Written by tests/xen/xen.py: Xen + the harness's dom0, as on QEMU.
set timeout=0
set default=0
# Text only: Bochs's term display cannot show a graphics mode.
terminal_output console
set gfxpayload=text
menuentry "Xen 4.17 + test dom0" {
	multiboot2 /boot/xen.elf %(xen)s
	module2 /boot/vmlinux %(dom0)s
	module2 /boot/initrd.cpio
	boot
}
"""


def bochs_memory(memory=None, ramdisk=None):
    """(dom0's MiB, Bochs's megs) for a guest of `memory` MiB (None: the
    config's 64) with or without its own initrd."""
    if not memory and not ramdisk:
        return BOCHS_DOM0, BOCHS_MEGS
    dom0 = BOCHS_DOM0_RAMDISK if ramdisk else BOCHS_DOM0
    return dom0, max(BOCHS_MEGS, dom0 + (memory or 64) + 384)


def bochs_iso(name, guest, timeout, dom0_extra="", guest_args="", memory=None, ramdisk=None,
              disk=False, then=()):
    """A GRUB ISO holding xen.elf, vmlinux and the domU initrd (dom0.cpio +
    the guest, its memory and own initrd if any), the same pieces QEMU gets
    through -kernel/-initrd; with disk, the guest's config serves dom0's IDE
    disk as its xvda."""
    if shutil.which("grub-mkrescue") is None or shutil.which("xorriso") is None:
        raise bi.BuildError("grub-mkrescue or xorriso missing (Debian packages "
                            "grub-pc-bin grub-common xorriso mtools)")
    top = os.path.join(bi.XDIR, name + "-iso")
    boot = os.path.join(top, "boot")
    shutil.rmtree(top, ignore_errors=True)
    os.makedirs(os.path.join(boot, "grub"))
    for src, dst in ((bi.XEN_ELF, "xen.elf"),
                     (os.path.join(bi.KDIR, "vmlinux"), "vmlinux")):
        try:
            os.link(src, os.path.join(boot, dst))
        except OSError:
            shutil.copy(src, os.path.join(boot, dst))
    if disk:
        dom0_extra = ("xenharness.disk=%s %s" % (DISK_DEV["bochs"], dom0_extra)).strip()
    gi.build_guest_initrd(guest, CFG, out=os.path.join(boot, "initrd.cpio"),
                          guest_args=guest_args, memory=memory, ramdisk=ramdisk,
                          disk=DISK_DEV["bochs"] if disk else None, then=then)
    dom0 = bochs_memory(memory, ramdisk)[0]
    with open(os.path.join(boot, "grub", "grub.cfg"), "w") as f:
        f.write(GRUB_CFG % {"xen": "%s %s dom0_mem=%dM,max:%dM" % (XEN_COMMON, BOCHS_XEN,
                                                                   dom0, dom0),
                            "dom0": dom0_cmdline(timeout, dom0_extra)})
    iso = os.path.join(bi.XDIR, name + ".iso")
    r = bi.run(["grub-mkrescue", "-o", iso, top])
    if r.returncode != 0:
        raise bi.BuildError("grub-mkrescue failed: " + bi.last_line(r.stdout))
    return iso


def bochs_cmd(name, iso, disk=None, megs=BOCHS_MEGS):
    return [sys.executable, BOCHS_PY, "--iso", iso, "--megs", str(megs),
            "--dir", os.path.join(bi.XDIR, name + "-run")] + \
        (["--disk", disk] if disk else [])


# --------------------------------------------------------------- commands

def prepare(name, mode, guest, quiet=False):
    """Check the machine and inputs, build the images.  Returns
    (exit_code_or_None, accel); accel is None for Bochs."""
    if mode == "bochs":
        why = bochs.missing()
        if why is None and (shutil.which("grub-mkrescue") is None
                            or shutil.which("xorriso") is None):
            why = "grub-mkrescue/xorriso missing (Debian packages grub-pc-bin " \
                  "grub-common xorriso mtools)"
        if why:
            return say_skip(name, why), None
    elif shutil.which(QEMU) is None or qemu_version() is None:
        return say_skip(name, "%s not installed" % QEMU), None
    if not os.path.isfile(guest):
        return say_fail(name, "guest kernel %s not found" % guest), None
    try:
        bi.images()
        if mode == "bochs":
            return None, None
        with bi.locked():
            accel = choose_accel(bi.XEN_ELF, quiet)
    except bi.BuildError as e:
        return say_fail(name, str(e)), None
    return None, accel


def emulator_cmd(name, mode, guest, accel, left, guest_args="", memory=None, ramdisk=None,
                 disk=None, then=()):
    """The command runvm.py runs, for a run that may take `left` seconds.
    dom0 destroys a guest that overstays a little before that deadline, so
    that its console and the xl log still reach us.  Under Bochs dom0 starts
    the guest only after ~130 s, and a busy guest's clock runs about 4 times
    slower than ours (ips 200M, ~40 MIPS emulated)."""
    if mode == "bochs":
        domu_s = max(10, (left - 25 - BOCHS_BOOT) // 4)
        iso = bochs_iso(name, guest, domu_s, guest_args=guest_args, memory=memory,
                        ramdisk=ramdisk, disk=bool(disk), then=then)
        return bochs_cmd(name, iso, disk, bochs_memory(memory, ramdisk)[1])
    return qemu_cmd(mode, guest, accel, max(10, left - 25),
                    guest_args=guest_args, memory=memory, ramdisk=ramdisk, disk=disk,
                    then=then)


def durable_missing(guest, ramdisk=None):
    """Why the guest cannot be judged on its disk (neither its kernel nor
    its initrd holds a blk-durable line at all: ParaOS before issue 10's
    blkfront), or None.  A skip, said."""
    for path in (guest, ramdisk):
        try:
            with open(path or "", "rb") as f:
                data = f.read()
        except OSError:
            continue     # prepare() reports a missing guest
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        if b"blk-durable:" in data:
            return None
    return "%s never prints a blk-durable line (no blkfront yet)" % guest


def next_guests(args, guest_args, durable_boot, then_linux):
    """The domUs dom0 runs after the first, on the same disk: (name, kernel,
    initrd, command line, MiB) each, for build_guest_initrd()."""
    then = []
    if durable_boot:
        # ParaOS's durability check is a boot of its own (kernel/durable.c:
        # `durable` instead of the suite), here in the same dom0.
        then.append(("paraos-durable", None, None, guest_args + " durable", args.memory))
    if then_linux:
        then.append(("linux", os.path.join(bi.KDIR, "vmlinux"), then_linux,
                     "console=hvc0 bench", LINUX_MIB))
    return then


def cmd_test(args, echo_all=False, name=None):
    mode = args.mode
    name = name or args.name or ("xen-" + mode)
    t0 = time.monotonic()
    forget(name)
    rc, accel = prepare(name, mode, args.guest)
    if rc is not None:
        return rc
    left = max(30, int(args.timeout - (time.monotonic() - t0)))
    then_linux = args.then_linux if mode == "domu" else None
    disk = disk_image(name) if (args.disk or args.durable or then_linux) and mode != "dom0" \
        else None
    guest_args = args.guest_args
    if disk and not args.ramdisk:
        # The disk is a fresh image of this run's: ParaOS may overwrite it all.
        guest_args = (guest_args + " blk_scratch").strip()
    unjudged = durable_missing(args.guest, args.ramdisk) if disk and args.durable else None
    judged = bool(disk and args.durable and not unjudged)
    if judged and args.ramdisk:
        # A guest with its own initrd (Linux: xen-linux-disk) writes its
        # pattern at the end of the same boot: the harness's own check.
        guest_args = (guest_args + " durable").strip()
    then = next_guests(args, guest_args, judged and not args.ramdisk, then_linux)
    try:
        cmd = emulator_cmd(name, mode, args.guest, accel, left, guest_args,
                           args.memory, args.ramdisk, disk, then)
    except bi.BuildError as e:
        return say_fail(name, str(e))
    # Another domU follows the summary: only dom0's end ends the run.
    grace = str(left) if then else "10"
    argv = [sys.executable, RUNVM, "--name", name, "--suite", args.suite, "--timeout", str(left),
            "--log", log_path(name), "--grace", grace, "--crash-grace", "12"]
    if disk:
        # runvm.py makes the image fresh just before the emulator starts.
        # dom0 destroys the guest on its blk-durable line and ends the run:
        # no --durable-kill, dom0's log must still arrive.
        argv += ["--disk", disk]
        if args.disk_template:
            argv += ["--disk-template", args.disk_template]
        if unjudged:
            argv += ["--durable-skip", unjudged]
        elif args.durable:
            argv += ["--durable", "--durable-wait", str(left)]
    if echo_all:
        argv += ["--echo-all", "--results-dir", os.path.join(bi.XDIR, "results")]
    for p in END_PATTERNS:
        argv += ["--end-pattern", p]
    for p in CRASH_PATTERNS:
        argv += ["--crash-pattern", p]
    for p in ECHO_PATTERNS:
        argv += ["--echo-pattern", p]
    if mode == "dom0":
        # The console test's prompt: typed on Xen's serial line, which Xen
        # hands to the initial domain (VIRQ_CONSOLE, CONSOLEIO_read). A
        # domU's line is typed by dom0's init into its console's pty.
        argv += ["--type-on", TYPE_ON]
    argv += ["--"] + cmd
    sys.stdout.flush()
    os.execv(sys.executable, argv)


def cmd_shell(args):
    """Interactive: dom0 gives a shell (Ctrl-a x ends QEMU; dom0's `exit`
    powers off).  Bounded by --timeout all the same."""
    rc, accel = prepare("xen-shell", "domu", args.guest)
    if rc is not None:
        return rc
    disk = disk_image("xen-shell")
    runvm.fresh_disk(disk)
    cmd = qemu_cmd("domu", args.guest, accel, args.timeout,
                   "xenharness.mode=shell", guest_args="blk_scratch", disk=disk)
    cmd[cmd.index("stdio")] = "mon:stdio"
    print("[xen] dom0 shell; try: xl create -c /guest/paraos.cfg  "
          "(Ctrl-a x quits QEMU; the guest's xvda is %s)" % disk, flush=True)
    os.execvp("timeout", ["timeout", "--foreground", str(args.timeout)] + cmd)


def main(argv):
    p = argparse.ArgumentParser(prog="xen.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd")
    sub.add_parser("images")
    s = sub.add_parser("shell")
    s.add_argument("--guest", default=os.path.join(BUILD, "paraos"))
    s.add_argument("--timeout", type=int, default=1800)
    for c in ("test", "run", "qemu-cmd"):
        s = sub.add_parser(c)
        s.add_argument("mode", choices=["domu", "bochs", "dom0"])
        s.add_argument("--guest", default=os.path.join(BUILD, "paraos"))
        s.add_argument("--timeout", type=int, default=None,
                       help="seconds for the whole run (default 300, "
                       "600 for run and for Bochs)")
        s.add_argument("--guest-args", default="",
                       help="the guest's command line (xl extra=, or dom0's module line)")
        s.add_argument("--name", default=None,
                       help="platform name for the log and results files")
        s.add_argument("--memory", type=int, default=None,
                       help="the guest's memory in MiB (default: boot/paraos.cfg's; 64 as dom0)")
        s.add_argument("--ramdisk", default=None,
                       help="the domU's own initrd (xl ramdisk=; domu and bochs)")
        s.add_argument("--suite", default="paraos",
                       help="the name before the guest's summary line (runvm.py --suite)")
        s.add_argument("--disk", action="store_true",
                       help="a fresh disk image build/disk/NAME.img as the domU's xvda")
        s.add_argument("--disk-template", default=None, metavar="IMG",
                       help="with --disk: the fresh image is a copy of IMG, not zeros "
                       "(tests/linux/build_disk.py's ext4 root)")
        s.add_argument("--then-linux", default=None, metavar="INITRD",
                       help="then Debian's Linux as a second domU with this initrd, "
                       "on the same disk (make bench; QEMU only)")
        s.add_argument("--durable", action="store_true",
                       help="--disk, `durable` for the guest, and runvm.py's durability check")
    a = p.parse_args(argv)
    if getattr(a, "timeout", 0) is None:
        a.timeout = 600 if a.cmd == "run" or a.mode == "bochs" else 300
    if a.cmd == "images":
        try:
            bi.images()
            choose_accel(bi.XEN_ELF)
        except bi.BuildError as e:
            print("[xen] error: %s" % e, flush=True)
            return 1
        print("[xen] images ready in %s" % bi.XDIR)
        return 0
    if a.cmd == "test":
        return cmd_test(a)
    if a.cmd == "shell":
        return cmd_shell(a)
    if a.cmd == "run":
        return cmd_test(a, echo_all=True, name="xen-run-" + a.mode)
    if a.cmd == "qemu-cmd":
        try:
            accel = None if a.mode == "bochs" else \
                choose_accel(bi.XEN_ELF, quiet=True)
            print(" ".join(shlex.quote(x) for x in emulator_cmd(
                "xen-" + a.mode, a.mode, a.guest, accel, a.timeout)))
        except bi.BuildError as e:
            print("[xen] error: %s" % e)
            return 1
        return 0
    p.print_help()
    return 2


if __name__ == "__main__":
    os.chdir(REPO)
    sys.exit(main(sys.argv[1:]))
