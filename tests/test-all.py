#!/usr/bin/env python3
"""make test: the unit tests, then the guest suite on every platform.

Each platform is a make target that leaves one line in
build/results/NAME.txt: "NAME PASSED FAILED SKIPPED STATUS REASON...",
STATUS being ok, fail or skip, and its serial log in build/logs/NAME.log
(both removed before the platform runs). This script runs them in turn,
prints each platform's line, then the total "N passed, N failed[, N
skipped]", and exits non-zero if anything failed. A skipped platform is said
loudly and never counted as passed.

Real Xen is the oracle: every test must get the same verdict on every guest
platform that ran. The Xen platforms (ORACLES) are what the others are
compared against, so one that is skipped fails the run, and in CI
(CI=true) they must be part of it. Two differences are allowed: a test
may skip on a QEMU-based platform for a known QEMU 7.2 TCG bug (QEMU_BUGS,
docs/xen-harness.md) if xen-bochs, real Xen on Bochs, ran it and passed;
and on xen-dom0 a test may skip with "# SKIP initial domain: ..." for what
only a domU has at boot (a xenstore: dom0 starts xenstored itself, later).

A platform with a disk is also judged from outside the VM: did the pattern
the guest flushed survive the VM being killed (tests/durable.py)? Its
verdict, build/results/NAME.durable.txt, counts as one more result, and as
the test harness/blk_durable in the comparison (among platforms with a
disk). A platform in MUST_HAVE_DISK without a verdict fails.

Linux's ext4 root (parahost-linux, parahost-linux-vmx) is judged from outside too
(tests/linux/root_check.py): clean after the poweroff, and after the
durability boot's kill, with what the guest wrote on it. Each verdict,
build/results/NAME.root.txt and NAME.root-durable.txt, counts as one more
result; a platform in MUST_HAVE_ROOT without both fails.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runvm  # noqa: E402  (how a serial line splits into consoles' lines)
import durable  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "linux"))
import root_check  # noqa: E402

PLATFORMS = [
    ("unit", "unit-test"),
    ("xen-domu", "xen-domu-test"),
    ("xen-domu-2l", "xen-domu-2l-test"),     # the same, 2-level events forced
    ("xen-bochs", "xen-bochs-test"),
    # Linux's blkfront on the Xen harness's disk: the durability check itself.
    ("xen-linux-disk", "xen-linux-disk-test"),
    ("xen-dom0", "xen-dom0-test"),
    ("parahost-svm", "parahost-svm-test"),
    ("parahost-svm-2l", "parahost-svm-2l-test"),
    ("parahost-vmx", "parahost-vmx-test"),
    ("parahost-badinput", "parahost-badinput-test"),
    # Debian's own Linux PV kernel on parahost: its own checks (tests/linux/).
    ("parahost-linux", "parahost-linux-test"),
    # The same on parahost/VT-x in Bochs (~20 minutes).
    ("parahost-linux-vmx", "parahost-linux-vmx-test"),
    # Its oracle: the same kernel, initramfs and disk as a domU of real Xen
    # in Bochs (in QEMU, TCG corrupts Xen's lazy FPU: docs/parahost.md).
    ("xen-linux-bochs", "xen-linux-bochs-test"),
    # The hostile fuzzer (docs/fuzz.md): its checks are not the suite's.
    ("parahost-svm-fuzz", "parahost-svm-fuzz-test"),
    ("parahost-vmx-fuzz", "parahost-vmx-fuzz-test"),
]
# Real Xen: in QEMU (xen-domu) and in Bochs (xen-bochs, faithful where
# QEMU's TCG is not).
ORACLES = ("xen-domu", "xen-bochs")
# Not the guest suite: no verdicts to compare (the fuzzer's checks are its own).
NOT_GUEST = ("unit", "xen-linux-disk", "parahost-badinput", "parahost-linux", "xen-linux-bochs",
             "parahost-svm-fuzz", "parahost-vmx-fuzz", "parahost-linux-vmx")
# Linux's checks (tests/linux/init.sh) on parahost must get real Xen's
# verdicts, check by check: LINUX_ORACLE's.
LINUX_ORACLE = "xen-linux-bochs"
LINUX_PLATFORMS = ("parahost-linux", "parahost-linux-vmx")
# Where QEMU 7.2's TCG makes a hypervisor give a PV guest wrong answers: the
# guest's id for the bug (kernel/qemu_bugs.c) -> the platforms it may skip
# on. Such a skip is accepted only if xen-bochs passed the test.
QEMU_BUGS = {
    "int-n-errcode": ("xen-domu", "xen-domu-2l", "xen-dom0"),
    "movss-shadow": ("xen-domu", "xen-domu-2l", "xen-dom0", "parahost-svm", "parahost-svm-2l"),
    "noncanonical-ss": ("xen-domu", "xen-domu-2l", "xen-dom0", "parahost-svm",
                        "parahost-svm-2l"),
    "wrfsbase-noncanonical": ("xen-domu", "xen-domu-2l", "xen-dom0", "parahost-svm",
                              "parahost-svm-2l"),
}
# Platforms whose make target gives the guest a disk and judges it
# (runvm.py --disk IMG --durable); parahost's join when host.mk does.
MUST_HAVE_DISK = ("xen-domu", "xen-domu-2l", "xen-bochs", "parahost-svm", "parahost-svm-2l",
                  "parahost-vmx", "parahost-linux", "parahost-linux-vmx")
# Platforms whose target judges Linux's ext4 root after poweroff and after
# the durability kill (tests/linux/root_check.py).
MUST_HAVE_ROOT = ("parahost-linux", "parahost-linux-vmx")
ROOT_VERDICTS = ((False, "ext4 root after poweroff"), (True, "ext4 root after the kill"))
DURABLE_TEST = "harness/blk_durable"
RESULTS = "build/results"
LOGS = "build/logs"
TEST_LINE = re.compile(r"\b(not ok|ok) \d+ (\S+/\S+)(.*)$")
QEMU_SKIP = re.compile(r"#\s*SKIP QEMU 7\.2 TCG: ([\w-]+):")
# What a domU has and the initial domain does not (xenstored runs in dom0
# only once dom0 has started it): a skip accepted on xen-dom0 alone.
DOM0_SKIP = re.compile(r"#\s*SKIP initial domain: ")
DOM0_PLATFORMS = ("xen-dom0",)


def has_target(target):
    # make -n exits 2 when there is no rule to make the target.
    r = subprocess.run(["make", "-n", target], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return r.returncode == 0


def run(name, target):
    path = os.path.join(RESULTS, name + ".txt")
    # Neither an old verdict nor an old log may be judged as this run's.
    for old in (path, os.path.join(LOGS, name + ".log"),
                durable.result_path(RESULTS, name)) + \
            tuple(root_check.result_path(RESULTS, name, k) for k, _ in ROOT_VERDICTS):
        if os.path.exists(old):
            os.unlink(old)
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
    # A failed durability check also fails the target; it is counted once,
    # on its own (durable_line()), not again as the suite's failure.
    disk = durable.read_result(RESULTS, name)
    judged_apart = [disk] + [read_root(name, k) for k, _ in ROOT_VERDICTS]
    if rc != 0 and status == "ok" and not any(v and v[0] == "fail" for v in judged_apart):
        status, reason = "fail", "make %s exited %d" % (target, rc)
    return (passed, failed, skipped, status, reason)


def durable_line(name, status):
    """(line, counted as: passed|failed|skipped|None) for the platform's
    durability verdict."""
    disk = durable.read_result(RESULTS, name)
    if disk is None:
        if name in MUST_HAVE_DISK and status != "skip":
            return ("[%s] durable: FAILED: no verdict (%s missing: the run broke "
                    "before judging its disk?)" % (name, durable.result_path(RESULTS, name)),
                    "failed")
        if name in NOT_GUEST or status == "skip":
            return None, None
        return "[%s] durable: no disk on this platform: not checked" % name, None
    verdict, reason = disk
    word = {"ok": "ok", "fail": "FAILED", "skip": "SKIP"}[verdict]
    count = {"ok": "passed", "fail": "failed", "skip": "skipped"}[verdict]
    return "[%s] durable: %s: %s" % (name, word, reason), count


def read_root(name, after_kill):
    """(status, reason) of a root verdict file, or None."""
    return durable.read_verdict(root_check.result_path(RESULTS, name, after_kill))


def root_lines(name, status):
    """[(line, counted as)] for the platform's ext4-root verdicts."""
    out = []
    for after_kill, what in ROOT_VERDICTS:
        v = read_root(name, after_kill)
        if v is None:
            if name in MUST_HAVE_ROOT and status != "skip":
                out.append(("[%s] %s: FAILED: no verdict (%s missing)" % (
                    name, what, root_check.result_path(RESULTS, name, after_kill)), "failed"))
            continue
        out.append(("[%s] %s: %s: %s" % (name, what, "ok" if v[0] == "ok" else "FAILED", v[1]),
                    "passed" if v[0] == "ok" else "failed"))
    return out


def guest_results(name):
    """group/name -> ok|fail|skip|qemu:BUG, from the platform's serial log,
    and the durability verdict as the test harness/blk_durable."""
    found = {}
    disk = durable.read_result(RESULTS, name)
    if disk is not None:
        found[DURABLE_TEST] = {"ok": "ok", "fail": "fail", "skip": "skip"}[disk[0]]
    try:
        with open(os.path.join(LOGS, name + ".log"), errors="replace") as f:
            for line in (p for l in f for p in runvm.split_xen(l)):
                m = TEST_LINE.search(line)
                if not m:
                    continue
                q = QEMU_SKIP.search(m.group(3))
                if m.group(1) == "not ok":
                    verdict = "fail"
                elif q:
                    verdict = "qemu:" + q.group(1)
                elif DOM0_SKIP.search(m.group(3)):
                    verdict = "dom0"
                else:
                    verdict = "skip" if "# SKIP" in m.group(3) else "ok"
                found[m.group(2)] = verdict
    except OSError:
        pass
    return found


def shown(verdict):
    if verdict == "dom0":
        return "skip (initial domain)"
    return "skip (QEMU bug %s)" % verdict[5:] if verdict.startswith("qemu:") \
        else verdict


def agreement(ran):
    """Every platform must give each test the same verdict. Returns
    (disagreements, notes): one line per test on which the platforms differ,
    and one per accepted QEMU-bug skip."""
    per = {name: guest_results(name) for name in ran}
    per = {k: v for k, v in per.items() if v}
    tests = sorted(set().union(*per.values())) if per else []
    bad, notes = [], []
    for t in tests:
        verdicts = {name: r.get(t, "missing") for name, r in per.items()}
        judged = dict(verdicts)
        why, accepted = "", []
        for name, v in verdicts.items():
            if v == "missing" and t == DURABLE_TEST:
                del judged[name]        # no disk there: nothing to compare
                continue
            if v == "dom0":
                if name in DOM0_PLATFORMS:
                    del judged[name]
                else:
                    why = " (%s skipped it as if it were the initial domain)" % name
                continue
            if not v.startswith("qemu:"):
                continue
            bug = v[5:]
            if name not in QEMU_BUGS.get(bug, ()):
                why = " (QEMU bug %s is not known to apply on %s)" % (bug, name)
            elif verdicts.get("xen-bochs") != "ok":
                why = " (a QEMU-bug skip counts only if xen-bochs ran and passed it)"
            else:
                del judged[name]
                accepted.append("[agree] %s: %s skipped it for QEMU bug %s; "
                                "xen-bochs passed it" % (t, name, bug))
        if len(set(judged.values())) > 1 or why:
            bad.append("[agree] %s: %s%s" % (t, ", ".join(
                "%s %s" % (n, shown(v)) for n, v in sorted(verdicts.items())), why))
        else:
            notes += accepted
    return bad, notes


def linux_agreement(ran):
    """(disagreements, notes): one line per Linux check on which a Linux
    platform and the Linux oracle differ (both must have run), and one
    line per platform that agreed on every check."""
    if LINUX_ORACLE not in ran:
        return [], []
    want = {t: v for t, v in guest_results(LINUX_ORACLE).items() if t.startswith("linux/")}
    bad, notes = [], []
    for name in (n for n in LINUX_PLATFORMS if n in ran):
        got = {t: v for t, v in guest_results(name).items() if t.startswith("linux/")}
        differ = ["[agree] %s: %s %s, %s %s" % (t, LINUX_ORACLE, want.get(t, "missing"),
                                                name, got.get(t, "missing"))
                  for t in sorted(set(want) | set(got))
                  if want.get(t, "missing") != got.get(t, "missing")]
        bad += differ
        if want and not differ:
            notes.append("[agree] %s gives %s's verdict on all %d Linux checks"
                         % (name, LINUX_ORACLE, len(want)))
    return bad, notes


def in_ci():
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def oracle_problems(wanted, results):
    """Why this run cannot be trusted to compare against real Xen."""
    status = {name: st for name, p, f, s, st, reason in results}
    lines = []
    for o in ORACLES + (LINUX_ORACLE,):
        if status.get(o) == "skip":
            lines.append("[oracle] %s was skipped: the verdicts were not compared "
                         "with real Xen there, so this run fails" % o)
        elif o not in wanted and in_ci():
            lines.append("[oracle] CI=true but %s is not in this run: CI must "
                         "compare every verdict with real Xen" % o)
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
        for line, count in [durable_line(name, status)] + root_lines(name, status):
            if line:
                print(line)
            if count == "passed":
                total_p += 1
            elif count == "failed":
                total_f += 1
                bad = True
            elif count == "skipped":
                total_s += 1
    guest_platforms = [name for name, p, f, s, status, _ in results
                       if name not in NOT_GUEST and status != "skip"]
    disagree, notes = agreement(guest_platforms)
    linux_bad, linux_notes = linux_agreement([name for name, p, f, s, status, _ in results
                                              if status != "skip"])
    disagree, notes = disagree + linux_bad, notes + linux_notes
    for line in notes:
        print(line)
    for line in disagree + oracle_problems(wanted, results):
        print(line)
        bad = True
        total_f += 1
    if guest_platforms and not any(o in guest_platforms for o in ORACLES):
        print("[oracle] NOTE: no real-Xen platform in this run; the verdicts "
              "were compared only among %s" % " ".join(guest_platforms))
    line = "%d passed, %d failed" % (total_p, total_f)
    if total_s:
        line += ", %d skipped" % total_s
    print(line)
    return 1 if bad or total_f else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
