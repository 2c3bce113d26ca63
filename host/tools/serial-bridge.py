#!/usr/bin/env python3
"""Bochs' COM1 as a pipe: Bochs connects to us (com1 mode=socket-client),
everything it sends goes to our stdout (and to a copy file), everything on
our stdin goes to it, so that a harness can type into the guest's console.

    serial-bridge.py PORTFILE COPYFILE

Listens on 127.0.0.1 (a port of the kernel's choosing, written to
PORTFILE), serves the first connection until it closes, then exits.
Standard library only; nothing listens beyond the loopback interface.
"""
import os
import select
import socket
import sys


def main():
    portfile, copyfile = sys.argv[1], sys.argv[2]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    srv.settimeout(120)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        return 1
    srv.close()
    out = sys.stdout.buffer
    stdin = sys.stdin.buffer.fileno()
    stdin_open = True
    with open(copyfile, "ab") as copy:
        while True:
            fds = [conn] + ([stdin] if stdin_open else [])
            r, _, _ = select.select(fds, [], [])
            if conn in r:
                data = conn.recv(65536)
                if not data:
                    return 0
                out.write(data)
                out.flush()
                copy.write(data)
                copy.flush()
            if stdin_open and stdin in r:
                data = os.read(stdin, 4096)
                if data:
                    conn.sendall(data)
                else:
                    stdin_open = False


if __name__ == "__main__":
    sys.exit(main())
