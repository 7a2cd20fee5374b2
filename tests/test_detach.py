# A module loaded with detach=True keeps no copy of its bytes (a board's RAM): it is decoded
# from the file a section at a time and validated a body at a time (loader.load_file); function
# bodies are read back, CRC-checked, when first run, active data segments at instantiation,
# names when a message needs one. A changed file is a clean trap, never unvalidated code run.
import os

import support
import wasi_micro
from wasi_micro import module as M
from wasi_micro.errors import MalformedError, InvalidError
from host_tools import wasmbuild as B
from test_wasi_helpers import read_file, rmtree, scratch, write_file
from wasi_micro.compat import crc32
from wasi_micro.errors import MODULE_CHANGED, Trap


def _module():
    m = B.Module()
    m.set_memory(1)
    m.data(16, b"wasm")
    m.data(1000, bytes(range(256)) * 5)  # read back in pieces at instantiation
    m.data(None, b"passive")  # memory.init may want it any time: kept
    # load8_u(16 + x), x + 1, x * 2: three bodies, each lowered from the file when first called
    m.func([B.I32], [B.I32], B.get(0) + B.mem(0x2D, 16), export="byte")
    m.func([B.I32], [B.I32], B.get(0) + B.i32(1) + b"\x6a", export="inc")
    m.func([B.I32], [B.I32], B.get(0) + B.i32(2) + b"\x6c", export="dbl")
    # x + 1 + 2 + ... + 600: a body of ~2 KB, read back in pieces (LEBs across their ends)
    m.func([B.I32], [B.I32], B.get(0) + b"".join(B.i32(k) + b"\x6a" for k in range(1, 601)),
           export="sum")
    return m.bytes()


def _with_file(fn):
    d = scratch()
    try:
        path = d + "/m.wasm"
        write_file(path, _module())
        fn(path)
    finally:
        rmtree(d)


def test_crc32():
    # binascii's or zlib's, or the viper fallback on a MicroPython without binascii
    assert crc32(b"") == 0
    assert crc32(b"abc") == 0x352441C2
    assert crc32(bytes(range(256)) * 3) == 0xB0C0DF2A
    assert crc32(memoryview(b"xabc")[1:]) == 0x352441C2
    assert crc32(b"c", crc32(b"ab")) == 0x352441C2  # carried on, as a detached body is read


def test_detached_module_runs_from_its_file():
    def check(path):
        m = wasi_micro.load(path, detach=True)
        assert m.bytes is None and m.path == path
        assert m.datas[0].init is None and m.datas[1].init is None  # active: on flash
        assert m.datas[2].init == b"passive"
        inst = wasi_micro.instantiate(m)
        assert inst.invoke("byte", [1]) == [ord("a")]
        assert inst.memory_obj.read(1000, 1280) == bytes(range(256)) * 5
        assert inst.invoke("inc", [41]) == [42]
        assert inst.invoke("dbl", [21]) == [42]
        assert inst.invoke("sum", [5]) == [5 + 600 * 601 // 2]
    _with_file(check)


def _change_dbl(path):
    """i32.const 2 -> i32.const 3 in dbl's body: still valid, but not what was validated.
    -> the file's new bytes."""
    data = bytearray(read_file(path))
    i = data.rfind(b"\x41\x02\x6c")
    data[i + 1] = 3
    write_file(path, data)
    return data


def test_changed_file_traps():
    def check(path):
        inst = wasi_micro.instantiate(wasi_micro.load(path, detach=True))
        assert inst.invoke("inc", [1]) == [2]  # lowered before the change: keeps running
        data = _change_dbl(path)
        e = support.raises(Trap, inst.invoke, "dbl", [21])
        assert e.reason == MODULE_CHANGED
        i = data.rfind(B.i32(500) + b"\x6a")  # deep in the long body, still valid
        data[i + 1] += 1
        write_file(path, data)
        e = support.raises(Trap, inst.invoke, "sum", [0])
        assert e.reason == MODULE_CHANGED
        data[i:i + 40] = b"\xff" * 40  # no instruction: the lowerer fails first, the trap wins
        write_file(path, data)
        e = support.raises(Trap, inst.invoke, "sum", [0])
        assert e.reason == MODULE_CHANGED
        write_file(path, b"")  # cut short: the same
        e = support.raises(Trap, inst.invoke, "byte", [0])
        assert e.reason == MODULE_CHANGED
        assert inst.invoke("inc", [2]) == [3]
    _with_file(check)


def test_changed_data_segment_traps_at_instantiation():
    def check(path):
        m = wasi_micro.load(path, detach=True)
        data = bytearray(read_file(path))
        data[data.find(bytes(range(256))) + 700] ^= 1
        write_file(path, data)
        e = support.raises(Trap, wasi_micro.instantiate, m)
        assert e.reason == MODULE_CHANGED
    _with_file(check)


def _deferred(mem):
    """The pages of a paged memory whose deferred bytes are not read yet."""
    lz = mem.lazy
    return sorted(set(lz[i] for i in range(0, len(lz), 5) if not mem.ptab[lz[i]]))


def test_deferred_pieces_out_of_address_order():
    # Segments need not come in address order: a page's pieces are found, and applied in the
    # order they were deferred (a later segment's bytes win), wherever they were added.
    from wasi_micro.memory import Memory
    d = scratch()
    try:
        path = d + "/data"
        data = bytes(range(256)) * 16
        write_file(path, data)
        mem = Memory(M.Limits(1), 8192)
        mem.defer(path, 3000, data[100:160], 100)
        mem.defer(path, 3060, data[160:170], 160)  # continues the piece before: merged
        mem.defer(path, 1100, data[0:50], 0)  # an earlier page, deferred later
        mem.defer(path, 3050, data[500:520], 500)  # overlaps the first piece: applied after
        mem.defer(path, 5000, data[7:9], 7)
        assert _deferred(mem) == [1, 2, 4] and len(mem.lazy) == 4 * 5 and mem.used == 0
        want = bytearray(8192)
        want[3000:3070] = data[100:170]
        want[1100:1150] = data[0:50]
        want[3050:3070] = data[500:520]
        want[5000:5002] = data[7:9]
        assert mem.read(0, 8192) == bytes(want) and mem.used == 3072
        assert not _deferred(mem)
    finally:
        rmtree(d)


def test_paged_memory_reads_data_pages_when_touched():
    # With a limit (a board) the memory is paged: the pages of a segment of a page or more get
    # their frames, and their bytes from the file, only when the guest first touches them.
    def check(path):
        inst = wasi_micro.instantiate(wasi_micro.load(path, detach=True), None,
                                      wasi_micro.Config(max_memory=8192))
        mem = inst.memory_obj
        # page 0: "wasm" (a short segment, written at once), so also the long one's first bytes
        assert mem.paged and mem.used == 1024 and _deferred(mem) == [1, 2]
        assert inst.invoke("byte", [1]) == [ord("a")]
        assert mem.read(1030, 1) == bytes([30]) and mem.used == 2048
        assert _deferred(mem) == [2]
        assert mem.read(1000, 1280) == bytes(range(256)) * 5  # across the pages
        assert mem.used == 3072 and not _deferred(mem)
        # A page not yet touched when the file changes: a clean trap when it is.
        inst = wasi_micro.instantiate(wasi_micro.load(path, detach=True), None,
                                      wasi_micro.Config(max_memory=8192))
        data = bytearray(read_file(path))
        data[data.find(bytes(range(256))) + 1100] ^= 1
        write_file(path, data)
        assert inst.memory_obj.read(1030, 1) == bytes([30])  # page 1 is as it was
        e = support.raises(Trap, inst.memory_obj.read, 2100, 1)
        assert e.reason == MODULE_CHANGED
    _with_file(check)


def test_bytes_load_is_not_detached():
    m = wasi_micro.load(_module(), detach=True)  # nothing to read back from
    assert m.bytes is not None and m.path is None


def _records(m):
    """What a module holds, as plain values (the bytes-loaded and file-loaded must agree)."""
    return (m.types, [(i.module, i.name, i.kind) for i in m.imports], m.funcs,
            [(e.name, e.kind, e.index) for e in m.exports], m.start, len(m.tables), len(m.mems),
            [(c.locals, c.start, c.end) for c in m.codes],
            [(d.mode, d.pos, d.size, d.memory, d.offset) for d in m.datas],
            [(e.mode, list(e.items)) for e in m.elems], m.func_names)


def test_file_load_gives_the_records_a_bytes_load_gives():
    names = ["dv_names", "lower_cases", "memory_pages", "wasi_fs", "wasi_cli"]
    for name in names:
        path = support.module_path(name + ".wasm")
        data = read_file(path)
        a = wasi_micro.load(data)
        b = wasi_micro.load(path, detach=True)
        assert b.bytes is None and b.crcs is not None
        assert _records(a) == _records(b), name
        for i in range(len(a.datas)):
            if a.datas[i].mode == M.M_ACTIVE:
                assert b.datas[i].init is None and b.datas[i].crc == crc32(a.datas[i].init)
        for i in range(len(a.codes)):
            c = a.codes[i]
            assert b.crcs[i] == crc32(data[c.start:c.end])


def test_file_load_refuses_what_a_bytes_load_refuses():
    # Cuts of a module and bytes changed all over it are refused by both loads with the same
    # kind of error (the wording may differ where a cut section is read on past its end:
    # decode_file reads a section from its own bytes).
    data = _module()
    d = scratch()
    try:
        path = d + "/m.wasm"
        cases = [data[:k] for k in range(0, len(data), 7)]
        for k in range(8, len(data), 11):
            bad = bytearray(data)
            bad[k] ^= 0xFF
            cases.append(bytes(bad))
        for bad in cases:
            write_file(path, bad)
            want = got = None
            try:
                wasi_micro.load(bad)
            except (MalformedError, InvalidError) as e:
                want = e
            try:
                wasi_micro.load(path, detach=True)
            except (MalformedError, InvalidError) as e:
                got = e
            assert (want is None) == (got is None), (bad, want, got)
            if want is not None:
                assert type(want) is type(got), (bad, want, got)
    finally:
        rmtree(d)


def _invalid(data):
    """The module with inc's i32.add made an i64.add: the same size, no longer valid."""
    bad = bytearray(data)
    i = bad.find(B.get(0) + B.i32(1) + b"\x6a")
    bad[i + len(B.get(0) + B.i32(1))] = 0x7C
    return bytes(bad)


def test_recorded_module_is_not_validated_again():
    # `wasi-flash put` validates a module on the host and leaves its record (NAME.valid: size
    # and CRC-32) next to NAME.wasm; the board runner loads with checked=True. An invalid
    # module under a record of its own bytes then loads: the record is what was trusted.
    from wasi_micro.loader import record, record_path
    d = scratch()
    try:
        path = d + "/m.wasm"
        bad = _invalid(_module())
        write_file(path, bad)
        write_file(record_path(path), record(bad))
        assert record_path(path) == d + "/m.valid"
        for detach in (True, False):
            support.raises(InvalidError, wasi_micro.load, path, detach=detach)
            wasi_micro.load(path, detach=detach, checked=True)
    finally:
        rmtree(d)


def test_record_of_other_bytes_means_validating_again():
    # A module whose bytes changed since its record (one byte, the same size), or whose record
    # is garbled or gone, is validated on the board: an invalid one is refused.
    from wasi_micro.loader import record, record_path
    d = scratch()
    try:
        path = d + "/m.wasm"
        good = _module()
        for rec in (record(good), b"garbled\n", record(good)[:-3], None):
            write_file(path, _invalid(good))
            if rec is None:
                os.remove(record_path(path))
            else:
                write_file(record_path(path), rec)
            for detach in (True, False):
                e = support.raises(InvalidError, wasi_micro.load, path, detach=detach,
                                   checked=True)
                assert str(e).startswith("type mismatch"), e
    finally:
        rmtree(d)


def test_recorded_module_runs_and_its_bodies_are_still_checked():
    # Not validated again, the bodies' CRC-32s are still taken: a body changed after the load
    # is the same clean trap.
    from wasi_micro.loader import record, record_path

    def check(path):
        write_file(record_path(path), record(read_file(path)))
        m = wasi_micro.load(path, detach=True, checked=True)
        inst = wasi_micro.instantiate(m)
        assert inst.invoke("inc", [41]) == [42]
        assert inst.invoke("sum", [5]) == [5 + 600 * 601 // 2]
        _change_dbl(path)
        e = support.raises(Trap, inst.invoke, "dbl", [21])
        assert e.reason == MODULE_CHANGED
    _with_file(check)
