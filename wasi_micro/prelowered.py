# A module's functions lowered on the host (`wasi-flash put`, host_tools/prelower.py), in
# NAME.code next to NAME.wasm: the board runner reads a function's register code from it when
# the function is first called (and again after an eviction) instead of lowering it, so the
# lowerer and its working set never take the board's heap.
#
# The file, little-endian: a header of _HEADER words (magic, format, the module's size and
# CRC-32, its defined functions), then per defined function (offset in bytes, length in
# halfwords, CRC-32 of those bytes) - length 0 for one the host could not lower - then the code.
# Each function's code is as the lowerer leaves it at position 0 with no call bound, and the
# type indices of its indirect calls in place of canonical type ids: loading relocates it
# (ir.relocate). A file for other bytes of the module, another lowering (FORMAT) or another
# module is not used; a function whose code does not match its CRC-32 traps.
from .compat import const, read_halfwords
from .errors import Trap
from .ir import relocate

MAGIC = const(0x4C434D57)  # "WMCL"
SUFFIX = ".code"  # NAME.code (firmware/wasi_run.py looks for it)
_HEADER = const(5)  # words: magic, format, module size and CRC-32, functions
_ENTRY = const(3)  # words a function: offset, length, CRC-32
# What lowering writes: a digest of the modules that decide it (tools/gen_opcodes.py writes
# it, and --check says when it is stale). A file from another runtime's lowering is ignored.
FORMAT = const(0x55FE0337)
CHANGED = "prelowered code changed since it was written"


def header(size, crc, n):
    """The header's words for a module of size bytes with that CRC-32 and n defined
    functions."""
    return [MAGIC, FORMAT, size, crc, n]


def index_at(i):
    """Byte offset of defined function i's entry."""
    return 4 * (_HEADER + _ENTRY * i)


def _words(b):
    return [int.from_bytes(b[k:k + 4], "little") for k in range(0, len(b), 4)]


class CodeFile:
    """The prelowered code of a loaded module, read a function at a time."""

    def __init__(self, path):
        self.path = path
        self.at = self.crc = 0  # the entry length() read last: offset, CRC-32

    @staticmethod
    def open(path, m):
        """The CodeFile at path for module m, or None when it is not m's: a module loaded from
        its file with a record that matched (loader.load_file sets m.record), the same size,
        CRC-32, function count and lowering."""
        if m.record is None:
            return None
        try:
            with open(path, "rb") as f:
                head = _words(f.read(index_at(0)))
        except OSError:
            return None
        if head != header(m.record[0], m.record[1], len(m.codes)):
            return None
        return CodeFile(path)

    def length(self, i):
        """Halfwords of defined function i's code (0: not in the file, lower it)."""
        with open(self.path, "rb") as f:
            f.seek(index_at(i))
            entry = _words(f.read(4 * _ENTRY))
        if len(entry) != _ENTRY:  # cut short since it was opened
            raise Trap(CHANGED)
        self.at, n, self.crc = entry
        return n

    def load(self, i, n, space, typeids):
        """Put defined function i's code (n halfwords, as length(i) just said) at the end of
        space (ir.Space: Full if it does not fit) with the instance's typeids; its entry."""
        at = space.used
        if at + n > len(space.array):
            space.grow(at + n)
        code = space.array
        with open(self.path, "rb") as f:
            f.seek(self.at)
            if read_halfwords(f, code, at, n) != self.crc:
                raise Trap(CHANGED)
        relocate(code, at, at, typeids)
        space.used = at + n
        return at
