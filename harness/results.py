#!/usr/bin/env python3
"""Turns one VM run's logs into per-case results.

The tests' serial log holds, per test binary and device:
    RVFIO-BEGIN <suite>/<binary> <device>
    ... TAP lines (kselftest harness or the project's shell suites) ...
    RVFIO-END <suite>/<binary> <device> <exit status>
Every TAP case becomes a row of the TSV (run, driver, binary, device, case,
pass|fail|skip). A binary that exits non-zero without a failed case, or that
never reaches its END line, is a failure of its own. The console log is
checked for kernel splats; each run adds cases of its own: that the
guest finished its plan, that the kernel log is clean, that kmemleak found
nothing, and that the KUnit suites the run must show (--kunit-expect) ran.

After the suites the guest prints kmemleak's report between
RVFIO-KMEMLEAK-BEGIN and RVFIO-KMEMLEAK-END: every unreferenced object in
it is a failure, printed with its backtrace.

A test may report a figure (a count, not a timing) with a line
    RVFIO-FIGURE <name> <integer>
anywhere in its output (kselftest's "# " prefix allowed); the run's figures
are summed per name into build/results/<run>.fig (name<TAB>value), with the
run's kernel splats and leaked objects, for summary.py's reliability table.
"""
import argparse
import fnmatch
import re
import sys

SPLATS = [
    r"WARNING:", r"BUG:", r"Oops", r"KASAN", r"kmemleak", r"UBSAN:",
    r"general protection fault", r"Kernel panic", r"Call Trace:",
    r"possible circular locking", r"possible recursive locking",
    r"inconsistent lock state", r"lockdep", r"blocked for more than",
    r"rcu_.*detected stall", r"refcount_t:",
]
# Lockdep's boot banner mentions lockdep without being a report; so does
# kmemleak's. kmemleak's own "N new suspected memory leaks" line is not a
# report either: the leaks are read from the guest's kmemleak report.
NOT_SPLATS = [r"Lock dependency validator", r"lockdep: fixing up", r"\.\.\. MAX_LOCKDEP",
              r"RCU lockdep checking is enabled",
              r"kmemleak: Kernel memory leak detector initialized",
              r"kmemleak: \d+ new suspected memory leaks \(see /sys/kernel/debug/kmemleak\)"]

TAP = re.compile(r"^(not ok|ok) +\d+ +(?:- +)?(.*?)\s*$")
FIGURE = re.compile(r"^(?:#\s*)?RVFIO-FIGURE (\w+) (\d+)\s*$")


def console_has(path, text):
    try:
        with open(path, errors="replace") as f:
            return any(text in line for line in f)
    except FileNotFoundError:
        return False


def parse_figures(path):
    figs = {}
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = FIGURE.match(line.strip().replace("\r", ""))
                if m:
                    figs[m.group(1)] = figs.get(m.group(1), 0) + int(m.group(2))
    except FileNotFoundError:
        pass
    return figs


def parse_kmemleak(lines):
    """The objects of kmemleak's report: (header, lines) each; None if there was no report."""
    leaks, inside, seen = [], False, False
    for line in lines:
        if line.startswith("RVFIO-KMEMLEAK-BEGIN"):
            inside, seen = True, True
            continue
        if line.startswith("RVFIO-KMEMLEAK-END"):
            inside = False
            continue
        if not inside:
            continue
        if line.startswith("unreferenced object"):
            leaks.append((line.strip(), []))
        elif leaks and line.strip():
            leaks[-1][1].append(line.rstrip())
    return leaks if seen else None


# Frames of the allocator itself, skipped when naming where a leak comes from.
ALLOC_FRAMES = re.compile(r"^(kmemleak_|__kmalloc|kmalloc|kmem_cache_|__kmem_cache|kzalloc|krealloc|"
                          r"kvmalloc|__kvmalloc|kvzalloc|kvrealloc|vmalloc|__vmalloc|slab_|__slab|"
                          r"___slab|__do_kmalloc|pcpu_alloc|__alloc_|alloc_pages|"
                          r"__rust_alloc|__rust_realloc|rust_helper_k|rust_helper_v|"
                          r"_R\w*(Allocator|Kmalloc|Vmalloc|KVmalloc)\w*)")


def leak_case(header, body):
    """A short name for one leaked object: its size, the task, the first caller outside the allocator."""
    size = re.search(r"\(size (\d+)\)", header)
    comm = next((re.search(r'comm "([^"]*)"', l) for l in body if "comm" in l), None)
    frames, bt = [], False
    for l in body:
        if l.strip().startswith("backtrace"):
            bt = True
            continue
        if bt and l.startswith("  "):
            frames.append(re.sub(r"^\[<[0-9a-f]+>\]\s*", "", l.strip()))
    site = next((f for f in frames if not ALLOC_FRAMES.match(f)), frames[0] if frames else "?")
    return "leak: %s bytes, comm %s, from %s" % (
        size.group(1) if size else "?", comm.group(1) if comm else "?", site)


def parse_tests(path):
    rows, cur, seen_end, done, notes = [], None, set(), False, []
    with open(path, errors="replace") as f:
        lines = [l.rstrip("\r\n").replace("\r", "") for l in f]
    failed_in_binary = 0
    cases_in_binary = 0
    last_comment = ""
    for line in lines:
        m = re.match(r"^RVFIO-BEGIN (\S+) (\S+)", line)
        if m:
            cur = (m.group(1), m.group(2))
            failed_in_binary = 0
            cases_in_binary = 0
            last_comment = ""
            continue
        m = re.match(r"^RVFIO-END (\S+) (\S+) (-?\d+)", line)
        if m and cur:
            rc = int(m.group(3))
            seen_end.add(cur)
            # 4 is kselftest's "skip"; anything else non-zero must show as a failure.
            if rc not in (0, 4) and failed_in_binary == 0:
                rows.append((cur[0], cur[1], "(exit status %d)" % rc, "fail"))
            elif rc == 4 and cases_in_binary == 0:
                # The whole binary skipped itself (kselftest's KSFT_SKIP).
                rows.append((cur[0], cur[1], "(whole binary skipped: %s)" % last_comment, "skip"))
            cur = None
            continue
        if line.startswith("RVFIO-DONE"):
            done = True
            continue
        if line.startswith("RVFIO-SUITE-RC"):
            parts = line.split()
            if len(parts) >= 3 and parts[2] not in ("0",):
                notes.append(line)
            continue
        if line.startswith("RVFIO-ERROR"):
            rows.append(("harness", "vm", line, "fail"))
            continue
        m = TAP.match(line)
        if cur and not m and line.strip():
            last_comment = line.strip()[:120]
        if m and cur:
            cases_in_binary += 1
            desc = m.group(2)
            skip = re.search(r"#\s*SKIP", desc, re.I)
            case = re.sub(r"\s*#.*$", "", desc) or desc
            if m.group(1) == "not ok" and not skip:
                res = "fail"
                failed_in_binary += 1
            elif skip:
                res = "skip"
            else:
                res = "pass"
            # kselftest_harness prints the binary's own summary as the last
            # top-level line when there is one plan; keep every case.
            rows.append((cur[0], cur[1], case, res))
    if cur and cur not in seen_end:
        rows.append((cur[0], cur[1], "(did not finish)", "fail"))
    return rows, done, notes, parse_kmemleak(lines)


def kunit_rows(path):
    """KUnit results (KTAP) from the kernel console: one row per case, first run only."""
    rows, seen, suite = [], set(), None
    try:
        lines = open(path, errors="replace").read().splitlines()
    except FileNotFoundError:
        return rows
    for line in lines:
        line = re.sub(r"^\[\s*\d+\.\d+\]\s?", "", line.rstrip())
        m = re.match(r"^\s+# Subtest: (\S+)", line)
        if m:
            suite = m.group(1)
            continue
        m = re.match(r"^\s+(not ok|ok) \d+ (\S+)(.*)$", line)
        if m and suite:
            case, rest = m.group(2), m.group(3)
            if (suite, case) in seen:
                continue
            seen.add((suite, case))
            if re.search(r"#\s*SKIP", rest, re.I):
                res = "skip"
            else:
                res = "fail" if m.group(1) == "not ok" else "pass"
            rows.append(("kunit/" + suite, "vm", case, res))
    return rows


def scan_console(path):
    bad = []
    try:
        with open(path, errors="replace") as f:
            for line in f:
                if any(re.search(p, line) for p in SPLATS) and not any(
                    re.search(p, line) for p in NOT_SPLATS
                ):
                    bad.append(line.rstrip())
    except FileNotFoundError:
        bad.append("(no console log)")
    return bad


def load_xfail(path):
    rules = []
    if not path:
        return rules
    with open(path) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 5:
                rules.append(parts[:5])
    return rules


def xfail_reason(rules, driver, binary, dev, case):
    for d, b, v, c, why in rules:
        if (fnmatch.fnmatchcase(driver, d) and fnmatch.fnmatchcase(binary, b)
                and fnmatch.fnmatchcase(dev, v) and fnmatch.fnmatchcase(case, c)):
            return why
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--driver", required=True)
    ap.add_argument("--qemu-rc", type=int, default=0)
    ap.add_argument("--console", required=True)
    ap.add_argument("--tests", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--xfail", default=None)
    ap.add_argument("--expect-kasan", action="store_true",
                    help="the kernel has KASAN: its boot banner must be on the console")
    ap.add_argument("--kunit-expect", default="",
                    help="KUnit suites (space-separated) whose results must be on the console")
    a = ap.parse_args()

    rows, done, notes, leaks = parse_tests(a.tests)
    krows = kunit_rows(a.console)
    rows += krows
    for suite in a.kunit_expect.split():
        if not any(r[0] == "kunit/" + suite for r in krows):
            rows.append(("kunit/" + suite, "vm", "(suite did not run: no KTAP results on the console)", "fail"))
    rules = load_xfail(a.xfail)
    xfailed, xpassed = [], []
    for i, (binary, dev, case, res) in enumerate(rows):
        why = xfail_reason(rules, a.driver, binary, dev, case)
        if why is None:
            continue
        if res == "fail":
            rows[i] = (binary, dev, case, "skip")
            xfailed.append((binary, dev, case, why))
        elif res == "pass":
            rows[i] = (binary, dev, case + " (unexpected pass: remove it from harness/xfail.tsv)", "fail")
            xpassed.append((binary, dev, case))
    splats = scan_console(a.console)
    rows.append(("vm", "vm", "guest finished its plan", "pass" if done else "fail"))
    rows.append(("vm", "vm", "kernel log has no WARNING/BUG/lockdep/Oops/KASAN/kmemleak report",
                 "pass" if not splats else "fail"))
    if a.expect_kasan:
        # The scan above can only catch a KASAN report if KASAN runs.
        on = console_has(a.console, "KernelAddressSanitizer initialized")
        rows.append(("vm", "vm", "KASAN is on (its boot banner is on the console)", "pass" if on else "fail"))
    if leaks is None:
        rows.append(("kmemleak", "vm", "(no kmemleak report after the suites)", "fail" if done else "skip"))
    elif not leaks:
        rows.append(("kmemleak", "vm", "no unreferenced object after the suites", "pass"))
    else:
        for header, body in leaks:
            rows.append(("kmemleak", "vm", leak_case(header, body), "fail"))
    with open(a.out, "w") as f:
        for r in rows:
            f.write("\t".join((a.name, a.driver) + r) + "\n")
    figs = parse_figures(a.tests)
    figs["splats"] = len(splats)
    figs["leaks"] = len(leaks or [])
    with open(re.sub(r"\.tsv$", "", a.out) + ".fig", "w") as f:
        for k, v in sorted(figs.items()):
            f.write("%s\t%d\n" % (k, v))

    # Per binary and device.
    summary = {}
    for binary, dev, case, res in rows:
        s = summary.setdefault((binary, dev), {"pass": 0, "fail": 0, "skip": 0})
        s[res] += 1
    print("== %s (driver %s)" % (a.name, a.driver))
    for (binary, dev), s in summary.items():
        print("   %-44s %-8s %3d passed %3d failed %3d skipped" % (binary, dev, s["pass"], s["fail"], s["skip"]))
    for binary, dev, case, res in rows:
        if res == "fail":
            print("   FAIL %s [%s]: %s" % (binary, dev, case))
    reasons = {}
    for binary, dev, case, why in xfailed:
        reasons.setdefault((binary, dev, why), 0)
        reasons[(binary, dev, why)] += 1
    for (binary, dev, why), n in reasons.items():
        print("   expected failure x%d %s [%s]: %s" % (n, binary, dev, why))
    if not done:
        print("   the guest did not finish (QEMU exit %d): see %s" % (a.qemu_rc, a.console))
    for n in notes:
        print("   note: " + n)
    for header, body in (leaks or [])[:10]:
        print("   kmemleak: " + header)
        for l in body:
            if not l.strip().startswith("hex dump") and not re.match(r"^\s+[0-9a-f]{2} ", l):
                print("   kmemleak:   " + l.strip())
    if leaks and len(leaks) > 10:
        print("   kmemleak: ... %d more objects in %s" % (len(leaks) - 10, a.tests))
    for s in splats[:20]:
        print("   console: " + s)
    sys.exit(1 if any(r[3] == "fail" for r in rows) else 0)


if __name__ == "__main__":
    main()
