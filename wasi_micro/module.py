# Plain records for a decoded module. decode.py fills them, validate.py checks them, lower.py and
# instance.py read them. Value types are their binary codes (I32 = 0x7F ...); a function type is a
# (params, results) pair of bytes of those codes, so types compare and hash by value.
from .compat import const

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
    """A data segment: `init` its bytes, at `pos` in the module's; None once the module is
    detached and the segment active (then `crc` is the CRC-32 of the `size` bytes at `pos`)."""

    def __init__(self, mode, init, memory=0, offset=None, pos=0):
        self.mode = mode
        self.init = init
        self.memory = memory
        self.offset = offset
        self.pos = pos
        self.size = len(init)
        self.crc = 0


class Code:
    """A function body. `locals` is the declared locals as a flat bytes of value types (params
    not included); the instructions are module.bytes[start:end] (ending with the final `end`)."""

    def __init__(self, locals, start, end):
        self.locals = locals
        self.start = start
        self.end = end


class Module:
    def __init__(self, data):
        self.bytes = data  # None after detach()
        self.path = None  # the file detach() reads function bodies back from
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
        self.crcs = None  # detached: the CRC-32 of each body's instructions
        self.customs = []  # (name, contents as a memoryview of the module's bytes)
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

    def detach(self, path):
        """Let go of the module's bytes (a board's RAM): function bodies are read back from
        `path`, the file they came from, when first lowered, each checked against the CRC taken
        now; so are active data segments, when the module is instantiated. Passive data
        segments and the `name` section are kept as copies; other custom sections (debug info)
        are dropped."""
        from .compat import crc32, new_words
        data = memoryview(self.bytes)
        # In a word array: 32-bit ints are heap objects on a board, left scattered in the heap.
        self.crcs = crcs = new_words(len(self.codes), True)
        for i in range(len(self.codes)):
            c = self.codes[i]
            crcs[i] = crc32(data[c.start:c.end])
        for d in self.datas:
            if d.mode == M_ACTIVE:
                d.crc = crc32(d.init)
                d.init = None
            else:
                d.init = bytes(d.init)
        self.customs = [(n, bytes(v)) for n, v in self.customs if n == "name"]
        self.bytes = None
        self.path = path

    def reader(self, i):
        """A Reader over the instructions of the body of defined function i; its done() says
        whether a detached module's file still holds what was validated."""
        from .reader import FileReader, Reader
        code = self.codes[i]
        if self.path is None:
            return Reader(self.bytes, code.start, code.end)
        return FileReader(self.path, code.start, code.end - code.start, self.crcs[i])

    def data_reader(self, i):
        """A FileReader over detached active data segment i."""
        from .reader import FileReader
        d = self.datas[i]
        return FileReader(self.path, d.pos, d.size, d.crc)

    @property
    def func_names(self):
        """{function index: name} from the `name` section, parsed when first asked for (for
        messages: a board should not keep every name in RAM)."""
        if self._names is None:
            self._names = {}
            for name, data in self.customs:
                if name == "name":
                    from .decode import names
                    self._names = names(data)
                    break
        return self._names

    def func_name(self, idx):
        try:
            name = self.func_names.get(idx)
        except MemoryError:  # naming an out-of-memory trap on a full heap: the index will do
            self._names = None
            name = None
        return name if name is not None else "wasm-function[%d]" % idx

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
