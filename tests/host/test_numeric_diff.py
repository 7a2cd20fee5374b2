"""CPython-only differential tests of wasi_micro.numeric and softfloat against independent
oracles: numpy's float32/float64 arithmetic and casts (single-precision hardware ops, no double
rounding), exact rational arithmetic (fractions; CPython's int / int is correctly rounded), and
Python's own int -> float conversion. Bit patterns come from hypothesis."""
import math
import struct
import sys
from fractions import Fraction

import pytest

sys.path.insert(0, __file__.rsplit("/", 3)[0])

from wasi_micro import numeric, numeric_f32, softfloat  # noqa: E402
from wasi_micro.errors import Trap  # noqa: E402

np = pytest.importorskip("numpy")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402

EXAMPLES = settings(max_examples=1500, deadline=None)


def _specials(p, w):
    emax = (1 << w) - 1
    bias = emax >> 1
    out = []
    for e in (0, 1, 2, bias - 1, bias, bias + 1, bias + p, emax - 1, emax):
        for m in (0, 1, (1 << (p - 1)), (1 << p) - 1):
            for s in (0, 1):
                out.append((((s << w) | e) << p) | m)
    return out


def _bits(p, w):
    n = p + w + 1
    emax = (1 << w) - 1
    structured = st.builds(
        lambda s, e, m: (((s << w) | e) << p) | m,
        st.integers(0, 1),
        st.one_of(st.integers(0, 3), st.integers(emax - 3, emax), st.integers(0, emax)),
        st.one_of(st.integers(0, 3), st.integers((1 << p) - 4, (1 << p) - 1),
                  st.integers(0, (1 << p) - 1)))
    return st.one_of(st.integers(0, (1 << n) - 1), structured, st.sampled_from(_specials(p, w)))


F32 = _bits(23, 8)
F64 = _bits(52, 11)


def _canon32(x):
    return 0x7FC00000 if (x & 0x7FFFFFFF) > 0x7F800000 else x


def _canon64(x):
    return 0x7FF8000000000000 if (x & 0x7FFFFFFFFFFFFFFF) > 0x7FF0000000000000 else x


def _np32(bits):
    return np.array([bits], dtype=np.uint32).view(np.float32)[0]


def _np_bits32(x):
    return _canon32(int(np.array([x], dtype=np.float32).view(np.uint32)[0]))


def _np64(bits):
    return np.array([bits], dtype=np.uint64).view(np.float64)[0]


def _np_bits64(x):
    return _canon64(int(np.array([x], dtype=np.float64).view(np.uint64)[0]))


_NP_OPS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide}


@pytest.mark.parametrize("op", sorted(_NP_OPS))
@EXAMPLES
@given(a=F32, b=F32)
def test_f32_binary_vs_numpy(op, a, b):
    with np.errstate(all="ignore"):
        want = _np_bits32(_NP_OPS[op](_np32(a), _np32(b)))
    assert getattr(softfloat, "f32_" + op)(a, b) == want
    assert getattr(numeric_f32, "_host_f32_" + op)(a, b) == want


@EXAMPLES
@given(a=F32)
def test_f32_sqrt_vs_numpy(a):
    with np.errstate(all="ignore"):
        want = _np_bits32(np.sqrt(_np32(a)))
    assert softfloat.f32_sqrt(a) == want
    assert numeric_f32._host_f32_sqrt(a) == want


def _exact(bits):
    """(Fraction, None) of a finite f64, or (None, float) for inf/NaN."""
    x = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if math.isinf(x) or math.isnan(x):
        return None, x
    return Fraction(x), x


def _round64(q):
    # Fraction -> nearest double, ties to even (CPython's int / int is correctly rounded).
    try:
        x = q.numerator / q.denominator
    except OverflowError:
        x = math.inf if q > 0 else -math.inf
    return x


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
@EXAMPLES
@given(a=F64, b=F64)
def test_f64_binary_vs_fractions(op, a, b):
    qa, xa = _exact(a)
    qb, xb = _exact(b)
    if qa is None or qb is None or (op == "div" and qb == 0):
        with np.errstate(all="ignore"):  # specials: IEEE rules as numpy applies them
            want = _np_bits64(_NP_OPS[op](np.float64(xa), np.float64(xb)))
    else:
        q = {"add": lambda: qa + qb, "sub": lambda: qa - qb, "mul": lambda: qa * qb,
             "div": lambda: qa / qb}[op]()
        if q == 0:
            # An exact zero: its sign follows IEEE (numpy on the same operands).
            with np.errstate(all="ignore"):
                want = _np_bits64(_NP_OPS[op](np.float64(xa), np.float64(xb)))
        else:
            want = _canon64(struct.unpack("<Q", struct.pack("<d", _round64(q)))[0])
    assert getattr(softfloat, "f64_" + op)(a, b) == want
    assert getattr(numeric, "_host_f64_" + op)(a, b) == want


@EXAMPLES
@given(a=F64)
def test_f64_sqrt_exact(a):
    got = softfloat.f64_sqrt(a)
    assert got == numeric._host_f64_sqrt(a)
    q, x = _exact(a)
    if q is None or q <= 0:
        return
    # got is the correctly rounded root iff the exact root lies within half an ulp of it,
    # on the even side at a tie (never happens for a root): check with integers.
    r = Fraction(struct.unpack("<d", struct.pack("<Q", got))[0])
    nxt = Fraction(struct.unpack("<d", struct.pack("<Q", got + 1))[0])
    prv = Fraction(struct.unpack("<d", struct.pack("<Q", got - 1))[0])
    lo = (prv + r) / 2
    hi = (r + nxt) / 2
    assert lo * lo < q < hi * hi


@EXAMPLES
@given(v=st.one_of(st.integers(0, (1 << 64) - 1), st.integers(0, (1 << 32) - 1),
                   st.sampled_from([(1 << 53) + (1 << 29) + 1, (1 << 64) - 1, 1 << 63,
                                    (1 << 63) + (1 << 39), (1 << 32) - 128, 0x7FFFFFBF])))
def test_int_to_float_vs_numpy(v):
    s64 = v - (1 << 64) if v >> 63 else v
    assert numeric_f32.f32_convert_i64_u(v) == _np_bits32(np.float32(np.uint64(v)))
    assert numeric_f32.f32_convert_i64_s(v) == _np_bits32(np.float32(np.int64(s64)))
    assert numeric.f64_convert_i64_u(v) == struct.unpack("<Q", struct.pack("<d", float(v)))[0]
    assert numeric.f64_convert_i64_s(v) == _np_bits64(np.float64(s64)) == _np_bits64(float(s64))
    w = v & 0xFFFFFFFF
    s32 = w - (1 << 32) if w >> 31 else w
    assert numeric_f32.f32_convert_i32_u(w) == _np_bits32(np.float32(np.uint32(w)))
    assert numeric_f32.f32_convert_i32_s(w) == _np_bits32(np.float32(np.int32(s32)))
    assert numeric.f64_convert_i32_s(w) == _np_bits64(float(s32))


@EXAMPLES
@given(a=F64, b=F32)
def test_demote_promote_vs_numpy(a, b):
    with np.errstate(all="ignore"):
        assert numeric_f32.f32_demote_f64(a) == _np_bits32(np.float32(_np64(a)))
    assert numeric_f32.f64_promote_f32(b) == _np_bits64(np.float64(_np32(b)))


_ROUND = {"ceil": np.ceil, "floor": np.floor, "trunc": np.trunc, "nearest": np.rint}


@pytest.mark.parametrize("op", sorted(_ROUND))
@EXAMPLES
@given(a=F32, b=F64)
def test_rounding_vs_numpy(op, a, b):
    with np.errstate(all="ignore"):
        assert getattr(numeric_f32, "f32_" + op)(a) == _np_bits32(_ROUND[op](_np32(a)))
        assert getattr(numeric, "f64_" + op)(b) == _np_bits64(_ROUND[op](_np64(b)))


@EXAMPLES
@given(a=F32, b=F32, c=F64, d=F64)
def test_compare_min_max_vs_numpy(a, b, c, d):
    for fmt, x, y, val in (("f32", a, b, _np32), ("f64", c, d, _np64)):
        fx, fy = val(x), val(y)
        for op, ref in (("eq", fx == fy), ("ne", fx != fy), ("lt", fx < fy), ("gt", fx > fy),
                        ("le", fx <= fy), ("ge", fx >= fy)):
            assert getattr(_OF[fmt], fmt + "_" + op)(x, y) == int(bool(ref))
        bits = _np_bits32 if fmt == "f32" else _np_bits64
        if fx == 0 and fy == 0:  # numpy leaves the zero's sign unspecified; wasm does not
            continue
        assert getattr(_OF[fmt], fmt + "_min")(x, y) == bits(np.minimum(fx, fy))
        assert getattr(_OF[fmt], fmt + "_max")(x, y) == bits(np.maximum(fx, fy))


_OF = {"f32": numeric_f32, "f64": numeric}  # the module with the ops on a format

_TRUNC = [("i32_trunc_f32_s", 23, 8, -(1 << 31), (1 << 31) - 1),
          ("i32_trunc_f32_u", 23, 8, 0, (1 << 32) - 1),
          ("i64_trunc_f32_s", 23, 8, -(1 << 63), (1 << 63) - 1),
          ("i64_trunc_f32_u", 23, 8, 0, (1 << 64) - 1),
          ("i32_trunc_f64_s", 52, 11, -(1 << 31), (1 << 31) - 1),
          ("i32_trunc_f64_u", 52, 11, 0, (1 << 32) - 1),
          ("i64_trunc_f64_s", 52, 11, -(1 << 63), (1 << 63) - 1),
          ("i64_trunc_f64_u", 52, 11, 0, (1 << 64) - 1)]


@pytest.mark.parametrize("name,p,w,lo,hi", _TRUNC)
@EXAMPLES
@given(a32=F32, a64=F64, near=st.integers(-(1 << 64), 1 << 64))
def test_truncation_vs_math(name, p, w, lo, hi, a32, a64, near):
    # Also values right at the integer boundaries: the nearest floats to near-range integers.
    fmt = "<f" if p == 23 else "<d"
    ifmt = "<I" if p == 23 else "<Q"
    for a in (a32 if p == 23 else a64,
              struct.unpack(ifmt, struct.pack(fmt, float(lo) if near & 1 else float(hi)))[0],
              struct.unpack(ifmt, struct.pack(fmt, float(np.float32(near)) if p == 23
                                              else float(near)))[0]):
        x = struct.unpack(fmt, struct.pack(ifmt, a))[0]
        m = _OF["f32" if p == 23 else "f64"]
        fn = getattr(m, name)
        sat = getattr(m, name.replace("trunc_", "trunc_sat_"))
        if math.isnan(x):
            with pytest.raises(Trap):
                fn(a)
            assert sat(a) == 0
            continue
        t = math.trunc(x) if not math.isinf(x) else (hi + 1 if x > 0 else lo - 1)
        mask = hi - lo
        if lo <= t <= hi:
            assert fn(a) == t & mask
        else:
            e = pytest.raises(Trap, fn, a)
            assert e.value.reason == "integer overflow"
        assert sat(a) == min(max(t, lo), hi) & mask
