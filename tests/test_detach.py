# A module loaded with detach=True keeps no copy of its bytes (a board's RAM): function bodies
# are read back from the file, CRC-checked, when first run; data segments and the name section
# are kept. A changed file is a clean trap, never unvalidated code run.
import support
import wasi_micro
from host_tools import wasmbuild as B
from test_wasi_helpers import read_file, rmtree, scratch, write_file
from wasi_micro.compat import crc32
from wasi_micro.errors import MODULE_CHANGED, Trap


def _module():
    m = B.Module()
    m.set_memory(1)
    m.data(16, b"wasm")
    m.data(1000, bytes(range(256)) * 3)  # read back in pieces at instantiation
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
        assert inst.memory_obj.read(1000, 768) == bytes(range(256)) * 3
        assert inst.invoke("inc", [41]) == [42]
        assert inst.invoke("dbl", [21]) == [42]
        assert inst.invoke("sum", [5]) == [5 + 600 * 601 // 2]
    _with_file(check)


def test_changed_file_traps():
    def check(path):
        inst = wasi_micro.instantiate(wasi_micro.load(path, detach=True))
        assert inst.invoke("inc", [1]) == [2]  # lowered before the change: keeps running
        data = bytearray(read_file(path))
        # i32.const 2 -> i32.const 3 in dbl's body: still valid, but not what was validated
        i = data.rfind(b"\x41\x02\x6c")
        data[i + 1] = 3
        write_file(path, data)
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


def test_bytes_load_is_not_detached():
    m = wasi_micro.load(_module(), detach=True)  # nothing to read back from
    assert m.bytes is not None and m.path is None
