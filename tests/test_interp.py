# The dispatch loop against numeric.py: every integer op the loop runs itself (without leaving
# for the slow path) must agree bit for bit with the one definition of its meaning, traps
# included, on edge values, under CPython and MicroPython (where it is the viper loop).
import opnames
import wasi_micro
from wasi_micro import interp, ir, numeric, opcodes
from wasi_micro.errors import Trap
from host_tools.wasmbuild import codes, func_sec, module, name, section as sec, type_sec, \
    uleb as leb, vec

_E32 = (0, 1, 2, 3, 7, 31, 32, 33, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
        0x3FFFFFFF, 0x40000000, 0x7FFFFFFE, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFE,
        0xFFFFFFFF, 0x12345678, 0xDEADBEEF)
_E64 = (0, 1, 2, 31, 32, 33, 63, 64, 65, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000,
        0x1FFFFFFFF, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0x8000000000000001,
        0xFFFFFFFFFFFFFFFE, 0xFFFFFFFFFFFFFFFF, 0x123456789ABCDEF0, 0xFEDCBA9876543210)
# Ops the loop handles in place (the others leave through the slow path).
_OPS = tuple(range(0x45, 0x5B)) + tuple(range(0x67, 0x79)) + (0x7C, 0x7D, 0x7E) + \
    tuple(range(0x83, 0x8B)) + (0xA7, 0xAC, 0xAD) + tuple(range(0xC0, 0xC5))


def _module(ops):
    """A module exporting f<i>(params) = OP_i(params) for each op, typed from opcodes.SIG."""
    sigs = [opcodes.SIGS[opcodes.SIG[op]] for op in ops]
    exports = sec(7, vec([name(("f%d" % i).encode()) + b"\x00" + leb(i)
                           for i in range(len(ops))]))
    bodies = [b"".join(b"\x20" + leb(k) for k in range(len(sigs[i][0]))) + bytes([ops[i]]) +
              b"\x0b" for i in range(len(ops))]
    return module(type_sec(*sigs), func_sec(*range(len(ops))), exports, codes(*bodies))


def _outcome(fn, args):
    try:
        return fn(*args)
    except Trap as e:
        return "trap: " + e.reason


def test_loop_matches_numeric_on_edges():
    inst = wasi_micro.instantiate(wasi_micro.load(_module(_OPS)))
    bad = []
    for i in range(len(_OPS)):
        op = _OPS[i]
        params = opcodes.SIGS[opcodes.SIG[op]][0]
        edges = [_E64 if t == 0x7E else _E32 for t in params]
        cases = [(a,) for a in edges[0]] if len(params) == 1 else \
            [(a, b) for a in edges[0] for b in edges[1]]
        f = numeric.func(op)
        for args in cases:
            want = _outcome(f, args)
            got = _outcome(lambda *a: inst.invoke("f%d" % i, list(a))[0], args)
            if got != want:
                bad.append("%s%r = %r, want %r" % (opnames.name(op), args, got, want))
    assert not bad, "%d mismatches:\n%s" % (len(bad), "\n".join(bad[:20]))


def test_interp_ops_match_ir():
    # interp.py repeats ir.py's numbers as private consts (MicroPython inlines only a module's
    # own consts); under MicroPython those names are compiled away, so check under CPython.
    for n in dir(interp):
        if n.startswith("_") and n[1:].isupper() and hasattr(ir, n[1:]):
            assert getattr(interp, n) == getattr(ir, n[1:]), n
