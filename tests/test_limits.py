# Every resource limit stops a hostile module with its own named error: fuel, deadline, call
# depth, value stack, linear memory (also below one page), tables, module size, function
# count, locals (a locals bomb allocates nothing), data and element segment sizes; and the
# command line's limit options reach Config.
import support
import wasi_micro
from host_tools import wasmbuild as B
from wasi_micro import __main__ as cli
from wasi_micro.config import Config
from wasi_micro.errors import Exhaustion, LimitError, MalformedError, Trap
from wasi_micro.loader import load


def _spin():
    """spin(): an endless loop; count(n): a loop of n iterations."""
    m = B.Module()
    m.func([], [], b"\x03\x40\x0c\x00\x0b", export="spin")
    m.func([B.I32], [], b"\x03\x40" + B.get(0) + B.i32(1) + b"\x6b\x22\x00\x0d\x00\x0b",
           export="count")
    return wasi_micro.load(m.bytes())


def _limit(fn, *args):
    """The LimitError fn raises (a Trap, and not an Exhaustion)."""
    e = support.raises(LimitError, fn, *args)
    assert isinstance(e, Trap) and not isinstance(e, Exhaustion)
    return e


def test_fuel():
    inst = wasi_micro.instantiate(_spin(), None, Config(fuel=5000))
    inst.invoke("count", [1000])  # within the budget
    e = _limit(inst.invoke, "spin", [])
    assert e.reason == "all fuel consumed" and e.func == "wasm-function[0]"
    assert str(e) == "all fuel consumed in wasm-function[0]"
    inst = wasi_micro.instantiate(_spin(), None, Config(fuel=5000))
    e = _limit(inst.invoke, "count", [100000])
    assert e.reason == "all fuel consumed"


def test_deadline():
    from wasi_micro.compat import ticks_us
    inst = wasi_micro.instantiate(_spin(), None, Config(deadline=0.3))
    t = ticks_us()
    e = _limit(inst.invoke, "spin", [])
    took = (ticks_us() - t) / 1e6
    assert e.reason == "deadline exceeded" and e.func == "wasm-function[0]"
    assert 0.3 <= took < 10, took


def test_deadline_with_driver_round_trips():
    # Loops whose every iteration leaves the dispatch loop (memory.grow, a host call) must
    # still meet the deadline; fuel (minutes of it) is only a backstop so the test ends.
    m = B.Module()
    m.import_func("env", "h", [], [])
    m.set_memory(1)
    m.func([], [], b"\x03\x40" + B.i32(0) + b"\x40\x00\x1a\x0c\x00\x0b", export="grow")
    m.func([], [], b"\x03\x40\x10\x00\x0c\x00\x0b", export="host")
    mod = wasi_micro.load(m.bytes())
    imports = {"env": {"h": wasi_micro.HostFunc(":", lambda: None)}}
    for name in ("grow", "host"):
        inst = wasi_micro.instantiate(mod, imports, Config(deadline=0.2, fuel=10 ** 7))
        e = _limit(inst.invoke, name, [])
        assert e.reason == "deadline exceeded", e


def test_deadline_bounds_poll_oneoff():
    # A guest sleeping in poll_oneoff (a 3 s clock subscription) under a 0.3 s deadline.
    import io
    from wasi_micro.compat import ticks_us
    from wasi_micro.wasi import Wasi
    m = B.Module()
    po = m.import_func("wasi_snapshot_preview1", "poll_oneoff", [B.I32] * 4, [B.I32])
    m.set_memory(1)
    m.data(0, bytes(16) + b"\x01" + bytes(7) + (3 * 10 ** 9).to_bytes(8, "little") + bytes(16))
    m.func([], [], B.i32(0) + B.i32(64) + B.i32(1) + B.i32(128) + b"\x10" + B.uleb(po) +
           b"\x1a\x03\x40\x0c\x00\x0b", export="nap")
    w = Wasi(["p"], [], [], io.BytesIO(), io.BytesIO(), io.BytesIO())
    inst = wasi_micro.instantiate(wasi_micro.load(m.bytes()), w.imports(), Config(deadline=0.3))
    w.bind(inst)
    t = ticks_us()
    e = _limit(inst.invoke, "nap", [])
    took = (ticks_us() - t) / 1e6
    assert e.reason == "deadline exceeded"
    assert took < 2, took  # (the sleep was 3 s before fuzz_bugs.md #3 was fixed)


def _recursive():
    """down(n): calls itself n deep."""
    m = B.Module()
    m.func([B.I32], [], B.get(0) + b"\x04\x40" + B.get(0) + B.i32(1) + b"\x6b\x10\x00\x0b",
           export="down")
    return wasi_micro.load(m.bytes())


def test_call_depth():
    inst = wasi_micro.instantiate(_recursive(), None, Config(call_depth=50))
    inst.invoke("down", [45])
    e = support.raises(Exhaustion, inst.invoke, "down", [60])
    assert e.reason == "call stack exhausted" and e.func == "wasm-function[0]"
    inst.invoke("down", [45])  # the instance is usable after an exhaustion


def test_value_stack():
    # A function with 600 i64 locals (1200 register slots) fits 4096 slots three times over.
    m = B.Module()
    locs = [B.I64] * 600
    m.func([B.I32], [], B.get(0) + b"\x04\x40" + B.get(0) + B.i32(1) + b"\x6b\x10\x00\x0b",
           locs, export="down")
    mod = wasi_micro.load(m.bytes())
    inst = wasi_micro.instantiate(mod, None, Config(stack_slots=4096))
    inst.invoke("down", [2])
    e = support.raises(Exhaustion, inst.invoke, "down", [5])
    assert e.reason == "value stack exhausted"


def _memory_module(lo, hi=None):
    m = B.Module()
    m.set_memory(lo, hi)
    m.func([B.I32], [B.I32], B.get(0) + b"\x40\x00", export="grow")
    m.func([B.I32, B.I32], [], B.get(0) + B.get(1) + B.mem(0x36, 0, 2), export="store")
    m.func([B.I32, B.I32, B.I32], [], B.get(0) + B.get(1) + B.get(2) + B.fc(0x0B, 0),
           export="fill")
    return wasi_micro.load(m.bytes())


def test_linear_memory():
    mod = _memory_module(1)
    inst = wasi_micro.instantiate(mod, None, Config(max_memory=3 * 65536))
    assert inst.invoke("grow", [2]) == [1]
    assert inst.invoke("grow", [1]) == [0xFFFFFFFF]  # a 4th page is past the limit
    assert inst.invoke("grow", [0x10000]) == [0xFFFFFFFF]
    assert inst.memory().size == 3 * 65536
    inst.invoke("fill", [0, 1, 3 * 65536])  # every byte of the limit can be used


def test_linear_memory_below_one_page():
    inst = wasi_micro.instantiate(_memory_module(1), None, Config(max_memory=3000))
    assert inst.invoke("grow", [1]) == [0xFFFFFFFF]
    inst.invoke("store", [0, 1])
    inst.invoke("store", [1024, 2])  # two 1 KiB frames of the 2 that fit in 3000 bytes
    e = _limit(inst.invoke, "store", [4096, 3])
    assert e.reason.startswith("out of memory") and e.func is not None
    e = _limit(inst.invoke, "fill", [8192, 7, 100])
    assert e.reason.startswith("out of memory")


def test_memory_declared_past_the_limit():
    # The declared size is address space, not RAM: only frames written cost memory (and the
    # page table: 4 bytes per KiB of address space, 16 MB for 4 GiB under MicroPython, where a
    # fragmented heap may refuse it with the same clean LimitError).
    import gc
    for pages in (32768, 65535, 65536):
        inst = None
        gc.collect()
        try:
            inst = wasi_micro.instantiate(_memory_module(pages), None, Config(max_memory=4096))
        except LimitError as e:
            if support.IS_MICROPYTHON and e.reason.startswith("out of memory"):
                continue
            raise
        top = pages << 16
        assert inst.memory().size == top
        inst.invoke("store", [top - 4, 5])  # (trapped past 2 GiB: fuzz_bugs.md #2, fixed)
        assert inst.memory().read(top - 4, 4) == b"\x05\x00\x00\x00"
        support.raises(Trap, inst.invoke, "store", [top - 3, 5])


def _table_module(lo, hi=None):
    m = B.Module()
    m.set_table(lo, hi)
    m.func([B.I32], [B.I32], b"\xd0\x70" + B.get(0) + B.fc(0x0F, 0), export="grow")
    return m.bytes()


def test_table_size():
    inst = wasi_micro.instantiate(wasi_micro.load(_table_module(10)), None, Config(max_table=100))
    assert inst.invoke("grow", [90]) == [10]
    assert inst.invoke("grow", [1]) == [0xFFFFFFFF]
    assert inst.invoke("grow", [0xFFFFFFFF]) == [0xFFFFFFFF]
    e = _limit(wasi_micro.instantiate, wasi_micro.load(_table_module(101)), None,
               Config(max_table=100))
    assert e.reason == "table size limit exceeded"


def test_table_bomb_uses_the_default_limit():
    # 5 bytes of table type ask for 2**32 - 1 elements: refused, not allocated.
    e = _limit(wasi_micro.instantiate, wasi_micro.load(_table_module(0xFFFFFFFF)))
    assert e.reason == "table size limit exceeded"
    assert Config().max_table == 1 << 20


def test_module_size():
    data = _table_module(1)
    load(data, Config(max_module=len(data)))
    e = _limit(load, data, Config(max_module=len(data) - 1))
    assert e.reason == "module size limit exceeded"


def _funcs_module(imported, defined):
    m = B.Module()
    for i in range(imported):
        m.import_func("env", "f%d" % i, [], [])
    for i in range(defined):
        m.func([], [], b"")
    return m.bytes()


def test_function_count():
    load(_funcs_module(2, 3), Config(max_functions=5))
    for imported, defined in ((2, 4), (6, 0), (0, 6)):
        e = _limit(load, _funcs_module(imported, defined), Config(max_functions=5))
        assert e.reason == "function count limit exceeded"


def _locals_module(groups):
    body = B.vec([B.uleb(n) + bytes([t]) for n, t in groups]) + b"\x0b"
    return (b"\x00asm\x01\x00\x00\x00" + B.section(1, B.vec([b"\x60\x00\x00"])) +
            B.section(3, B.vec([b"\x00"])) + B.section(10, B.vec([B.uleb(len(body)) + body])))


def test_locals():
    m = load(_locals_module([(100, B.I32)]), Config(max_locals=100))
    assert len(m.codes[0].locals) == 100
    e = _limit(load, _locals_module([(60, B.I32), (41, B.I64)]), Config(max_locals=100))
    assert e.reason == "too many locals"
    assert Config().max_locals == 50000


def test_locals_bomb_allocates_nothing():
    # A few bytes declaring billions of locals are refused by counting, before any allocation
    # (a bytes of 4e9 value types would be a MemoryError, not these errors).
    e = _limit(load, _locals_module([(0xFFFFFFF0, B.I64)]))
    assert e.reason == "too many locals"
    e = _limit(load, _locals_module([(0x7FFFFFFF, B.I32)] * 1 + [(50000, B.I32)]))
    assert e.reason == "too many locals"
    e = support.raises(MalformedError, load, _locals_module([(0xFFFFFFFF, B.I32)] * 2))
    assert e.msg == "too many locals"


def test_locals_bomb_across_functions():
    # 2000 functions of 8 bytes, each declaring 49999 i64 locals (under the per-function
    # limit): 100 MB of locals from a 16 KB module, unless the module-wide limit stops it.
    body = B.vec([B.uleb(49999) + bytes([B.I64])]) + b"\x0b"
    n = 2000
    data = (b"\x00asm\x01\x00\x00\x00" + B.section(1, B.vec([b"\x60\x00\x00"])) +
            B.section(3, B.vec([b"\x00"] * n)) +
            B.section(10, B.vec([B.uleb(len(body)) + body] * n)))
    e = _limit(load, data)
    assert e.reason == "too many locals in the module"
    assert Config().max_all_locals == 1 << 20
    m = load(_locals_module([(60, B.I32)]), Config(max_all_locals=60))
    assert len(m.codes[0].locals) == 60
    e = _limit(load, _locals_module([(61, B.I32)]), Config(max_all_locals=60))
    assert e.reason == "too many locals in the module"


def _segments_module(data_len, elem_len):
    m = B.Module()
    m.set_memory(1)
    m.set_table(elem_len)
    f = m.func([], [], b"")
    m.data(0, b"x" * data_len)
    m.elem(0, [f] * elem_len)
    return m.bytes()


def test_element_items_cost_no_object_each():
    # A passive segment of 100000 one-byte function indices: without max_segment it loads,
    # and its items are kept as the indices in a word array, not a list + tuple each.
    m = B.Module()
    m.func([], [], b"")
    m.func([], [], b"")
    n = 100000
    m.elems.append(b"\x01\x00" + B.uleb(n) + b"\x00\x01" * (n // 2))
    items = load(m.bytes()).elems[0].items
    assert len(items) == n and items[0] == [(0xD2, 0)] and items[1] == [(0xD2, 1)]
    assert len(items.imms) == n and items.imms[n - 1] == 1 and not items.other


def test_segment_sizes():
    cfg = Config(max_segment=64)
    load(_segments_module(64, 64), cfg)
    e = _limit(load, _segments_module(65, 1), cfg)
    assert e.reason == "data segment size limit exceeded"
    e = _limit(load, _segments_module(1, 65), cfg)
    assert e.reason == "element segment size limit exceeded"


def test_reentry_across_instances_is_exhaustion():
    # A calls B's function through its table, B calls A back: an endless host <-> wasm
    # re-entry that only a nesting limit stops (it was a RecursionError: fuzz_bugs.md #1).
    a = B.Module()
    ti = a.type([], [])
    a.set_table(1, None, export="t")
    a.func([], [], B.i32(0) + b"\x11" + B.uleb(ti) + b"\x00", export="a")
    b = B.Module()
    b.imports.append(B.name("A") + B.name("t") + b"\x01\x70\x00\x01")
    b.import_func("A", "a", [], [])
    fb = b.func([], [], b"\x10\x00")
    b.elem(0, [fb])
    store = wasi_micro.Store()
    ia = wasi_micro.instantiate(wasi_micro.load(a.bytes()), None, None, store)
    wasi_micro.instantiate(wasi_micro.load(b.bytes()), {"A": ia.exports}, None, store)
    e = support.raises(Exhaustion, ia.invoke, "a", [])
    assert e.reason == "call stack exhausted"


def test_cli_limit_options():
    prog, args, env, dirs, limits = cli.parse(
        ["run", "--fuel", "10", "--max-memory=4096", "--deadline", "0.5", "--call-depth", "64",
         "--stack-slots", "2048", "--max-table", "100", "--max-module", "1000",
         "--max-functions", "20", "--max-locals", "30", "--max-all-locals", "50",
         "--max-segment", "40", "p.wasm", "x"])
    assert (prog, args) == ("p.wasm", ["p.wasm", "x"])
    assert limits == {"fuel": 10, "max_memory": 4096, "deadline": 0.5, "call_depth": 64,
                      "stack_slots": 2048, "max_table": 100, "max_module": 1000,
                      "max_functions": 20, "max_locals": 30, "max_all_locals": 50,
                      "max_segment": 40}
    cfg = Config(**limits)
    assert (cfg.deadline, cfg.call_depth, cfg.max_segment) == (0.5, 64, 40)
    for bad in (["--deadline", "0", "p"], ["--deadline", "x", "p"], ["--call-depth", "0", "p"],
                ["--max-table", "-1", "p"], ["--fuel", "1.5", "p"]):
        support.raises(cli._Usage, cli.parse, bad)
