#!/usr/bin/env python3
"""Boot an ISO in Bochs 2.7 without a screen and copy its serial port to
stdout, for tests/runvm.py to judge.

    bochs.py --iso FILE --dir DIR [--megs N] [--cpu MODEL] [--ips N] [--disk IMG]

--disk attaches a raw image as the primary channel's slave hard disk (flat,
read-write): Bochs emulates only the legacy ATA controller.

Debian's Bochs has no headless display and its debugger built in, so:
  * it runs with `display_library: term` on a pseudo-terminal of ours;
  * with the debugger built in, the term display does not draw on that
    terminal but on a second pseudo-terminal it opens itself ("Bochs
    connected to screen "/dev/pts/N"", said on the first one), for a user to
    attach a terminal to.  Nobody does, so once Xen and Linux have written a
    few screens of text to the VGA console, Bochs blocks writing there, for
    good.  We open that /dev/pts/N and drain it, as we drain our own;
  * its debugger prompt gets a one-line script, `c` (continue);
  * COM1 goes to DIR/serial.out, which we follow.
DIR also keeps bochsrc and bochs.log for a post-mortem.  Bochs ignores
SIGTERM: on SIGTERM/SIGHUP/SIGINT we SIGKILL it.  It exits by itself when
the machine powers off (Xen enters ACPI S5; Bochs reports that as the
"panic" `ACPI control: soft power off`, and we exit 0); a halted machine
never ends, so the caller must bound the run (runvm.py does).  Otherwise our
exit status is Bochs's, or 125 if it could not start.  Panics and errors from bochs.log
that say why Bochs stopped are printed last, prefixed "bochs: ".
"""

import argparse
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
import tty

BIOS = "/usr/share/bochs/BIOS-bochs-latest"
VGABIOS = ["/usr/share/vgabios/vgabios.bin", "/usr/share/bochs/VGABIOS-lgpl-latest"]
PLUGIN_GLOBS = ["/usr/lib/x86_64-linux-gnu/bochs/plugins", "/usr/lib/bochs/plugins"]


def missing():
    """Why Bochs cannot run here (a sentence), or None."""
    from shutil import which
    if which("bochs") is None:
        return "bochs is not installed (Debian packages bochs bochsbios vgabios bochs-term)"
    if not os.path.exists(BIOS):
        return "Bochs BIOS %s missing (Debian package bochsbios)" % BIOS
    if not any(os.path.exists(v) for v in VGABIOS):
        return "no VGA BIOS (Debian package vgabios)"
    if not any(os.path.isdir(d) and any(n.startswith("libbx_term_gui")
                                        for n in os.listdir(d)) for d in PLUGIN_GLOBS):
        return "Bochs's term display is not installed (Debian package bochs-term)"
    return None


def bochsrc(a, serial, log):
    vgabios = next(v for v in VGABIOS if os.path.exists(v))
    # vga extension=none: with the VBE extension GRUB picks a 32 bpp mode
    # that the term display cannot show, and Bochs panics.
    return "\n".join([
        "megs: %d" % a.megs,
        "cpu: model=%s, count=1, ips=%d, reset_on_triple_fault=0" % (a.cpu, a.ips),
        "romimage: file=%s" % BIOS,
        "vgaromimage: file=%s" % vgabios,
        "vga: extension=none",
        "ata0-master: type=cdrom, path=%s, status=inserted" % os.path.abspath(a.iso),
        "boot: cdrom",
    ] + (["ata0-slave: type=disk, path=%s, mode=flat" % os.path.abspath(a.disk)]
         if a.disk else []) + [
        "com1: enabled=1, mode=file, dev=%s" % serial,
        "display_library: term",
        "clock: sync=none, time0=utc",
        "log: %s" % log,
        "panic: action=fatal",
        "error: action=report",
        "info: action=ignore",
        "debug: action=ignore",
        ""])


def last_words(log):
    """The lines of bochs.log that say why Bochs stopped."""
    try:
        with open(log, errors="replace") as f:
            lines = [l.rstrip() for l in f if "p[" in l[:24] or "PANIC" in l
                     or "fatal" in l.lower()]
    except OSError:
        return []
    return lines[-5:]


def attach(path):
    """Open the terminal Bochs draws its screen on, raw: no line buffering
    to fill up, no echo of the screen back to Bochs as keystrokes."""
    fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd)
    return fd


def copy(src, dst):
    data = src.read()
    if data:
        dst.write(data)
        dst.flush()


def screen_tail(raw):
    """The last lines Bochs wrote on its terminal, escape sequences removed
    (how it says that it cannot start, e.g. a bad bochsrc)."""
    text = re.sub(r"\x1b(\[[0-9;?]*[A-Za-z]|[()][0-9A-Za-z]|[=>])", "\n",
                  raw.decode("utf-8", "replace"))
    lines = [l.strip() for l in text.replace("\r", "\n").split("\n")]
    return [l for l in lines if l][-8:]


def main(argv):
    p = argparse.ArgumentParser(prog="bochs.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iso", required=True)
    p.add_argument("--dir", required=True, help="where bochsrc, serial.out and bochs.log go")
    p.add_argument("--megs", type=int, default=512)
    p.add_argument("--cpu", default="corei7_skylake_x")
    p.add_argument("--ips", type=int, default=200000000)
    p.add_argument("--disk", default=None, help="a raw disk image for ata0-slave")
    a = p.parse_args(argv)

    why = missing()
    if why:
        print("bochs: cannot run: " + why, flush=True)
        return 125
    a.dir = os.path.abspath(a.dir)
    os.makedirs(a.dir, exist_ok=True)
    rc_path = os.path.join(a.dir, "bochsrc")
    serial = os.path.join(a.dir, "serial.out")
    log = os.path.join(a.dir, "bochs.log")
    dbg = os.path.join(a.dir, "dbg.rc")
    with open(rc_path, "w") as f:
        f.write(bochsrc(a, serial, log))
    with open(dbg, "w") as f:
        f.write("c\n")
    open(serial, "wb").close()

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 25, 80, 0, 0))
    env = dict(os.environ, TERM="xterm")
    try:
        proc = subprocess.Popen(["bochs", "-q", "-f", rc_path, "-rc", dbg],
                                stdin=slave, stdout=slave, stderr=slave,
                                cwd=a.dir, env=env)
    except OSError as e:
        print("bochs: cannot start: %s" % e, flush=True)
        return 125
    os.close(slave)

    class Stop(Exception):
        pass

    def stop(*_):
        # No Popen.wait() in here: the loop may be inside proc.poll().
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        raise Stop
    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, stop)

    out = sys.stdout.buffer
    screen = b""            # the tail of what Bochs said on our terminal
    ttys = [master]         # what we drain (and finally close)
    live = [master]         # of those, not at EOF yet
    try:
        with open(serial, "rb") as ser:
            while proc.poll() is None:
                r, _, _ = select.select(live, [], [], 0.1)
                for fd in r:
                    try:                    # the screens: drained, dropped
                        data = os.read(fd, 65536)
                    except BlockingIOError:
                        continue
                    except OSError:         # EIO once Bochs closed its end
                        data = b""
                    if not data:
                        live.remove(fd)
                    elif fd == master and len(ttys) == 1:
                        screen = (screen + data)[-4096:]
                        m = re.search(rb'Bochs connected to screen "(/dev/[^"]+)"',
                                      screen)
                        if m:
                            ttys.append(attach(m.group(1)))
                            live.append(ttys[-1])
                if not live:
                    time.sleep(0.1)
                copy(ser, out)
            copy(ser, out)
    except Stop:
        proc.wait()
        return 128 + signal.SIGTERM
    finally:
        for fd in ttys:
            os.close(fd)
    words = last_words(log)
    if words and "soft power off" in words[-1]:
        return 0            # the machine powered off: Bochs calls it a panic
    if proc.returncode and not words:
        words = screen_tail(screen)
    for l in words:
        print("bochs: " + l, flush=True)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
