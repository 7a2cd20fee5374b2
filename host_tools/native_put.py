"""wasi-flash put --native: a module's functions translated on the host to viper functions
for a board (wasi_micro/native_viper.py for the board's words: 32 bits but on a 64-bit unix
port), compiled by mpy-cross for the board's arch into one NAME_native.mpy, which the board
runner imports and runs instead of lowering those functions (wasi_micro/native_board.py).

On a board the native code of a .mpy sits in the heap (a Pico's), so the functions taken are
bounded by the board's limits.native_bytes, counted as each function's share of the .mpy. They
are picked by a host profile when one is given (_pick: the module run here with those
arguments), else smallest first. A function the translator or mpy-cross cannot take stays
interpreted.
"""
import io
import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

import wasi_micro
from wasi_micro import Config, instantiate
from wasi_micro.compat import crc32
from wasi_micro.interp import ST_PC
from wasi_micro.native import Unsupported
from wasi_micro.native_tier import Tier
from wasi_micro.native_board import SUFFIX
from wasi_micro.native_viper import ViperTranslator, callees
from wasi_micro.runtime import Store
from wasi_micro.wasi import Exit, Wasi

_PROFILE_SLICE = 97  # branches + calls between samples of a profile run (a prime: no beat
# with a loop's period)
# What one call between native code and the loop costs, in interpreted branches and calls:
# 25-55 us on the 32-bit unix port (CoreMark with only crcu16 or core_state_transition native)
# against about 0.2 us for one of those.
_CROSSING = 200
_MPY_CROSS_HEAP = "heapsize=64M"  # its default 2 MiB holds no big program's translation
_CALL_RE = re.compile(r"\bf(\d+)\(")
_NUMERIC_RE = re.compile(r"\b_n(\d+)\(|\b_nt\(\d+, (\d+),")


class NativeError(Exception):
    pass


class BoardTranslator(ViperTranslator):
    """The viper form for a board: its words (32 bits but for WIDE_ARCHES), and
    call_indirect's type ids looked up on the board (the host's numbering is this process's)."""
    words64 = False
    cross = True

    def typeid(self, t):
        return "TID[%d]" % t


class _Wide(BoardTranslator):
    words64 = True


WIDE_ARCHES = ("x64", "rv64imc")  # mpy-cross -march names of 64-bit words


class _Profile:
    """In place of an instance's tier: counts, per function, the fuel slices ending in it."""

    def __init__(self, inst):
        self.inst = inst
        self.hits = {}

    def take(self, fidx):
        return False

    def sample(self):
        inst = self.inst
        f = inst.func_at(inst.st[ST_PC])
        if f is not None:
            self.hits[f] = self.hits.get(f, 0) + 1


class _Calls(Tier):
    """tier=all here, each translated function counting its calls by caller (-1: the loop)."""

    def __init__(self, inst):
        Tier.__init__(self, inst)
        self.edges = {}
        self.running = -1  # the translated function running, -1 the loop

    def _counting(self, fn, callee, caller=None):
        edges = self.edges

        def call(*args):
            e = (self.running if caller is None else caller, callee)
            edges[e] = edges.get(e, 0) + 1
            was = self.running
            self.running = callee
            try:
                return fn(*args)
            finally:
                self.running = was
        return call

    def take(self, fidx, hot=False):
        f = self.inst.func(fidx)
        if f.host is not None:
            return True
        if not Tier.take(self, fidx, hot):
            return False
        self.fns[fidx] = self._counting(self.fns[fidx], fidx)
        f.host = self._counting(f.host, fidx, -1)
        return True


def _run(module, name, args, config, tier=None):
    """A run of the WASI command `module` here with args (output dropped, no preopens), its
    instance's tier replaced by tier(inst) when given; -> the tier."""
    out = io.BytesIO()
    w = Wasi([name] + list(args), [], [], io.BytesIO(b""), out, out)
    t = None
    try:
        inst = instantiate(module, w.imports(), config, Store(), run_start=False)
        if tier is not None:
            t = inst.tier = tier(inst)
        w.bind(inst)
        inst.start()
        inst.invoke("_start", [])
    except Exit:
        pass
    except wasi_micro.Trap as e:
        raise NativeError("the profile run trapped: %s" % e)
    finally:
        w.close()
    return t


def profile(module, name, args):
    """({function: fuel slices of the loop ending in it}, {(caller, callee): calls}) of two
    runs here with args: in the loop, and with every function it can take translated."""
    hits = _run(module, name, args, Config(fuel_slice=_PROFILE_SLICE), _Profile).hits
    edges = _run(module, name, args, Config(tier="all"), _Calls).edges
    return hits, edges


def translate(module, limits, arch="x86"):
    """({function: viper source} of the functions the board form can take, whether memory is
    paged, {function: functions it calls}) for an instance with the board's limits (its memory
    paged as the board's is) and the words of arch."""
    w = Wasi(["native"], [], [], io.BytesIO(b""), io.BytesIO(), io.BytesIO())
    try:
        inst = instantiate(module, w.imports(), Config(max_memory=limits.get("max_memory"),
                                                       tier="all"),
                           Store(), run_start=False)
    finally:
        w.close()
    translator = _Wide if arch in WIDE_ARCHES else BoardTranslator
    out = {}
    for g in range(module.func_imports, module.func_imports + len(module.codes)):
        try:
            out[g] = translator(inst.tier, g).translate()
        except Unsupported:
            pass
    paged = inst.memory_obj is not None and inst.memory_obj.paged
    return out, paged, callees(inst)[0]


def _closure(g, calls, sizes):
    """g and the functions of sizes (those translated) it may call directly, transitively."""
    seen = {g}
    work = [g]
    while work:
        for c in calls.get(work.pop(), ()):
            if c in sizes and c not in seen:
                seen.add(c)
                work.append(c)
    return seen


def _gain(taken, hits, edges):
    """What running the functions `taken` natively saves, in interpreted branches and calls:
    the profile's work in them less the calls crossing between them and the loop."""
    work = 0
    for f in taken:
        work += hits.get(f, 0)
    cross = 0
    for (a, b), n in edges.items():
        if (a in taken) != (b in taken):
            cross += n
    return work * _PROFILE_SLICE - cross * _CROSSING


def _pick(sizes, calls, hits, edges, budget):
    """The functions to take, sorted, within budget bytes (sizes: {translated function: its
    bytes of .mpy}). Each is taken with all it calls that can be: a call between native code
    and the loop costs more than many interpreted ops, so the native ones form whole
    subtrees of the call graph where they can. By the profile (hits, edges) when there is
    one: the hottest first, with what it called in the profile run or else alone, where
    that saves more than its crossings cost; else smallest first."""
    ran = {}
    for a, b in edges:
        ran.setdefault(a, []).append(b)
    taken = set()
    used = 0
    for g in sorted(sizes, key=lambda g: (-hits.get(g, 0), sizes[g], g)):
        if g in taken:
            continue
        for more in ((_closure(g, ran, sizes), {g}) if hits else (_closure(g, calls, sizes),)):
            more = more - taken
            n = 0
            for c in more:
                n += sizes[c]
            if used + n > budget or hits and \
                    _gain(taken | more, hits, edges) <= _gain(taken, hits, edges):
                continue
            taken |= more
            used += n
            break
    return sorted(taken)


def _mpy_cross(exe, arch, src, tmp, tag):
    path = os.path.join(tmp, tag + ".py")
    dst = os.path.join(tmp, tag + ".mpy")
    with open(path, "w") as f:
        f.write(src)
    p = subprocess.run([exe, "-march=" + arch, "-O3", "-X", _MPY_CROSS_HEAP, "-s", tag + ".py",
                        "-o", dst, path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode:
        return None
    with open(dst, "rb") as f:
        return f.read()


def _head(crc, runtime, paged, funcs, numeric, calls):
    return ("RUNTIME = %r\nCRC = %d\nPAGED = %r\nFUNCS = %r\nNUMERIC = %r\nCALLS = %r\n"
            % (runtime, crc, paged, tuple(funcs), tuple(numeric), tuple(calls)))


def _numeric(src):
    return set(int(a or b) for a, b in _NUMERIC_RE.findall(src))


def _called(src):
    return set(int(g) for g in _CALL_RE.findall(src))


def build(data, name, desc, arch, runtime, exe, profile_args=None):
    """(NAME_native.mpy's bytes, report) for the .wasm `data` on board `desc` (arch: the
    mpy-cross -march name; runtime: the installed runtime's digest). report: translated,
    taken (function indices), code_bytes, budget, wasm_bytes (of the bodies taken)."""
    module = wasi_micro.load(bytes(data))
    limits = desc.get("limits", {})
    budget = limits.get("native_bytes")
    if not budget:
        raise NativeError("board %s has no limits.native_bytes: no room for native code"
                          % desc["name"])
    sources, paged, calls = translate(module, limits, arch)
    hits, edges = profile(module, name, profile_args) if profile_args is not None else ({}, {})
    with tempfile.TemporaryDirectory() as tmp:
        empty = len(_mpy_cross(exe, arch, _head(0, runtime, paged, (), (), ()), tmp, "empty"))

        def one(g):
            b = _mpy_cross(exe, arch, sources[g], tmp, "f%d" % g)
            return g, None if b is None else len(b) - empty

        with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            sizes = dict(r for r in pool.map(one, sorted(sources)) if r[1] is not None)
        taken = _pick(sizes, calls, hits, edges, budget)
        numeric = sorted(set().union(*[_numeric(sources[g]) for g in taken]))
        called = sorted(set(taken).union(*[_called(sources[g]) for g in taken]))
        src = _head(crc32(data) & 0xFFFFFFFF, runtime, paged, taken, numeric, called) + \
            "\n" + "\n".join(sources[g] for g in taken)
        mpy = _mpy_cross(exe, arch, src, tmp, name + SUFFIX)
    if mpy is None:
        raise NativeError("mpy-cross refused the native code of %s" % name)
    body = 0
    for g in taken:
        c = module.codes[g - module.func_imports]
        body += c.end - c.start
    return mpy, {"translated": len(sizes), "functions": len(module.codes), "taken": taken,
                 "code_bytes": len(mpy), "budget": budget, "wasm_bytes": body,
                 "profiled": bool(hits)}
