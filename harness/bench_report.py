#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the output of harness/bench.sh into out/bench/{table.txt,results.json,
cost.png,blackout.png}: instructions from callgrind dumps, nanoseconds from the
native run of tools/testing/kho/kho_bench, scratch sizes and the kexec
blackout (harness/blackout.py) from guest logs. Each target is
printed as met or MISSED. In smoke mode, print KTAP instead."""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import blackout

PAGE = 4096
GIB = 1 << 30


def parse_callgrind(prefix):
    """Instructions per phase label, from the dumps the client requests made."""
    instr = {}
    for path in glob.glob(prefix + ".*"):
        label = total = None
        with open(path) as f:
            for line in f:
                m = re.match(r"desc: Trigger: Client Request: (\S+)", line)
                if m:
                    label = m.group(1)
                m = re.match(r"summary: (\d+)", line)
                if m:
                    total = int(m.group(1))
        if label and total is not None:
            instr[label] = total
    return instr


def parse_native(path):
    rows = []
    with open(path) as f:
        for line in f:
            if not line.startswith("RESULT "):
                continue
            r = dict(kv.split("=", 1) for kv in line.split()[1:])
            for k in ("blocks", "pages", "span", "meta"):
                r[k] = int(r[k])
            r["ns"] = float(r["ns"])
            rows.append(r)
    return rows


def parse_scratch(path):
    """Sizes of the first kernel's scratch areas and what its boot needed."""
    need_low = need_image = 0
    nodes = []
    areas = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = re.search(r"kho: scratch at (\d+)% of this boot: low allocations (0x[0-9a-f]+), kernel image and initrd (0x[0-9a-f]+)", line)
            if m:
                need_low, need_image = int(m.group(2), 16), int(m.group(3), 16)
            m = re.search(r"kho: node (\d+) allocations (0x[0-9a-f]+)", line)
            if m:
                nodes.append(int(m.group(2), 16))
            m = re.search(r"kho: (global|lowmem|node \d+) scratch: 0x[0-9a-f]+ \+ (0x[0-9a-f]+)", line)
            if m:
                areas.setdefault(m.group(1), 0)
                areas[m.group(1)] += int(m.group(2), 16)
            if "khotest_gen=1" in line or "KHOTEST: gen 1" in line:
                break
    if not areas:
        return None
    total = sum(areas.values())
    # The 200% heuristic (see kho-reference.md): every area twice what the
    # boot allocated from memblock for it: low allocations for lowmem, all
    # allocations for the global area, each node's for the node areas.
    boot = need_low + sum(nodes)
    heur = 2 * need_low + 2 * boot + 2 * sum(nodes)
    return {"areas": areas, "total": total, "boot_allocations": boot,
            "image_initrd": need_image, "heuristic_200pct": heur,
            "ratio": total / heur if heur else None}


def jump_copy(path):
    """(pages in place, segment pages, bytes copied at the jump) of the
    first kexec_file_load in a guest log, from kexec_core's line, or None."""
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = re.search(r"kexec_core: (\d+) of (\d+) segment pages loaded in place, "
                              r"(\d+) bytes to copy at kexec -e", line)
                if m:
                    return tuple(int(x) for x in m.groups())
    except OSError:
        pass
    return None


def parse_guest(path):
    """BENCH figures of a kho_bench scenario log, by generation, and
    whether the scenario passed."""
    gens = {}
    ok = False
    if not os.path.exists(path):
        return None
    with open(path, errors="replace") as f:
        for line in f:
            m = re.search(r"BENCH gen=(\d+) (.*)", line)
            if m:
                g = gens.setdefault(int(m.group(1)), {})
                for kv in m.group(2).split():
                    k, _, v = kv.partition("=")
                    g[k] = int(v) if v.isdigit() else v
    ktap = path + ".ktap"
    if os.path.exists(ktap):
        with open(ktap) as f:
            ok = any(l.startswith("ok 1 ") for l in f)
    return {"gens": gens, "passed": ok}


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if v else None


# A 64-CPU host for the extrapolation of the parallel restore: 3 GHz at
# 1.5 instructions per cycle per CPU.
HOST_CPUS = 64
HOST_IPS = 4.5e9


def thread_runs(specs, figures):
    """Runs by a number of threads, specs CLOCK:THREADS[:RUN]=LOG
    (liveupdate_bench logs): {clock: {run: {threads: {name: value of
    the gen1 figure, "pages", "log"} or {"failed", "log"}}}}; figures
    maps names to gen1 keys. A run fails unless it passed with every
    figure, by the threads asked."""
    runs = {}
    for spec in specs:
        key, path = spec.split("=", 1)
        clock, threads, run = (key.split(":") + ["1"])[:3]
        r = parse_guest(path)
        g = r["gens"].get(1, {}) if r else {}
        ok = (r is not None and r["passed"] and "pages_4k" in g and
              all(k in g for k in figures.values()) and
              g.get("threads_4k") == int(threads))
        runs.setdefault(clock, {}).setdefault(run, {})[int(threads)] = (
            dict({n: g[k] for n, k in figures.items()}, pages=g["pages_4k"], log=path)
            if ok else {"failed": True, "log": path})
    return runs


def failed_runs(runs, did, target, out, targets):
    """Name the runs of thread_runs() that failed, and add target: none did."""
    bad = [r["log"] for c in runs.values() for p in c.values() for r in p.values()
           if r.get("failed")]
    for log in bad:
        out("   run failed or %s by other threads than asked: %s" % (did, log))
    targets.append((target, "%d failed" % len(bad), not bad))


def parallel_restore(specs, size, out, targets):
    """Section 8b: RETRIEVE_FD of a memfd of 4 KiB pages by 1 and by 2
    threads; specs are CLOCK:THREADS[:RUN]=LOG (liveupdate_bench logs)."""
    runs = thread_runs(specs, {"ns": "restore_4k_ns"})
    if not runs:
        return {}
    out("8b. RETRIEVE_FD of a %s memfd of 4 KiB pages by 1 and by 2 threads (memfd_kho.restore_threads),"
        % size)
    out("    QEMU x86_64 -smp 2 (CPU 1 on the memoryless node 1), 8 GiB host machine")
    result = {"pairs": [], "icount": {}}
    failed_runs(runs, "restored", "parallel restore: every run passes with the threads asked", out, targets)
    pairs = [(run, p[1]["ns"], p[2]["ns"]) for run, p in sorted(runs.get("tcg", {}).items())
             if 1 in p and 2 in p and "ns" in p[1] and "ns" in p[2]]
    if pairs:
        out("   TCG (wall time, ms), pairs run one after the other:")
        out("   %-5s %10s %10s %7s" % ("pair", "1 thread", "2 threads", "ratio"))
        for run, t1, t2 in pairs:
            out("   %-5s %10.1f %10.1f %7.3f" % (run, t1 / 1e6, t2 / 1e6, t2 / t1))
            result["pairs"].append({"run": run, "t1_ns": t1, "t2_ns": t2})
        m1, m2 = median([p[1] for p in pairs]), median([p[2] for p in pairs])
        ratio = median([p[2] / p[1] for p in pairs])
        out("   %-5s %10.1f %10.1f %7.3f  (medians; the ratio is the median of the pairs' ratios)"
            % ("", m1 / 1e6, m2 / 1e6, ratio))
        result["median_ratio"] = ratio
        targets.append(("parallel restore: RETRIEVE_FD by 2 threads <= 0.6x one thread (%s of 4 KiB pages, TCG -smp 2, median of %d pairs)"
                        % (size, len(pairs)), "%.3fx" % ratio, ratio <= 0.6))
    ic = runs.get("icount", {}).get("1", {})
    if "ns" in ic.get(1, {}) and "ns" in ic.get(2, {}):
        i1, i2, pages = ic[1]["ns"], ic[2]["ns"], ic[1]["pages"]
        out("   -icount shift=0: %.1f million instructions by 1 thread, %.1f by 2 (%.3fx); %.1f per page"
            % (i1 / 1e6, i2 / 1e6, i2 / i1, i1 / pages))
        result["icount"] = {"t1": i1, "t2": i2, "pages": pages}
        targets.append(("parallel restore: 2 threads do no more work than one, instructions <= 1.03x (-icount, the sum over the vCPUs)",
                        "%.3fx" % (i2 / i1), i2 / i1 <= 1.03))
        tib = (1 << 40) // 4096 * i1 / pages / (HOST_CPUS * HOST_IPS)
        out("   1 TiB of 4 KiB pages on %d CPUs at %.1f G instructions/s each, if it scaled perfectly: %.2f s"
            " (the fill's parts, as in 8c: the page cache lock is held a few instructions a page)"
            % (HOST_CPUS, HOST_IPS / 1e9, tib))
        result["tib_64cpu_s"] = tib
        targets.append(("parallel restore: 1 TiB of 4 KiB pages on 64 CPUs well under a second, <= 0.5 s (extrapolated from the instructions per page, if it scaled perfectly)",
                        "%.2f s" % tib, tib <= 0.5))
    out("")
    return result



def fill_busy(specs, fill, size, out, targets):
    """Section 8d: the fill of 8c by 2 threads with CPU 0 kept busy;
    specs are tcg:2:RUN=LOG (liveupdate_bench logs, khotest_lubench_busy=0);
    fill is parallel_fill()'s result, for its 1-thread fills."""
    runs = thread_runs(specs, {"fill": "fill_4k_ns", "busy": "busy_4k"})
    if not runs:
        return {}
    out("8d. The same %s memfd filled after RETRIEVE_FD by 2 threads, CPU 0 kept busy meanwhile by a"
        % size)
    out("    shell loop at the default priority (khotest_lubench_busy=0), as a VM's vCPU would be;")
    out("    the workers run at the lowest. No target: what a busy CPU costs the fill")
    failed_runs(runs, "filled", "fill with CPU 0 busy: every run passes with the threads asked", out, targets)
    ms = [p[2]["fill"] / 1e6 for _, p in sorted(runs.get("tcg", {}).items())
          if "fill" in p.get(2, {})]
    result = {"fill2_busy_ms": ms}
    if ms:
        out("   TCG (wall time, ms): %s; median %.1f" % (", ".join("%.1f" % v for v in ms), median(ms)))
        one = [p["fill1_ns"] / 1e6 for p in fill.get("pairs", [])]
        if one:
            out("   against the 1-thread fill on idle CPUs (8c, median %.1f ms): %.2fx"
                % (median(one), median(ms) / median(one)))
            result["fill1_idle_ms"] = median(one)
    out("")
    return result


def parallel_fill(specs, size, out, targets):
    """Section 8c: a memfd of 4 KiB pages filled after RETRIEVE_FD, its
    records checked and its folios put in by 1 and by 2 threads; specs are
    CLOCK:THREADS:RUN=LOG (liveupdate_bench logs, khotest_lubench_fill=later)."""
    runs = thread_runs(specs, {"check": "restore_4k_ns", "fill": "fill_4k_ns",
                               "map": "map_4k_ns", "checked": "check_4k_ns"})
    if not runs:
        return {}
    out("8c. The same %s memfd filled after RETRIEVE_FD (the default): RETRIEVE_FD checks"
        % size)
    out("    the records and hands it out, then workers fill it (luoctl -w: until the fill ends,")
    out("    from the start of RETRIEVE_FD); by 1 and by 2 threads (memfd_kho.restore_threads)")
    result = {"pairs": [], "icount": {}}
    failed_runs(runs, "filled", "fill after RETRIEVE_FD: every run passes with the threads asked", out, targets)
    pairs = [(run, p[1], p[2]) for run, p in sorted(runs.get("tcg", {}).items())
             if "check" in p.get(1, {}) and "check" in p.get(2, {})]
    if pairs:
        out("   TCG (wall time, ms), pairs run one after the other:")
        out("   %-5s %10s %10s %7s %10s %10s %7s" % ("pair", "check 1", "check 2", "ratio",
                                                   "filled 1", "filled 2", "ratio"))
        for run, a, b in pairs:
            out("   %-5s %10.1f %10.1f %7.3f %10.1f %10.1f %7.3f" % (
                run, a["check"] / 1e6, b["check"] / 1e6, b["check"] / a["check"],
                a["fill"] / 1e6, b["fill"] / 1e6, b["fill"] / a["fill"]))
            result["pairs"].append({"run": run, "check1_ns": a["check"], "check2_ns": b["check"],
                                    "fill1_ns": a["fill"], "fill2_ns": b["fill"]})
        for what, k in (("RETRIEVE_FD (the record check)", "check"),
                        ("the fill, RETRIEVE_FD to its end", "fill")):
            ratio = median([b[k] / a[k] for _, a, b in pairs])
            result["median_%s_ratio" % k] = ratio
            out("   %s: median of the pairs' ratios %.3f" % (what, ratio))
            targets.append(("fill after RETRIEVE_FD: %s by 2 threads <= 0.6x one thread (%s of 4 KiB pages, TCG -smp 2, median of %d pairs)"
                            % (what, size, len(pairs)), "%.3fx" % ratio, ratio <= 0.6))
    ic = runs.get("icount", {}).get("1", {})
    if "check" in ic.get(1, {}) and "check" in ic.get(2, {}):
        a, b, pages = ic[1], ic[2], ic[1]["pages"]
        out("   -icount shift=0, million instructions (summed over the vCPUs): check %.1f by 1 thread,"
            " %.1f by 2 (%.3fx), %.1f per page; filled %.1f by 1, %.1f by 2 (%.3fx), %.1f per page"
            % (a["check"] / 1e6, b["check"] / 1e6, b["check"] / a["check"], a["check"] / pages,
               a["fill"] / 1e6, b["fill"] / 1e6, b["fill"] / a["fill"], a["fill"] / pages))
        result["icount"] = {"check1": a["check"], "check2": b["check"], "fill1": a["fill"],
                            "fill2": b["fill"], "pages": pages}
        targets.append(("fill after RETRIEVE_FD: the check by 2 threads does no more work than one, instructions <= 1.03x",
                        "%.3fx" % (b["check"] / a["check"]), b["check"] / a["check"] <= 1.03))
        # RETRIEVE_FD: the pages of records are taken one after the other
        # (a chain), then checked by the threads; the rest does not grow.
        scale = (1 << 40) // 4096 / pages
        seq, par = a["map"] * scale, a["checked"] * scale / HOST_CPUS
        fixed = max(a["check"] - a["map"] - a["checked"], 0)
        out("   RETRIEVE_FD by 1 thread: %.1f M taking the record pages (one after the other), %.1f M checking"
            " (by the threads), %.1f M the rest" % (a["map"] / 1e6, a["checked"] / 1e6, fixed / 1e6))
        tib_check = (seq + par + fixed) / HOST_IPS
        tib_fill = a["fill"] * scale / (HOST_CPUS * HOST_IPS)
        out("   1 TiB of 4 KiB pages on %d CPUs (memfd_kho.restore_threads=%d) at %.1f G instructions/s each:"
            " handed out after %.3f s (%.3f s of it taking the record pages on one CPU), filled after %.2f s"
            " (the work spread over the CPUs: the page cache and LRU locks they share are held for a few"
            " instructions a page)"
            % (HOST_CPUS, HOST_CPUS, HOST_IPS / 1e9, tib_check, seq / HOST_IPS, tib_fill))
        result["tib_64cpu_check_s"] = tib_check
        result["tib_64cpu_fill_s"] = tib_fill
        targets.append(("fill after RETRIEVE_FD: 1 TiB of 4 KiB pages on 64 CPUs handed out (RETRIEVE_FD) <= 0.5 s (extrapolated from the instructions per page; the record pages taken on one CPU, the check scaling perfectly)",
                        "%.3f s" % tib_check, tib_check <= 0.5))
        targets.append(("fill after RETRIEVE_FD: 1 TiB of 4 KiB pages on 64 CPUs filled, well under a second, <= 0.5 s (extrapolated from the instructions per page spread over the CPUs)",
                        "%.2f s" % tib_fill, tib_fill <= 0.5))
    out("")
    return result


def mark(ok):
    if ok is None:
        return "-"
    return "met" if ok else "MISSED"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="full")
    ap.add_argument("--out", required=True)
    ap.add_argument("--callgrind", required=True)
    ap.add_argument("--native", required=True)
    ap.add_argument("--cg-rc", type=int, default=0)
    ap.add_argument("--native-rc", type=int, default=0)
    ap.add_argument("--scratch", action="append", default=[])
    ap.add_argument("--guest", action="append", default=[])
    ap.add_argument("--icount", action="append", default=[])
    ap.add_argument("--farm", action="append", default=[])
    ap.add_argument("--liveupdate", action="append", default=[])
    ap.add_argument("--liveupdate-size", default="4G")
    ap.add_argument("--blackout", action="append", default=[])
    ap.add_argument("--restore", action="append", default=[])
    ap.add_argument("--restore-size", default="1G")
    ap.add_argument("--fill", action="append", default=[])
    ap.add_argument("--fill-busy", action="append", default=[])
    ap.add_argument("--kexec-blackout", action="append", default=[])
    a = ap.parse_args()

    instr = parse_callgrind(a.callgrind)
    rows = parse_native(a.native)
    for r in rows:
        r["instr"] = instr.get(r["label"])
    missing = [r["label"] for r in rows if r["instr"] is None]

    def get(inp, blocks, strategy, phase):
        for r in rows:
            if (r["input"], r["blocks"], r["strategy"], r["phase"]) == \
               (inp, blocks, strategy, phase):
                return r
        return None

    def sizes(inp, strategy="ours", phase="walk"):
        return sorted({r["blocks"] for r in rows if r["input"] == inp and
                       r["strategy"] == strategy and r["phase"] == phase})

    lines = []
    targets = []
    out = lines.append
    inputs = []
    for r in rows:
        if r["input"] not in inputs:
            inputs.append(r["input"])

    out("KHO benchmark (make bench): instructions from callgrind, time natively")
    out("")
    out("1. Next kernel: taking over the handover (walk), per preserved block")
    out("%-10s %9s %9s %12s %12s %9s %10s %10s" % (
        "input", "blocks", "pages", "KHO instr", "naive instr", "ratio",
        "KHO ns", "naive ns"))
    for inp in inputs:
        for n in sizes(inp):
            o = get(inp, n, "ours", "walk")
            b = get(inp, n, "naive", "walk")
            oi = o["instr"] / n if o["instr"] else float("nan")
            if b and b["instr"]:
                bi = b["instr"] / n
                out("%-10s %9d %9d %12.1f %12.1f %8.1fx %10.1f %10.1f" % (
                    inp, n, o["pages"], oi, bi, bi / oi, o["ns"] / n,
                    b["ns"] / n))
            else:
                out("%-10s %9d %9d %12.1f %12s %9s %10.1f %10s" % (
                    inp, n, o["pages"], oi, "-", "-", o["ns"] / n, "-"))
    out("")
    out("2. Preserving, per preserved block (single: a lock per call; batch: one lock)")
    out("%-10s %9s %12s %12s %10s %10s" % (
        "input", "blocks", "single instr", "batch instr", "single ns",
        "batch ns"))
    for inp in inputs:
        for n in sizes(inp, phase="preserve-batch"):
            s = get(inp, n, "ours", "preserve-single")
            bt = get(inp, n, "ours", "preserve-batch")
            out("%-10s %9d %12.1f %12.1f %10.1f %10.1f" % (
                inp, n, (s["instr"] or 0) / n, (bt["instr"] or 0) / n,
                s["ns"] / n, bt["ns"] / n))
    out("")
    out("3. Tracker metadata")
    out("%-10s %9s %12s %14s %14s" % ("input", "blocks", "bytes",
                                      "bytes/GiB", "bytes/block"))
    meta = {}
    for inp in inputs:
        for n in sizes(inp, phase="preserve-batch"):
            bt = get(inp, n, "ours", "preserve-batch")
            per_gib = bt["meta"] / (bt["pages"] * PAGE / GIB)
            meta[(inp, n)] = (per_gib, bt["meta"] / n)
            out("%-10s %9d %12d %14.0f %14.1f" % (inp, n, bt["meta"], per_gib,
                                                  bt["meta"] / n))
    out("")

    # ---- targets
    def largest(inp, strategy="ours", phase="walk"):
        s = sizes(inp, strategy, phase)
        return s[-1] if s else None

    n = largest("scattered", "naive")
    if n:
        o = get("scattered", n, "ours", "walk")
        b = get("scattered", n, "naive", "walk")
        if o["instr"] and b["instr"]:
            ratio = b["instr"] / o["instr"]
            targets.append(("walk: scattered order-0, naive/KHO instructions per page >= 20x (at %d pages, the largest the quadratic naive walk runs on)" % n,
                            "%.0fx" % ratio, ratio >= 20))
    for inp in inputs:
        s = sizes(inp)
        if len(s) >= 2 and s[-1] == 2 * s[-2]:
            o1 = get(inp, s[-2], "ours", "walk")["instr"]
            o2 = get(inp, s[-1], "ours", "walk")["instr"]
            if o1 and o2:
                g = o2 / o1
                targets.append(("walk: %s, linear: %d -> %d blocks costs <= 2.1x" % (inp, s[-2], s[-1]),
                                "%.3fx" % g, g <= 2.1))
    for inp in ("scattered", "dense"):
        n = largest(inp, phase="preserve-batch")
        if n:
            bt = get(inp, n, "ours", "preserve-batch")
            if bt["instr"]:
                v = bt["instr"] / n
                targets.append(("preserve: %s order-0, the tracker's part of the batch interface, <= 50 instructions per page (%d pages, userspace)" % (inp, n),
                                "%.1f" % v, v <= 50))
    # Metadata per GiB: the slope between the two largest inputs, i.e.
    # without the few interior nodes any tracker has; the figure at the
    # largest input, with them, is shown as well.
    for inp, what, bound, unit, div in (("dense", "dense order-0", 33 * 1024, "KiB/GiB", 1024),
                                        ("folio2m", "2 MiB folios", 1024, "B/GiB", 1)):
        s = sizes(inp, phase="preserve-batch")
        if not s:
            continue
        v = meta[(inp, s[-1])][0]
        slope = v
        if len(s) >= 2:
            b1 = get(inp, s[-2], "ours", "preserve-batch")
            b2 = get(inp, s[-1], "ours", "preserve-batch")
            slope = (b2["meta"] - b1["meta"]) / ((b2["pages"] - b1["pages"]) * PAGE / GIB)
        targets.append(("metadata: %s <= %d KiB/GiB (per GiB added; at %d GiB with the tracker's fixed interior nodes: %.1f %s)" % (
                            what, bound // 1024,
                            get(inp, s[-1], "ours", "preserve-batch")["pages"] * PAGE // GIB, v / div, unit),
                        "%.1f %s" % (slope / div, unit), slope <= bound))
    n = largest("sparse", phase="preserve-batch")
    if n:
        v = meta[("sparse", n)][1]
        # Bound: an isolated block costs at most its leaf plus one interior
        # node per level (4 levels at 4 KiB pages); nodes are shared.
        bound = 5 * PAGE
        targets.append(("metadata: sparse worst case (a page every 128 MiB) <= one leaf + 4 interior nodes = %d bytes per block" % bound,
                        "%.0f B/block" % v, v <= bound))

    scratch = {}
    for s in a.scratch:
        mem, path = s.split("=", 1)
        sc = parse_scratch(path) if os.path.exists(path) else None
        scratch[mem] = sc
        if sc:
            targets.append(("scratch: default on a %s guest <= half the 200%% heuristic (%d MiB)" % (mem, sc["heuristic_200pct"] >> 20),
                            "%d MiB = %.0f%%" % (sc["total"] >> 20, 100 * sc["ratio"]), sc["ratio"] <= 0.5))
        else:
            targets.append(("scratch: default on a %s guest <= half the 200%% heuristic" % mem,
                            "no scratch lines in %s" % path, False))

    if scratch:
        out("4. Default scratch (first kernel, x86_64)")
        for mem, sc in scratch.items():
            if sc:
                out("%-4s areas %s = %d MiB; boot allocations %d MiB; 200%% heuristic %d MiB" % (
                    mem, ", ".join("%s %d MiB" % (k, v >> 20) for k, v in sc["areas"].items()),
                    sc["total"] >> 20, sc["boot_allocations"] >> 20,
                    sc["heuristic_200pct"] >> 20))
        out("")
    guests = {}
    for g in a.guest:
        key, path = g.split("=", 1)
        guests.setdefault(key, []).append(parse_guest(path))
    if guests:
        out("5. QEMU x86_64 (TCG), 8 GiB host machine, 4 GiB preserved; medians of %d runs, ms" %
            max(len(v) for v in guests.values()))
        out("%-8s %5s %9s %15s %19s %9s %17s" % (
            "folios", "runs", "preserve", "kexec -s -l 0/4G", "takeover 0/4G (def)",
            "restore", "boot to init 0/4G"))
    for key, runs in guests.items():
        good = [r for r in runs if r and r["passed"] and all(k in r["gens"] for k in (0, 1, 2))]
        if not good:
            out("%-8s %5s all runs failed, logs: %s" % (key, len(runs), a.out))
            targets.append(("guest runs of %s pass" % key, "failed", False))
            continue
        def med(gen, k):
            return median([r["gens"][gen].get(k, 0) for r in good]) / 1000

        def ratio(k, g1, g0):
            return median([r["gens"][g1][k] / r["gens"][g0][k] for r in good
                           if r["gens"][g0].get(k) and r["gens"][g1].get(k)])
        load_r = ratio("load_us", 1, 0)
        boot_r = ratio("init_us", 2, 1)
        out("%-8s %5d %9.1f %7.0f/%-7.0f %6.0f/%-6.0f (%4.0f) %9.1f %8.0f/%-8.0f" % (
            key, len(good), med(1, "preserve_us"), med(0, "load_us"), med(1, "load_us"),
            med(1, "takeover_us"), med(2, "takeover_us"), med(2, "deferred_us"),
            med(2, "restore_us"), med(1, "init_us"), med(2, "init_us")))
        if key == "order0":
            targets.append(("boot with 4 GiB of order-0 pages preserved <= 1.05x the boot with nothing preserved (time to init under TCG, median of per-run ratios)",
                            "%.3fx" % boot_r, boot_r <= 1.05))
            targets.append(("kexec -s -l with 4 GiB preserved <= 1.2x with nothing preserved (time under TCG, median of per-run ratios)",
                            "%.3fx" % load_r, load_r <= 1.2))
        if len(good) < len(runs):
            targets.append(("guest runs of %s pass" % key, "%d of %d" % (len(good), len(runs)), False))
    if guests:
        out("")

    icount = {}
    for g in a.icount:
        key, path = g.split("=", 1)
        icount[key] = parse_guest(path)
    if icount:
        out("6. QEMU x86_64 under -icount shift=0 (1 ns = 1 instruction), 8 GiB, 4 GiB of order-0 pages; millions of instructions")
        out("%-8s %6s %10s %14s %18s %12s %18s" % (
            "calls", "calib", "per page", "kexec -s -l 0/4G", "takeover 0/4G", "restore/folio",
            "boot to init 0/4G"))
    for key, r in icount.items():
        g = r["gens"] if r else {}
        if not r or not r["passed"] or 1 not in g or 2 not in g or 0 not in g:
            out("%-8s run failed" % key)
            targets.append(("icount run %s passes" % key, "failed", False))
            continue
        pages = (4 << 30) // PAGE
        calib = g[1].get("calib_ns", 0) / g[1].get("calib_insns", 1)
        per_page = g[1]["preserve_us"] * 1000 / pages
        out("%-8s %6.3f %10.1f %7.0f/%-7.0f %8.0f/%-8.0f %12.1f %8.0f/%-8.0f" % (
            "single" if key == "single1" else "batch", calib, per_page,
            g[0]["load_us"] / 1000, g[1]["load_us"] / 1000,
            g[1]["takeover_us"] / 1000, g[2]["takeover_us"] / 1000,
            g[2]["restore_us"] * 1000 / pages, g[1]["init_us"] / 1000, g[2]["init_us"] / 1000))
        good = abs(calib - 1) < 0.05
        if key == "single0":
            targets.append(("preserve: order-0 pages through the batch interface, kho_preserve_folios(), <= 50 instructions per page (in the kernel, QEMU -icount)",
                            "%.1f" % per_page, per_page <= 50 and good))
            v = g[2]["init_us"] / g[1]["init_us"]
            targets.append(("boot with 4 GiB of order-0 pages preserved <= 1.05x the boot with nothing preserved (instructions to init, QEMU -icount)",
                            "%.3fx" % v, v <= 1.05 and good))
            v = g[1]["load_us"] / g[0]["load_us"]
            targets.append(("kexec -s -l with 4 GiB preserved <= 1.2x with nothing preserved (instructions, QEMU -icount)",
                            "%.3fx" % v, v <= 1.2 and good))
    if icount:
        out("")

    farms = {}
    if a.farm:
        out("7. Whole processes, farm-bench (5 pairs, medians): kho_bench -w naive (A) against -w ours (B), cpu seconds")
    for f in a.farm:
        what, path = f.split("=", 1)
        fig = {}
        if os.path.exists(path):
            with open(path) as fh:
                for line in fh:
                    m = re.match(r"(A cpu s|B cpu s|A/B cpu)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", line)
                    if m:
                        fig[m.group(1)] = float(m.group(3))
        if len(fig) == 3:
            out("%-22s naive %8.3f s  KHO %8.3f s  naive/KHO %8.1fx  (input setup included in both)" % (
                what, fig["A cpu s"], fig["B cpu s"], fig["A/B cpu"]))
        else:
            out("%-22s farm-bench gave no figures: %s" % (what, path))
        farms[what] = fig
    if a.farm:
        out("")

    # memfd live update: MODE-KIND=LOG, MODE icount or tcg, KIND 4k, thp or hugetlb
    lu = {}
    for g in a.liveupdate:
        key, path = g.split("=", 1)
        mode, kind = key.split("-", 1)
        lu.setdefault(kind, {})[mode] = parse_guest(path)
    if lu:
        out("8. memfd live update, QEMU x86_64, 8 GiB host machine, a %s memfd: PRESERVE_FD and RETRIEVE_FD alone (luoctl -t)" %
            a.liveupdate_size)
        out("   instructions under -icount shift=0, per 4 KiB page and per folio; time under TCG, ms")
        out("%-8s %8s %8s %11s %12s %11s %12s %9s %9s" % (
            "memfd", "pages", "folios", "pres/page", "pres/folio", "rest/page",
            "rest/folio", "pres ms", "rest ms"))
    lu_fig = {}
    for kind in ("4k", "thp", "hugetlb"):
        if kind not in lu:
            continue
        fig = {}
        for mode, r in lu[kind].items():
            g = r["gens"] if r else {}
            pres = g.get(0, {}).get("preserve_%s_ns" % kind)
            rest = g.get(1, {}).get("restore_%s_ns" % kind)
            if not r or not r["passed"] or pres is None or rest is None:
                fig[mode] = None
                continue
            fig[mode] = {"pages": g[1]["pages_%s" % kind],
                         "folios": g[1]["folios_%s" % kind],
                         "preserve_ns": pres, "restore_ns": rest}
        lu_fig[kind] = fig
        ic, tcg = fig.get("icount"), fig.get("tcg")
        base = ic or tcg
        cols = ["%-8s" % kind]
        cols.append("%8d %8d" % (base["pages"], base["folios"]) if base else "%8s %8s" % ("-", "-"))
        if ic:
            cols.append("%11.1f %12.1f %11.1f %12.1f" % (
                ic["preserve_ns"] / ic["pages"], ic["preserve_ns"] / ic["folios"],
                ic["restore_ns"] / ic["pages"], ic["restore_ns"] / ic["folios"]))
        else:
            cols.append("%11s %12s %11s %12s" % ("-", "-", "-", "-"))
        if tcg:
            cols.append("%9.1f %9.1f" % (tcg["preserve_ns"] / 1e6, tcg["restore_ns"] / 1e6))
        else:
            cols.append("%9s %9s" % ("-", "-"))
        out(" ".join(cols))
        for mode in ("icount", "tcg"):
            if mode in lu[kind] and not fig.get(mode):
                out("%-8s %s run failed, log: %s" % (kind, mode, a.out))
                targets.append(("memfd live update: %s run of %s passes" % (mode, kind),
                                "failed", False))
        if kind == "4k" and ic:
            v = ic["restore_ns"] / ic["pages"]
            targets.append(("memfd restore (RETRIEVE_FD), 4 KiB pages, <= 100 instructions per page (%s, QEMU -icount)" % a.liveupdate_size,
                            "%.1f" % v, v <= 100))
            v = ic["preserve_ns"] / ic["pages"]
            targets.append(("memfd preserve (PRESERVE_FD), 4 KiB pages, <= 60 instructions per page (%s, QEMU -icount)" % a.liveupdate_size,
                            "%.1f" % v, v <= 60))
        name = {"thp": "2 MiB THP", "hugetlb": "2 MiB hugetlb pages"}.get(kind)
        if name and ic:
            v = ic["restore_ns"] / ic["folios"]
            targets.append(("memfd restore (RETRIEVE_FD), %s, <= 2,000 instructions per folio (%s, QEMU -icount)" % (name, a.liveupdate_size),
                            "%.1f" % v, v <= 2000))
            if ic["folios"] * 512 != ic["pages"]:
                targets.append(("memfd %s run on 2 MiB folios only" % kind, "%d folios for %d pages" % (
                    ic["folios"], ic["pages"]), False))
    if lu:
        out("")
    restore = parallel_restore(a.restore, a.restore_size, out, targets)
    fill = parallel_fill(a.fill, a.restore_size, out, targets)
    busy = fill_busy(a.fill_busy, fill, a.restore_size, out, targets)
    # VM blackout: vm=LOG (4 GiB VM) and baseline=LOG (no VM)
    bo = {}
    for g in a.blackout:
        key, path = g.split("=", 1)
        r = parse_guest(path)
        f = r["gens"].get(1, {}) if r else {}
        bo[key] = f if r and r["passed"] and "blackout_ms" in f else None
        if bo[key] is not None:
            bo[key] = dict(bo[key], copied=jump_copy(path))
    if a.blackout:
        out("9. blackout across a host kexec, QEMU x86_64, 8 GiB host machine, TCG (vm_kexec)")
        out("%-26s %11s %14s %13s %9s %18s" % ("run", "blackout s", "stop->exec s", "kexec -l s",
                                               "after s", "copied at jump"))
        for key, what in (("vm", "VM, 4 GiB RAM (stop->tick)"), ("baseline", "no VM (->user space)")):
            f = bo.get(key)
            if f:
                c = f["copied"]
                out("%-26s %11.2f %14.2f %13.2f %9.2f %18s" % (
                    what, f["blackout_ms"] / 1e3, f["stop_to_exec_ms"] / 1e3,
                    f["kexec_load_ms"] / 1e3, f["up_ms"] / 1e3,
                    "%d of %d B" % (c[2], c[1] * 4096) if c else "-"))
            else:
                out("%-26s run failed, log: %s" % (what, a.out))
        vm, base = bo.get("vm"), bo.get("baseline")
        for key, f in (("vm", vm), ("baseline", base)):
            if f:
                c = f["copied"]
                targets.append(("bytes copied at the jump, host kexec %s, first of a chain: 0 (segments loaded in place)" % (
                    "with the VM" if key == "vm" else "with no VM"),
                                "%d" % c[2] if c else "no log line", bool(c) and c[2] == 0))
        if vm and base:
            v = vm["blackout_ms"] / base["blackout_ms"]
            targets.append(("blackout of a VM with 4 GiB of RAM across a host kexec <= 1.1x the same host kexec with no VM (TCG)",
                            "%.2fx" % v, v <= 1.1))
        else:
            targets.append(("blackout of a VM with 4 GiB of RAM across a host kexec: both runs pass",
                            "failed", False))
        out("")
    bo_runs = blackout.load_runs(a.kexec_blackout)
    bo_bars = {}
    if bo_runs:
        out("10. the kexec blackout, piece by piece (kexec_blackout; harness/blackout.py; make bench: 8 GiB guests)")
        out("    plain: kho=off; KHO empty: kho=on, nothing preserved; KHO memfd: a filled memfd")
        out("    of 4 KiB pages preserved, retrieved in the next kernel (the blackout ends there)")
        out("")
        bo_targets = [] if a.mode == "smoke" else targets
        bo_bars = blackout.report(bo_runs, out, bo_targets)
    bo_png = os.path.join(a.out, "blackout.png")
    bo_plotted = blackout.plot(bo_bars, bo_png)
    out("Targets")
    for name, val, ok in targets:
        out("  %-6s %-24s %s" % (mark(ok), val, name))

    table = "\n".join(l.rstrip() for l in lines) + "\n"
    with open(os.path.join(a.out, "table.txt"), "w") as f:
        f.write(table)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"rows": rows, "scratch": scratch, "guests": guests,
                   "farm_bench": farms,
                   "icount": icount, "liveupdate": lu_fig,
                   "parallel_restore": restore, "parallel_fill": fill,
                   "fill_busy": busy,
                   "kexec_blackout": {":".join(k): {"log": r["log"], "passed": r["passed"],
                                                    "marks": r["marks"], "problems": r["problems"]}
                                      for k, r in bo_runs.items()},
                   "targets": [{"target": t, "value": v, "met": ok}
                               for t, v, ok in targets]}, f, indent=1)

    # ---- plot: instructions per block against blocks, log-log
    dat = os.path.join(a.out, "cost.dat")
    with open(dat, "w") as f:
        for inp in inputs:
            for strategy in ("ours", "naive"):
                pts = [(n, get(inp, n, strategy, "walk")) for n in sizes(inp, strategy)]
                pts = [(n, r["instr"] / n) for n, r in pts if r and r["instr"]]
                if not pts:
                    continue
                f.write("# %s %s\n" % (inp, "KHO" if strategy == "ours" else "naive"))
                for n, v in pts:
                    f.write("%d %.2f\n" % (n, v))
                f.write("\n\n")
    png = os.path.join(a.out, "cost.png")
    plotted = False
    if shutil.which("gnuplot"):
        names = []
        with open(dat) as f:
            names = [l[2:].strip() for l in f if l.startswith("# ")]
        plots = ", ".join("'%s' index %d using 1:2 with linespoints title '%s'" % (dat, i, nm)
                          for i, nm in enumerate(names))
        script = ("set terminal png size 1000,640; set output '%s'; set logscale xy; "
                  "set xlabel 'preserved blocks'; set ylabel 'instructions per block (next kernel walk)'; "
                  "set key outside; set grid; plot %s\n" % (png, plots))
        plotted = subprocess.run(["gnuplot"], input=script, text=True).returncode == 0 and os.path.exists(png)

    if a.mode == "smoke":
        checks = [
            ("kho_bench checks passed under callgrind (KHO and naive walks end alike)", a.cg_rc == 0),
            ("kho_bench checks passed natively", a.native_rc == 0),
            ("every phase has an instruction count (%d phases%s)" % (
                len(rows), ", missing: " + " ".join(missing) if missing else ""),
             bool(rows) and not missing),
            ("table, results.json and cost.png written", plotted and bool(targets)),
        ]
        for key, r in sorted(bo_runs.items()):
            what = "kexec blackout, %s" % ":".join(key)
            checks.append(("%s: the scenario passed (log %s)" % (what, r["log"]), r["passed"]))
            checks.append(("%s: every piece marked, none going back in time%s" % (
                what, ": " + "; ".join(r["problems"]) if r["problems"] else ""),
                bool(r["pieces"]) and not r["problems"]))
        if bo_runs:
            checks.append(("kexec blackout drawn in blackout.png", bo_plotted))
        print("KTAP version 1")
        print("# bench: smoke run of make bench (small inputs), out/bench-smoke/table.txt")
        for l in lines:
            print("# " + l)
        print("1..%d" % len(checks))
        for i, (name, ok) in enumerate(checks, 1):
            print("%sok %d bench: %s" % ("" if ok else "not ", i, name))
        return 0
    sys.stdout.write(table)
    if bo_runs and not bo_plotted:
        print("bench: blackout.png not drawn")
    if missing or a.cg_rc or a.native_rc or not plotted:
        print("bench: incomplete: callgrind rc %d, native rc %d, missing %s, plot %s" % (
            a.cg_rc, a.native_rc, missing, plotted))
        return 1
    print("written: %s/table.txt results.json cost.png" % a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
