#!/usr/bin/env python3
"""Where a board's heap goes: runs the corpus (tests/wasm/corpus/manifest.json) and the bench
programs through the board runner (firmware/wasi_run.py) on the 32-bit MicroPython unix port
with a board's limits (boards/BOARD.json), the runtime frozen and as .mpy, and reports

  - the smallest heap (-X heapsize, STEP-KiB steps) at which each program prints exactly its
    expected output, per runtime form, and the smallest that only loads it (load + detach);
  - RAM by category, from gc.mem_alloc() after gc.collect() at points of a run in an ample heap
    (hooks around wasi_micro.load and wasi_micro.instantiate; wasi_micro itself is unchanged)
    and the sizes of the runtime's structures: runtime (the modules a run imports), module
    records (the detached Module), lowered code (the code array: reserved / used), linear
    memory (frames in use + page table), register file (registers + call stack), the rest of
    the instance, and the file a load reads whole; the WASI host (its state and the import
    objects run_command makes before instantiating).

    tools/heap_report.py [--board rp2040] [--forms frozen,mpy] [--step 4] [--only NAME,...]
                         [--no-bisect] [--json FILE] [--mp-dir DIR] [--no-code]

The module is on the "flash" as `wasi-flash put` leaves it, with its record and lowered code
(NAME.code); --no-code leaves the latter out (the board lowers the functions itself).

Prints a markdown table. Needs gcc-multilib (tools/build_micropython.sh --32bit) and, for the
bench programs and the wasi-testsuite entries, the shared data (WASI_MICRO_SHARED).
tools/readme_table.py (the README's table) and tests/host/test_corpus_budget.py run programs
with its Flash, works and measure.
"""
import argparse
import atexit
import ast
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(REPO, "tests", "wasm", "corpus")
SHARED = os.environ.get("WASI_MICRO_SHARED") or os.path.join(REPO, "..", "shared")
# The bench programs test_mp32 budgets, with its arguments.
BENCH = [("hello", []), ("fib", ["26"]), ("sieve", ["16000", "8"]), ("crc32", ["8192", "16"]),
         ("hash", ["400"])]
AMPLE = "4M"
MIN_HEAP, MAX_HEAP = 16, 1024  # KiB: bisection bounds

# A plain run, as test_mp32 runs one: {lib} holds the board config (and the .mpy runtime).
RUN = "import sys; sys.path.insert(0, {lib!r}); import wasi_run; sys.exit(wasi_run.run({name!r}, " \
    "{args!r}, {env!r}, {dirs!r}, {max_memory!r}))"

# The measuring run, inside MicroPython. Mode "modules": print the wasi_micro modules a run
# leaves imported; "measure": print one line of measurements (a dict's repr); "load": load the
# module detached (as wasi_run does) and nothing more.
HARNESS = r"""
import gc, sys
gc.collect()
P = {{"base": gc.mem_alloc()}}
sys.path.insert(0, {lib!r})
MODE = {mode!r}
import wasi_run
import wasi_micro
for _n in {preload!r}:
    __import__("wasi_micro." + _n)
gc.collect()
P["runtime"] = gc.mem_alloc()
S = {{}}
KEEP = []


def _mark(name):
    gc.collect()
    P[name] = gc.mem_alloc()


_load = wasi_micro.load


def load(*a, **k):
    _mark("before_load")
    m = _load(*a, **k)
    KEEP.append(m)
    _mark("module")
    S["funcs"] = len(m.codes)
    S["types"] = len(m.types)
    S["imports"] = len(m.imports)
    S["exports"] = len(m.exports)
    S["datas"] = len(m.datas)
    S["names"] = sum(len(v) for n, v in m.customs)
    # The function records' share: their columns (module.Packed) copied (the locals bytes they
    # point to are shared, so counted apart).
    from array import array
    cols = m.codes.cols
    copy = [cols[0][:], array("I", cols[1]), array("I", cols[2])]
    gc.collect()
    S["code_records"] = gc.mem_alloc() - P["module"]
    S["locals"] = sum(len(c.locals) for c in m.codes)
    copy = None
    if MODE == "load":
        sys.exit(0)
    return m


_inst = wasi_micro.instantiate


def _sizes(i, tag):
    S[tag + "code_cap"] = 2 * len(i.code)
    S[tag + "code_used"] = 2 * i.space.used
    S[tag + "lowered"] = i.lowerings  # evicted functions lowered again count again
    mem = i.memory_obj
    S[tag + "frames"] = mem.used if mem is not None else 0
    # The page table, and with split frames the dict of their bytearrays (two words an entry).
    S[tag + "ptab"] = 0 if mem is None else 4 * len(mem.ptab) + 8 * len(mem.frames or ())
    S[tag + "table"] = sum(len(t.elems) for t in i.tables)
    S[tag + "regs"] = 4 * len(i.regs) + 4 * len(i.cs) + 4 * len(i.st)


def instantiate(*a, **k):
    _mark("before_instance")
    i = _inst(*a, **k)
    KEEP.append(i)
    _mark("instance")
    _sizes(i, "i_")
    return i


wasi_micro.load = load
wasi_micro.instantiate = instantiate
if MODE == "load":
    sys.exit(wasi_run.run({name!r}, {args!r}, {env!r}, {dirs!r}, {max_memory!r}))
status = wasi_run.run({name!r}, {args!r}, {env!r}, {dirs!r}, {max_memory!r})
if MODE == "modules":
    print("MODULES " + " ".join(sorted(n[11:] for n in sys.modules if n.startswith("wasi_micro."))))
else:
    _mark("end")
    if len(KEEP) == 2:
        _sizes(KEEP[1], "e_")
    print("MEASURE " + repr({{"status": status, "points": P, "sizes": S}}))
"""


def sections(path):
    """{section name: bytes} of a wasm binary (customs summed as "custom")."""
    names = {0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory",
             6: "global", 7: "export", 8: "start", 9: "element", 10: "code", 11: "data",
             12: "datacount"}
    with open(path, "rb") as f:
        b = f.read()
    out = {}
    i = 8
    while i < len(b):
        sid = b[i]
        i += 1
        n = shift = 0
        while True:
            c = b[i]
            i += 1
            n |= (c & 0x7F) << shift
            shift += 7
            if c < 0x80:
                break
        key = names.get(sid, str(sid))
        out[key] = out.get(key, 0) + n
        i += n
    return out


def programs(only):
    """[{name, language, wasm, args, env, dir, inputs, root, expected stdout bytes, exit}]."""
    with open(os.path.join(CORPUS, "manifest.json")) as f:
        progs = json.load(f)["programs"]
    out = []
    for p in progs:
        wasm = (os.path.join(SHARED, *p["shared"].split("/")) if "shared" in p
                else os.path.join(CORPUS, p["wasm"]))
        if not os.path.exists(wasm):
            print("skipped %s: %s not found (WASI_MICRO_SHARED)" % (p["name"], wasm),
                  file=sys.stderr)
            continue
        with open(os.path.join(CORPUS, "expected", p["name"] + ".stdout"), "rb") as f:
            want = f.read()
        q = dict(p, wasm=wasm, want=want)
        if "root" in p:
            q["root"] = os.path.join(SHARED, *p["root"].split("/"))
        out.append(q)
    for name, args in BENCH:
        wasm = os.path.join(SHARED, "bench", "wasm", name + ".wasm")
        if not os.path.exists(wasm):
            continue
        with open(os.path.join(SHARED, "bench", "expected", name + ".txt"), "rb") as f:
            want = f.read()
        out.append({"name": "bench-" + name, "language": "C (bench)", "wasm": wasm,
                    "args": args, "env": {}, "dir": None, "inputs": [], "want": want,
                    "exit": 0})
    return [p for p in out if not only or p["name"] in only]


_MP_DIR = []


def build(mp_dir, *flags):
    """The binary build_micropython.sh makes with flags, copied into mp_dir, or if None into
    a folder of this process's own (a shared one would hold whichever checkout built last)."""
    if mp_dir is None:
        if not _MP_DIR:
            _MP_DIR.append(tempfile.mkdtemp(prefix="wasi_micro_mp-"))
            atexit.register(shutil.rmtree, _MP_DIR[0], True)
        mp_dir = _MP_DIR[0]
    p = subprocess.run(["bash", os.path.join(REPO, "tools", "build_micropython.sh")] +
                       list(flags) + [mp_dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode:
        sys.exit("heap_report: build_micropython.sh %s failed:\n%s" % (
            " ".join(flags), p.stderr.decode()[-2000:]))
    return p.stdout.decode().strip().splitlines()[-1]


class Flash:
    """A board's flash at a short path of fixed length (path lengths move where the heap runs
    out by a few KB, as test_mp32 says): lib/ with the board config (and the .mpy runtime),
    wasm/NAME.wasm with its record (NAME.valid, as `wasi-flash put` leaves it), and the
    program's preopen, made afresh for every run."""

    def __init__(self, board, mpy, prelowered=True):
        self.prelowered = prelowered  # with put's NAME.code
        self.root = tempfile.mkdtemp(prefix="wmh-", dir="/tmp")
        self.lib = os.path.join(self.root, "lib")
        os.makedirs(os.path.join(self.root, "wasm"))
        os.makedirs(self.lib)
        with open(os.path.join(REPO, "boards", board + ".json")) as f:
            cfg = json.load(f)
        self.board_memory = cfg["limits"]["max_memory"]
        cfg["modules_dir"] = os.path.join(self.root, "wasm")
        cfg["preopen_dir"] = os.path.join(self.root, "data")
        with open(os.path.join(self.lib, "wasi_micro_board.json"), "w") as f:
            json.dump(cfg, f)
        if mpy is not None:
            os.makedirs(os.path.join(self.lib, "wasi_micro"))
            for rel, data in mpy.items():
                with open(os.path.join(self.lib, rel), "wb") as f:
                    f.write(data)

    def max_memory(self, p):
        """None (the board's max_memory), or the program's need where that is more: its heap
        is measured even so (the row is marked)."""
        need = p.get("board_memory_kib", 0) * 1024
        return need if need > self.board_memory else None

    def over_memory(self, p):
        """Whether the program needs more linear memory than the board's max_memory."""
        return self.max_memory(p) is not None

    def script(self, p, mode, preload=(), own_memory=True):
        """The MicroPython source of one run (mode "run": plain, else the HARNESS's mode),
        with a fresh preopen. own_memory: give the program the linear memory it needs where
        the board's max_memory is less (else it runs, and traps, as on the board)."""
        dest = os.path.join(self.root, "wasm", p["name"] + ".wasm")
        shutil.copy(p["wasm"], dest)
        # With the record and the lowered code `wasi-flash put` leaves: the board runner does
        # not validate the module again, nor lower its functions.
        from wasi_micro.loader import record, record_path
        with open(p["wasm"], "rb") as f:
            data = f.read()
        with open(record_path(dest), "wb") as r:
            r.write(record(data))
        from wasi_micro.prelowered import SUFFIX
        code = dest[:-len(".wasm")] + SUFFIX
        if self.prelowered:
            with open(code, "wb") as f:
                f.write(_code_file(p["wasm"], data))
        elif os.path.exists(code):
            os.remove(code)
        host = os.path.join(self.root, "d")
        shutil.rmtree(host, ignore_errors=True)
        dirs = []
        if p["dir"] is not None:
            if "root" in p:
                shutil.copytree(p["root"], host)
            else:
                os.mkdir(host)
            for name in p["inputs"]:
                shutil.copy(os.path.join(CORPUS, "data", name), host)
            dirs = [host + "::" + p["dir"]]
        return (RUN if mode == "run" else HARNESS).format(
            lib=self.lib, mode=mode, preload=list(preload), name=p["name"], args=p["args"],
            env=p["env"], dirs=dirs, max_memory=self.max_memory(p) if own_memory else None)

    def outputs(self, p):
        """{file: bytes} of the program's outputs the last run left in its preopen."""
        got = {}
        for name in p.get("outputs", ()):
            path = os.path.join(self.root, "d", name)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    got[name] = f.read()
        return got

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


_CODE = {}


def _code_file(path, data):
    """put's NAME.code for the module at path (its bytes data), made once a process."""
    if path not in _CODE:
        from host_tools.prelower import build
        _CODE[path] = build(data)
    return _CODE[path]


def run(exe, heap, src, cwd):
    env = dict(os.environ)
    env.pop("MICROPYPATH", None)
    p = subprocess.run([exe, "-X", "heapsize=" + heap, "-c", src], cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=600)
    return p.returncode, p.stdout


def expected_output(p):
    """What the board runner prints for the program: its stdout, then for a failing status a
    line saying it."""
    return p["want"] + (b"exit status %d\n" % p["exit"] if p["exit"] else b"")


def works(exe, flash, p, kib, mode="run", own_memory=True):
    """(whether the program runs in a heap of kib KiB: exact output and exit status, or for
    mode "load" a silent load; its exit status; its output)."""
    status, out = run(exe, "%dK" % kib, flash.script(p, mode, own_memory=own_memory),
                      flash.root)
    if mode == "load":
        return status == 0 and out == b"", status, out
    return status == p["exit"] and out == expected_output(p), status, out


def bisect(ok, lo, hi, step):
    """The smallest multiple of step in [lo, hi] KiB for which ok(kib) holds (taken to hold
    from there up), or None if it does not at hi."""
    lo, hi = (lo + step - 1) // step, hi // step
    if not ok(hi * step):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid * step):
            hi = mid
        else:
            lo = mid + 1
    return hi * step


def smallest(exe, flash, p, mode, step):
    """The smallest heap in KiB (a multiple of step) that works, or None above MAX_HEAP."""
    return bisect(lambda kib: works(exe, flash, p, kib, mode)[0], MIN_HEAP, MAX_HEAP, step)


def tagged(out, tag):
    """The rest of the line after the harness's last `tag` (the guest's output may not end in
    a newline), or None."""
    text = out.decode("utf-8", "replace")
    i = text.rfind(tag)
    return None if i < 0 else text[i + len(tag):].splitlines()[0]


def measure(exe, flash, p):
    status, out = run(exe, AMPLE, flash.script(p, "modules"), flash.root)
    mods = tagged(out, "MODULES ")
    if mods is None:
        return {"error": out.decode("utf-8", "replace")[-300:]}
    preload = mods.split()
    status, out = run(exe, AMPLE, flash.script(p, "measure", preload), flash.root)
    m = tagged(out, "MEASURE ")
    if m is None:
        return {"error": out.decode("utf-8", "replace")[-300:]}
    return categories(ast.literal_eval(m))


def categories(m):
    """RAM by category from the HARNESS's measurements (its MEASURE line's dict)."""
    pt, s = m["points"], m["sizes"]
    code = s.get("e_code_cap", s.get("i_code_cap", 0))
    linear = s.get("e_frames", 0) + s.get("e_ptab", 0)
    regs = s.get("e_regs", 0)
    end = pt.get("end", 0)
    return {
        "runtime": pt["runtime"] - pt["base"],
        "module": pt["module"] - pt["before_load"],
        "code_cap": code, "code_used": s.get("e_code_used", 0),
        "lowered": s.get("e_lowered", 0), "funcs": s.get("funcs", 0),
        "code_records": s.get("code_records", 0), "locals": s.get("locals", 0),
        "wasi": pt["before_instance"] - pt["module"],
        "linear": linear, "frames": s.get("e_frames", 0), "ptab": s.get("e_ptab", 0),
        "regs": regs,
        "table": s.get("e_table", 0),
        "other": end - pt["before_instance"] - code - linear - regs,
        "live_end": end - pt["base"],
        "names": s.get("names", 0),
    }


def kib(n):
    return "-" if n is None else "%.1f" % (n / 1024.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="rp2040")
    ap.add_argument("--forms", default="frozen,mpy")
    ap.add_argument("--step", type=int, default=4)
    ap.add_argument("--only", default="")
    ap.add_argument("--no-bisect", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--mp-dir")
    ap.add_argument("--no-code", action="store_true",
                    help="without put's NAME.code: the board lowers the functions itself")
    a = ap.parse_args()
    sys.path.insert(0, REPO)
    forms = a.forms.split(",")
    exes = {}
    mpy = {}
    if "frozen" in forms:
        exes["frozen"] = build(a.mp_dir, "--32bit", "--frozen")
    if "mpy" in forms:
        exes["mpy"] = build(a.mp_dir, "--32bit")
        from host_tools.commands import compile_runtime
        mpy["mpy"] = compile_runtime("x86")
    rows = []
    for p in programs(set(a.only.split(",")) - {""}):
        row = {"name": p["name"], "language": p["language"], "size": os.path.getsize(p["wasm"]),
               "sections": sections(p["wasm"]), "board_memory_kib": p.get("board_memory_kib")}
        for form in forms:
            flash = Flash(a.board, mpy.get(form), not a.no_code)
            try:
                row[form] = measure(exes[form], flash, p)
                row[form]["board_memory"] = flash.board_memory
                if not a.no_bisect:
                    row[form]["heap"] = smallest(exes[form], flash, p, "run", a.step)
                    row[form]["load_heap"] = smallest(exes[form], flash, p, "load", a.step)
            finally:
                flash.close()
        rows.append(row)
        print("measured %s" % p["name"], file=sys.stderr)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    print_table(rows, forms, a.board)


def print_table(rows, forms, board):
    print("Board limits: boards/%s.json; heaps in KiB (smallest that works, %s); RAM in KiB "
          "after the run with the instance live (frozen runtime)." % (board, "/".join(forms)))
    print()
    print("| program | language | .wasm KB | code KB | data KB | funcs (lowerings) | "
          "heap: run %s | heap: load only | runtime | module records (function records) | "
          "WASI host | lowered code reserved (used) | linear memory | registers | other | "
          "live at end |" % " / ".join(forms))
    print("|---" * 16 + "|")
    for r in rows:
        f = r.get("frozen") or r[forms[0]]
        if "error" in f:
            print("| %s | %s | error: %s |" % (r["name"], r["language"], f["error"][-120:]
                                              .replace("\n", " ")))
            continue
        heaps = " / ".join(("%d" % r[x]["heap"]) if r[x].get("heap") else ">%d" % MAX_HEAP
                           if "heap" in r[x] else "?" for x in forms)
        load = " / ".join(("%d" % r[x]["load_heap"]) if r[x].get("load_heap") else
                          ">%d" % MAX_HEAP if "load_heap" in r[x] else "?" for x in forms)
        name = r["name"]
        if r["board_memory_kib"] and r["board_memory_kib"] * 1024 > f.get("board_memory", 1 << 30):
            name += " *"
        print("| %s | %s | %.1f | %.1f | %.1f | %d (%d) | %s | %s | %s | %s (%s) | %s | %s (%s) | "
              "%s | %s | %s | %s |" % (
                  name, r["language"], r["size"] / 1000.0,
                  r["sections"].get("code", 0) / 1000.0, r["sections"].get("data", 0) / 1000.0,
                  f["funcs"], f["lowered"], heaps, load, kib(f["runtime"]), kib(f["module"]),
                  kib(f["code_records"] + f["locals"]), kib(f["wasi"]), kib(f["code_cap"]),
                  kib(f["code_used"]), kib(f["linear"]), kib(f["regs"]), kib(f["other"]),
                  kib(f["live_end"])))
    print()
    print("\\* needs more linear memory than the board's max_memory: measured with its own need "
          "(board_memory_kib in tests/wasm/corpus/manifest.json); on the board it traps.")
    if "mpy" in forms and "frozen" in forms:
        print()
        print("Runtime as .mpy: %s KiB of the heap (frozen: %s KiB)." % (
            kib(rows[0]["mpy"].get("runtime")), kib(rows[0]["frozen"].get("runtime"))))


if __name__ == "__main__":
    main()
