# wasi_micro.softfloat: its helpers, hand-derived edge cases, and a differential run against
# the host-float path of numeric.py (an IEEE double on CPython and on the MicroPython unix
# port) over edge and pseudo-random bit patterns.
import gc

import support
from wasi_micro import numeric, softfloat

_F32 = (23, 8)
_F64 = (52, 11)
_OPS = ("add", "sub", "mul", "div", "sqrt")


def test_bitlen():
    assert softfloat.bitlen(0) == 0
    for n in range(200):
        assert softfloat.bitlen(1 << n) == n + 1
        assert softfloat.bitlen((1 << (n + 1)) - 1) == n + 1


def test_isqrt():
    for n in list(range(1, 300)) + [(1 << 106) - 1, 1 << 106, (1 << 107) + 12345, 10 ** 40]:
        r = softfloat._isqrt(n)
        assert r * r <= n < (r + 1) * (r + 1), n


def test_pack_rounding():
    p = softfloat.pack
    # 1.0 is m = 1 << 23 at ef = 127; three more bits below it: ties go to even.
    assert p(0, 0x8 << 23, 127 - 3, 23, 8) == 0x3F800000
    assert p(0, (0x8 << 23) | 4, 127 - 3, 23, 8) == 0x3F800000  # 1 + half ulp: tie, to even
    assert p(0, (0x8 << 23) | 12, 127 - 3, 23, 8) == 0x3F800002  # 1 + 1.5 ulp: tie, to even
    assert p(0, (0x8 << 23) | 5, 127 - 3, 23, 8) == 0x3F800001  # above the tie
    assert p(1, (1 << 25) - 1, 127, 23, 8) == 0xC0800000  # -(4 - 2**-23): carry to 4.0
    assert p(0, 1 << 23, 255, 23, 8) == 0x7F800000  # 2**128: overflow to inf
    assert p(0, (1 << 24) - 1, 254, 23, 8) == 0x7F7FFFFF  # the largest finite f32
    assert p(0, 1, -149 + 150, 23, 8) == 1  # 2**-149
    assert p(1, 1, -150 + 150, 23, 8) == 0x80000000  # -2**-150: tie, to even 0
    assert p(0, 3, -151 + 150, 23, 8) == 1  # 0.75 * 2**-149
    assert p(0, 1, -1000, 23, 8) == 0 and p(1, 1, -1000, 52, 11) == 1 << 63


# Hand-derived: every line says what the bits are.
_EDGES32 = (
    ("add", 0x7F7FFFFF, 0x7F7FFFFF, 0x7F800000),  # max + max overflows
    ("add", 0x7F7FFFFF, 0x72FFFFFF, 0x7F7FFFFF),  # + just under 2**103 (half an ulp of max)
    ("add", 0x7F7FFFFF, 0x73000000, 0x7F800000),  # + 2**103: a tie, max is odd: up to inf
    ("add", 0x3F800000, 0x33800000, 0x3F800000),  # 1 + 2**-24: tie, to even 1
    ("add", 0x3F800001, 0x33800000, 0x3F800002),  # (1 + ulp) + half ulp: tie, to even
    ("add", 0x3F800000, 0x00000001, 0x3F800000),  # 1 + min subnormal: far below, sticky only
    ("sub", 0x3F800000, 0x00000001, 0x3F800000),  # 1 - min subnormal: back to 1
    ("sub", 0x3F800000, 0x3F800000, 0x00000000),  # x - x = +0
    ("add", 0x80000000, 0x80000000, 0x80000000),  # -0 + -0 = -0
    ("add", 0x80000000, 0x00000000, 0x00000000),  # -0 + +0 = +0
    ("sub", 0x00800000, 0x00000001, 0x007FFFFF),  # min normal - min subnormal: a subnormal
    ("add", 0x007FFFFF, 0x00000001, 0x00800000),  # into the normals
    ("sub", 0x7F800000, 0x7F800000, 0x7FC00000),  # inf - inf
    ("mul", 0x00000001, 0x3F000000, 0x00000000),  # min subnormal * 0.5: tie, to even 0
    ("mul", 0x00000003, 0x3F000000, 0x00000002),  # 1.5 min subnormals: tie, to even 2
    ("mul", 0x7F800000, 0x80000000, 0x7FC00000),  # inf * -0
    ("mul", 0x5F800000, 0x5F800000, 0x7F800000),  # 2**64 * 2**64 = 2**128: inf
    ("mul", 0xDF800000, 0x5F7FFFFF, 0xFF7FFFFF),  # -2**64 * (2**64 - 2**40): -max
    ("div", 0x3F800000, 0x40400000, 0x3EAAAAAB),  # 1/3 rounds up
    ("div", 0x3F800000, 0x80000000, 0xFF800000),  # 1 / -0 = -inf
    ("div", 0x00000000, 0x00000000, 0x7FC00000),  # 0 / 0
    ("div", 0x00000001, 0x7F000000, 0x00000000),  # 2**-149 / 2**127: underflow to 0
    ("div", 0x00000001, 0x3F000000, 0x00000002),  # subnormal / 0.5
    ("div", 0x7F7FFFFF, 0x3F000000, 0x7F800000),  # max / 0.5: inf
    ("sqrt", 0x40000000, None, 0x3FB504F3),  # sqrt(2) rounds down
    ("sqrt", 0x00000001, None, 0x1A3504F3),  # sqrt(2**-149) = 2**-74.5
    ("sqrt", 0x80000000, None, 0x80000000),  # sqrt(-0) = -0
    ("sqrt", 0xBF800000, None, 0x7FC00000),  # sqrt(-1): NaN
    ("sqrt", 0x7F800000, None, 0x7F800000),
    ("add", 0x7FA00000, 0x3F800000, 0x7FC00000),  # a signalling NaN in: canonical out
    ("mul", 0xFFC00001, 0x3F800000, 0x7FC00000),
)
_EDGES64 = (
    ("add", 0x3FF0000000000000, 0x3CA0000000000000, 0x3FF0000000000000),  # 1 + 2**-53: tie
    # max's ulp is 2**971, half of it 2**970 = 0x7C90000000000000
    ("add", 0x7FEFFFFFFFFFFFFF, 0x7C8FFFFFFFFFFFFF, 0x7FEFFFFFFFFFFFFF),  # max + < half ulp
    ("add", 0x7FEFFFFFFFFFFFFF, 0x7C90000000000000, 0x7FF0000000000000),  # a tie, up to inf
    ("sub", 0x0010000000000000, 0x0000000000000001, 0x000FFFFFFFFFFFFF),
    ("mul", 0x0000000000000001, 0x3FE0000000000000, 0x0000000000000000),  # tie, to even 0
    ("mul", 0x0000000000000001, 0x3FF8000000000000, 0x0000000000000002),  # 1.5: tie, to 2
    ("div", 0x3FF0000000000000, 0x4008000000000000, 0x3FD5555555555555),  # 1/3
    ("div", 0x8000000000000000, 0x7FF0000000000000, 0x8000000000000000),  # -0 / inf = -0
    ("div", 0x7FF0000000000000, 0x7FF0000000000000, 0x7FF8000000000000),
    ("sqrt", 0x4000000000000000, None, 0x3FF6A09E667F3BCD),  # sqrt(2)
    ("sqrt", 0x0000000000000001, None, 0x1E60000000000000),  # sqrt(2**-1074) = 2**-537
    # sqrt(max) = 2**512 * sqrt(1 - 2**-53), just under the tie 2**512 * (1 - 2**-54)
    ("sqrt", 0x7FEFFFFFFFFFFFFF, None, 0x5FEFFFFFFFFFFFFF),
)


def _edges(fmt, table, impl):
    for op, a, b, want in table:
        f = getattr(impl, fmt + "_" + op)
        got = f(a) if b is None else f(a, b)
        assert got == want, "%s_%s(0x%x, %r): 0x%x, want 0x%x" % (fmt, op, a, b, got, want)


def test_soft_edges():
    _edges("f32", _EDGES32, softfloat)
    _edges("f64", _EDGES64, softfloat)


class _Host:
    """numeric's host-float path under the softfloat names."""

    def __getattr__(self, name):
        return support.numeric_fn("_host_" + name)


def test_host_edges():
    if not numeric._host_exact():
        support.skip("host float is not an exact IEEE double")
    _edges("f32", _EDGES32, _Host())
    _edges("f64", _EDGES64, _Host())


class _Rand:
    """xorshift64*: the same stream on every interpreter."""

    def __init__(self, seed):
        self.s = seed

    def bits(self, n):
        s = self.s
        s ^= s >> 12
        s ^= (s << 25) & 0xFFFFFFFFFFFFFFFF
        s ^= s >> 27
        self.s = s
        return ((s * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF) >> (64 - n)

    def below(self, n):
        return self.bits(32) % n


def _special_values(p, w):
    # Zeros, subnormals, the normal range's ends, around 1, infinities and NaNs; both signs.
    emax = (1 << w) - 1
    bias = emax >> 1
    out = []
    for e in (0, 1, 2, bias - p - 2, bias - 1, bias, bias + 1, bias + p + 1, emax - 1, emax):
        for m in (0, 1, 3, 1 << (p - 1), (1 << (p - 1)) + 1, (1 << p) - 1):
            for s in (0, 1):
                out.append((((s << w) | e) << p) | m)
    return out


def _random_value(r, p, w, near=None):
    """Mostly structured bit patterns: exponents at the range ends, fractions with long runs
    of ones or zeros, and values close to `near` (cancellation, alignment, sticky bits)."""
    emax = (1 << w) - 1
    k = r.below(8)
    if k == 0:
        return r.bits(p + w + 1)
    s = r.bits(1)
    if near is not None and k < 4:
        e = ((near >> p) & emax) + r.below(2 * p + 12) - p - 6
        e = 0 if e < 0 else (emax - 1 if e >= emax else e)
    elif k == 4:
        e = r.below(4)  # subnormal or tiny
    elif k == 5:
        e = emax - 1 - r.below(4)  # huge
    else:
        e = r.below(emax)
    m = r.bits(p)
    j = r.below(4)
    if j == 0:
        m = (1 << r.below(p + 1)) - 1  # ones at the bottom
    elif j == 1:
        m = ((1 << p) - 1) ^ ((1 << r.below(p + 1)) - 1)  # ones at the top
    if near is not None and k == 1:
        return near ^ r.bits(r.below(6) + 1)  # the same value but its last few bits
    return (((s << w) | e) << p) | m


def _differential(fmt, count, seed):
    # MicroPython: a function whose frame is heap-allocated (about ten locals or more) leaves
    # the allocator searching past all garbage since the last collection on each call, so with
    # -X heapsize=64M this loop slows quadratically. Collect every 64 KB instead.
    old = gc.threshold() if hasattr(gc, "threshold") else None
    if old is not None:
        gc.threshold(65536)
    try:
        return _compare(fmt, count, seed)
    finally:
        if old is not None:
            gc.threshold(old)


def _compare(fmt, count, seed):
    p, w = _F32 if fmt == "f32" else _F64
    soft = [getattr(softfloat, fmt + "_" + op) for op in _OPS]
    host = [support.numeric_fn("_host_" + fmt + "_" + op) for op in _OPS]
    specials = _special_values(p, w)
    n = 0

    def check(i, a, b):
        if i == 4:
            x, y = soft[4](a), host[4](a)
        else:
            x, y = soft[i](a, b), host[i](a, b)
        assert x == y, "%s_%s(0x%x, 0x%x): soft 0x%x, host 0x%x" % (fmt, _OPS[i], a, b, x, y)

    for a in specials:
        for b in specials:
            for i in range(4):
                check(i, a, b)
                n += 1
        check(4, a, 0)
        n += 1
    r = _Rand(seed)
    for _ in range(count):
        a = _random_value(r, p, w)
        b = _random_value(r, p, w, a)
        for i in range(5):
            check(i, a, b)
            n += 1
    return n


def test_soft_matches_host_f32():
    if not numeric._host_exact():
        support.skip("host float is not an exact IEEE double")
    assert _differential("f32", 4000, 0x9E3779B97F4A7C15) > 0


def test_soft_matches_host_f64():
    if not numeric._host_exact():
        support.skip("host float is not an exact IEEE double")
    assert _differential("f64", 4000, 0xD1B54A32D192ED03) > 0
