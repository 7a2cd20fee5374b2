# The sandbox: a guest touches only its own memory, its own table and the files it was given.
# Out-of-bounds accesses at every width and at the 4 GiB wrap, bulk memory bounds and overlaps,
# forged call_indirect indices and types, and WASI calls with pointers outside memory all trap
# or return an errno, leaving memory as it was; files a guest wrote survive its exit or trap.
# Each memory case runs on flat memory, paged memory, and paged memory limited below one page.
import io
import os

import support
import wasi_micro
from host_tools import wasmbuild as B
from test_wasi_helpers import rmtree, scratch
from wasi_micro.errors import LimitError, Trap
from wasi_micro.wasi import Wasi, run_command

OOB = "out of bounds memory access"
PAGE = 65536
EFAULT = 21
REFUSED = (63, 76, 44)  # EPERM, ENOTCAPABLE, ENOENT: a path leaving the preopen


def configs():
    return (("flat", None), ("paged", wasi_micro.Config(max_memory=2 * PAGE)),
            ("paged below a page", wasi_micro.Config(max_memory=4096)))


# (opcode, bytes accessed, value type, signed) of every load and store.
LOADS = ((0x28, 4, B.I32, False), (0x29, 8, B.I64, False), (0x2A, 4, B.F32, False),
         (0x2B, 8, B.F64, False), (0x2C, 1, B.I32, True), (0x2D, 1, B.I32, False),
         (0x2E, 2, B.I32, True), (0x2F, 2, B.I32, False), (0x30, 1, B.I64, True),
         (0x31, 1, B.I64, False), (0x32, 2, B.I64, True), (0x33, 2, B.I64, False),
         (0x34, 4, B.I64, True), (0x35, 4, B.I64, False))
STORES = ((0x36, 4, B.I32), (0x37, 8, B.I64), (0x38, 4, B.F32), (0x39, 8, B.F64),
          (0x3A, 1, B.I32), (0x3B, 2, B.I32), (0x3C, 1, B.I64), (0x3D, 2, B.I64),
          (0x3E, 4, B.I64))
OFFSETS = (0, 1, PAGE, 0xFFFFFFFF)


def _access_module():
    m = B.Module()
    m.set_memory(1, 2)
    for op, n, t, signed in LOADS:
        for off in OFFSETS:
            m.func([B.I32], [t], B.get(0) + B.mem(op, off), export="l%x_%x" % (op, off))
    for op, n, t in STORES:
        for off in OFFSETS:
            m.func([B.I32, t], [], B.get(0) + B.get(1) + B.mem(op, off),
                   export="s%x_%x" % (op, off))
    return wasi_micro.load(m.bytes())


def _expect_oob(inst, name, args):
    e = support.raises(Trap, inst.invoke, name, args)
    assert not isinstance(e, LimitError) and e.reason == OOB, (name, args, e)


def _value(data, signed):
    v = int.from_bytes(data, "little")
    if signed and v >> (8 * len(data) - 1):
        v -= 1 << (8 * len(data))
    return v


def test_loads_at_every_width_and_the_wrap():
    mod = _access_module()
    tail = bytes(range(0xF0, 0x100))  # the last 16 bytes of the page
    for label, cfg in configs():
        inst = wasi_micro.instantiate(mod, None, cfg)
        mem = inst.memory()
        mem.write(PAGE - 16, tail)
        for op, n, t, signed in LOADS:
            mask = (1 << (32 if t in (B.I32, B.F32) else 64)) - 1
            name = "l%x_0" % op
            got = inst.invoke(name, [PAGE - n])
            assert got == [_value(tail[16 - n:], signed) & mask], (label, name, got)
            got = inst.invoke("l%x_1" % op, [PAGE - n - 1])  # offset 1: the same last bytes
            assert got == [_value(tail[16 - n:], signed) & mask], (label, name, got)
            for addr in (PAGE - n + 1, PAGE, 0xFFFFFFFF, 0xFFFFFFFF - n + 1):
                _expect_oob(inst, name, [addr])
            _expect_oob(inst, "l%x_1" % op, [PAGE - n])
            _expect_oob(inst, "l%x_%x" % (op, PAGE), [0])
            # address + offset past 2**32 must not wrap around to the start of memory
            for addr in (1, 0x10, PAGE - 1):
                _expect_oob(inst, "l%x_ffffffff" % op, [addr])
            _expect_oob(inst, "l%x_1" % op, [0xFFFFFFFF])
        assert mem.read(PAGE - 16, 16) == tail


def test_stores_at_every_width_and_the_wrap_write_nothing():
    mod = _access_module()
    for label, cfg in configs():
        inst = wasi_micro.instantiate(mod, None, cfg)
        mem = inst.memory()
        mem.write(0, b"\x11" * 16)
        mem.write(PAGE - 16, b"\x22" * 16)
        for op, n, t in STORES:
            value = 0x0102030405060708 & ((1 << 8 * n) - 1)
            inst.invoke("s%x_0" % op, [PAGE - n, value])
            assert mem.read(PAGE - n, n) == value.to_bytes(n, "little"), (label, op)
            mem.write(PAGE - 16, b"\x22" * 16)
            for name, addr in (("s%x_0", PAGE - n + 1), ("s%x_0", 0xFFFFFFFF), ("s%x_1", PAGE - n),
                               ("s%x_ffffffff", 1), ("s%x_ffffffff", PAGE - 1),
                               ("s%x_10000", 0)):
                _expect_oob(inst, name % op, [addr, value])
            # a store that crosses the end writes none of its bytes; nothing wrapped to 0
            assert mem.read(PAGE - 16, 16) == b"\x22" * 16, (label, op)
            assert mem.read(0, 16) == b"\x11" * 16, (label, op)


def test_paged_limit_below_a_page():
    # Below one page: reads of untouched memory see zeros, writes past the limit's frames
    # stop with a LimitError (not a host MemoryError), and bounds are still the page's.
    inst = wasi_micro.instantiate(_access_module(), None, wasi_micro.Config(max_memory=2048))
    assert inst.invoke("l28_0", [PAGE - 4]) == [0]
    inst.invoke("s36_0", [0, 1])
    inst.invoke("s36_0", [1024, 2])
    e = support.raises(LimitError, inst.invoke, "s36_0", [PAGE - 4, 3])
    assert e.reason.startswith("out of memory")
    _expect_oob(inst, "s36_0", [PAGE - 3, 3])


# --- bulk memory ----------------------------------------------------------------------------

SEGMENT = b"0123456789"


def _bulk_module():
    m = B.Module()
    m.set_memory(1, 1)
    m.data(None, SEGMENT)
    args = B.get(0) + B.get(1) + B.get(2)
    ii = [B.I32, B.I32, B.I32]
    m.func(ii, [], args + B.fc(0x0B, 0), export="fill")
    m.func(ii, [], args + B.fc(0x0A, 0, 0), export="copy")
    m.func(ii, [], args + B.fc(0x08, 0, 0), export="init")
    m.func([], [], B.fc(0x09, 0), export="drop")
    return wasi_micro.load(m.bytes())


class _Model:
    """The spec's bulk memory semantics over a bytearray: bounds first, then the effect."""

    def __init__(self):
        self.mem = bytearray(PAGE)
        self.seg = SEGMENT

    def fill(self, d, v, n):
        if d + n > PAGE:
            return False
        self.mem[d:d + n] = bytes([v & 0xFF]) * n
        return True

    def copy(self, d, s, n):
        if s + n > PAGE or d + n > PAGE:
            return False
        self.mem[d:d + n] = self.mem[s:s + n]
        return True

    def init(self, d, s, n):
        if s + n > len(self.seg) or d + n > PAGE:
            return False
        self.mem[d:d + n] = self.seg[s:s + n]
        return True


BULK_CASES = (
    ("fill", 100, 0x41, 50), ("copy", 120, 100, 40), ("copy", 90, 100, 40),  # overlaps both ways
    ("copy", 100, 100, 30), ("init", 200, 2, 8), ("init", PAGE - 10, 0, 10),
    ("fill", PAGE, 7, 0), ("copy", PAGE, PAGE, 0), ("init", PAGE, 10, 0),  # zero at the end
    ("fill", PAGE + 1, 7, 0), ("copy", PAGE + 1, 0, 0), ("copy", 0, PAGE + 1, 0),
    ("init", PAGE + 1, 0, 0), ("init", 0, 11, 0), ("init", 0, 5, 6),
    ("fill", PAGE - 5, 9, 6), ("copy", PAGE - 5, 0, 6), ("copy", 0, PAGE - 5, 6),
    ("fill", 0xFFFFFFFF, 1, 2), ("copy", 0xFFFFFFF0, 0, 0x20), ("copy", 0, 0xFFFFFFF0, 0x20),
    ("fill", 1, 0, 0xFFFFFFFF), ("copy", 0, 1, 0xFFFFFFFF), ("init", 1, 0, 0xFFFFFFFF),
    ("fill", PAGE - 1, 0x5A, 1), ("copy", 0, PAGE - 60, 60), ("copy", PAGE - 30, 0, 30),
)


def _run_bulk(inst, model, cases):
    mem = inst.memory()
    for op, a, b, n in cases:
        ok = getattr(model, op)(a, b, n)
        if ok:
            inst.invoke(op, [a, b, n])
        else:
            _expect_oob(inst, op, [a, b, n])
        assert mem.read(0, PAGE) == bytes(model.mem), (op, a, b, n)


def test_bulk_memory_bounds_and_overlaps():
    mod = _bulk_module()
    for label, cfg in configs():
        if cfg is not None and cfg.max_memory < PAGE:
            continue  # (writes all over the page: the frames of a small limit run out)
        inst = wasi_micro.instantiate(mod, None, cfg)
        model = _Model()
        _run_bulk(inst, model, BULK_CASES)
        inst.invoke("drop", [])
        model.seg = b""
        _run_bulk(inst, model, (("init", 0, 0, 0), ("init", PAGE, 0, 0), ("init", 0, 0, 1),
                                ("init", 0, 1, 0)))


def test_bulk_memory_random_sequences():
    mod = _bulk_module()
    state = [12345]

    def rnd(n):
        state[0] = (state[0] * 1103515245 + 12345) & 0x7FFFFFFF
        return state[0] % n
    edges = (0, 1, 7, 64, PAGE - 64, PAGE - 8, PAGE - 1, PAGE, PAGE + 1, 0xFFFFFFFF)
    cases = []
    for _ in range(150):
        op = ("fill", "copy", "init")[rnd(3)]
        a = edges[rnd(len(edges))] if rnd(3) == 0 else rnd(PAGE)
        b = rnd(256) if op != "copy" else (edges[rnd(len(edges))] if rnd(3) == 0 else rnd(PAGE))
        if op == "init":
            b = rnd(12)
        n = (0, 1, 8, 100, 0xFFFFFFFF)[rnd(5)] if rnd(2) else rnd(12)
        cases.append((op, a, b, n))
    for label, cfg in configs()[:2]:
        _run_bulk(wasi_micro.instantiate(mod, None, cfg), _Model(), cases)


def _empty_memory_module():
    m = B.Module()
    m.set_memory(0, 2)
    m.data(None, b"xy")
    ii = [B.I32, B.I32, B.I32]
    args = B.get(0) + B.get(1) + B.get(2)
    m.func(ii, [], args + B.fc(0x0B, 0), export="fill")
    m.func(ii, [], args + B.fc(0x0A, 0, 0), export="copy")
    m.func(ii, [], args + B.fc(0x08, 0, 0), export="init")
    m.func([B.I32], [B.I32], B.get(0) + B.mem(0x2D, 0, 0), export="load8")
    m.func([B.I32], [], B.get(0) + B.i32(1) + B.mem(0x3A, 0, 0), export="store8")
    return wasi_micro.load(m.bytes())


def test_empty_memory_bulk_ops():
    # A memory of 0 pages: every access of one byte or more traps, zero-length ops at 0 work.
    mod = _empty_memory_module()
    for label, cfg in configs()[:2]:
        inst = wasi_micro.instantiate(mod, None, cfg)
        assert inst.memory().size == 0
        for op in ("fill", "copy", "init"):
            inst.invoke(op, [0, 0, 0])
            for args in ([0, 0, 1], [0, 7, 2], [1, 0, 0], [0xFFFFFFFF, 0, 1]):
                _expect_oob(inst, op, args)
        for addr in (0, 1, 0xFFFFFFFF):
            _expect_oob(inst, "load8", [addr])
            _expect_oob(inst, "store8", [addr])


# --- call_indirect --------------------------------------------------------------------------

def _indirect_module():
    m = B.Module()
    host = m.import_func("env", "h", [], [B.I32])
    m.set_table(5, 5)
    f = m.func([], [B.I32], B.i32(11))
    g = m.func([B.I64], [B.I32], B.i32(12))  # same results, other params
    h = m.func([], [B.I64], B.i64(13))
    ti = m.type([], [B.I32])
    m.func([B.I32], [B.I32], B.get(0) + b"\x11" + B.uleb(ti) + b"\x00", export="ci")
    m.elem(0, [f, g, h, host])  # slot 4 stays null
    return wasi_micro.load(m.bytes())


def test_call_indirect_forged_indices_and_types():
    calls = []
    host = wasi_micro.HostFunc(":i", lambda: calls.append(1) or 99)
    inst = wasi_micro.instantiate(_indirect_module(), {"env": {"h": host}})
    assert inst.invoke("ci", [0]) == [11]
    assert inst.invoke("ci", [3]) == [99] and calls == [1]
    for idx, reason in ((1, "indirect call type mismatch"), (2, "indirect call type mismatch"),
                        (4, "uninitialized element"), (5, "undefined element"),
                        (0x7FFFFFFF, "undefined element"), (0x80000000, "undefined element"),
                        (0xFFFFFFFF, "undefined element")):
        e = support.raises(Trap, inst.invoke, "ci", [idx])
        assert e.reason == reason, (idx, e)
    assert calls == [1]


# --- WASI calls with pointers outside memory ------------------------------------------------

_WASI = (("fd_write", 4), ("fd_read", 4), ("path_open", 9), ("random_get", 2),
         ("args_get", 2), ("fd_prestat_dir_name", 3))


def _wasi_module():
    m = B.Module()
    sigs = {"path_open": [B.I32] * 5 + [B.I64, B.I64, B.I32, B.I32]}
    for fn, n in _WASI:
        m.import_func("wasi_snapshot_preview1", fn, sigs.get(fn, [B.I32] * n), [B.I32])
    for idx in range(len(_WASI)):
        fn, n = _WASI[idx]
        body = b"".join(B.get(i) for i in range(n)) + b"\x10" + B.uleb(idx)
        m.func(sigs.get(fn, [B.I32] * n), [B.I32], body, export=fn)
    m.set_memory(1, 1)
    return wasi_micro.load(m.bytes())


def _wasi_guest(cfg, preopens=()):
    out = io.BytesIO()
    w = Wasi(["prog", "argument"], [], preopens, io.BytesIO(b"input data"), out, io.BytesIO())
    inst = wasi_micro.instantiate(_wasi_module(), w.imports(), cfg)
    w.bind(inst)
    return w, inst, out


def _iovec(mem, at, ptr, n):
    mem.write(at, ptr.to_bytes(4, "little") + n.to_bytes(4, "little"))


class _FullHeap:
    """An output stream whose write finds the host's heap full."""

    def write(self, data):
        raise MemoryError

    def flush(self):
        pass


def test_host_out_of_memory_in_a_wasi_call_is_a_trap():
    # Not ENOMEM to the guest: a Rust program then exits 71 with no message.
    for label, cfg in configs():
        w = Wasi(["prog"], [], (), io.BytesIO(b""), _FullHeap(), io.BytesIO())
        inst = wasi_micro.instantiate(_wasi_module(), w.imports(), cfg)
        w.bind(inst)
        mem = inst.memory()
        mem.write(100, b"hello")
        _iovec(mem, 0, 100, 5)
        e = support.raises(LimitError, inst.invoke, "fd_write", [1, 0, 1, 16])
        assert str(e) == "out of memory in fd_write", (label, str(e))


def test_wasi_pointers_outside_memory_are_efault():
    for label, cfg in configs():
        w, inst, out = _wasi_guest(cfg)
        mem = inst.memory()
        mem.write(100, b"hello")
        _iovec(mem, 0, 100, 5)
        assert inst.invoke("fd_write", [1, 0, 1, 16]) == [0] and out.getvalue() == b"hello"
        for buf, n in ((PAGE - 4, 5), (0xFFFFFFF0, 0x20), (0xFFFFFFFF, 1), (10, 0xFFFFFFFF),
                       (PAGE, 1)):
            _iovec(mem, 0, buf, n)
            assert inst.invoke("fd_write", [1, 0, 1, 16]) == [EFAULT], (label, buf, n)
        _iovec(mem, 0, 100, 5)
        for iovs, count, nw in ((PAGE - 4, 1, 16), (0, 0x20000000, 16), (0, 1, PAGE - 3),
                                (0, 1, 0xFFFFFFFE), (0xFFFFFFF8, 2, 16)):
            assert inst.invoke("fd_write", [1, iovs, count, nw]) == [EFAULT], (label, iovs)
        assert out.getvalue() == b"hello", label  # nothing more reached stdout
        before = mem.read(PAGE - 64, 64)
        _iovec(mem, 0, PAGE - 4, 8)
        assert inst.invoke("fd_read", [0, 0, 1, 16]) == [EFAULT], label
        assert inst.invoke("random_get", [PAGE - 2, 3]) == [EFAULT], label
        assert inst.invoke("random_get", [0xFFFFFFFF, 2]) == [EFAULT], label
        assert inst.invoke("args_get", [PAGE - 4, 0]) == [EFAULT], label
        assert inst.invoke("args_get", [0, PAGE - 8]) == [EFAULT], label
        assert mem.read(PAGE - 64, 64) == before, label
        w.close()


def test_wasi_paths_outside_memory_or_the_preopen():
    base = scratch()
    try:
        box = base + "/box"
        os.mkdir(box)
        for label, cfg in configs():
            w, inst, out = _wasi_guest(cfg, [(box, "/box")])
            mem = inst.memory()
            assert inst.invoke("fd_prestat_dir_name", [3, PAGE - 2, 4]) == [EFAULT]
            creat = 1  # O_CREAT
            for ptr, n in ((PAGE - 3, 8), (0xFFFFFFFF, 1), (10, 0xFFFFFFFF), (PAGE, 0)):
                r = inst.invoke("path_open", [3, 0, ptr, n, creat, 0x1FFFFFFF, 0x1FFFFFFF, 0,
                                              64])
                assert r != [0], (label, ptr, n, r)
            mem.write(100, b"x.txt")
            r = inst.invoke("path_open", [3, 0, 100, 5, creat, 0x1FFFFFFF, 0x1FFFFFFF, 0,
                                          PAGE - 2])
            assert r == [EFAULT], (label, r)
            for path in (b"../escape", b"/etc/passwd", b"a/../../escape"):
                mem.write(200, path)
                r = inst.invoke("path_open", [3, 0, 200, len(path), creat, 0x1FFFFFFF,
                                              0x1FFFFFFF, 0, 64])
                assert r[0] in REFUSED, (label, path, r)
            w.close()
        assert sorted(os.listdir(base)) == ["box"]  # nothing created outside the preopen
    finally:
        rmtree(base)


# --- no data lost when a guest exits or traps -------------------------------------------------

def _writer_module(ending):
    """_start: open out.txt in preopen 3, write 40000 bytes of memory in two calls, then end
    the way `ending` says, without closing the file."""
    m = B.Module()
    po = m.import_func("wasi_snapshot_preview1", "path_open",
                       [B.I32] * 5 + [B.I64, B.I64, B.I32, B.I32], [B.I32])
    fw = m.import_func("wasi_snapshot_preview1", "fd_write", [B.I32] * 4, [B.I32])
    ex = m.import_func("wasi_snapshot_preview1", "proc_exit", [B.I32], [])
    m.set_memory(1, 1)
    m.data(0, b"out.txt")
    m.data(16, (1000).to_bytes(4, "little") + (20000).to_bytes(4, "little") +
           (21000).to_bytes(4, "little") + (20000).to_bytes(4, "little"))
    body = (B.i32(3) + B.i32(0) + B.i32(0) + B.i32(7) + B.i32(9) + B.i64(-1) + B.i64(-1) +
            B.i32(0) + B.i32(32) + b"\x10" + B.uleb(po) + b"\x1a" +
            # memory 1000..41000 <- a pattern, then fd_write(fd, iovs 16, 2, 40)
            B.i32(1000) + B.i32(0x61) + B.i32(40000) + B.fc(0x0B, 0) +
            B.i32(20000) + B.i32(0x62) + B.i32(1000) + B.fc(0x0B, 0) +
            B.i32(32) + B.mem(0x28, 0, 2) + B.i32(16) + B.i32(2) + B.i32(40) +
            b"\x10" + B.uleb(fw) + b"\x1a")
    if ending == "exit":
        body += B.i32(7) + b"\x10" + B.uleb(ex)
    elif ending == "trap":
        body += b"\x00"
    m.func([], [], body, export="_start")
    return m.bytes()


def test_files_are_complete_after_exit_trap_or_return():
    want = b"a" * 19000 + b"b" * 1000 + b"a" * 20000
    for ending in ("exit", "trap", "return"):
        for label, cfg in configs()[:2]:
            base = scratch()
            try:
                data = _writer_module(ending)
                out = io.BytesIO()
                if ending == "trap":
                    e = support.raises(Trap, run_command, data, ["w"], [], [(base, "/")],
                                       None, out, out, cfg)
                    assert e.reason == "unreachable"
                else:
                    status = run_command(data, ["w"], [], [(base, "/")], None, out, out, cfg)
                    assert status == (7 if ending == "exit" else 0), (ending, status)
                with open(base + "/out.txt", "rb") as f:
                    got = f.read()
                assert got == want, (ending, label, len(got))
            finally:
                rmtree(base)
