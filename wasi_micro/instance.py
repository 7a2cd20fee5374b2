# Instantiation (link imports, allocate, run segment initialisers and start) and execution: the
# driver around interp.run, lazy lowering, and the slow ops the loop hands out.
from . import interp
from .compat import BULK_IN_LOOP, FLOAT_IN_LOOP, REENTRY, const, halfwords, micropython, \
    new_words, ticks_diff, ticks_us
from .config import DEFAULT
from .errors import Exhaustion, LimitError, LinkError, Trap, CALL_EXHAUSTED, DEADLINE, DIV_ZERO, \
    INDIRECT_MISMATCH, INT_OVERFLOW, OOB_MEMORY, OOB_TABLE, OUT_OF_FUEL, OUT_OF_MEMORY, \
    STACK_EXHAUSTED, UNDEF_ELEMENT, UNINIT_ELEMENT, UNREACHABLE
from .interp import ST_BULK, ST_COUNT, ST_CSBASE, ST_CSLEN, ST_CSP, ST_FLOAT, ST_FP, ST_FUEL, \
    ST_MLEN, ST_PC, ST_PSHIFT, ST_RLEN, ST_TRAP, ST_WORDS
from .ir import word
from .lower import Full, Lowerer
from .module import K_FUNC, K_GLOBAL, K_MEM, K_TABLE, M_ACTIVE, M_DECLARATIVE, Limits, slots
from .opcodes import SIG, SIGS
from .reader import PIECE
from .runtime import DEFAULT_STORE, Func, GlobalCell, Memory, Table, read_value, typeid, \
    write_value
from . import ir

_M32 = const(0xFFFFFFFF)

# interp's trap codes -> reasons; codes 3 and 4 are exhaustion.
_TRAPS = (None, UNREACHABLE, OOB_MEMORY, CALL_EXHAUSTED, STACK_EXHAUSTED, DIV_ZERO, INT_OVERFLOW)


_NUMS = []  # op -> (function, operand widths...) once numeric.py is loaded
_nesting = [0]  # wasm invocations on the Python stack, all instances together


def _wide(t):
    return t == 0x7E or t == 0x7C


def _numeric(op):
    """(function, operand and result widths) of numeric op `op`, or None. numeric.py is
    imported on first use: integer programs never need it."""
    if not (0x45 <= op <= 0xC4 or 0x100 <= op <= 0x107):
        return None
    if not _NUMS:
        from .numeric import func
        table = [None] * len(SIG)
        for o in range(len(SIG)):
            f = func(o) if SIG[o] and not 0x28 <= o <= 0x3E else None
            if f is not None:
                p, r = SIGS[SIG[o]]
                table[o] = (f, _wide(p[0]), _wide(p[1]) if len(p) == 2 else None, _wide(r[0]))
        _NUMS.extend(table)
    return _NUMS[op]


def _const_expr(expr, inst):
    """Evaluate a validated constant expression in the (partly built) instance."""
    stack = []
    for op, imm in expr:
        if op == 0x41:
            stack.append(imm & 0xFFFFFFFF)
        elif op == 0x42:
            stack.append(imm & 0xFFFFFFFFFFFFFFFF)
        elif op == 0x43 or op == 0x44:
            stack.append(imm)
        elif op == 0x23:
            stack.append(inst._global(imm))
        elif op == 0xD0:
            stack.append(0)
        elif op == 0xD2:
            stack.append(inst.store.ref(inst.func(imm)))
        else:  # extended-const: i32/i64 add, sub, mul
            b = stack.pop()
            a = stack.pop()
            stack.append(_numeric(op)[0](a, b))
    return stack[-1]


class Instance:
    def __init__(self, module, imports=None, config=None, store=None, run_start=True):
        self.module = m = module
        self.config = config = config or DEFAULT
        self.store = store or DEFAULT_STORE
        imports = imports or {}
        funcs = []
        tables = []
        mems = []
        gimports = []
        for im in m.imports:
            mod = imports.get(im.module)
            ext = mod.get(im.name) if mod is not None else None
            if ext is None:
                raise LinkError("unknown import %s.%s" % (im.module, im.name))
            if im.kind == K_FUNC:
                if not isinstance(ext, Func) or ext.type != m.types[im.desc]:
                    raise LinkError("incompatible import type for %s.%s" % (im.module, im.name))
                funcs.append(ext)
            elif im.kind == K_TABLE:
                if not isinstance(ext, Table) or ext.reftype != im.desc.reftype or \
                        not _limits_match(len(ext.elems), ext.max, im.desc.limits):
                    raise LinkError("incompatible import type for %s.%s" % (im.module, im.name))
                tables.append(ext)
            elif im.kind == K_MEM:
                if not isinstance(ext, Memory) or ext.page_log2 != im.desc.page_log2 or \
                        not _limits_match(ext.pages, ext.max, im.desc):
                    raise LinkError("incompatible import type for %s.%s" % (im.module, im.name))
                mems.append(ext)
            else:
                t, mut = im.desc
                if not isinstance(ext, GlobalCell) or ext.valtype != t or ext.mut != mut:
                    raise LinkError("incompatible import type for %s.%s" % (im.module, im.name))
                gimports.append(ext)
        self.typeids = [typeid(t) for t in m.types]
        # A function's Func is made when first asked for (func()): most are only ever called
        # from wasm, and a board has no room for a hundred idle objects.
        funcs.extend([None] * len(m.funcs))
        self.funcs = funcs
        for t in m.tables:
            tables.append(Table(t.reftype, t.limits, 0, config.max_table))
        self.tables = tables
        for lim in m.mems:
            mems.append(Memory(lim, config.max_memory))
        self.mems = mems
        self.memory_obj = mems[0] if mems else None

        # Globals: imported or exported-mutable ones live in shared cells, the rest in
        # registers below the first frame.
        exported_mut = set()
        for e in m.exports:
            if e.kind == K_GLOBAL:
                exported_mut.add(e.index)
        gtypes = m.global_types()
        gslot = []
        cells = list(gimports)
        nslots = 0
        for g in range(len(gtypes)):
            t, mut = gtypes[g]
            if g < len(gimports) or (mut and g in exported_mut):
                gslot.append(-1)
            else:
                gslot.append(nslots)
                nslots += slots(t)
        self.gslot = gslot
        self.gtypes = gtypes
        try:
            self.regs = new_words(nslots + config.stack_slots, True)
            self.cs = new_words(2 * config.call_depth)
        except MemoryError:
            raise LimitError(OUT_OF_MEMORY)
        self.cells = cells
        for k in range(len(m.globals)):
            g = len(gimports) + k
            gl = m.globals[k]
            v = self._eval(gl.init)
            if gslot[g] < 0:
                cells.append(GlobalCell(gl.valtype, gl.mut, v))
            else:
                cells.append(None)
                write_value(self.regs, gslot[g], gl.valtype, v)

        self.st = st = new_words(ST_WORDS)
        st[ST_RLEN] = len(self.regs)
        st[ST_CSLEN] = 2 * config.call_depth
        if FLOAT_IN_LOOP:
            from .numeric import SOFT
            st[ST_FLOAT] = 0 if SOFT else 1
        self.top = nslots  # first free register slot (base of the next entry frame)
        self.ctop = 0  # first free call-stack word
        # Code position 0 holds `RETURN 0`: the driver resumes there after it has placed a
        # call's results itself.
        # The code array is reserved now, while the heap is young: growing it later needs the
        # old and the new array at once. A big program (libc) runs 0.68-0.73 halfwords of
        # lowered code a byte of body (the bench programs), a small one up to 0.9. With a
        # code cache it is at most that big and never grows past it: functions are evicted.
        size = 0
        for c in m.codes:
            size += c.end - c.start
        cap = min(size, max(size * 3 // 4, 8192)) + 2
        limit = None if config.code_cache is None else max(config.code_cache >> 1, 2)
        if limit is not None and cap > limit:
            cap = limit
        try:
            self.lowerer = Lowerer(m, gslot, self.typeids, halfwords(cap, [ir.RETURN, 0]), 2,
                                   config.count, limit)
        except MemoryError:
            raise LimitError(OUT_OF_MEMORY)
        self.code = self.lowerer.array
        self.entries = [0] * len(funcs)  # 0: not lowered yet
        self.entry_list = []  # (entry pc, function index) of the lowered functions, in the
        # order they were lowered
        self.held = []  # the pcs of this instance's calls out under way (they are running)
        self.lowerings = 0  # functions lowered, evicted ones again each time
        self.executed = 0  # counting mode: wasm instructions run
        self.left_loop = 0  # counting mode: ops run outside the viper loop (slow path, driver)
        self.started = None  # ticks when the outermost call began (Config.deadline)
        self.refresh = False  # the loop stopped only so the driver re-reads memory pointers
        self.view = None  # the memory view (memory.py) the running loop points at
        self.exports = {}
        for e in m.exports:
            self.exports[e.name] = self._extern(e.kind, e.index)

        # Segments: active ones are applied in order and a trap leaves earlier ones applied.
        self.elems = []
        for seg in m.elems:
            items = [self._eval(x) for x in seg.items]
            self.elems.append(items)
        self.datas = [d.init for d in m.datas]
        for i in range(len(m.elems)):
            seg = m.elems[i]
            if seg.mode == M_ACTIVE:
                off = self._eval(seg.offset)
                self._table_init(seg.table, i, off, 0, len(self.elems[i]))
                self.elems[i] = []
            elif seg.mode == M_DECLARATIVE:
                self.elems[i] = []
        for i in range(len(m.datas)):
            seg = m.datas[i]
            if seg.mode == M_ACTIVE:
                off = self._eval(seg.offset)
                if seg.init is None:
                    self._memory_init_detached(i, off)
                else:
                    self._memory_init(i, off, 0, len(seg.init))
                self.datas[i] = b""
        if run_start:
            self.start()

    def start(self):
        """Run the module's start function (instantiate(..., run_start=False) leaves it to the
        host, which can first bind what it needs: WASI's view of the memory)."""
        if self.module.start is not None:
            self.call_func(self.func(self.module.start), [])

    # -- linking helpers --------------------------------------------------------------------

    def func(self, i):
        """The Func of function i (made once: store handles are by identity)."""
        f = self.funcs[i]
        if f is None:
            f = self.funcs[i] = Func(self.module.func_type(i), self, i)
        return f

    def _global(self, g):
        s = self.gslot[g]
        if s < 0:
            return self.cells[g].value
        return read_value(self.regs, s, self.gtypes[g][0])

    def _eval(self, expr):
        return _const_expr(expr, self)

    def _extern(self, kind, index):
        if kind == K_FUNC:
            return self.func(index)
        if kind == K_TABLE:
            return self.tables[index]
        if kind == K_MEM:
            return self.mems[index]
        if self.gslot[index] < 0:
            return self.cells[index]
        t, mut = self.gtypes[index]
        return GlobalCell(t, mut, self._global(index))

    def memory(self, name="memory"):
        """The exported memory `name`, or the first memory."""
        mem = self.exports.get(name)
        return mem if isinstance(mem, Memory) else self.memory_obj

    # -- calling ----------------------------------------------------------------------------

    def invoke(self, name, args=()):
        """Call export `name` with raw arguments; returns the list of raw results."""
        f = self.exports.get(name)
        if not isinstance(f, Func):
            raise LinkError("no exported function %r" % name)
        return call(f, list(args))

    def call_func(self, f, args):
        if f.inst is not self:
            return call(f, args)
        params, results = f.type
        regs = self.regs
        fp = self.top
        need = fp + max(_nslots(params), _nslots(results))
        if need > len(regs):
            raise Exhaustion(STACK_EXHAUSTED)
        s = fp
        for i in range(len(params)):
            write_value(regs, s, params[i], args[i])
            s += slots(params[i])
        entry = self._entry(f.index)
        st = self.st
        saved = (self.top, self.ctop)
        if _nesting[0] >= REENTRY:  # host <-> wasm re-entry, counted across instances
            raise Exhaustion(CALL_EXHAUSTED)
        _nesting[0] += 1
        started = self.started
        try:
            st[ST_PC] = entry
            st[ST_FP] = fp
            st[ST_CSP] = self.ctop
            st[ST_CSBASE] = self.ctop
            self._drive()
        finally:
            _nesting[0] -= 1
            self.top, self.ctop = saved
            self.started = started
        out = []
        s = fp
        for t in results:
            out.append(read_value(regs, s, t))
            s += slots(t)
        return out

    def _entry(self, fidx):
        e = self.entries[fidx]
        if e == 0:
            try:
                e = self._lower(fidx)
            except MemoryError:  # the board's heap, not a bug: a clean, named error
                raise LimitError(OUT_OF_MEMORY, self.module.func_name(fidx))
            finally:
                self.code = self.lowerer.array
            self.entries[fidx] = e
            self.entry_list.append((e, fidx))
            self.lowerings += 1
        return e

    def _lower(self, fidx):
        """Lower fidx at the end of the code; when the cache is full, evict first: the
        functions that are not running except the newest in half the cache, then all of them.
        One that still does not fit is the cache's limit."""
        low = self.lowerer
        spare = -1
        while True:
            try:
                return low.lower(fidx, self.entries)
            except Full:
                if spare == 0:
                    raise LimitError("%s: lowered code of %s needs more than %d KiB, the code "
                                     "cache is %d KiB (code_cache)" % (
                                         OUT_OF_MEMORY, self.module.func_name(fidx),
                                         (low.cap - low.used) >> 9, low.cap >> 9))
            spare = low.cap >> 1 if spare < 0 else 0
            self._evict(spare)

    def _evict(self, spare):
        """Drop the lowered code of the functions that are not running, except the most
        recently lowered in `spare` halfwords (the loop keeps no use counts: recent is the
        guess). The running ones (the driver's pc, the return pcs on the call stack, host
        calls under way) and those kept move to the front, those pcs with them; calls to
        evicted functions are unbound. Everything it allocates comes before the first change:
        running out of memory leaves the code as it was."""
        low = self.lowerer
        code = low.array
        st = self.st
        cs = self.cs
        held = self.held
        rets = range(0, min(st[ST_CSP], len(cs)), 2)
        pcs = [st[ST_PC]] + held + [cs[i] for i in rets]
        lst = self.entry_list
        keep = []  # (old entry, old end, function), newest first
        for j in range(len(lst) - 1, -1, -1):
            e, f = lst[j]
            end = ir.end(code, e)
            running = False
            for pc in pcs:
                if e <= pc < end:
                    running = True
                    break
            if running or end - e <= spare:
                if not running:
                    spare -= end - e
                keep.append((e, end, f))
        at = {}  # function -> its new entry
        order = []  # the kept functions in lowering order
        for j in range(len(keep) - 1, -1, -1):
            order.append(keep[j][2])
        keep.sort()
        pos = 2  # after the driver's RETURN 0
        for e, end, f in keep:
            at[f] = pos
            pos += end - e
        entry_list = [(at[f], f) for f in order]
        for e, f in lst:
            if f not in at:
                self.entries[f] = 0
        for e, end, f in keep:  # each moves down: copying upwards is safe
            d = at[f]
            for i in range(end - e):
                code[d + i] = code[e + i]
            self.entries[f] = d
        for e, end, f in keep:
            ir.relocate(code, at[f], at[f] - e, self.entries)
        st[ST_PC] = _moved(st[ST_PC], keep, at)
        for i in range(len(held)):
            held[i] = _moved(held[i], keep, at)
        for i in rets:
            cs[i] = _moved(cs[i], keep, at)
        low.used = pos
        self.entry_list = entry_list

    def _drive(self):
        st = self.st
        run = interp.run
        budget = self.config.fuel
        deadline = self.config.deadline
        if deadline is not None and self.started is None:
            self.started = ticks_us()
        ext = self._ext_counted if self.config.count else self._ext
        given = 0  # fuel handed to the loop: a slice, carried across its stops for host calls,
        # memory.grow and lowering, so a loop of those still meets the fuel and the deadline
        while True:
            mem = self.memory_obj or _NO_MEMORY
            # The last valid address (as u32 bits); an empty memory gets 0 and a page table
            # whose one entry is unmapped, so its accesses end in Memory's bounds check (and
            # its bulk ops in the slow path, which checks the size).
            st[ST_MLEN] = mem.size - 1 if mem.size else 0
            st[ST_PSHIFT] = mem.shift
            st[ST_BULK] = 1 if BULK_IN_LOOP and mem.size else 0
            self.view = mem.view
            if given <= 0:
                given = self.config.fuel_slice
                if budget is not None and budget < given:
                    given = budget
            st[ST_FUEL] = given
            try:
                status = run(self.code, self.regs, mem.view, mem.ptab, st, self.cs, ext)
            except Trap as t:
                if t.func is not None:
                    raise
                # A slow op trapped: name the function it trapped in.
                raise type(t)(t.reason, self.func_name_at(st[ST_PC]))
            if self.config.count:
                self.executed += st[ST_COUNT]
                st[ST_COUNT] = 0
                if status == interp.EXIT:
                    self.left_loop += 1
            if status == interp.DONE:
                return
            if budget is not None:
                budget -= given - st[ST_FUEL]
            given = st[ST_FUEL]
            if status == interp.FUEL or status == interp.EXIT:
                if budget is not None and budget <= 0:
                    raise LimitError(OUT_OF_FUEL, self.func_name_at(st[ST_PC]))
                if deadline is not None and self.time_left_ns() == 0:
                    raise LimitError(DEADLINE, self.func_name_at(st[ST_PC]))
            if status == interp.TRAP:
                code = st[ST_TRAP]
                cls = Exhaustion if code == 3 or code == 4 else Trap
                raise cls(_TRAPS[code], self.func_name_at(st[ST_PC]))
            elif status == interp.EXIT:
                self._exit_op()

    def time_left_ns(self):
        """Nanoseconds left before Config.deadline (None without one): host functions that
        block (poll_oneoff) wait at most this long."""
        if self.config.deadline is None or self.started is None:
            return None
        left = int(self.config.deadline * 1000000) - ticks_diff(ticks_us(), self.started)
        return left * 1000 if left > 0 else 0

    def func_name_at(self, pc):
        lst = self.entry_list
        best = None
        for e, f in lst:
            if e <= pc and (best is None or e > best[0]):
                best = (e, f)
        return self.module.func_name(best[1]) if best else "?"

    # -- ops run by the driver: they change the machine state or call out ----------------------

    def _ext_counted(self, pc, fp):
        self.left_loop += 1
        return self._ext(pc, fp)

    def _exit_op(self):
        if self.refresh:  # only the pointers changed: resume at the next op
            self.refresh = False
            return
        st = self.st
        code = self.code
        pc = st[ST_PC]
        fp = st[ST_FP]
        op = code[pc]
        if op == ir.CALL or op == ir.RETURN_CALL:
            # Lower the callee, then patch its entry into the call (the array may have grown,
            # the caller moved in an eviction).
            e = self._entry(word(code, pc + (4 if op == ir.CALL else 3)))
            code = self.code
            k = st[ST_PC] + (2 if op == ir.CALL else 1)
            code[k] = e & 0xFFFF
            code[k + 1] = e >> 16
        elif op == ir.CALL_IMPORT:
            base = fp + code[pc + 1]
            self._call_out(self.func(word(code, pc + 2)), base)
            st[ST_PC] += 4
        elif op == ir.CALL_INDIRECT:
            f = self._indirect(code[pc + 2], word(code, pc + 3), word(code, pc + 5), fp)
            if f.inst is self:
                self._entry(f.index)  # now lowered: the loop runs the call itself
            else:
                self._call_out(f, fp + code[pc + 1])
                st[ST_PC] += 7
        elif op == ir.RETURN_CALL_INDIRECT:
            f = self._indirect(code[pc + 1], word(code, pc + 2), word(code, pc + 4), fp)
            if f.inst is self:
                self._entry(f.index)
            else:
                n = code[pc + 6]
                regs = self.regs
                vals = [regs[fp + code[pc + 7 + i]] for i in range(n)]
                for i in range(n):
                    regs[fp + i] = vals[i]
                self._call_out(f, fp)
                st[ST_PC] = 0  # RETURN 0: the results are in place
        elif op == ir.MEMORY_GROW:
            d = fp + code[pc + 1]
            r = self.memory_obj.grow(self.regs[fp + code[pc + 2]])
            self.regs[d] = r & _M32
            st[ST_PC] = pc + 3
        else:
            raise ValueError("driver: unexpected op 0x%x" % op)

    def _call_out(self, f, base):
        """Call f (host or another instance) with arguments at register slot base; results
        replace them. Nested calls into this instance get frames above the caller's."""
        params, results = f.type
        regs = self.regs
        args = []
        s = base
        for t in params:
            args.append(read_value(regs, s, t))
            s += slots(t)
        saved = (self.top, self.ctop)
        self.top = base + max(_nslots(params), _nslots(results))
        self.ctop = self.st[ST_CSP]
        st = self.st
        state = (st[ST_FP], st[ST_CSP], st[ST_CSBASE])
        # The pc is running: an eviction in a nested call may move it.
        self.held.append(st[ST_PC])
        try:
            out = call(f, args)
        finally:
            st[ST_PC] = self.held.pop()
            self.top, self.ctop = saved
            st[ST_FP], st[ST_CSP], st[ST_CSBASE] = state
        s = base
        for i in range(len(results)):
            write_value(regs, s, results[i], out[i])
            s += slots(results[i])

    def _indirect(self, idx_slot, table, tid, fp):
        i = self.regs[fp + idx_slot]
        elems = self.tables[table].elems
        if i >= len(elems):
            raise Trap(UNDEF_ELEMENT)
        f = self.store.deref(elems[i])
        if f is None:
            raise Trap(UNINIT_ELEMENT)
        if f.typeid != tid:
            raise Trap(INDIRECT_MISMATCH)
        return f

    # -- slow ops the loop calls: ext(pc, fp) -> next pc, or -1 to hand over to the driver -----

    # Native, so its frame is on the C stack: MicroPython puts a bytecode frame of more than
    # about 11 slots on the heap and frees it on return, and when the function also allocates
    # (floats, big ints) each call then searches past all the garbage since the last collection
    # (12 us a call instead of 0.5 us, measured). The numeric slow path stays in here.
    @micropython.native
    def _ext(self, pc, fp):
        self.st[ST_PC] = pc
        code = self.code
        op = code[pc]
        num = _NUMS[op] if _NUMS else _numeric(op)
        if num is not None:
            # (function, first operand wide, second operand wide or None, result wide)
            f, w1, w2, wr = num
            regs = self.regs
            a = fp + code[pc + 2]
            x = regs[a] | regs[a + 1] << 32 if w1 else regs[a]
            if w2 is None:
                r = f(x)
                n = 3
            else:
                a = fp + code[pc + 3]
                r = f(x, regs[a] | regs[a + 1] << 32 if w2 else regs[a])
                n = 4
            a = fp + code[pc + 1]
            regs[a] = r & 0xFFFFFFFF
            if wr:
                regs[a + 1] = r >> 32
            return pc + n
        if op == ir.CALL_INDIRECT or op == ir.RETURN_CALL_INDIRECT:
            k = pc + (1 if op == ir.RETURN_CALL_INDIRECT else 2)
            f = self._indirect(code[k], code[k + 1] | code[k + 2] << 16,
                               code[k + 3] | code[k + 4] << 16, fp)
            if f.inst is self:
                e = self.entries[f.index]
                if e:
                    return e
            return -1
        return self._ext_rare(op, pc, fp)

    def _ext_rare(self, op, pc, fp):
        code = self.code
        regs = self.regs
        if 0x28 <= op <= 0x3E:
            try:
                return self._moved(self._load_store(op, pc, fp))
            except IndexError:  # an empty memory: the loop could not rule it out
                raise Trap(OOB_MEMORY)
        if op == ir.GLOBAL_GET_X:
            g = word(code, pc + 2)
            write_value(regs, fp + code[pc + 1], self.gtypes[g][0], self.cells[g].value)
            return pc + 4
        if op == ir.GLOBAL_SET_X:
            g = word(code, pc + 2)
            self.cells[g].value = read_value(regs, fp + code[pc + 1], self.gtypes[g][0])
            return pc + 4
        if op == ir.MEMORY_SIZE:
            regs[fp + code[pc + 1]] = self.memory_obj.pages
            return pc + 2
        if op == ir.REF_FUNC:
            regs[fp + code[pc + 1]] = self.store.ref(self.func(word(code, pc + 2)))
            return pc + 4
        if op == ir.TABLE_GET:
            i = regs[fp + code[pc + 2]]
            elems = self.tables[word(code, pc + 3)].elems
            if i >= len(elems):
                raise Trap(OOB_TABLE)
            regs[fp + code[pc + 1]] = elems[i]
            return pc + 5
        if op == ir.TABLE_SET:
            i = regs[fp + code[pc + 1]]
            elems = self.tables[word(code, pc + 3)].elems
            if i >= len(elems):
                raise Trap(OOB_TABLE)
            elems[i] = regs[fp + code[pc + 2]]
            return pc + 5
        if op == ir.TABLE_SIZE:
            regs[fp + code[pc + 1]] = len(self.tables[word(code, pc + 2)].elems)
            return pc + 4
        if op == ir.TABLE_GROW:
            t = self.tables[word(code, pc + 4)]
            r = t.grow(regs[fp + code[pc + 3]], regs[fp + code[pc + 2]])
            regs[fp + code[pc + 1]] = r & _M32
            return pc + 6
        if op == ir.TABLE_FILL:
            i = regs[fp + code[pc + 1]]
            v = regs[fp + code[pc + 2]]
            n = regs[fp + code[pc + 3]]
            elems = self.tables[word(code, pc + 4)].elems
            if i + n > len(elems):
                raise Trap(OOB_TABLE)
            for k in range(i, i + n):
                elems[k] = v
            return pc + 6
        if op == ir.TABLE_COPY:
            d = regs[fp + code[pc + 1]]
            s = regs[fp + code[pc + 2]]
            n = regs[fp + code[pc + 3]]
            dst = self.tables[word(code, pc + 4)].elems
            src = self.tables[word(code, pc + 6)].elems
            if s + n > len(src) or d + n > len(dst):
                raise Trap(OOB_TABLE)
            dst[d:d + n] = src[s:s + n]
            return pc + 8
        if op == ir.TABLE_INIT:
            self._table_init(word(code, pc + 6), word(code, pc + 4), regs[fp + code[pc + 1]],
                             regs[fp + code[pc + 2]], regs[fp + code[pc + 3]])
            return pc + 8
        if op == ir.ELEM_DROP:
            self.elems[word(code, pc + 1)] = []
            return pc + 3
        if op == ir.MEMORY_INIT:
            self._memory_init(word(code, pc + 4), regs[fp + code[pc + 1]],
                              regs[fp + code[pc + 2]], regs[fp + code[pc + 3]])
            return self._moved(pc + 6)
        if op == ir.DATA_DROP:
            self.datas[word(code, pc + 1)] = b""
            return pc + 3
        if op == ir.MEMORY_COPY:
            try:
                self.memory_obj.copy(regs[fp + code[pc + 1]], regs[fp + code[pc + 2]],
                                     regs[fp + code[pc + 3]])
            except IndexError:
                raise Trap(OOB_MEMORY)
            return self._moved(pc + 4)
        if op == ir.MEMORY_FILL:
            try:
                self.memory_obj.fill(regs[fp + code[pc + 1]], regs[fp + code[pc + 2]] & 0xFF,
                                     regs[fp + code[pc + 3]])
            except IndexError:
                raise Trap(OOB_MEMORY)
            return self._moved(pc + 4)
        raise ValueError("ext: unexpected op 0x%x" % op)

    def _moved(self, next_pc):
        """next_pc, or -1 (with next_pc in the state) when a paged memory's view was replaced
        while mapping a frame: the loop's pointer is stale, the driver refreshes it."""
        if self.memory_obj.view is self.view:
            return next_pc
        self.st[ST_PC] = next_pc
        self.refresh = True
        return -1

    def _table_init(self, table, seg, d, s, n):
        src = self.elems[seg]
        dst = self.tables[table].elems
        if s + n > len(src) or d + n > len(dst):
            raise Trap(OOB_TABLE)
        dst[d:d + n] = src[s:s + n]

    def _memory_init(self, seg, d, s, n):
        src = self.datas[seg]
        mem = self.memory_obj or _NO_MEMORY
        if s + n > len(src) or d + n > mem.size:
            raise Trap(OOB_MEMORY)
        mem.write(d, src[s:s + n])

    def _memory_init_detached(self, seg, d):
        """Active segment `seg` of a detached module, from its file into memory at d in pieces
        (no copy of it in RAM); MODULE_CHANGED, after the write, if it is not what was loaded."""
        mem = self.memory_obj or _NO_MEMORY
        n = self.module.datas[seg].size
        if d + n > mem.size:
            raise Trap(OOB_MEMORY)
        r = self.module.data_reader(seg)
        try:
            done = 0
            while done < n:
                k = min(n - done, PIECE)
                mem.write(d + done, r.bytes(k))
                done += k
        finally:
            r.done()

    def _load_store(self, op, pc, fp):
        """A load or store the loop handed out: its page is unmapped or it crosses pages (the
        loop has checked the bounds)."""
        code = self.code
        regs = self.regs
        mem = self.memory_obj
        off, next_pc = ir.memarg(code, pc)
        if op <= 0x35:
            n = _LOAD_SIZE[op - 0x28]
            ea = regs[fp + code[pc + 2]] + off
            v = int.from_bytes(mem.read(ea, n), "little")
            bits = n * 8
            if op in _SIGNED_LOADS and v >> (bits - 1):
                v -= 1 << bits
            t = SIGS[SIG[op]][1][0]
            write_value(regs, fp + code[pc + 1], t, v)
        else:
            n = _LOAD_SIZE[op - 0x28]
            ea = regs[fp + code[pc + 1]] + off
            v = read_value(regs, fp + code[pc + 2], SIGS[SIG[op]][0][1])
            mem.write(ea, (v & ((1 << (n * 8)) - 1)).to_bytes(n, "little"))
        return next_pc


# Bytes accessed by each load and store, 0x28..0x3E.
_LOAD_SIZE = b"\x04\x08\x04\x08\x01\x01\x02\x02\x01\x01\x02\x02\x04\x04\x04\x08\x04\x08\x01\x02\x01\x02\x04"
_SIGNED_LOADS = (0x2C, 0x2E, 0x30, 0x32, 0x34)
_NO_MEMORY = Memory(Limits(0))


def _moved(pc, keep, at):
    """Where pc is after an eviction moved the functions keep [(old entry, old end, function)]
    to their entries in at."""
    for e, end, f in keep:
        if e <= pc < end:
            return pc + at[f] - e
    return pc


def _nslots(types):
    n = 0
    for t in types:
        n += slots(t)
    return n


def _limits_match(size, max_, want):
    if size < want.min:
        return False
    if want.max is None:
        return True
    return max_ is not None and max_ <= want.max


def call(f, args):
    """Call any function value with raw arguments; a list of raw results."""
    if f.host is not None:
        r = f.host(*args)
        if r is None:
            return []
        if isinstance(r, tuple):
            return list(r)
        return [r]
    return f.inst.call_func(f, args)
