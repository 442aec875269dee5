#!/usr/bin/env python3
"""Device accesses per call of the bench's rows, C against Rust, from a QEMU trace.

    bench-count.py TRACE

TRACE is QEMU's log of the trace events memory_region_ops_read/write (every
MMIO and port access a vCPU makes to an emulated device) and
pci_cfg_read/write (every config space access that reaches a device). The
guest's bench-sample suite, run with RVFIO_SAMPLE_CALLS=N, wraps each row of
each driver in marker lines on its serial ports; the markers are read back
from the trace itself (the bytes written to the UARTs' transmit registers),
so each access is attributed to the row and driver that was running. Prints,
per row, each kind of access (device region, offset, read/write, size) that
either driver made at least once per 10 calls, as accesses per call.
"""
import re
import sys
from collections import Counter, defaultdict

ops = re.compile(r"memory_region_ops_(read|write) cpu \d+ mr (0x[0-9a-f]+|\(nil\)) addr (0x[0-9a-f]+) "
                 r"value (0x[0-9a-f]+) size (\d+) name '([^']*)'")
cfg = re.compile(r"pci_cfg_(read|write) (\S+) (\S+) @(0x[0-9a-f]+) (?:->|<-) (0x[0-9a-f]+)")


def main(path):
    text = defaultdict(str)        # serial mr -> text written so far (current line)
    drv = row = None
    phases = defaultdict(Counter)  # (drv, row) -> access -> count
    calls = {}
    for line in open(path, errors="replace"):
        m = ops.search(line)
        if m:
            rw, mr, addr, val, size, name = m.groups()
            if name == "serial":
                if rw == "write" and int(addr, 16) & 0xFF in (0xF8, 0xE8) and int(addr, 16) >= 0x2E8:
                    c = chr(int(val, 16) & 0xFF)
                    if c == "\n":
                        w = text[mr].split()
                        text[mr] = ""
                        if len(w) >= 2 and w[0] == "RVFIO-SAMPLE-DRIVER":
                            drv = w[1]
                        elif len(w) >= 2 and w[0] == "RVFIO-SAMPLE-ON":
                            row = w[1]
                        elif len(w) >= 3 and w[0] == "RVFIO-SAMPLE-OFF":
                            calls[(drv, w[1])] = int(w[2])
                            row = None
                    else:
                        text[mr] += c
                continue
            if drv and row:
                phases[(drv, row)][f"{name} {rw}{size} @{addr}"] += 1
            continue
        m = cfg.search(line)
        if m and drv and row:
            rw, dev, fn, off, _ = m.groups()
            phases[(drv, row)][f"cfg {dev} {rw} @{off}"] += 1
    print("# Device accesses per call (QEMU trace)\n")
    for r in sorted({r for _, r in phases}):
        pc, pr = phases[("c", r)], phases[("rust", r)]
        nc, nr = calls.get(("c", r), 0), calls.get(("rust", r), 0)
        print(f"## {r} (calls: C {nc}, Rust {nr})\n")
        print("| access | C | Rust |\n| --- | --- | --- |")
        keys = set(pc) | set(pr)
        tot = [0.0, 0.0]
        for k in sorted(keys, key=lambda k: -(pc[k] + pr[k])):
            a = pc[k] / nc if nc else 0
            b = pr[k] / nr if nr else 0
            tot[0] += a
            tot[1] += b
            if a >= 0.1 or b >= 0.1:
                print(f"| {k} | {a:.2f} | {b:.2f} |")
        print(f"| all | {tot[0]:.2f} | {tot[1]:.2f} |\n")


if __name__ == "__main__":
    main(sys.argv[1])
