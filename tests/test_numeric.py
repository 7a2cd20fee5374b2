# wasi_micro.numeric against the wasm spec tests' own numbers (read from the shared JSON at
# test time) and against edge tables derived by hand (each derivation is in its comment).
import json

import opnames
import support
from wasi_micro import numeric, opcodes, softfloat
from wasi_micro.errors import Trap, DIV_ZERO, INT_OVERFLOW, BAD_CONVERSION

# type: (magnitude mask, infinity, quiet bit)
_FLOAT = {"f32": (0x7FFFFFFF, 0x7F800000, 0x400000),
          "f64": (0x7FFFFFFFFFFFFFFF, 0x7FF0000000000000, 0x8000000000000)}
_ARITH = ("add", "sub", "mul", "div", "sqrt")


def _commands(name):
    path = support.need_shared("wasm-spec", "core", name, name + ".json")
    with open(path) as f:
        return json.load(f)["commands"]


def _check(got, exp, where):
    v = exp["value"]
    if v.startswith("nan:"):
        mag, inf, quiet = _FLOAT[exp["type"]]
        if v == "nan:canonical":
            ok = got & mag == inf | quiet
        else:  # nan:arithmetic
            ok = got & mag > inf and got & quiet
        assert ok, "%s: got 0x%x, want %s" % (where, got, v)
    else:
        assert got == int(v), "%s: got 0x%x, want 0x%x" % (where, got, int(v))


def _run(commands, resolve, modules=1):
    """Run every invoke against the first `modules` modules through resolve(export name) ->
    function; each must resolve. Returns the number of checks run."""
    n = 0
    seen = 0
    for c in commands:
        kind = c["type"]
        if kind == "module":
            seen += 1
            continue
        if seen > modules or "action" not in c:
            continue  # a later module's commands; assert_invalid/malformed carry no action
        act = c["action"]
        assert act["type"] == "invoke", c
        fn = resolve(act["field"])
        assert fn is not None, "no function for export %r" % act["field"]
        args = [int(a["value"]) for a in act["args"]]
        where = "line %d %s%r" % (c["line"], act["field"], tuple(args))
        if kind == "assert_return":
            got = fn(*args)
            if c["expected"]:
                _check(got, c["expected"][0], where)
        elif kind == "assert_trap":
            e = support.raises(Trap, fn, *args)
            assert e.reason == c["text"], "%s: trap %r, want %r" % (where, e.reason, c["text"])
        else:
            raise AssertionError("unexpected command %s at line %d" % (kind, c["line"]))
        n += 1
    assert n > 0
    return n


class _Functions:
    """numeric.py's functions by name, numeric_f32.py's included."""

    def __getattr__(self, name):
        f = support.numeric_fn(name)
        if f is None:
            raise AttributeError(name)
        return f


_NUMERIC = _Functions()


def _active(prefix=""):
    return lambda field: support.numeric_fn(prefix + field.replace(".", "_"))


def _arith_from(lookup, prefix=""):
    # The five float ops as lookup("f32_add") ... gives them, the rest as active.
    def resolve(field):
        name = prefix + field.replace(".", "_")
        if name[4:] in _ARITH:
            return lookup(name)
        return support.numeric_fn(name)
    return resolve


def _float_file(name, prefix=""):
    cmds = _commands(name)
    _run(cmds, _active(prefix))
    _run(cmds, _arith_from(lambda name: getattr(softfloat, name, None), prefix))
    if not numeric._host_exact():
        support.skip("host float is not an exact IEEE double: host path not checked")
    _run(cmds, _arith_from(lambda name: support.numeric_fn("_host_" + name), prefix))


def test_spec_i32():
    _run(_commands("i32"), _active("i32_"))


def test_spec_i64():
    _run(_commands("i64"), _active("i64_"))


def test_spec_traps():
    _run(_commands("traps"), lambda f: _active()(f[len("no_dce."):]), modules=3)


def test_spec_f32():
    _float_file("f32", "f32_")


def test_spec_f64():
    _float_file("f64", "f64_")


def test_spec_float_misc():
    _float_file("float_misc")


def test_spec_f32_bitwise():
    _run(_commands("f32_bitwise"), _active("f32_"))


def test_spec_f64_bitwise():
    _run(_commands("f64_bitwise"), _active("f64_"))


def test_spec_f32_cmp():
    _run(_commands("f32_cmp"), _active("f32_"))


def test_spec_f64_cmp():
    _run(_commands("f64_cmp"), _active("f64_"))


def test_spec_conversions():
    _run(_commands("conversions"), _active())


def test_func_table():
    n = 0
    for op in list(range(0x45, 0xC5)) + list(range(0x100, 0x108)):
        name = opnames.name(op).replace(".", "_")
        assert numeric.func(op) is support.numeric_fn(name), name
        n += 1
    assert n == 136
    for op in (0, 0x44, 0xC5, 0xD0, 0xFC, 0xFF, 0x108, 0x111, -1):
        assert numeric.func(op) is None


def _trap(reason, fn, *args):
    assert support.raises(Trap, fn, *args).reason == reason


def test_integer_edges():
    n = _NUMERIC
    assert n.i32_div_s(0xFFFFFFF9, 2) == 0xFFFFFFFD  # -7 / 2 = -3 (toward zero)
    assert n.i32_rem_s(0xFFFFFFF9, 2) == 0xFFFFFFFF  # -7 % 2 = -1 (sign of the dividend)
    assert n.i32_rem_s(7, 0xFFFFFFFE) == 1  # 7 % -2 = 1
    assert n.i32_rem_s(0x80000000, 0xFFFFFFFF) == 0
    assert n.i64_rem_s(0x8000000000000000, 0xFFFFFFFFFFFFFFFF) == 0
    _trap(INT_OVERFLOW, n.i32_div_s, 0x80000000, 0xFFFFFFFF)
    _trap(INT_OVERFLOW, n.i64_div_s, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF)
    for f in (n.i32_div_s, n.i32_div_u, n.i32_rem_s, n.i32_rem_u,
              n.i64_div_s, n.i64_div_u, n.i64_rem_s, n.i64_rem_u):
        _trap(DIV_ZERO, f, 5, 0)
    assert n.i32_shl(1, 33) == 2 and n.i64_shl(1, 65) == 2  # count modulo the width
    assert n.i32_shr_s(0x80000000, 31) == 0xFFFFFFFF and n.i32_shr_u(0x80000000, 63) == 1
    assert n.i64_shr_s(0x8000000000000000, 63) == 0xFFFFFFFFFFFFFFFF
    assert n.i32_rotl(0x80000001, 1) == 3 and n.i32_rotr(3, 33) == 0x80000001
    assert n.i64_rotl(0x8000000000000001, 64) == 0x8000000000000001
    assert n.i32_clz(0) == 32 and n.i32_ctz(0) == 32 and n.i64_clz(0) == 64
    assert n.i64_ctz(0) == 64 and n.i64_ctz(1 << 63) == 63 and n.i32_clz(1) == 31
    assert n.i32_popcnt(0xFFFFFFFF) == 32 and n.i64_popcnt(0xFFFFFFFFFFFFFFFF) == 64
    assert n.i32_extend8_s(0x180) == 0xFFFFFF80 and n.i32_extend16_s(0x7FFF) == 0x7FFF
    assert n.i64_extend32_s(0xFFFFFFFF80000000) == 0xFFFFFFFF80000000
    assert n.i64_extend_i32_s(0x80000000) == 0xFFFFFFFF80000000
    assert n.i32_wrap_i64(0x123456789) == 0x23456789
    assert n.i32_lt_s(0x80000000, 0x7FFFFFFF) == 1 and n.i32_lt_u(0x80000000, 0x7FFFFFFF) == 0
    assert n.i64_ge_s(0xFFFFFFFFFFFFFFFF, 0) == 0 and n.i64_ge_u(0xFFFFFFFFFFFFFFFF, 0) == 1


def test_rounding_edges():
    n = _NUMERIC
    # f32 bits: 0.5 = 0x3F000000, 1.5 = 0x3FC00000, 2.5 = 0x40200000, 1.0 = 0x3F800000,
    # 2.0 = 0x40000000, -1.0 = 0xBF800000; sign bit 0x80000000.
    assert n.f32_ceil(0xBF000000) == 0x80000000  # ceil(-0.5) = -0
    assert n.f32_nearest(0xBF000000) == 0x80000000  # nearest(-0.5) = -0
    assert n.f32_nearest(0x3F000000) == 0  # a tie goes to the even 0
    assert n.f32_nearest(0x3F000001) == 0x3F800000  # just above 0.5
    assert n.f32_nearest(0x3EFFFFFF) == 0  # just below 0.5
    assert n.f32_nearest(0x3FC00000) == 0x40000000  # 1.5 -> 2
    assert n.f32_nearest(0x40200000) == 0x40000000  # 2.5 -> 2
    assert n.f32_nearest(0xC0200000) == 0xC0000000  # -2.5 -> -2
    assert n.f32_nearest(0x4AFFFFFF) == 0x4B000000  # 8388607.5 -> 8388608 (odd -> even)
    assert n.f32_floor(0x80000001) == 0xBF800000  # floor(-min subnormal) = -1
    assert n.f32_floor(1) == 0 and n.f32_ceil(1) == 0x3F800000
    assert n.f32_trunc(0xBFC00000) == 0xBF800000 and n.f32_floor(0xBFC00000) == 0xC0000000
    assert n.f32_ceil(0x3F800001) == 0x40000000  # a carry into the exponent
    assert n.f32_ceil(0x4B7FFFFF) == 0x4B7FFFFF  # 2**24 - 1: integral already
    # NaNs become canonical, even signalling ones; infinities and zeros stay.
    assert n.f32_nearest(0x7FA00000) == 0x7FC00000
    assert n.f64_floor(0xFFF0000000000001) & 0x7FFFFFFFFFFFFFFF == 0x7FF8000000000000
    for z in (0, 0x80000000, 0x7F800000, 0xFF800000):
        assert n.f32_trunc(z) == z and n.f32_nearest(z) == z
    # f64: -0.5 = 0xBFE0000000000000, 4503599627370495.5 = 0x432FFFFFFFFFFFFF -> 2**52.
    assert n.f64_ceil(0xBFE0000000000000) == 0x8000000000000000
    assert n.f64_nearest(0x432FFFFFFFFFFFFF) == 0x4330000000000000


def test_min_max_cmp_edges():
    n = _NUMERIC
    assert n.f32_min(0, 0x80000000) == 0x80000000 and n.f32_min(0x80000000, 0) == 0x80000000
    assert n.f32_max(0, 0x80000000) == 0 and n.f32_max(0x80000000, 0) == 0
    assert n.f64_min(0x7FF0000000000001, 0) & 0x7FFFFFFFFFFFFFFF == 0x7FF8000000000000
    assert n.f32_max(0x3F800000, 0xFFA00000) & 0x7FFFFFFF == 0x7FC00000
    assert n.f32_min(0xFF800000, 0xFF7FFFFF) == 0xFF800000
    assert n.f32_eq(0, 0x80000000) == 1 and n.f32_ne(0x7FC00000, 0x7FC00000) == 1
    assert n.f32_lt(0x80000001, 0) == 1 and n.f32_le(0x80000000, 0) == 1
    assert n.f32_gt(0x7FC00000, 0) == 0 and n.f32_ge(0, 0x7FC00000) == 0
    assert n.f64_lt(0xFFF0000000000000, 0xFFEFFFFFFFFFFFFF) == 1


def test_conversion_edges():
    n = _NUMERIC
    # i64 -> f32 without double rounding: 2**53 + 2**29 + 1 is nearer 2**53 + 2**30 (f32 ulp
    # there is 2**30); going via f64 gives 2**53 + 2**29, a tie that rounds to 2**53.
    # 2**53 + 2**30 = 1.0000001b * 2**53: exponent 53 + 127 = 0xB4, fraction 1 -> 0x5A000001.
    assert n.f32_convert_i64_u(0x20000020000001) == 0x5A000001
    assert n.f32_convert_i64_s(0xFFDFFFFFDFFFFFFF) == 0xDA000001  # the negation of it
    assert n.f32_convert_i64_u(0xFFFFFFFFFFFFFFFF) == 0x5F800000  # 2**64
    assert n.f64_convert_i64_s(0x8000000000000000) == 0xC3E0000000000000  # -2**63
    # Near 2**32 the f32 ulp is 256; 0x4F7FFFFF = 2**32 - 256 has an odd significand.
    assert n.f32_convert_i32_u(0xFFFFFF80) == 0x4F800000  # 2**32 - 128: a tie, up to even
    assert n.f32_convert_i32_u(0xFFFFFE80) == 0x4F7FFFFE  # 2**32 - 384: a tie, down to even
    # demote: halfway from the largest f32 to 2**128 (0x47EFFFFFF0000000) ties up to inf.
    assert n.f32_demote_f64(0x47EFFFFFEFFFFFFF) == 0x7F7FFFFF
    assert n.f32_demote_f64(0x47EFFFFFF0000000) == 0x7F800000
    assert n.f32_demote_f64(0x3690000000000000) == 0  # 2**-150: a tie, to even 0
    assert n.f32_demote_f64(0x3690000000000001) == 1  # just above it
    assert n.f32_demote_f64(0xB690000000000000) == 0x80000000
    assert n.f32_demote_f64(0x36A8000000000000) == 2  # 1.5 * 2**-149: a tie, to even 2
    assert n.f32_demote_f64(0x380FFFFFE0000000) == 0x00800000  # rounds up into the normals
    assert n.f32_demote_f64(1) == 0 and n.f32_demote_f64(0x7FF4000000000000) == 0x7FC00000
    # promote: 2**-149 = 0x36A0000000000000; (2**23 - 1) * 2**-149 = (2 - 2**-22) * 2**-127.
    assert n.f64_promote_f32(1) == 0x36A0000000000000
    assert n.f64_promote_f32(0x807FFFFF) == 0xB80FFFFFC0000000
    assert n.f64_promote_f32(0x7FA00000) == 0x7FF8000000000000
    assert n.f64_promote_f32(0xFF800000) == 0xFFF0000000000000
    assert n.f64_promote_f32(0x3F800000) == 0x3FF0000000000000


def test_truncation_edges():
    n = _NUMERIC
    assert n.i32_trunc_f32_s(0xCF000000) == 0x80000000  # -2147483648.0
    _trap(INT_OVERFLOW, n.i32_trunc_f32_s, 0x4F000000)  # 2147483648.0
    assert n.i32_trunc_f64_u(0xBFECCCCCCCCCCCCD) == 0  # -0.9
    _trap(INT_OVERFLOW, n.i32_trunc_f64_u, 0xBFF0000000000000)  # -1.0
    # 2147483647.9 = 0x41DFFFFFFFF9999A, -2147483648.9 = 0xC1E000000001CCCD, -2147483649.0
    assert n.i32_trunc_f64_s(0x41DFFFFFFFF9999A) == 0x7FFFFFFF
    assert n.i32_trunc_f64_s(0xC1E000000001CCCD) == 0x80000000
    _trap(INT_OVERFLOW, n.i32_trunc_f64_s, 0xC1E0000000200000)
    _trap(INT_OVERFLOW, n.i64_trunc_f64_u, 0x43F0000000000000)  # 2**64
    assert n.i64_trunc_f64_u(0x43EFFFFFFFFFFFFF) == 0xFFFFFFFFFFFFF800  # 2**64 - 2048
    assert n.i64_trunc_f32_s(0xDF000000) == 0x8000000000000000  # -2**63
    _trap(INT_OVERFLOW, n.i64_trunc_f32_s, 0x5F000000)  # 2**63
    _trap(BAD_CONVERSION, n.i32_trunc_f32_u, 0xFFC00001)
    _trap(INT_OVERFLOW, n.i64_trunc_f64_s, 0xFFF0000000000000)
    assert n.i32_trunc_f32_s(0x80000001) == 0 and n.i64_trunc_f64_u(0x8000000000000001) == 0
    assert n.i32_trunc_sat_f32_s(0x7FC00000) == 0 and n.i64_trunc_sat_f64_u(0xFFF8000000000001) == 0
    assert n.i32_trunc_sat_f32_s(0x7F800000) == 0x7FFFFFFF
    assert n.i32_trunc_sat_f32_s(0xFF800000) == 0x80000000
    assert n.i32_trunc_sat_f64_u(0xBFF0000000000000) == 0
    assert n.i64_trunc_sat_f64_s(0x43E0000000000000) == 0x7FFFFFFFFFFFFFFF
    assert n.i64_trunc_sat_f32_u(0x5F800000) == 0xFFFFFFFFFFFFFFFF


def test_bitwise_keeps_nan_payloads():
    n = _NUMERIC
    assert n.f32_abs(0xFFA00001) == 0x7FA00001 and n.f32_neg(0x7FA00001) == 0xFFA00001
    assert n.f64_copysign(0x7FF0000000000001, 0x8000000000000000) == 0xFFF0000000000001
    for f in (n.i32_reinterpret_f32, n.f32_reinterpret_i32, n.i64_reinterpret_f64,
              n.f64_reinterpret_i64):
        assert f(0x7FA00001) == 0x7FA00001 and f(0xFFF0000000000001) == 0xFFF0000000000001


def test_host_value_helpers():
    n = _NUMERIC
    assert n.f32_bits(n.f32_value(0x3EAAAAAB)) == 0x3EAAAAAB
    assert n.f32_bits(n.f32_value(0x80000001)) == 0x80000001
    assert n.f32_bits(n.f32_value(0x7F800000)) == 0x7F800000
    assert n.f32_bits(n.f32_value(0x7FA00001)) == 0x7FC00000  # NaN bits are not trusted
    if not numeric._host_exact():
        support.skip("host float is not an IEEE double")
    assert n.f64_bits(n.f64_value(0x8000000000000001)) == 0x8000000000000001
    assert n.f64_bits(n.f64_value(0x3FD5555555555555)) == 0x3FD5555555555555
    assert n.f32_bits(n.f64_value(0x47EFFFFFF0000000)) == 0x7F800000  # ties to inf
    assert n.f32_bits(n.f64_value(0xC7EFFFFFEFFFFFFF)) == 0xFF7FFFFF
    assert n.f32_bits(n.f64_value(0x3690000000000001)) == 1
