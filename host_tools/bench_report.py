"""Derived figures (instructions/s, ratios, geometric means, targets) and the text table for
host_tools/bench.py's report."""
import math

STARTUP_ONLY = ("hello",)  # too short to time execution: left out of run-speed means
OWN_SCORE = ("coremark",)  # reported as its own score, left out of the means too
TARGET_MIPS_PROGRAMS = ("fib", "sieve", "crc32", "hash", "memops")


def geomean(values):
    values = [v for v in values if v]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def _runtime(entry):
    return entry if entry.get("ok") and entry.get("run_s") else None


def summarise(report, active):
    """Add per-entry minstr_s / vs_pywasm / vs_wasm3 and the report's summary sections."""
    progs = report["programs"]
    for res in progs.values():
        n = res.get("instructions")
        rts = res["runtimes"]
        for e in rts.values():
            if not _runtime(e):
                continue
            if n:
                e["minstr_s"] = n / e["run_s"] / 1e6
            for peer in ("pywasm", "wasm3"):
                p = _runtime(rts.get(peer, {}))
                if p:
                    e["vs_" + peer] = p["run_s"] / e["run_s"]
    timed = [p for p in progs if p not in STARTUP_ONLY and p not in OWN_SCORE]
    means = {}
    for rt in active:
        entries = [progs[p]["runtimes"].get(rt, {}) for p in timed]
        m = {}
        for key in ("run_s", "minstr_s", "vs_pywasm", "vs_wasm3"):
            vals = [e[key] for e in entries if e.get(key)]
            m[key] = geomean(vals)
            m[key + "_programs"] = len(vals)
        m["startup_s"] = geomean([progs[p]["runtimes"][rt].get("startup_s") for p in progs
                                  if rt in progs[p]["runtimes"]])
        means[rt] = m
    report["geomean"] = means
    report["geomean_note"] = ("over programs other than %s, where the runtime (and the peer, "
                              "for ratios) verified; vs_X = X's run_s / this run_s"
                              % ",".join(STARTUP_ONLY))

    ratios = {}
    for p in timed:
        v = _runtime(progs[p]["runtimes"].get("mpy", {}))
        nv = _runtime(progs[p]["runtimes"].get("mpy-noviper", {}))
        if v and nv:
            ratios[p] = nv["run_s"] / v["run_s"]
    report["viper_vs_noviper"] = {"per_program": ratios, "geomean": geomean(ratios.values())}

    lowering = {}
    for rt in active:
        per = {}
        kb = secs = 0.0
        for p, res in progs.items():
            e = res["runtimes"].get(rt, {})
            if e.get("lower_kb_s"):
                per[p] = e["lower_kb_s"]
                kb += res["code_bytes"] / 1000
                secs += e["lower_s"]
        if per:
            lowering[rt] = {"per_program": per, "overall": kb / secs}
    report["lowering_kb_s"] = lowering

    hello = progs.get("hello", {}).get("runtimes", {}).get("mpy", {})
    if _runtime(hello):
        report["hello_mpy_ms"] = dict((k[:-2], hello[k] * 1000) for k in
                                      ("startup_s", "run_s", "import_s", "wall_s") if k in hello)
    report["targets"] = targets(report)


def targets(report):
    """[{name, target, measured, met}]: met is None where nothing was measured."""
    out = []
    g = report["geomean"].get("cpython", {}).get("vs_pywasm")
    out.append({"name": "wasi_micro on CPython vs pywasm, geomean speedup", "target": ">= 10x",
                "measured": g, "met": None if g is None else g >= 10})
    progs = report["programs"]
    mips = {}
    for p in TARGET_MIPS_PROGRAMS:
        e = progs.get(p, {}).get("runtimes", {}).get("mpy", {})
        if e.get("minstr_s"):
            mips[p] = e["minstr_s"]
    out.append({"name": "MicroPython+viper M wasm instr/s on " + ",".join(TARGET_MIPS_PROGRAMS),
                "target": ">= 30 each", "measured": mips,
                "met": (min(mips.values()) >= 30) if len(mips) == len(TARGET_MIPS_PROGRAMS)
                else None})
    v = report["viper_vs_noviper"]["geomean"]
    out.append({"name": "viper vs no-viper speedup, geomean", "target": ">= 5x", "measured": v,
                "met": None if v is None else v >= 5})
    h = report.get("hello_mpy_ms")
    ms = h["startup"] + h["run"] if h else None
    out.append({"name": "hello under MicroPython: startup + _start (ms; import not included)",
                "target": "< 30", "measured": ms, "met": None if ms is None else ms < 30})
    mem = report.get("memory") or {}
    e = mem.get("declared_4gib", {}).get("cpython", {})
    mb = e.get("maxrss_mb")
    out.append({"name": "CPython peak RSS with a declared 4 GiB memory, unwritten (MB)",
                "target": "< 100", "measured": mb, "met": None if mb is None else mb < 100})
    for rt in ("cpython", "mpy"):
        e = mem.get("grow", {}).get(rt, {})
        s = e.get("run_s")
        n = "{:,}".format(e["pages"]) if "pages" in e else "N"
        out.append({"name": "%s: %s one-page memory.grow calls (s)" % (
            "CPython" if rt == "cpython" else "MicroPython", n),
            "target": "< 5", "measured": s, "met": None if s is None else s < 5})
    return out


# -- text -------------------------------------------------------------------------------------

def _num(x):
    if x is None:
        return "-"
    if x >= 1000:
        return "%.0f" % x
    return "%.3g" % x


def _cell(entry, key, scale=1.0):
    if not entry:
        return "-"
    if not entry.get("ok"):
        s = entry.get("status", "")
        return "WRONG" if s.startswith("wrong") else "ERROR"
    v = entry.get(key)
    return _num(v * scale) if v is not None else "-"


def progress_line(prog, res, active):
    parts = ["%-7s %-14s" % (prog, " ".join(res["args"]))]
    for rt in active:
        parts.append("%s %s" % (rt, _cell(res["runtimes"].get(rt), "run_s")))
    return "  ".join(parts)


def _grid(report, active, title, key, scale=1.0, mean_key=None):
    progs = report["programs"]
    w = max([11] + [len(r) + 1 for r in active])
    lines = [title, "%-8s %-14s %12s" % ("program", "args", "instrs") +
             "".join("%*s" % (w, r) for r in active)]
    for p, res in progs.items():
        n = res.get("instructions")
        row = "%-8s %-14s %12s" % (p, " ".join(res["args"]), "{:,}".format(n) if n else "-")
        row += "".join("%*s" % (w, _cell(res["runtimes"].get(rt), key, scale)) for rt in active)
        lines.append(row)
    if mean_key:
        row = "%-8s %-14s %12s" % ("geomean", "", "")
        row += "".join("%*s" % (w, _num(report["geomean"][rt].get(mean_key)))
                       for rt in active)
        lines.append(row)
    return "\n".join(lines)


def table(report, active):
    out = []
    checked = sorted(set(r["checked_against"] for r in report["programs"].values()))
    out.append("wasi_micro %s bench: scale %g, median of %d runs, outputs checked against %s"
               % (report["wasi_micro"], report["scale"], report["runs"], ", ".join(checked)))
    out.append("micropython -X heapsize=%s; runtimes: " % report["mpy_heap"] + ", ".join(
        "%s %s" % (r, v["version"] if v["status"] == "ok" else "(%s)" % v["status"])
        for r, v in report["runtimes"].items()))
    out.append("")
    out.append(_grid(report, active, "run s (_start to exit, in process; native: whole process)",
                     "run_s", mean_key="run_s"))
    out.append("")
    out.append(_grid(report, active, "M wasm instructions/s", "minstr_s", mean_key="minstr_s"))
    out.append("")
    out.append(_grid(report, active, "startup ms (read+decode+validate+instantiate: before "
                     "_start; functions lower lazily inside _start)", "startup_s", 1000))
    for peer in ("pywasm", "wasm3"):
        if peer in active:
            out.append("")
            out.append(_grid(report, active, "speedup vs %s (x, its run s / this run s)" % peer,
                             "vs_" + peer, mean_key="vs_" + peer))
    out.append("(geomeans leave out %s)" % ",".join(STARTUP_ONLY + OWN_SCORE))
    cm = report["programs"].get("coremark")
    if cm:
        out.append("")
        out.append("CoreMark (%s iterations / run s): " % cm["args"][3] + ", ".join(
            "%s %s" % (rt, _cell(cm["runtimes"].get(rt), "coremark")) for rt in active
            if rt in cm["runtimes"]))
    v = report["viper_vs_noviper"]
    if v["per_program"]:
        out.append("")
        out.append("viper vs no-viper (MicroPython run s ratio): geomean %s; %s" % (
            _num(v["geomean"]), ", ".join("%s %s" % (p, _num(r))
                                           for p, r in v["per_program"].items())))
    if report["lowering_kb_s"]:
        parts = []
        for rt, x in report["lowering_kb_s"].items():
            per = x["per_program"].values()
            parts.append("%s %s (min %s, max %s)" % (rt, _num(x["overall"]), _num(min(per)),
                                                     _num(max(per))))
        out.append("lowering (every function, eagerly), KB of code section/s: "
                   + "; ".join(parts))
    h = report.get("hello_mpy_ms")
    if h:
        out.append("hello under MicroPython: startup %s ms + _start %s ms; import of wasi_micro "
                   "from source %s ms; whole process %s ms" % (
                       _num(h["startup"]), _num(h["run"]), _num(h.get("import")),
                       _num(h.get("wall"))))
    mem = report.get("memory")
    if mem:
        out.append("")
        out.append("linear memory (times: median of %d runs; RSS: the highest):" % report["runs"])
        for rt, e in mem["declared_4gib"].items():
            out.append("  %-11s declared 4 GiB memory, unwritten: peak RSS %s MB (%s MB before "
                       "instantiating), instantiate %s ms" % (
                           rt, _num(e.get("maxrss_mb")), _num(e.get("maxrss_mb_loaded")),
                           _num(e["startup_s"] * 1000)) if e["ok"] else
                       "  %-11s declared 4 GiB memory: %s" % (rt, e["status"]))
        for rt, e in mem["grow"].items():
            heap = " (heap %s)" % e["heap"] if "heap" in e else ""
            out.append("  %-11s %s one-page grows%s: %s" % (
                rt, "{:,}".format(e["pages"]), heap,
                "%s s" % _num(e["run_s"]) if e["ok"] else e["status"]))
    out.append("")
    out.append("targets:")
    for t in report["targets"]:
        m = t["measured"]
        if isinstance(m, dict):
            m = ", ".join("%s %s" % (k, _num(x)) for k, x in m.items()) or None
        elif m is not None:
            m = _num(m)
        verdict = {True: "met", False: "NOT met", None: "not measured"}[t["met"]]
        out.append("  %-72s %-10s %-8s %s" % (t["name"], t["target"], verdict, m or ""))
    if report["failures"]:
        out.append("")
        out.append("FAILURES (%d):" % len(report["failures"]))
        out.extend("  " + f for f in report["failures"])
    return "\n".join(out)
