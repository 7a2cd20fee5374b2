# Lowering: one validated function body -> register code (see ir.py for the word layout).
#
# The operand stack holds lazy entries: a local's slot (local.get emits nothing), a constant's
# slot (constants live in the frame, written by ENTER), or a temp slot (the result of an emitted
# instruction). Every stack position owns a fixed temp slot, so values meet in the same slots at
# control-flow joins. Temp and constant slots are tagged while lowering and resolved at the end,
# when the number of locals and constants fixes the frame layout [locals][consts][temps].
#
# The classic hazard: a local still referenced on the stack must be copied out before
# local.set/tee overwrites it (`_preserve`), and since such a copy only runs on the path that
# reaches the set, lazy locals are materialised when a block, loop or if begins.
from . import ir
from .compat import const, halfwords
from .errors import LimitError
from .module import K_FUNC, slots
from .opcodes import IMM, IMM_BLOCK, IMM_BR_TABLE, IMM_CALL_IND, IMM_F32, IMM_F64, IMM_I32, \
    IMM_I64, IMM_MEMARG, IMM_NONE, IMM_REFTYPE, IMM_SELECT_T, IMM_U32, IMM_U32_U32, \
    IMM_U32_ZERO, IMM_ZERO, IMM_ZERO_ZERO, SIG, SIGS

_CONST = const(1 << 26)  # tag of a constant slot: _CONST + index into the constant list
_TEMP = const(1 << 27)  # tag of a temp slot: _TEMP + stack height in slots
_TAGS = const(3 << 26)

_BLOCK = const(0)
_LOOP = const(1)
_IF = const(2)
_ELSE = const(3)
_FUNC = const(4)

# Ops that only move bits: i32.wrap_i64 takes the low word, reinterpretations copy.
_MOVES = {0xA7: ir.MOV, 0xBC: ir.MOV, 0xBD: ir.MOV2, 0xBE: ir.MOV, 0xBF: ir.MOV2}

# i32 compare -> (branch op when true, swap operands, branch op when false, swap operands)
_BRANCH = {
    0x46: (ir.BR_EQ, 0, ir.BR_NE, 0), 0x47: (ir.BR_NE, 0, ir.BR_EQ, 0),
    0x48: (ir.BR_LT_S, 0, ir.BR_LE_S, 1), 0x49: (ir.BR_LT_U, 0, ir.BR_LE_U, 1),
    0x4A: (ir.BR_LT_S, 1, ir.BR_LE_S, 0), 0x4B: (ir.BR_LT_U, 1, ir.BR_LE_U, 0),
    0x4C: (ir.BR_LE_S, 0, ir.BR_LT_S, 1), 0x4D: (ir.BR_LE_U, 0, ir.BR_LT_U, 1),
    0x4E: (ir.BR_LE_S, 1, ir.BR_LT_S, 0), 0x4F: (ir.BR_LE_U, 1, ir.BR_LT_U, 0),
}


class Full(Exception):
    """The function does not fit where it is being lowered: the instance makes room."""


class _Frame:
    def __init__(self, kind, params, results, n, h, pc):
        self.kind = kind
        self.params = params
        self.results = results
        self.n = n  # stack entries below the frame's params
        self.h = h  # slot height below the frame's params
        self.pc = pc  # loop: branch target
        self.fix = []  # block/if: code positions waiting for the end pc
        self.else_fix = -1  # if: the branch to patch with the else pc
        self.dead = False

    def label_types(self):
        return self.params if self.kind == _LOOP else self.results


def _u32(w):
    return w & 0xFFFFFFFF


class _Function:
    """The function being lowered, written in place into the code array (a board cannot spare
    a second copy of a big function): list-like, positions relative to the function's start.
    Slot halfwords keep their tag (temp or constant) in `kinds` until the frame layout is
    known; `resolve` then adds the bases."""

    def __init__(self, low, base):
        self.low = low
        self.base = base
        self.n = 0

    def append(self, v):
        low = self.low
        p = self.base + self.n
        if p >= len(low.array):
            low.grow(p + 1)
        if self.n >> 2 >= len(low.kinds):
            low.kinds.extend(bytes(len(low.kinds) + 16))
        self._put(p, v)
        self.n += 1

    def _put(self, p, v):
        # kinds holds two bits a halfword: 0 plain, 1 temp, 2 constant.
        tag = v & _TAGS
        self.low.array[p] = v - tag
        i = p - self.base
        sh = (i & 3) << 1
        kinds = self.low.kinds
        kinds[i >> 2] = kinds[i >> 2] & ~(3 << sh) | (1 if tag == _TEMP else (2 if tag else 0)) << sh

    def _kind(self, i):
        return self.low.kinds[i >> 2] >> ((i & 3) << 1) & 3

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        k = self._kind(i)
        return self.low.array[self.base + i] + (_TEMP if k == 1 else (_CONST if k == 2 else 0))

    def __setitem__(self, i, v):
        self._put(self.base + i, v)

    def __delitem__(self, s):  # only `del code[pos:]`: drop the tail
        self.n = s.start

    def resolve(self, temps, consts):
        code = self.low.array
        b = self.base
        for i in range(self.n):
            k = self._kind(i)
            if k:
                code[b + i] += temps if k == 1 else consts


class Lowerer:
    """Lowers functions of one module. `gslot[g]` is the absolute register slot of global g,
    or -1 when it lives in a shared cell; `typeid[t]` is the canonical id of type index t.
    With `count`, COUNT ops add the number of wasm instructions run (for benchmarks)."""

    def __init__(self, module, gslot, typeid, array, used, count=False, cap=None):
        self.m = module
        self.gslot = gslot
        self.typeid = typeid
        self.count = count
        self.gtypes = [t for t, _ in module.global_types()]
        # The code array (halfwords, `used` of them in use) and the slot tags of the function
        # being lowered, both allocated now, while the heap is young and unfragmented.
        self.array = array
        self.used = used
        # The array grows up to `cap` halfwords (None: no bound; the heap's limit once a
        # growth fails), then lowering raises Full.
        self.cap = cap
        biggest = 0
        for c in module.codes:
            if c.end - c.start > biggest:
                biggest = c.end - c.start
        self.kinds = bytearray((biggest >> 2) + 16)

    def grow(self, need):
        """Room up to position need: the array grows by half (within cap), or Full."""
        n = len(self.array)
        cap = self.cap
        if cap is None or need <= cap:
            size = max(need, n * 3 // 2)
            if cap is not None and size > cap:
                size = cap
            try:
                self.array = halfwords(size, self.array)
                return
            except MemoryError:  # no block that big: evict from now on
                self.cap = n
        raise Full

    def lower(self, fidx, entries):
        """Lower defined function `fidx` at the end of the code array; returns its entry.
        Direct calls to functions already lowered (entries[f] != 0) are bound now, the others
        when first executed."""
        m = self.m
        self.base = base = self.used
        self.entries = entries
        params, results = m.func_type(fidx)
        body = m.codes[fidx - m.func_imports]
        ltypes = params + body.locals
        self.ltypes = ltypes
        loff = []  # slot offset of each local
        n = 0
        for t in ltypes:
            loff.append(n)
            n += slots(t)
        self.loff = loff
        self.nparam_slots = sum(slots(t) for t in params)
        self.nlocal_slots = n
        self.code = code = _Function(self, base)
        self.consts = []  # constant words, one per slot
        self.const_index = {}
        self.sslot = []  # operand stack: slot of each entry (tagged)
        self.stype = []  # its value type
        self.sh = []  # its slot height
        self.h = 0
        self.maxh = 0
        self.last_dst = -1  # position of the dest word of the instruction that made the top
        self.last_cmp = -1  # position of the i32 compare that made the top
        self.pending = 0  # wasm instructions read since the last COUNT
        self.results = results
        self.ctrl = [_Frame(_FUNC, b"", results, 0, 0, -1)]
        code.append(ir.ENTER)
        code.append(self.nparam_slots)
        code.append(n)
        code.append(0)  # frame size, patched
        code.append(0)  # constant table position (2 halfwords), patched
        code.append(0)
        r = m.reader(fidx - m.func_imports)
        try:
            self._body(r)
        finally:
            r.done()  # a detached module's file changed: that trap wins over what its bytes did
        self._finish()
        self.used = base + len(code)
        self.code = None  # drop the per-function state: a board needs the room
        self.consts = self.const_index = self.ctrl = None
        return base

    # -- the operand stack ------------------------------------------------------------------

    def _push_slot(self, slot, t):
        self.sslot.append(slot)
        self.stype.append(t)
        self.sh.append(self.h)
        self.h += slots(t)
        if self.h > self.maxh:
            self.maxh = self.h

    def _push_temp(self, t):
        slot = _TEMP + self.h
        self._push_slot(slot, t)
        return slot

    def _pop(self):
        self.stype.pop()
        self.h = self.sh.pop()
        return self.sslot.pop()

    def _const(self, words, t):
        key = (t, words)
        k = self.const_index.get(key)
        if k is None:
            k = len(self.consts)
            self.const_index[key] = k
            self.consts.extend(words)
        self._push_slot(_CONST + k, t)

    def _truncate(self, n):
        del self.sslot[n:]
        del self.stype[n:]
        if len(self.sh) > n:
            self.h = self.sh[n]
        del self.sh[n:]

    # -- emitting ---------------------------------------------------------------------------

    def _slot(self, s):
        self.code.append(s)

    def _w(self, v):
        """Emit a 32-bit field as two halfwords, low first."""
        self.code.append(v & 0xFFFF)
        self.code.append((v >> 16) & 0xFFFF)

    def _offset(self, off):
        """A load's or store's offset: one halfword, or 0xFFFF and the 32-bit value (ir.py)."""
        if off < 0xFFFF:
            self.code.append(off)
        else:
            self.code.append(0xFFFF)
            self._w(off)

    def _emit(self, op, *operands):
        self.last_dst = -1
        self.last_cmp = -1
        self.code.append(op)
        for s in operands:
            self._slot(s)

    def _produce(self, op, t, *operands):
        """Emit `op d operands...` with a fresh temp d for a result of type t."""
        code = self.code
        pos = len(code)
        code.append(op)
        d = self._push_temp(t)
        code.append(d)
        for s in operands:
            self._slot(s)
        self.last_dst = pos + 1
        self.last_cmp = pos if 0x46 <= op <= 0x4F else -1
        return pos

    def _mov(self, d, s, t):
        if d != s:
            self._emit(ir.MOV2 if slots(t) == 2 else ir.MOV, d, s)

    def _materialize(self, i):
        s = self.sslot[i]
        if s & _TAGS != _TEMP:
            d = _TEMP + self.sh[i]
            self._mov(d, s, self.stype[i])
            self.sslot[i] = d

    def _materialize_locals(self):
        for i in range(len(self.sslot)):
            if not self.sslot[i] & _TAGS:
                self._materialize(i)

    def _preserve(self, local):
        """Copy out every stack reference to `local` before it is overwritten."""
        s = self.loff[local]
        for i in range(len(self.sslot)):
            if self.sslot[i] == s:
                self._materialize(i)

    def _flush(self):
        """Counting mode: account for the instructions since the last control point."""
        if self.pending:
            self.code.append(ir.COUNT)
            self._w(self.pending)
            self.pending = 0

    def _label(self):
        """A branch may land here: nothing emitted so far may be rewritten."""
        self._flush()
        self.last_dst = -1
        self.last_cmp = -1
        return self.base + len(self.code)

    # -- branches ---------------------------------------------------------------------------

    def _moves(self, f):
        """(dst, src, type) copies that put the label values of frame f in place."""
        return self._moves_for(f.label_types(), f.h)

    def _jump_to(self, f):
        """Emit the target word of a branch to frame f (patched later for forward labels)."""
        if f.kind == _LOOP:
            self._w(f.pc)
        else:
            self._fwd(f.fix)

    def _br(self, depth):
        f = self.ctrl[-1 - depth]
        if f.kind == _FUNC:
            self._return()
            return
        for d, s, t in self._moves(f):
            self._mov(d, s, t)
        self._flush()
        self._emit(ir.BR)
        self._jump_to(f)

    def _cond_branch(self, when_true, target_fn):
        """Emit a conditional branch on the top i32 (popped), fusing a preceding compare.
        when_true: branch if the value is nonzero; target_fn emits the target word."""
        pos = self.last_cmp
        top = self.sslot[-1]
        if pos >= 0 and top == _TEMP + self.sh[-1] and self.code[pos + 1] == top:
            code = self.code
            op = code[pos]
            a = code[pos + 2]
            b = code[pos + 3]
            del code[pos:]
            self._pop()
            row = _BRANCH[op]
            bop, swap = (row[0], row[1]) if when_true else (row[2], row[3])
            if swap:
                a, b = b, a
            self._flush()
            self._emit(bop, a, b)
        elif self.last_dst >= 0 and self.code[self.last_dst - 1] == 0x45 and \
                top == _TEMP + self.sh[-1] and self.code[self.last_dst] == top:
            pos = self.last_dst - 1  # i32.eqz x; br_if -> BR_Z x
            a = self.code[pos + 2]
            del self.code[pos:]
            self._pop()
            self._flush()
            self._emit(ir.BR_Z if when_true else ir.BR_NZ, a)
        else:
            a = self._pop()
            self._flush()
            self._emit(ir.BR_NZ if when_true else ir.BR_Z, a)
        target_fn()

    def _br_if(self, depth):
        f = self.ctrl[-1 - depth]
        if f.kind == _FUNC:
            # Conditional return: skip over a return sequence when false.
            skip = []
            self._cond_branch(False, lambda: self._fwd(skip))
            self._return()
            self._patch(skip, self._label())
            return
        # Whether values must move is judged on the stack without the condition.
        if not self._moves_below(f, len(self.sslot) - 1):
            self._cond_branch(True, lambda: self._jump_to(f))
            return
        skip = []
        self._cond_branch(False, lambda: self._fwd(skip))
        for d, s, t in self._moves(f):
            self._mov(d, s, t)
        self._emit(ir.BR)
        self._jump_to(f)
        # The values stay on the stack: the fallthrough path still has them where they were.
        self._patch(skip, self._label())

    def _moves_below(self, f, top_end):
        types = f.label_types()
        k = len(types)
        h = f.h
        for j in range(k):
            if _TEMP + h != self.sslot[top_end - k + j]:
                return True
            h += slots(types[j])
        return False

    def _fwd(self, lst):
        """Emit a branch target to patch later; remember its position in lst."""
        lst.append(len(self.code))
        self._w(0)

    def _patch(self, lst, pc):
        for p in lst:
            self._set(p, pc)

    def _set(self, p, v):
        self.code[p] = v & 0xFFFF
        self.code[p + 1] = v >> 16

    def _br_table(self, labels, default):
        a = self._pop()
        self._flush()
        self._emit(ir.BR_TABLE, a)
        self._w(len(labels))
        stubs = []  # (position of the target word, frame)
        for depth in labels + [default]:
            f = self.ctrl[-1 - depth]
            if f.kind != _FUNC and not self._moves(f):
                self._jump_to(f)
            else:
                stubs.append((len(self.code), f))
                self._w(0)
        done = {}
        for pos, f in stubs:
            key = id(f)
            if key not in done:
                done[key] = self._label()
                if f.kind == _FUNC:
                    self._return()
                else:
                    self._br(self.ctrl[::-1].index(f))
            self._set(pos, done[key])

    def _return(self):
        self._copy_out(ir.RETURN, self.results, (), (), 0)

    def _copy_out(self, op, types, head_slots, head_words, above):
        """Emit `op head_slots... head_words... n src...` with the len(types) values below the
        top `above` entries as sources (dest i is frame slot i). When more than one slot moves,
        the values are first staged above both the stack and the destinations."""
        k = len(types)
        first = len(self.sslot) - above - k
        srcs = []
        for j in range(k):
            s = self.sslot[first + j]
            srcs.append(s)
            if slots(types[j]) == 2:
                srcs.append(s + 1)
        if len(srcs) > 1:
            # Stage through temps above both the stack and the destinations.
            h0 = self.h if self.h > len(srcs) else len(srcs)
            staged = []
            h = h0
            for j in range(k):
                self._mov(_TEMP + h, self.sslot[first + j], types[j])
                staged.append(_TEMP + h)
                if slots(types[j]) == 2:
                    staged.append(_TEMP + h + 1)
                h += slots(types[j])
            if h > self.maxh:
                self.maxh = h
            srcs = staged
        self._flush()
        self._emit(op, *head_slots)
        for w in head_words:
            self._w(w)
        self.code.append(len(srcs))
        for s in srcs:
            self._slot(s)

    def _unreachable_now(self):
        f = self.ctrl[-1]
        f.dead = True
        self._truncate(f.n)
        self.last_dst = -1
        self.last_cmp = -1

    # -- blocks -----------------------------------------------------------------------------

    def _blocktype(self, bt):
        if bt == -64:
            return b"", b""
        if bt < 0:  # a single value type, as a negative s33
            return b"", bytes([0x80 + bt])
        return self.m.types[bt]

    def _enter(self, kind, bt):
        params, results = self._blocktype(bt)
        self._materialize_locals()
        n = len(self.sslot) - len(params)
        for i in range(n, len(self.sslot)):
            self._materialize(i)
        h = self.sh[n] if n < len(self.sh) else self.h
        f = _Frame(kind, params, results, n, h, -1)
        if kind == _LOOP:
            f.pc = self._label()
        self.ctrl.append(f)
        return f

    def _end_values(self, f):
        """Put the frame's results in their slots at the end of a live block."""
        for d, s, t in self._moves_for(f.results, f.h):
            self._mov(d, s, t)

    def _moves_for(self, types, h):
        k = len(types)
        top = len(self.sslot) - k
        out = []
        for j in range(k):
            d = _TEMP + h
            s = self.sslot[top + j]
            if d != s:
                out.append((d, s, types[j]))
            h += slots(types[j])
        return out

    def _push_results(self, f, types):
        self._truncate(f.n)
        for t in types:
            self._push_temp(t)

    def _else(self):
        f = self.ctrl[-1]
        if not f.dead:
            self._end_values(f)
            self._emit(ir.BR)
            self._fwd(f.fix)
        self._set(f.else_fix, self._label())
        f.kind = _ELSE
        f.dead = False
        self._truncate(f.n)
        for t in f.params:
            self._push_temp(t)

    def _end(self):
        f = self.ctrl.pop()
        if f.kind == _FUNC:
            if self.pending:
                self.pending -= 1  # a function's own `end` is not an instruction run
            if not f.dead:
                self._return()
            return True
        if not f.dead:
            self._end_values(f)
        if f.kind == _IF:
            # No else: the false path carries the params through as results.
            self._set(f.else_fix, self.base + len(self.code))
        pc = self._label()
        self._patch(f.fix, pc)
        self._push_results(f, f.results)
        return False

    # -- the body ---------------------------------------------------------------------------

    def _skip(self, r, op):
        k = IMM[op]
        if k == IMM_NONE or k == IMM_ZERO:
            if k == IMM_ZERO:
                r.u8()
        elif k == IMM_U32 or k == IMM_BLOCK or k == IMM_REFTYPE:
            if k == IMM_BLOCK:
                r.s33()
            elif k == IMM_REFTYPE:
                r.u8()
            else:
                r.u32()
        elif k == IMM_BR_TABLE:
            for _ in range(r.u32() + 1):
                r.u32()
        elif k == IMM_CALL_IND or k == IMM_MEMARG or k == IMM_U32_U32:
            r.u32()
            r.u32()
        elif k == IMM_I32:
            r.s32()
        elif k == IMM_I64:
            r.s64()
        elif k == IMM_F32:
            r.bytes(4)
        elif k == IMM_F64:
            r.bytes(8)
        elif k == IMM_SELECT_T:
            for _ in range(r.u32()):
                r.u8()
        elif k == IMM_U32_ZERO:
            r.u32()
            r.u8()
        elif k == IMM_ZERO_ZERO:
            r.u8()
            r.u8()

    def _body(self, r):
        m = self.m
        ctrl = self.ctrl
        loff = self.loff
        ltypes = self.ltypes
        while True:
            op = r.u8()
            if op == 0xFC:
                op = 0x100 + r.u32()
            if self.count:
                self.pending += 1
            if ctrl[-1].dead:
                # Unreachable code: only block structure matters until the matching else/end.
                depth = 0
                while True:
                    if op == 0x02 or op == 0x03 or op == 0x04:
                        depth += 1
                    elif op == 0x0B:
                        if depth == 0:
                            break
                        depth -= 1
                    elif op == 0x05 and depth == 0:
                        break
                    self._skip(r, op)
                    op = r.u8()
                    if op == 0xFC:
                        op = 0x100 + r.u32()
            if op == 0x20:  # local.get
                x = r.u32()
                self._push_slot(loff[x], ltypes[x])
                self.last_dst = -1
                self.last_cmp = -1
            elif op == 0x21 or op == 0x22:  # local.set / local.tee
                self._set_local(r.u32(), op == 0x22)
            elif op == 0x41:
                self._const((_u32(r.s32()),), 0x7F)
            elif op == 0x42:
                v = r.s64() & 0xFFFFFFFFFFFFFFFF
                self._const((_u32(v), _u32(v >> 32)), 0x7E)
            elif op == 0x43:
                self._const((_u32(r.f32()),), 0x7D)
            elif op == 0x44:
                v = r.f64()
                self._const((_u32(v), _u32(v >> 32)), 0x7C)
            elif 0x28 <= op <= 0x3E:
                r.u32()
                off = r.u32()
                if op <= 0x35:
                    a = self._pop()
                    self._produce(op, SIGS[SIG[op]][1][0], a)
                    self._offset(off)
                else:
                    v = self._pop()
                    a = self._pop()
                    self._emit(op, a, v)
                    self._offset(off)
            elif SIG[op]:
                params, res = SIGS[SIG[op]]
                if op in _MOVES:
                    self._produce(_MOVES[op], res[0], self._pop())
                elif len(params) == 2:
                    b = self._pop()
                    a = self._pop()
                    self._produce(op, res[0], a, b)
                else:
                    a = self._pop()
                    self._produce(op, res[0], a)
            elif op == 0x0D:  # br_if
                self._br_if(r.u32())
            elif op == 0x0C:  # br
                self._br(r.u32())
                self._unreachable_now()
            elif op == 0x02 or op == 0x03:
                self._enter(_BLOCK if op == 0x02 else _LOOP, r.s33())
            elif op == 0x04:  # if
                bt = r.s33()
                params, _ = self._blocktype(bt)
                # The condition sits above the params; branch on it first.
                skip = []
                cond_params = len(params)
                if cond_params:
                    c = self._pop()
                    self._materialize_locals()
                    n = len(self.sslot) - cond_params
                    for i in range(n, len(self.sslot)):
                        self._materialize(i)
                    self._push_slot(c, 0x7F)
                else:
                    self._materialize_locals()
                self._cond_branch(False, lambda: self._fwd(skip))
                f = self._enter(_IF, bt)
                f.else_fix = skip[0]
            elif op == 0x05:
                self._else()
            elif op == 0x0B:
                if self._end():
                    return
            elif op == 0x10:
                self._call(r.u32())
            elif op == 0x11:
                t = r.u32()
                self._call_indirect(t, r.u32())
            elif op == 0x0F:
                self._return()
                self._unreachable_now()
            elif op == 0x1A:
                self._pop()
                self.last_dst = -1
                self.last_cmp = -1
            elif op == 0x1B or op == 0x1C:
                if op == 0x1C:
                    for _ in range(r.u32()):
                        r.u8()
                c = self._pop()
                b = self._pop()
                t = self.stype[-1]
                a = self._pop()
                self._produce(ir.SELECT2 if slots(t) == 2 else ir.SELECT, t, a, b, c)
            elif op == 0x23:
                g = r.u32()
                t = self.gtypes[g]
                s = self.gslot[g]
                if s >= 0:
                    self._produce(ir.GLOBAL_GET2 if slots(t) == 2 else ir.GLOBAL_GET, t, s)
                else:
                    self._produce(ir.GLOBAL_GET_X, t)
                    self._w(g)
            elif op == 0x24:
                g = r.u32()
                a = self._pop()
                s = self.gslot[g]
                if s >= 0:
                    self._emit(ir.GLOBAL_SET2 if slots(self.gtypes[g]) == 2 else ir.GLOBAL_SET)
                    self.code.append(s)
                    self._slot(a)
                else:
                    self._emit(ir.GLOBAL_SET_X, a)
                    self._w(g)
            elif op == 0x00:
                self._flush()
                self._emit(ir.UNREACHABLE)
                self._unreachable_now()
            elif op == 0x01:
                pass
            elif op == 0x0E:
                labels = [r.u32() for _ in range(r.u32())]
                self._br_table(labels, r.u32())
                self._unreachable_now()
            elif op == 0x12:
                self._return_call(r.u32())
                self._unreachable_now()
            elif op == 0x13:
                t = r.u32()
                self._return_call_indirect(t, r.u32())
                self._unreachable_now()
            elif op == 0x3F:
                r.u8()
                self._produce(ir.MEMORY_SIZE, 0x7F)
            elif op == 0x40:
                r.u8()
                a = self._pop()
                self._produce(ir.MEMORY_GROW, 0x7F, a)
            elif op == 0xD0:
                t = r.u8()
                self._const((0,), t)
            elif op == 0xD1:
                a = self._pop()
                self._produce(0x45, 0x7F, a)  # null is 0: ref.is_null is i32.eqz
            elif op == 0xD2:
                f = r.u32()
                self._produce(ir.REF_FUNC, 0x70)
                self._w(f)
            else:
                self._misc(r, op)

    def _set_local(self, x, tee):
        s = self.loff[x]
        t = self.ltypes[x]
        top = self.sslot[-1]
        fused = False
        if self.last_dst >= 0 and top == _TEMP + self.sh[-1] and self.code[self.last_dst] == top:
            self._pop()
            if s not in self.sslot:
                # The producer writes the local directly.
                self.code[self.last_dst] = s
                fused = True
            else:
                self._push_slot(top, t)
        if not fused:
            a = self._pop()
            self._preserve(x)
            self._mov(s, a, t)
        self.last_dst = -1
        self.last_cmp = -1
        if tee:
            self._push_slot(s, t)

    def _call(self, f):
        params, results = self.m.func_type(f)
        argbase = self._args(len(params))
        self._flush()
        if f < self.m.func_imports:
            self._emit(ir.CALL_IMPORT, argbase)
            self._w(f)
        else:
            self._emit(ir.CALL, argbase)
            self._w(self.entries[f])
            self._w(f)
        self._results(results)

    def _args(self, n):
        """Materialise the top n values as call arguments; returns the argument base slot and
        pops them."""
        first = len(self.sslot) - n
        for i in range(first, len(self.sslot)):
            self._materialize(i)
        base = _TEMP + (self.sh[first] if n else self.h)
        self._truncate(first)
        return base

    def _results(self, results):
        for t in results:
            self._push_temp(t)
        self.last_dst = -1
        self.last_cmp = -1

    def _call_indirect(self, t, table):
        params, results = self.m.types[t]
        idx = self._pop()
        argbase = self._args(len(params))
        self._flush()
        # The index may live above the arguments: the loop reads it before the call.
        self._emit(ir.CALL_INDIRECT, argbase, idx)
        self._w(table)
        self._w(self.typeid[t])
        self._results(results)

    def _return_call(self, f):
        params, results = self.m.func_type(f)
        if f < self.m.func_imports:
            self._call(f)
            self._return()
            return
        self._copy_out(ir.RETURN_CALL, params, (), (self.entries[f], f), 0)

    def _return_call_indirect(self, t, table):
        # The index stays on the stack while the arguments are staged, so staging cannot
        # overwrite it; the loop reads it before moving the arguments.
        params, _ = self.m.types[t]
        idx = self.sslot[-1]
        self._copy_out(ir.RETURN_CALL_INDIRECT, params, (idx,), (table, self.typeid[t]), 1)

    def _misc(self, r, op):
        if op == 0x25:  # table.get
            t = r.u32()
            a = self._pop()
            self._produce(ir.TABLE_GET, self._table_type(t), a)
            self._w(t)
        elif op == 0x26:
            t = r.u32()
            v = self._pop()
            a = self._pop()
            self._emit(ir.TABLE_SET, a, v)
            self._w(t)
        elif op == 0x108:  # memory.init
            d = r.u32()
            r.u8()
            n = self._pop()
            s = self._pop()
            a = self._pop()
            self._emit(op, a, s, n)
            self._w(d)
        elif op == 0x109 or op == 0x10D:  # data.drop / elem.drop
            self._emit(op)
            self._w(r.u32())
        elif op == 0x10A or op == 0x10B:  # memory.copy / memory.fill
            r.u8()
            if op == 0x10A:
                r.u8()
            n = self._pop()
            s = self._pop()
            a = self._pop()
            self._emit(op, a, s, n)
        elif op == 0x10C or op == 0x10E:  # table.init / table.copy
            x = r.u32()
            y = r.u32()
            n = self._pop()
            s = self._pop()
            a = self._pop()
            self._emit(op, a, s, n)
            self._w(x)
            self._w(y)
        elif op == 0x10F:  # table.grow
            t = r.u32()
            n = self._pop()
            v = self._pop()
            self._produce(op, 0x7F, v, n)
            self._w(t)
        elif op == 0x110:
            t = r.u32()
            self._produce(op, 0x7F)
            self._w(t)
        elif op == 0x111:
            t = r.u32()
            n = self._pop()
            v = self._pop()
            a = self._pop()
            self._emit(op, a, v, n)
            self._w(t)
        else:
            raise ValueError("lower: unexpected opcode 0x%x" % op)

    def _table_type(self, t):
        return self.m.table_types()[t].reftype

    def _finish(self):
        code = self.code
        nl = self.nlocal_slots
        nk = len(self.consts)
        size = nl + nk + self.maxh
        if size > 0xFFFF:  # slots are halfwords
            raise LimitError("function frame too large")
        code.resolve(nl + nk, nl)
        code[3] = size
        self._set(4, self.base + len(code))
        code.append(nk)
        for k in range(nk):
            code.append(nl + k)
            self._w(self.consts[k])
