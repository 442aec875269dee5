#!/usr/bin/env python3
"""Per-call kernel functions of the bench's per-access rows, C against Rust.

Reads the tests log of a bench-trace run (harness/guest/suites/bench-trace):
blocks of ftrace function-profiler output,
    RVFIO-PROFILE-BEGIN <driver> <row> <calls>
    <function> <hits> <time> us <avg> us <s^2> us   (one line per function and CPU)
    RVFIO-PROFILE-END
and prints, per row, every function called at least once per two calls by
either driver, with its calls per access and its time per access (µs,
as ftrace measured it, tracing overhead included) under C and under Rust.
"""
import re
import sys
from collections import defaultdict


def parse(path):
    prof = defaultdict(lambda: defaultdict(lambda: [0, 0.0]))  # (row, drv) -> fn -> [hits, us]
    calls, cur = {}, None
    for line in open(path, errors="replace"):
        m = re.match(r"^RVFIO-PROFILE-BEGIN (\w+) (\S+) (\d+)", line)
        if m:
            cur = (m.group(2), m.group(1))
            calls[cur] = int(m.group(3))
            continue
        if line.startswith("RVFIO-PROFILE-END"):
            cur = None
            continue
        if cur is None:
            continue
        f = line.split()
        if len(f) >= 4 and f[1].isdigit():
            t = float(f[2]) if re.match(r"^[\d.]+$", f[2]) else 0.0
            if len(f) > 3 and f[3] == "ms":
                t *= 1000
            elif len(f) > 3 and f[3] == "ns":
                t /= 1000
            e = prof[cur][f[0]]
            e[0] += int(f[1])
            e[1] += t
    return prof, calls


def main():
    prof, calls = parse(sys.argv[1])
    rows = []
    for row, drv in prof:
        if row not in rows:
            rows.append(row)
    for row in rows:
        c, r = prof.get((row, "c"), {}), prof.get((row, "rust"), {})
        nc, nr = calls.get((row, "c"), 1), calls.get((row, "rust"), 1)
        print(f"\n== {row}: kernel functions per call (C: {nc} calls, Rust: {nr} calls)")
        print(f"   {'function':44} {'C/call':>7} {'C us':>8} {'Rust/call':>9} {'Rust us':>8}")
        fns = sorted(set(c) | set(r), key=lambda f: -max(c.get(f, [0, 0])[1] / nc, r.get(f, [0, 0])[1] / nr))
        for f in fns:
            hc, tc = c.get(f, [0, 0.0])
            hr, tr = r.get(f, [0, 0.0])
            if hc < nc / 2 and hr < nr / 2:
                continue
            print(f"   {f[:44]:44} {hc / nc:7.2f} {tc / nc:8.3f} {hr / nr:9.2f} {tr / nr:8.3f}")


if __name__ == "__main__":
    main()
