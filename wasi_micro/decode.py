# Binary format -> module.Module records, in one pass over the bytes. Structural checks only: every
# problem is a MalformedError worded as in the spec test suite; typing is validate.py's job.
# Function bodies stay offsets into the bytes: the validator decodes them as it types them, and
# check_bodies() walks their encoding alone when the validator needs that.
from .compat import const
from .config import DEFAULT
from .errors import MalformedError, LimitError
from .reader import Reader
from . import module as M
from . import opcodes as O

MAX_LOCALS = const(50000)  # the default limit on declared locals per function (Config)

# Load-time limits (Config fields): LimitError messages.
TOO_BIG = "module size limit exceeded"
TOO_MANY_FUNCS = "function count limit exceeded"
TOO_MANY_LOCALS = "too many locals"
TOO_MANY_ALL_LOCALS = "too many locals in the module"
DATA_TOO_BIG = "data segment size limit exceeded"
ELEM_TOO_BIG = "element segment size limit exceeded"

_EOF = "unexpected end"
_TOO_LONG = "integer representation too long"
_TOO_LARGE = "integer too large"
_OOB = "length out of bounds"

_VALTYPES = b"\x7f\x7e\x7d\x7c\x70\x6f"
_ONE = {0x7F: b"\x7f", 0x7E: b"\x7e", 0x7D: b"\x7d", 0x7C: b"\x7c", 0x70: b"\x70", 0x6F: b"\x6f"}
_REFTYPES = b"\x70\x6f"

# Section id -> its place in the required order (custom sections, id 0, go anywhere).
# Ids: 1 type, 2 import, 3 function, 4 table, 5 memory, 6 global, 7 export, 8 start, 9 element,
# 10 code, 11 data, 12 data count (which comes between element and code).
_RANK = b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0b\x0c\x0a"


def decode(data, config=None):
    """Decode a binary module (bytes-like) into a module.Module, or raise MalformedError (or
    LimitError past one of config's load-time limits)."""
    cfg = config or DEFAULT
    n = len(data)
    if cfg.max_module is not None and n > cfg.max_module:
        raise LimitError(TOO_BIG)
    if not isinstance(data, bytes):
        data = bytes(data)  # slices must be bytes (hashable types, immutable names)
    if n < 4:
        raise MalformedError(_EOF, n)
    if data[:4] != b"\x00asm":
        raise MalformedError("magic header not detected", 0)
    if n < 8:
        raise MalformedError(_EOF, n)
    if data[4:8] != b"\x01\x00\x00\x00":
        raise MalformedError("unknown binary version", 4)
    m = M.Module(data)
    r = Reader(data, 8)
    last = 0
    while r.pos < n:
        p = r.pos
        sid = data[p]
        if sid > 12:
            r.fail("malformed section id", p)
        r.pos = p + 1
        size = _size(r)
        end = r.pos + size
        if sid:
            if _RANK[sid] <= last:
                r.fail("unexpected content after last section", p)
            last = _RANK[sid]
            # Like the reference decoder, read on past a short section's end: the error is then
            # the one the bytes there give, or the size mismatch below.
            _SECTIONS[sid](m, r, cfg)
        else:
            _custom(m, r, end)
        if r.pos != end:
            r.fail("section size mismatch")
    if len(m.funcs) != len(m.codes):
        r.fail("function and code section have inconsistent lengths", n)
    if m.data_count is not None and m.data_count != len(m.datas):
        r.fail("data count and data section have inconsistent lengths", n)
    return m


def _len(r):
    # A count: like the reference decoder, refuse one larger than the bytes left (counted from
    # the count itself), which cannot be honest. This bounds every loop by the module's size.
    p = r.pos
    k = r.u32()
    if k > len(r.data) - p:
        r.fail(_OOB, p)
    return k


def _size(r):
    # A byte length, which must also end within the module.
    k = _len(r)
    if k > len(r.data) - r.pos:
        r.fail(_EOF, len(r.data))
    return k


def _byte_err(r, b, msg):
    # A one-byte code read as the reference decoder's 7-bit LEB: a set top bit is a long LEB.
    r.fail(_TOO_LONG if b & 0x80 else msg, r.pos - 1)


def valtype(r):
    b = r.u8()
    if b not in _VALTYPES:
        _byte_err(r, b, "malformed value type")
    return b


def reftype(r):
    b = r.u8()
    if b not in _REFTYPES:
        _byte_err(r, b, "malformed reference type")
    return b


def _valtypes(r):
    ts = r.bytes(_len(r))
    for i in range(len(ts)):
        if ts[i] not in _VALTYPES:
            r.pos += i + 1 - len(ts)
            _byte_err(r, ts[i], "malformed value type")
    return ts


def blocktype(r):
    """A block type as its s33 value: >= 0 a type index, else 0x40 (empty) or a value type's
    byte, minus 0x80."""
    p = r.pos
    if p < r.end:
        b = r.data[p]
        if b & 0xC0 == 0x40:  # one-byte negative form
            r.pos = p + 1
            if b != 0x40 and b not in _VALTYPES:
                _byte_err(r, b, "malformed value type")
            return b - 0x80
    x = r.s33()
    if x < 0:
        r.fail("malformed block type", p)
    return x


def _zero(r):
    if r.u8():
        r.fail("zero byte expected", r.pos - 1)


def memarg(r):
    """(align log2, offset) of a load or store."""
    a = r.u32()
    if a >= 32:
        r.fail("malformed memop flags", r.pos - 1)
    return a, r.u32()


def imm(r, kind):
    """Read the immediate of an instruction whose opcodes.IMM kind is `kind`."""
    if kind == O.IMM_NONE:
        return None
    if kind == O.IMM_U32:
        return r.u32()
    if kind == O.IMM_I32:
        return r.s32()
    if kind == O.IMM_I64:
        return r.s64()
    if kind == O.IMM_F32:
        return r.f32()
    if kind == O.IMM_F64:
        return r.f64()
    if kind == O.IMM_REFTYPE:
        return reftype(r)
    if kind == O.IMM_BLOCK:
        return blocktype(r)
    if kind == O.IMM_MEMARG:
        return memarg(r)
    if kind == O.IMM_BR_TABLE:
        labels = []  # (a comprehension would close over r: a cell allocated on every call)
        for _ in range(_len(r)):
            labels.append(r.u32())
        return labels, r.u32()
    if kind == O.IMM_CALL_IND or kind == O.IMM_U32_U32:
        x = r.u32()
        return x, r.u32()
    if kind == O.IMM_SELECT_T:
        return _valtypes(r)
    if kind == O.IMM_U32_ZERO:
        x = r.u32()
        _zero(r)
        return x
    if kind == O.IMM_ZERO_ZERO:
        _zero(r)
    _zero(r)  # IMM_ZERO, and the second byte of IMM_ZERO_ZERO
    return None


def opcode(r):
    """The next opcode (0xFC-prefixed ones as 0x100 + sub-opcode) and its immediate kind."""
    p = r.pos
    op = r.u8()
    if op == 0xFC:
        op = O.FC_BASE + r.u32()
    kind = O.IMM[op] if op < O.N_OPS else O.IMM_BAD
    if kind == O.IMM_BAD:
        r.fail("illegal opcode", p)
    return op, kind


def expr(r):
    """A constant expression as a list of (opcode, immediate), without its final `end`. Any
    instruction decodes here; whether it is constant is for the validator to say."""
    out = []
    depth = 0  # blocks are not constant, but must still parse to find the right `end`
    while True:
        p = r.pos
        op, kind = opcode(r)
        if op == 0x0B:
            if not depth:
                return out
            depth -= 1
        elif op == 0x05 and not depth:
            r.fail("END opcode expected", p)
        elif kind == O.IMM_BLOCK:
            depth += 1
        out.append((op, imm(r, kind)))


def ran_out(p, e, n):
    """Raise for a body (ending at e, in a module of n bytes) that ended, or whose last
    instruction crossed its end (p > e), before the function's final `end`."""
    if p == e < n:
        raise MalformedError("END opcode expected", p)
    raise MalformedError(_EOF, min(p, n))


def check_bodies(m, first=0):
    """Walk the function bodies from number `first` on for their encoding only (no typing),
    raising MalformedError for the first broken one. The validator decodes bodies as it types
    them; it calls this to find a malformed body that must win over an invalid one."""
    r = Reader(m.bytes)
    n = len(m.bytes)
    for code in m.codes[first:]:
        r.pos = code.start
        r.end = code.end
        kinds = [0]  # the opening opcode of each open block
        while kinds:
            if r.pos >= r.end:
                ran_out(r.pos, r.end, n)
            q = r.pos
            op, kind = opcode(r)
            if op == 0x0B:
                kinds.pop()
            elif op == 0x05:
                if kinds[-1] != 0x04:
                    r.fail("END opcode expected", q)
                kinds[-1] = 0x05
            elif kind == O.IMM_BLOCK:
                kinds.append(op)
            elif (op == 0x108 or op == 0x109) and m.data_count is None and m.datas:
                # (without data segments the index is merely unknown: invalid, not malformed)
                r.fail("data count section required", q)
            imm(r, kind)
        if r.pos != code.end:
            r.fail("section size mismatch")


def _limits(r, mem):
    flags = r.u8()
    # 0x08: a custom page size follows the limits (custom-page-sizes proposal, memories only).
    if flags > 1 and not (mem and (flags == 8 or flags == 9)):
        _byte_err(r, flags, _TOO_LARGE)
    lo = r.u32()
    hi = r.u32() if flags & 1 else None
    if flags & 8:
        log2 = r.u32()
        if log2 >= 64:  # not even a 64-bit size; 1 and 64 KiB are the valid sizes
            r.fail("invalid custom page size", r.pos - 1)
        return M.Limits(lo, hi, log2)
    return M.Limits(lo, hi)


def _mut(r):
    b = r.u8()
    if b > 1:
        r.fail("malformed mutability", r.pos - 1)
    return b


def _custom(m, r, end):
    r.end = end
    name = r.name()
    r.end = len(r.data)
    p = r.pos
    r.pos = end
    m.customs.append((name, memoryview(r.data)[p:end]))


def names(data):
    """{function index: name} from a `name` custom section's contents. Lenient: function names
    are a debugging aid, so a broken name section gives what it could read."""
    r = Reader(data)
    out = {}
    try:
        while r.pos < r.end:
            sub = r.u8()
            end = r.u32() + r.pos
            if sub == 1 and end <= r.end:
                r.end = end
                for _ in range(r.u32()):
                    i = r.u32()
                    out[i] = r.name()
                return out
            r.pos = end
    except MalformedError:
        pass
    return {}


def _types(m, r, _cfg):
    for _ in range(_len(r)):
        b = r.u8()
        if b != 0x60:
            _byte_err(r, b, "malformed function type")
        params = _valtypes(r)
        m.types.append((params, _valtypes(r)))


def _imports(m, r, cfg):
    for _ in range(_len(r)):
        mod = r.name()
        name = r.name()
        kind = r.u8()
        if kind == M.K_FUNC:
            desc = r.u32()
            m.func_imports += 1
        elif kind == M.K_TABLE:
            desc = _table(r)
            m.table_imports += 1
        elif kind == M.K_MEM:
            desc = _limits(r, True)
            m.mem_imports += 1
        elif kind == M.K_GLOBAL:
            desc = (valtype(r), _mut(r))
            m.global_imports += 1
        else:
            r.fail("malformed import kind", r.pos - 1)
        m.imports.append(M.Import(mod, name, kind, desc))
    if cfg.max_functions is not None and m.func_imports > cfg.max_functions:
        raise LimitError(TOO_MANY_FUNCS)


def _funcs(m, r, cfg):
    k = _len(r)
    if cfg.max_functions is not None and k + m.func_imports > cfg.max_functions:
        raise LimitError(TOO_MANY_FUNCS)
    m.funcs = [r.u32() for _ in range(k)]


def _table(r):
    t = reftype(r)
    return M.Table(t, _limits(r, False))


def _tables(m, r, _cfg):
    m.tables = [_table(r) for _ in range(_len(r))]


def _mems(m, r, _cfg):
    m.mems = [_limits(r, True) for _ in range(_len(r))]


def _globals(m, r, _cfg):
    for _ in range(_len(r)):
        t = valtype(r)
        mut = _mut(r)
        m.globals.append(M.Global(t, mut, expr(r)))


def _exports(m, r, _cfg):
    for _ in range(_len(r)):
        name = r.name()
        kind = r.u8()
        if kind > 3:
            r.fail("malformed export kind", r.pos - 1)
        m.exports.append(M.Export(name, kind, r.u32()))


def _start(m, r, _cfg):
    m.start = r.u32()


def _elems(m, r, cfg):
    # Flags: bit 0 passive or declarative, bit 1 explicit table (active) or declarative,
    # bit 2 items are expressions rather than function indices.
    shared = {}
    for _ in range(_len(r)):
        p = r.pos
        flags = r.u32()
        if flags > 7:
            r.fail("malformed elements segment kind", p)
        table = 0
        offset = None
        if flags & 1:
            mode = M.M_DECLARATIVE if flags & 2 else M.M_PASSIVE
        else:
            mode = M.M_ACTIVE
            if flags & 2:
                table = r.u32()
            offset = expr(r)
        rt = M.FUNCREF
        if flags & 3:
            if flags & 4:
                rt = reftype(r)
            elif r.u8():
                r.fail("malformed element kind", r.pos - 1)
        n = _len(r)
        if cfg.max_segment is not None and n > cfg.max_segment:
            raise LimitError(ELEM_TOO_BIG)
        if flags & 4:
            items = [expr(r) for _ in range(n)]
        else:
            # One shared expression per function: a byte per item must not cost a list and a
            # tuple (about 130 bytes under CPython).
            items = []
            for _ in range(n):
                x = r.u32()
                e = shared.get(x)
                if e is None:
                    e = shared[x] = [(0xD2, x)]
                items.append(e)
        m.elems.append(M.Elem(mode, rt, items, table, offset))


def _datas(m, r, cfg):
    for _ in range(_len(r)):
        p = r.pos
        flags = r.u32()
        if flags > 2:
            r.fail("malformed data segment kind", p)
        mem = r.u32() if flags == 2 else 0
        offset = None if flags == 1 else expr(r)
        n = _size(r)
        if cfg.max_segment is not None and n > cfg.max_segment:
            raise LimitError(DATA_TOO_BIG)
        mode = M.M_PASSIVE if flags == 1 else M.M_ACTIVE
        at = r.pos
        m.datas.append(M.Data(mode, r.view(n), mem, offset, at))


def _data_count(m, r, _cfg):
    m.data_count = r.u32()


def _codes(m, r, cfg):
    n = r.end
    left = cfg.max_all_locals
    same = {}  # one bytes object for each distinct locals declaration (a board's RAM)
    for _ in range(_len(r)):
        size = _size(r)
        start = r.pos
        end = start + size
        r.end = end  # the locals must fit the body
        groups = []  # count, type, count, type, ...
        total = 0
        for _ in range(_len(r)):
            k = r.u32()
            groups.append(k)
            groups.append(valtype(r))
            total += k
        # Count before allocating: a few bytes can declare billions of locals.
        if total > 0xFFFFFFFF:
            r.fail("too many locals", start)
        if total > cfg.max_locals:
            raise LimitError(TOO_MANY_LOCALS)
        left -= total
        if left < 0:
            raise LimitError(TOO_MANY_ALL_LOCALS)
        locs = b""
        for i in range(0, len(groups), 2):
            locs += _ONE[groups[i + 1]] * groups[i]
        locs = same.setdefault(locs, locs)
        m.codes.append(M.Code(locs, r.pos, end))
        r.pos = end
        r.end = n


_SECTIONS = (_custom, _types, _imports, _funcs, _tables, _mems, _globals, _exports, _start,
             _elems, _codes, _datas, _data_count)
