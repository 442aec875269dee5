#!/usr/bin/env python3
"""Turns a bench VM run's test log into the benchmark's table, CSV and graph.

The guest suite (harness/guest/suites/bench) runs rvfio_bench once per
driver and round, between
    RVFIO-BEGIN bench/rvfio_bench <driver>-r<round>
    RVFIO-END bench/rvfio_bench <driver>-r<round> <status>
and rvfio_bench prints one line per row:
    RVFIO-BENCH <row> <unit> ok <n> <v1> ... <vn>
    RVFIO-BENCH <row> <unit> ni <why>      (not implemented by that driver)
    RVFIO-BENCH <row> <unit> err <why>     (the workload failed)

Per row and driver, every repetition of every round is pooled: min, median,
max, the spread ((max - min) / median), and the Rust/C ratio of the medians.
Writes <out>.md (the table, also printed), <out>.csv (every repetition) and
<out>-growth.svg (gnuplot). Exits 1 if a workload failed or a phase is
missing; timings never fail anything.
"""
import argparse
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys

# Row id -> (section, what it measures). Rows not listed are shown by id.
ROWS = {
    "cfg_rd4_command": ("config space", "pread 4 B, command register (virtualized)"),
    "cfg_wr4_command": ("config space", "pwrite 4 B, command register (virtualized)"),
    "cfg_rd4_bar0": ("config space", "pread 4 B, BAR0 (virtualized)"),
    "cfg_wr4_bar0": ("config space", "pwrite 4 B, BAR0 (virtualized)"),
    "cfg_rd4_passthru": ("config space", "pread 4 B at 0x0c (passed through)"),
    "cfg_wr4_passthru": ("config space", "pwrite 4 B at 0x0c (passed through)"),
    "bar_rd4_edu": ("BAR access", "pread 4 B, edu BAR0"),
    "bar_wr4_edu": ("BAR access", "pwrite 4 B, edu BAR0"),
    "bar_rd64k_ivshmem": ("BAR access", "pread 64 KiB, ivshmem BAR2"),
    "bar_wr64k_ivshmem": ("BAR access", "pwrite 64 KiB, ivshmem BAR2"),
    "ioeventfd_edu": ("BAR access", "IOEVENTFD: eventfd write until the value is in edu BAR0"),
    "open_group_igb": ("open/close", "igb, group form (GET_DEVICE_FD + close)"),
    "open_cdev_igb": ("open/close", "igb, cdev form (open + bind + attach + close)"),
    "open_group_edu": ("open/close", "edu, group form"),
    "open_cdev_edu": ("open/close", "edu, cdev form"),
    "open_group_ivshmem": ("open/close", "ivshmem (1 GiB BAR), group form"),
    "open_cdev_ivshmem": ("open/close", "ivshmem (1 GiB BAR), cdev form"),
    "open_devset1_edu": ("open/close", "edu alone in its device set, cdev form"),
    "reset_igb": ("reset", "VFIO_DEVICE_RESET, igb (FLR)"),
    "hot_reset_edu_pair": ("reset", "VFIO_DEVICE_PCI_HOT_RESET, bridged edu (group form)"),
    "mmap_faultin_1g_ivshmem": ("BAR mmap", "fault in all of ivshmem's 1 GiB BAR (size-aligned mapping)"),
    "mmap_faultin_1g_ivshmem_faults": ("BAR mmap", "page faults taken for it (getrusage)"),
    "mmap_naive_1g_ivshmem": ("BAR mmap", "fault in all of ivshmem's 1 GiB BAR, plain mmap(NULL, 1 GiB)"),
    "mmap_naive_1g_ivshmem_faults": ("BAR mmap", "page faults taken for it (getrusage)"),
    "mmap_first_touch_edu": ("BAR mmap", "first access to a freshly mapped 4 KiB page of edu"),
    "mmap_cycle_edu": ("BAR mmap", "mmap + munmap of 4 KiB of edu BAR0"),
    "reset_maps64_dmabufs8_igb": ("BAR mmap", "igb reset with 64 live mappings and 8 DMABUFs"),
    "irq_intx_edu": ("interrupts", "edu INTx raised until its eventfd reads (+ ack, unmask)"),
    "irq_msi_edu": ("interrupts", "edu MSI raised until its eventfd reads"),
    "irq_msix_igb": ("interrupts", "igb MSI-X vector 0 (EICS) until its eventfd reads"),
}
SECTIONS = ["config space", "BAR access", "open/close", "reset", "BAR mmap", "interrupts", "growth"]


def describe(row):
    if row in ROWS:
        return ROWS[row]
    m = re.match(r"open_devset(\d+)_edu$", row)
    if m:
        return ("open/close", f"bridged edu, one of {m.group(1)} in its device set, cdev form")
    m = re.match(r"(memtoggle|reset)_maps(\d+)(?:_dmabufs(\d+))?_igb$", row)
    if m:
        what = "memory off+on (command register)" if m.group(1) == "memtoggle" else "VFIO_DEVICE_RESET"
        extra = f", {m.group(3)} DMABUFs" if m.group(3) else ""
        return ("growth", f"igb {what}, {m.group(2)} live mappings{extra}")
    return ("other", row)


def parse(path):
    """-> (info dict, phases [(driver, round, rc)], rows {row: {driver: {...}}}, order, done)"""
    info, phases, rows, order = {}, [], {}, []
    cur, done = None, False
    for line in open(path, errors="replace"):
        line = line.rstrip("\r\n")
        if line.startswith("RVFIO-BENCH-INFO "):
            k, _, v = line[len("RVFIO-BENCH-INFO "):].partition(" ")
            info[k] = v
        elif m := re.match(r"^RVFIO-BEGIN bench/rvfio_bench (\w+)-r(\d+)", line):
            cur = (m.group(1), int(m.group(2)))
        elif m := re.match(r"^RVFIO-END bench/rvfio_bench (\w+)-r(\d+) (-?\d+)", line):
            phases.append((m.group(1), int(m.group(2)), int(m.group(3))))
            cur = None
        elif line.startswith("RVFIO-BENCH ") and cur:
            f = line.split()
            row, unit, status = f[1], f[2], f[3]
            if row not in rows:
                rows[row] = {}
                order.append(row)
            d = rows[row].setdefault(cur[0], {"unit": unit, "samples": [], "status": set(), "why": [], "rounds": {}})
            if status == "ok":
                vals = [float(x) for x in f[5:5 + int(f[4])]]
                d["samples"] += vals
                d["rounds"].setdefault(cur[1], []).extend(vals)
            else:
                d["why"].append(" ".join(f[4:]))
            d["status"].add(status)
        elif line.startswith("RVFIO-DONE"):
            done = True
    return info, phases, rows, order, done


def stats(d):
    s = sorted(d["samples"])
    if not s or "err" in d["status"] or "ni" in d["status"]:
        return None
    med = statistics.median(s)
    return {"min": s[0], "med": med, "max": s[-1], "n": len(s),
            "spread": (s[-1] - s[0]) / med if med else 0.0}


def fmt(v):
    if v is None:
        return "-"
    if v >= 1000:
        return f"{v:.0f}"
    if v >= 100:
        return f"{v:.1f}"
    if v >= 10:
        return f"{v:.2f}"
    return f"{v:.3f}"


def cell(d):
    """One driver's cell: 'med (min–max)', or why there is none."""
    if d is None:
        return "not run"
    if "err" in d["status"]:
        return "ERROR: " + (d["why"][0] if d["why"] else "?")
    if "ni" in d["status"]:
        return "not implemented"
    st = stats(d)
    return f"{fmt(st['med'])} [{fmt(st['min'])}–{fmt(st['max'])}] {st['spread'] * 100:.0f}%"


def table(info, meta, rows, order):
    out = []
    out.append("# rvfio bench: Rust vfio-pci vs C vfio-pci")
    out.append("")
    out.append(f"- commit: {meta['commit']}, date: {meta['date']}")
    out.append(f"- kernel: {info.get('kernel', '?')} ({meta['kernel_kind']} configuration)")
    out.append(f"- QEMU: {meta['qemu']} (TCG, single-threaded), mode: {info.get('mode', '?')}")
    out.append(f"- order of the phases: {meta['phases']}; repetitions pooled over the rounds")
    out.append("")
    out.append("Each cell: median [min–max] spread, over every repetition of every round of that driver "
               "(a repetition is the mean cost of one call over a batch of calls; spread = (max - min) / median). "
               "Rust/C: ratio of the medians; below 1.00 Rust is faster. \"not implemented\": the driver "
               "does not offer the operation yet (detected, not assumed).")
    bysec = {}
    for r in order:
        bysec.setdefault(describe(r)[0], []).append(r)
    for sec in SECTIONS + sorted(set(bysec) - set(SECTIONS)):
        if sec not in bysec:
            continue
        out.append("")
        out.append(f"## {sec}")
        out.append("")
        out.append("| row | what | unit | C | Rust | Rust/C |")
        out.append("| --- | --- | --- | --- | --- | --- |")
        for r in bysec[sec]:
            c, rs = rows[r].get("c"), rows[r].get("rust")
            unit = (c or rs)["unit"]
            sc, sr = (stats(c) if c else None), (stats(rs) if rs else None)
            ratio = f"{sr['med'] / sc['med']:.2f}" if sc and sr and sc["med"] else "-"
            out.append(f"| {r} | {describe(r)[1]} | {unit} | {cell(c)} | {cell(rs)} | {ratio} |")
    out += slopes(rows)
    return "\n".join(out) + "\n"


def med(rows, row, drv):
    d = rows.get(row, {}).get(drv)
    st = stats(d) if d else None
    return st["med"] if st else None


def slopes(rows):
    out = ["", "## growth: cost per added mapping, DMABUF, device", "",
           "| what | C | Rust |", "| --- | --- | --- |"]

    def slope(a, b, n, unit, scale=1.0):
        res = []
        for drv in ("c", "rust"):
            x, y = med(rows, a, drv), med(rows, b, drv)
            if x is None or y is None:
                st = rows.get(b, {}).get(drv)
                res.append("not implemented" if st and "ni" in st["status"] else "-")
            else:
                res.append(f"{(y - x) / n * scale:.3g} {unit}")
        return res

    for kind, unit, sc in (("memtoggle", "us", 1.0), ("reset", "us", 1000.0)):
        c, r = slope(f"{kind}_maps1_igb", f"{kind}_maps1024_igb", 1023, "us", sc)
        out.append(f"| {kind}: per live mapping (1 → 1024) | {c} | {r} |")
    c, r = slope("reset_maps0_dmabufs1_igb", "reset_maps0_dmabufs8_igb", 7, "us", 1000.0)
    out.append(f"| reset: per exported DMABUF (1 → 8) | {c} | {r} |")
    devset = sorted((r for r in rows if re.match(r"open_devset\d+_edu$", r)),
                    key=lambda r: int(re.search(r"\d+", r).group()))
    if len(devset) >= 2:
        n = int(re.search(r"\d+", devset[-1]).group()) - int(re.search(r"\d+", devset[0]).group())
        c, r = slope(devset[0], devset[-1], n, "ms")
        out.append(f"| open/close: per device in the device set ({devset[0][11:-4]} → {devset[-1][11:-4]}) | {c} | {r} |")
    return out


def write_csv(path, meta, info, rows, order):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["commit", "date", "kernel", "driver", "round", "row", "unit", "status", "rep", "value"])
        for r in order:
            for drv, d in rows[r].items():
                if d["rounds"]:
                    for rnd, vals in sorted(d["rounds"].items()):
                        for i, v in enumerate(vals):
                            w.writerow([meta["commit"], meta["date"], info.get("kernel", ""), drv, rnd, r,
                                        d["unit"], "ok", i, v])
                for s in sorted(d["status"] - {"ok"}):
                    w.writerow([meta["commit"], meta["date"], info.get("kernel", ""), drv, "", r, d["unit"], s,
                                "", "; ".join(d["why"])])


def plot(path, meta, info, rows):
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot not installed (harness/deps.sh installs gnuplot-nox): no graph"
    data = path + ".dat"
    plots, idx, missing = {}, 0, set()
    with open(data, "w") as f:
        for kind in ("memtoggle", "reset"):
            plots[kind] = []
            for drv, name, pt in (("c", "C vfio-pci", 7), ("rust", "Rust vfio-pci", 5)):
                pts = [(n, med(rows, f"{kind}_maps{n}_igb", drv)) for n in (1, 64, 1024)]
                pts = [(n, m) for n, m in pts if m is not None]
                if not pts:
                    st = rows.get(f"{kind}_maps1_igb", {}).get(drv)
                    if st and "ni" in st["status"]:
                        missing.add(name)
                    continue
                f.write("".join(f"{n} {m}\n" for n, m in pts) + "\n\n")
                plots[kind].append(f'"{data}" index {idx} with linespoints lw 2 pt {pt} title "{name}"')
                idx += 1
    head = (f"{meta['commit']}  {meta['date']}  kernel {info.get('kernel', '?').split()[0]} "
            f"({meta['kernel_kind']} configuration)  QEMU {meta['qemu']}")
    note = ", ".join(sorted(missing)) + ": not implemented (no BAR mmap)" if missing else ""
    script = f"""
set terminal svg size 1000,480 dynamic font "sans,11" noenhanced
set output "{path}"
set multiplot layout 1,2 title "{head}\\nigb: cost with N live 4 KiB mappings of BAR0 (medians)" font "sans,11"
set logscale x 2
set xrange [0.7:1500]
set xlabel "live mappings"
set key top left
set grid
set label 1 "{note}" at graph 0.03, graph 0.70
"""
    for kind, title, unit in (("memtoggle", "memory decode off+on (command register)", "us"),
                              ("reset", "VFIO_DEVICE_RESET (FLR)", "ms")):
        script += f'set title "{title}"\nset ylabel "{unit}"\n'
        if plots[kind]:
            script += "plot " + ", ".join(plots[kind]) + "\n"
        else:
            script += 'set yrange [0:1]\nplot -1 notitle\nset autoscale y\n'
    script += "unset multiplot\n"
    r = subprocess.run([gp], input=script, text=True, capture_output=True)
    os.unlink(data)
    if r.returncode:
        return "gnuplot failed: " + r.stderr.strip().splitlines()[-1]
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True, help="the bench run's tests log")
    ap.add_argument("--out", required=True, help="output prefix (writes .md, .csv, -growth.svg)")
    ap.add_argument("--kernel-kind", default="bench")
    ap.add_argument("--commit", default="?")
    ap.add_argument("--date", default="?")
    ap.add_argument("--qemu", default="?")
    ap.add_argument("--expect", default="c-r1,rust-r1,rust-r2,c-r2",
                    help="phases the run must show")
    a = ap.parse_args()

    info, phases, rows, order, done = parse(a.log)
    meta = {"commit": a.commit, "date": a.date, "qemu": a.qemu, "kernel_kind": a.kernel_kind,
            "phases": ", ".join(f"{d}-r{r}" for d, r, _ in phases) or "none"}
    md = table(info, meta, rows, order)
    open(a.out + ".md", "w").write(md)
    write_csv(a.out + ".csv", meta, info, rows, order)
    problem = plot(a.out + "-growth.svg", meta, info, rows)
    sys.stdout.write(md)
    print()
    print(f"bench: {a.out}.md, {a.out}.csv" + ("" if problem else f", {a.out}-growth.svg"))
    bad = []
    if problem:
        print("bench: " + problem)
    seen = {f"{d}-r{r}" for d, r, _ in phases}
    for p in a.expect.split(","):
        if p not in seen:
            bad.append(f"phase {p} missing")
    if not done:
        bad.append("the guest did not finish (no RVFIO-DONE)")
    for r in order:
        for drv, d in rows[r].items():
            if "err" in d["status"]:
                bad.append(f"{r} [{drv}]: {d['why'][0] if d['why'] else 'error'}")
    for b in bad:
        print("bench: FAILED: " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
