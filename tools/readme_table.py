#!/usr/bin/env python3
"""The README's heap table: for every corpus program (tests/wasm/corpus/manifest.json) its
size, the smallest heap it runs in for each board and runtime form, and RAM by category. The
table sits in README.md between the BEGIN and END markers below and is rendered from
tests/wasm/corpus/heap.json; --measure makes that file with tools/heap_report.py (32-bit unix
port builds; about 16 minutes on 2 cores, most of it the Rust programs bisected in the esp32's
and esp32c3's small code caches, where they lower their functions many times over).

    tools/readme_table.py --measure [--jobs 2]   # measure, write heap.json, rewrite the README
    tools/readme_table.py                        # rewrite the README's table from heap.json
    tools/readme_table.py --check                # exit 1 if the README's table is not heap.json's,
                                                 # or heap.json was measured with other limits
"""
import argparse
import concurrent.futures
import json
import os
import sys
import textwrap

import heap_report

REPO = heap_report.REPO
README = os.path.join(REPO, "README.md")
HEAP_JSON = os.path.join(heap_report.CORPUS, "heap.json")
BEGIN = "<!-- heap-table:begin (tools/readme_table.py writes this table) -->"
END = "<!-- heap-table:end -->"
# (board, runtime form): the table's heap columns.
CONFIGS = [("rp2040", "frozen"), ("rp2040", "mpy"), ("rp2350", "frozen"), ("rp2350", "mpy"),
           ("esp32", "frozen"), ("esp32c3", "frozen"), ("esp32c3", "mpy")]
# Where RAM by category is measured: the first column's configuration.
RAM_CONFIG = CONFIGS[0]
STEP = 4  # KiB: the bisection's step
# RAM by category (heap_report.measure's keys, summed), in the table's order.
CATEGORIES = [("runtime", ("runtime",)), ("module records", ("module",)),
              ("lowered code", ("code_cap",)), ("linear memory", ("linear",)),
              ("register file", ("regs",)), ("other", ("wasi", "other"))]
FORM_NAMES = {"frozen": "frozen", "mpy": ".mpy"}


def board(name):
    with open(os.path.join(REPO, "boards", name + ".json")) as f:
        return json.load(f)


def board_facts():
    """{board: {heap_bytes, limits}} for the boards in CONFIGS, as boards/*.json give them:
    the limits a run has (native_bytes is put --native's, which these runs do not use)."""
    out = {}
    for b in sorted(set(b for b, _ in CONFIGS)):
        limits = dict(board(b)["limits"])
        limits.pop("native_bytes", None)
        out[b] = {"heap_bytes": board(b)["heap_bytes"], "limits": limits}
    return out


def measure(jobs, mp_dir):
    """heap.json's content: every corpus program through the board runner in each of CONFIGS
    (the smallest heap, bisected) and RAM by category in RAM_CONFIG."""
    sys.path.insert(0, REPO)
    from host_tools.commands import compile_runtime
    exes = {"frozen": heap_report.build(mp_dir, "--32bit", "--frozen"),
            "mpy": heap_report.build(mp_dir, "--32bit")}
    mpy = {"frozen": None, "mpy": compile_runtime("x86")}
    with open(os.path.join(heap_report.CORPUS, "manifest.json")) as f:
        names = [p["name"] for p in json.load(f)["programs"]]
    progs = heap_report.programs(set(names))

    def one(job):
        p, (b, form), ram = job
        flash = heap_report.Flash(b, mpy[form])
        try:
            if ram:
                return job, heap_report.measure(exes[form], flash, p)
            return job, {"heap": heap_report.smallest(exes[form], flash, p, "run", STEP),
                         "over_memory": flash.over_memory(p)}
        finally:
            flash.close()

    work = [(p, c, False) for p in progs for c in CONFIGS] + [(p, RAM_CONFIG, True)
                                                               for p in progs]
    rows = {p["name"]: {"name": p["name"], "language": p["language"],
                        "size": os.path.getsize(p["wasm"]), "heaps": {}, "over_memory": []}
            for p in progs}
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for (p, (b, form), ram), got in pool.map(one, work):
            row = rows[p["name"]]
            if ram:
                if "error" in got:
                    sys.exit("readme_table: %s failed in an ample heap: %s" % (p["name"],
                                                                               got["error"]))
                row["ram"] = {label: sum(got[k] for k in keys) for label, keys in CATEGORIES}
                row["ram"]["total"] = got["live_end"]
                row["lowered_used"] = got["code_used"]
            else:
                row["heaps"]["%s/%s" % (b, form)] = got["heap"]
                if got["over_memory"] and b not in row["over_memory"]:
                    row["over_memory"].append(b)
            print("measured %s on %s %s%s" % (p["name"], b, form, " (RAM)" if ram else ""),
                  file=sys.stderr)
    return {"about": "Written by tools/readme_table.py --measure (tools/heap_report.py on the "
                     "32-bit unix port): heaps in KiB, the smallest (in %d KiB steps) that runs "
                     "the program through the board runner with exact output; RAM in bytes "
                     "after the run, %s %s." % (STEP, RAM_CONFIG[0], RAM_CONFIG[1]),
            "configs": ["%s/%s" % c for c in CONFIGS], "step_kib": STEP,
            "ram_config": "%s/%s" % RAM_CONFIG, "boards": board_facts(),
            "programs": [rows[n] for n in names if n in rows]}


def kib(n):
    return "%.1f" % (n / 1024.0)


def render(data):
    """The README block (markers included) for heap.json's content."""
    boards = data["boards"]
    heads = []
    for c in data["configs"]:
        b, form = c.split("/")
        heads.append("%s %s" % (b, FORM_NAMES[form]))
    lines = [
        BEGIN,
        "| program | language | .wasm KB | %s | %s | total |" % (
            " | ".join(heads), " | ".join(label for label, _ in CATEGORIES)),
        "|---|---|" + "---:|" * (2 + len(heads) + len(CATEGORIES)),
    ]
    for r in data["programs"]:
        cells = []
        for c in data["configs"]:
            h = r["heaps"].get(c)
            cell = ">%d" % heap_report.MAX_HEAP if h is None else "%d" % h
            cells.append(cell + (" \\*" if c.split("/")[0] in r["over_memory"] else ""))
        lines.append("| %s | %s | %.1f | %s | %s | %s |" % (
            r["name"], r["language"], r["size"] / 1000.0, " | ".join(cells),
            " | ".join(kib(r["ram"][label]) for label, _ in CATEGORIES),
            kib(r["ram"]["total"])))
    heap_of = ", ".join("%s %d" % (b, boards[b]["heap_bytes"] // 1024) for b in sorted(boards))
    memory_of = ", ".join("%s %d" % (b, boards[b]["limits"]["max_memory"] // 1024)
                          for b in sorted(boards))
    lines += [""] + textwrap.wrap(
        "Heaps: the smallest (KiB, in %d KiB steps) that runs the program through the board "
        "runner with exact output on the 32-bit unix port, with the board's limits "
        "(boards/*.json) and the runtime frozen or as `.mpy`; the boards' free heap: %s KiB. "
        "\\* needs more linear memory than the board's max_memory (%s KiB): measured with "
        "what it needs; on the board it traps. RAM by category: KiB live after the run "
        "(`gc.mem_alloc()`), %s limits, runtime %s; lowered code is the array reserved "
        "(at most the board's code_cache); other is the WASI host and the rest of the "
        "instance. Written by `tools/readme_table.py` from `tests/wasm/corpus/heap.json` "
        "(`--measure` re-measures)." % (
            data["step_kib"], heap_of, memory_of, data["ram_config"].split("/")[0],
            FORM_NAMES[data["ram_config"].split("/")[1]]), 96, break_on_hyphens=False) + [END]
    return "\n".join(lines)


def replace_block(text, block):
    """text with the block between BEGIN and END (markers included) replaced."""
    i = text.find(BEGIN)
    j = text.find(END)
    if i < 0 or j < i:
        raise ValueError("README.md has no %s ... %s block" % (BEGIN, END))
    return text[:i] + block + text[j + len(END):]


def problems(data, readme_text):
    """[why the README's table is not current]: empty when it is."""
    out = []
    if data["boards"] != board_facts():
        out.append("tests/wasm/corpus/heap.json was measured with other board limits or "
                   "heaps than boards/*.json give now: re-measure (tools/readme_table.py "
                   "--measure)")
    if data["configs"] != ["%s/%s" % c for c in CONFIGS]:
        out.append("tests/wasm/corpus/heap.json has other columns than tools/readme_table.py: "
                   "re-measure")
    try:
        if replace_block(readme_text, render(data)) != readme_text:
            out.append("README.md's heap table differs from tests/wasm/corpus/heap.json: "
                       "run tools/readme_table.py")
    except ValueError as e:
        out.append(str(e))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--measure", action="store_true", help="measure and write heap.json first")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if the README's table is not heap.json's")
    ap.add_argument("--json", default=HEAP_JSON, help="the measurements (default: %(default)s)")
    ap.add_argument("--jobs", type=int, default=2, help="runs at once when measuring")
    ap.add_argument("--mp-dir")
    a = ap.parse_args()
    if a.measure and a.check:
        ap.error("--measure and --check do not go together")
    if a.measure:
        data = measure(a.jobs, a.mp_dir)
        with open(a.json, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
    try:
        with open(a.json) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit("error: cannot read %s: %s" % (a.json, e))
    with open(README) as f:
        text = f.read()
    if a.check:
        found = problems(data, text)
        for line in found:
            print("error: " + line, file=sys.stderr)
        sys.exit(1 if found else 0)
    try:
        new = replace_block(text, render(data))
    except ValueError as e:
        sys.exit("error: %s" % e)
    if new != text:
        with open(README, "w") as f:
            f.write(new)
    print("README.md: heap table from %s" % os.path.relpath(a.json, REPO))


if __name__ == "__main__":
    main()
