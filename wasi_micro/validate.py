# Validation: the spec's algorithm (appendix "Validation Algorithm") over a decoded module.
# Module-level checks, then one walk over every function body with an operand stack of value
# types and a control stack of frames. Raises InvalidError worded as in the spec test suite, or
# MalformedError for an instruction encoding the walk finds broken (the decoder does not walk
# bodies). Opcodes with a row in opcodes.SIG are typed from that table alone.
from .compat import const
from .errors import InvalidError, MalformedError
from .reader import Reader
from . import module as M
from . import opcodes as O
from .decode import blocktype, check_bodies, decode, imm, ran_out

_I32 = const(0x7F)
_I64 = const(0x7E)
_FUNCREF = const(0x70)
_EXTERNREF = const(0x6F)
_ANY = const(0)  # the unknown type of a value popped from a polymorphic stack

_MISMATCH = "type mismatch"

# Frame fields: the opening opcode, its parameter and result types, the operand stack height at
# entry, and whether the rest of the block is unreachable.
_OP = const(0)
_IN = const(1)
_OUT = const(2)
_HEIGHT = const(3)
_UNREACHABLE = const(4)

# Natural alignment (log2 of the access width) of the loads and stores, opcodes 0x28..0x3E.
_NATURAL = (b"\x02\x03\x02\x03\x00\x00\x01\x01\x00\x00\x01\x01\x02\x02"  # loads
            b"\x02\x03\x02\x03\x00\x01\x00\x01\x02")  # stores

_CONST_TYPES = b"\x7f\x7e\x7d\x7c"  # of i32.const .. f64.const

# Block types by their one-byte code (s33 value): empty, or a single result.
_BLOCK_TYPES = {
    -0x40: (b"", b""),
    -0x01: (b"", b"\x7f"),
    -0x02: (b"", b"\x7e"),
    -0x03: (b"", b"\x7d"),
    -0x04: (b"", b"\x7c"),
    -0x10: (b"", b"\x70"),
    -0x11: (b"", b"\x6f"),
}

# Extended-const: the arithmetic allowed in constant expressions (typed from opcodes.SIG).
_CONST_ARITH = b"\x6a\x6b\x6c\x7c\x7d\x7e"


def load(data, config=None):
    """Decode and validate a binary module; return the module.Module. config (a Config) sets
    the load-time limits."""
    m = decode(data, config)
    validate(m)
    return m


class _Ctx:
    """What the body walk needs to know about the module, as plain lists."""

    def __init__(self, m):
        self.data = m.bytes
        self.types = m.types
        self.funcs = []  # (params, results) per function index
        self.tables = bytearray()  # reftype per table index
        self.mems = []  # Limits per memory index
        self.globals = []  # (valtype, mut) per global index
        self.elems = bytearray(e.reftype for e in m.elems)
        self.ndatas = len(m.datas)
        # Data indices in code need a data count section (without data segments, the index is
        # simply unknown: the spec tests count that as invalid, not malformed).
        self.need_count = m.data_count is None and len(m.datas) > 0
        self.refs = set()  # "declared" functions: ref.func may name only these
        self.vals = []  # the body walk's operand stack (value types) ...
        self.ctrl = [[0, b"", b"", 0, False]]  # ... and control frames, kept for reuse


def validate(m):
    """Check module `m` (from decode) is valid; raise InvalidError if not."""
    walked = 0
    try:
        c = _Ctx(m)
        _imports(m, c)
        nglob = len(c.globals)  # constant expressions may read imported globals only
        ntypes = len(m.types)
        for x in m.funcs:
            if x >= ntypes:
                raise InvalidError("unknown type")
            c.funcs.append(m.types[x])
        for t in m.tables:
            _limits(t.limits)
            c.tables.append(t.reftype)
        for lim in m.mems:
            _mem_limits(lim)
            c.mems.append(lim)
        _collect_refs(m, c)
        for g in m.globals:
            _const(c, g.init, g.valtype, nglob)
            c.globals.append((g.valtype, g.mut))
        for e in m.elems:
            for item in e.items:
                _const(c, item, e.reftype, nglob)
            if e.mode == M.M_ACTIVE:
                if e.table >= len(c.tables):
                    raise InvalidError("unknown table %d" % e.table)
                if c.tables[e.table] != e.reftype:
                    raise InvalidError(_MISMATCH)
                _const(c, e.offset, _I32, nglob)
        for d in m.datas:
            if d.mode == M.M_ACTIVE:
                if d.memory >= len(c.mems):
                    raise InvalidError("unknown memory %d" % d.memory)
                _const(c, d.offset, _I32, nglob)
        r = Reader(c.data)
        nimp = m.func_imports
        for i in range(len(m.codes)):
            _body(c, r, m.codes[i], c.funcs[nimp + i])
            walked = i + 1
        if m.start is not None:
            if m.start >= len(c.funcs):
                raise InvalidError("unknown function %d" % m.start)
            if c.funcs[m.start] != (b"", b""):
                raise InvalidError("start function must not have parameters or results")
        _exports(m, c)
        if len(c.mems) > 1:
            raise InvalidError("multiple memories")
    except InvalidError:
        # The spec decodes the whole module before validating any of it, so a malformed body
        # further on wins over this error.
        check_bodies(m, walked)
        raise


def _imports(m, c):
    for im in m.imports:
        k = im.kind
        if k == M.K_FUNC:
            if im.desc >= len(m.types):
                raise InvalidError("unknown type")
            c.funcs.append(m.types[im.desc])
        elif k == M.K_TABLE:
            _limits(im.desc.limits)
            c.tables.append(im.desc.reftype)
        elif k == M.K_MEM:
            _mem_limits(im.desc)
            c.mems.append(im.desc)
        else:
            c.globals.append(im.desc)


def _limits(lim):
    # (Table sizes are u32s: always within their 2**32-1 bound.)
    if lim.max is not None and lim.min > lim.max:
        raise InvalidError("size minimum must not be greater than maximum")


def _mem_limits(lim):
    log2 = lim.page_log2
    if log2 != 16 and log2 != 0:
        raise InvalidError("invalid custom page size")
    top = 1 << (32 - log2)  # pages in 4 GiB
    if lim.min > top or (lim.max is not None and lim.max > top):
        raise InvalidError("memory size must be at most 65536 pages (4GiB)")
    _limits(lim)


def _collect_refs(m, c):
    # Functions referenced outside function bodies: exports, and ref.func in any constant
    # expression (globals, element items and offsets, data offsets).
    refs = c.refs
    for ex in m.exports:
        if ex.kind == M.K_FUNC:
            refs.add(ex.index)
    exprs = [g.init for g in m.globals] + [d.offset for d in m.datas if d.offset]
    for e in m.elems:
        exprs += e.items
        if e.offset:
            exprs.append(e.offset)
    for ex in exprs:
        for op, x in ex:
            if op == 0xD2:
                refs.add(x)


def _const(c, ex, t, nglob):
    """Check the constant expression `ex` produces one value of type t."""
    for op, x in ex:
        if op == 0x23:
            if x >= nglob:
                raise InvalidError("unknown global %d" % x)
            if c.globals[x][1]:
                raise InvalidError("constant expression required")
        elif not (0x41 <= op <= 0x44 or op == 0xD0 or op == 0xD2 or
                  (op < 0x100 and op in _CONST_ARITH)):  # (0xFC ops are not bytes)
            raise InvalidError("constant expression required")
    stack = []
    for op, x in ex:
        if op == 0x23:
            stack.append(c.globals[x][0])
        elif op == 0xD0:
            stack.append(x)
        elif op == 0xD2:
            if x >= len(c.funcs):
                raise InvalidError("unknown function %d" % x)
            stack.append(_FUNCREF)
        elif op <= 0x44:
            stack.append(_CONST_TYPES[op - 0x41])
        else:
            ps, rs = O.SIGS[O.SIG[op]]
            if stack[-2:] != list(ps):
                raise InvalidError(_MISMATCH)
            stack[-2:] = list(rs)
    if stack != [t]:
        raise InvalidError(_MISMATCH)


_KIND_NAMES = ("function", "table", "memory", "global")


def _exports(m, c):
    seen = set()
    counts = (len(c.funcs), len(c.tables), len(c.mems), len(c.globals))
    for ex in m.exports:
        if ex.index >= counts[ex.kind]:
            raise InvalidError("unknown %s %d" % (_KIND_NAMES[ex.kind], ex.index))
        if ex.name in seen:
            raise InvalidError("duplicate export name")
        seen.add(ex.name)


def _pop(vals, t, h, unr):
    """Pop a value of type t (_ANY: of any type) and return its type."""
    if len(vals) == h:
        if unr:
            return _ANY
        raise InvalidError(_MISMATCH)
    u = vals.pop()
    if u != t and u and t:
        raise InvalidError(_MISMATCH)
    return u


def _pops(vals, ts, h, unr):
    """Pop values of the types ts (the last one first)."""
    k = len(ts)
    while k:
        k -= 1
        _pop(vals, ts[k], h, unr)


def _peeks(vals, ts, h, unr):
    """Check the top values have the types ts, leaving them in place."""
    n = len(vals)
    k = len(ts)
    for i in range(1, k + 1):
        if n - i < h:
            if unr:
                return
            raise InvalidError(_MISMATCH)
        u = vals[n - i]
        if u != ts[k - i] and u:
            raise InvalidError(_MISMATCH)


def _label(ctrl, d, x):
    if x > d:
        raise InvalidError("unknown label")
    f = ctrl[d - x]
    return f[_IN] if f[_OP] == 0x03 else f[_OUT]


def _body(c, r, code, ft):
    """Validate one function body of type ft = (params, results)."""
    data = c.data
    SIG = O.SIG
    SIGS = O.SIGS
    IMM = O.IMM
    MEMARG = O.IMM_MEMARG
    params, results = ft
    locs = params + code.locals
    nloc = len(locs)
    globs = c.globals
    nmem = len(c.mems)
    p = code.start
    e = code.end
    r.end = e
    # The stacks are reused from function to function: ctrl[0..d] are the open frames.
    vals = c.vals
    del vals[:]
    push = vals.append
    ctrl = c.ctrl
    d = 0
    frame = ctrl[0]
    frame[_OP] = 0  # the function's own block
    frame[_IN] = b""
    frame[_OUT] = results
    frame[_HEIGHT] = 0
    frame[_UNREACHABLE] = False
    h = 0
    unr = False
    q = p
    try:
        while True:
            if p >= e:
                ran_out(p, e, len(data))
            q = p
            op = data[p]
            p += 1
            if op == 0x20:  # local.get, the most common instruction
                x = data[p]
                if x < 0x80:
                    p += 1
                else:
                    r.pos = p
                    x = r.u32()
                    p = r.pos
                if x >= nloc:
                    raise InvalidError("unknown local %d" % x)
                push(locs[x])
                continue
            if op == 0xFC:
                r.pos = p
                op = 0x100 + r.u32()
                p = r.pos
                if op >= O.N_OPS:
                    raise MalformedError("illegal opcode", q)
            sig = SIG[op]
            if sig:
                if IMM[op] == MEMARG:
                    if not nmem:
                        raise InvalidError("unknown memory 0")
                    a = data[p]
                    if a < 32:  # the usual one-byte alignment; skip the offset
                        p += 1
                        if data[p] < 0x80:
                            p += 1
                        else:
                            r.pos = p
                            r.u32()
                            p = r.pos
                    else:
                        r.pos = p
                        a = imm(r, MEMARG)[0]
                        p = r.pos
                    if a > _NATURAL[op - 0x28]:
                        raise InvalidError("alignment must not be larger than natural")
                ps, rs = SIGS[sig]
                n = len(vals)
                if len(ps) == 1:
                    if n > h and vals[n - 1] == ps[0]:
                        if rs:
                            vals[n - 1] = rs[0]
                        else:
                            vals.pop()
                        continue
                elif n - 2 >= h and vals[n - 1] == ps[1] and vals[n - 2] == ps[0]:
                    vals.pop()
                    if rs:
                        vals[n - 2] = rs[0]
                    else:
                        vals.pop()
                    continue
                _pops(vals, ps, h, unr)
                vals.extend(rs)
                continue
            if op == 0x21 or op == 0x22:  # local.set / tee
                x = data[p]
                if x < 0x80:
                    p += 1
                else:
                    r.pos = p
                    x = r.u32()
                    p = r.pos
                if x >= nloc:
                    raise InvalidError("unknown local %d" % x)
                t = locs[x]
                if len(vals) > h and vals[-1] == t:
                    if op == 0x21:
                        vals.pop()
                else:
                    _pop(vals, t, h, unr)
                    if op == 0x22:
                        push(t)
                continue
            if op == 0x41:  # i32.const
                if data[p] < 0x80:
                    p += 1
                else:
                    r.pos = p
                    r.s32()
                    p = r.pos
                push(_I32)
                continue
            if op == 0x0D or op == 0x0C:  # br_if, br
                x = data[p]
                if x < 0x80:
                    p += 1
                else:
                    r.pos = p
                    x = r.u32()
                    p = r.pos
                lt = _label(ctrl, d, x)
                if op == 0x0C:
                    _pops(vals, lt, h, unr)
                    if len(vals) > h:
                        del vals[h:]
                    unr = frame[_UNREACHABLE] = True
                    continue
                _pop(vals, _I32, h, unr)
                n = len(lt)
                if n == 0:
                    continue
                if n == 1 and len(vals) > h and vals[-1] == lt[0]:
                    continue
                _pops(vals, lt, h, unr)
                vals.extend(lt)
                continue
            if op == 0x0B:  # end
                out = frame[_OUT]
                n = len(vals) - h
                if not (n == len(out) and (n == 0 or (n == 1 and vals[h] == out[0]))):
                    _pops(vals, out, h, unr)
                    if len(vals) != h:
                        raise InvalidError(_MISMATCH)
                    vals.extend(out)
                if frame[_OP] == 0x04 and frame[_IN] != out:  # `if` without `else`
                    raise InvalidError(_MISMATCH)
                if not d:
                    if p != e:
                        raise MalformedError("section size mismatch", p)
                    return
                d -= 1
                frame = ctrl[d]
                h = frame[_HEIGHT]
                unr = frame[_UNREACHABLE]
                continue
            if op == 0x02 or op == 0x03 or op == 0x04:  # block, loop, if
                b = data[p]
                if b == 0x40:
                    p += 1
                    ins = out = b""
                else:
                    r.pos = p
                    x = blocktype(r)
                    p = r.pos
                    if x < 0:
                        ins, out = _BLOCK_TYPES[x]
                    elif x < len(c.types):
                        ins, out = c.types[x]
                    else:
                        raise InvalidError("unknown type")
                if op == 0x04:
                    if len(vals) > h and vals[-1] == _I32:
                        vals.pop()
                    else:
                        _pop(vals, _I32, h, unr)
                if ins:
                    _pops(vals, ins, h, unr)
                h = len(vals)
                unr = False
                d += 1
                if d == len(ctrl):
                    ctrl.append([op, ins, out, h, unr])
                frame = ctrl[d]
                frame[_OP] = op
                frame[_IN] = ins
                frame[_OUT] = out
                frame[_HEIGHT] = h
                frame[_UNREACHABLE] = unr
                if ins:
                    vals.extend(ins)
                continue
            if op == 0x10 or op == 0x12:  # call, return_call
                r.pos = p
                x = r.u32()
                p = r.pos
                if x >= len(c.funcs):
                    raise InvalidError("unknown function %d" % x)
                ps, rs = c.funcs[x]
                if op == 0x12:
                    _tail(vals, ps, rs, results, h, unr)
                    if len(vals) > h:
                        del vals[h:]
                    unr = frame[_UNREACHABLE] = True
                    continue
                _pops(vals, ps, h, unr)
                if rs:
                    vals.extend(rs)
                continue
            if op == 0x23 or op == 0x24:  # global.get / set
                r.pos = p
                x = r.u32()
                p = r.pos
                if x >= len(globs):
                    raise InvalidError("unknown global %d" % x)
                t, mut = globs[x]
                if op == 0x23:
                    push(t)
                    continue
                if not mut:
                    raise InvalidError("global is immutable")
                _pop(vals, t, h, unr)
                continue
            if op == 0x43 or op == 0x44:  # f32/f64.const: only the width matters here
                p += 4 if op == 0x43 else 8
                push(_CONST_TYPES[op - 0x41])
                continue
            kind = IMM[op]
            if kind == O.IMM_BAD:
                raise MalformedError("illegal opcode", q)
            r.pos = p
            x = imm(r, kind)
            p = r.pos
            if op == 0x0F:  # return
                _pops(vals, results, h, unr)
            elif op == 0x00:  # unreachable
                pass
            elif op == 0x01:  # nop
                continue
            elif op == 0x42:  # i64.const
                push(_I64)
                continue
            elif op == 0x05:  # else
                if frame[_OP] != 0x04:
                    raise MalformedError("END opcode expected", q)
                out = frame[_OUT]
                _pops(vals, out, h, unr)
                if len(vals) != h:
                    raise InvalidError(_MISMATCH)
                frame[_OP] = 0x05
                unr = frame[_UNREACHABLE] = False
                vals.extend(frame[_IN])
                continue
            elif op == 0x0E:  # br_table
                labels, default = x
                _pop(vals, _I32, h, unr)
                lt = _label(ctrl, d, default)
                for l in labels:
                    ts = _label(ctrl, d, l)
                    if len(ts) != len(lt):
                        raise InvalidError(_MISMATCH)
                    _peeks(vals, ts, h, unr)
                _pops(vals, lt, h, unr)
            elif op == 0x11 or op == 0x13:  # call_indirect, return_call_indirect
                y, tab = x
                if tab >= len(c.tables):
                    raise InvalidError("unknown table %d" % tab)
                if y >= len(c.types):
                    raise InvalidError("unknown type %d" % y)
                if c.tables[tab] != _FUNCREF:
                    raise InvalidError(_MISMATCH)
                ps, rs = c.types[y]
                _pop(vals, _I32, h, unr)
                if op == 0x13:
                    _tail(vals, ps, rs, results, h, unr)
                else:
                    _pops(vals, ps, h, unr)
                    if rs:
                        vals.extend(rs)
                    continue
            elif op == 0x1A:  # drop
                _pop(vals, _ANY, h, unr)
                continue
            elif op == 0x1B or op == 0x1C:  # select, typed select
                _select(vals, x, h, unr)
                continue
            else:
                _misc(c, vals, op, x, h, unr)
                continue
            # unreachable, return, br_table, return_call_indirect: the rest is unreachable
            if len(vals) > h:  # (a slice would allocate even when empty)
                del vals[h:]
            unr = frame[_UNREACHABLE] = True
    except InvalidError as err:
        if err.offset < 0:
            raise InvalidError(err.msg, q)
        raise
    except IndexError:
        ran_out(p, e, len(data))


def _tail(vals, ps, rs, results, h, unr):
    # return_call*: the callee's results become the caller's.
    if rs != results:
        raise InvalidError(_MISMATCH)
    _pops(vals, ps, h, unr)


def _select(vals, ts, h, unr):
    if ts is not None:
        if len(ts) != 1:
            raise InvalidError("invalid result arity")
        t = ts[0]
        _pop(vals, _I32, h, unr)
        _pop(vals, t, h, unr)
        _pop(vals, t, h, unr)
        vals.append(t)
        return
    _pop(vals, _I32, h, unr)
    t1 = _pop(vals, _ANY, h, unr)
    t2 = _pop(vals, _ANY, h, unr)
    # Untyped select is for numeric operands only.
    if t1 == _FUNCREF or t1 == _EXTERNREF or t2 == _FUNCREF or t2 == _EXTERNREF:
        raise InvalidError(_MISMATCH)
    if t1 != t2 and t1 and t2:
        raise InvalidError(_MISMATCH)
    vals.append(t1 if t1 else t2)


def _table(c, x):
    if x >= len(c.tables):
        raise InvalidError("unknown table %d" % x)
    return c.tables[x]


def _memory(c):
    if not c.mems:
        raise InvalidError("unknown memory 0")


def _misc(c, vals, op, x, h, unr):
    """The reference, table, memory and bulk-memory instructions."""
    if op == 0xD0:  # ref.null
        vals.append(x)
    elif op == 0xD1:  # ref.is_null
        t = _pop(vals, _ANY, h, unr)
        if t != _FUNCREF and t != _EXTERNREF and t:
            raise InvalidError(_MISMATCH)
        vals.append(_I32)
    elif op == 0xD2:  # ref.func
        if x >= len(c.funcs):
            raise InvalidError("unknown function %d" % x)
        if x not in c.refs:
            raise InvalidError("undeclared function reference")
        vals.append(_FUNCREF)
    elif op == 0x3F or op == 0x40:  # memory.size, memory.grow
        _memory(c)
        if op == 0x40:
            _pop(vals, _I32, h, unr)
        vals.append(_I32)
    elif op == 0x25:  # table.get
        t = _table(c, x)
        _pop(vals, _I32, h, unr)
        vals.append(t)
    elif op == 0x26:  # table.set
        t = _table(c, x)
        _pop(vals, t, h, unr)
        _pop(vals, _I32, h, unr)
    elif op == 0x108 or op == 0x109:  # memory.init, data.drop
        if c.need_count:
            raise MalformedError("data count section required")
        if op == 0x108:
            _memory(c)
        if x >= c.ndatas:
            raise InvalidError("unknown data segment %d" % x)
        if op == 0x108:
            _pops(vals, b"\x7f\x7f\x7f", h, unr)
    elif op == 0x10A or op == 0x10B:  # memory.copy, memory.fill
        _memory(c)
        _pops(vals, b"\x7f\x7f\x7f", h, unr)
    elif op == 0x10C:  # table.init
        seg, tab = x
        t = _table(c, tab)
        if seg >= len(c.elems):
            raise InvalidError("unknown elem segment %d" % seg)
        if c.elems[seg] != t:
            raise InvalidError(_MISMATCH)
        _pops(vals, b"\x7f\x7f\x7f", h, unr)
    elif op == 0x10D:  # elem.drop
        if x >= len(c.elems):
            raise InvalidError("unknown elem segment %d" % x)
    elif op == 0x10E:  # table.copy
        dst, src = x
        if _table(c, dst) != _table(c, src):
            raise InvalidError(_MISMATCH)
        _pops(vals, b"\x7f\x7f\x7f", h, unr)
    elif op == 0x10F:  # table.grow
        t = _table(c, x)
        _pop(vals, _I32, h, unr)
        _pop(vals, t, h, unr)
        vals.append(_I32)
    elif op == 0x110:  # table.size
        _table(c, x)
        vals.append(_I32)
    else:  # 0x111 table.fill
        t = _table(c, x)
        _pop(vals, _I32, h, unr)
        _pop(vals, t, h, unr)
        _pop(vals, _I32, h, unr)
