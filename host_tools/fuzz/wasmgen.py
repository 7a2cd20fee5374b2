# Random WebAssembly modules that are valid by construction (CPython only: the fuzz driver's).
#
# Gen(rng).module() -> bytes: types, host-function imports ("env" "h0".. that the harness
# provides), a memory with active and passive data, a funcref table with element segments,
# globals, and functions whose bodies are random typed instruction trees over i32/i64/f32/f64:
# blocks, loops (bounded by counter locals), if/else, br/br_if/br_table, calls, call_indirect,
# tail calls, select, loads/stores, bulk memory and table ops. Every defined function is
# exported as "f<i>", the memory as "memory".
#
# det=True leaves out what the spec lets engines differ on (NaN bits reaching integers or
# memory: reinterpret f->i, copysign, float stores), so results can be compared with wasmtime.
import struct

from wasi_micro import opcodes as O

from ..wasmbuild import name, section, sleb, uleb, vec  # noqa: F401 - also used by mutate

I32, I64, F32, F64, FUNCREF = 0x7F, 0x7E, 0x7D, 0x7C, 0x70
NUM = (I32, I64, F32, F64)

# Load/store opcodes by value type: (opcode, natural alignment log2).
LOADS = {
    I32: ((0x28, 2), (0x2C, 0), (0x2D, 0), (0x2E, 1), (0x2F, 1)),
    I64: ((0x29, 3), (0x30, 0), (0x31, 0), (0x32, 1), (0x33, 1), (0x34, 2), (0x35, 2)),
    F32: ((0x2A, 2),),
    F64: ((0x2B, 3),),
}
STORES = {
    I32: ((0x36, 2), (0x3A, 0), (0x3B, 1)),
    I64: ((0x37, 3), (0x3C, 0), (0x3D, 1), (0x3E, 2)),
    F32: ((0x38, 2),),
    F64: ((0x39, 3),),
}
_NONDET = (0xBC, 0xBD, 0x98, 0xA6)  # i32/i64.reinterpret_f*, f32/f64.copysign


def _numeric_ops(det):
    """{result type: [(opcode, params)]} of the plain numeric ops (no immediates)."""
    out = {t: [] for t in NUM}
    for op in range(O.N_OPS):
        sig = O.SIG[op]
        if not sig or O.IMM[op] != O.IMM_NONE or (det and op in _NONDET):
            continue
        ps, rs = O.SIGS[sig]
        if len(rs) == 1:
            out[rs[0]].append((op, ps))
    return out


def op_bytes(op):
    return bytes([op]) if op < 0x100 else b"\xfc" + uleb(op - 0x100)


_INTERESTING32 = (0, 1, 2, 7, 8, 31, 32, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
                  0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFF0000)
_INTERESTING64 = _INTERESTING32 + (0x7FFFFFFFFFFFFFFF, 0x8000000000000000,
                                   0xFFFFFFFFFFFFFFFF, 0x100000000, 0xFFFFFFFF00000000)
_F32_BITS = (0, 0x80000000, 0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000, 0x7FC00000,
             0xFFC00000, 0x7FA00001, 0x00000001, 0x007FFFFF, 0x7F7FFFFF, 0x4F000000,
             0xCF000000, 0x4F800000, 0x3F000000, 0x3FC00000, 0x5F000000, 0xDF000000)
_F64_BITS = (0, 0x8000000000000000, 0x3FF0000000000000, 0xBFF0000000000000,
             0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0xFFF8000000000000,
             0x7FF4000000000001, 1, 0x000FFFFFFFFFFFFF, 0x7FEFFFFFFFFFFFFF, 0x41E0000000000000,
             0xC1E0000000000000, 0x41F0000000000000, 0x43E0000000000000, 0xC3E0000000000000,
             0x3FE0000000000000, 0x3FF8000000000000, 0x4330000000000000)


def _signed(v, bits):
    return v - (1 << bits) if v >> (bits - 1) else v


class _Func:
    def __init__(self, type_index, params, results):
        self.type_index = type_index
        self.params = params
        self.results = results


class Gen:
    """One random module per call of module(); `rng` is a random.Random."""

    def __init__(self, rng, det=False, max_funcs=6, budget=120):
        self.r = rng
        self.det = det
        self.max_funcs = max_funcs
        self.budget_per_func = budget
        self.ops = _numeric_ops(det)

    # -- module level ------------------------------------------------------------------------

    def module(self):
        r = self.r
        self.types = []
        for _ in range(r.randint(1, 5)):
            self._add_type(self._rand_type())
        self._add_type(((), ()))
        nimports = r.choice((0, 0, 1, 2))
        nfuncs = r.randint(1, self.max_funcs)
        self.funcs = []  # every function in the index space: imports first
        for _ in range(nimports + nfuncs):
            ti = r.randrange(len(self.types))
            ps, rs = self.types[ti]
            self.funcs.append(_Func(ti, ps, rs))
        self.nimports = nimports
        self.has_mem = r.random() < 0.85
        self.mem_min = r.choice((0, 1, 1, 1, 2))
        self.mem_max = None if r.random() < 0.5 else self.mem_min + r.randint(0, 3)
        self.has_table = r.random() < 0.8
        self.table_min = r.randint(0, 8)
        self.table_max = None if r.random() < 0.5 else self.table_min + r.randint(0, 4)
        self.globals = []  # (type, mutable)
        for _ in range(r.randint(0, 4)):
            self.globals.append((r.choice(NUM), r.random() < 0.7))
        self.datas = []
        if self.has_mem:
            for _ in range(r.randint(0, 3)):
                self.datas.append(self._data())
        self.elems = []  # (active, [func indices])
        if self.has_table:
            for _ in range(r.randint(0, 3)):
                k = r.randint(0, 4)
                self.elems.append((r.random() < 0.6, [r.randrange(len(self.funcs))
                                                       for _ in range(k)]))
        # ref.func needs declared functions: one declarative segment names them all.
        self.declare = list(range(len(self.funcs)))
        bodies = [self._function(self.funcs[i], i) for i in range(nimports, len(self.funcs))]
        self.start = None
        if r.random() < 0.08:
            cands = [i for i in range(nimports, len(self.funcs))
                     if not self.funcs[i].params and not self.funcs[i].results]
            if cands:
                self.start = r.choice(cands)
        return self._encode(bodies)

    def _rand_type(self):
        r = self.r
        ps = tuple(r.choice(NUM) for _ in range(r.choice((0, 1, 1, 2, 2, 3, 9))))
        rs = tuple(r.choice(NUM) for _ in range(r.choice((0, 1, 1, 1, 2, 4))))
        return ps, rs

    def _add_type(self, t):
        if t not in self.types:
            self.types.append(t)
        return self.types.index(t)

    def _data(self):
        r = self.r
        size = r.randint(0, 24)
        init = bytes(r.randrange(256) for _ in range(size))
        limit = self.mem_min * 65536
        if r.random() < 0.5 or limit == 0 and r.random() < 0.9:
            return (False, 0, init)
        if r.random() < 0.95 and limit > size:
            off = r.randint(0, limit - size)
        else:
            off = r.choice((limit, limit - size + 1, 0xFFFFFFFF, limit + 1))
        return (True, off & 0xFFFFFFFF, init)

    def _encode(self, bodies):
        out = bytearray(b"\x00asm\x01\x00\x00\x00")
        types = [b"\x60" + vec([bytes([t]) for t in ps]) + vec([bytes([t]) for t in rs])
                 for ps, rs in self.types]
        out += section(1, vec(types))
        if self.nimports:
            ims = [name("env") + name("h%d" % i) + b"\x00" + uleb(self.funcs[i].type_index)
                   for i in range(self.nimports)]
            out += section(2, vec(ims))
        out += section(3, vec([uleb(f.type_index) for f in self.funcs[self.nimports:]]))
        if self.has_table:
            out += section(4, vec([b"\x70" + _limits(self.table_min, self.table_max)]))
        if self.has_mem:
            out += section(5, vec([_limits(self.mem_min, self.mem_max)]))
        if self.globals:
            gs = [bytes([t, m]) + self._const_expr(t) for t, m in self.globals]
            out += section(6, vec(gs))
        exports = [name("f%d" % (i - self.nimports)) + b"\x00" + uleb(i)
                   for i in range(self.nimports, len(self.funcs))]
        if self.has_mem:
            exports.append(name("memory") + b"\x02\x00")
        for i in range(len(self.globals)):
            exports.append(name("g%d" % i) + b"\x03" + uleb(i))
        out += section(7, vec(exports))
        if self.start is not None:
            out += section(8, uleb(self.start))
        elems = []
        for active, items in self.elems:
            fs = vec([uleb(x) for x in items])
            if active:
                if self.r.random() < 0.95:
                    off = self.r.randint(0, max(0, self.table_min - len(items)) + 1)
                else:
                    off = 0x7FFFFFFF
                elems.append(b"\x00" + self._i32_expr(off) + fs)
            else:
                elems.append(b"\x01\x00" + fs)
        elems.append(b"\x03\x00" + vec([uleb(x) for x in self.declare]))
        out += section(9, vec(elems))
        if self.datas:
            out += section(12, uleb(len(self.datas)))
        out += section(10, vec([uleb(len(b)) + b for b in bodies]))
        if self.datas:
            ds = []
            for active, off, init in self.datas:
                if active:
                    ds.append(b"\x00" + self._i32_expr(off) + uleb(len(init)) + init)
                else:
                    ds.append(b"\x01" + uleb(len(init)) + init)
            out += section(11, vec(ds))
        return bytes(out)

    def _i32_expr(self, v):
        return b"\x41" + sleb(_signed(v, 32)) + b"\x0b"

    def _const_expr(self, t):
        return self._const(t) + b"\x0b"

    # -- function bodies ---------------------------------------------------------------------

    def _function(self, f, index):
        r = self.r
        self.locals = list(f.params)
        nparams = len(self.locals)
        for _ in range(r.randint(0, 5)):
            self.locals.append(r.choice(NUM))
        self.fresh = []  # loop counter locals added while generating
        self.labels = [(f.results, False)]  # (branch types, is loop) per label, innermost last
        self.results = f.results
        self.index = index
        self.left = self.budget_per_func * r.choice((1, 1, 1, 4))
        code = bytearray()
        depth = r.randint(1, 5)
        for _ in range(r.randint(0, 4)):
            self._stmt(code, depth)
        for t in f.results:
            self._value(code, t, depth)
        code += b"\x0b"
        decls = self.locals[nparams:]
        groups = [uleb(1) + bytes([t]) for t in decls]
        return vec(groups) + bytes(code)

    def _local(self, t):
        cands = [i for i in range(len(self.locals)) if self.locals[i] == t
                 and i not in self.fresh]
        return self.r.choice(cands) if cands else None

    def _const(self, t):
        r = self.r
        if t == I32:
            v = r.choice(_INTERESTING32) if r.random() < 0.6 else r.getrandbits(32)
            return b"\x41" + sleb(_signed(v, 32))
        if t == I64:
            v = r.choice(_INTERESTING64) if r.random() < 0.6 else r.getrandbits(64)
            return b"\x42" + sleb(_signed(v, 64))
        if t == F32:
            v = r.choice(_F32_BITS) if r.random() < 0.6 else r.getrandbits(32)
            return b"\x43" + struct.pack("<I", v)
        v = r.choice(_F64_BITS) if r.random() < 0.6 else r.getrandbits(64)
        return b"\x44" + struct.pack("<Q", v)

    def _addr(self, code, depth):
        """An i32 address, mostly within the first page or two."""
        r = self.r
        x = r.random()
        if x < 0.3:
            code += b"\x41" + sleb(r.randint(0, 70000) if r.random() < 0.2 else r.randint(0, 64))
        elif x < 0.5:  # near a 1 KiB frame or a 64 KiB page boundary: accesses that cross
            edge = r.choice((1024, 2048, 4096, 31744, 65536, 131072)) + r.randint(-9, 2)
            code += b"\x41" + sleb(edge)
        elif x < 0.85:
            self._value(code, I32, depth - 1)
            code += b"\x41" + sleb(r.choice((0xFF, 0xFFF, 0xFFFF, 0x1FFFF))) + b"\x71"  # and
        else:
            self._value(code, I32, depth - 1)

    def _memarg(self, natural):
        r = self.r
        align = r.randint(0, natural)
        x = r.random()
        if x < 0.7:
            off = r.randint(0, 16)
        elif x < 0.9:
            off = r.randint(0, 70000)
        else:
            off = r.choice((0xFFFFFFFF, 0xFFFFFFFC, 0x80000000, 65536, 65535))
        return uleb(align) + uleb(off)

    def _value(self, code, t, depth):
        """Emit code that pushes one value of type t."""
        r = self.r
        self.left -= 1
        if depth <= 0 or self.left <= 0:
            x = r.random()
            if x < 0.5:
                code += self._const(t)
                return
            i = self._local(t)
            if i is not None:
                code += b"\x20" + uleb(i)
                return
            code += self._const(t)
            return
        choice = r.randrange(100)
        if choice < 14:
            code += self._const(t)
        elif choice < 26:
            i = self._local(t)
            if i is None:
                code += self._const(t)
            elif r.random() < 0.2:
                self._value(code, t, depth - 1)
                code += b"\x22" + uleb(i)  # local.tee
            else:
                code += b"\x20" + uleb(i)
        elif choice < 30:
            gs = [i for i in range(len(self.globals)) if self.globals[i][0] == t]
            if gs:
                code += b"\x23" + uleb(r.choice(gs))
            else:
                code += self._const(t)
        elif choice < 58:
            op, ps = r.choice(self.ops[t])
            for p in ps:
                self._value(code, p, depth - 1)
            code += op_bytes(op)
        elif choice < 66 and self.has_mem:
            op, natural = r.choice(LOADS[t])
            self._addr(code, depth)
            code += bytes([op]) + self._memarg(natural)
        elif choice < 72:
            cands = [i for i in range(len(self.funcs)) if self.funcs[i].results == (t,)
                     and (i > self.index or r.random() < 0.15)]
            if not cands:
                code += self._const(t)
                return
            f = self.funcs[r.choice(cands)]
            for p in f.params:
                self._value(code, p, depth - 1)
            code += b"\x10" + uleb(self.funcs.index(f))
        elif choice < 76 and self.has_table:
            cands = [i for i in range(len(self.types)) if self.types[i][1] == (t,)]
            ti = r.choice(cands) if cands else self._add_type(((), (t,)))
            ps = self.types[ti][0]
            for p in ps:
                self._value(code, p, depth - 1)
            self._table_index(code, depth)
            code += b"\x11" + uleb(ti) + b"\x00"
        elif choice < 81:
            self._value(code, t, depth - 1)
            self._value(code, t, depth - 1)
            self._value(code, I32, depth - 1)
            code += b"\x1b" if r.random() < 0.7 else b"\x1c\x01" + bytes([t])
        elif choice < 86:
            code += b"\x02" + bytes([t])
            self.labels.append(((t,), False))
            for _ in range(r.randint(0, 2)):
                self._stmt(code, depth - 1)
            self._value(code, t, depth - 1)
            self.labels.pop()
            code += b"\x0b"
        elif choice < 91:
            self._value(code, I32, depth - 1)
            code += b"\x04" + bytes([t])
            self.labels.append(((t,), False))
            if r.random() < 0.3:
                self._stmt(code, depth - 1)
            self._value(code, t, depth - 1)
            code += b"\x05"
            self._value(code, t, depth - 1)
            self.labels.pop()
            code += b"\x0b"
        elif choice < 94:
            self._loop(code, depth, t)
        elif choice < 97 and self.has_mem and t == I32:
            if r.random() < 0.5:
                code += b"\x3f\x00"  # memory.size
            else:
                code += b"\x41" + sleb(r.choice((0, 0, 1, 1, 2, 0x10000, -1))) + b"\x40\x00"
        elif self.has_table and t == I32:
            x = r.random()
            if x < 0.4:
                code += b"\xfc\x10\x00"  # table.size
            elif x < 0.7:
                self._ref(code)
                code += b"\x41" + sleb(r.choice((0, 1, 2, 0x10000, -1))) + b"\xfc\x0f\x00"
            else:
                self._table_index(code, depth)
                code += b"\x25\x00\xd1"  # table.get; ref.is_null
        else:
            code += self._const(t)

    def _ref(self, code):
        if self.r.random() < 0.3:
            code += b"\xd0\x70"
        else:
            code += b"\xd2" + uleb(self.r.randrange(len(self.funcs)))

    def _table_index(self, code, depth):
        r = self.r
        if r.random() < 0.8:
            code += b"\x41" + sleb(r.randint(0, self.table_min + 1))
        else:
            self._value(code, I32, depth - 1)

    def _counter(self, code):
        """A fresh i32 local holding a small loop count."""
        i = len(self.locals)
        self.locals.append(I32)
        self.fresh.append(i)
        code += b"\x41" + sleb(self.r.randint(1, 6)) + b"\x21" + uleb(i)
        return i

    def _loop(self, code, depth, t=None):
        """A loop running a few times (results t, or none)."""
        c = self._counter(code)
        code += b"\x03" + (bytes([t]) if t else b"\x40")
        self.labels.append(((), True))
        for _ in range(self.r.randint(0, 3)):
            self._stmt(code, depth - 1)
        if t:
            self._value(code, t, depth - 1)
        # counter -= 1; br_if 0 while it is non-zero
        code += b"\x20" + uleb(c) + b"\x41\x01\x6b\x22" + uleb(c) + b"\x0d\x00"
        self.labels.pop()
        code += b"\x0b"

    def _stmt(self, code, depth):
        """Emit code with no net effect on the operand stack."""
        r = self.r
        self.left -= 1
        if depth <= 0 or self.left <= 0:
            t = r.choice(NUM)
            i = self._local(t)
            if i is not None:
                code += self._const(t) + b"\x21" + uleb(i)
            return
        choice = r.randrange(100)
        if choice < 18:
            t = r.choice(NUM)
            i = self._local(t)
            if i is None:
                self._value(code, t, depth - 1)
                code += b"\x1a"
            else:
                self._value(code, t, depth - 1)
                code += b"\x21" + uleb(i)
        elif choice < 24:
            gs = [i for i in range(len(self.globals)) if self.globals[i][1]]
            if gs:
                g = r.choice(gs)
                self._value(code, self.globals[g][0], depth - 1)
                code += b"\x24" + uleb(g)
        elif choice < 38 and self.has_mem:
            t = r.choice(NUM)
            if self.det and t in (F32, F64):
                t = I64
            op, natural = r.choice(STORES[t])
            self._addr(code, depth)
            self._value(code, t, depth - 1)
            code += bytes([op]) + self._memarg(natural)
        elif choice < 44:
            self._value(code, r.choice(NUM), depth - 1)
            code += b"\x1a"
        elif choice < 52:
            self._value(code, I32, depth - 1)
            code += b"\x04\x40"
            self.labels.append(((), False))
            self._stmt(code, depth - 1)
            if r.random() < 0.5:
                code += b"\x05"
                self._stmt(code, depth - 1)
            self.labels.pop()
            code += b"\x0b"
        elif choice < 56:
            code += b"\x02\x40"
            self.labels.append(((), False))
            for _ in range(r.randint(1, 3)):
                self._stmt(code, depth - 1)
            self.labels.pop()
            code += b"\x0b"
        elif choice < 60:
            self._multi(code, depth)
        elif choice < 66:
            self._loop(code, depth)
        elif choice < 74:
            self._branch(code, depth)
        elif choice < 78:
            self._br_table(code, depth)
        elif choice < 84:
            f = r.randrange(len(self.funcs))
            if f <= self.index and r.random() < 0.85:
                return
            fn = self.funcs[f]
            for p in fn.params:
                self._value(code, p, depth - 1)
            code += b"\x10" + uleb(f) + b"\x1a" * len(fn.results)
        elif choice < 87 and self.has_table:
            ti = r.randrange(len(self.types))
            ps, rs = self.types[ti]
            for p in ps:
                self._value(code, p, depth - 1)
            self._table_index(code, depth)
            code += b"\x11" + uleb(ti) + b"\x00" + b"\x1a" * len(rs)
        elif choice < 92 and self.has_mem:
            self._bulk_memory(code, depth)
        elif choice < 95 and self.has_table:
            self._bulk_table(code, depth)
        elif choice < 97:
            self._exit(code, depth)
        else:
            code += b"\x01"

    def _multi(self, code, depth):
        """A block, loop or if with a type index: parameters in, several results out (then
        stored to locals or dropped)."""
        r = self.r
        ti = r.randrange(len(self.types))
        ps, rs = self.types[ti]
        for t in ps:
            self._value(code, t, depth - 1)
        kind = r.choice((0x02, 0x02, 0x03, 0x04))
        if kind == 0x04:
            self._value(code, I32, depth - 1)
        code += bytes([kind]) + sleb(ti)
        # A loop's label takes its parameters; re-entering it needs a counter, so no branches
        # target it here (the body never branches to depth 0 when it is a loop).
        self.labels.append((ps, True) if kind == 0x03 else (rs, False))
        for arm in range(2 if kind == 0x04 else 1):
            if arm:
                code += b"\x05"
            # the parameters are on the stack: keep some, replace others with fresh values
            for t in reversed(ps):
                i = self._local(t)
                if i is not None and r.random() < 0.5:
                    code += b"\x21" + uleb(i)
                else:
                    code += b"\x1a"
            if r.random() < 0.5:
                self._stmt(code, depth - 1)
            for t in rs:
                self._value(code, t, depth - 1)
        self.labels.pop()
        code += b"\x0b"
        for t in reversed(rs):
            i = self._local(t)
            code += b"\x21" + uleb(i) if i is not None and r.random() < 0.7 else b"\x1a"

    def _exit(self, code, depth):
        """return, a tail call, or unreachable (rare: they end the block's reachable code)."""
        r = self.r
        x = r.random()
        if x < 0.15:
            code += b"\x00"
            return
        if x < 0.6:
            for t in self.results:
                self._value(code, t, depth - 1)
            code += b"\x0f"
            return
        if x < 0.75 and self.has_table:
            tis = [i for i in range(len(self.types)) if self.types[i][1] == self.results]
            if tis:
                ti = r.choice(tis)
                for p in self.types[ti][0]:
                    self._value(code, p, depth - 1)
                self._table_index(code, depth)
                code += b"\x13" + uleb(ti) + b"\x00"  # return_call_indirect
                return
        cands = [i for i in range(len(self.funcs)) if self.funcs[i].results == self.results
                 and i > self.index]
        if not cands:
            return
        f = r.choice(cands)
        for p in self.funcs[f].params:
            self._value(code, p, depth - 1)
        code += b"\x12" + uleb(f)

    def _branch(self, code, depth):
        r = self.r
        d = r.randrange(len(self.labels))
        ts, loop = self.labels[-1 - d]
        if loop and r.random() < 0.8:  # mostly: re-entering a loop may run until out of fuel
            return
        for t in ts:
            self._value(code, t, depth - 1)
        if r.random() < 0.8:
            self._value(code, I32, depth - 1)
            code += b"\x0d" + uleb(d) + b"\x1a" * len(ts)
        else:
            code += b"\x0c" + uleb(d)

    def _br_table(self, code, depth):
        r = self.r
        n = r.randint(1, 3)
        code += b"\x02\x40" * n
        for _ in range(n):
            self.labels.append(((), False))
        cands = [d for d in range(len(self.labels)) if self.labels[-1 - d] == ((), False)]
        self._value(code, I32, depth - 1)
        targets = [r.choice(cands) for _ in range(r.randint(0, 4))]
        code += b"\x0e" + vec([uleb(x) for x in targets]) + uleb(r.choice(cands))
        for _ in range(n):
            self.labels.pop()
            code += b"\x0b"
            if r.random() < 0.5:
                self._stmt(code, depth - 1)

    def _len(self, code, depth):
        r = self.r
        if r.random() < 0.85:
            code += b"\x41" + sleb(r.choice((0, 1, 4, 16, 100, r.randint(0, 300))))
        else:
            code += b"\x41" + sleb(_signed(r.choice((0xFFFFFFFF, 0x10000, 0x80000000)), 32))

    def _bulk_memory(self, code, depth):
        r = self.r
        x = r.random()
        if x < 0.35:
            self._addr(code, depth)
            self._value(code, I32, depth - 1)
            self._len(code, depth)
            code += b"\xfc\x0b\x00"  # memory.fill
        elif x < 0.7:
            self._addr(code, depth)
            self._addr(code, depth)
            self._len(code, depth)
            code += b"\xfc\x0a\x00\x00"  # memory.copy
        elif self.datas:
            seg = r.randrange(len(self.datas))
            if x < 0.9:
                self._addr(code, depth)
                code += b"\x41" + sleb(r.randint(0, 8))
                self._len(code, depth)
                code += b"\xfc\x08" + uleb(seg) + b"\x00"  # memory.init
            else:
                code += b"\xfc\x09" + uleb(seg)  # data.drop

    def _bulk_table(self, code, depth):
        r = self.r
        x = r.random()
        if x < 0.3:
            self._table_index(code, depth)
            self._ref(code)
            code += b"\x26\x00"  # table.set
        elif x < 0.5:
            self._table_index(code, depth)
            self._ref(code)
            code += b"\x41" + sleb(r.randint(0, 4))
            code += b"\xfc\x11\x00"  # table.fill
        elif x < 0.7:
            self._table_index(code, depth)
            self._table_index(code, depth)
            code += b"\x41" + sleb(r.randint(0, 4))
            code += b"\xfc\x0e\x00\x00"  # table.copy
        elif self.elems:
            seg = r.randrange(len(self.elems))
            if x < 0.9:
                self._table_index(code, depth)
                code += b"\x41" + sleb(r.randint(0, 3)) + b"\x41" + sleb(r.randint(0, 3))
                code += b"\xfc\x0c" + uleb(seg) + b"\x00"  # table.init
            else:
                code += b"\xfc\x0d" + uleb(seg)  # elem.drop


def _limits(lo, hi):
    if hi is None:
        return b"\x00" + uleb(lo)
    return b"\x01" + uleb(lo) + uleb(hi)
