#!/usr/bin/env python3
"""Translated blocks executed per call of the bench's rows, C against Rust.

    tbcount.py record MONITOR TESTS-LOG DIR   while the VM runs
    tbcount.py report TESTS-LOG DIR SYSTEM-MAP [TOP]

Under TCG no sampling profiler is fair: a vCPU stops only where it gives up
QEMU's big lock, which is at device accesses. What is exact is QEMU's
execution log (`-d exec,nochain`: one line per translated block run, with
its guest address). `record` follows the tests log; when the guest's
bench-sample suite (RVFIO_SAMPLE_CALLS=N) announces a row, it points QEMU's
log at DIR/<driver>-<row>.log and turns `exec,nochain` on through the HMP
monitor, and off again when the row ends (the bench waits 2 s after
announcing a row before its first call).

`report` counts, per row and driver, the blocks each kernel function ran per
call (the core kernel's symbols from System.map, the vfio modules' from the
RVFIO-KSYMS blocks the guest printed after each load), idle functions left
out, and prints the functions whose blocks per call differ by at least 0.5
between the drivers, largest difference first. A block is a few guest instructions (a basic block, up to a
branch), so blocks per call is a fair measure of the work a path does.

Why not a sampling profiler: one was tried (stopping the VM through QEMU's
gdb stub a few hundred times a second and reading the vCPUs' instruction
pointers); every sample of a per-access row landed on the device access
itself, for both drivers, because the stop is only served when the vCPU
drops the big lock, which it takes for the access.
"""
import bisect
import os
import re
import socket
import sys
import time
from collections import Counter, defaultdict


def demangle(name):
    """Enough of Rust's v0 mangling to read: the path's identifiers."""
    if not name.startswith("_R"):
        return name
    out, rest = [], name[2:]
    for m in re.finditer(r"(\d+)_?", rest):
        k = int(m.group(1))
        s = rest[m.end():m.end() + k]
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", s or "-") and len(s) == k:
            out.append(s)
    # Drop crate disambiguators and repeated names.
    keep = [p for p in out if p not in ("kernel", "core") or p == out[-1]]
    return "::".join(keep[-4:]) if keep else name


def hmp(s, cmd):
    s.sendall(cmd.encode() + b"\n")
    time.sleep(0.2)
    try:
        s.recv(65536)
    except BlockingIOError:
        pass


def record(mon, log, outdir):
    os.makedirs(outdir, exist_ok=True)
    for _ in range(1200):
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(mon)
            break
        except OSError:
            time.sleep(1)
    else:
        sys.exit("tbcount.py: no monitor at " + mon)
    s.setblocking(False)
    f, drv, on = None, None, False
    while True:
        if f is None and os.path.exists(log):
            f = open(log, errors="replace")
        if f is not None:
            for line in f.readlines():
                w = line.split()
                if len(w) >= 2 and w[0] == "RVFIO-SAMPLE-DRIVER":
                    drv = w[1]
                elif len(w) >= 2 and w[0] == "RVFIO-SAMPLE-ON" and drv:
                    hmp(s, f"logfile {outdir}/{drv}-{w[1]}.log")
                    hmp(s, "log exec,nochain")
                    on = True
                elif w and w[0] == "RVFIO-SAMPLE-OFF" and on:
                    hmp(s, "log none")
                    on = False
                elif w and w[0] == "RVFIO-DONE":
                    return
        try:
            if s.recv(65536) == b"":
                return
        except BlockingIOError:
            pass
        except OSError:
            return
        time.sleep(0.05)


class Syms:
    def __init__(self, entries):
        entries.sort()
        self.addr = [a for a, _ in entries]
        self.name = [n for _, n in entries]

    def lookup(self, pc):
        i = bisect.bisect_right(self.addr, pc) - 1
        return self.name[i] if i >= 0 else "?"


def report(log, outdir, sysmap, top=40):
    core = []
    for line in open(sysmap):
        w = line.split()
        if len(w) >= 3 and w[1] in "tTwW":
            core.append((int(w[0], 16), w[2]))
    mods, calls, cur, drv = defaultdict(list), {}, None, None
    for line in open(log, errors="replace"):
        w = line.split()
        if not w:
            continue
        if w[0] == "RVFIO-KSYMS-BEGIN":
            cur = w[1]
        elif w[0] == "RVFIO-KSYMS-END":
            cur = None
        elif cur and len(w) >= 3 and re.fullmatch(r"[0-9a-f]+", w[0]):
            mods[cur].append((int(w[0], 16), f"{demangle(w[2])} {w[3] if len(w) > 3 else ''}".strip()))
        elif w[0] == "RVFIO-SAMPLE-DRIVER":
            drv = w[1]
        elif w[0] == "RVFIO-SAMPLE-OFF" and len(w) >= 4:
            calls[(drv, w[1])] = int(w[2])
    syms = {d: Syms(core + m) for d, m in mods.items()}
    idle = re.compile(r"idle|halt|mwait|cpu_startup_entry|do_idle|cpuidle")
    counts = {}
    pat = re.compile(r"^Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/")
    for (d, row) in calls:
        path = f"{outdir}/{d}-{row}.log"
        if not os.path.exists(path) or d not in syms:
            continue
        c = Counter()
        for line in open(path, errors="replace"):
            m = pat.match(line)
            if not m:
                continue
            pc = int(m.group(1), 16)
            fn = "[user]" if pc < 0xFFFF800000000000 else syms[d].lookup(pc)
            if fn != "[user]" and not fn.endswith("]"):
                fn = demangle(fn)
            if not idle.search(fn):
                c[fn] += 1
        counts[(d, row)] = c
    print("# Translated blocks per call (QEMU exec log)\n")
    print("Blocks each function ran per call of the row, for the functions whose counts differ")
    print("by at least 0.5 between the drivers (largest difference first); the rest is summed in")
    print("`other`. Module functions carry their module. Timer-tick functions run more often the")
    print("slower a call is under the log, for both drivers alike.\n")
    for row in sorted({r for _, r in counts}):
        pc_, pr_ = counts.get(("c", row), Counter()), counts.get(("rust", row), Counter())
        nc, nr = calls.get(("c", row), 1), calls.get(("rust", row), 1)
        print(f"## {row} (calls: C {nc}, Rust {nr})\n")
        print("| function | C | Rust |\n| --- | --- | --- |")
        # The functions that differ most between the drivers first (the
        # timer tick's share grows with the wall time the log costs, and is
        # the same work for both).
        keys = sorted(set(pc_) | set(pr_), key=lambda k: -abs(pr_[k] / nr - pc_[k] / nc))
        oc = orr = 0.0
        shown = 0
        for k in keys:
            a, b = pc_[k] / nc, pr_[k] / nr
            if abs(a - b) >= 0.5 and shown < top:
                print(f"| {k} | {a:.1f} | {b:.1f} |")
                shown += 1
            else:
                oc += a
                orr += b
        print(f"| other | {oc:.1f} | {orr:.1f} |")
        print(f"| **all** | **{sum(pc_.values()) / nc:.1f}** | **{sum(pr_.values()) / nr:.1f}** |\n")


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "record":
        record(*sys.argv[2:5])
    elif len(sys.argv) >= 5 and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 40)
    else:
        sys.exit(__doc__)
