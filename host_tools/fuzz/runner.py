# The long fuzz run (CPython), `python3 -m host_tools.fuzz` (__main__.py):
#   python3 -m host_tools.fuzz --inputs 100000 [--seed N] [--jobs 2] [--out DIR] [--timeout S]
#                              [--no-diff] [--no-mpy] [--mpy-exe PATH] [--no-softfloat]
#                              [--replay I]
# Input i of seed N is made from Random((N, i)) alone, so `--replay I` re-runs one input. Kinds:
# random valid modules (wasmgen.py), some in deterministic form also run on wasmtime
# (when installed) and compared; guests making WASI calls with hostile arguments in a scratch
# directory (wasi_fuzz.py); mutations of the spec suite's and the bench programs' modules
# and of generated ones (mutate.py). Each goes through harness.py under
# its limits. A bug is an exception the runtime must not raise, a disagreement with wasmtime,
# an input running past --timeout (a hang beyond fuel and deadline) or one making the worker's
# peak memory jump by more than 256 MiB; each is saved to DIR as .wasm + .txt, the first of each
# kind minimised. Odd-numbered workers use the integer-only float path (softfloat.py), so the
# differential checks it too. The generated inputs are also re-run in batches under the
# MicroPython unix port (the viper loop) and their outcomes compared with CPython's, bit for bit
# (the runtime is exact on every host; NaNs as a class for the wasmtime-checked ones). The last
# line is the summary: inputs, outcomes by class, calls, bugs.
import argparse
import glob
import multiprocessing as mp
import os
import random
import resource
import sys
import tempfile
import time

from . import diff, harness, mutate, wasi_fuzz, wasmgen

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_MEM_JUMP = 256 << 20
_AS_LIMIT = 6 << 30


def _shared(*parts):
    """A path in the shared data (WASI_MICRO_SHARED, default ../shared), as the tests find it."""
    base = os.environ.get("WASI_MICRO_SHARED") or os.path.join(ROOT, "..", "shared")
    return os.path.join(base, *parts)


def seeds():
    """Paths of the modules mutations start from: the repo's own test modules, and the shared
    data's when it is there (read from it, never copied)."""
    paths = sorted(glob.glob(os.path.join(ROOT, "tests", "wasm", "*.wasm")))
    paths += sorted(glob.glob(_shared("wasm-spec", "core", "*", "*.wasm")))
    paths += sorted(glob.glob(_shared("bench", "wasm", "*.wasm")))
    return paths


class Maker:
    """Builds input i of a seed."""

    def __init__(self, seed, diff_on):
        self.seed = seed
        self.paths = seeds()
        self.cache = {}
        self.diff_on = diff_on and diff.available

    def _read(self, path):
        b = self.cache.get(path)
        if b is None:
            with open(path, "rb") as f:
                b = self.cache[path] = f.read()
        return b

    def make(self, i):
        """(kind, bytes, mode) of input i: kind is gen, diff, wasi, code (a generated or seed
        module with a body changed) or mut (byte mutations); mode: harness.MODES."""
        r = random.Random("%d:%d" % (self.seed, i))
        mode = r.choice(harness.MODES)
        x = r.random()
        if x < 0.13 and self.diff_on:
            return "diff", wasmgen.Gen(r, det=True).module(), mode
        if x < 0.25:
            return "wasi", wasi_fuzz.module(r), mode
        if x < 0.5 or not self.paths:
            return "gen", wasmgen.Gen(r, det=r.random() < 0.3).module(), mode
        if x < 0.78:
            base = wasmgen.Gen(r).module() if r.random() < 0.6 else self._read(
                r.choice(self.paths))
            data = mutate.mutate_code(base, r)
            if data is not None:
                return "code", data, mode
        base = wasmgen.Gen(r).module() if r.random() < 0.2 else self._read(r.choice(self.paths))
        other = self._read(r.choice(self.paths)) if self.paths else None
        return "mut", mutate.mutate(base, r, other), mode


def signature(res):
    """Where a bug comes from: exception type and innermost runtime frame."""
    e = res.error
    tb = e.__traceback__
    where = "?"
    while tb is not None:
        f = tb.tb_frame.f_code.co_filename
        if "wasi_micro" in f:
            where = "%s:%d" % (os.path.basename(f), tb.tb_lineno)
        tb = tb.tb_next
    return "%s@%s" % (type(e).__name__, where)


def check(kind, data, mode="paged"):
    """(result, bug signature or None, detail)."""
    if kind == "wasi":
        res = wasi_fuzz.run(data, harness.config(mode))
    else:
        res = harness.run(data, mode=mode)
    if res.cls == "bug":
        return res, signature(res), harness.traceback_text(res.error)
    if kind == "diff":
        try:
            bad = diff.compare(data, mode=mode)
        except Exception as e:  # noqa: BLE001 - the comparison itself failed
            return res, "diff-error:" + type(e).__name__, harness.traceback_text(e)
        if bad:
            return res, "diff:" + bad[0].split(":")[0], "\n".join(bad)
    return res, None, None


def minimise(data, kind, mode, sig, budget=60.0):
    """Smaller bytes showing the same bug signature (whole sections, then chunks, deleted)."""
    end = time.time() + budget

    def same(b):
        try:
            return check(kind, b, mode)[1] == sig
        except Exception:  # noqa: BLE001 - e.g. the differential choking on a broken module
            return False
    best = data
    for start, end in reversed(mutate.sections(best)):  # whole sections first
        cand = best[:start] + best[end:]
        if same(cand):
            best = cand
    chunk = max(1, len(best) // 2)
    while chunk >= 1 and time.time() < end:
        i = 8
        changed = False
        while i < len(best) and time.time() < end:
            cand = best[:i] + best[i + chunk:]
            if same(cand):
                best = cand
                changed = True
            else:
                i += chunk
        if not changed:
            chunk //= 2
    return best


def _save(out, i, kind, data, sig, detail, small=None):
    os.makedirs(out, exist_ok=True)
    tag = "".join(c if c.isalnum() else "_" for c in sig)[:60]
    base = os.path.join(out, "%s-%d" % (tag, i))
    with open(base + ".wasm", "wb") as f:
        f.write(data)
    if small is not None:
        with open(base + ".min.wasm", "wb") as f:
            f.write(small)
    with open(base + ".txt", "w") as f:
        f.write("input %d (%s): %s\n%s\n" % (i, kind, sig, detail))
    return base


def _soft():
    from wasi_micro import numeric
    return numeric.SOFT


_MPY_BATCH = 20


def mpy_check(batch, soft, exe=None):
    """Run [(i, "MODE.COMPARE", data, CPython outcome)] under the MicroPython unix port;
    [(i, sig, detail)] for every input whose outcome differs (the viper loop against plain
    Python), or None when there is no micropython."""
    import shutil
    import subprocess
    exe = exe or shutil.which("micropython")
    if exe is None:
        return None
    if not batch:
        return []
    d = tempfile.mkdtemp(prefix="wasi-micro-mpy-")
    try:
        for i, mode, data, want in batch:
            with open(os.path.join(d, "%09d.%s.wasm" % (i, mode)), "wb") as f:
                f.write(data)
        env = dict(os.environ, WASI_MICRO_SOFTFLOAT="1" if soft else "0")
        try:
            p = subprocess.run([exe, "-X", "heapsize=256M",
                                os.path.join(ROOT, "host_tools", "fuzz", "mpy_batch.py"), d],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                               timeout=120)
            out = p.stdout.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            out = ""
        got = {}
        for line in out.splitlines():
            k, _, rest = line.partition(" ")
            if k.isdigit():
                got[int(k)] = rest
        bad = []
        for i, mode, data, want in batch:
            line = got.get(i)
            if line is None:
                bad.append((i, "mpy-crash", "no outcome from micropython:\n" + out[-2000:]))
                break  # the rest of the batch did not run
            if line != want:
                tag = "mpy-bug" if line.startswith("bug") else "mpy-diff"
                bad.append((i, tag, "mode %s\nCPython:     %s\nMicroPython: %s" % (
                    mode, want, line)))
        return bad
    finally:
        shutil.rmtree(d, ignore_errors=True)


def worker(j, jobs, args, cur, since, q):
    try:
        resource.setrlimit(resource.RLIMIT_AS, (_AS_LIMIT, _AS_LIMIT))
    except (ValueError, OSError):
        pass
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    maker = Maker(args.seed, not args.no_diff)
    batch = []  # deterministic inputs waiting for the MicroPython comparison
    i = cur[j] if cur[j] >= 0 else j
    while i < args.inputs:
        cur[j] = i
        since[j] = time.time()
        kind, data, mode = maker.make(i)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10
        res, sig, detail = check(kind, data, mode)
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10) - peak
        if sig is None and grown > _MEM_JUMP:
            sig, detail = "memory", "peak RSS grew by %d MiB" % (grown >> 20)
        if sig and _soft():
            sig, detail = sig + "(softfloat)", "softfloat (WASI_MICRO_SOFTFLOAT=1)\n" + detail
        q.put((i, kind, res.cls, [c[1] for c in res.calls], sig, detail))
        if kind in ("diff", "gen") and args.mpy and not sig:
            # the same bits on both hosts, except where wasmtime's NaNs were the reference
            compare = "nan" if kind == "diff" else "exact"
            want = harness.run(data, keep_memory=True, mode=mode).summary(compare)
            batch.append((i, mode + "." + compare, data, want))
            if len(batch) >= _MPY_BATCH:
                _mpy_flush(batch, q, args.mpy_exe)
        i += jobs
    _mpy_flush(batch, q, args.mpy_exe)
    cur[j] = -2  # done
    q.put(None)


def _mpy_flush(batch, q, exe):
    bad = mpy_check(batch, _soft(), exe)
    if bad is not None:
        for i, sig, detail in bad:
            q.put(("bug", i, "gen", sig + ("(softfloat)" if _soft() else ""), detail))
        q.put(("mpy", len(batch)))
    del batch[:]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m host_tools.fuzz")
    ap.add_argument("--inputs", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "wasi_micro_fuzz"),
                    help="where bugs are saved")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds before an input hangs")
    ap.add_argument("--no-diff", action="store_true", help="skip the wasmtime comparison")
    ap.add_argument("--no-minimise", action="store_true")
    ap.add_argument("--replay", type=int, default=None, help="run input I alone, verbosely")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--no-mpy", dest="mpy", action="store_false",
                    help="skip re-running the deterministic inputs under micropython")
    ap.add_argument("--mpy-exe", default=None, help="the micropython binary for that (e.g. a "
                    "32-bit build from tools/build_micropython.sh --32bit: viper words as on "
                    "boards)")
    ap.add_argument("--no-softfloat", dest="softfloat", action="store_false",
                    help="odd-numbered workers run the integer-only float path unless given")
    args = ap.parse_args(argv)
    if args.replay is not None:
        kind, data, mode = Maker(args.seed, not args.no_diff).make(args.replay)
        res, sig, detail = check(kind, data, mode)
        print("input %d (%s, %s, %d bytes%s): %s" % (
            args.replay, kind, mode, len(data), ", softfloat" if _soft() else "",
            res.summary()))
        if sig:
            print("BUG %s\n%s" % (sig, detail))
        return 1 if sig else 0
    return run(args)


def run(args):
    t0 = time.time()
    jobs = max(1, args.jobs)
    # Spawned workers import the runtime afresh, so each can choose its float path.
    ctx = mp.get_context("spawn")
    cur = ctx.Array("q", [-1] * jobs, lock=False)
    since = ctx.Array("d", [0.0] * jobs, lock=False)
    q = ctx.Queue()
    procs = [None] * jobs

    def start(j):
        soft = args.softfloat and j % 2 == 1
        os.environ["WASI_MICRO_SOFTFLOAT"] = "1" if soft else "0"
        p = ctx.Process(target=worker, args=(j, jobs, args, cur, since, q), daemon=True)
        p.start()
        procs[j] = p
    for j in range(jobs):
        start(j)
    classes = {}
    calls = {}
    kinds = {}
    bugs = []  # (sig, i, kind)
    sigs = {}
    done = 0
    mpy_done = 0
    running = jobs
    maker = Maker(args.seed, not args.no_diff)
    last = time.time()
    while running:
        try:
            msg = q.get(timeout=1.0)
        except Exception:  # queue.Empty
            msg = False
        if msg is None:
            running -= 1
        elif msg and msg[0] == "mpy":
            mpy_done += msg[1]
        elif msg and msg[0] == "bug":
            _, i, kind, sig, detail = msg
            _bug(args, maker, bugs, sigs, i, kind, sig, detail, minimise_it=False)
        elif msg:
            i, kind, cls, ks, sig, detail = msg
            done += 1
            classes[cls] = classes.get(cls, 0) + 1
            kinds[kind] = kinds.get(kind, 0) + 1
            for k in ks:
                calls[k] = calls.get(k, 0) + 1
            if sig:
                _bug(args, maker, bugs, sigs, i, kind, sig, detail)
        now = time.time()
        for j in range(jobs):
            i = cur[j]
            if i >= 0 and procs[j].is_alive() and now - since[j] > args.timeout:
                procs[j].kill()
                procs[j].join()
                i = cur[j]  # (the input it was on when killed)
                done += 1
                classes["hang"] = classes.get("hang", 0) + 1
                _bug(args, maker, bugs, sigs, i, maker.make(i)[0], "hang",
                     "no result after %.0f s" % args.timeout, minimise_it=False)
                cur[j] = i + jobs
                start(j)
            elif i >= 0 and not procs[j].is_alive():  # died (a crash of the interpreter)
                done += 1
                classes["crash"] = classes.get("crash", 0) + 1
                _bug(args, maker, bugs, sigs, i, maker.make(i)[0], "crash",
                     "worker exit code %s" % procs[j].exitcode, minimise_it=False)
                cur[j] = i + jobs
                start(j)
        if not args.quiet and now - last > 30:
            last = now
            print("fuzz: %d/%d inputs, %d bugs, %.0f s" % (done, args.inputs, len(bugs),
                                                          now - t0), flush=True)
    for p in procs:
        p.join()
    line = ("fuzz: %d inputs (seed %d%s; %s): %s; calls: %s; %s; %d also under MicroPython; "
            "bugs: %d (%d unique); %.0f s") % (
        done, args.seed, "; softfloat in odd workers" if args.softfloat and jobs > 1 else "",
        _fmt(kinds), _fmt(classes), _fmt(calls),
        "%d vs wasmtime" % kinds.get("diff", 0) if diff.available and not args.no_diff
        else "no wasmtime: no differential", mpy_done, len(bugs), len(sigs), time.time() - t0)
    for sig, (i, base) in sorted(sigs.items()):
        print("BUG %s: input %d, %s.txt" % (sig, i, base))
    print(line)
    return 1 if bugs else 0


def _bug(args, maker, bugs, sigs, i, kind, sig, detail, minimise_it=True):
    bugs.append((sig, i, kind))
    if sig in sigs:
        return
    kind, data, mode = maker.make(i)
    small = None
    if minimise_it and not args.no_minimise:
        small = minimise(data, kind, mode, sig)
    sigs[sig] = (i, _save(args.out, i, kind, data, sig, detail, small))
    print("BUG %s at input %d (%s)" % (sig, i, kind), flush=True)


def _fmt(d):
    return ", ".join("%s %d" % (k, d[k]) for k in sorted(d, key=lambda k: -d[k]))
