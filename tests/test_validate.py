# Load-time conformance with the spec test scripts (shared data), and the validator's rules on
# small hand-built modules. Only decode + validate here; tests/spec_runner.py executes modules.
import json
import os

import support
from wasi_micro.errors import InvalidError, MalformedError
from wasi_micro.loader import load
from host_tools.wasmbuild import code, codes, elem_sec, func_sec, global_sec, mem_sec, module, \
    section as sec, table_sec, type_sec, uleb as leb, vec

# Command kind -> the error loading its module must raise (None: it must load).
_EXPECT = {
    "module": None,
    "assert_unlinkable": None,  # fails at link time, loads fine
    "assert_uninstantiable": None,  # traps at instantiation, loads fine
    "assert_malformed": MalformedError,
    "assert_invalid": InvalidError,
}


def _conformance(*parts):
    """Load every binary module the scripts under wasm-spec/<parts> name; print and return the
    failures (wrong outcome) and a count per command kind."""
    base = support.need_shared("wasm-spec", *parts)
    counts = {}
    failures = []
    hints = []  # right error class, different wording than the script's `text`
    for name in sorted(os.listdir(base)):
        folder = base + "/" + name
        path = folder + "/" + name + ".json"
        if not support.exists(path):
            continue
        with open(path) as f:
            commands = json.load(f)["commands"]
        for c in commands:
            kind = c["type"]
            if kind not in _EXPECT or c.get("module_type") == "text":
                continue
            want = _EXPECT[kind]
            try:
                load(support.read_bytes(folder + "/" + c["filename"]))
                got = None
            except Exception as e:  # anything but the expected outcome is a failure
                got = e
            ok = got is None if want is None else isinstance(got, want)
            tally = counts.setdefault(kind, [0, 0])
            tally[0 if ok else 1] += 1
            where = "%s.json:%d" % (name, c["line"])
            if not ok:
                failures.append("%s %s: expected %s, got %r" % (
                    where, kind, want.__name__ if want else "success", got))
            elif want is not None and not _same(c["text"], got.msg):
                hints.append("%s: %r for %r" % (where, got.msg, c["text"]))
    for kind in sorted(counts):
        print("%s %s: %d passed, %d failed" % ("/".join(parts), kind, counts[kind][0],
                                                counts[kind][1]))
    print("%s: %d with other wording than the script's text" % ("/".join(parts), len(hints)))
    for line in failures:
        print("FAIL " + line)
    return failures, counts


def _same(text, msg):
    # The reference interpreter matches `text` as a prefix of its message; its EOF message is
    # "unexpected end of section or function", where ours is the shorter "unexpected end".
    return msg.startswith(text) or text.startswith(msg)


def _check(*parts):
    failures, counts = _conformance(*parts)
    assert counts, "no commands found under %s" % "/".join(parts)
    assert not failures, "%d failures, first: %s" % (len(failures), failures[:10])
    return counts


def test_spec_core():
    counts = _check("core")
    # Guard against silently walking a partial tree (README totals: 1,126 modules, 1,477
    # assert_invalid, 719 binary assert_malformed).
    assert counts["module"][0] == 1126, counts
    assert counts["assert_invalid"][0] == 1477, counts
    assert counts["assert_malformed"][0] == 719, counts


def test_spec_tail_call():
    _check("proposals", "tail-call")


def test_spec_extended_const():
    _check("proposals", "extended-const")


# --- hand-built modules --------------------------------------------------------------------------

_V = type_sec((b"", b""))  # type 0: [] -> []


def _invalid(data, msg):
    e = support.raises(InvalidError, load, data)
    assert e.msg.startswith(msg), (e.msg, msg)
    return e


def _malformed(data, msg):
    e = support.raises(MalformedError, load, data)
    assert e.msg.startswith(msg), (e.msg, msg)
    return e


def _one_func(body, params=b"", results=b"", locals_=(), extra=()):
    """A module with one function of type params -> results and the given body bytes."""
    secs = [type_sec((params, results)), func_sec(0)] + list(extra)
    secs.append(code(body, locals_))
    return module(*sorted(secs, key=_order))


def _order(s):
    # Place sections in the required order (the data count section goes before code).
    sid = s[0]
    return 9.5 if sid == 12 else sid


def test_load_returns_module():
    m = load(_one_func(b"\x41\x01\x1a\x0b"))
    assert len(m.codes) == 1 and list(m.funcs) == [0]


def test_body_typing():
    _invalid(_one_func(b"\x41\x01\x0b"), "type mismatch")  # value left on [] -> []
    _invalid(_one_func(b"\x0b", results=b"\x7f"), "type mismatch")  # missing result
    _invalid(_one_func(b"\x42\x01\x6a\x0b"), "type mismatch")  # i32.add on nothing
    _invalid(_one_func(b"\x20\x00\x0b"), "unknown local")
    load(_one_func(b"\x20\x00\x20\x01\x6a\x0b", params=b"\x7f", results=b"\x7f",
                   locals_=((1, 0x7F),)))
    # after `unreachable` the stack is polymorphic: i32.add pops two unknowns
    load(_one_func(b"\x00\x6a\x0b", results=b"\x7f"))
    # ... but what is pushed afterwards is typed again
    _invalid(_one_func(b"\x00\x42\x00\x6a\x0b", results=b"\x7f"), "type mismatch")


def test_blocks_and_labels():
    # block (result i32) i32.const 1 end
    load(_one_func(b"\x02\x7f\x41\x01\x0b\x0b", results=b"\x7f"))
    # if without else must have matching params and results
    _invalid(_one_func(b"\x41\x01\x04\x7f\x41\x01\x0b\x0b", results=b"\x7f"), "type mismatch")
    # br 1 out of a block inside the function: fine; br 2: no such label
    load(_one_func(b"\x02\x40\x0c\x01\x0b\x0b"))
    _invalid(_one_func(b"\x02\x40\x0c\x02\x0b\x0b"), "unknown label")
    # br_table whose targets have different arities
    _invalid(_one_func(b"\x02\x7f\x41\x00\x41\x00\x0e\x01\x00\x01\x0b\x1a\x0b"), "type mismatch")
    # block type by index: (i32) -> (i32) consumes the operand
    mod = module(type_sec((b"", b""), (b"\x7f", b"\x7f")), func_sec(0),
                 code(b"\x41\x05\x02\x01\x1a\x41\x01\x0b\x1a\x0b"))
    load(mod)
    _invalid(module(_V, func_sec(0), code(b"\x02\x05\x0b\x0b")), "unknown type")


def test_else_outside_if_is_malformed():
    _malformed(_one_func(b"\x02\x40\x05\x0b\x0b"), "END opcode expected")


def test_body_must_end_exactly():
    _malformed(_one_func(b"\x0b\x01"), "section size mismatch")  # bytes after the final end
    _malformed(_one_func(b"\x02\x40\x0b"), "unexpected end")  # final end missing (at EOF)


def test_malformed_body_wins_over_invalid_one():
    # Function 0 is invalid (unknown local), function 1 has an illegal opcode: decoding comes
    # first in the spec, so the module is malformed.
    mod = module(_V, func_sec(0, 0), codes(b"\x20\x05\x1a\x0b", b"\xff\x0b"))
    _malformed(mod, "illegal opcode")
    # and a module-level validation error does not hide it either
    mod = module(_V, func_sec(0, 0), sec(8, leb(9)), codes(b"\x0b", b"\xfc\x7f\x0b"))
    _malformed(mod, "illegal opcode")


def test_memory_instructions():
    mem = mem_sec(b"\x00\x01")
    load(_one_func(b"\x41\x00\x28\x02\x00\x1a\x0b", extra=[mem]))  # i32.load align=4
    _invalid(_one_func(b"\x41\x00\x28\x03\x00\x1a\x0b", extra=[mem]),
             "alignment must not be larger than natural")
    _invalid(_one_func(b"\x41\x00\x28\x02\x00\x1a\x0b"), "unknown memory")
    _malformed(_one_func(b"\x41\x00\x28\x20\x00\x1a\x0b", extra=[mem]), "malformed memop flags")
    _malformed(_one_func(b"\x3f\x01\x1a\x0b", extra=[mem]), "zero byte expected")
    _invalid(module(_V, mem_sec(b"\x00\x01", b"\x00\x01")), "multiple memories")
    _invalid(module(mem_sec(b"\x01\x02\x01")), "size minimum must not be greater than maximum")
    _invalid(module(mem_sec(b"\x00" + leb(65537))), "memory size must be at most 65536 pages")


def test_custom_page_sizes():
    # flag 0x08: a log2 page size follows the limits; 0 (1 byte) and 16 (64 KiB) are valid
    m = load(module(mem_sec(b"\x08\x05\x00")))
    assert (m.mems[0].min, m.mems[0].max, m.mems[0].page_log2) == (5, None, 0)
    m = load(module(mem_sec(b"\x09\x01" + leb(0xFFFFFFFF) + b"\x00")))
    assert (m.mems[0].max, m.mems[0].page_log2) == (0xFFFFFFFF, 0)
    assert load(module(mem_sec(b"\x08\x01\x10"))).mems[0].page_log2 == 16
    _invalid(module(mem_sec(b"\x08\x01\x01")), "invalid custom page size")
    _malformed(module(mem_sec(b"\x08\x01\x41")), "invalid custom page size")
    # 64 KiB pages keep the 65536-page bound
    _invalid(module(mem_sec(b"\x08" + leb(65537) + b"\x10")), "memory size must be at most")
    # not for tables
    _malformed(module(table_sec(b"\x70\x08\x00")), "integer too large")


def test_globals_and_constant_expressions():
    # global.set on an immutable global
    g = global_sec(b"\x7f\x00\x41\x00\x0b")
    _invalid(_one_func(b"\x41\x01\x24\x00\x0b", extra=[g]), "global is immutable")
    gm = global_sec(b"\x7f\x01\x41\x00\x0b")
    load(_one_func(b"\x41\x01\x24\x00\x0b", extra=[gm]))
    _invalid(module(global_sec(b"\x7e\x00\x41\x00\x0b")), "type mismatch")
    _invalid(module(global_sec(b"\x7f\x00\x41\x00\x41\x00\x6d\x0b")),
             "constant expression required")  # i32.div_s is not constant
    load(module(global_sec(b"\x7f\x00\x41\x02\x41\x03\x6c\x0b")))  # extended-const i32.mul
    # a defined global cannot be read by another's initializer (only imported ones)
    _invalid(module(global_sec(b"\x7f\x00\x41\x00\x0b", b"\x7f\x00\x23\x00\x0b")),
             "unknown global")
    # imported immutable global: fine; mutable: not constant
    for mut, ok in ((0, True), (1, False)):
        imp = sec(2, vec([b"\x01m\x01g\x03\x7f" + bytes((mut,))]))
        mod = module(imp, global_sec(b"\x7f\x00\x23\x00\x0b"))
        if ok:
            load(mod)
        else:
            _invalid(mod, "constant expression required")


def test_references():
    tab = table_sec(b"\x70\x00\x01")
    # ref.func needs the function declared outside function bodies
    f = b"\xd2\x00\x1a\x0b"
    _invalid(_one_func(f, extra=[tab]), "undeclared function reference")
    declare = elem_sec(b"\x03\x00" + vec([b"\x00"]))  # elem declare func 0
    load(_one_func(f, extra=[tab, declare]))
    # select without a type is for numeric operands only
    sel = b"\xd0\x70\xd0\x70\x41\x01\x1b\x1a\x0b"
    _invalid(_one_func(sel), "type mismatch")
    load(_one_func(sel.replace(b"\x1b", b"\x1c\x01\x70")))
    _invalid(_one_func(sel.replace(b"\x1b", b"\x1c\x02\x70\x70")), "invalid result arity")
    # table.get of an unknown table; table.set with the wrong reference type
    _invalid(_one_func(b"\x41\x00\x25\x01\x1a\x0b", extra=[tab]), "unknown table")
    _invalid(_one_func(b"\x41\x00\xd0\x6f\x26\x00\x0b", extra=[tab]), "type mismatch")
    # elem segment type must match its table
    seg = elem_sec(b"\x06\x00\x41\x00\x0b\x6f" + vec([b"\xd0\x6f\x0b"]))
    _invalid(module(tab, seg), "type mismatch")


def test_bulk_memory_indices():
    mem = mem_sec(b"\x00\x01")
    data = sec(11, vec([b"\x01\x02ab"]))  # one passive segment
    count = sec(12, leb(1))
    drop = b"\xfc\x09\x00\x0b"
    load(_one_func(drop, extra=[mem, count, data]))
    _invalid(_one_func(b"\xfc\x09\x01\x0b", extra=[mem, count, data]), "unknown data segment")
    # data.drop with data segments but no data count section: malformed
    _malformed(_one_func(drop, extra=[mem, data]), "data count section required")
    _invalid(_one_func(b"\xfc\x0d\x00\x0b"), "unknown elem segment")


def test_tail_calls():
    # return_call to a function with different results than the caller's
    mod = module(type_sec((b"", b"\x7f"), (b"", b"\x7e")), func_sec(0, 1),
                 codes(b"\x12\x01\x0b", b"\x42\x00\x0b"))
    _invalid(mod, "type mismatch")
    mod = module(type_sec((b"", b"\x7f")), func_sec(0, 0), codes(b"\x12\x01\x0b", b"\x41\x00\x0b"))
    load(mod)


def test_start_and_exports():
    _invalid(module(type_sec((b"\x7f", b"")), func_sec(0), sec(8, leb(0)), code(b"\x0b")),
             "start function")
    _invalid(module(_V, func_sec(0), sec(8, leb(1)), code(b"\x0b")), "unknown function")
    exp = sec(7, vec([b"\x01a\x00\x00", b"\x01a\x00\x00"]))
    _invalid(module(_V, func_sec(0), exp, code(b"\x0b")), "duplicate export name")
    _invalid(module(sec(7, vec([b"\x01a\x02\x00"]))), "unknown memory")


def test_error_offsets():
    # InvalidError from a body carries the offset of the offending instruction
    data = _one_func(b"\x01\x20\x07\x0b")
    e = _invalid(data, "unknown local")
    assert data[e.offset] == 0x20 and data[e.offset + 1] == 0x07


def test_bench_modules_load():
    # Real compiler output validates; the times printed are the load-time figures we report.
    from wasi_micro.compat import ticks_us
    folder = support.need_shared("bench", "wasm")
    names = sorted(n for n in os.listdir(folder) if n.endswith(".wasm"))
    assert names
    for n in names:
        data = support.read_bytes(folder + "/" + n)
        best = None
        for _ in range(3):
            t0 = ticks_us()
            m = load(data)
            dt = ticks_us() - t0
            best = dt if best is None or dt < best else best
        print("%s: %d bytes, %d functions, load %d us" % (n, len(data), len(m.codes), best))
