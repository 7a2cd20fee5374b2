#!/usr/bin/env python3
"""Writes wasi_micro/opcodes.py (the wasm opcode table as bytes literals, one row per opcode),
tests/opnames.py (the opcodes' names, the register ops' numbers) and, in each module of
CONSUMERS, the block of named constants that module uses: wasm opcodes (`_I32_ADD =
const(0x6A)`), register-code ops and their layout (`_R_CALL = const(0x0F)`, the offset of a
field `_R_CALL_ENTRY = const(2)`, the length `_R_CALL_LEN = const(6)`), from REGISTER below.

The readable table is here; the runtime module holds only compact literals (they stay in flash
when frozen). The constants are private and written into each module that uses them because
MicroPython inlines a `_NAME = const()` only within its own module (an imported name is a
runtime lookup), and so does compat's CPython stand-in for the viper loop; they cost nothing.
The WASI modules of WASI_CONSUMERS get, the same way, copies of the wasi_abi.py constants
(errnos, file types, fd flags, rights) they name.
`tests/test_opcodes_generated.py` checks the committed files match this script's output.
Usage: python3 tools/gen_opcodes.py [--check]
"""
import os
import re
import sys
import zlib

# Value types: their binary codes, as module.py names them (I32...), and `_I32 = const(0x7F)` in
# the modules that name them.
VALTYPES = dict(I32=0x7F, I64=0x7E, F32=0x7D, F64=0x7C, FUNCREF=0x70, EXTERNREF=0x6F)

# Immediate kinds.
IMM = dict(BAD=0, NONE=1, BLOCK=2, U32=3, BR_TABLE=4, CALL_IND=5, MEMARG=6, I32=7, I64=8,
           F32=9, F64=10, ZERO=11, SELECT_T=12, REFTYPE=13, U32_ZERO=14, ZERO_ZERO=15,
           U32_U32=16)

# Operand signatures of the ops the validator types from the table alone.
i, I, f, F = "i", "I", "f", "F"
SIGS = ["", "i:i", "ii:i", "I:i", "II:i", "ff:i", "FF:i", "I:I", "II:I", "f:f", "ff:f", "F:F",
        "FF:F", "f:i", "F:i", "i:I", "f:I", "F:I", "i:f", "I:f", "F:f", "i:F", "I:F", "f:F",
        "ii:", "iI:", "if:", "iF:"]

# (opcode, name, immediate, signature); 0xFC-prefixed ops are 0x100 + their sub-opcode.
ROWS = [
    (0x00, "unreachable", "NONE", ""), (0x01, "nop", "NONE", ""),
    (0x02, "block", "BLOCK", ""), (0x03, "loop", "BLOCK", ""), (0x04, "if", "BLOCK", ""),
    (0x05, "else", "NONE", ""), (0x0B, "end", "NONE", ""),
    (0x0C, "br", "U32", ""), (0x0D, "br_if", "U32", ""), (0x0E, "br_table", "BR_TABLE", ""),
    (0x0F, "return", "NONE", ""), (0x10, "call", "U32", ""),
    (0x11, "call_indirect", "CALL_IND", ""), (0x12, "return_call", "U32", ""),
    (0x13, "return_call_indirect", "CALL_IND", ""),
    (0x1A, "drop", "NONE", ""), (0x1B, "select", "NONE", ""), (0x1C, "select_t", "SELECT_T", ""),
    (0x20, "local.get", "U32", ""), (0x21, "local.set", "U32", ""), (0x22, "local.tee", "U32", ""),
    (0x23, "global.get", "U32", ""), (0x24, "global.set", "U32", ""),
    (0x25, "table.get", "U32", ""), (0x26, "table.set", "U32", ""),
    (0x28, "i32.load", "MEMARG", "i:i"), (0x29, "i64.load", "MEMARG", "i:I"),
    (0x2A, "f32.load", "MEMARG", "i:f"), (0x2B, "f64.load", "MEMARG", "i:F"),
    (0x2C, "i32.load8_s", "MEMARG", "i:i"), (0x2D, "i32.load8_u", "MEMARG", "i:i"),
    (0x2E, "i32.load16_s", "MEMARG", "i:i"), (0x2F, "i32.load16_u", "MEMARG", "i:i"),
    (0x30, "i64.load8_s", "MEMARG", "i:I"), (0x31, "i64.load8_u", "MEMARG", "i:I"),
    (0x32, "i64.load16_s", "MEMARG", "i:I"), (0x33, "i64.load16_u", "MEMARG", "i:I"),
    (0x34, "i64.load32_s", "MEMARG", "i:I"), (0x35, "i64.load32_u", "MEMARG", "i:I"),
    (0x36, "i32.store", "MEMARG", "ii:"), (0x37, "i64.store", "MEMARG", "iI:"),
    (0x38, "f32.store", "MEMARG", "if:"), (0x39, "f64.store", "MEMARG", "iF:"),
    (0x3A, "i32.store8", "MEMARG", "ii:"), (0x3B, "i32.store16", "MEMARG", "ii:"),
    (0x3C, "i64.store8", "MEMARG", "iI:"), (0x3D, "i64.store16", "MEMARG", "iI:"),
    (0x3E, "i64.store32", "MEMARG", "iI:"),
    (0x3F, "memory.size", "ZERO", ""), (0x40, "memory.grow", "ZERO", ""),
    (0x41, "i32.const", "I32", ""), (0x42, "i64.const", "I64", ""),
    (0x43, "f32.const", "F32", ""), (0x44, "f64.const", "F64", ""),
    (0xD0, "ref.null", "REFTYPE", ""), (0xD1, "ref.is_null", "NONE", ""),
    (0xD2, "ref.func", "U32", ""),
    (0x100, "i32.trunc_sat_f32_s", "NONE", "f:i"), (0x101, "i32.trunc_sat_f32_u", "NONE", "f:i"),
    (0x102, "i32.trunc_sat_f64_s", "NONE", "F:i"), (0x103, "i32.trunc_sat_f64_u", "NONE", "F:i"),
    (0x104, "i64.trunc_sat_f32_s", "NONE", "f:I"), (0x105, "i64.trunc_sat_f32_u", "NONE", "f:I"),
    (0x106, "i64.trunc_sat_f64_s", "NONE", "F:I"), (0x107, "i64.trunc_sat_f64_u", "NONE", "F:I"),
    (0x108, "memory.init", "U32_ZERO", ""), (0x109, "data.drop", "U32", ""),
    (0x10A, "memory.copy", "ZERO_ZERO", ""), (0x10B, "memory.fill", "ZERO", ""),
    (0x10C, "table.init", "U32_U32", ""), (0x10D, "elem.drop", "U32", ""),
    (0x10E, "table.copy", "U32_U32", ""), (0x10F, "table.grow", "U32", ""),
    (0x110, "table.size", "U32", ""), (0x111, "table.fill", "U32", ""),
]


# The register code (ir.py): (op, number, layout). Numbers below 0x45 that no wasm instruction
# keeps in the register code; the 0xFC ops keep their table numbers. A layout lists the fields
# after the op halfword: `name` is one halfword (a frame slot, or a small count), `name:w` 32
# bits in two halfwords, low first, `name:m` a load's or store's offset (one halfword below
# 0xFFFF, else 0xFFFF and the 32 bits), `name*` a list of halfwords and `name:w*` of 32-bit
# fields, whose length an earlier field gives. Numeric ops, loads and stores keep their wasm
# opcode numbers and have the layouts of the rows without a number.
REGISTER = [
    ("BINARY", None, "d a b"), ("UNARY", None, "d a"),
    ("LOAD", None, "d addr off:m"), ("STORE", None, "addr value off:m"),
    ("UNREACHABLE", 0x00, ""),
    ("BR", 0x01, "t:w"), ("BR_NZ", 0x02, "a t:w"), ("BR_Z", 0x03, "a t:w"),
    ("BR_EQ", 0x04, "a b t:w"), ("BR_NE", 0x05, "a b t:w"), ("BR_LT_S", 0x06, "a b t:w"),
    ("BR_LT_U", 0x07, "a b t:w"), ("BR_LE_S", 0x08, "a b t:w"), ("BR_LE_U", 0x09, "a b t:w"),
    ("BR_TABLE", 0x0A, "a n:w t:w*"),  # n targets, then the default
    ("MOV", 0x0B, "d a"), ("MOV2", 0x0C, "d a"),
    # zero_from..zero_to: the locals ENTER zeroes; consts: the position of the table
    # `n (slot value:w)*n` after the body, which ENTER writes into the frame
    ("ENTER", 0x0D, "zero_from zero_to frame_size consts:w"),
    ("RETURN", 0x0E, "n src*"),  # copies slot src_i to slot i
    ("CALL", 0x0F, "argbase entry:w func:w"),  # entry 0 until lowered
    ("CALL_INDIRECT", 0x10, "argbase index table:w typeid:w"),
    ("RETURN_CALL", 0x11, "entry:w func:w n src*"),
    ("RETURN_CALL_INDIRECT", 0x12, "index table:w typeid:w n src*"),
    ("CALL_IMPORT", 0x13, "argbase func:w"),
    ("SELECT", 0x14, "d a b cond"), ("SELECT2", 0x15, "d a b cond"),
    # g: an absolute slot; the _X forms reach an imported or exported-mutable global's cell
    ("GLOBAL_GET", 0x16, "d g"), ("GLOBAL_GET2", 0x17, "d g"),
    ("GLOBAL_SET", 0x18, "g a"), ("GLOBAL_SET2", 0x19, "g a"),
    ("GLOBAL_GET_X", 0x1A, "d global:w"), ("GLOBAL_SET_X", 0x1B, "a global:w"),
    ("REF_FUNC", 0x1C, "d func:w"), ("REF_IS_NULL", 0x1D, "d a"),
    ("TABLE_GET", 0x1E, "d index table:w"), ("TABLE_SET", 0x1F, "index value table:w"),
    ("COUNT", 0x20, "n:w"),  # counting mode: n wasm instructions ran
    # the driver's, at a fixed position: the return address of a frame whose function was
    # evicted (driver.py lowers it again and resumes the frame)
    ("RESUME", 0x21, ""),
    ("MEMORY_SIZE", 0x3F, "d"), ("MEMORY_GROW", 0x40, "d a"),
    ("MEMORY_INIT", 0x108, "d s n data:w"), ("DATA_DROP", 0x109, "data:w"),
    ("MEMORY_COPY", 0x10A, "d s n"), ("MEMORY_FILL", 0x10B, "d value n"),
    ("TABLE_INIT", 0x10C, "d s n elem:w table:w"), ("ELEM_DROP", 0x10D, "elem:w"),
    ("TABLE_COPY", 0x10E, "d s n dst:w src:w"), ("TABLE_GROW", 0x10F, "d init n table:w"),
    ("TABLE_SIZE", 0x110, "d table:w"), ("TABLE_FILL", 0x111, "i value n table:w"),
]
OFF_WIDE = 0xFFFF  # a load's or store's offset field: the 32-bit offset follows


# Records in the code array that are not instructions (no op halfword first).
RECORDS = [("CONST", "slot value:w")]  # an entry of ENTER's constant table


def register_names():
    """{constant name: value}: each register op's number, its fields' offsets, its length (of
    the fixed part, before a list) and, for loads and stores, `_LEN_W` with a 32-bit offset;
    `_R_MEM_*` the offset fields loads and stores share."""
    out = {"_R_OFF_WIDE": OFF_WIDE}
    for name, number, layout in REGISTER + [(n, None, lay) for n, lay in RECORDS]:
        r = "_R_" + name
        if number is not None:
            out[r] = number
        pos = 0 if (name, layout) in RECORDS else 1
        for field in layout.split():
            fname, kind = (field.rstrip("*") + ":").split(":")[:2]
            key = r + "_" + fname.upper()
            assert key not in out, key
            out[key] = pos
            if kind == "w":
                out[key + "_HI"] = pos + 1  # the high half
            if kind == "m":
                out[key + "_W"] = pos + 1
                out[key + "_W_HI"] = pos + 2
                out[r + "_LEN_W"] = pos + 3
            if not field.endswith("*"):
                pos += 2 if kind == "w" else 1
        out[r + "_LEN"] = pos
    for k in ("_OFF", "_OFF_W", "_OFF_W_HI", "_LEN", "_LEN_W"):
        assert out["_R_LOAD" + k] == out["_R_STORE" + k]
        out["_R_MEM" + k] = out["_R_LOAD" + k]
    for names in SHARED:
        assert len(set(out[n] for n in names)) == 1, names
    return out


# Fields the code reads with one name for several ops (interp, driver, lower): the generator
# keeps them at one offset.
SHARED = [
    ("_R_BINARY_D", "_R_UNARY_D"), ("_R_BINARY_A", "_R_UNARY_A"),
    ("_R_BR_NZ_T", "_R_BR_Z_T"), ("_R_BR_NZ_A", "_R_BR_Z_A"),
    ("_R_BR_NZ_LEN", "_R_BR_Z_LEN"),
    tuple("_R_BR_%s_A" % c for c in ("EQ", "NE", "LT_S", "LT_U", "LE_S", "LE_U")),
    tuple("_R_BR_%s_B" % c for c in ("EQ", "NE", "LT_S", "LT_U", "LE_S", "LE_U")),
    tuple("_R_BR_%s_T" % c for c in ("EQ", "NE", "LT_S", "LT_U", "LE_S", "LE_U")),
    tuple("_R_BR_%s_LEN" % c for c in ("EQ", "NE", "LT_S", "LT_U", "LE_S", "LE_U")),
    ("_R_BR_NZ_A", "_R_BR_EQ_A"),
    ("_R_CALL_ARGBASE", "_R_CALL_INDIRECT_ARGBASE"),
    ("_R_MEMORY_COPY_D", "_R_MEMORY_FILL_D"), ("_R_MEMORY_COPY_S", "_R_MEMORY_FILL_VALUE"),
    ("_R_MEMORY_COPY_N", "_R_MEMORY_FILL_N"), ("_R_MEMORY_COPY_LEN", "_R_MEMORY_FILL_LEN"),
]


def lengths():
    """ir.py's _LENGTHS: a byte per op number, the length of each register op of fixed length
    (numeric ops have the unary or binary layout), 0 for the others (a list or a 32-bit offset
    follows, or no such op): a bytes const(), which a frozen module keeps in flash and a .mpy
    folds in (no global)."""
    names = register_names()
    out = bytearray(0x112)
    for name, number, layout in REGISTER:
        if number is not None and "*" not in layout:
            out[number] = names["_R_%s_LEN" % name]
    for op, _, _, sig in numeric_rows():
        out[op] = names["_R_UNARY_LEN" if len(sig.split(":")[0]) == 1 else "_R_BINARY_LEN"]
    return "_LENGTHS = const(" + lit(out)[1:] + "\n"


def numeric_rows():
    def run(start, names, sig):
        return [(start + k, n, "NONE", sig) for k, n in enumerate(names.split())]
    cmp = "eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u"
    fcmp = "eq ne lt gt le ge"
    ibin = "add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u rotl rotr"
    fun = "abs neg ceil floor trunc nearest sqrt"
    fbin = "add sub mul div min max copysign"
    rows = [(0x45, "i32.eqz", "NONE", "i:i")]
    rows += run(0x46, " ".join("i32." + c for c in cmp.split()), "ii:i")
    rows += [(0x50, "i64.eqz", "NONE", "I:i")]
    rows += run(0x51, " ".join("i64." + c for c in cmp.split()), "II:i")
    rows += run(0x5B, " ".join("f32." + c for c in fcmp.split()), "ff:i")
    rows += run(0x61, " ".join("f64." + c for c in fcmp.split()), "FF:i")
    rows += run(0x67, "i32.clz i32.ctz i32.popcnt", "i:i")
    rows += run(0x6A, " ".join("i32." + c for c in ibin.split()), "ii:i")
    rows += run(0x79, "i64.clz i64.ctz i64.popcnt", "I:I")
    rows += run(0x7C, " ".join("i64." + c for c in ibin.split()), "II:I")
    rows += run(0x8B, " ".join("f32." + c for c in fun.split()), "f:f")
    rows += run(0x92, " ".join("f32." + c for c in fbin.split()), "ff:f")
    rows += run(0x99, " ".join("f64." + c for c in fun.split()), "F:F")
    rows += run(0xA0, " ".join("f64." + c for c in fbin.split()), "FF:F")
    conv = [
        ("i32.wrap_i64", "I:i"), ("i32.trunc_f32_s", "f:i"), ("i32.trunc_f32_u", "f:i"),
        ("i32.trunc_f64_s", "F:i"), ("i32.trunc_f64_u", "F:i"), ("i64.extend_i32_s", "i:I"),
        ("i64.extend_i32_u", "i:I"), ("i64.trunc_f32_s", "f:I"), ("i64.trunc_f32_u", "f:I"),
        ("i64.trunc_f64_s", "F:I"), ("i64.trunc_f64_u", "F:I"), ("f32.convert_i32_s", "i:f"),
        ("f32.convert_i32_u", "i:f"), ("f32.convert_i64_s", "I:f"), ("f32.convert_i64_u", "I:f"),
        ("f32.demote_f64", "F:f"), ("f64.convert_i32_s", "i:F"), ("f64.convert_i32_u", "i:F"),
        ("f64.convert_i64_s", "I:F"), ("f64.convert_i64_u", "I:F"), ("f64.promote_f32", "f:F"),
        ("i32.reinterpret_f32", "f:i"), ("i64.reinterpret_f64", "F:I"),
        ("f32.reinterpret_i32", "i:f"), ("f64.reinterpret_i64", "I:F"),
        ("i32.extend8_s", "i:i"), ("i32.extend16_s", "i:i"), ("i64.extend8_s", "I:I"),
        ("i64.extend16_s", "I:I"), ("i64.extend32_s", "I:I"),
    ]
    rows += [(0xA7 + k, n, "NONE", s) for k, (n, s) in enumerate(conv)]
    return rows


def tables():
    rows = sorted(ROWS + numeric_rows())
    n = 0x112
    imm = bytearray(n)
    sig = bytearray(n)
    names = [""] * n
    for op, name, kind, s in rows:
        assert not names[op], hex(op)
        imm[op] = IMM[kind]
        sig[op] = SIGS.index(s)
        names[op] = name
    return rows, bytes(imm), bytes(sig), names


SIGNED = 4  # in mem_access(): the load sign-extends


def mem_access():
    """One byte per load and store (i32.load .. i64.store32): log2 of the bytes it accesses,
    + SIGNED when the load sign-extends; read off the names (`i64.load16_s`: 2 bytes, signed)."""
    rows = [(op, name) for op, name, kind, _ in sorted(ROWS) if kind == "MEMARG"]
    assert [op for op, _ in rows] == list(range(rows[0][0], rows[-1][0] + 1))
    out = bytearray()
    for _, name in rows:
        ty, access = name.split(".")
        bits = re.sub("^(load|store)", "", access).split("_")[0] or ty[1:]
        sign = SIGNED if name.endswith("_s") else 0
        out.append({"8": 0, "16": 1, "32": 2, "64": 3}[bits] + sign)
    return bytes(out)


def lit(b):
    out = []
    for k in range(0, len(b), 32):
        out.append("    b'" + "".join("\\x%02x" % c for c in b[k:k + 32]) + "'")
    return "(\n" + "\n".join(out) + "\n)"


def render():
    rows, imm, sig, names = tables()
    t = {c: "0x%02X" % VALTYPES[n] for c, n in (("i", "I32"), ("I", "I64"), ("f", "F32"),
                                                 ("F", "F64"))}
    sigs = []
    for s in SIGS:
        if not s:
            sigs.append("    None,")
            continue
        p, r = s.split(":")
        sigs.append("    (b'%s', b'%s'),  # %s" % ("".join("\\x%s" % t[c][2:].lower() for c in p),
                                                  "".join("\\x%s" % t[c][2:].lower() for c in r), s))
    src = []
    src.append("# The wasm opcode table: one row per opcode, read by decode, validate and lower.")
    src.append("# GENERATED by tools/gen_opcodes.py from its readable table; edit that, then rerun it.")
    src.append("# Opcodes: single-byte ops are their byte; 0xFC-prefixed ops are 0x100 + sub-opcode.")
    src.append("from .compat import const\n")
    for k, v in IMM.items():
        src.append("IMM_%s = const(%d)" % (k, v))
    src.append("\nFC_BASE = const(0x100)")
    src.append("N_OPS = const(0x%X)\n" % len(imm))
    src.append("# IMM[op]: the immediate kind (IMM_BAD: no such opcode).")
    src.append("IMM = " + lit(imm) + "\n")
    src.append("# SIG[op]: index into SIGS of the operand types of ops typed by the table alone.")
    src.append("SIG = " + lit(sig) + "\n")
    src.append("# MEM_ACCESS[op - 0x28], for the loads and stores 0x28..0x3E: log2 of the bytes accessed,")
    src.append("# + MEM_SIGNED when the load sign-extends.")
    src.append("MEM_SIGNED = const(%d)" % SIGNED)
    src.append("MEM_LOG2 = const(%d)  # the log2 part" % (SIGNED - 1))
    src.append("MEM_ACCESS = " + lit(mem_access()) + "\n")
    src.append("# (params, results) as bytes of value types; 0 = typed by the validator's own rules.")
    src.append("SIGS = (\n" + "\n".join(sigs) + "\n)")
    return "\n".join(src) + "\n"


def render_names():
    names = tables()[3]
    src = []
    src.append("# The text-format name of each opcode, for test messages (the runtime never needs them:")
    src.append("# a board should not hold them in RAM).")
    src.append("# GENERATED by tools/gen_opcodes.py from its readable table; edit that, then rerun it.")
    src.append("")
    src.append("")
    src.append("def name(op):")
    src.append("    return _NAMES.split()[_ORDER.index(op)] if op in _ORDER else '0x%x' % op")
    src.append("")
    src.append("")
    present = [op for op in range(len(names)) if names[op]]
    src.append("_ORDER = (" + ", ".join("0x%X" % op for op in present) + ",)")
    src.append("_NAMES = (")
    line = "    '"
    for op in present:
        piece = names[op] + " "
        if len(line) + len(piece) > 95:
            src.append(line + "'")
            line = "    '"
        line += piece
    src.append(line.rstrip() + "'")
    src.append(")")
    src.append("")
    src.append("# The register code's ops (ir.py).")
    for name, number, _ in REGISTER:
        if number is not None:
            src.append("R_%s = 0x%02X" % (name, number))
    return "\n".join(src) + "\n"


# The modules that name opcodes (and _FC_PREFIX, the byte before 0xFC ops, and _FC_BASE), value
# types or register ops; each holds its generated block between these two lines.
CONSUMERS = ("decode.py", "validate.py", "module.py", "ir.py", "lower.py", "instance.py",
             "driver.py", "interp.py", "runtime.py", "native.py", "native_tier.py",
             "numeric_f32.py", "numeric_int.py")
BEGIN = "# Wasm opcodes this module names: GENERATED by tools/gen_opcodes.py, rerun it to update."
END = "# End of the generated opcodes."
# Tables written into the block of the module that uses them.
TABLES = {"_LENGTHS": lengths}


def const_name(name):
    """`i32.trunc_sat_f32_s` -> `_I32_TRUNC_SAT_F32_S`."""
    return "_" + name.upper().replace(".", "_")


def _block(text, begin, end, path):
    """(text before the generated block, text after it, the private names the rest uses and
    does not assign itself)."""
    if text.count(begin) != 1 or text.count(end) != 1:
        raise SystemExit("%s: needs one %r ... %r block" % (path, begin, end))
    head, rest = text.split(begin + "\n")
    tail = rest.split(end + "\n")[1]
    outside = head + tail
    own = set(re.findall(r"^(_[A-Z0-9_]+) = ", outside, re.M))
    return head, tail, set(re.findall(r"\b_[A-Z][A-Z0-9_]*\b", outside)) - own


def render_consumer(text, path="module"):
    """text with its generated block rewritten to define the names the rest uses: wasm
    opcodes, value types, then register ops and their layouts (in REGISTER's order), then
    TABLES.
    A name the module assigns itself is its own."""
    head, tail, used = _block(text, BEGIN, END, path)
    extra = "".join(TABLES[n]() for n in sorted(used & set(TABLES)))
    used |= set(re.findall(r"\b_[A-Z][A-Z0-9_]*\b", extra))
    ops = {const_name(name): op for op, name, _, _ in tables()[0]}
    ops.update(_FC_PREFIX=0xFC, _FC_BASE=0x100)
    reg = register_names()
    lines = ["%s = const(0x%02X)" % (n, ops[n])
             for n in sorted(used & set(ops), key=lambda n: (ops[n], n))]
    lines += ["_%s = const(0x%02X)" % (n, v) for n, v in VALTYPES.items() if "_" + n in used]
    lines += ["%s = const(%s)" % (n, ("0x%02X" if n[3:] in _REG_OPS or n == "_R_OFF_WIDE"
                                      else "%d") % v)
              for n, v in reg.items() if n in used]
    return (head + BEGIN + "\n" + "".join(line + "\n" for line in lines) + extra + END + "\n" +
            tail)


_REG_OPS = set(name for name, number, _ in REGISTER if number is not None)


# The WASI modules that name wasi_abi.py's constants (errnos, file types, fd flags, rights):
# private there, so that a .mpy runtime holds no qstr or global for them; each module gets a
# copy of the ones it names in its own block between these two lines.
WASI_CONSUMERS = ("wasi.py", "wasi_fs.py", "wasi_path.py", "wasi_rare.py")
WASI_BEGIN = "# WASI constants this module names: GENERATED by tools/gen_opcodes.py from wasi_abi.py."
WASI_END = "# End of the generated WASI constants."


def wasi_constants(abi_text):
    """{name: value expression} of wasi_abi.py's `_NAME = const(...)` lines."""
    return dict(re.findall(r"^(_[A-Z][A-Z0-9_]*) = const\((.+?)\)(?:  #.*)?$", abi_text, re.M))


def render_wasi_consumer(text, consts, path="module"):
    """text with its WASI block rewritten to define the wasi_abi constants the rest uses, in
    wasi_abi's order."""
    head, tail, used = _block(text, WASI_BEGIN, WASI_END, path)
    lines = ["%s = const(%s)\n" % (n, v) for n, v in consts.items() if n in used]
    return head + WASI_BEGIN + "\n" + "".join(lines) + WASI_END + "\n" + tail


def outputs(root):
    """(path, text) of every file this script writes, the consumers as they would be now."""
    out = [(os.path.join(root, "wasi_micro", "opcodes.py"), render()),
           (os.path.join(root, "tests", "opnames.py"), render_names())]
    for name in CONSUMERS:
        path = os.path.join(root, "wasi_micro", name)
        with open(path) as fh:
            out.append((path, render_consumer(fh.read(), path)))
    with open(os.path.join(root, "wasi_micro", "wasi_abi.py")) as fh:
        consts = wasi_constants(fh.read())
    for name in WASI_CONSUMERS:
        path = os.path.join(root, "wasi_micro", name)
        with open(path) as fh:
            out.append((path, render_wasi_consumer(fh.read(), consts, path)))
    out.append(_prelowered(root, dict(out)))
    return out


# The modules whose text decides what lowering writes: prelowered.py's FORMAT is their digest,
# so that a board never runs code lowered by another runtime's lowerer (wasi-flash put).
LOWERING = ("ir.py", "lower.py", "opcodes.py", "reader.py", "runtime.py", "module.py")
FORMAT_LINE = re.compile(r"^FORMAT = const\(0x[0-9A-F]+\)$", re.M)


def _prelowered(root, texts):
    """(path, text) of prelowered.py with FORMAT the CRC-32 of the LOWERING modules' texts
    (as this script leaves them)."""
    crc = 0
    for name in LOWERING:
        path = os.path.join(root, "wasi_micro", name)
        if path not in texts:
            with open(path) as fh:
                texts[path] = fh.read()
        crc = zlib.crc32(texts[path].encode(), crc)
    path = os.path.join(root, "wasi_micro", "prelowered.py")
    with open(path) as fh:
        text = fh.read()
    if len(FORMAT_LINE.findall(text)) != 1:
        raise SystemExit("%s: needs one 'FORMAT = const(0x...)' line" % path)
    return path, FORMAT_LINE.sub("FORMAT = const(0x%08X)" % crc, text)


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    files = outputs(root)
    if "--check" in sys.argv:
        stale = []
        for path, text in files:
            with open(path) as fh:
                if fh.read() != text:
                    stale.append(os.path.basename(path))
        print("stale: %s (rerun tools/gen_opcodes.py)" % " ".join(stale) if stale
              else "the generated opcodes are up to date")
        sys.exit(1 if stale else 0)
    for path, text in files:
        with open(path, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
