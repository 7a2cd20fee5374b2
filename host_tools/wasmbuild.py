# The wasm binary builder shared by the tests, the fuzzer and the bench: modules written here in
# bytes, so the tests need no wat2wasm and run under MicroPython too (keep it portable). Two
# levels: the encoders and section helpers (sections written by hand, malformed ones too, as
# test_decode.py does), and Module (types, imports, functions, memory, table, segments;
# bytes() encodes them in order).
I32 = 0x7F
I64 = 0x7E
F32 = 0x7D
F64 = 0x7C
FUNCREF = 0x70


def uleb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def sleb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def vec(items):
    return uleb(len(items)) + b"".join(items)


def name(s):
    """A name (str, or bytes as they are)."""
    b = s.encode() if isinstance(s, str) else s
    return uleb(len(b)) + b


def section(sid, payload):
    return bytes([sid]) + uleb(len(payload)) + payload


def module(*sections):
    """The header, then the sections as given."""
    return b"\x00asm\x01\x00\x00\x00" + b"".join(sections)


def type_sec(*types):
    """Function types as (params, results) bytes of value types."""
    return section(1, vec([b"\x60" + uleb(len(p)) + p + uleb(len(r)) + r for p, r in types]))


def func_sec(*type_indices):
    return section(3, vec([uleb(i) for i in type_indices]))


def table_sec(*tables):
    return section(4, vec(tables))


def mem_sec(*limits):
    return section(5, vec(limits))


def global_sec(*globals_):
    return section(6, vec(globals_))


def elem_sec(*segments):
    return section(9, vec(segments))


def code(body, locals_=()):
    """A code section with one body; locals_ as (count, valtype) groups."""
    groups = vec([uleb(k) + bytes((t,)) for k, t in locals_])
    return section(10, vec([name(groups + body)]))


def codes(*bodies):
    """A code section with several bodies (no locals)."""
    return section(10, vec([name(b"\x00" + b) for b in bodies]))


def i32(v):
    """i32.const v (v may be given unsigned)."""
    v &= 0xFFFFFFFF
    return b"\x41" + sleb(v - (1 << 32) if v >> 31 else v)


def i64(v):
    v &= 0xFFFFFFFFFFFFFFFF
    return b"\x42" + sleb(v - (1 << 64) if v >> 63 else v)


def get(i):
    return b"\x20" + uleb(i)


def mem(op, offset=0, align=0):
    """A load or store with its memarg."""
    return bytes([op]) + uleb(align) + uleb(offset)


def fc(sub, *imm):
    """A 0xFC-prefixed instruction."""
    return b"\xfc" + uleb(sub) + b"".join(uleb(x) for x in imm)


def _limits(lo, hi):
    return b"\x00" + uleb(lo) if hi is None else b"\x01" + uleb(lo) + uleb(hi)


class Module:
    """Add types, imports, functions, a memory, a table, segments; bytes() encodes."""

    def __init__(self):
        self.types = []
        self.imports = []  # encoded import entries
        self.nfunc_imports = 0
        self.funcs = []  # (type index, locals, body)
        self.exports = []
        self.memory = None
        self.table = None
        self.datas = []
        self.elems = []
        self.globals = []
        self.start = None
        self.data_count = False

    def type(self, params, results):
        t = (bytes(params), bytes(results))
        if t not in self.types:
            self.types.append(t)
        return self.types.index(t)

    def import_func(self, module, field, params, results):
        """Import a function (before defining any: indices count imports first)."""
        assert not self.funcs
        self.imports.append(name(module) + name(field) + b"\x00" +
                            uleb(self.type(params, results)))
        self.nfunc_imports += 1
        return self.nfunc_imports - 1

    def import_memory(self, module, field, lo, hi=None):
        self.imports.append(name(module) + name(field) + b"\x02" + _limits(lo, hi))

    def func(self, params, results, body, locals_=(), export=None):
        """A function; body without the final end. Returns its index."""
        idx = self.nfunc_imports + len(self.funcs)
        groups = vec([uleb(1) + bytes([t]) for t in locals_])
        self.funcs.append((self.type(params, results), groups + body + b"\x0b"))
        if export:
            self.export(export, 0, idx)
        return idx

    def export(self, field, kind, idx):
        self.exports.append(name(field) + bytes([kind]) + uleb(idx))

    def set_memory(self, lo, hi=None, export="memory"):
        self.memory = _limits(lo, hi)
        if export:
            self.export(export, 2, 0)

    def set_table(self, lo, hi=None, export=None):
        self.table = b"\x70" + _limits(lo, hi)
        if export:
            self.export(export, 1, 0)

    def data(self, offset, init):
        """An active data segment (offset None: passive)."""
        if offset is None:
            self.datas.append(b"\x01" + uleb(len(init)) + init)
        else:
            self.datas.append(b"\x00" + i32(offset) + b"\x0b" + uleb(len(init)) + init)
        self.data_count = True

    def elem(self, offset, funcs):
        self.elems.append(b"\x00" + i32(offset) + b"\x0b" + vec([uleb(f) for f in funcs]))

    def bytes(self):
        out = module()
        if self.types:
            out += section(1, vec([b"\x60" + vec([bytes([t]) for t in p]) +
                                   vec([bytes([t]) for t in r]) for p, r in self.types]))
        if self.imports:
            out += section(2, vec(self.imports))
        if self.funcs:
            out += section(3, vec([uleb(t) for t, _ in self.funcs]))
        if self.table is not None:
            out += section(4, vec([self.table]))
        if self.memory is not None:
            out += section(5, vec([self.memory]))
        if self.exports:
            out += section(7, vec(self.exports))
        if self.start is not None:
            out += section(8, uleb(self.start))
        if self.elems:
            out += section(9, vec(self.elems))
        if self.data_count:
            out += section(12, uleb(len(self.datas)))
        if self.funcs:
            out += section(10, vec([uleb(len(b)) + b for _, b in self.funcs]))
        if self.datas:
            out += section(11, vec(self.datas))
        return out
