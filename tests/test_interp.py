# The dispatch loop against numeric.py: every i32 op the loop runs itself (without leaving
# for the slow path) must agree bit for bit with the one definition of its meaning, on edge
# values, under CPython and MicroPython (where it is the viper loop).
import wasi_micro
from wasi_micro import interp, ir, numeric, opcodes

_EDGES = (0, 1, 2, 3, 7, 31, 32, 33, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
          0x3FFFFFFF, 0x40000000, 0x7FFFFFFE, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFE,
          0xFFFFFFFF, 0x12345678, 0xDEADBEEF)
# Ops the loop handles in place: i32 compares, arithmetic except division, sign extension
# goes out (it is listed only where the loop has it).
_BINOPS = (0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F, 0x6A, 0x6B, 0x6C,
           0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78)


def _leb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _module(ops):
    """A module exporting f<i>(a, b) = a OP_i b for each op."""
    n = len(ops)
    types = b"\x01\x60\x02\x7f\x7f\x01\x7f"
    funcs = _leb(n) + b"\x00" * n
    exports = bytearray(_leb(n))
    bodies = bytearray(_leb(n))
    for i in range(n):
        name = ("f%d" % i).encode()
        exports += _leb(len(name)) + name + b"\x00" + _leb(i)
        body = b"\x00\x20\x00\x20\x01" + bytes([ops[i]]) + b"\x0b"
        bodies += _leb(len(body)) + body

    def section(sid, payload):
        return bytes([sid]) + _leb(len(payload)) + payload

    return (b"\x00asm\x01\x00\x00\x00" + section(1, types) + section(3, funcs) +
            section(7, bytes(exports)) + section(10, bytes(bodies)))


def test_loop_matches_numeric_on_edges():
    inst = wasi_micro.instantiate(wasi_micro.load(_module(_BINOPS)))
    bad = []
    for i in range(len(_BINOPS)):
        op = _BINOPS[i]
        f = numeric.func(op)
        for a in _EDGES:
            for b in _EDGES:
                got = inst.invoke("f%d" % i, [a, b])[0]
                want = f(a, b)
                if got != want:
                    bad.append("%s(%#x, %#x) = %#x, want %#x" % (opcodes.name(op), a, b, got, want))
    assert not bad, "\n".join(bad[:20])


def test_interp_ops_match_ir():
    # interp.py repeats ir.py's numbers as private consts (MicroPython inlines only a module's
    # own consts); under MicroPython those names are compiled away, so check under CPython.
    names = [n for n in dir(interp) if n.startswith("_") and n[1:].isupper()]
    if not names:
        return
    for n in names:
        if hasattr(ir, n[1:]):
            assert getattr(interp, n) == getattr(ir, n[1:]), n
