#!/usr/bin/env python3
"""Run one ParaOS test platform (an emulator, a hypervisor, parahost...) and
judge it by the guest's test protocol.

    python3 tests/runvm.py --name NAME --timeout SECONDS --log build/logs/NAME.log
        [--end-pattern REGEX ...] [--crash-pattern REGEX ...]
        [--echo-pattern REGEX ...] [--grace S] [--crash-grace S] [--echo-all]
        [--type-on REGEX ...] [--disk IMG [--disk-mib N | --disk-template T] [--durable
        [--durable-kill] [--durable-wait S] | --durable-skip REASON]]
        -- command args...

The guest prints one line per test:
    ok N group/name
    ok N group/name # SKIP reason
    not ok N group/name - reason
and ends with the summary line
    paraos: N passed, N failed[, N skipped]

The command runs in its own process group.  Every output line (stdout and
stderr) goes to the log; the guest's test lines, `paraos:` lines, panics and
crash lines are echoed, stripped of the prefixes Xen, xenconsoled, Linux or a
harness put before them.  The run ends when

  * the summary was seen and the command exited, an end pattern matched or
    --grace seconds passed (success path);
  * an end pattern matched without a summary (after a short drain);
  * a crash pattern matched (the run keeps reading up to --crash-grace
    seconds for the rest of the dump, then the process group is killed);
  * --timeout seconds passed (process group killed);
  * the command exited.

With --type-on, the command's stdin is a pipe: each time a guest line
matches REGEX, its first group is typed there, followed by a carriage
return (the Enter key), as a person at the console would (QEMU's -serial
stdio passes it to the serial port).

With --disk, IMG is made fresh (--disk-mib MiB of zeros, default 64) just
before the command starts; the command is expected to attach it.  With
--durable too, the guest is judged on its disk after the run
(tests/durable.py): after its summary it prints one line `blk-durable:
sector=S count=N crc32=X` (up to --durable-wait seconds after the summary,
default 60), and with --durable-kill the command's process group is
SIGKILLed the moment that line arrives, a power cut (otherwise the command
ends the VM itself: dom0 destroys the domU).  The image must then hold those
bytes.  One more line is printed, `[NAME] durable: ok ...` or `[NAME]
durable: FAILED: reason`, and build/results/NAME.durable.txt gets `NAME
ok|fail REASON...`.  The exit status is 0 only if that passed too.
--durable-skip REASON instead records a skip with REASON (a guest that
cannot be judged yet), said as loudly: `[NAME] durable: SKIP: REASON`.
--durable-only is for a boot that does nothing but the durability step
(ParaOS with `durable` instead of its suite, kernel/durable.c): no summary
is expected, build/results/NAME.txt (the suite's run) is left alone, the
only line is `[NAME] durable: ...`, and the exit status is its verdict.

Then exactly one final line is printed:
    [NAME] paraos: N passed, N failed[, N skipped]
    [NAME] FAILED: <reason>
(with the last 40 log lines before it on any failure).  A crash that comes
after a summary reporting failures counts as the guest's way of stopping
(ParaOS shuts down with SHUTDOWN_crash when a test failed): the run fails
with the summary's counts and the failed tests named.  The results file
build/results/NAME.txt gets one line `NAME PASSED FAILED SKIPPED STATUS
REASON...` (STATUS ok|fail), and the exit status is 0 only for a summary with
0 failed, as many test lines as the summary counts, no `not ok` line and no
crash.  The results file is removed and the
log truncated before the command starts, so neither can tell of an older run.
Standard library only.
"""

import argparse
import collections
import os
import re
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import durable  # noqa: E402

TEST_RE = re.compile(r"^(not ok|ok) (\d+) (\S+)(.*)$")
def summary_re(suite):
    """The summary line of the suite named (--suite; ParaOS's is "paraos")."""
    return re.compile(r"^%s: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$"
                      % re.escape(suite))
# Prefixes that Xen ("(XEN) ", "(d1) "), Linux ("[   1.234] "), our dom0
# ("[domu] "), timestamps and terminals put in front of a guest line.
PREFIX_RE = re.compile(
    r"^(?:\x1b\[[0-9;?]*[A-Za-z]|\r|\s+"
    r"|\((?:XEN|d\d+(?:v\d+)?)\)\s?"
    r"|\[[^\]\[]{1,40}\]\s?"
    r"|[A-Za-z][\w.-]{0,30}(?:\[\d+\])?:\s(?=(?:not ok|ok) \d+ |paraos:))+")
XEN_SPLIT = re.compile(r"(?<=.)(?=\(XEN\) )")
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Lines worth echoing even though they are not test lines.
PANIC_RE = re.compile(r"\bpanic\b|\bPANIC\b|Kernel panic|\bOops\b", re.I)

TAIL_LINES = 40


def split_xen(line):
    """A serial line holding more than one console's text: Xen's own
    messages ("(XEN) ...") can land in the middle of one of dom0's lines,
    which reach Xen in pieces.  Each "(XEN) " starts a new line."""
    return XEN_SPLIT.split(line)


def strip_prefix(line):
    """The line with known prefixes removed (the guest's own text)."""
    line = ANSI_RE.sub("", line).rstrip("\r\n")
    line = line.replace("\r", "")
    m = PREFIX_RE.match(line)
    if m:
        rest = line[m.end():]
        # only strip if what remains is meaningful (keep "[x]" lines intact)
        if rest:
            return rest
    return line


class Run:
    def __init__(self, args):
        self.a = args
        self.end_res = [re.compile(p) for p in args.end_pattern]
        self.crash_res = [re.compile(p) for p in args.crash_pattern]
        self.echo_res = [re.compile(p) for p in args.echo_pattern]
        self.type_res = [re.compile(p) for p in args.type_on]
        self.proc = None
        self.tail = collections.deque(maxlen=TAIL_LINES)
        self.summary = None          # (passed, failed, skipped)
        self.summary_time = None
        self.crash = None            # the matched line
        self.crash_time = None
        self.end_time = None         # end pattern seen
        self.counts = {"ok": 0, "not ok": 0, "skip": 0}
        self.not_ok = []             # names of failed tests
        self.note = None             # last line matching an echo pattern
        self.durable = None          # the guest's blk-durable line
        self.durable_time = None
        self.log = None

    def echo(self, text):
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def handle(self, raw):
        line = raw.rstrip("\n").rstrip("\r")
        self.log.write(line + "\n")
        self.log.flush()
        self.tail.append(line)
        if self.a.echo_all:
            self.echo(line)
        for part in split_xen(line):
            self.handle_part(part)

    def handle_part(self, line):
        text = strip_prefix(line)
        now = time.monotonic()
        shown = self.a.echo_all
        m = TEST_RE.match(text)
        if m and (m.group(4) == "" or m.group(4)[0] in " \t"):
            if m.group(1) == "ok":
                if re.search(r"#\s*SKIP\b", m.group(4), re.I):
                    self.counts["skip"] += 1
                else:
                    self.counts["ok"] += 1
            else:
                self.counts["not ok"] += 1
                self.not_ok.append(m.group(3))
            if not shown:
                self.echo(text)
                shown = True
        elif self.a.durable and text.startswith(durable.PREFIX) and self.durable is None:
            self.durable, self.durable_time = text, now
            if not shown:
                self.echo(text)
                shown = True
        elif text.startswith(self.a.suite + ":"):
            if not shown:
                self.echo(text)
                shown = True
            s = summary_re(self.a.suite).match(text)
            if s and self.summary is None:
                self.summary = (int(s.group(1)), int(s.group(2)),
                                int(s.group(3) or 0))
                self.summary_time = now
        for r in self.crash_res:
            if r.search(line):
                if self.crash is None:
                    self.crash = text
                    self.crash_time = now
                if not shown:
                    self.echo(text)
                    shown = True
                break
        if any(r.search(line) for r in self.echo_res):
            self.note = text
            if not shown:
                self.echo(text)
        elif not shown and PANIC_RE.search(text):
            self.echo(text)
        if self.end_time is None and any(r.search(line) for r in self.end_res):
            self.end_time = now
        for r in self.type_res:
            m = r.search(text)
            if m and self.proc is not None and self.proc.stdin is not None:
                try:
                    self.proc.stdin.write(m.group(1).encode() + b"\r")
                    self.proc.stdin.flush()
                    self.log.write("# runvm: typed %r\n" % m.group(1))
                except OSError as e:
                    self.log.write("# runvm: cannot type: %s\n" % e)

    def deadline_reason(self, start, now):
        """Why the run should stop now, or None to keep reading."""
        a = self.a
        if a.durable_kill and self.durable is not None:
            return "durable"
        if a.durable_only and self.durable is not None and self.end_time is not None:
            return "end"
        if self.crash is not None and now - self.crash_time >= a.crash_grace:
            return "crash"
        if self.end_time is not None and self.crash is None:
            if self.summary is not None or now - self.end_time >= 1.0:
                return "end"
        if self.end_time is not None and self.crash is not None \
                and now - self.end_time >= 1.0:
            return "crash"
        if self.summary is not None and self.crash is None:
            # With --durable the guest goes on after its summary (the
            # pattern, the flush) and never ends by itself.
            since, wait = self.summary_time, a.grace
            if a.durable and self.durable is not None:
                since = self.durable_time
            elif a.durable:
                wait = a.durable_wait
            if now - since >= wait:
                return "grace"
        if now - start >= a.timeout:
            return "timeout"
        return None

    def main(self):
        a = self.a
        # An older run's verdict must not outlive this one, whatever happens.
        if not a.durable_only:
            try:
                os.unlink(os.path.join(a.results_dir, a.name + ".txt"))
            except FileNotFoundError:
                pass
        durable.forget(a.results_dir, a.name)
        if a.disk:
            durable.fresh_disk(a.disk, a.disk_mib, a.disk_template)
        os.makedirs(os.path.dirname(a.log) or ".", exist_ok=True)
        self.log = open(a.log, "w", encoding="utf-8", errors="replace")
        self.log.write("# runvm %s: %s\n" % (a.name, " ".join(a.command)))
        start = time.monotonic()
        try:
            proc = subprocess.Popen(a.command,
                                    stdin=subprocess.PIPE if a.type_on else subprocess.DEVNULL,
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT,
                                    start_new_session=True)
        except OSError as e:
            self.log.write("# cannot start: %s\n" % e)
            self.log.close()
            return self.finish("cannot start %s: %s" % (a.command[0], e.strerror),
                               start)
        self.proc = proc
        fd = proc.stdout.fileno()
        buf = b""
        stop = None
        exited = False
        try:
            stop, exited, buf = self.loop(proc, fd, start)
        except KeyboardInterrupt:
            self.kill(proc)
            self.log.write("# runvm %s: interrupted\n" % a.name)
            self.log.close()
            return self.finish("interrupted", start)
        if buf:
            self.handle(buf.decode("utf-8", "replace"))
        if exited:
            try:
                rc = proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                rc = None
        else:
            rc = None
        if stop == "durable":
            # A power cut: no chance to write anything more.
            self.log.write("# runvm %s: SIGKILL on the blk-durable line\n" % a.name)
            self.kill(proc, signal.SIGKILL)
        self.kill(proc)
        if rc is None:
            rc = proc.returncode
        elapsed = time.monotonic() - start
        self.log.write("# runvm %s: stop=%s exit=%s after %.1fs\n"
                       % (a.name, stop or "exited", rc, elapsed))
        self.log.close()

        if stop == "timeout" and self.crash is None:
            return self.finish("timeout after %d s" % a.timeout, start)
        if self.crash is not None and self.summary is not None \
                and self.summary[1] > 0 and self.crash_time >= self.summary_time:
            # A guest that reports failed tests may stop with a crash
            # shutdown on purpose: the failures are the story, not the crash.
            return self.finish(None, start)
        if self.crash is not None and a.durable and self.summary is not None \
                and self.crash_time >= self.summary_time and self.durable is None:
            # The durability boot came after the suite and crashed: that is
            # its verdict's story (judge_durable), not the suite's.
            self.note = "guest crashed: " + self.crash.strip()
            return self.finish(None, start)
        if self.crash is not None:
            return self.finish("guest crashed: %s" % self.crash.strip(), start)
        if self.summary is None:
            how = "end pattern matched" if stop == "end" else \
                "command exited with status %s" % rc
            if self.note:
                how += "; last: " + self.note.strip()
            return self.finish("no summary line (%s)" % how, start)
        return self.finish(None, start)

    def loop(self, proc, fd, start):
        buf = b""
        while True:
            stop = self.deadline_reason(start, time.monotonic())
            if stop:
                return stop, False, buf
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return None, True, buf
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    self.handle(line.decode("utf-8", "replace"))

    @staticmethod
    def kill(proc, first=signal.SIGTERM):
        """End the whole process group (the leader may be gone already while
        its children, e.g. an emulator started by a script, still run)."""
        for sig, wait in ((first, 3), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                proc.poll()
                if not group_alive(proc.pid):
                    break
                time.sleep(0.05)
            else:
                continue
            break
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        try:
            proc.stdout.close()
        except OSError:
            pass

    def finish(self, failure, start):
        a = self.a
        elapsed = time.monotonic() - start
        if a.durable_only:
            if self.durable is None and failure:
                self.note = failure     # why the line never came
            elif self.durable is None and self.crash:
                self.note = "guest crashed: " + self.crash.strip()
            ok = self.judge_durable()
            if not ok:
                sys.stdout.write("---- last %d lines of %s ----\n" % (len(self.tail), a.log))
                sys.stdout.write("".join(l + "\n" for l in self.tail) + "----\n")
            sys.stdout.flush()
            return 0 if ok else 1
        if self.summary is not None:
            passed, failed, skipped = self.summary
        else:
            passed, failed, skipped = (self.counts["ok"], self.counts["not ok"],
                                       self.counts["skip"])
        counts_line = False
        seen = self.counts["ok"] + self.counts["not ok"] + self.counts["skip"]
        if failure is None and self.summary is not None \
                and seen != passed + failed + skipped:
            # Lines lost (or doubled) on the way: the summary alone must
            # not vouch for tests nobody saw.
            failure = "the summary counts %d tests, but %d test lines arrived" \
                % (passed + failed + skipped, seen)
        elif failure is None and failed:
            names = ", ".join(self.not_ok) or "see the log"
            failure = "%d failed: %s" % (failed, names)
            counts_line = True
        elif failure is None and self.not_ok:
            failure = "summary says 0 failed, but saw not ok: %s" \
                % ", ".join(self.not_ok)
        if failure is not None:
            sys.stdout.write("---- last %d lines of %s ----\n"
                             % (len(self.tail), a.log))
            for l in self.tail:
                sys.stdout.write(l + "\n")
            sys.stdout.write("----\n")
        if failure is None or counts_line:
            final = "[%s] %s: %d passed, %d failed" % (a.name, a.suite, passed, failed)
            if skipped:
                final += ", %d skipped" % skipped
        else:
            final = "[%s] FAILED: %s" % (a.name, failure)
        status = "ok" if failure is None else "fail"
        reason = ("completed in %.1fs" % elapsed) if failure is None else failure
        write_result(a.name, passed, failed, skipped, status, reason,
                     a.results_dir)
        sys.stdout.write(final + "\n")
        ok = self.judge_durable()
        sys.stdout.flush()
        return 0 if failure is None and ok else 1

    def judge_durable(self):
        """The verdict on the disk image, when this run had --durable."""
        a = self.a
        if a.durable_skip:
            durable.write_result(a.results_dir, a.name, "skip", a.durable_skip)
            sys.stdout.write("[%s] durable: SKIP: %s\n" % (a.name, a.durable_skip))
            return True
        if not a.durable:
            return True
        ok, why = durable.check(a.disk, self.durable)
        if self.durable is None and self.note:
            why += "; last: " + self.note.strip()
        durable.write_result(a.results_dir, a.name, "ok" if ok else "fail", why)
        sys.stdout.write("[%s] durable: %s%s\n" % (a.name, "ok: " if ok else "FAILED: ", why))
        return ok


def group_alive(pgid):
    """Whether process group pgid still has a live (non-zombie) member."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    if not os.path.isdir("/proc/self"):
        return True
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rfind(")") + 2:].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            return True
    return False


def write_result(name, passed, failed, skipped, status, reason, results_dir):
    os.makedirs(results_dir, exist_ok=True)
    reason = " ".join(str(reason).split()) or "-"
    with open(os.path.join(results_dir, name + ".txt"), "w") as f:
        f.write("%s %d %d %d %s %s\n" % (name, passed, failed, skipped, status,
                                         reason))


def parse(argv):
    if "--" not in argv:
        cmd = []
    else:
        i = argv.index("--")
        argv, cmd = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser(
        prog="runvm.py", description="Run a ParaOS test platform.",
        usage="runvm.py --name NAME --timeout S --log FILE [options] -- cmd ...")
    p.add_argument("--name", required=True)
    p.add_argument("--suite", default="paraos",
                   help="the name before the guest's summary line (default paraos)")
    p.add_argument("--timeout", type=float, required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--end-pattern", action="append", default=[],
                   help="regex: the platform is done (e.g. machine halted)")
    p.add_argument("--crash-pattern", action="append", default=[],
                   help="regex: the guest (or platform) crashed")
    p.add_argument("--echo-pattern", action="append", default=[],
                   help="regex: also echo lines matching this")
    p.add_argument("--type-on", action="append", default=[],
                   help="regex with one group: type the group (and Enter) when a line matches")
    p.add_argument("--echo-all", action="store_true",
                   help="echo every line unchanged (interactive use)")
    p.add_argument("--grace", type=float, default=5.0,
                   help="seconds to wait after the summary (default 5)")
    p.add_argument("--crash-grace", type=float, default=3.0,
                   help="seconds to keep reading after a crash (default 3)")
    p.add_argument("--disk", default=None,
                   help="a disk image the command attaches: made fresh (zeros) first")
    p.add_argument("--disk-mib", type=int, default=durable.DISK_MIB)
    p.add_argument("--disk-template", default=None,
                   help="make --disk fresh as a copy of this image instead of zeros")
    p.add_argument("--durable", action="store_true",
                   help="judge the guest's blk-durable line against --disk after the run")
    p.add_argument("--durable-kill", action="store_true",
                   help="SIGKILL the command the moment the blk-durable line arrives")
    p.add_argument("--durable-wait", type=float, default=60.0,
                   help="seconds after the summary to wait for that line (default 60)")
    p.add_argument("--durable-only", action="store_true",
                   help="a boot for the durability check alone: no suite, NAME.txt untouched")
    p.add_argument("--durable-skip", default=None, metavar="REASON",
                   help="no durability check on --disk this run, for REASON (a skip)")
    p.add_argument("--results-dir", default=os.path.join(
        os.environ.get("BUILD", "build"), "results"))
    a = p.parse_args(argv)
    if not cmd:
        p.error("no command given after --")
    if (a.durable or a.durable_kill or a.durable_skip) and not a.disk:
        p.error("--durable needs --disk IMG")
    if a.durable and a.durable_skip:
        p.error("--durable or --durable-skip, not both")
    if a.durable_only and not a.durable:
        p.error("--durable-only needs --durable")
    a.command = cmd
    for pat in a.end_pattern + a.crash_pattern + a.echo_pattern + a.type_on:
        try:
            re.compile(pat)
        except re.error as e:
            p.error("bad regex %r: %s" % (pat, e))
    return a


def main():
    a = parse(sys.argv[1:])
    def interrupted(*_):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    return Run(a).main()


if __name__ == "__main__":
    sys.exit(main())
