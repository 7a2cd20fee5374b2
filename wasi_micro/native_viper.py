# The native tier's MicroPython form: each function a @micropython.viper function, compiled to
# machine code by MicroPython itself (native.py has the translation; this changes its output).
#
# Values are machine words as in interp.py's loop: i32 (and f32 bits) masked to 32 bits with M
# (-1, a no-op, where words are 32 bits), signed views ((x ^ S) - S), unsigned compares through
# uint(); the inline forms are the loop's. Memory is reached as the loop reaches it: bounds
# against the last valid address, the page table, byte-composed loads and stores (no unaligned
# word access on Cortex-M0), the memory's own read/write for unmapped or page-crossing ones.
# Calls pass and return u32 objects (uint), so translated, interpreted and host functions mix.
# Fuel is counted down in a shared word at loop heads and function entries: at zero the tier's
# _fuel() checks the budget, the deadline and (bytecode running again) Ctrl-C.
# Not yet: i64 and f64 values (word pairs), more than one result: such functions stay
# interpreted.
from .compat import const, maxsize
from .opcodes import MEM_ACCESS, MEM_SIGNED, SIG, SIGS
from .native import Unsupported, _Translator

_SMALL = const(1 << 30)  # literals from here up are not small ints on a board: hoisted
_WIDE_WORDS = const(1 << 40)  # a maxsize past this: 64-bit words, u32 literals compile
_PACKED_DEPTHS = const(3)  # br_table depths (bytes) that fit in a board's 31-bit small int

# The loop's forms of the integer ops native.py inlines (same keys); the test of native.py's
# forms runs these too, with M and S as 64-bit words.
INLINE = {
    0x45: "({a} == 0)", 0x46: "({a} == {b})", 0x47: "({a} != {b})",
    0x48: "(({a} ^ S) - S) < (({b} ^ S) - S)", 0x49: "uint({a}) < uint({b})",
    0x4A: "(({a} ^ S) - S) > (({b} ^ S) - S)", 0x4B: "uint({a}) > uint({b})",
    0x4C: "(({a} ^ S) - S) <= (({b} ^ S) - S)", 0x4D: "uint({a}) <= uint({b})",
    0x4E: "(({a} ^ S) - S) >= (({b} ^ S) - S)", 0x4F: "uint({a}) >= uint({b})",
    0x6A: "({a} + {b}) & M", 0x6B: "({a} - {b}) & M", 0x6C: "({a} * {b}) & M",
    0x71: "{a} & {b}", 0x72: "{a} | {b}", 0x73: "{a} ^ {b}",
    0x74: "({a} << ({b} & 31)) & M", 0x75: "((({a} ^ S) - S) >> ({b} & 31)) & M",
    0x76: "int(uint({a}) >> ({b} & 31))",
    0xBC: "{a}", 0xBE: "{a}",
    0xC0: "((({a} & 0xFF) ^ 0x80) - 0x80) & M", 0xC1: "((({a} & 0xFFFF) ^ 0x8000) - 0x8000) & M",
}

_WIDE = (0x7E, 0x7C)
_PAIR = const(2)  # an entry's kind: an i64/f64 in two words, names N (low) and N + "h" (high)


def _named_order(names):
    """The (value, name) pairs of {value: name} by name, numbered from 0 ("_k0", "_k1"...)."""
    return sorted(names.items(), key=lambda vn: (len(vn[1]), vn[1]))


class ViperTranslator(_Translator):
    inline = INLINE
    m32 = "M"
    catches = False
    # Machine words of the code's target: this MicroPython's here, a board's for wasi-flash
    # put --native (host_tools/native_put.py), which translates on the host.
    words64 = None
    # Compiled by mpy-cross (put --native), whose literals past 31 bits are objects whatever
    # the target's words.
    cross = False

    def __init__(self, tier, fidx):
        _Translator.__init__(self, tier, fidx)
        w = self.words64
        self.wide_words = maxsize > _WIDE_WORDS if w is None else w
        # Each viper call nests C frames, and the unix port's C stack holds ~200 of them:
        # recursion stays in the loop, whose call stack is its own.
        if fidx in recursive(tier):
            raise Unsupported("recursive")
        self.konsts = {}  # value -> name of a hoisted constant
        self.tables = {}  # br_table depths (bytes) -> name of the pointer to them
        self.uses_regs = False
        if len(self.results) > 1:
            raise Unsupported("results")

    def k(self, v):
        """A u32 constant's text: a literal, or a local holding it (a board's small ints are
        31 bits, and viper compiles no literal above them)."""
        if v < _SMALL:
            return str(v)
        name = self.konsts.get(v)
        if name is None:
            name = self.konsts[v] = "_k%d" % len(self.konsts)
        return name

    def const32(self, v):
        self.push(self.k(v))

    def const64(self, v):
        i = len(self.stack)
        self.emit("s%d = %s" % (i, self.k(v & 0xFFFFFFFF)))
        self.emit("s%dh = %s" % (i, self.k(v >> 32)))
        self.push("s%d" % i, _PAIR, (), 0, i)

    def check_types(self, types):
        for t in types:
            if t in _WIDE:
                raise Unsupported("i64")

    # i64/f64 values are word pairs: locals, temps, constants, globals, loads and stores, wrap
    # and extend. Anything else that meets one stays interpreted: value() refuses a pair.
    def value(self, e):
        if e[1] == _PAIR:
            raise Unsupported("i64")
        return _Translator.value(self, e)

    def push_local(self, x):
        self.push("l%d" % x, _PAIR if self.ltypes[x] in _WIDE else 0, (x,), 0)

    def push_temp(self, i, t):
        self.push("s%d" % i, _PAIR if t in _WIDE else 0, (), 0, i)

    def assign(self, name, e):
        if e[1] == _PAIR:
            self.emit("%s = %s" % (name, e[0]))
            self.emit("%sh = %s" % (name, e[0] + "h"))
        else:
            _Translator.assign(self, name, e)

    def declare(self, name, t):
        if t in _WIDE:
            return [" %s = 0" % name, " %sh = 0" % name]
        return [" %s = 0" % name]

    def materialize(self, i):
        e = self.stack[i]
        if e[1] == _PAIR:
            t = "s%d" % i
            if e[0] != t:
                self.assign(t, e)
                self.stack[i] = [t, _PAIR, (), 0, i]
        else:
            _Translator.materialize(self, i)

    def numeric(self, op):
        if op == 0xA7:  # i32.wrap_i64: the low word
            e = self.pop()
            if e[1] != _PAIR:
                raise Unsupported("i64")
            self.push(e[0], 0, e[2], 0, e[4])
        elif op == 0xAC or op == 0xAD:  # i64.extend_i32_s/u
            v = self.value(self.pop())
            i = len(self.stack)
            self.emit("s%d = %s" % (i, v))
            self.emit("s%dh = (0 - ((s%d >> 31) & 1)) & M" % (i, i) if op == 0xAC else
                      "s%dh = 0" % i)
            self.push("s%d" % i, _PAIR, (), 0, i)
        else:
            _Translator.numeric(self, op)

    def arg(self, e):
        return "uint(%s)" % self.value(e)

    def boxed(self, text):
        return "int(%s)" % text

    def expr(self, template, args, kind=0):
        # A comparison feeding arithmetic is stored as 0 or 1 first: viper has no bool + int.
        for i in range(len(args)):
            e = args[i]
            if e[1]:
                args[i] = [self.value(e), 0, e[2], e[3], e[4]]
        _Translator.expr(self, template, args, kind)

    def fuel_check(self):
        # The count is read back as a u32 on 64-bit words: it stops at zero, never below.
        self.emit("_ms[0] = _ms[0] - 1")
        self.emit("if _ms[0] == 0: _fuel(%d)" % self.fidx)

    def ret(self):
        if self.results:
            self.emit("return uint(%s)" % self.value(self.stack[-1]))
        else:
            self.emit("return")

    def moves(self, f, k):
        # One at a time through temporaries: viper unpacks no tuple of words.
        top = len(self.stack) - k
        pairs = []
        for j in range(k):
            t = "s%d" % (f.n + j)
            e = self.stack[top + j]
            if e[0] != t:
                pairs.append((t, e))
        if len(pairs) == 1:
            self.assign(pairs[0][0], pairs[0][1])
            return
        for j in range(len(pairs)):
            self.assign("_m%d" % j, pairs[j][1])
        for j in range(len(pairs)):
            e = pairs[j][1]
            self.assign(pairs[j][0], ["_m%d" % j, e[1], (), 0, -1])

    def table_jump(self, idx, ds, default):
        if max(ds + [default]) > 255:
            raise Unsupported("depth")
        if len(ds) <= _PACKED_DEPTHS:  # the depths packed in a small int: no buffer to get
            table = "(%d >> (%s << 3)) & 255" % (
                sum(ds[i] << (8 * i) for i in range(len(ds))), idx)
        else:  # a pointer to them taken once a call (getting a buffer costs a call each time)
            table = self.tables.get(bytes(ds))
            if table is None:
                table = self.tables[bytes(ds)] = "_tb%d" % len(self.tables)
            table += "[%s]" % idx
        self.emit("_br = %s if uint(%s) < uint(%d) else %d" % (table, idx, len(ds), default))

    def header(self):
        args = ", ".join("l%d: int" % i for i in range(len(self.params)))
        ret = " -> uint" if self.results else ""
        return ["@micropython.viper", "def f%d(%s)%s:" % (self.fidx, args, ret)]

    def prologue(self):
        # 64-bit words (the unix port) take u32 literals; mpy-cross's and a board's are
        # converted from objects.
        lit = "0x%X" if self.wide_words and not self.cross else "int(0x%X)"
        out = [" M = " + lit % 0xFFFFFFFF, " S = " + lit % 0x80000000, " _ms = ptr32(MS)"]
        # In the order they were named (a MicroPython dict keeps none): the same text as the
        # host makes for a board (host_tools/native_put.py).
        for v, name in _named_order(self.konsts):
            out.append(" %s = %s" % (name, lit % v))
        for ds, name in _named_order(self.tables):
            out.append(" %s = ptr8(%r)" % (name, ds))
        if self.uses_regs:
            out.append(" R = ptr32(REGS)")
        out.append(" _ms[0] = _ms[0] - 1")
        out.append(" if _ms[0] == 0: _fuel(%d)" % self.fidx)
        return out

    def refresh_lines(self):
        # The memory's state from the tier's words (Tier.sync). A flat memory is its view
        # (the table maps page i to offset i << 16): the bounds against its size are the
        # whole check.
        return self.again()

    def again(self):
        if not self.tier.mem.paged:
            if self.wide_words:
                return ["_mv = ptr8(MV)", "_mb = int(_mv)", "_sz = _ms[1]", "_pg = _ms[2]"]
            return ["_mv = ptr8(MV)", "_sz = _ms[1]", "_pg = _ms[2]"]
        return ["_mv = ptr8(MV)", "_pt = ptr32(PT)", "_mx = _ms[3] & M", "_ps = _ms[4]",
                "_pm = (1 << _ps) - 1", "_pg = _ms[2]"]

    def after_call_lines(self):
        # Only a grow moves or resizes the memory: its page count tells.
        return ["if _ms[2] != _pg:"] + [" " + r for r in self.again()]

    def mem_access(self, op, off):
        self.uses_mem = True
        access = MEM_ACCESS[op - 0x28]
        n = 1 << (access & 3)
        store = op > 0x35
        wide = SIGS[SIG[op]][0][1] in _WIDE if store else SIGS[SIG[op]][1][0] in _WIDE
        v = self.pop() if store else None
        a = self.pop()
        if not self.tier.mem.paged and self.wide_words:
            self.flat64(store, wide, access, n, off, a, v)
            return
        self.emit("_a = %s" % self.value(a))
        if store:
            if wide:
                self.emit("_v = %s" % v[0])
                self.emit("_vh = %s" % (v[0] + "h"))
            else:
                self.emit("_v = %s" % self.value(v))
        o = self.k(off)
        if not self.tier.mem.paged:
            self.flat_access(store, wide, access, n, o, off)
            return
        test = "uint(_mx) < uint(%d) or uint(_a) > uint(_mx - %d)" % (n - 1, n - 1)
        if off:
            test += " or uint(%s) > uint(_mx - %d - _a)" % (o, n - 1)
        self.emit("if %s: _oob(%d)" % (test, self.fidx))
        self.emit("_e = _a + %s" % o if off else "_e = _a")
        self.emit("_p = _pt[int(uint(_e) >> _ps)]")
        self.emit("_e = _e & _pm")
        self.emit("if _p == 0 or _e > _pm + %d:" % (1 - n))
        f = self.ctrl[-1]
        f.regions += 1
        ea = "uint(_a + %s)" % o if off else "uint(_a)"
        d = "s%d" % len(self.stack)
        if store and n == 8:
            self.emit("_store(%d, %s, 4, uint(_v))" % (self.fidx, ea))
            self.emit("_store(%d, uint(_a + %s + 4), 4, uint(_vh))" % (self.fidx, o))
        elif store:
            mask = "M" if n == 4 else str((1 << (8 * n)) - 1)
            self.emit("_store(%d, %s, %d, uint(_v & %s))" % (self.fidx, ea, n, mask))
        elif n == 8:
            self.emit("%s = int(_load(%d, %s, 4))" % (d, self.fidx, ea))
            self.emit("%sh = int(_load(%d, uint(_a + %s + 4), 4))" % (d, self.fidx, o))
        else:
            self.emit("%s = int(_load(%d, %s, %d))" % (d, self.fidx, ea, n))
        f.regions -= 1
        self.emit("else:")
        f.regions += 1
        self.emit("_e = _e + _p - 1")
        self.compose(store, d, n)
        f.regions -= 1
        if not store:
            self.loaded(d, access, n, wide)

    def flat_access(self, store, wide, access, n, o, off):
        test = "uint(_sz) < uint(%d) or uint(_a) > uint(_sz - %d)" % (n, n)
        if off:
            test += " or uint(%s) > uint(_sz - %d - _a)" % (o, n)
        self.emit("if %s: _oob(%d)" % (test, self.fidx))
        self.emit("_e = _a + %s" % o if off else "_e = _a")
        d = "s%d" % len(self.stack)
        self.compose(store, d, n)
        if not store:
            self.loaded(d, access, n, wide)

    def flat64(self, store, wide, access, n, off, a, v):
        """A flat memory's access where words are 64 bits: no u32 sum overflows, so one signed
        compare bounds it, and a name as the address or value is used as it is."""
        d = "s%d" % len(self.stack)
        atomic = a[3] == 0 and a[1] == 0
        addr = a[0] if atomic and not (n == 8 and a[0] == d) else None
        if addr is None:
            self.emit("_a = %s" % self.value(a))
            addr = "_a"
        val = high = None
        if store:
            if wide:
                val = v[0]
                high = v[0] + "h"
            elif v[3] == 0 and v[1] == 0:
                val = v[0]
            else:
                self.emit("_v = %s" % self.value(v))
                val = "_v"
        self.emit("if %s > _sz - %d: _oob(%d)" % (addr, off + n, self.fidx))
        # A 64-bit host (the unix port: x86-64, arm64) reads and writes words at any address.
        at = "_mb + %s + %d" % (addr, off) if off else "_mb + " + addr
        ptr = {1: "ptr8", 2: "ptr16", 4: "ptr32", 8: "ptr32"}[n]
        if store:
            if n == 8:
                self.emit("ptr32(%s)[0] = %s" % (at, val))
                self.emit("ptr32(%s + 4)[0] = %s" % (at, high))
            else:
                self.emit("%s(%s)[0] = %s" % (ptr, at, val))
            return
        self.emit("%s = %s(%s)[0]" % (d, ptr, at))
        if n == 8:
            self.emit("%sh = ptr32(%s + 4)[0]" % (d, at))
        self.loaded(d, access, n, wide)

    def compose(self, store, d, n, at="_e", val="_v", high="_vh"):
        """The bytes of an access at _mv + at, low first: store val (and high), or load d."""
        if store:
            for i in range(n):
                w = high if i >= 4 else val
                sh = 8 * (i & 3)
                self.emit("_mv[%s + %d] = (%s >> %d) & 0xFF" % (at, i, w, sh) if i else
                          "_mv[%s] = %s & 0xFF" % (at, w))
        else:
            for w, base in ((d, 0), (d + "h", 4))[:n // 4 + (n < 4)]:
                parts = ["_mv[%s%s]" % (at, " + %d" % base if base else "")] + [
                    "(_mv[%s + %d] << %d)" % (at, base + i, 8 * i) for i in range(1, min(n, 4))]
                self.emit("%s = %s" % (w, " | ".join(parts)))

    def loaded(self, d, access, n, wide):
        """Sign or mask the loaded value d; push it."""
        if access & MEM_SIGNED:
            b = 1 << (8 * n - 1)
            self.emit("%s = ((%s ^ %d) - %d) & M" % (d, d, b, b))
        elif n >= 4:
            self.emit("%s = %s & M" % (d, d))
        if n == 8:
            self.emit("%sh = %sh & M" % (d, d))
        if wide and n < 8:  # the high word of a narrow i64 load: its sign or zero
            self.emit("%sh = (0 - ((%s >> 31) & 1)) & M" % (d, d) if access & MEM_SIGNED
                      else "%sh = 0" % d)
        self.push(d, _PAIR if wide else 0, (), 0, len(self.stack))

    def emit_call(self, callee, n, results, params):
        if len(results) > 1:
            raise Unsupported("results")
        _Translator.emit_call(self, callee, n, results, params)

    def global_get(self, g):
        inst = self.tier.inst
        s = inst.gslot[g]
        t = inst.gtypes[g][0]
        if s >= 0 and t in _WIDE:
            self.uses_regs = True
            i = len(self.stack)
            self.emit("s%d = R[%d] & M" % (i, s))
            self.emit("s%dh = R[%d] & M" % (i, s + 1))
            self.push("s%d" % i, _PAIR, (), 0, i)
            return
        self.check_types((t,))
        if s < 0:
            self.push("int(C[%d].value)" % g)
        else:
            self.uses_regs = True
            self.push("(R[%d] & M)" % s)
        self.store_top()

    def global_set(self, g):
        inst = self.tier.inst
        s = inst.gslot[g]
        t = inst.gtypes[g][0]
        if s >= 0 and t in _WIDE:
            e = self.pop()
            if e[1] != _PAIR:
                raise Unsupported("i64")
            self.uses_regs = True
            self.emit("R[%d] = %s" % (s, e[0]))
            self.emit("R[%d] = %sh" % (s + 1, e[0]))
            return
        self.check_types((t,))
        v = self.value(self.pop())
        if s < 0:
            self.emit("C[%d].value = uint(%s)" % (g, v))
        else:
            self.uses_regs = True
            self.emit("R[%d] = %s" % (s, v))


def recursive(tier):
    """The defined functions of tier's module that may call themselves: those on a cycle of
    direct calls, call_indirect counting as a call of every function a table may hold."""
    if tier.recursive is None:
        tier.recursive = _cycles(tier.inst)
    return tier.recursive


def callees(inst):
    """{function: [functions it calls]}, with -1 for a call_indirect; and the functions whose
    reference the module takes (element segments, ref.func)."""
    m = inst.module
    low = inst.lowering()
    taken = set()
    for seg in m.elems:
        for expr in seg.items:
            for op, imm in expr:
                if op == 0xD2:
                    taken.add(imm)
    calls = {}
    for i in range(len(m.codes)):
        f = m.func_imports + i
        out = calls[f] = []
        r = m.reader(i)
        try:
            depth = 1
            while depth:
                op = r.u8()
                if op == 0xFC:
                    op = 0x100 + r.u32()
                if op == 0x10 or op == 0x12:  # call, return_call
                    out.append(r.u32())
                elif op == 0x11 or op == 0x13:  # call_indirect, return_call_indirect
                    r.u32()
                    r.u32()
                    out.append(-1)
                elif op == 0xD2:  # ref.func
                    taken.add(r.u32())
                else:
                    if op == 0x02 or op == 0x03 or op == 0x04:
                        depth += 1
                    elif op == 0x0B:
                        depth -= 1
                    low._skip(r, op)
        finally:
            r.done()
    return calls, taken


def _cycles(inst):
    calls, taken = callees(inst)
    edges = {}
    for f, out in calls.items():
        e = set()
        for g in out:
            if g < 0:
                e.update(taken)
            elif g in calls:
                e.add(g)
        edges[f] = e
    # Tarjan's strongly connected components, iteratively (no deep Python recursion).
    index = {}
    low = {}
    on = set()
    stack = []
    out = set()
    n = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = n
        n += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = n
                    n += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(edges.get(w, ()))))
                elif w in on and index[w] < low[v]:
                    low[v] = index[w]
                continue
            work.pop()
            if work and low[v] < low[work[-1][0]]:
                low[work[-1][0]] = low[v]
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in edges.get(v, ()):
                    out.update(comp)
    return out
