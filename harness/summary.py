#!/usr/bin/env python3
"""Sums the per-case results of a `make check` (build/results/*.tsv).

Prints one table row per run, binary and device, then the closing line
`N passed, N failed, N skipped`; exits non-zero if anything failed.
"""
import sys

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
n = {k: sum(1 for r in rows if r[5] == k) for k in ("pass", "fail", "skip")}
if not rows:
    n["fail"] = 1
    print("no results at all")
print("%d passed, %d failed, %d skipped" % (n["pass"], n["fail"], n["skip"]))
sys.exit(1 if n["fail"] else 0)
