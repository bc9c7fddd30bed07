#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The kexec blackout, piece by piece, from the serial log of a
kexec_blackout run (tools/testing/selftests/kho/tests/kexec_blackout.sh).

Both kernels log the cycle counter with initcall_debug: the old one at each
step of kexec -e ("kexec_core: jump STEP cycles=N"), the new one at its boot
milestones ("boot cycles ..."), and khomark from user space ("khomark: NAME
cycles=N"). kexec resets no counter, so the marks are on one time line and
each piece is the interval between two consecutive marks: the pieces add up
to the blackout exactly. Ticks become nanoseconds at the counter rate the
kernel logged; under QEMU's -icount shift=0 a nanosecond is an instruction.

    harness/blackout.py LOG...   print the pieces of each log
    harness/blackout.py --out DIR ARCH:CLOCK:CASE:SIZE=LOG...
                                 tables, targets and stacked bars
"""

import os
import re
import subprocess
import shutil
import sys

# (piece, first mark, second mark, what it holds), in time order. A mark
# missing from a log (retrieve-* of the cases with no memfd, vm-* of those
# with no VM) skips its pieces; the blackout runs from the first mark
# present to the last.
PIECES = (
    ("VM stop, save", "vm-stop", "vm-saved",
     "QEMU stops the VM, saves its device state into a memfd, quits"),
    ("to kexec -e", "vm-saved", "exec",
     "the VM's console checked, what the next kernel's scenario needs written"),
    ("to reboot()", "exec", "reboot", "kexec -e in user space"),
    ("client freeze", "reboot", "frozen", "KHO clients freeze and sync"),
    ("device shutdown", "frozen", "devices", "reboot notifiers, device_shutdown()"),
    ("syscore shutdown", "devices", "syscore", "syscore_shutdown()"),
    ("CPUs off", "syscore", "machine_kexec", "machine_shutdown(): other CPUs stopped"),
    ("jump", "machine_kexec", "image",
     "relocation copy, purgatory (x86: sha256 of the segments), decompression"),
    ("head code", "image", "entry",
     "the new kernel's head: page tables, its own relocation (arm64; x86_64: in the jump)"),
    ("early boot", "entry", "mm", "setup_arch(), memblock, memory map"),
    ("mm_core_init", "mm", "mm_done", "KHO checks and early walk, memory to the page allocator"),
    ("to deferred init", "mm_done", "deferred", "slab, scheduler, timers, CPUs brought up"),
    ("deferred init", "deferred", "deferred_done", "deferred struct page init, KHO walk per node"),
    ("initcalls", "deferred_done", "initcalls", "drivers, KHO clients restore at boot"),
    ("to /init", "initcalls", "init", "freeing init memory"),
    ("user space up", "init", "up", "/init to the first command of the scenario"),
    ("to retrieve", "up", "retrieve-start", "the scenario's own lines"),
    ("retrieve", "retrieve-start", "retrieve-done", "RETRIEVE_FD of the memfd: its folios restored"),
    ("VMM start, load", "retrieve-done", "vm-loaded",
     "a new QEMU maps the memfd and loads the device state"),
    ("VM resume", "vm-loaded", "vm-running", "QMP cont, until QEMU's RESUME event"),
)
# Marks only some cases log: the pieces they bound are left out quietly.
OPTIONAL = ("retrieve-start", "retrieve-done", "vm-stop", "vm-saved", "vm-loaded", "vm-running")
# User-space marks of the old kernel, before the jump.
BEFORE_JUMP = ("vm-stop", "vm-saved", "exec")

BOOT = re.compile(r"boot cycles image=(\d+) entry=(\d+) mm=(\d+),(\d+) deferred=(\d+),(\d+) initcalls=(\d+)")
BOOT_INIT = re.compile(r"boot cycles init=(\d+)")
JUMP = re.compile(r"kexec_core: jump (\S+) cycles=(\d+)(?: copy=(\d+))?")
MARK = re.compile(r"khomark: (\S+) cycles=(\d+)")
WALK = re.compile(r"kho: early walk cycles=(\d+),(\d+)")
# The counter's rate, as each architecture logs it.
RATES = (
    (re.compile(r"arch_timer: cp15 timer\(s\) running at ([\d.]+)MHz"), 1e6),
    (re.compile(r"tsc: Refined TSC clocksource calibration: ([\d.]+) MHz"), 1e6),
    (re.compile(r"tsc: Detected ([\d.]+) MHz processor"), 1e6),
)


def parse(path):
    """The marks of the first kexec of a log, as {mark: ticks}, with
    "hz", "copy" (bytes copied at the jump) and "walk" (the KHO early walk,
    ticks) when logged; None when the log has no kexec marks."""
    marks, jumped, hz = {}, False, None
    try:
        f = open(path, errors="replace")
    except OSError:
        return None
    with f:
        for line in f:
            for rx, mul in RATES:
                m = rx.search(line)
                if m:
                    # The refined TSC rate wins over the first estimate.
                    if hz is None or "Refined" in rx.pattern:
                        hz = float(m.group(1)) * mul
            m = JUMP.search(line)
            if m:
                marks[m.group(1)] = int(m.group(2))
                if m.group(3) is not None:
                    marks["copy"] = int(m.group(3))
                jumped = m.group(1) == "machine_kexec" or jumped
                continue
            m = MARK.search(line)
            if m and (jumped or m.group(1) in BEFORE_JUMP):
                marks[m.group(1)] = int(m.group(2))
                continue
            if not jumped:
                continue
            m = BOOT.search(line)
            if m:
                for k, v in zip(("image", "entry", "mm", "mm_done", "deferred",
                                 "deferred_done", "initcalls"), m.groups()):
                    marks[k] = int(v)
                # No image mark (x86_64): the jump runs to start_kernel().
                if not marks["image"]:
                    marks["image"] = marks["entry"]
                continue
            m = BOOT_INIT.search(line)
            if m:
                marks["init"] = int(m.group(1))
                continue
            m = WALK.search(line)
            if m:
                marks["walk"] = int(m.group(2)) - int(m.group(1))
    if "machine_kexec" not in marks:
        return None
    marks["hz"] = hz
    return marks


def pieces(marks):
    """[(piece, ticks, what)] in time order, and the problems found: a
    mark missing or a piece that goes back in time."""
    out, problems = [], []
    for name, a, b, what in PIECES:
        if a not in marks or b not in marks:
            missing = b if a in marks else a
            if missing not in OPTIONAL:
                problems.append("%s: mark %s missing" % (name, missing))
            continue
        d = marks[b] - marks[a]
        if d < 0:
            problems.append("%s: %s is before %s" % (name, b, a))
        out.append((name, d, what))
    return out, problems


def ns(ticks, marks):
    """Ticks in nanoseconds (instructions under -icount shift=0)."""
    return ticks * 1e9 / marks["hz"] if marks.get("hz") else None


def describe(path):
    marks = parse(path)
    if not marks:
        return ["%s: no kexec marks (boot with initcall_debug)" % path]
    ps, problems = pieces(marks)
    total = sum(d for _, d, _ in ps)
    lines = ["%s: counter %s MHz, %s bytes copied at the jump" % (
        path, "%.3f" % (marks["hz"] / 1e6) if marks.get("hz") else "?",
        marks.get("copy", "?"))]
    for name, d, what in ps:
        lines.append("  %-18s %14d ticks %12.0f ns  %5.1f%%  %s" % (
            name, d, ns(d, marks) or 0, 100.0 * d / total if total else 0, what))
    lines.append("  %-18s %14d ticks %12.0f ns" % ("blackout", total, ns(total, marks) or 0))
    if "walk" in marks:
        lines.append("  of mm_core_init: KHO early walk %d ticks" % marks["walk"])
    lines += ["  problem: " + p for p in problems]
    return lines


CASES = (("plain", "plain"), ("empty", "KHO empty"), ("memfd", "KHO memfd"),
         ("hugetlb", "KHO hugetlb"), ("plainvm", "plain VM initrd"), ("vm", "KHO VM"))
# Pieces that may grow with preserved memory.
GROWING = ("client freeze", "mm_core_init", "deferred init", "initcalls", "retrieve")


def load_runs(specs):
    """--kexec-blackout ARCH:CLOCK:CASE:SIZE[:RUN]=LOG arguments, parsed:
    {(arch, clock, case, size): {"log", "passed", "marks", "pieces",
    "problems", "totals"}}. Of several runs of a case, the one of the
    median blackout stands for it (the lower of the two middle ones);
    "totals" holds the blackout of every run that passed, and a run that
    failed is a problem of the case."""
    groups = {}
    for spec in specs:
        key, path = spec.split("=", 1)
        arch, clock, case, size = key.split(":")[:4]
        r = {"log": path, "passed": False, "marks": parse(path)}
        try:
            with open(path + ".ktap") as f:
                r["passed"] = any(l.startswith("ok 1 ") for l in f)
        except OSError:
            pass
        if r["marks"]:
            r["pieces"], r["problems"] = pieces(r["marks"])
        else:
            r["pieces"], r["problems"] = [], ["no kexec marks in the log"]
        groups.setdefault((arch, clock, case, size), []).append(r)
    runs = {}
    for k, rs in groups.items():
        ok = sorted((r for r in rs if figure(r) is not None and not r["problems"]),
                    key=figure)
        if not ok:
            runs[k] = dict(rs[0], totals=[])
            continue
        runs[k] = dict(ok[(len(ok) - 1) // 2], totals=[figure(r) for r in ok])
        bad = [r["log"] for r in rs if all(r is not o for o in ok)]
        if bad:
            runs[k]["problems"] = runs[k]["problems"] + [
                "%d of %d runs failed: %s" % (len(bad), len(rs), " ".join(bad))]
    return runs


def figure(r, name=None):
    """A run's piece (or blackout, name None) in ns, None if unknown."""
    if not r or not r["passed"] or not r["marks"] or not r["marks"].get("hz"):
        return None
    if name is None:
        return ns(sum(d for _, d, _ in r["pieces"]), r["marks"])
    for n, d, _ in r["pieces"]:
        if n == name:
            return ns(d, r["marks"])
    return 0.0


def columns(runs, arch, clock):
    """[(heading, run)] of one table, in case order."""
    cols = []
    for case, heading in CASES:
        for k in sorted((k for k in runs if k[:3] == (arch, clock, case)),
                        key=lambda k: -size_bytes(k[3])):
            cols.append((heading + (" " + k[3] if case in ("memfd", "hugetlb", "vm") else ""), runs[k]))
    return cols


def size_bytes(s):
    return int(s[:-1]) << {"K": 10, "M": 20, "G": 30}.get(s[-1], 0) \
        if s[-1] in "KMG" else int(s)


def report(runs, out, targets):
    """The tables of the blackout (section 10 of make bench) and its
    targets; the stacked bars' data as {(arch, clock): [(heading, {piece:
    value})]}."""
    bars = {}
    archs = sorted({k[0] for k in runs}, reverse=True)
    for arch in archs:
        for clock, unit, scale in (("icount", "M instructions", 1e6), ("tcg", "ms", 1e6)):
            cols = columns(runs, arch, clock)
            if not cols:
                continue
            out("%s, %s: %s (QEMU %s)" % (arch, "-icount shift=0" if clock == "icount" else "TCG",
                                         unit, "instructions" if clock == "icount" else "time"))
            out("%-18s" % "piece" + "".join("%16s" % h for h, _ in cols))
            for name, _, _, _ in PIECES:
                vals = [figure(r, name) for _, r in cols]
                out("%-18s" % name + "".join(
                    "%16s" % ("-" if v is None else "%.1f" % (v / scale)) for v in vals))
            vals = [figure(r) for _, r in cols]
            out("%-18s" % "blackout" + "".join(
                "%16s" % ("failed" if v is None else "%.1f" % (v / scale)) for v in vals))
            out("%-18s" % "copied at jump B" + "".join(
                "%16s" % (r["marks"].get("copy", "-") if r["marks"] else "-") for _, r in cols))
            if any(len(r["totals"]) > 1 for _, r in cols):
                out("%-18s" % "runs: min-max" + "".join(
                    "%16s" % ("%d: %.0f-%.0f" % (len(r["totals"]), min(r["totals"]) / scale,
                                                 max(r["totals"]) / scale)
                              if r["totals"] else "-") for _, r in cols))
                out("  (each column is its run of the median blackout)")
            out("")
            bars[(arch, clock)] = [(h, {n: (figure(r, n) or 0) / scale for n, _, _, _ in PIECES})
                                   for h, r in cols if figure(r) is not None]
            for h, r in cols:
                if r["problems"] or not r["passed"]:
                    out("  %s: %s (log %s)" % (h, "; ".join(r["problems"]) or "scenario failed", r["log"]))
        # BENCH_BO_VM_ONLY=1: the VM and its plain kexec alone, no
        # target of the other cases.
        vm_only = not any(k[0] == arch and k[2] not in ("vm", "plainvm") for k in runs)
        big = max((k for k in runs if k[:3] == (arch, "icount", "memfd")),
                  key=lambda k: size_bytes(k[3]), default=None)
        plain = runs.get((arch, "icount", "plain", "64M"))
        empty = runs.get((arch, "icount", "empty", "64M"))
        mem = runs.get(big) if big else None
        if mem and plain and figure(mem) and figure(plain):
            v = figure(mem) / figure(plain)
            targets.append(("blackout, KHO with a %s memfd <= 1.05x a plain kexec (%s, instructions)" % (
                big[3], arch), "%.2fx" % v, v <= 1.05))
        elif not vm_only:
            targets.append(("blackout, KHO with a memfd against a plain kexec (%s): both runs pass" % arch,
                            "failed", False))
        huge = max((k for k in runs if k[:3] == (arch, "icount", "hugetlb")),
                   key=lambda k: size_bytes(k[3]), default=None)
        if huge:
            v = figure(runs[huge]), figure(plain) if plain else None
            ok = bool(v[0] and v[1])
            targets.append(("blackout, KHO with a %s memfd of 2 MiB hugetlb pages <= 1.05x a plain kexec (%s, instructions)" % (
                huge[3], arch), "%.2fx" % (v[0] / v[1]) if ok else "failed", ok and v[0] / v[1] <= 1.05))
        vm = max((k for k in runs if k[:3] == (arch, "icount", "vm")),
                 key=lambda k: size_bytes(k[3]), default=None)
        if vm:
            # Against a plain kexec of the same initramfs.
            pvm = runs.get((arch, "icount", "plainvm", "64M"))
            v = figure(runs[vm]), figure(pvm) if pvm else None
            ok = bool(v[0] and v[1])
            targets.append(("blackout, a VM with %s of RAM (stop to running) <= 1.05x a plain kexec of the same initramfs (%s, instructions)" % (
                vm[3], arch), "%.2fx" % (v[0] / v[1]) if ok else "failed", ok and v[0] / v[1] <= 1.05))
        for case, r in (("nothing preserved", empty), ("a memfd", mem)) if not vm_only else ():
            c = r["marks"].get("copy") if r and r["marks"] else None
            targets.append(("bytes copied at the jump, KHO with %s: 0 (%s)" % (case, arch),
                            "%s" % ("no mark" if c is None else c), c == 0))
        if arch == "arm64":
            j, j0 = figure(empty, "jump"), figure(plain, "jump")
            ok = bool(j and j0)
            targets.append(("arm64 jump (machine_kexec to the next kernel's entry) with KHO <= 0.1x a plain kexec",
                            "%.3fx" % (j / j0) if ok else "failed", ok and j / j0 <= 0.1))
        small = runs.get((arch, "icount", "memfd", "1G"))
        if big and big[3] != "1G" and small and figure(small) and mem and figure(mem) and empty and figure(empty):
            ratio = size_bytes(big[3]) / size_bytes("1G")
            worst, why = 0.0, "no piece grows"
            for name in GROWING:
                d1 = figure(small, name) - figure(empty, name)
                d4 = figure(mem, name) - figure(empty, name)
                # Only pieces that grow by more than 1% of the blackout.
                if d4 <= 0.01 * figure(empty):
                    continue
                g = d4 / d1 / ratio if d1 > 0 else float("inf")
                if g > worst:
                    worst, why = g, name
            targets.append(("no piece grows faster than linearly with preserved memory, 1G to %s (%s; growth over size ratio <= 1.25)" % (
                big[3], arch), "%.2f (%s)" % (worst, why), worst <= 1.25))
    return bars


def plot(bars, png):
    """Stacked bars, one per case, one panel per architecture and clock.
    True when gnuplot wrote @png."""
    if not bars or not shutil.which("gnuplot"):
        return False
    dat = os.path.splitext(png)[0] + ".dat"
    names = [p[0] for p in PIECES]
    script = ["set terminal png size 1400,%d" % (420 * ((len(bars) + 1) // 2)),
              "set output '%s'" % png,
              "set multiplot layout %d,2" % ((len(bars) + 1) // 2),
              "set style data histograms", "set style histogram rowstacked",
              "set style fill solid border -1", "set boxwidth 0.6",
              "set key outside right font ',8'", "set datafile separator '\\t'",
              "set termoption noenhanced", "set xtics font ',9' rotate by -20"]
    # One colour per piece, in time order: the VM's stop purples, shutdown
    # reds, the jump grey, boot blues and greens, user space yellows, the
    # VM's resume magentas.
    colours = ("#54278f", "#9e9ac8",
               "#7f0000", "#b30000", "#e34a33", "#fc8d59", "#fdbb84", "#636363",
               "#08306b", "#2171b5", "#6baed6", "#00441b", "#41ab5d", "#a1d99b",
               "#cc9900", "#ffdd55", "#fff3a0", "#e7298a", "#7a0177", "#c51b8a")
    script += ["set linetype %d lc rgb '%s'" % (i + 1, c) for i, c in enumerate(colours)]
    with open(dat, "w") as f:
        order = sorted(bars.items(), key=lambda kv: (kv[0][0] != "x86_64", kv[0][1] != "icount"))
        for i, ((arch, clock), cols) in enumerate(order):
            f.write("case\t" + "\t".join(names) + "\n")
            for h, v in cols:
                f.write(h + "\t" + "\t".join("%.3f" % v[n] for n in names) + "\n")
            f.write("\n\n")
            script.append("set title '%s, %s'" % (arch, "-icount shift=0" if clock == "icount" else "TCG"))
            script.append("set ylabel '%s'" % ("M instructions" if clock == "icount" else "ms"))
            script.append("plot " + ", ".join(
                "'%s' index %d using %d:xtic(1) title columnheader(%d)" % (dat, i, c + 2, c + 2)
                for c in range(len(names))))
    script.append("unset multiplot")
    ok = subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True).returncode == 0
    return ok and os.path.exists(png)


def main(argv):
    """blackout.py LOG...: the pieces of each log.
    blackout.py --out DIR SPEC...: the tables and targets of SPECs
    (ARCH:CLOCK:CASE:SIZE=LOG) in DIR/blackout.txt, the bars in
    DIR/blackout.png; exit 1 when a run failed or the plot is missing."""
    if len(argv) > 2 and argv[1] == "--out":
        runs = load_runs(argv[3:])
        lines, targets = [], []
        bars = report(runs, lines.append, targets)
        plotted = plot(bars, os.path.join(argv[2], "blackout.png"))
        lines.append("Targets")
        for name, val, ok in targets:
            lines.append("  %-6s %-24s %s" % ("met" if ok else "MISSED", val, name))
        text = "\n".join(l.rstrip() for l in lines) + "\n"
        with open(os.path.join(argv[2], "blackout.txt"), "w") as f:
            f.write(text)
        sys.stdout.write(text)
        failed = [r["log"] for r in runs.values() if not r["passed"] or r["problems"]]
        for log in failed:
            print("failed or incomplete: %s" % log)
        return 1 if failed or not plotted else 0
    if len(argv) < 2:
        print(main.__doc__, file=sys.stderr)
        return 2
    for p in argv[1:]:
        print("\n".join(describe(p)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
