# IEEE 754 binary32/binary64 arithmetic on integers only: add, sub, mul, div, sqrt with
# round-to-nearest-even, subnormals, infinities and signed zeros; every NaN result is the
# canonical NaN. Boards use it because their host float is single precision and not
# necessarily correctly rounded; numeric.py also uses `pack` for conversions on every host.
#
# Values are bit patterns (f32 as u32, f64 as u64). One generic body per operation takes the
# format as (mb, eb): fraction bits and exponent bits, (23, 8) or (52, 11).

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


def pack(s, m, ef, mb, eb):
    """The float nearest (ties to even) to m * 2**(ef - bias - mb), m > 0, with sign bit s.

    ef is the biased exponent that m == 1 << mb would have; it may be out of range either way.
    Callers that drop low bits keep at least two extra ones and set the lowest if any dropped
    bit was set (a sticky bit), so the rounding decision is the exact value's."""
    n = bitlen(m)
    e = ef + n - 1 - mb  # biased exponent of the leading bit
    if e < 1:
        e = 1  # subnormal: the quantum stays at the minimum exponent's
    sh = e - ef
    if sh > 0:
        if sh > n + 1:
            return s  # below half the smallest subnormal
        r = m >> sh
        rem = m - (r << sh)
        half = 1 << (sh - 1)
        if rem > half or (rem == half and r & 1):
            r += 1
    else:
        r = m << -sh
    # Normal: r has the implicit bit, which adds one to the exponent field; a carry out of the
    # rounding moves on into the exponent the same way. Subnormal (e == 1): r < 1 << mb.
    r += (e - 1) << mb
    inf = ((1 << eb) - 1) << mb
    return s | (inf if r >= inf else r)


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


def _add(a, b, mb, eb):
    sign = 1 << (mb + eb)
    inf = ((1 << eb) - 1) << mb
    xa = a & (sign - 1)
    xb = b & (sign - 1)
    if xa >= inf or xb >= inf:
        if xa > inf or xb > inf or (xa == xb and a != b):
            return inf | (1 << (mb - 1))  # NaN in, or inf - inf
        return a if xa == inf else b
    if xb == 0:
        return a & b if xa == 0 else a  # -0 + -0 = -0, +0 + -0 = +0
    if xa == 0:
        return b
    if xa < xb:  # the larger magnitude first: it gives the sign and the exponent
        a, b, xa, xb = b, a, xb, xa
    hid = 1 << mb
    ea = xa >> mb
    ma = xa & (hid - 1)
    if ea:
        ma |= hid
    else:
        ea = 1
    e = xb >> mb
    m = xb & (hid - 1)
    if e:
        m |= hid
    else:
        e = 1
    d = ea - e
    if d > mb + 3:
        # b is below a's rounding position: keep it as a sticky bit, beside 3 guard bits.
        m = (ma << 4) + (-1 if (a ^ b) & sign else 1)
        e = ea - 4
    elif (a ^ b) & sign:
        m = (ma << d) - m
        if m == 0:
            return 0  # x - x = +0
    else:
        m += ma << d
    return pack(a & sign, m, e, mb, eb)


def _mul(a, b, mb, eb):
    sign = 1 << (mb + eb)
    inf = ((1 << eb) - 1) << mb
    s = (a ^ b) & sign
    xa = a & (sign - 1)
    xb = b & (sign - 1)
    if xa >= inf or xb >= inf:
        if xa > inf or xb > inf or xa == 0 or xb == 0:
            return inf | (1 << (mb - 1))  # NaN in, or inf * 0
        return s | inf
    if xa == 0 or xb == 0:
        return s
    hid = 1 << mb
    ea = xa >> mb
    ma = xa & (hid - 1)
    if ea:
        ma |= hid
    else:
        ea = 1
    e = xb >> mb
    m = xb & (hid - 1)
    if e:
        m |= hid
    else:
        e = 1
    return pack(s, ma * m, ea + e - ((1 << (eb - 1)) - 1) - mb, mb, eb)


def _div(a, b, mb, eb):
    sign = 1 << (mb + eb)
    inf = ((1 << eb) - 1) << mb
    s = (a ^ b) & sign
    xa = a & (sign - 1)
    xb = b & (sign - 1)
    if xa > inf or xb > inf or (xa == xb and (xa == inf or xa == 0)):
        return inf | (1 << (mb - 1))  # NaN in, inf / inf, 0 / 0
    if xa == inf or xb == 0:
        return s | inf
    if xa == 0 or xb == inf:
        return s
    hid = 1 << mb
    ea = xa >> mb
    ma = xa & (hid - 1)
    if ea:
        ma |= hid
    else:
        ea = 1
    e = xb >> mb
    m = xb & (hid - 1)
    if e:
        m |= hid
    else:
        e = 1
    # Enough quotient bits for two guard bits: (ma << k) // m >= 1 << (mb + 2).
    k = mb + 3 if ma >> mb else 2 * mb + 4 - bitlen(ma)
    q, r = divmod(ma << k, m)
    q = (q << 1) | (1 if r else 0)  # the remainder as a sticky bit
    return pack(s, q, ea - e - k - 1 + ((1 << (eb - 1)) - 1) + mb, mb, eb)


def _sqrt(a, mb, eb):
    sign = 1 << (mb + eb)
    inf = ((1 << eb) - 1) << mb
    if a > sign:
        return inf | (1 << (mb - 1))  # negative (or a NaN with its sign bit set)
    if a == sign or a == 0 or a == inf:
        return a
    if a > inf:
        return inf | (1 << (mb - 1))
    m = a & ((1 << mb) - 1)
    ef = a >> mb
    if ef:
        m |= 1 << mb
    else:
        ef = 1
    # a = m * 2**t with t = ef - bias - mb; make t even, then scale m by 2**(2*mb + 6) so the
    # root has at least mb + 4 bits.
    t = ef - ((1 << (eb - 1)) - 1) - mb
    if t & 1:
        m <<= 1
        t -= 1
    m <<= 2 * mb + 6
    r = _isqrt(m)
    r = (r << 1) | (1 if r * r != m else 0)  # inexact: a sticky bit
    return pack(0, r, ((t >> 1) - mb - 4) + ((1 << (eb - 1)) - 1) + mb, mb, eb)


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
