#!/usr/bin/env python3
"""make test: the unit tests, then the guest suite on every platform.

Each platform is a make target that leaves one line in
build/results/NAME.txt: "NAME PASSED FAILED SKIPPED STATUS REASON...",
STATUS being ok, fail or skip. This script runs them in turn, prints each
platform's line, then the total "N passed, N failed[, N skipped]", and exits
non-zero if anything failed. A skipped platform is said loudly and never
counted as passed.
"""
import os
import re
import subprocess
import sys

PLATFORMS = [
    ("unit", "unit-test"),
    ("xen-domu", "xen-domu-test"),
    ("xen-dom0", "xen-dom0-test"),
    ("parahost-svm", "parahost-svm-test"),
    ("parahost-vmx", "parahost-vmx-test"),
    ("parahost-badinput", "parahost-badinput-test"),
]
RESULTS = "build/results"
LOGS = "build/logs"
TEST_LINE = re.compile(r"\b(not ok|ok) \d+ (\S+/\S+)(.*)$")


def has_target(target):
    # make -n exits 2 when there is no rule to make the target.
    r = subprocess.run(["make", "-n", target], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return r.returncode == 0


def run(name, target):
    path = os.path.join(RESULTS, name + ".txt")
    if os.path.exists(path):
        os.unlink(path)
    if not has_target(target):
        return (0, 0, 0, "skip", "no make target '%s' yet" % target)
    rc = subprocess.run(["make", "--no-print-directory", target]).returncode
    try:
        with open(path) as f:
            fields = f.read().split(None, 5)
        passed, failed, skipped = (int(x) for x in fields[1:4])
        status = fields[4]
        reason = fields[5].strip() if len(fields) > 5 else ""
    except (OSError, ValueError, IndexError):
        return (0, 0, 0, "fail", "no valid %s (make %s exited %d)" % (path, target, rc))
    if rc != 0 and status == "ok":
        status, reason = "fail", "make %s exited %d" % (target, rc)
    return (passed, failed, skipped, status, reason)


def guest_results(name):
    """group/name -> ok|fail|skip, from the platform's serial log."""
    found = {}
    try:
        with open(os.path.join(LOGS, name + ".log"), errors="replace") as f:
            for line in f:
                m = TEST_LINE.search(line)
                if m:
                    verdict = "fail" if m.group(1) == "not ok" else \
                        "skip" if "# SKIP" in m.group(3) else "ok"
                    found[m.group(2)] = verdict
    except OSError:
        pass
    return found


def disagreements(ran):
    """Real Xen is the oracle: every platform must give each test the same
    verdict. Returns one line per test on which the platforms differ."""
    per = {name: guest_results(name) for name in ran}
    per = {k: v for k, v in per.items() if v}
    tests = sorted(set().union(*per.values())) if per else []
    lines = []
    for t in tests:
        verdicts = {name: r.get(t, "missing") for name, r in per.items()}
        if len(set(verdicts.values())) > 1:
            lines.append("[agree] %s: %s" % (t, ", ".join(
                "%s %s" % kv for kv in sorted(verdicts.items()))))
    return lines


def main(argv):
    wanted = argv[1:] or [name for name, _ in PLATFORMS]
    unknown = [w for w in wanted if w not in dict(PLATFORMS)]
    if unknown:
        print("unknown platform(s): %s; known: %s" %
              (" ".join(unknown), " ".join(n for n, _ in PLATFORMS)))
        return 2
    os.makedirs(RESULTS, exist_ok=True)
    results = []
    for name, target in PLATFORMS:
        if name in wanted:
            print("[%s] running (make %s)" % (name, target), flush=True)
            results.append((name,) + run(name, target))

    print("\n== summary ==")
    total_p = total_f = total_s = 0
    bad = False
    for name, p, f, s, status, reason in results:
        total_p, total_f, total_s = total_p + p, total_f + f, total_s + s
        if status == "skip":
            total_s += 1
            print("[%s] SKIP: %s" % (name, reason))
        elif status == "ok" and f == 0:
            print("[%s] %d passed, %d failed%s" % (name, p, f, ", %d skipped" % s if s else ""))
        else:
            bad = True
            if f == 0:      # the platform broke without a failing test: count it
                total_f += 1
            print("[%s] FAILED: %d passed, %d failed%s" % (name, p, f, " - " + reason if reason else ""))
    guest_platforms = [name for name, p, f, s, status, _ in results
                       if name not in ("unit", "parahost-badinput") and status != "skip"]
    for line in disagreements(guest_platforms):
        print(line)
        bad = True
        total_f += 1
    line = "%d passed, %d failed" % (total_p, total_f)
    if total_s:
        line += ", %d skipped" % total_s
    print(line)
    return 1 if bad or total_f else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
