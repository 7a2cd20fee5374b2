"""`wasi-flash put`'s NAME.code: every function of a module lowered here, in the layout
wasi_micro/prelowered.py reads on the board (there the lowerer then never takes heap)."""
import struct
import zlib
from array import array

import wasi_micro
from wasi_micro import prelowered
from wasi_micro.compat import halfwords
from wasi_micro.ir import CODE_START, Space, global_slots, relocate
from wasi_micro.lower import Lowerer


def functions(m):
    """[array of halfwords, or None where lowering fails] of each defined function of module m
    (a Module), as prelowered.py stores them: at position 0, no call bound, indirect calls
    naming type indices."""
    space = Space(halfwords(CODE_START + 4096), CODE_START, None)
    low = Lowerer(m, global_slots(m)[0], list(range(len(m.types))), space)
    entries = [0] * (m.func_imports + len(m.codes))  # nothing lowered: every call unbound
    out = []
    for i in range(len(m.codes)):
        space.used = CODE_START
        try:
            low.lower(m.func_imports + i, entries)
        except wasi_micro.LimitError:  # the board lowers it itself, and fails the same way
            out.append(None)
            continue
        code = array("H", space.array[CODE_START:space.used])
        relocate(code, 0, -CODE_START)
        out.append(code)
    return out


def build(data):
    """The NAME.code file for the module bytes data (valid: wasi_micro.load takes them)."""
    codes = functions(wasi_micro.load(data))
    n = len(codes)
    words = prelowered.header(len(data), zlib.crc32(data), n)
    body = []
    at = prelowered.index_at(n)
    for c in codes:
        b = b"" if c is None else struct.pack("<%dH" % len(c), *c)
        words += [at, len(b) // 2, zlib.crc32(b)]
        body.append(b)
        at += len(b)
    return struct.pack("<%dI" % len(words), *words) + b"".join(body)
