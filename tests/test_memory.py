# Linear memory: flat and paged (max_memory) layouts behave the same to the guest and the host;
# paged memory maps 1 KiB frames on first write, reads unmapped pages as zero, and traps with a
# LimitError past its limit.
import support
import wasi_micro
from wasi_micro.compat import SPLIT_FRAMES
from wasi_micro.errors import LimitError, Trap
from wasi_micro.memory import Memory
from wasi_micro.module import Limits


def both(pages=1, limit=8192, maxp=None):
    return Memory(Limits(pages, maxp)), Memory(Limits(pages, maxp), limit)


def test_paged_reads_zero_and_maps_on_write():
    flat, paged = both()
    assert paged.size == flat.size == 65536
    assert paged.read(60000, 8) == bytes(8) and paged.used == 0
    for m in (flat, paged):
        m.write(1020, b"abcdefgh")  # crosses a frame boundary
        m.write(65530, b"xyz")
    assert paged.used == 3 * 1024
    assert flat.read(1016, 16) == paged.read(1016, 16)
    assert paged.read(65528, 8) == bytes(2) + b"xyz" + bytes(3)
    paged.fill(30000, 0, 5000)  # zeros need no frames
    assert paged.used == 3 * 1024
    for m in (flat, paged):
        m.fill(2040, 7, 20)
        m.copy(1000, 1020, 30)
    assert flat.read(0, 4096) == paged.read(0, 4096)


def test_frames_take_only_what_is_written():
    # MicroPython: one 1 KiB bytearray a written page, no arena; plain Python: one arena that
    # grows as frames are handed out, never past the limit.
    m = Memory(Limits(1), 32768)
    m.write(4096, b"a")
    m.write(40000, b"b")
    assert m.used == 2048
    if SPLIT_FRAMES:
        assert m.arena is None and sorted(m.frames) == [4, 39]
        assert [len(f) for f in m.frames.values()] == [1024, 1024] and m.frames[4][0] == ord("a")
    else:
        assert m.frames is None and 2048 <= len(m.arena) <= 32768
    for i in range(31):  # pages 0-30 and 39: the limit's 32 frames
        m.write(i * 1024 + 100, b"c")
    assert m.used == 32768
    support.raises(LimitError, m.write, 31 * 1024, b"d")
    assert m.read(4096, 1) == b"a" and m.read(40000, 1) == b"b" and m.read(31 * 1024, 1) == b"\0"


def test_bounds_and_view():
    flat, paged = both()
    for m in (flat, paged):
        support.raises(IndexError, m.read, 65535, 2)
        support.raises(IndexError, m.write, 65536, b"a")
    v = paged.buf
    assert len(v) == 65536
    v[5] = 9
    v[10:13] = b"abc"
    assert v[5] == 9 and v[10:13] == b"abc" and paged.read(9, 5) == b"\x00abc\x00"


def test_paged_limit_is_a_clean_error():
    m = Memory(Limits(1), 2048)
    m.write(0, b"a")
    m.write(5000, b"b")
    e = support.raises(LimitError, m.write, 9000, b"c")
    assert isinstance(e, Trap) and \
        e.reason == "out of memory: linear memory needs more than its 2 KiB (max_memory)"


def test_no_heap_for_a_page_is_a_clean_error_saying_so():
    m = Memory(Limits(1), 8192)
    m.write(0, b"a")
    if m.frames is None:  # one arena (plain Python), taken whole: as if it had to grow
        m.arena = memoryview(m.arena)[:1024]
    import wasi_micro.memory as mm

    def full(n):
        raise MemoryError
    mm.bytearray = full
    try:
        e = support.raises(LimitError, m.write, 5000, b"b")
    finally:
        del mm.bytearray
    assert e.reason == "out of memory: the heap has no room for another page of linear " \
        "memory (1 KiB mapped)", e.reason


def test_grow_respects_limit_and_max():
    flat, paged = both(1, 100000, 4)
    assert paged.grow(1) == -1  # 2 pages exceed the 100000-byte limit
    assert flat.grow(3) == 1 and flat.grow(1) == -1  # the declared max
    assert flat.size == 4 * 65536
    small = Memory(Limits(0, None, 0), 100)  # custom page size 1
    assert small.grow(50) == 0 and small.size == 50 and small.grow(51) == -1


def _guest():
    # A module storing and loading across frame boundaries, growing memory, and filling.
    with open(support.module_path("memory_pages.wasm"), "rb") as f:
        return wasi_micro.load(f.read())


def test_guest_on_flat_and_paged_memory():
    m = _guest()
    results = []
    for cfg in (None, wasi_micro.Config(max_memory=16384)):
        inst = wasi_micro.instantiate(m, None, cfg)
        results.append([inst.invoke("probe", [a]) for a in (0, 1021, 1023, 4093, 65528)])
    assert results[0] == results[1], results


def test_guest_past_limit_traps():
    inst = wasi_micro.instantiate(_guest(), None, wasi_micro.Config(max_memory=4096))
    e = support.raises(LimitError, inst.invoke, "touch", [20])  # 20 pages of 1 KiB
    assert e.reason.startswith("out of memory") and e.func is not None


def _page_size_one(limits):
    # The custom-page-sizes proposal: memory limits flag 0x08 and log2(page size) = 0.
    from host_tools.wasmbuild import codes, func_sec, mem_sec, module, name, section as sec, \
        type_sec, uleb as leb, vec
    types = type_sec((b"", b"\x7f"), (b"\x7f", b"\x7f"), (b"\x7f\x7f", b""))
    exports = sec(7, vec([name(b"size") + b"\x00\x00", name(b"grow") + b"\x00\x01",
                          name(b"load") + b"\x00\x02", name(b"store") + b"\x00\x03"]))
    bodies = (b"\x3f\x00\x0b", b"\x20\x00\x40\x00\x0b", b"\x20\x00\x2d\x00\x00\x0b",
              b"\x20\x00\x20\x01\x3a\x00\x00\x0b")
    return module(types, func_sec(0, 1, 1, 2), mem_sec(limits), exports, codes(*bodies))


def test_custom_page_size_one():
    # 100 one-byte pages, at most 200: bounds are exact to the byte.
    data = _page_size_one(b"\x09\x64\xc8\x01\x00")
    for cfg in (None, wasi_micro.Config(max_memory=170)):
        inst = wasi_micro.instantiate(wasi_micro.load(data), None, cfg)
        assert inst.invoke("size") == [100]
        inst.invoke("store", [99, 7])
        assert inst.invoke("load", [99]) == [7]
        support.raises(Trap, inst.invoke, "load", [100])
        assert inst.invoke("grow", [50]) == [100] and inst.invoke("size") == [150]
        inst.invoke("store", [149, 8])
        assert inst.invoke("load", [149]) == [8]
        # 201 pages exceed the declared max; with max_memory=170, 171 exceed the limit.
        assert inst.invoke("grow", [51 if cfg is None else 21]) == [0xFFFFFFFF]
        assert inst.invoke("grow", [50 if cfg is None else 20]) == [150]


# --- growth: a flat arena keeps headroom (CPython: the whole maximum, mapped lazily;
# MicroPython: doubling), so bounds must come from the size, never the arena's length ---

def _grower():
    from host_tools.wasmbuild import I32, I64, Module, fc, mem
    m = Module()
    get = b"\x20\x00\x20\x01\x20\x02"
    m.func([I32], [I32], b"\x20\x00\x40\x00", export="grow")
    m.func([], [I32], b"\x3f\x00", export="size")
    m.func([I32], [I32], b"\x20\x00" + mem(0x2D), export="load8")
    m.func([I32], [I32], b"\x20\x00" + mem(0x28, 0, 2), export="load32")
    m.func([I32], [I64], b"\x20\x00" + mem(0x29, 0, 3), export="load64")
    m.func([I32, I32], [], b"\x20\x00\x20\x01" + mem(0x3A), export="store8")
    m.func([I32, I64], [], b"\x20\x00\x20\x01" + mem(0x37, 0, 3), export="store64")
    m.func([I32, I32, I32], [], get + fc(11, 0), export="fill")
    m.func([I32, I32, I32], [], get + fc(10, 0, 0), export="copy")
    m.func([I32, I32, I32], [], get + fc(8, 0, 0), export="init")
    m.set_memory(1)
    m.data(None, b"abcd")
    return wasi_micro.load(m.bytes())


def _traps(inst, name, *args):
    e = support.raises(Trap, inst.invoke, name, list(args))
    assert e.reason == "out of bounds memory access", (name, args, e.reason)


def test_grown_memory_traps_at_its_size_not_its_arena():
    inst = wasi_micro.instantiate(_grower(), None, None)
    inst.invoke("store64", [8, 0x1122334455667788])
    assert inst.invoke("grow", [1]) == [1] and inst.invoke("grow", [1]) == [2]
    mem = inst.memory_obj
    size = mem.size
    assert size == 3 * 65536 and inst.invoke("size") == [3]
    assert len(mem.arena) > size  # headroom: the next grow need not move the arena
    assert inst.invoke("load64", [8]) == [0x1122334455667788]  # kept across the moves
    assert inst.invoke("load64", [size - 8]) == [0]  # new pages are zero
    for name, n in (("load8", 1), ("load32", 4), ("load64", 8)):
        inst.invoke(name, [size - n])
        _traps(inst, name, size - n + 1)
    inst.invoke("store8", [size - 1, 5])
    _traps(inst, "store8", size, 5)
    _traps(inst, "store64", size - 7, -1)
    inst.invoke("fill", [size - 1, 7, 1])
    inst.invoke("fill", [size, 7, 0])
    _traps(inst, "fill", size - 1, 7, 2)
    _traps(inst, "fill", size + 1, 7, 0)
    inst.invoke("copy", [size - 2, 8, 2])
    _traps(inst, "copy", size - 1, 8, 2)
    _traps(inst, "copy", 8, size - 1, 2)
    inst.invoke("init", [size - 3, 1, 2])
    _traps(inst, "init", size - 1, 0, 2)
    assert mem.read(size - 4, 4) == b"\0bc\x77"
    for f, args in ((mem.read, (size, 1)), (mem.write, (size, b"x")), (mem.fill, (size, 1, 1)),
                    (mem.copy, (size - 1, 0, 2))):
        support.raises(IndexError, f, *args)
    buf = mem.buf
    assert len(buf) == size and buf[size - 1] == 0x77
    support.raises(IndexError, lambda: buf[size])
    assert bytes(mem.arena[size:size + 64]) == bytes(64)  # no trapped write landed past size
    assert inst.invoke("grow", [65534]) == [0xFFFFFFFF]  # past 4 GiB: -1, nothing changes
    assert mem.size == size and len(mem.buf) == size and inst.invoke("grow", [0]) == [3]


def test_one_page_grows_seldom_move_the_arena():
    # Growth is amortised: a thousand one-byte pages (custom page size 1) and eight 64 KiB ones
    # move the arena and the page table at most log2(n) + 1 times (doubling), not once a grow.
    for limits, n, moves in ((Limits(0, None, 0), 1000, 11), (Limits(0), 8, 4)):
        m = Memory(limits)
        arenas = tables = 0
        for i in range(n):
            arena, table = m.arena, m.ptab
            assert m.grow(1) == i
            arenas += m.arena is not arena
            tables += m.ptab is not table
            m.write(m.size - 1, bytes((i & 0xFF,)))
            assert len(m.buf) == m.size
        assert arenas <= moves and tables <= moves, (limits.page_log2, arenas, tables)
        step = 1 << limits.page_log2
        assert m.read(step - 1, 1) == b"\0" and m.read(m.size - 1, 1) == bytes(((n - 1) & 0xFF,))
        if step == 1:
            assert m.read(0, n) == bytes(i & 0xFF for i in range(n))


def test_headroom_stays_within_max_and_limit():
    m = Memory(Limits(1, 3))
    while m.grow(1) != -1:
        assert m.size <= len(m.arena) <= 3 * 65536
    assert m.size == 3 * 65536
    small = Memory(Limits(0, None, 0), 100)  # page size 1, a limit below one frame: flat
    for i in range(100):
        assert small.grow(1) == i and len(small.arena) <= 100
    assert small.grow(1) == -1 and small.size == 100


def test_declared_4gib_memory():
    # CPython maps it lazily (RAM only as written: host_tools.bench measures it); MicroPython's
    # heap cannot hold it: a clean out-of-memory error.
    if support.IS_MICROPYTHON:
        e = support.raises(LimitError, Memory, Limits(65536))
        assert e.reason.startswith("out of memory")
        return
    m = Memory(Limits(65536))
    top = 1 << 32
    m.write(top - 8, b"abcdefgh")
    m.write(1 << 31, b"z")
    assert m.read(top - 8, 8) == b"abcdefgh" and m.read(0, 8) == bytes(8)
    assert m.read((1 << 31) - 1, 3) == b"\0z\0" and len(m.buf) == top
    support.raises(IndexError, m.read, top - 7, 8)
    assert m.grow(1) == -1 and m.grow(0) == 65536


class _Reader:
    # A file whose readinto records what it was handed.
    def __init__(self, data):
        self.data = data
        self.got = None

    def readinto(self, b):
        self.got = b
        b[:len(self.data)] = self.data
        return len(self.data)


def test_wasi_reads_into_a_grown_memory_in_place():
    # A grown flat memory's buf may be a memoryview of a longer arena: WASI reads into it
    # directly, not through a temporary as big as the read.
    from wasi_micro.wasi_abi import read_into, window
    m = Memory(Limits(1))
    m.grow(1)
    m.grow(1)
    buf = m.buf
    assert len(buf) == m.size == 3 * 65536
    f = _Reader(b"hello")
    assert read_into(f, buf, m.size - 5, 5) == 5
    assert not isinstance(f.got, bytearray) and m.read(m.size - 5, 5) == b"hello"
    w = window(buf, m.size - 5, 5)
    assert bytes(w) == b"hello" and not isinstance(w, bytes)


def test_paged_grow_without_host_memory_for_its_table_traps():
    # Within the limit but no heap for the longer page table: "out of memory", not -1 (which a
    # wasi-libc program answers by exiting 71 with no message); the memory is as it was.
    m = Memory(Limits(1), 1 << 20)
    m.write(100, b"abc")
    table = m.ptab

    def full(size, old):
        raise MemoryError
    m._table = full
    e = support.raises(LimitError, m.grow, 1)
    assert e.reason == "out of memory: the heap has no room for the page table of 128 KiB of " \
        "linear memory"
    assert (m.pages, m.ptab, m.read(100, 3)) == (1, table, b"abc")


def test_grow_with_less_host_memory_than_headroom():
    # A host with room only for what is asked still grows (no headroom); one with no room
    # returns -1 and leaves the memory as it was.
    from wasi_micro import memory
    real = memory.new_arena
    asked = []

    def exact_only(n):
        asked.append(n)
        if n > want[0]:
            raise MemoryError
        return real(n)
    want = [65536]
    try:
        memory.new_arena = exact_only
        m = Memory(Limits(1))
        m.write(65530, b"abcdef")
        want[0] = 2 * 65536
        assert m.grow(1) == 1 and len(m.arena) == m.size == 2 * 65536
        assert asked[-1] == 2 * 65536
        assert m.read(65530, 6) == b"abcdef" and m.read(65536, 8) == bytes(8)
        want[0] = 0
        arena, table, buf = m.arena, m.ptab, m.buf
        assert m.grow(1) == -1
        assert (m.size, m.pages) == (2 * 65536, 2) and m.arena is arena and m.ptab is table
        assert m.buf is buf and m.read(65530, 6) == b"abcdef"
        support.raises(IndexError, m.read, 2 * 65536, 1)
    finally:
        memory.new_arena = real
