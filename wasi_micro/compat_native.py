# What the native tier (native.py) needs that CPython and MicroPython provide differently; only
# loaded with a tier on, so a board running the loop alone never holds it.
import sys

from .compat import IS_MICROPYTHON

if IS_MICROPYTHON:
    import struct as _struct

    # Python-level recursion past the C stack's room.
    TooDeep = RuntimeError

    def set_call_depth(n):
        pass  # the C stack decides (translated recursion stays in the loop: native_viper.py)

    # struct.Struct(fmt)'s bound methods on CPython; MicroPython has no Struct.
    def unpacker(fmt):
        return lambda buf, off: _struct.unpack_from(fmt, buf, off)

    def packer(fmt):
        return lambda buf, off, v: _struct.pack_into(fmt, buf, off, v)

    def interned(name):
        """name as a qstr: translated code finds its globals (qstrs) by identity in a dict
        whose keys are qstrs, and compares the text of a key that is not, on every call
        (17x slower). getattr makes the qstr; a string made equal to one then is it."""
        getattr(None, name, None)
        return "%s" % name
else:
    import struct as _struct

    _CALL_HEADROOM = 200  # Python frames below and beside the wasm calls (driver, host, tests)

    TooDeep = RecursionError

    def set_call_depth(n):
        """Room for n nested wasm calls as Python calls: CPython 3.11 runs Python-to-Python
        calls without C recursion, so its limit is only a count."""
        want = n + _CALL_HEADROOM
        if sys.getrecursionlimit() < want:
            sys.setrecursionlimit(want)

    def unpacker(fmt):
        return _struct.Struct(fmt).unpack_from

    def packer(fmt):
        return _struct.Struct(fmt).pack_into

    interned = sys.intern
