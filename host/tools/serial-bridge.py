#!/usr/bin/env python3
"""Bochs' COM1 as a pipe. Bochs opens a terminal (com1 mode=term): we
create a pseudo-terminal, give Bochs its slave side, and copy everything
it sends to our stdout (and to a copy file) and everything on our stdin to
it, so that a harness can type into the guest's console.

    serial-bridge.py TTYFILE COPYFILE

The slave's path goes to TTYFILE. We end when Bochs closes the terminal
(its side hangs up) or when told to (SIGTERM). Standard library only.
"""
import os
import select
import signal
import sys
import termios
import tty


def main():
    ttyfile, copyfile = sys.argv[1], sys.argv[2]
    master, slave = os.openpty()
    # Raw: bytes pass untouched both ways (no echo, no CR/LF games).
    tty.setraw(slave)
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    name = os.ttyname(slave)
    with open(ttyfile + ".tmp", "w") as f:
        f.write(name + "\n")
    os.rename(ttyfile + ".tmp", ttyfile)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    out = sys.stdout.buffer
    stdin = sys.stdin.buffer.fileno()
    stdin_open = True
    # Keep our slave fd until Bochs has it open, so the master never sees a hang-up first.
    with open(copyfile, "ab") as copy:
        while True:
            fds = [master] + ([stdin] if stdin_open else [])
            r, _, _ = select.select(fds, [], [], 1.0)
            if master in r:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    return 0
                if not data:
                    return 0
                out.write(data)
                out.flush()
                copy.write(data)
                copy.flush()
            if stdin_open and stdin in r:
                data = os.read(stdin, 4096)
                if data:
                    os.write(master, data)
                else:
                    stdin_open = False


if __name__ == "__main__":
    sys.exit(main())
