# Runs one untrusted module through the whole engine and classifies what happened (portable:
# the corpus test runs it under CPython and MicroPython; the fuzz driver under CPython).
#
# run(data) decodes and validates it, links every import to a stub of the right type,
# instantiates it and invokes every exported function (arguments from a fixed pattern), all
# under the limits of CONFIG. Allowed outcomes are the runtime's own errors; anything else is a
# bug and comes back as class "bug" with the exception.
import sys

import wasi_micro
from wasi_micro.errors import Exhaustion, Exit, InvalidError, LimitError, LinkError, \
    MalformedError, Trap
from wasi_micro.module import K_FUNC, K_GLOBAL, K_MEM, K_TABLE, Limits
from wasi_micro.runtime import Func, GlobalCell, Memory, Store, Table


# Flat memory (no max_memory) only for modules whose memory cannot grow past this many pages.
FLAT_PAGES = 16


MODES = ("paged", "flat", "count")


def config(mode="paged", tier="off"):
    """The limits every fuzz input runs under (small: inputs must finish in well under 1 s).
    mode flat: no max_memory, so memory is one bytearray (the caller bounds its size); count:
    paged, in counting mode (lower.py's other code shape). tier: Config.tier."""
    return wasi_micro.Config(max_memory=None if mode == "flat" else 1 << 20, fuel=100000,
                             deadline=2.0, call_depth=200, count=mode == "count", tier=tier,
                             stack_slots=1 << 14, max_table=10000, max_module=1 << 20,
                             max_functions=10000, max_locals=10000, max_segment=1 << 20)


# What a stub host function returns, per result type: fixed, so two engines can be compared.
HOST_RESULTS = {0x7F: 42, 0x7E: 42, 0x7D: 0x3F800000, 0x7C: 0x3FF0000000000000,
                0x70: 0, 0x6F: 0}
_BITS = {0x7F: 32, 0x7E: 64, 0x7D: 32, 0x7C: 64, 0x70: 32, 0x6F: 32}
# Arguments: export k gets ARG_PATTERN[(k + i) % len] for its i-th parameter, masked to width.
ARG_PATTERN = (0, 1, 0xFFFFFFFF, 0x80000000, 7, 0xFFFFFFFFFFFFFFFF, 0x3F800000, 100)


def host_stub(functype):
    results = tuple(HOST_RESULTS[t] for t in functype[1])

    def fn(*args):
        return results
    return Func(functype, host=fn)


def stub_imports(m, cfg):
    """{module: {name: extern}} giving every import of decoded module m a stub of its type.
    Tables and memories bigger than the limits are left out (the import then fails to link)."""
    out = {}
    for im in m.imports:
        ext = None
        if im.kind == K_FUNC:
            if im.desc < len(m.types):
                ext = host_stub(m.types[im.desc])
        elif im.kind == K_TABLE:
            lim = im.desc.limits
            if lim.min <= (cfg.max_table or 0):
                ext = Table(im.desc.reftype, Limits(lim.min, lim.max), 0, cfg.max_table)
        elif im.kind == K_MEM:
            ext = Memory(Limits(im.desc.min, im.desc.max, im.desc.page_log2), cfg.max_memory)
        elif im.kind == K_GLOBAL:
            ext = GlobalCell(im.desc[0], im.desc[1], 0)
        if ext is not None:
            out.setdefault(im.module, {})[im.name] = ext
    return out


def args_for(params, k):
    out = []
    for i in range(len(params)):
        v = ARG_PATTERN[(k + i) % len(ARG_PATTERN)]
        out.append(v & ((1 << _BITS[params[i]]) - 1))
    return out


def digest(data):
    """A 61-bit polynomial hash of data (no hashlib: some MicroPython builds lack it)."""
    h = len(data)
    for i in range(0, len(data), 1024):
        h = (h * 1000003 + int.from_bytes(data[i:i + 1024], "little")) % 0x1FFFFFFFFFFFFFFF
    return h


def is_nan(v, t):
    if t == 0x7D:
        return v & 0x7F800000 == 0x7F800000 and v & 0x7FFFFF != 0
    if t == 0x7C:
        return v >> 52 & 0x7FF == 0x7FF and v & 0xFFFFFFFFFFFFF != 0
    return False


def _kind(e):
    if isinstance(e, LimitError):
        return "limit"
    if isinstance(e, Exhaustion):
        return "exhaustion"
    return "trap"


def _check_trap(e):
    # A trap must carry a reason the runtime defines (a str), never a stray object.
    if not isinstance(e.reason, str) or not e.reason:
        raise AssertionError("trap without a reason: %r" % (e.reason,))


class Result:
    """cls: malformed, invalid, link, init-trap, init-limit, init-exhaustion, exit, ran or
    bug. calls: [(export, kind, value)] with kind ok (value: results), trap, exhaustion,
    limit (value: reason) or exit (value: status). error: the exception."""

    def __init__(self):
        self.cls = None
        self.calls = []
        self.error = None
        self.memory = None  # bytes of the exported memory after the calls (when small)
        self.types = {}  # export name -> result types

    def summary(self, compare=None):
        """The outcome as one line: the class, then per call name=ok[results in hex] or
        name=KIND(reason or status). For comparing runs on two hosts, compare is "exact" (the
        runtime promises the same bits everywhere) or "nan" (against another engine: the spec
        lets engines differ in NaN bits, so every NaN reads "nan"); then a digest of the
        memory follows when it was kept, and the line ends at a call stopped by fuel or the
        deadline (which comes first depends on the host's speed)."""
        parts = [self.cls]
        for n, k, v in self.calls:
            if k == "limit" and compare:
                parts.append("%s=limit" % n)
                return " ".join(parts)
            if k == "ok":
                types = self.types.get(n, b"")
                vals = []
                for i in range(len(v)):
                    nan = compare == "nan" and i < len(types) and is_nan(v[i], types[i])
                    vals.append("nan" if nan else "0x%x" % v[i])
                parts.append("%s=ok[%s]" % (n, ",".join(vals)))
            else:
                parts.append("%s=%s(%s)" % (n, k, v))
        if compare and self.memory is not None:
            parts.append("memory=%x" % digest(self.memory))
        return " ".join(parts)


def _check_results(values, types):
    if len(values) != len(types):
        raise AssertionError("%d results for %d result types" % (len(values), len(types)))
    for v, t in zip(values, types):
        if not isinstance(v, int) or v < 0 or v >> _BITS[t]:
            raise AssertionError("result %r out of range for type 0x%x" % (v, t))


def run(data, cfg=None, keep_memory=False, mode="paged"):
    """Run module bytes `data` end to end; a Result. Mode flat runs on flat memory when the
    module's memory is declared small enough (FLAT_PAGES), else paged."""
    res = Result()
    try:
        _run(data, cfg or config("count" if mode == "count" else "paged"), res, keep_memory,
             mode == "flat")
    except MemoryError as e:
        # Host memory ran out although every limit was set: the limits failed to bound it.
        res.cls = "bug"
        res.error = e
    except Exception as e:  # noqa: BLE001 - the point is to catch everything else
        res.cls = "bug"
        res.error = e
    return res


def _bounded(m):
    for lim in m.mem_types():
        if lim.max is None or lim.max << lim.page_log2 > FLAT_PAGES << 16:
            return False
    return True


def _run(data, cfg, res, keep_memory, flat):
    from wasi_micro.loader import load
    try:
        m = load(data, cfg)
    except MalformedError:
        res.cls = "malformed"
        return
    except InvalidError:
        res.cls = "invalid"
        return
    except LimitError:
        res.cls = "load-limit"
        return
    if flat and cfg.max_memory is not None and _bounded(m):
        cfg = config("flat", cfg.tier)
    try:
        inst = wasi_micro.instantiate(m, stub_imports(m, cfg), cfg, Store())
    except LinkError:
        res.cls = "link"
        return
    except Trap as e:
        _check_trap(e)
        res.cls = "init-" + _kind(e)
        return
    except Exit as e:
        res.cls = "exit"
        return
    res.cls = "ran"
    k = 0
    for ex in m.exports:
        if ex.kind != K_FUNC:
            continue
        f = inst.exports[ex.name]
        res.types[ex.name] = f.type[1]
        try:
            out = inst.invoke(ex.name, args_for(f.type[0], k))
            _check_results(out, f.type[1])
            res.calls.append((ex.name, "ok", out))
        except Trap as e:
            _check_trap(e)
            res.calls.append((ex.name, _kind(e), e.reason))
        except Exit as e:
            res.calls.append((ex.name, "exit", e.status))
        k += 1
    mem = inst.memory()
    if keep_memory and mem is not None and mem.size <= 1 << 18:
        res.memory = mem.read(0, mem.size)


def describe(res):
    """One line for a bug: the exception type and message."""
    e = res.error
    return "%s: %s" % (type(e).__name__, e)


def traceback_text(e):
    """The traceback of e as text (both interpreters)."""
    try:
        import io
        buf = io.StringIO()
        if hasattr(sys, "print_exception"):
            sys.print_exception(e, buf)
        else:
            import traceback
            traceback.print_exception(type(e), e, e.__traceback__, file=buf)
        return buf.getvalue()
    except Exception:  # noqa: BLE001
        return repr(e)
