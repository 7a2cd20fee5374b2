# Differential check against wasmtime (CPython only; needs `pip install wasmtime`).
#
# compare(data) runs a module on wasi_micro (through harness.run) and on wasmtime with the same
# import stubs and arguments, and returns a list of disagreements (empty when they agree or
# when the run is inconclusive: one side ran out of fuel or stack, which the two engines
# measure differently, and nothing after that is compared).
import struct

from . import harness

try:
    import wasmtime
except ImportError:  # the caller checks `available`
    wasmtime = None

available = wasmtime is not None

# wasi_micro's trap reasons -> wasmtime's trap codes.
_CODES = {
    "unreachable": "UNREACHABLE",
    "integer divide by zero": "INTEGER_DIVISION_BY_ZERO",
    "integer overflow": "INTEGER_OVERFLOW",
    "invalid conversion to integer": "BAD_CONVERSION_TO_INTEGER",
    "out of bounds memory access": "MEMORY_OUT_OF_BOUNDS",
    "out of bounds table access": "TABLE_OUT_OF_BOUNDS",
    "undefined element": "TABLE_OUT_OF_BOUNDS",
    "uninitialized element": "INDIRECT_CALL_TO_NULL",
    "indirect call type mismatch": "BAD_SIGNATURE",
}
_INCONCLUSIVE = ("OUT_OF_FUEL", "STACK_OVERFLOW", "INTERRUPT")
_FUEL = 20000000

_engine = []


def _get_engine():
    if not _engine:
        cfg = wasmtime.Config()
        cfg.consume_fuel = True
        cfg.wasm_tail_call = True
        # Small reservations: the fuzz workers run under an address-space limit.
        cfg.memory_reservation = 1 << 24
        cfg.memory_guard_size = 1 << 16
        _engine.append(wasmtime.Engine(cfg))
    return _engine[0]


def _valtype_code(vt):
    return {"i32": 0x7F, "i64": 0x7E, "f32": 0x7D, "f64": 0x7C, "funcref": 0x70,
            "externref": 0x6F}[str(vt)]


def _to_wasmtime(v, t):
    if t == 0x7F:
        return v - (1 << 32) if v >> 31 else v
    if t == 0x7E:
        return v - (1 << 64) if v >> 63 else v
    if t == 0x7D:
        return wasmtime.Val.f32(struct.unpack("<f", struct.pack("<I", v))[0])
    if t == 0x7C:
        return struct.unpack("<d", struct.pack("<Q", v))[0]
    return None


def _from_wasmtime(v, t):
    if t == 0x7F:
        return v & 0xFFFFFFFF
    if t == 0x7E:
        return v & 0xFFFFFFFFFFFFFFFF
    if t == 0x7D:
        return struct.unpack("<I", struct.pack("<f", v))[0]
    if t == 0x7C:
        return struct.unpack("<Q", struct.pack("<d", v))[0]
    return v


def same_value(a, b, t):
    """Raw values equal, any NaN matching any NaN."""
    if harness.is_nan(a, t) or harness.is_nan(b, t):
        return harness.is_nan(a, t) and harness.is_nan(b, t)
    return a == b


def _code(e):
    c = getattr(e, "trap_code", None)
    return str(c).split(".")[-1] if c is not None else "?"


class _Theirs:
    def __init__(self):
        self.cls = None  # invalid, init-trap, ran
        self.calls = []  # (name, kind, value): ok/results, trap/code, inconclusive
        self.memory = None
        self.init_code = None


def run_wasmtime(data, types_of, cfg=None):
    """Run on wasmtime like harness.run; types_of(name) -> (params, results) of an export."""
    cfg = cfg or harness.config()
    out = _Theirs()
    engine = _get_engine()
    store = wasmtime.Store(engine)
    store.set_fuel(_FUEL)
    # The same growth limits, so memory.grow and table.grow fail at the same sizes.
    store.set_limits(memory_size=cfg.max_memory, table_elements=cfg.max_table)
    try:
        module = wasmtime.Module(engine, data)
    except wasmtime.WasmtimeError:
        out.cls = "invalid"
        return out
    imports = []
    for im in module.imports:
        ft = im.type
        rs = tuple(_valtype_code(t) for t in ft.results)
        vals = [_to_wasmtime(harness.HOST_RESULTS[t], t) for t in rs]
        vals = [v.value if isinstance(v, wasmtime.Val) else v for v in vals]

        def fn(*args, _vals=vals):
            return _vals[0] if len(_vals) == 1 else (_vals or None)
        imports.append(wasmtime.Func(store, ft, fn))
    try:
        inst = wasmtime.Instance(store, module, imports)
    except wasmtime.Trap as e:
        out.cls = "init-trap"
        out.init_code = _code(e)
        return out
    except wasmtime.WasmtimeError:  # its own resource limits
        out.cls = "inconclusive"
        return out
    out.cls = "ran"
    exports = inst.exports(store)
    k = 0
    for ex in module.exports:
        if not isinstance(ex.type, wasmtime.FuncType):
            continue
        ps, rs = types_of(ex.name)
        args = [_to_wasmtime(v, t) for v, t in zip(harness.args_for(ps, k), ps)]
        k += 1
        try:
            r = exports[ex.name](store, *args)
        except wasmtime.Trap as e:
            code = _code(e)
            out.calls.append((ex.name, "inconclusive" if code in _INCONCLUSIVE else "trap", code))
            if code in _INCONCLUSIVE:
                return out
            continue
        except wasmtime.WasmtimeError as e:  # its own resource limits (a huge table.grow)
            out.calls.append((ex.name, "inconclusive", str(e)))
            return out
        if r is None:
            r = []
        elif not isinstance(r, (list, tuple)):
            r = [r]
        out.calls.append((ex.name, "ok", [_from_wasmtime(v, t) for v, t in zip(r, rs)]))
    mem = exports.get("memory") if hasattr(exports, "get") else None
    if isinstance(mem, wasmtime.Memory):
        out.memory = bytes(mem.read(store, 0, mem.data_len(store)))
    return out


def compare(data, cfg=None, mode="paged"):
    """Disagreements between wasi_micro and wasmtime on module `data`, as strings."""
    ours = harness.run(data, cfg, keep_memory=True, mode=mode)
    if ours.cls == "bug":
        return ["wasi_micro bug: %s" % harness.describe(ours)]
    if ours.cls in ("malformed", "invalid", "load-limit"):
        theirs = run_wasmtime(data, None, cfg) if ours.cls != "load-limit" else None
        if theirs is not None and theirs.cls != "invalid":
            return ["wasi_micro rejects (%s), wasmtime accepts" % ours.cls]
        return []
    types = {}
    import wasi_micro
    m = wasi_micro.load(data)
    for ex in m.exports:
        if ex.kind == 0:
            types[ex.name] = m.func_type(ex.index)
    theirs = run_wasmtime(data, types.get, cfg)
    if theirs.cls == "invalid":
        return ["wasmtime rejects, wasi_micro accepts (%s)" % ours.cls]
    if ours.cls in ("init-limit", "init-exhaustion") or theirs.cls == "inconclusive":
        return []
    if ours.cls == "init-trap" or theirs.cls == "init-trap":
        if ours.cls != theirs.cls:
            return ["instantiation: wasi_micro %s, wasmtime %s %s" % (ours.cls, theirs.cls,
                                                                     theirs.init_code)]
        return []
    bad = []
    for i in range(min(len(ours.calls), len(theirs.calls))):
        name, kind, v = ours.calls[i]
        _, tkind, tv = theirs.calls[i]
        if kind in ("limit", "exhaustion") or tkind == "inconclusive":
            return bad
        if kind != tkind:
            bad.append("%s: wasi_micro %s %r, wasmtime %s %r" % (name, kind, v, tkind, tv))
        elif kind == "trap" and _CODES.get(v) != tv:
            bad.append("%s: wasi_micro trap %r, wasmtime trap %s" % (name, v, tv))
        elif kind == "ok":
            rs = types[name][1]
            if len(v) != len(tv) or not all(same_value(a, b, t) for a, b, t in zip(v, tv, rs)):
                bad.append("%s: wasi_micro %r, wasmtime %r" % (name, _hexes(v), _hexes(tv)))
        if bad:
            return bad  # later calls see a different state
    if len(ours.calls) != len(theirs.calls):
        return ["calls: wasi_micro %d, wasmtime %d" % (len(ours.calls), len(theirs.calls))]
    if ours.memory is not None and theirs.memory is not None and ours.memory != theirs.memory:
        i = 0
        while ours.memory[i:i + 1] == theirs.memory[i:i + 1]:
            i += 1
        return ["memory differs (sizes %d, %d) first at %d" % (len(ours.memory),
                                                               len(theirs.memory), i)]
    return bad


def _hexes(vs):
    return [hex(v) for v in vs]
