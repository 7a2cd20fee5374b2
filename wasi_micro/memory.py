# Linear memory as pages of one arena bytearray, mapped through a page table.
#
# Without a limit the memory is flat: the arena is the whole memory and the table maps page i to
# offset i << 16. With a limit (`max_memory`, for boards) the arena holds at most that many
# bytes in 1 KiB frames, mapped on the first write to a page; pages never written read as zeros
# and take no frame. So a C program whose 64 KiB page it mostly never touches runs in a few KiB of RAM, and
# no bytearray is bigger than the limit (a plain ESP32 cannot allocate 64 KiB in one piece).
# Table entries are the frame's arena offset + 1; 0 is unmapped.
from .compat import const, new_words
from .errors import LimitError, OUT_OF_MEMORY

_MAX_PAGES = const(65536)
_FLAT_SHIFT = const(16)
_FRAME_SHIFT = const(10)
_FIRST_ARENA = const(8192)
_WHOLE = const(65536)
_CHUNK = const(4096)  # bulk ops on the host side go in chunks: no temporary bigger than this


def _oom():
    raise LimitError(OUT_OF_MEMORY)


class Memory:
    """`size` is the addressable bytes (pages << page_log2). `buf` reads and writes memory like
    a bytearray: the arena itself when flat, a PagedView when paged. Re-read `buf` after a call
    into wasm: growth replaces it."""

    def __init__(self, limits, limit=None):
        self.page_log2 = limits.page_log2
        self.max = limits.max
        self.limit = limit
        self.pages = limits.min
        self.size = limits.min << self.page_log2
        # A limit below one frame keeps the memory flat (and at most that big).
        self.paged = paged = limit is not None and limit >= 1 << _FRAME_SHIFT
        self.shift = _FRAME_SHIFT if paged else _FLAT_SHIFT
        self.used = 0  # arena bytes handed out to frames (paged)
        if not paged and limit is not None and self.size > limit:
            _oom()
        try:
            if paged:
                # A board-sized limit is taken whole now, while the heap is young (growing the
                # arena later needs the old and the new one at once); a big one grows.
                cap = limit >> _FRAME_SHIFT << _FRAME_SHIFT
                self.arena = bytearray(cap if cap <= _WHOLE else _FIRST_ARENA)
            else:
                self.arena = bytearray(self.size)
            self.ptab = self._table(self.size, None)
        except MemoryError:
            _oom()
        self.buf = PagedView(self) if paged else self.arena

    def _table(self, size, old):
        sh = self.shift
        # At least one entry: an empty memory's unmapped one sends its accesses to read/write,
        # whose bounds check traps.
        mapped = (size + (1 << sh) - 1) >> sh
        t = new_words(max(mapped, 1))
        if not self.paged:
            for i in range(mapped):
                t[i] = (i << sh) + 1
        elif old is not None:
            for i in range(len(old)):
                t[i] = old[i]
        return t

    def grow(self, delta):
        """Add delta pages; the old size in pages, or -1 when it cannot grow (the declared
        maximum, 4 GiB, the limit, or no host memory)."""
        old = self.pages
        new = old + delta
        cap = self.max if self.max is not None else _MAX_PAGES << 16 >> self.page_log2
        size = new << self.page_log2
        if new > cap or (delta and self.limit is not None and size > max(self.limit, self.size)):
            return -1
        if delta:
            try:
                if not self.paged:
                    arena = bytearray(size)
                    arena[:self.size] = self.arena
                    self.arena = self.buf = arena
                self.ptab = self._table(size, self.ptab)
            except MemoryError:
                return -1
        self.pages = new
        self.size = size
        return old

    def _frame(self, vp, map_it):
        """Arena offset of virtual page vp (mapping a zeroed frame if asked), or -1."""
        e = self.ptab[vp]
        if e:
            return e - 1
        if not map_it:
            return -1
        off = self.used
        end = off + (1 << self.shift)
        if end > len(self.arena):
            cap = self.limit >> _FRAME_SHIFT << _FRAME_SHIFT
            if end > cap:
                _oom()
            try:
                arena = bytearray(min(max(2 * len(self.arena), end), cap))
            except MemoryError:
                _oom()
            arena[:off] = self.arena[:off]
            self.arena = arena
        self.used = end
        self.ptab[vp] = off + 1
        return off

    def _check(self, addr, n):
        if addr < 0 or n < 0 or addr + n > self.size:
            raise IndexError("out of bounds memory access")

    def _spans(self, addr, n, map_it):
        """(done, length, arena offset or -1) for each page piece of [addr, addr + n) of a
        paged memory."""
        sh = self.shift
        done = 0
        while done < n:
            a = addr + done
            o = a & ((1 << sh) - 1)
            k = min(n - done, (1 << sh) - o)
            f = self._frame(a >> sh, map_it)
            yield done, k, f + o if f >= 0 else -1
            done += k

    def read(self, addr, n):
        """n bytes at addr (bounds-checked; IndexError when out of bounds)."""
        self._check(addr, n)
        if not self.paged:
            return bytes(self.arena[addr:addr + n])
        out = bytearray(n)
        for done, k, p in self._spans(addr, n, False):
            if p >= 0:
                out[done:done + k] = self.arena[p:p + k]
        return bytes(out)

    def write(self, addr, data):
        self._check(addr, len(data))
        if not self.paged:
            self.arena[addr:addr + len(data)] = data
            return
        for done, k, p in self._spans(addr, len(data), True):
            self.arena[p:p + k] = data[done:done + k]

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
        for done, k, p in self._spans(addr, n, value != 0):
            if p >= 0:
                self.arena[p:p + k] = bytes([value]) * k

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
