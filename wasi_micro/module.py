# Plain records for a decoded module. decode.py fills them, validate.py checks them, lower.py and
# instance.py read them. Value types are their binary codes (I32 = 0x7F ...); a function type is a
# (params, results) pair of bytes of those codes, so types compare and hash by value.
from .compat import const
from .errors import MODULE_CHANGED, MalformedError, Trap

I32 = const(0x7F)
I64 = const(0x7E)
F32 = const(0x7D)
F64 = const(0x7C)
FUNCREF = const(0x70)
EXTERNREF = const(0x6F)

# External kinds (import/export descriptors).
K_FUNC = const(0)
K_TABLE = const(1)
K_MEM = const(2)
K_GLOBAL = const(3)

# Segment modes.
M_ACTIVE = const(0)
M_PASSIVE = const(1)
M_DECLARATIVE = const(2)

PAGE_LOG2 = const(16)


def slots(t):
    """Register slots (32-bit words) a value of type t occupies."""
    return 2 if t == 0x7E or t == 0x7C else 1


class Limits:
    """Table or memory limits. `page_log2` is 16 for ordinary memories (custom-page-sizes)."""

    def __init__(self, min, max=None, page_log2=PAGE_LOG2):
        self.min = min
        self.max = max
        self.page_log2 = page_log2


class Table:
    def __init__(self, reftype, limits):
        self.reftype = reftype
        self.limits = limits


class Global:
    """A defined global; `init` is a constant expression (see Expr)."""

    def __init__(self, valtype, mut, init):
        self.valtype = valtype
        self.mut = mut
        self.init = init


class Import:
    """`desc` by kind: type index (func), Table, Limits (memory), (valtype, mut) (global)."""

    def __init__(self, module, name, kind, desc):
        self.module = module
        self.name = name
        self.kind = kind
        self.desc = desc


class Export:
    def __init__(self, name, kind, index):
        self.name = name
        self.kind = kind
        self.index = index


class Elem:
    """An element segment; `items` is a list of constant expressions, one per element."""

    def __init__(self, mode, reftype, items, table=0, offset=None):
        self.mode = mode
        self.reftype = reftype
        self.items = items
        self.table = table
        self.offset = offset


class Data:
    """A data segment: `init` its bytes, at `pos` in the module's; None when the module was
    decoded from its file and the segment is active (then `crc` is the CRC-32 of the `size`
    bytes at `pos` in the file)."""

    def __init__(self, mode, init, memory, offset, pos, size, crc=0):
        self.mode = mode
        self.init = init
        self.memory = memory
        self.offset = offset
        self.pos = pos
        self.size = size
        self.crc = crc


class Code:
    """A function body. `locals` is the declared locals as a flat bytes of value types (params
    not included); the instructions are module.bytes[start:end] (ending with the final `end`)."""

    def __init__(self, locals, start, end):
        self.locals = locals
        self.start = start
        self.end = end


def names(r, only=None):
    """{function index: name} from a `name` custom section's contents (a Reader over them);
    with `only`, just that function's. Lenient: function names are a debugging aid, so a broken
    name section gives none."""
    out = {}
    try:
        while r.rest():
            sub = r.u8()
            n = r.u32()
            if sub == 1:
                for _ in range(r.u32()):
                    i = r.u32()
                    if only is None or i == only:
                        out[i] = r.name()
                        if i == only:
                            break
                    else:
                        r.skip(r.u32())
                break
            r.skip(n)
    except MalformedError:
        out = {}
    finally:
        r.done()
    return out


class Bodies:
    """Where validation finds each function body: get(i) -> (data, start, end), the
    instructions at data[start:end]. A module decoded from its file has them read from there
    one at a time into one buffer (its CRC-32 noted for Module.reader); `shift` is then what
    turns a position in the buffer into the file's, `size` the module's length."""

    def __init__(self, m):
        self.m = m
        self.f = None
        self.shift = 0
        if m.path is None:
            self.size = len(m.bytes)
            return
        from .compat import new_words
        biggest = 0
        for c in m.codes:
            biggest = max(biggest, c.end - c.start)
        self.buf = bytearray(biggest)
        self.view = memoryview(self.buf)
        m.crcs = new_words(len(m.codes), True)  # 32-bit ints are heap objects on a board
        self.f = open(m.path, "rb")
        self.size = self.f.seek(0, 2)

    def get(self, i):
        c = self.m.codes[i]
        if self.f is None:
            return self.m.bytes, c.start, c.end
        from .compat import crc32
        n = c.end - c.start
        self.f.seek(c.start)
        piece = self.view[:n]
        if (self.f.readinto(piece) or 0) != n:
            raise Trap(MODULE_CHANGED)
        self.m.crcs[i] = crc32(piece)
        self.shift = c.start
        return self.buf, 0, n

    def close(self):
        if self.f is not None:
            self.f.close()
            self.f = None


class Module:
    def __init__(self, data):
        self.bytes = data  # None when decoded from its file (decode_file) ...
        self.path = None  # ... this one, which function bodies are read back from
        self.types = []  # (params bytes, results bytes)
        self.imports = []
        self.funcs = []  # type index of each defined function
        self.tables = []
        self.mems = []  # Limits
        self.globals = []
        self.exports = []
        self.start = None
        self.elems = []
        self.datas = []
        self.data_count = None
        self.codes = []
        self.crcs = None  # from a file: the CRC-32 of each body's instructions
        self.customs = []  # (name, contents as a memoryview of the module's bytes)
        self.names_at = None  # from a file: (offset, size) of its `name` section there
        self._names = None
        # Index spaces (imports first), filled by the decoder after the import section.
        self.func_imports = 0
        self.table_imports = 0
        self.mem_imports = 0
        self.global_imports = 0

    def func_type(self, idx):
        """The (params, results) type of function `idx` in the function index space."""
        if idx < self.func_imports:
            n = 0
            for im in self.imports:
                if im.kind == K_FUNC:
                    if n == idx:
                        return self.types[im.desc]
                    n += 1
        return self.types[self.funcs[idx - self.func_imports]]

    def reader(self, i):
        """A Reader over the instructions of the body of defined function i; its done() says
        whether a detached module's file still holds what was validated."""
        from .reader import FileReader, Reader
        code = self.codes[i]
        if self.path is None:
            return Reader(self.bytes, code.start, code.end)
        return FileReader(self.path, code.start, code.end - code.start, self.crcs[i])

    def data_reader(self, i):
        """A FileReader over active data segment i of a module decoded from its file."""
        from .reader import FileReader
        d = self.datas[i]
        return FileReader(self.path, d.pos, d.size, d.crc)

    @property
    def func_names(self):
        """{function index: name} from the `name` section, parsed when first asked for (for
        messages: a board should not keep every name in RAM)."""
        if self._names is None:
            self._names = {}
            r = self._name_section()
            if r is not None:
                self._names = names(r)
        return self._names

    def func_name(self, idx):
        try:
            if self.path is None:
                name = self.func_names.get(idx)
            else:  # looked up in the file: a board should not hold every name in RAM
                r = self._name_section()
                name = None if r is None else names(r, idx).get(idx)
        except MemoryError:  # naming an out-of-memory trap on a full heap: the index will do
            self._names = None
            name = None
        except Trap:  # the file is gone
            name = None
        return name if name is not None else "wasm-function[%d]" % idx

    def _name_section(self):
        from .reader import FileReader, Reader
        if self.names_at is not None:
            return FileReader(self.path, self.names_at[0], self.names_at[1])
        for name, data in self.customs:
            if name == "name":
                return Reader(data)
        return None

    def table_types(self):
        """Table of every table in the index space (imports first)."""
        return [im.desc for im in self.imports if im.kind == K_TABLE] + self.tables

    def mem_types(self):
        return [im.desc for im in self.imports if im.kind == K_MEM] + self.mems

    def global_types(self):
        """(valtype, mut) of every global in the index space."""
        return [im.desc for im in self.imports if im.kind == K_GLOBAL] + [
            (g.valtype, g.mut) for g in self.globals
        ]
