# IEEE 754 binary32/binary64 arithmetic on integers only: add, sub, mul, div, sqrt with
# round-to-nearest-even, subnormals, infinities and signed zeros; every NaN result is the
# canonical NaN. Boards use it because their host float is single precision and not
# necessarily correctly rounded; numeric.py also uses `pack` for conversions on every host.
#
# Values are bit patterns (f32 as u32, f64 as u64). One generic body per operation takes the
# format as (p, w): fraction bits and exponent bits, (23, 8) or (52, 11).

# bitlen of 0..15: MicroPython has no int.bit_length.
_BL4 = b"\x00\x01\x02\x02\x03\x03\x03\x03\x04\x04\x04\x04\x04\x04\x04\x04"


def bitlen(x):
    """Number of bits of x >= 0 (0 for 0)."""
    n = 0
    while x >> 32:
        x >>= 32
        n += 32
    if x >> 16:
        x >>= 16
        n += 16
    if x >> 8:
        x >>= 8
        n += 8
    if x >> 4:
        x >>= 4
        n += 4
    return n + _BL4[x]


def pack(s, m, ef, p, w):
    """The float nearest (ties to even) to (-1)**s * m * 2**(ef - bias - p), m > 0.

    p and w are the format's fraction and exponent widths. ef is the biased exponent that
    m == 1 << p would have; it may be out of range either way. Callers that drop low bits keep
    at least two extra ones and set the lowest if any dropped bit was set (a sticky bit), so the
    rounding decision is the exact value's."""
    n = bitlen(m)
    e = ef + n - 1 - p  # biased exponent of the leading bit
    if e < 1:
        e = 1  # subnormal: the quantum stays at the minimum exponent's
    sh = e - ef
    if sh > 0:
        if sh > n + 1:
            return s << (p + w)  # below half the smallest subnormal
        r = m >> sh
        rem = m - (r << sh)
        half = 1 << (sh - 1)
        if rem > half or (rem == half and r & 1):
            r += 1
    else:
        r = m << -sh
    # r < 1 << (p + 2). Its bit p is the implicit bit: it adds one to the exponent field e - 1,
    # and a rounding carry to bit p + 1 adds one more; a subnormal (e == 1) has neither.
    emax = (1 << w) - 1
    if e - 1 + (r >> p) >= emax:
        return ((s << w) | emax) << p
    return (((s << w) + e - 1) << p) + r


def _isqrt(n):
    """floor(sqrt(n)) for n > 0 (the recursive-halving scheme CPython's math.isqrt uses)."""
    c = (bitlen(n) - 1) >> 1
    a = 1
    d = 0
    s = bitlen(c) - 1
    while s >= 0:
        e = d
        d = c >> s
        a = (a << (d - e - 1)) + (n >> (2 * c - e - d + 1)) // a
        s -= 1
    return a - 1 if a * a > n else a


# The operations split each operand into sign, biased exponent field and fraction first: with
# 63-bit small ints (64-bit MicroPython) f64 work then allocates no big ints until the result.
# A zero exponent field (zero or subnormal) works as field 1 without the implicit bit.

def _add(a, b, p, w):
    emax = (1 << w) - 1
    fm = (1 << p) - 1
    sa = a >> (p + w)
    sb = b >> (p + w)
    ea = (a >> p) & emax
    eb = (b >> p) & emax
    ma = a & fm
    mb = b & fm
    if ea == emax or eb == emax:
        if (ea == emax and ma) or (eb == emax and mb) or (ea == eb and sa != sb):
            return ((1 << (w + 1)) - 1) << (p - 1)  # NaN in, or inf - inf
        return a if ea == emax else b
    if eb == 0 and mb == 0:
        return a & b if ea == 0 and ma == 0 else a  # -0 + -0 = -0, +0 + -0 = +0
    if ea == 0 and ma == 0:
        return b
    if ea < eb or (ea == eb and ma < mb):  # the larger magnitude first: its sign wins
        sa, sb, ea, eb, ma, mb = sb, sa, eb, ea, mb, ma
    if ea:
        ma |= fm + 1
    else:
        ea = 1
    if eb:
        mb |= fm + 1
    else:
        eb = 1
    d = ea - eb
    if d > p + 3:
        # b is below a's rounding position: keep it as a sticky bit, beside 3 guard bits.
        ma = (ma << 4) + (-1 if sa != sb else 1)
        eb = ea - 4
    elif sa != sb:
        ma = (ma << d) - mb
        if ma == 0:
            return 0  # x - x = +0
    else:
        ma = (ma << d) + mb
    return pack(sa, ma, eb, p, w)


def _mul(a, b, p, w):
    emax = (1 << w) - 1
    fm = (1 << p) - 1
    s = (a ^ b) >> (p + w)
    ea = (a >> p) & emax
    eb = (b >> p) & emax
    ma = a & fm
    mb = b & fm
    if ea == emax or eb == emax:
        if (ea == emax and ma) or (eb == emax and mb) or (ea | ma) == 0 or (eb | mb) == 0:
            return ((1 << (w + 1)) - 1) << (p - 1)  # NaN in, or inf * 0
        return ((s << w) | emax) << p
    if (ea | ma) == 0 or (eb | mb) == 0:
        return s << (p + w)
    if ea:
        ma |= fm + 1
    else:
        ea = 1
    if eb:
        mb |= fm + 1
    else:
        eb = 1
    return pack(s, ma * mb, ea + eb - (emax >> 1) - p, p, w)


def _div(a, b, p, w):
    emax = (1 << w) - 1
    fm = (1 << p) - 1
    s = (a ^ b) >> (p + w)
    ea = (a >> p) & emax
    eb = (b >> p) & emax
    ma = a & fm
    mb = b & fm
    if ((ea == emax and ma) or (eb == emax and mb)  # NaN in
            or (ea == eb == emax) or (ea | ma) == 0 == (eb | mb)):  # inf / inf, 0 / 0
        return ((1 << (w + 1)) - 1) << (p - 1)
    if ea == emax or (eb | mb) == 0:
        return ((s << w) | emax) << p
    if (ea | ma) == 0 or eb == emax:
        return s << (p + w)
    if ea:
        ma |= fm + 1
    else:
        ea = 1
    if eb:
        mb |= fm + 1
    else:
        eb = 1
    # Enough quotient bits for two guard bits: (ma << k) // mb >= 1 << (p + 2).
    k = p + 3 if ma > fm else 2 * p + 4 - bitlen(ma)
    q, r = divmod(ma << k, mb)
    q = (q << 1) | (1 if r else 0)  # the remainder as a sticky bit
    return pack(s, q, ea - eb - k - 1 + (emax >> 1) + p, p, w)


def _sqrt(a, p, w):
    emax = (1 << w) - 1
    e = (a >> p) & emax
    m = a & ((1 << p) - 1)
    if a >> (p + w):  # negative: -0 stays, a NaN or anything below -0 gives NaN
        return a if e == 0 and m == 0 else ((1 << (w + 1)) - 1) << (p - 1)
    if e == emax:
        return ((1 << (w + 1)) - 1) << (p - 1) if m else a  # NaN, +inf
    if e == 0 and m == 0:
        return a
    if e:
        m |= 1 << p
    else:
        e = 1
    # a = m * 2**t with t = e - bias - p; make t even, then scale m by 2**(2*p + 6) so the root
    # has at least p + 4 bits.
    t = e - (emax >> 1) - p
    if t & 1:
        m <<= 1
        t -= 1
    m <<= 2 * p + 6
    r = _isqrt(m)
    r = (r << 1) | (1 if r * r != m else 0)  # inexact: a sticky bit
    return pack(0, r, (t >> 1) - 4 + (emax >> 1), p, w)


def f32_add(a, b):
    return _add(a, b, 23, 8)


def f32_sub(a, b):
    return _add(a, b ^ 0x80000000, 23, 8)


def f32_mul(a, b):
    return _mul(a, b, 23, 8)


def f32_div(a, b):
    return _div(a, b, 23, 8)


def f32_sqrt(a):
    return _sqrt(a, 23, 8)


def f64_add(a, b):
    return _add(a, b, 52, 11)


def f64_sub(a, b):
    return _add(a, b ^ 0x8000000000000000, 52, 11)


def f64_mul(a, b):
    return _mul(a, b, 52, 11)


def f64_div(a, b):
    return _div(a, b, 52, 11)


def f64_sqrt(a):
    return _sqrt(a, 52, 11)
