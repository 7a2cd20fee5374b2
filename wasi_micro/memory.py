# Linear memory as pages mapped through a page table.
#
# Without a limit the memory is flat: one arena holds the whole memory and the table maps page i
# to offset i << 16. The arena may be longer than the memory (bounds are checked against `size`,
# never the arena's length), so that a grow seldom moves it: under CPython it is an anonymous
# mmap of the memory's maximum (compat.new_arena), address space whose pages the OS zeroes when
# first touched, so a declared memory takes RAM only as the guest writes it and no grow copies;
# MicroPython's is a bytearray that doubles (a grow costs amortised O(pages grown)).
# With a limit (`max_memory`, for boards) at most that many bytes are
# held, in 1 KiB frames mapped on the first write to a page; pages never written read as zeros
# and take no frame. So a C program whose 64 KiB page it mostly never touches runs in a few KiB
# of RAM. On MicroPython each frame is a bytearray of its own (compat.SPLIT_FRAMES): RAM only for
# the frames in use, and no block bigger than a frame (a plain ESP32 cannot allocate 64 KiB in one
# piece; a board's heap seldom has one free block as big as the limit). Plain Python keeps the
# frames in one arena.
# The loop reads memory at `view` + table entry - 1 + the offset in the page: `view` is the arena
# (entries are arena offsets + 1), or, with split frames, a base address (entries are a frame's
# address - base + 1). 0 is unmapped.
# A paged memory takes the active data segments of a module loaded from its file (detached) as
# pieces of that file (defer): a page gets its frame and its bytes when it is first touched, read
# or written, so a board holds only the data a run uses (a Rust program's 20-35 KiB of read-only
# data is mostly formatting and Unicode tables it never reads).
from array import array

from .compat import RESERVE_MAX, SPLIT_FRAMES, address, collect, const, crc32, new_arena, \
    new_words
from .errors import LimitError, MODULE_CHANGED, OUT_OF_MEMORY, Trap

_MAX_PAGES = const(65536)
_FLAT_SHIFT = const(16)
_FRAME_SHIFT = const(10)
_FIRST_ARENA = const(8192)
_WHOLE = const(65536)
_CHUNK = const(4096)  # bulk ops on the host side go in chunks: no temporary bigger than this
_PIECE = const(5)  # words a deferred piece takes in Memory.lazy


def _oom(what, kib):
    """The out-of-memory trap, saying what ran out: "out of memory: " + what % kib."""
    raise LimitError("%s: %s" % (OUT_OF_MEMORY, what % kib))


_OVER_LIMIT = const("linear memory needs more than its %d KiB (max_memory)")
_NO_HEAP = const("the heap has no room for %d KiB of linear memory")
_NO_TABLE = const("the heap has no room for the page table of %d KiB of linear memory")
_NO_PAGE = const("the heap has no room for another page of linear memory (%d KiB mapped)")


class Memory:
    """`size` is the addressable bytes (pages << page_log2). `buf` reads and writes memory like
    a bytearray, `size` bytes long: the arena itself when flat and as big, else a memoryview of
    its first `size` bytes; a PagedView when paged. Re-read `buf` after a call into wasm: growth
    replaces it."""

    def __init__(self, limits, limit=None):
        self.page_log2 = limits.page_log2
        self.max = limits.max
        self.limit = limit
        self.pages = limits.min
        self.size = limits.min << self.page_log2
        # A limit below one frame keeps the memory flat (and at most that big).
        self.paged = paged = limit is not None and limit >= 1 << _FRAME_SHIFT
        self.shift = _FRAME_SHIFT if paged else _FLAT_SHIFT
        self.used = 0  # bytes of frames mapped (paged)
        self.frames = None  # split frames: {virtual page: its bytearray} of the mapped pages
        # Deferred pieces (defer), _PIECE words each: virtual page, offset in it, file offset,
        # length, CRC-32; in page order, a page's in the order deferred. One array: a board
        # keeps a record in 20 bytes (a tuple and its big-int CRC would take 60-80).
        self.lazy = None
        self.source = None  # ... the file those pieces come from
        if not paged and limit is not None and self.size > limit:
            _oom(_OVER_LIMIT, limit >> 10)
        try:
            if not paged:
                # At least one entry: an empty memory's unmapped one sends its accesses to
                # read/write, whose bounds check traps.
                self.arena = bytearray(0)
                self.ptab = new_words(1)
                self._flat(0, self.size)
            else:
                if SPLIT_FRAMES:
                    self.arena = None
                    self.frames = {}
                else:
                    # A board-sized limit is taken whole now, while the heap is young (growing
                    # the arena later needs the old and the new one at once); a big one grows.
                    cap = limit >> _FRAME_SHIFT << _FRAME_SHIFT
                    self.arena = bytearray(cap if cap <= _WHOLE else _FIRST_ARENA)
                self.ptab = self._table(self.size, None)
        except MemoryError:
            _oom(_NO_TABLE if paged else _NO_HEAP, self.size >> 10)
        # Entries stay below 2**31 (the table's words are signed) for frames within 1 GiB of
        # the table: one heap, even split in areas, spans less.
        self.view = self.arena if self.frames is None else address(self.ptab) - (1 << 30)
        if paged:
            self._buf = PagedView(self)

    def _table(self, size, old):
        """A paged memory's table for size bytes, old's entries kept."""
        t = new_words(max((size + (1 << _FRAME_SHIFT) - 1) >> _FRAME_SHIFT, 1))
        if old is not None:
            for i in range(len(old)):
                t[i] = old[i]
        return t

    def _cap(self):
        """The most pages this memory may have: its maximum, else 4 GiB of them."""
        return self.max if self.max is not None else _MAX_PAGES << 16 >> self.page_log2

    def _flat(self, old, size):
        """Grow a flat memory from old to size bytes: room in the arena, table entries for the
        new pages and `buf`; MemoryError when the host has no room. A new arena is the whole
        maximum at once under CPython (address space: compat.new_arena), twice the old one
        under MicroPython, never past the maximum or the limit."""
        top = self._cap() << self.page_log2
        if self.limit is not None:
            top = min(top, self.limit)
        entries = (top + (1 << _FLAT_SHIFT) - 1) >> _FLAT_SHIFT
        arena = self.arena
        t = self.ptab
        first = (old + (1 << _FLAT_SHIFT) - 1) >> _FLAT_SHIFT
        mapped = (size + (1 << _FLAT_SHIFT) - 1) >> _FLAT_SHIFT
        # Both allocations before either is kept: a failed grow leaves the memory as it was.
        if size > len(arena):
            n = top if RESERVE_MAX else min(max(size, 2 * len(arena)), top)
            if len(arena):
                # MicroPython: free the arenas left behind first. Until a collection its
                # allocator searches past them for each small allocation (8192 one-page grows
                # took 40 s, 1 s with this).
                collect()
            while True:
                try:
                    arena = new_arena(n)
                    break
                except MemoryError:
                    if n == size:
                        raise
                    # Then an eighth more than asked, then only what is asked (a MicroPython
                    # heap with less room): each failed try costs a collection.
                    less = min(size + (size >> 3), top)
                    n = less if n > less else size
        if mapped > len(t):
            t = new_words(min(max(mapped, 2 * len(t)), entries))
            for i in range(first):
                t[i] = self.ptab[i]
        if arena is not self.arena:
            # Past the old size an arena holds zeros (never written): copy it whole.
            arena[:len(self.arena)] = self.arena
            self.arena = self.view = arena
        self.ptab = t
        for i in range(first, mapped):
            t[i] = (i << _FLAT_SHIFT) + 1
        self._buf = arena if len(arena) == size else None

    @property
    def buf(self):
        b = self._buf
        if b is None:
            # The guest's bytes only (WASI and the host API take bounds from len(buf)), made
            # when first asked for: an allocation each grow would cost MicroPython a search of
            # its heap past the arena each time.
            b = self._buf = memoryview(self.arena)[:self.size]
        return b

    def grow(self, delta):
        """Add delta pages; the old size in pages, or -1 when it cannot grow (the declared
        maximum, 4 GiB, the limit, or no host memory for a flat one). A paged memory (a
        board's) whose page table finds no room traps "out of memory" instead: the guest asked
        within its limit, and a C or Rust program given -1 exits (wasi-libc: status 71) with
        no word of what ran out."""
        old = self.pages
        new = old + delta
        size = new << self.page_log2
        if new > self._cap() or (delta and self.limit is not None and size > max(self.limit, self.size)):
            return -1
        if delta:
            try:
                if self.paged:
                    self.ptab = self._table(size, self.ptab)
                else:
                    self._flat(self.size, size)
            except MemoryError:
                if self.paged:
                    _oom(_NO_TABLE, size >> 10)
                return -1
        self.pages = new
        self.size = size
        return old

    def defer(self, source, addr, data, pos):
        """`data`, which file `source` holds at pos, belongs at addr (within one page of a
        paged memory): written now if the page is mapped (or the pieces already deferred come
        from another file), else when the page is first touched, read back from the file then
        and checked against the CRC-32 taken now."""
        vp = addr >> self.shift
        if self.ptab[vp] or (self.source is not None and self.source != source):
            self.write(addr, data)
            return
        self.source = source
        lz = self.lazy
        if lz is None:
            lz = self.lazy = array("I")
        at = addr & ((1 << self.shift) - 1)
        i = self._pieces(vp)[1]
        if i and lz[i - _PIECE] == vp:  # one piece for what continues the page's last in the file
            o, p, k = lz[i - 4], lz[i - 3], lz[i - 2]
            if o + k == at and p + k == pos:
                lz[i - 2] = k + len(data)
                lz[i - 1] = crc32(data, lz[i - 1])
                return
        piece = array("I", (vp, at, pos, len(data), crc32(data)))
        if i == len(lz):
            lz.extend(piece)
        else:  # segments out of address order (rare): the pieces stay in page order
            self.lazy = lz[:i] + piece + lz[i:]

    def _pieces(self, vp):
        """(start, end): the words of the deferred pieces of virtual page vp in `lazy`."""
        lz = self.lazy
        lo = 0
        hi = len(lz) // _PIECE
        while lo < hi:  # the first piece past vp's
            mid = (lo + hi) >> 1
            if lz[mid * _PIECE] > vp:
                hi = mid
            else:
                lo = mid + 1
        end = lo * _PIECE
        while lo and lz[(lo - 1) * _PIECE] == vp:
            lo -= 1
        return lo * _PIECE, end

    def _fill(self, buf, off, pieces):
        # A deferred page's bytes, from the file (MODULE_CHANGED if it changed since).
        try:
            f = open(self.source, "rb")
        except OSError:
            raise Trap(MODULE_CHANGED)
        lz = self.lazy
        try:
            for i in range(pieces[0], pieces[1], _PIECE):
                at = lz[i + 1]
                k = lz[i + 3]
                v = memoryview(buf)[off + at:off + at + k]
                f.seek(lz[i + 2])
                if f.readinto(v) != k or crc32(v) != lz[i + 4]:
                    raise Trap(MODULE_CHANGED)
        finally:
            f.close()

    def _frame(self, vp, map_it):
        """(buffer, offset) of virtual page vp's frame, mapping a zeroed one if asked (or
        filled from the file, when its bytes were deferred); None when it is unmapped and not
        to be mapped."""
        e = self.ptab[vp]
        if e:
            return (self.arena, e - 1) if self.frames is None else (self.frames[vp], 0)
        # A mapped page's pieces are never read again: they stay.
        pieces = None if self.lazy is None else self._pieces(vp)
        if pieces is not None and pieces[0] == pieces[1]:
            pieces = None
        if not map_it and pieces is None:
            return None
        size = 1 << self.shift
        off = self.used
        cap = self.limit >> _FRAME_SHIFT << _FRAME_SHIFT
        if off + size > cap:
            _oom(_OVER_LIMIT, cap >> 10)
        try:
            if self.frames is not None:
                buf = bytearray(size)
                off = 0
                e = address(buf) - self.view + 1
                if not 0 < e < 1 << 31:
                    raise MemoryError  # a heap wider than the table's reach
                self.frames[vp] = buf
            else:
                if off + size > len(self.arena):
                    arena = bytearray(min(max(2 * len(self.arena), off + size), cap))
                    arena[:off] = self.arena[:off]
                    self.arena = self.view = arena
                buf = self.arena
                e = off + 1
        except MemoryError:
            _oom(_NO_PAGE, off >> 10)
        self.used += size
        self.ptab[vp] = e
        if pieces is not None:
            self._fill(buf, off, pieces)
        return buf, off

    def _check(self, addr, n):
        if addr < 0 or n < 0 or addr + n > self.size:
            raise IndexError("out of bounds memory access")

    def _spans(self, addr, n, map_it):
        """(done, length, buffer, offset) for each page piece of [addr, addr + n) of a paged
        memory; buffer None where the page is unmapped."""
        sh = self.shift
        done = 0
        while done < n:
            a = addr + done
            o = a & ((1 << sh) - 1)
            k = min(n - done, (1 << sh) - o)
            f = self._frame(a >> sh, map_it)
            if f is None:
                yield done, k, None, 0
            else:
                yield done, k, f[0], f[1] + o
            done += k

    def read(self, addr, n):
        """n bytes at addr (bounds-checked; IndexError when out of bounds)."""
        self._check(addr, n)
        if not self.paged:
            return bytes(self.arena[addr:addr + n])
        out = bytearray(n)
        for done, k, b, p in self._spans(addr, n, False):
            if b is not None:
                out[done:done + k] = b[p:p + k]
        return bytes(out)

    def write(self, addr, data):
        self._check(addr, len(data))
        if not self.paged:
            self.arena[addr:addr + len(data)] = data
            return
        for done, k, b, p in self._spans(addr, len(data), True):
            b[p:p + k] = data[done:done + k]

    def fill(self, addr, value, n):
        self._check(addr, n)
        if not self.paged:
            # In chunks: a temporary as big as the fill could be more than the host has.
            chunk = bytes([value]) * min(n, _CHUNK)
            end = addr + n
            while addr < end:
                k = min(end - addr, _CHUNK)
                self.arena[addr:addr + k] = chunk[:k] if k < len(chunk) else chunk
                addr += k
            return
        # Zeros need no frame where none is mapped: unmapped pages read as zero.
        for done, k, b, p in self._spans(addr, n, value != 0):
            if b is not None:
                b[p:p + k] = bytes([value]) * k

    def copy(self, dst, src, n):
        """memory.copy: overlapping ranges copy as if through a buffer (chunks run backwards
        when the destination is above the source)."""
        self._check(src, n)
        self._check(dst, n)
        done = 0
        while done < n:
            k = min(n - done, _CHUNK)
            off = n - done - k if dst > src else done
            if self.paged:
                self.write(dst + off, self.read(src + off, k))
            else:
                self.arena[dst + off:dst + off + k] = self.arena[src + off:src + off + k]
            done += k



class PagedView:
    """A bytearray-like window on a paged Memory: len, indexing and slices."""

    def __init__(self, mem):
        self.mem = mem

    def __len__(self):
        return self.mem.size

    def _range(self, s):
        start = 0 if s.start is None else s.start
        stop = self.mem.size if s.stop is None else s.stop
        return start, max(stop - start, 0)

    def __getitem__(self, i):
        if isinstance(i, int):
            return self.mem.read(i, 1)[0]
        a, n = self._range(i)
        return self.mem.read(a, n)

    def __setitem__(self, i, v):
        if isinstance(i, int):
            self.mem.write(i, bytes((v,)))
        else:
            a, n = self._range(i)
            if len(v) != n:
                raise ValueError("slice assignment would resize memory")
            self.mem.write(a, v)
