# The register code that lower.py emits and interp.py runs.
#
# A function's code is a run of 32-bit words in the instance's code array. Operands are frame
# slots (fp-relative word indices into the register file); an i64/f64 value takes two slots
# (low word first). Branch targets are absolute code positions. Numeric ops, loads and stores
# keep their wasm opcode numbers (0x28..0x3E, 0x45..0xC4, 0xFC ops as 0x100 + sub); the
# control ops below use numbers no wasm instruction keeps in the register code.
#
#   numeric binary      op d a b            numeric unary   op d a
#   load                op d addr offset    store           op addr value offset
#   MOV/MOV2            op d a              SELECT/SELECT2  op d a b cond
#   BR                  op target           BR_NZ/BR_Z      op a target
#   BR_<cmp> (i32)      op a b target       BR_TABLE        op a n t_0 .. t_{n-1} t_default
#   ENTER               op zero_from zero_to frame_size consts   (consts: position of the
#                       table `n (slot word)*n` that follows the body; ENTER writes it)
#   RETURN              op n src_0 .. src_{n-1}          (copies slot src_i to slot i)
#   CALL                op argbase entry func            (entry 0 until lowered)
#   CALL_INDIRECT       op argbase index table typeid
#   RETURN_CALL         op entry func n src_0 .. src_{n-1}
#   RETURN_CALL_INDIRECT op index table typeid n src_0 .. src_{n-1}
#   CALL_IMPORT         op argbase func
#   GLOBAL_GET(2)       op d g              GLOBAL_SET(2)   op g a   (g: absolute slot)
#   GLOBAL_GET_X/SET_X  op d|a global       (imported or exported-mutable: a shared cell)
#   MEMORY_SIZE         op d                MEMORY_GROW     op d a
#   REF_FUNC            op d func           REF_IS_NULL     op d a
#   TABLE_GET           op d index table    TABLE_SET       op index value table
#   TABLE_SIZE          op d table          TABLE_GROW      op d init n table
#   TABLE_FILL          op i value n table  TABLE_COPY      op d s n dst src
#   TABLE_INIT          op d s n elem table ELEM_DROP       op elem
#   MEMORY_INIT         op d s n data       DATA_DROP       op data
#   MEMORY_COPY         op d s n            MEMORY_FILL     op d value n
#   UNREACHABLE         op
#   COUNT               op n                (counting mode: n wasm instructions ran)
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

# Compare ops whose branch form exists, and the branch op taken when the compare is true.
# gt/ge swap their operands into lt/le; eqz becomes BR_Z.

# Words per instruction for fixed-length ops (the others: BR_TABLE, RETURN and the tail calls,
# which carry a source list). Indexed by op; numeric ops: 3 for unary, 4 for binary (see SIG).
_FIXED = {
    UNREACHABLE: 1, BR: 2, BR_NZ: 3, BR_Z: 3, BR_EQ: 4, BR_NE: 4, BR_LT_S: 4, BR_LT_U: 4,
    BR_LE_S: 4, BR_LE_U: 4, MOV: 3, MOV2: 3, CALL: 4, CALL_INDIRECT: 5, CALL_IMPORT: 3,
    ENTER: 5, SELECT: 5, SELECT2: 5, GLOBAL_GET: 3, GLOBAL_GET2: 3, GLOBAL_SET: 3, GLOBAL_SET2: 3,
    GLOBAL_GET_X: 3, GLOBAL_SET_X: 3, REF_FUNC: 3, REF_IS_NULL: 3, TABLE_GET: 4, TABLE_SET: 4,
    MEMORY_SIZE: 2, MEMORY_GROW: 3, MEMORY_INIT: 5, DATA_DROP: 2, MEMORY_COPY: 4,
    MEMORY_FILL: 4, TABLE_INIT: 6, ELEM_DROP: 2, TABLE_COPY: 6, TABLE_GROW: 5, TABLE_SIZE: 3,
    TABLE_FILL: 5, COUNT: 2,
}


def length(code, pc):
    """Words taken by the instruction at pc (for the disassembler and tests)."""
    op = code[pc]
    n = _FIXED.get(op)
    if n:
        return n
    if op == BR_TABLE:
        return 4 + code[pc + 2]
    if op == RETURN:
        return 2 + code[pc + 1]
    if op == RETURN_CALL:
        return 4 + code[pc + 3]
    if op == RETURN_CALL_INDIRECT:
        return 5 + code[pc + 4]
    if 0x28 <= op <= 0x3E:
        return 4
    from .opcodes import SIG, SIGS
    return 2 + len(SIGS[SIG[op]][0])


def body(code, entry):
    """The instructions of the function at entry, as lists of words, ENTER first (its constant
    table, which follows the body, ends the walk)."""
    end = code[entry + 4]
    out = []
    pc = entry
    while pc < end:
        n = length(code, pc)
        out.append(list(code[pc:pc + n]))
        pc += n
    return out
