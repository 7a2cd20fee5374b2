# The native tier (native.py, Config.tier): its inline op forms against numeric.py's functions,
# what it does not translate staying interpreted, traps named after the function they happen
# in, fuel and the deadline in translated loops, and generated modules run both ways (a fuzz
# differential: tier off against tier all).
import sys

import support
import wasi_micro
from host_tools import wasmbuild as B
from host_tools.fuzz import harness
from wasi_micro import native
from wasi_micro.config import Config
from wasi_micro.errors import LimitError, Trap
from wasi_micro.numeric import func

_EDGES = (0, 1, 2, 7, 31, 32, 33, 63, 64, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF,
          0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF,
          0x8000000000000000, 0xFFFFFFFFFFFFFFFF)


def _width(op):
    from wasi_micro.opcodes import SIG, SIGS
    params, _ = SIGS[SIG[op]]
    return [64 if t in (0x7E, 0x7C) else 32 for t in params]


def _check_forms(table, names):
    for op in table:
        widths = _width(op)
        inline = eval("lambda a, b: int(%s)" % table[op].format(a="a", b="b"), names)
        ref = func(op)
        for a in _EDGES:
            a &= (1 << widths[0]) - 1
            for b in _EDGES if len(widths) > 1 else (0,):
                b &= (1 << widths[-1]) - 1
                want = ref(a, b) if len(widths) > 1 else ref(a)
                assert inline(a, b) == want, (hex(op), a, b, inline(a, b), want)


def test_inline_forms_match_numeric():
    _check_forms(native._INLINE, {})


def test_viper_forms_match_numeric():
    # The viper form's, with its words as the unix port's (64 bits: M masks).
    from wasi_micro import native_viper
    _check_forms(native_viper.INLINE, {"M": 0xFFFFFFFF, "S": 0x80000000, "uint": int})


def _module(body, params=(), results=(B.I32,), memory=False, table=False):
    m = B.Module()
    if memory:
        m.set_memory(1)
    if table:
        m.set_table(1)
    m.func(list(params), list(results), body, export="f")
    return wasi_micro.load(m.bytes())


def _run(mod, args, tier="all", **kw):
    inst = wasi_micro.instantiate(mod, None, Config(tier=tier, **kw))
    return inst, inst.invoke("f", args)


def test_loop_runs_translated():
    # f(n): n + (n - 1) + ... + 1 in a loop with a br_if out and a br back.
    body = (b"\x03\x40" + B.get(0) + b"\x45\x0d\x01" + B.get(1) + B.get(0) + b"\x6a\x21\x01" +
            B.get(0) + B.i32(1) + b"\x6b\x21\x00\x0c\x00\x0b" + B.get(1))
    m = B.Module()
    m.func([B.I32], [B.I32], b"\x02\x40" + body[:-2] + b"\x0b" + body[-2:], locals_=[B.I32],
           export="f")
    mod = wasi_micro.load(m.bytes())
    inst, out = _run(mod, [100])
    assert out == [5050] and _run(mod, [100], "off")[1] == [5050]
    assert inst.func(0).host is not None and not inst.tier.failed


def test_interned_names_are_one_object():
    # The tier's namespace keys (function and helper names made at run time) are interned:
    # translated code finds its globals by identity only then (qstrs on MicroPython), and
    # compares a key's text on every lookup otherwise. Names no code here spells as a literal.
    from wasi_micro.compat_native import interned
    a = "".join(["zq", "x%d" % 7919])
    b = "zqx" + str(7919)
    assert a == b and interned(a) is interned(b) and interned(a) == a


def test_untranslated_function_stays_interpreted():
    # table.size (not translated): the function runs in the loop, with the right answer.
    mod = _module(B.fc(16, 0), table=True)
    inst, out = _run(mod, [])
    assert out == [1] and inst.tier.failed == {0} and inst.func(0).host is None


def test_traps_are_named():
    mod = _module(B.get(0) + B.i32(0) + b"\x6d", params=[B.I32])  # i32.div_s by 0
    e = support.raises(Trap, _run, mod, [1])
    assert e.reason == "integer divide by zero" and e.func == "wasm-function[0]"
    mod = _module(B.i32(65535) + B.mem(0x28), memory=True)  # i32.load across the end
    e = support.raises(Trap, _run, mod, [])
    assert e.reason == "out of bounds memory access" and e.func == "wasm-function[0]"
    mod = _module(b"\x00", results=())
    e = support.raises(Trap, _run, mod, [])
    assert e.reason == "unreachable" and e.func == "wasm-function[0]"


def test_fuel_and_deadline_stop_translated_loops():
    spin = _module(b"\x03\x40\x0c\x00\x0b", results=())
    e = support.raises(LimitError, _run, spin, [], fuel=5000)
    assert e.reason == "all fuel consumed" and e.func == "wasm-function[0]"
    e = support.raises(LimitError, _run, spin, [], deadline=0.2)
    assert e.reason == "deadline exceeded" and e.func == "wasm-function[0]"
    # Called again once translated (straight from the host, no driver): the same limits.
    count = _module(b"\x03\x40" + B.get(0) + B.i32(1) + b"\x6b\x22\x00\x0d\x00\x0b" +
                    B.get(0), params=[B.I32])
    for kw in ({"fuel": 5000}, {"deadline": 0.2}):
        inst, out = _run(count, [10], **kw)
        assert out == [0] and inst.func(0).host is not None
        assert inst.invoke("f", [1000]) == [0]
        e = support.raises(LimitError, inst.invoke, "f", [1 << 31])
        assert e.func == "wasm-function[0]"


def test_auto_tiers_up_a_hot_loop():
    # count(n) spins n times: at 1000 branches a fuel slice, its second slice end tiers it
    # up; the call under way finishes in the loop, the next runs translated.
    m = B.Module()
    m.func([B.I32], [B.I32], b"\x03\x40" + B.get(0) + B.i32(1) + b"\x6b\x22\x00\x0d\x00\x0b" +
           B.get(0), export="f")
    mod = wasi_micro.load(m.bytes())
    inst, out = _run(mod, [5000], "auto", fuel_slice=1000)
    assert out == [0] and inst.func(0).host is not None
    assert inst.invoke("f", [7]) == [0]
    inst, out = _run(mod, [5000], "auto", fuel_slice=1000, code_cache=1 << 16)
    assert out == [0] and inst.func(0).host is None  # no auto with a code cache


def _calls(res):
    """A run's calls up to the first stopped by a limit or exhaustion (where the two tiers
    may differ: fuel counts other events, and the call depth is the host's)."""
    out = []
    for call in res.calls:
        if call[1] in ("limit", "exhaustion"):
            break
        out.append(call)
    return out


def test_differential_against_the_interpreter():
    # Generated modules, flat and paged memory, tier all and auto (whose fuel slices end
    # inside the calls: functions tier up while they run).
    if sys.implementation.name == "micropython":
        support.skip("the module generator (fuzz/wasmgen.py) is CPython only")
    n = 400
    import random
    from host_tools.fuzz import wasmgen
    ran = 0
    for seed in range(n):
        data = wasmgen.Gen(random.Random(seed), det=True).module()
        mode = ("flat", "paged")[seed % 2]
        tier = ("all", "auto")[seed // 2 % 2]
        a = harness.run(data, harness.config(mode), keep_memory=True, mode=mode)
        b = harness.run(data, harness.config(mode, tier=tier), keep_memory=True, mode=mode)
        assert b.cls != "bug", (seed, harness.describe(b))
        assert a.cls == b.cls, (seed, a.summary(), b.summary())
        ca = _calls(a)
        cb = _calls(b)
        k = min(len(ca), len(cb))
        assert ca[:k] == cb[:k], (seed, a.summary(), b.summary())
        if len(ca) == len(a.calls) and len(cb) == len(b.calls):
            assert a.memory == b.memory, seed
        ran += a.cls == "ran"
    assert ran > n // 2, ran
