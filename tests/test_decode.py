# The decoder on hand-built binaries (host_tools/wasmbuild.py) and on committed and shared
# modules.
import support
from wasi_micro import module as M
from wasi_micro.decode import MAX_LOCALS, check_bodies, decode
from wasi_micro.errors import LimitError, MalformedError
from host_tools.wasmbuild import code, codes, elem_sec, func_sec, global_sec, mem_sec, module, \
    name, section as sec, sleb, table_sec, type_sec, uleb as leb, vec


_V = type_sec((b"", b""))


def _malformed(data, msg):
    e = support.raises(MalformedError, decode, data)
    assert e.msg == msg, (e.msg, msg)
    return e


# --- header and section framing ------------------------------------------------------------------

def test_header():
    assert decode(b"\x00asm\x01\x00\x00\x00").types == []
    _malformed(b"", "unexpected end")
    _malformed(b"\x00as", "unexpected end")
    _malformed(b"\x00asn\x01\x00\x00\x00", "magic header not detected")
    _malformed(b"\x00asm\x01\x00", "unexpected end")
    e = _malformed(b"\x00asm\x02\x00\x00\x00", "unknown binary version")
    assert e.offset == 4


def test_section_framing():
    _malformed(module(sec(13, b"")), "malformed section id")
    _malformed(module(_V, _V), "unexpected content after last section")
    _malformed(module(sec(3, vec([])), _V), "unexpected content after last section")
    start = sec(8, leb(0))
    _malformed(module(_V, func_sec(0), start, start, code(b"\x0b")),
               "unexpected content after last section")
    # data count (id 12) sits between element (9) and code (10)
    decode(module(sec(9, vec([])), sec(12, leb(0)), sec(10, vec([]))))
    _malformed(module(sec(10, vec([])), sec(12, leb(0))), "unexpected content after last section")
    # the section says 2 bytes, its content is 1
    _malformed(module(b"\x01\x02\x00\x00"), "section size mismatch")
    _malformed(module(b"\x01\x09\x00"), "length out of bounds")
    _malformed(module(b"\x06\x03\x01\x7f\x00"), "unexpected end")  # global with no init
    _malformed(module(b"\x00\x02\x01"), "unexpected end")  # section ends past the module
    _malformed(module(b"\x03\x02\x05\x00"), "length out of bounds")  # 5 functions in 1 byte
    _malformed(module(b"\x01\x85\x80\x80\x80\x80\x00"), "integer representation too long")
    # custom sections go anywhere, are kept in order and do not count as a section
    m = decode(module(sec(0, name(b"a") + b"xy"), _V, sec(0, name(b"b")), sec(0, name(b"a"))))
    assert m.customs == [("a", b"xy"), ("b", b""), ("a", b"")]
    _malformed(module(sec(0, b"\x02\xff\xfe")), "malformed UTF-8 encoding")


def test_counts_must_agree():
    _malformed(module(_V, func_sec(0, 0), code(b"\x0b")),
               "function and code section have inconsistent lengths")
    _malformed(module(_V, code(b"\x0b")), "function and code section have inconsistent lengths")
    _malformed(module(sec(12, leb(2)), sec(11, vec([b"\x01\x00"]))),
               "data count and data section have inconsistent lengths")
    m = decode(module(sec(12, leb(1)), sec(11, vec([b"\x01\x02hi"]))))
    assert m.data_count == 1 and m.datas[0].init == b"hi"


# --- types, imports, limits ----------------------------------------------------------------------

def test_types():
    m = decode(module(type_sec((b"\x7f\x7e", b"\x7d"), (b"", b"\x7c\x70\x6f"))))
    assert m.types == [(b"\x7f\x7e", b"\x7d"), (b"", b"\x7c\x70\x6f")]
    _malformed(module(sec(1, vec([b"\x60\x01\x40\x00"]))), "malformed value type")
    _malformed(module(sec(1, vec([b"\x61\x00\x00"]))), "malformed function type")
    _malformed(module(sec(1, vec([b"\xe0\x7f\x00\x00"]))), "integer representation too long")


def test_imports():
    imps = vec([name(b"env") + name(b"f") + b"\x00\x00",
               name(b"env") + name(b"t") + b"\x01\x6f\x01\x01\x02",
               name(b"env") + name(b"m") + b"\x02\x00\x01",
               name(b"env") + name(b"g") + b"\x03\x7e\x01",
               name(b"x") + name(b"f2") + b"\x00\x00"])
    m = decode(module(_V, sec(2, imps)))
    assert [(i.module, i.name, i.kind) for i in m.imports] == [
        ("env", "f", M.K_FUNC), ("env", "t", M.K_TABLE), ("env", "m", M.K_MEM),
        ("env", "g", M.K_GLOBAL), ("x", "f2", M.K_FUNC)]
    assert (m.func_imports, m.table_imports, m.mem_imports, m.global_imports) == (2, 1, 1, 1)
    t = m.imports[1].desc
    assert (t.reftype, t.limits.min, t.limits.max) == (M.EXTERNREF, 1, 2)
    assert (m.imports[2].desc.min, m.imports[2].desc.max) == (1, None)
    assert m.imports[3].desc == (M.I64, 1)
    _malformed(module(sec(2, vec([name(b"a") + name(b"b") + b"\x04\x00"]))), "malformed import kind")
    _malformed(module(sec(2, vec([name(b"a") + name(b"b") + b"\x03\x7f\x02"]))),
               "malformed mutability")


def test_limits_flags():
    m = decode(module(mem_sec(b"\x01\x02\x03", b"\x00\x05")))
    assert [(l.min, l.max, l.page_log2) for l in m.mems] == [(2, 3, 16), (5, None, 16)]
    _malformed(module(mem_sec(b"\x02\x00")), "integer too large")  # shared memory: no threads
    _malformed(module(mem_sec(b"\x04\x00")), "integer too large")  # memory64: not supported
    _malformed(module(mem_sec(b"\x81\x00\x00")), "integer representation too long")
    _malformed(module(table_sec(b"\x70\x02\x00")), "integer too large")
    _malformed(module(table_sec(b"\x7f\x00\x00")), "malformed reference type")
    m = decode(module(mem_sec(b"\x09\x00\x07\x00")))
    assert (m.mems[0].min, m.mems[0].max, m.mems[0].page_log2) == (0, 7, 0)


# --- constant expressions and segments -----------------------------------------------------------

def test_constant_expressions():
    g = [b"\x7f\x00\x41" + sleb(-5) + b"\x0b",
         b"\x7e\x01\x42" + sleb(-(1 << 63)) + b"\x0b",
         b"\x7d\x00\x43\x00\x00\xc0\x7f\x0b",
         b"\x7c\x00\x44\x01\x00\x00\x00\x00\x00\xf0\x7f\x0b",
         b"\x6f\x00\xd0\x6f\x0b",
         b"\x70\x00\xd2\x03\x0b",
         b"\x7f\x00\x23\x02\x41\x01\x6a\x0b"]
    m = decode(module(global_sec(*g)))
    got = [(x.valtype, x.mut, x.init) for x in m.globals]
    assert got == [
        (M.I32, 0, [(0x41, -5)]),
        (M.I64, 1, [(0x42, -(1 << 63))]),
        (M.F32, 0, [(0x43, 0x7FC00000)]),
        (M.F64, 0, [(0x44, 0x7FF0000000000001)]),
        (M.EXTERNREF, 0, [(0xD0, M.EXTERNREF)]),
        (M.FUNCREF, 0, [(0xD2, 3)]),
        (M.I32, 0, [(0x23, 2), (0x41, 1), (0x6A, None)]),
    ], got
    # non-constant instructions still decode (the validator rejects them); bad ones do not
    m = decode(module(global_sec(b"\x7f\x00\x02\x40\x0b\x01\x41\x00\x0b")))
    assert m.globals[0].init == [(0x02, -0x40), (0x0B, None), (0x01, None), (0x41, 0)]
    _malformed(module(global_sec(b"\x7f\x00\x06\x0b")), "illegal opcode")
    _malformed(module(global_sec(b"\x7f\x00\xfc\x12\x0b")), "illegal opcode")
    _malformed(module(global_sec(b"\x7f\x00\x41\x00")), "unexpected end")
    _malformed(module(global_sec(b"\x7f\x00\x41\x80\x80\x80\x80\x10\x0b")), "integer too large")


def test_element_segments():
    off = b"\x41\x07\x0b"
    refs = vec([b"\xd2\x01\x0b", b"\xd0\x70\x0b"])
    segs = [b"\x00" + off + vec([b"\x01", b"\x02"]),  # active table 0, function indices
            b"\x01\x00" + vec([b"\x03"]),  # passive, elemkind
            b"\x02\x01" + off + b"\x00" + vec([b"\x04"]),  # active table 1, elemkind
            b"\x03\x00" + vec([b"\x05"]),  # declarative
            b"\x04" + off + refs,  # active table 0, expressions
            b"\x05\x6f" + vec([b"\xd0\x6f\x0b"]),  # passive, externref expressions
            b"\x06\x02" + off + b"\x70" + refs,  # active table 2, expressions
            b"\x07\x70" + refs]  # declarative, expressions
    m = decode(module(elem_sec(*segs)))
    got = [(e.mode, e.reftype, e.table, e.offset, list(e.items)) for e in m.elems]
    o = [(0x41, 7)]
    ex = [[(0xD2, 1)], [(0xD0, M.FUNCREF)]]
    assert got == [
        (M.M_ACTIVE, M.FUNCREF, 0, o, [[(0xD2, 1)], [(0xD2, 2)]]),
        (M.M_PASSIVE, M.FUNCREF, 0, None, [[(0xD2, 3)]]),
        (M.M_ACTIVE, M.FUNCREF, 1, o, [[(0xD2, 4)]]),
        (M.M_DECLARATIVE, M.FUNCREF, 0, None, [[(0xD2, 5)]]),
        (M.M_ACTIVE, M.FUNCREF, 0, o, ex),
        (M.M_PASSIVE, M.EXTERNREF, 0, None, [[(0xD0, M.EXTERNREF)]]),
        (M.M_ACTIVE, M.FUNCREF, 2, o, ex),
        (M.M_DECLARATIVE, M.FUNCREF, 0, None, ex),
    ], got
    _malformed(module(elem_sec(b"\x08")), "malformed elements segment kind")
    _malformed(module(elem_sec(b"\x01\x01\x00")), "malformed element kind")


def test_data_segments():
    segs = [b"\x00\x41\x10\x0b" + name(b"abc"), b"\x01" + name(b""),
            b"\x02\x01\x41\x00\x0b" + name(b"z")]
    m = decode(module(sec(11, vec(segs))))
    got = [(d.mode, d.memory, d.offset, d.init) for d in m.datas]
    assert got == [(M.M_ACTIVE, 0, [(0x41, 16)], b"abc"), (M.M_PASSIVE, 0, None, b""),
                   (M.M_ACTIVE, 1, [(0x41, 0)], b"z")], got
    _malformed(module(sec(11, vec([b"\x03"]))), "malformed data segment kind")


# --- code ----------------------------------------------------------------------------------------

def test_code_bodies():
    body = b"\x20\x00\x1a\x0b"
    data = module(type_sec((b"\x7f", b"")), func_sec(0, 0),
                  sec(10, vec([name(vec([leb(2) + b"\x7e", leb(1) + b"\x7d"]) + body),
                              name(b"\x00" + body)])))
    m = decode(data)
    c0, c1 = m.codes
    assert c0.locals == b"\x7e\x7e\x7d" and c1.locals == b""
    assert data[c0.start:c0.end] == body and data[c1.start:c1.end] == body
    assert c1.end == len(data)
    # the body's size counts the locals too: a declaration running past it is malformed
    _malformed(module(_V, func_sec(0), sec(10, vec([b"\x02\x01\x05\x7f\x0b"]))), "unexpected end")
    _malformed(module(_V, func_sec(0), code(b"\x0b", ((1, 0x40),))), "malformed value type")


def test_check_bodies():
    # decode leaves bodies alone; check_bodies walks their encoding without typing them
    def check(*bodies):
        m = decode(module(_V, func_sec(*[0] * len(bodies)), codes(*bodies)))
        check_bodies(M.Bodies(m))

    check(b"\x20\x09\x6a\x0b", b"\x02\x40\x04\x7f\x05\x0b\x0b\x0b")  # ill-typed is fine
    for body, msg in ((b"\x02\x40\x0b", "unexpected end"),
                      (b"\x06\x0b", "illegal opcode"),
                      (b"\x02\x40\x05\x0b\x0b", "END opcode expected"),
                      (b"\x04\x40\x05\x05\x0b\x0b", "END opcode expected"),
                      (b"\x0b\x0b", "section size mismatch"),
                      (b"\x3f\x01\x0b", "zero byte expected"),
                      (b"\x28\x40\x00\x0b", "malformed memop flags"),
                      (b"\x41\x80\x80\x80\x80\x80\x00\x0b", "integer representation too long")):
        e = support.raises(MalformedError, check, b"\x0b", body)
        assert e.msg == msg, (body, e.msg)
    # a body cut short inside an instruction, followed by another body
    e = support.raises(MalformedError, check, b"\x41", b"\x0b")
    assert e.msg == "unexpected end", e.msg


def test_too_many_locals():
    # the spec's limit (2**32-1 in total) is a malformed module, checked before allocating
    big = ((0xFFFFFFFF, 0x7F), (2, 0x7E))
    _malformed(module(_V, func_sec(0), code(b"\x0b", big)), "too many locals")
    # our own limit is a LimitError, not a MalformedError
    e = support.raises(LimitError, decode,
                       module(_V, func_sec(0), code(b"\x0b", ((MAX_LOCALS, 0x7F), (1, 0x7F)))))
    assert not isinstance(e, MalformedError) and "too many locals" in str(e)
    try:
        m = decode(module(_V, func_sec(0), code(b"\x0b", ((MAX_LOCALS - 1, 0x7F), (1, 0x7C)))))
    except MemoryError:  # the emulated M3's ~220 KiB heap after the other tests
        support.skip("no 50 KB block free for MAX_LOCALS locals on this heap")
    assert len(m.codes[0].locals) == MAX_LOCALS and m.codes[0].locals[-1] == M.F64


def test_exports_and_start():
    exp = sec(7, vec([name(b"f") + b"\x00\x00", name(b"mem") + b"\x02\x00"]))
    m = decode(module(_V, func_sec(0), exp, sec(8, leb(0)), code(b"\x0b")))
    assert [(e.name, e.kind, e.index) for e in m.exports] == [("f", 0, 0), ("mem", 2, 0)]
    assert m.start == 0
    _malformed(module(sec(7, vec([name(b"x") + b"\x04\x00"]))), "malformed export kind")


# --- the name section ----------------------------------------------------------------------------

def _names_section(payload):
    return sec(0, name(b"name") + payload)


def test_name_section():
    fnames = sec(1, vec([leb(0) + name(b"main"), leb(2) + name(b"helper")]))
    other = sec(0, name(b"mod"))  # module-name subsection: skipped
    m = decode(module(_V, func_sec(0), code(b"\x0b"), _names_section(other + fnames)))
    assert m.func_names == {0: "main", 2: "helper"}
    assert m.func_name(0) == "main" and m.func_name(1) == "wasm-function[1]"
    # broken name sections are ignored, the module still decodes
    for bad in (fnames[:-2],  # cut short
                sec(1, vec([leb(0) + b"\x02\xff\xfe"])),  # bad UTF-8
                b"\x01\xff\xff\xff\xff\x0f"):  # subsection larger than the section
        m = decode(module(_names_section(bad)))
        assert m.func_names == {} and m.customs[0][0] == "name"


def test_naming_on_a_full_heap():
    # Naming the function an out-of-memory trap came from may itself run out of memory: the
    # index then names it, and the names are parsed when asked for again.
    class Full:
        def __len__(self):
            raise MemoryError

    fnames = sec(1, vec([leb(0) + name(b"main")]))
    m = decode(module(_V, func_sec(0), code(b"\x0b"), _names_section(fnames)))
    named = m.customs
    m.customs = [("name", Full())]
    assert m.func_name(0) == "wasm-function[0]"
    m.customs = named
    assert m.func_name(0) == "main"


def test_wat_module_names():
    # dv_names.wat compiled with --debug-names: the names come back from the name section
    m = decode(support.read_bytes(support.module_path("dv_names.wasm")))
    assert m.func_names == {0: "imported", 1: "first", 2: "second"}, m.func_names
    assert m.func_imports == 1 and len(m.codes) == 2


# --- real modules --------------------------------------------------------------------------------

def test_bench_modules_decode():
    import os
    folder = support.need_shared("bench", "wasm")
    names = sorted(n for n in os.listdir(folder) if n.endswith(".wasm"))
    assert names
    for n in names:
        data = support.read_bytes(folder + "/" + n)
        m = decode(bytearray(data))  # any bytes-like input
        assert len(m.funcs) == len(m.codes) > 0, n
        for c in m.codes:
            assert 0 < c.start < c.end <= len(data) and data[c.end - 1] == 0x0B, n
        assert m.func_names, n  # the toolchain writes a name section
