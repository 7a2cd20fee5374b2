# The meaning of every numeric WebAssembly 2.0 instruction (0x45..0xC4, 0xFC 0..7), exact to
# the bit. Values are unsigned bit patterns: i32/f32 as u32, i64/f64 as u64; tests give 0 or 1.
# One function per opcode, named after the text format ("i32.add" -> i32_add); func(op) maps
# an opcode to its function.
#
# Only f32/f64 add, sub, mul, div and sqrt touch a float: the host's Python float when it is an
# IEEE double with correct rounding (SOFT False), else softfloat.py (SOFT True, the boards'
# case, or WASI_MICRO_SOFTFLOAT=1). Everything else works on the bits with integers.
import os
from math import sqrt as _fsqrt

from . import softfloat
from .compat import bits_of_f32, bits_of_f64, const, f32_of, f64_of
from .errors import Trap, DIV_ZERO, INT_OVERFLOW, BAD_CONVERSION

_M32 = const(0xFFFFFFFF)
_M64 = const(0xFFFFFFFFFFFFFFFF)
_S32 = const(0x80000000)
_S64 = const(0x8000000000000000)
_INF32 = const(0x7F800000)
_INF64 = const(0x7FF0000000000000)
_NAN32 = const(0x7FC00000)  # the canonical NaNs
_NAN64 = const(0x7FF8000000000000)
_I64_MIN = const(-0x8000000000000000)
_I64_MAX = const(0x7FFFFFFFFFFFFFFF)
_TRUNC = const(0)
_CEIL = const(1)
_FLOOR = const(2)
_NEAREST = const(3)

_sfpack = softfloat.pack
_bitlen = softfloat.bitlen


# ---- integers --------------------------------------------------------------------------------

def _tdiv(x, y):
    # Signed division rounding toward zero (Python's // floors).
    q = abs(x) // abs(y)
    return -q if (x < 0) != (y < 0) else q


def _trem(x, y):
    # The remainder of _tdiv: its sign follows the dividend.
    r = abs(x) % abs(y)
    return -r if x < 0 else r


def _ctz(a, n):
    return _bitlen(a & -a) - 1 if a else n


def i64_popcnt(a):
    a -= (a >> 1) & 0x5555555555555555
    a = (a & 0x3333333333333333) + ((a >> 2) & 0x3333333333333333)
    a = (a + (a >> 4)) & 0x0F0F0F0F0F0F0F0F
    return ((a * 0x0101010101010101) & _M64) >> 56


# Signed order: flipping the sign bit maps two's complement onto unsigned order.
def i64_lt_s(a, b):
    return 1 if (a ^ _S64) < (b ^ _S64) else 0


def i64_gt_s(a, b):
    return 1 if (a ^ _S64) > (b ^ _S64) else 0


def i64_le_s(a, b):
    return 1 if (a ^ _S64) <= (b ^ _S64) else 0


def i64_ge_s(a, b):
    return 1 if (a ^ _S64) >= (b ^ _S64) else 0


def i32_div_u(a, b):
    if b == 0:
        raise Trap(DIV_ZERO)
    return a // b


def i32_rem_u(a, b):
    if b == 0:
        raise Trap(DIV_ZERO)
    return a % b


def i64_clz(a):
    return 64 - _bitlen(a)


def i64_ctz(a):
    return _ctz(a, 64)


def i64_div_s(a, b):
    if b == 0:
        raise Trap(DIV_ZERO)
    if a == _S64 and b == _M64:
        raise Trap(INT_OVERFLOW)
    return _tdiv(a - ((a & _S64) << 1), b - ((b & _S64) << 1)) & _M64


def i64_rem_s(a, b):
    if b == 0:
        raise Trap(DIV_ZERO)
    return _trem(a - ((a & _S64) << 1), b - ((b & _S64) << 1)) & _M64


i64_div_u = i32_div_u
i64_rem_u = i32_rem_u


# ---- floats on the bits ----------------------------------------------------------------------

def f64_abs(a):
    return a & 0x7FFFFFFFFFFFFFFF


def f64_neg(a):
    return a ^ _S64


def f64_copysign(a, b):
    return (a & 0x7FFFFFFFFFFFFFFF) | (b & _S64)


def _fcmp(a, b, sign, inf):
    # -1, 0 or 1 as a <, ==, > b; 2 when unordered (a NaN). Sign-magnitude bits become
    # integers of the same order, both zeros 0.
    if a >= sign:
        a = sign - a
        if a < -inf:
            return 2
    elif a > inf:
        return 2
    if b >= sign:
        b = sign - b
        if b < -inf:
            return 2
    elif b > inf:
        return 2
    return -1 if a < b else (1 if a > b else 0)


def f64_eq(a, b):
    return 1 if _fcmp(a, b, _S64, _INF64) == 0 else 0


def f64_ne(a, b):
    return 1 if _fcmp(a, b, _S64, _INF64) != 0 else 0


def f64_lt(a, b):
    return 1 if _fcmp(a, b, _S64, _INF64) == -1 else 0


def f64_gt(a, b):
    return 1 if _fcmp(a, b, _S64, _INF64) == 1 else 0


def f64_le(a, b):
    return 1 if _fcmp(a, b, _S64, _INF64) <= 0 else 0


def f64_ge(a, b):
    return 1 if 0 <= _fcmp(a, b, _S64, _INF64) <= 1 else 0


def _fmin(a, b, sign, inf, nan):
    c = _fcmp(a, b, sign, inf)
    if c == 0:
        return a | b  # -0 if either zero is
    if c == 2:
        return nan
    return a if c < 0 else b


def _fmax(a, b, sign, inf, nan):
    c = _fcmp(a, b, sign, inf)
    if c == 0:
        return a & b  # +0 if either zero is
    if c == 2:
        return nan
    return a if c > 0 else b


def f64_min(a, b):
    return _fmin(a, b, _S64, _INF64, _NAN64)


def f64_max(a, b):
    return _fmax(a, b, _S64, _INF64, _NAN64)


def _fround(a, mode, sign, mb, eb):
    # Round to an integral value on the bits: clear the fraction bits below the binary point
    # (t), then maybe add one unit of the integer part; a carry runs into the exponent.
    s = a & sign
    x = a ^ s
    bias = (1 << (eb - 1)) - 1
    e = (x >> mb) - bias
    if e >= mb:  # integral already, infinite or NaN
        if e > bias and x & ((1 << mb) - 1):
            return ((1 << (eb + 1)) - 1) << (mb - 1)  # the canonical NaN
        return a
    if e < 0:  # 0 < |a| < 1: the integer part is zero, one unit is 1.0
        if x == 0:
            return a
        t = s
        unit = bias << mb
        frac = x
        half = (bias - 1) << mb  # 0.5
    else:
        unit = 1 << (mb - e)
        frac = a & (unit - 1)
        if frac == 0:
            return a
        t = a - frac
        half = unit >> 1
    if mode == _TRUNC:
        return t
    if mode == _CEIL:
        up = not s
    elif mode == _FLOOR:
        up = s
    else:  # ties to the even integer: t & unit is the integer part's low bit
        up = frac > half or (frac == half and t & unit)
    return t + unit if up else t


def f64_ceil(a):
    return _fround(a, _CEIL, _S64, 52, 11)


def f64_floor(a):
    return _fround(a, _FLOOR, _S64, 52, 11)


def f64_trunc(a):
    return _fround(a, _TRUNC, _S64, 52, 11)


def f64_nearest(a):
    return _fround(a, _NEAREST, _S64, 52, 11)


# ---- conversions -----------------------------------------------------------------------------

def _itof(v, mb, eb):
    # Integer to float, correctly rounded in one step (never via another float format).
    if v == 0:
        return 0
    bias_mb = (1 << (eb - 1)) - 1 + mb  # v == v * 2**(ef - bias - mb) with ef = bias + mb
    if v < 0:
        return _sfpack(1, -v, bias_mb, mb, eb)
    return _sfpack(0, v, bias_mb, mb, eb)


def f64_convert_i32_s(a):
    return _itof(a - ((a & _S32) << 1), 52, 11)


def f64_convert_i32_u(a):
    return _itof(a, 52, 11)


def f64_convert_i64_s(a):
    return _itof(a - ((a & _S64) << 1), 52, 11)


def f64_convert_i64_u(a):
    return _itof(a, 52, 11)


def _ftoi(a, mb, eb):
    # trunc(a) as an int, None for a NaN; beyond +-2**64 (infinities too) it is +-2**64,
    # which is out of every integer range.
    emax = (1 << eb) - 1
    e = (a >> mb) & emax
    m = a & ((1 << mb) - 1)
    if e == emax and m:
        return None
    sh = e - (emax >> 1) - mb  # a == m * 2**sh
    m |= 1 << mb  # a subnormal's bogus implicit bit shifts out
    if sh < 0:
        v = m >> -sh
    else:
        v = m << sh if sh <= 64 - mb else 1 << 64
    return -v if a >> (mb + eb) else v


def _trunc(a, mb, eb, lo, hi):
    v = _ftoi(a, mb, eb)
    if v is None:
        raise Trap(BAD_CONVERSION)
    if v < lo or v > hi:
        raise Trap(INT_OVERFLOW)
    return v & (hi - lo)


def _trunc_sat(a, mb, eb, lo, hi):
    v = _ftoi(a, mb, eb)
    if v is None:
        return 0
    return (lo if v < lo else (hi if v > hi else v)) & (hi - lo)


def i32_trunc_f64_s(a):
    return _trunc(a, 52, 11, -0x80000000, 0x7FFFFFFF)


def i32_trunc_f64_u(a):
    return _trunc(a, 52, 11, 0, _M32)


def i64_trunc_f64_s(a):
    return _trunc(a, 52, 11, _I64_MIN, _I64_MAX)


def i64_trunc_f64_u(a):
    return _trunc(a, 52, 11, 0, _M64)


def i32_trunc_sat_f64_s(a):
    return _trunc_sat(a, 52, 11, -0x80000000, 0x7FFFFFFF)


def i32_trunc_sat_f64_u(a):
    return _trunc_sat(a, 52, 11, 0, _M32)


def i64_trunc_sat_f64_s(a):
    return _trunc_sat(a, 52, 11, _I64_MIN, _I64_MAX)


def i64_trunc_sat_f64_u(a):
    return _trunc_sat(a, 52, 11, 0, _M64)


def _same(a):
    # The values already are the bits: reinterpretations (and a zero extension) keep them.
    return a


i64_extend_i32_u = i32_reinterpret_f32 = i64_reinterpret_f64 = _same
f32_reinterpret_i32 = f64_reinterpret_i64 = _same


# ---- host floats -----------------------------------------------------------------------------

def f32_value(bits):
    """The host float of f32 bits (a NaN's payload is not kept)."""
    return f32_of(bits)


def f64_value(bits):
    """The host float of f64 bits. Lossy where the host float is single precision (boards):
    rounded to f32 there, and out-of-range values become 0 or inf."""
    return f64_of(bits)


def f64_bits(x):
    """The f64 bits of host float x; a NaN gives the canonical NaN."""
    return _NAN64 if x != x else bits_of_f64(x)


# A double rounds to an f32 infinity (and CPython's struct refuses to pack it) from halfway
# between the largest f32 and 2**128 on: (2**25 - 1) * 2**103. Compared after an exact scaling
# by 2**-103, as an int: no float constant outside f32 range, which a stock mpy-tool cannot
# freeze ("float too large to pack with f format"). On a single-precision host the int rounds
# to 2**25, past every finite f32. (Powers of two, not a decimal literal: MicroPython may
# misround those.)
_F32_SCALE = 2.0 ** -103
_F32_BIG_SCALED = const(0x1FFFFFF)


def f32_bits(x):
    """The f32 bits of host float x, rounded to nearest even; a NaN gives the canonical NaN."""
    if -_F32_BIG_SCALED < x * _F32_SCALE < _F32_BIG_SCALED:
        return bits_of_f32(x)
    if x != x:
        return _NAN32
    return 0xFF800000 if x < 0 else _INF32


def _div0(a, b, sign, inf, nan):
    # x / +-0 is an infinity, 0/0 and NaN/0 a NaN: the host float would raise instead.
    x = a & (sign - 1)
    return nan if x == 0 or x > inf else ((a ^ b) & sign) | inf


# The hottest float ops (matmul, nbody) call the compat conversions directly.
def _host_f64_add(a, b):
    x = f64_of(a) + f64_of(b)
    return _NAN64 if x != x else bits_of_f64(x)


def _host_f64_sub(a, b):
    x = f64_of(a) - f64_of(b)
    return _NAN64 if x != x else bits_of_f64(x)


def _host_f64_mul(a, b):
    x = f64_of(a) * f64_of(b)
    return _NAN64 if x != x else bits_of_f64(x)


def _host_f64_div(a, b):
    if b & 0x7FFFFFFFFFFFFFFF == 0:
        return _div0(a, b, _S64, _INF64, _NAN64)
    return f64_bits(f64_value(a) / f64_value(b))


def _host_f64_sqrt(a):
    if a > _S64:
        return _NAN64
    return f64_bits(_fsqrt(f64_value(a)))


def _host_exact():
    # Whether the host float is an IEEE double with ties-to-even rounding and subnormals, and
    # f32 <-> double conversions are exact: a dozen operations, run once at import.
    try:
        one = f64_value(0x3FF0000000000000)
        ulp = f64_value(0x3CB0000000000000)  # 2**-52
        return (f64_bits(one + ulp / 2) == 0x3FF0000000000000  # a tie, to even: down
                and f64_bits(one + ulp + ulp / 2) == 0x3FF0000000000002  # a tie, to even: up
                and f64_bits(one / f64_value(0x4008000000000000)) == 0x3FD5555555555555  # 1/3
                and f64_bits(_fsqrt(one + one)) == 0x3FF6A09E667F3BCD
                and f64_bits(f64_value(1) + f64_value(1)) == 2  # subnormals, no flush to zero
                and f32_bits(f64_value(0x3FF0000030000000)) == 0x3F800002  # double->f32, a tie
                and f32_bits(f64_value(0x3698000000000000)) == 1  # 0.75 * 2**-149
                and f32_value(0x00400001) * 4 == f32_value(0x01000002))  # subnormal f32 read
    except Exception:  # e.g. no double support in the host's struct
        return False


def _soft_wanted():
    getenv = getattr(os, "getenv", None)  # boards have none
    if getenv is not None and getenv("WASI_MICRO_SOFTFLOAT") == "1":
        return True
    return not _host_exact()


SOFT = _soft_wanted()

if SOFT:
    f64_add = softfloat.f64_add
    f64_sub = softfloat.f64_sub
    f64_mul = softfloat.f64_mul
    f64_div = softfloat.f64_div
    f64_sqrt = softfloat.f64_sqrt
else:
    f64_add = _host_f64_add
    f64_sub = _host_f64_sub
    f64_mul = _host_f64_mul
    f64_div = _host_f64_div
    f64_sqrt = _host_f64_sqrt


# ---- by opcode -------------------------------------------------------------------------------

_ops = None
_F32 = const(0)  # in _ops: numeric_f32.py's
_INT = const(1)  # in _ops: numeric_int.py's


def func(op):
    """The function of numeric opcode op (0xFC ops as 0x100 + sub-opcode), or None. The ops
    on f32 values are numeric_f32.py's (_F32 here), the integer ops the interpreter's loop
    computes itself numeric_int.py's (_INT), each module imported on the first one asked for."""
    global _ops
    if _ops is None:
        _ops = (
            _INT, _INT, _INT, _INT, _INT, _INT, _INT, _INT, _INT,
            _INT, _INT,
            _INT, _INT, _INT, i64_lt_s, _INT, i64_gt_s, _INT, i64_le_s, _INT,
            i64_ge_s, _INT,
            _F32, _F32, _F32, _F32, _F32, _F32,
            f64_eq, f64_ne, f64_lt, f64_gt, f64_le, f64_ge,
            _INT, _INT, _INT, _INT, _INT, _INT, _INT, i32_div_u,
            _INT, i32_rem_u, _INT, _INT, _INT, _INT, _INT, _INT,
            _INT, _INT,
            i64_clz, i64_ctz, i64_popcnt, _INT, _INT, _INT, i64_div_s, i64_div_u,
            i64_rem_s, i64_rem_u, _INT, _INT, _INT, _INT, _INT, _INT,
            _INT, _INT,
            _F32, _F32, _F32, _F32, _F32, _F32, _F32, _F32,
            _F32, _F32, _F32, _F32, _F32, _F32,
            f64_abs, f64_neg, f64_ceil, f64_floor, f64_trunc, f64_nearest, f64_sqrt, f64_add,
            f64_sub, f64_mul, f64_div, f64_min, f64_max, f64_copysign,
            _INT, _F32, _F32, i32_trunc_f64_s, i32_trunc_f64_u,
            _INT, i64_extend_i32_u, _F32, _F32,
            i64_trunc_f64_s, i64_trunc_f64_u,
            _F32, _F32, _F32, _F32,
            _F32,
            f64_convert_i32_s, f64_convert_i32_u, f64_convert_i64_s, f64_convert_i64_u,
            _F32,
            i32_reinterpret_f32, i64_reinterpret_f64, f32_reinterpret_i32, f64_reinterpret_i64,
            _INT, _INT, _INT, _INT, _INT,
            # 0xFC 0..7
            _F32, _F32, i32_trunc_sat_f64_s, i32_trunc_sat_f64_u,
            _F32, _F32, i64_trunc_sat_f64_s, i64_trunc_sat_f64_u)
    if 0x45 <= op <= 0xC4:
        f = _ops[op - 0x45]
    elif 0x100 <= op <= 0x107:
        f = _ops[op - 0x100 + 0x80]
    else:
        return None
    if f == _F32:
        from .numeric_f32 import func as f32_func
        f = f32_func(op)
    elif f == _INT:
        from .numeric_int import func as int_func
        f = int_func(op)
    return f
