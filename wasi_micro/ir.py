# The register code that lower.py emits and interp.py runs.
#
# A function's code is a run of 16-bit halfwords in the instance's code array (half the RAM of
# 32-bit words, which matters on a board). Operands are frame slots (fp-relative word indices
# into the register file, below 65536); an i64/f64 value takes two slots (low word first). A
# field marked :w is 32 bits in two halfwords, low first: branch targets and call entries
# (absolute code positions), memory offsets, indices, counts and constant values. Numeric ops,
# loads and stores keep their wasm opcode numbers (0x28..0x3E, 0x45..0xC4, 0xFC ops as
# 0x100 + sub); the control ops below use numbers no wasm instruction keeps in the register code.
#
#   numeric binary      op d a b            numeric unary   op d a
#   load                op d addr off:m     store           op addr value off:m
#                       (off:m is one halfword below 0xFFFF, else 0xFFFF and then off:w)
#   MOV/MOV2            op d a              SELECT/SELECT2  op d a b cond
#   BR                  op t:w              BR_NZ/BR_Z      op a t:w
#   BR_<cmp> (i32)      op a b t:w          BR_TABLE        op a n:w t_0:w .. t_{n-1}:w t_default:w
#   ENTER               op zero_from zero_to frame_size consts:w   (consts: position of the
#                       table `n (slot value:w)*n` that follows the body; ENTER writes it)
#   RETURN              op n src_0 .. src_{n-1}          (copies slot src_i to slot i)
#   CALL                op argbase entry:w func:w        (entry 0 until lowered)
#   CALL_INDIRECT       op argbase index table:w typeid:w
#   RETURN_CALL         op entry:w func:w n src_0 .. src_{n-1}
#   RETURN_CALL_INDIRECT op index table:w typeid:w n src_0 .. src_{n-1}
#   CALL_IMPORT         op argbase func:w
#   GLOBAL_GET(2)       op d g              GLOBAL_SET(2)   op g a   (g: absolute slot)
#   GLOBAL_GET_X/SET_X  op d|a global:w     (imported or exported-mutable: a shared cell)
#   MEMORY_SIZE         op d                MEMORY_GROW     op d a
#   REF_FUNC            op d func:w         REF_IS_NULL     op d a
#   TABLE_GET           op d index table:w  TABLE_SET       op index value table:w
#   TABLE_SIZE          op d table:w        TABLE_GROW      op d init n table:w
#   TABLE_FILL          op i value n table:w                TABLE_COPY   op d s n dst:w src:w
#   TABLE_INIT          op d s n elem:w table:w             ELEM_DROP    op elem:w
#   MEMORY_INIT         op d s n data:w     DATA_DROP       op data:w
#   MEMORY_COPY         op d s n            MEMORY_FILL     op d value n
#   UNREACHABLE         op
#   COUNT               op n:w              (counting mode: n wasm instructions ran)
from .compat import const

UNREACHABLE = const(0x00)
BR = const(0x01)
BR_NZ = const(0x02)
BR_Z = const(0x03)
BR_EQ = const(0x04)
BR_NE = const(0x05)
BR_LT_S = const(0x06)
BR_LT_U = const(0x07)
BR_LE_S = const(0x08)
BR_LE_U = const(0x09)
BR_TABLE = const(0x0A)
MOV = const(0x0B)
MOV2 = const(0x0C)
ENTER = const(0x0D)
RETURN = const(0x0E)
CALL = const(0x0F)
CALL_INDIRECT = const(0x10)
RETURN_CALL = const(0x11)
RETURN_CALL_INDIRECT = const(0x12)
CALL_IMPORT = const(0x13)
SELECT = const(0x14)
SELECT2 = const(0x15)
GLOBAL_GET = const(0x16)
GLOBAL_GET2 = const(0x17)
GLOBAL_SET = const(0x18)
GLOBAL_SET2 = const(0x19)
GLOBAL_GET_X = const(0x1A)
GLOBAL_SET_X = const(0x1B)
REF_FUNC = const(0x1C)
REF_IS_NULL = const(0x1D)
TABLE_GET = const(0x1E)
TABLE_SET = const(0x1F)
COUNT = const(0x20)
MEMORY_SIZE = const(0x3F)
MEMORY_GROW = const(0x40)
# 0xFC ops keep their table numbers: memory.init 0x108 ... table.fill 0x111.
MEMORY_INIT = const(0x108)
DATA_DROP = const(0x109)
MEMORY_COPY = const(0x10A)
MEMORY_FILL = const(0x10B)
TABLE_INIT = const(0x10C)
ELEM_DROP = const(0x10D)
TABLE_COPY = const(0x10E)
TABLE_GROW = const(0x10F)
TABLE_SIZE = const(0x110)
TABLE_FILL = const(0x111)

# Halfwords per instruction for fixed-length ops (the others: BR_TABLE, RETURN and the tail
# calls, which carry a source list).
_FIXED = {
    UNREACHABLE: 1, BR: 3, BR_NZ: 4, BR_Z: 4, BR_EQ: 5, BR_NE: 5, BR_LT_S: 5, BR_LT_U: 5,
    BR_LE_S: 5, BR_LE_U: 5, MOV: 3, MOV2: 3, ENTER: 6, CALL: 6, CALL_INDIRECT: 7,
    CALL_IMPORT: 4, SELECT: 5, SELECT2: 5, GLOBAL_GET: 3, GLOBAL_GET2: 3, GLOBAL_SET: 3,
    GLOBAL_SET2: 3, GLOBAL_GET_X: 4, GLOBAL_SET_X: 4, REF_FUNC: 4, REF_IS_NULL: 3, TABLE_GET: 5,
    TABLE_SET: 5, MEMORY_SIZE: 2, MEMORY_GROW: 3, MEMORY_INIT: 6, DATA_DROP: 3, MEMORY_COPY: 4,
    MEMORY_FILL: 4, TABLE_INIT: 8, ELEM_DROP: 3, TABLE_COPY: 8, TABLE_GROW: 6, TABLE_SIZE: 4,
    TABLE_FILL: 6, COUNT: 3,
}


def word(code, p):
    """The 32-bit field at halfword position p."""
    return code[p] | code[p + 1] << 16


def memarg(code, pc):
    """(offset, next pc) of the load or store at pc."""
    off = code[pc + 3]
    if off == 0xFFFF:
        return word(code, pc + 4), pc + 6
    return off, pc + 4


def length(code, pc):
    """Halfwords taken by the instruction at pc (for the disassembler and tests)."""
    op = code[pc]
    n = _FIXED.get(op)
    if n:
        return n
    if op == BR_TABLE:
        return 4 + 2 * (word(code, pc + 2) + 1)
    if op == RETURN:
        return 2 + code[pc + 1]
    if op == RETURN_CALL:
        return 6 + code[pc + 5]
    if op == RETURN_CALL_INDIRECT:
        return 7 + code[pc + 6]
    if 0x28 <= op <= 0x3E:
        return memarg(code, pc)[1] - pc
    from .opcodes import SIG, SIGS
    return 2 + len(SIGS[SIG[op]][0])


def body(code, entry):
    """The instructions of the function at entry, as lists of halfwords, ENTER first (its
    constant table, which follows the body, ends the walk)."""
    end = word(code, entry + 4)
    out = []
    pc = entry
    while pc < end:
        n = length(code, pc)
        out.append(list(code[pc:pc + n]))
        pc += n
    return out



def end(code, entry):
    """The position after the function at entry (its constant table ends it)."""
    t = word(code, entry + 4)
    return t + 1 + 3 * code[t]


def _shift(code, k, delta):
    v = word(code, k) + delta
    code[k] = v & 0xFFFF
    code[k + 1] = v >> 16


def relocate(code, entry, delta, entries):
    """Fix the function now at entry, moved there by delta halfwords: its branch targets and
    constant table position move with it, and its direct calls take their callees' entries
    now (0 for an evicted one: it is lowered again when the call next runs)."""
    stop = word(code, entry + 4) + delta
    pc = entry
    while pc < stop:
        op = code[pc]
        n = length(code, pc)
        if op == BR:
            _shift(code, pc + 1, delta)
        elif op == BR_NZ or op == BR_Z:
            _shift(code, pc + 2, delta)
        elif BR_EQ <= op <= BR_LE_U:
            _shift(code, pc + 3, delta)
        elif op == ENTER:
            _shift(code, pc + 4, delta)
        elif op == BR_TABLE:
            for k in range(pc + 4, pc + n, 2):
                _shift(code, k, delta)
        elif op == CALL or op == RETURN_CALL:
            k = pc + (2 if op == CALL else 1)
            e = entries[word(code, k + 2)]
            code[k] = e & 0xFFFF
            code[k + 1] = e >> 16
        pc += n
