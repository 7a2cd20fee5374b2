# Helpers shared by the portable tests: they run under pytest (CPython) and under
# tests/mpy_runner.py (the MicroPython unix port), so they use plain asserts and these helpers.
import os
import sys


class SkipTest(Exception):
    pass


def skip(msg):
    try:
        import pytest
    except ImportError:
        raise SkipTest(msg)
    pytest.skip(msg)


def raises(exc, fn, *args, **kw):
    """Call fn and return the exception of type `exc` it raises; fail if it raises none."""
    try:
        fn(*args, **kw)
    except exc as e:
        return e
    raise AssertionError("%s not raised by %r" % (exc.__name__, fn))


def _dirname(p):
    i = p.rfind("/")
    return p[:i] if i > 0 else ("/" if i == 0 else ".")


TESTS = _dirname(__file__)
ROOT = _dirname(TESTS)


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def shared(*parts):
    """A path in the shared conformance data (WASI_MICRO_SHARED, default ../shared)."""
    base = os.getenv("WASI_MICRO_SHARED") if hasattr(os, "getenv") else None
    if not base:
        base = ROOT + "/../shared"
    return "/".join((base,) + parts)


def need_shared(*parts):
    path = shared(*parts)
    if not exists(path):
        skip("shared data not found: %s (set WASI_MICRO_SHARED)" % path)
    return path


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def module_path(name):
    """A committed test module in tests/wasm/."""
    return TESTS + "/wasm/" + name


def numeric_fn(name):
    """wasi_micro's numeric function `name` ("f32_add", "_host_f64_div"), None if none:
    numeric.py's, numeric_f32.py's for the ops on f32 values or numeric_int.py's for the
    integer ops the loop computes itself."""
    from wasi_micro import numeric, numeric_f32, numeric_int
    for m in (numeric, numeric_f32, numeric_int):
        f = getattr(m, name, None)
        if f is not None:
            return f
    return None


IS_MICROPYTHON = sys.implementation.name == "micropython"
