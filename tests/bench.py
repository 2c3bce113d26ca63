#!/usr/bin/env python3
"""make bench: boot the guest with "bench" on every available platform and
print its figures, one line each: "[platform] bench NAME METRIC=VALUE".

Figures are printed, never judged: a benchmark cannot fail, but a platform
that does not run is said to be skipped, with the reason.

On xen-domu a Linux domU follows ParaOS in the same run, on the same blkback
and image (tests/xen/linux_guest.py: fio, O_DIRECT), and prints its figures
as "bench blk.NAME linux=VALUE". Each blk figure is printed once with both:
"[xen-domu] bench blk.NAME paraos=X linux=Y ratio=X/Y" (paraos= is the first
metric ParaOS printed for that name).
"""
import os
import re
import subprocess
import sys

# Each at 32 MiB (every figure), then at 1 GiB (the boot figure: it must not
# grow with memory).
PLATFORMS = ["xen-domu", "xen-domu-1g", "xen-dom0", "xen-dom0-1g",
             "parahost-svm", "parahost-svm-1g", "parahost-vmx", "parahost-vmx-1g"]
BENCH_LINE = re.compile(r"\bbench (\S+ \S+=\S+)")
BLK_FIGURE = re.compile(r"^(blk\.\S+) (\S+)=(\S+)$")


def with_linux(figures):
    """ParaOS's blk figures set beside Linux's from the same run, with the
    ratio ParaOS/Linux; every other figure as it was."""
    linux = {}
    for fig in figures:
        m = BLK_FIGURE.match(fig)
        if m and m.group(2) == "linux":
            linux[m.group(1)] = m.group(3)
    if not linux:
        return figures
    out, done = [], set()
    for fig in figures:
        m = BLK_FIGURE.match(fig)
        if not m or m.group(1) not in linux:
            out.append(fig)
            continue
        name = m.group(1)
        if name in done or m.group(2) == "linux":
            continue
        done.add(name)
        try:
            ratio = "%.2f" % (float(m.group(3)) / float(linux[name]))
        except (ValueError, ZeroDivisionError):
            ratio = "?"
        out.append("%s paraos=%s linux=%s ratio=%s" % (name, m.group(3), linux[name], ratio))
    out += ["%s linux=%s paraos=none (ParaOS printed no %s)" % (n, v, n)
            for n, v in linux.items() if n not in done]
    return out


def linux_failures(target):
    """What the Linux domU of the run could not measure (linux-guest.sh)."""
    try:
        with open(os.path.join("build", "logs", target + ".log"), errors="replace") as f:
            return [m.group(0) for m in map(re.compile(r"linux-bench: FAILED.*").search, f) if m]
    except OSError:
        return []


def has_target(target):
    return subprocess.run(["make", "-n", target], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def main(argv):
    wanted = argv[1:] or PLATFORMS
    lines, rc = [], 0
    for name in wanted:
        target = name + "-bench"
        if not has_target(target):
            lines.append("[%s] SKIP: no make target '%s' yet" % (name, target))
            continue
        print("[%s] running (make %s)" % (name, target), flush=True)
        r = subprocess.run(["make", "--no-print-directory", target],
                           stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        figures = []
        try:
            with open(os.path.join("build", "logs", target + ".log"),
                      errors="replace") as f:
                figures = [m.group(1) for m in map(BENCH_LINE.search, f) if m]
        except OSError:
            pass
        if not figures:
            rc = 1
            lines.append("[%s] FAILED: no bench lines (make %s exited %d; "
                         "see build/logs/%s.log)" % (name, target, r.returncode, target))
        lines += ["[%s] bench %s" % (name, fig)
                  for fig in with_linux(list(dict.fromkeys(figures)))]
        lines += ["[%s] %s" % (name, l) for l in linux_failures(target)]
    print("\n".join(lines))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
