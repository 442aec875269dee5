#!/usr/bin/env python3
"""Sums the per-case results of a `make check` (build/results/*.tsv).

Prints one table row per run, binary and device, then the closing line
`N passed, N failed, N skipped`; exits non-zero if anything failed.
"""
import fnmatch
import os
import sys

XFAIL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "xfail.tsv")
rules = []
with open(XFAIL) as f:
    for line in f:
        if line.strip() and not line.startswith("#"):
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 5:
                rules.append(parts[:5])


def expected(binary, dev, case):
    return any(fnmatch.fnmatchcase("rust", d) and fnmatch.fnmatchcase(binary, b)
               and fnmatch.fnmatchcase(dev, v) and fnmatch.fnmatchcase(case, c)
               for d, b, v, c, _ in rules)

rows = []
for path in sys.argv[1:]:
    with open(path) as f:
        rows += [l.rstrip("\n").split("\t") for l in f if l.strip()]

table = {}
for run, driver, binary, dev, case, res in rows:
    t = table.setdefault((run, driver, binary, dev), {"pass": 0, "fail": 0, "skip": 0})
    t[res] += 1
print("\n== make check: results per run, binary and device")
print("   %-12s %-5s %-44s %-8s %6s %6s %6s" % ("run", "drv", "binary", "device", "passed", "failed", "skipped"))
for (run, driver, binary, dev), t in table.items():
    print("   %-12s %-5s %-44s %-8s %6d %6d %6d" % (run, driver, binary, dev, t["pass"], t["fail"], t["skip"]))
# Parity: a case that passes against the C driver must pass against the Rust one in the run of
# the same suite (c-X against rust-X). Cases the Rust run skipped (not applicable yet, or a
# listed expected failure) are reported; a case missing from the Rust run, or failing there, is
# a failure of its own.
res = {}
for run, driver, binary, dev, case, r in rows:
    res[(run, binary, dev, case)] = r
parity_fail, parity_skip = [], []
for (run, binary, dev, case), r in list(res.items()):
    if not run.startswith("c-") or r != "pass" or binary == "vm":
        continue
    twin = "rust-" + run[2:]
    if not any(k[0] == twin for k in res):
        continue
    rr = res.get((twin, binary, dev, case))
    if rr == "skip" or (rr is None and expected(binary, dev, case)):
        parity_skip.append((twin, binary, dev, case))
    elif rr != "pass":
        parity_fail.append((twin, binary, dev, case, rr or "missing"))
if parity_skip or parity_fail:
    print("\n== C/Rust parity: cases that pass on C")
    per = {}
    for twin, binary, dev, case in parity_skip:
        per[(twin, binary, dev)] = per.get((twin, binary, dev), 0) + 1
    for (twin, binary, dev), k in per.items():
        print("   %-12s %-44s %-8s %3d skipped on Rust (see the run's expected failures)" % (twin, binary, dev, k))
    for twin, binary, dev, case, rr in parity_fail:
        print("   PARITY FAIL %s %s [%s]: %s is %s on Rust" % (twin, binary, dev, case, rr))
        rows.append([twin, "rust", binary, dev, "parity: " + case, "fail"])

# Reliability figures (results.py's <run>.fig, next to each run's .tsv): counts the
# tests reported (calls made, faults injected, rounds done) and the kernel's
# splats and leaked objects, summed per driver over the runs of this check.
figs = {}
for path in sys.argv[1:]:
    fig = path[:-4] + ".fig" if path.endswith(".tsv") else None
    run = os.path.basename(path)[:-4]
    drv = next((r[1] for r in rows if r[0] == run), None)
    if not fig or not drv or not os.path.exists(fig):
        continue
    with open(fig) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("\t")
            if v.isdigit():
                figs.setdefault(k, {}).setdefault(drv, 0)
                figs[k][drv] += int(v)
if figs:
    print("\n== reliability figures per driver (summed over the runs)")
    print("   %-28s %12s %12s" % ("figure", "C", "Rust"))
    for k in sorted(figs):
        print("   %-28s %12s %12s" % (k, figs[k].get("c", "-"), figs[k].get("rust", "-")))

n = {k: sum(1 for r in rows if r[5] == k) for k in ("pass", "fail", "skip")}
if not rows:
    n["fail"] = 1
    print("no results at all")
print("%d passed, %d failed, %d skipped" % (n["pass"], n["fail"], n["skip"]))
sys.exit(1 if n["fail"] else 0)
