#!/usr/bin/env python3
"""make bench: boot the guest with "bench" on every available platform and
print its figures, one line each: "[platform] bench NAME METRIC=VALUE".

Figures are printed, never judged: a benchmark cannot fail, but a platform
that does not run is said to be skipped, with the reason.
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
        lines += ["[%s] bench %s" % (name, fig) for fig in dict.fromkeys(figures)]
    print("\n".join(lines))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
