# A bounds-checked cursor over module bytes: LEB128 integers with the binary format's length and
# overflow rules, float bit patterns, names. Every problem is a MalformedError with its offset.
from .compat import const
from .errors import MODULE_CHANGED, MalformedError, Trap

_EOF = const("unexpected end")
_TOO_LONG = const("integer representation too long")
_TOO_LARGE = const("integer too large")
PIECE = 256  # bytes a FileReader reads at a time


class Reader:
    def __init__(self, data, pos=0, end=None):
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def done(self):
        """The user has read what it needed (FileReader checks what it read)."""

    def fail(self, msg, pos=None):
        raise MalformedError(msg, self.pos if pos is None else pos)

    def tell(self):
        """The position in the module (pos is the position in data)."""
        return self.pos

    def fail_at(self, msg, at):
        """fail() at a position tell() gave."""
        raise MalformedError(msg, at)

    def eof(self):
        return self.pos >= self.end

    def u8(self):
        p = self.pos
        if p >= self.end:
            self.fail(_EOF)
        self.pos = p + 1
        return self.data[p]

    def rest(self):
        """Bytes left in the whole module (past self.end too)."""
        return len(self.data) - self.pos

    def bytes(self, n):
        p = self.pos
        if n > self.end - p:
            self.fail("length out of bounds" if n > self.rest() else _EOF)
        self.pos = p + n
        return self.data[p:p + n]

    def skip(self, n, check=True):
        self.pos += len(self.view(n))

    def view(self, n):
        """The next n bytes as a memoryview of the module (no copy: segments stay in the
        module's bytes)."""
        p = self.pos
        if n > self.end - p:
            self.fail("length out of bounds" if n > self.rest() else _EOF)
        self.pos = p + n
        return memoryview(self.data)[p:p + n]

    def u32(self):
        data = self.data
        p = self.pos
        if p < self.end:
            b = data[p]
            if b < 0x80:  # the common one-byte case
                self.pos = p + 1
                return b
        return self._uleb(32)

    def _uleb(self, bits):
        data = self.data
        end = self.end
        p = self.pos
        result = 0
        shift = 0
        while True:
            if p >= end:
                self.fail(_EOF, p)
            b = data[p]
            p += 1
            if shift + 7 >= bits:  # last permitted byte
                if b & 0x80:
                    self.fail(_TOO_LONG, p - 1)
                if b >> (bits - shift):
                    self.fail(_TOO_LARGE, p - 1)
                result |= b << shift
                break
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        self.pos = p
        return result

    def _sleb(self, bits):
        data = self.data
        end = self.end
        p = self.pos
        result = 0
        shift = 0
        while True:
            if p >= end:
                self.fail(_EOF, p)
            b = data[p]
            p += 1
            if shift + 7 >= bits:  # last permitted byte: unused bits must copy the sign bit
                if b & 0x80:
                    self.fail(_TOO_LONG, p - 1)
                used = bits - shift  # value bits in this byte, the top one is the sign
                rest = b >> (used - 1)  # sign bit and the unused bits above it
                if rest != 0 and rest != (0x7F >> (used - 1)):
                    self.fail(_TOO_LARGE, p - 1)
                result |= (b & 0x7F) << shift
                shift += 7
                break
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        self.pos = p
        if result >> (shift - 1) & 1:
            result -= 1 << shift
        return result

    def s32(self):
        return self._sleb(32)

    def s33(self):
        return self._sleb(33)

    def s64(self):
        return self._sleb(64)

    def u64(self):
        return self._uleb(64)

    def f32(self):
        """The bit pattern of an f32 immediate, as an unsigned int."""
        b = self.bytes(4)
        return b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24

    def f64(self):
        b = self.bytes(8)
        lo = b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24
        hi = b[4] | b[5] << 8 | b[6] << 16 | b[7] << 24
        return lo | hi << 32

    def name(self):
        n = self.u32()
        start = self.pos
        raw = self.bytes(n)
        _check_utf8(self, raw, start)
        return str(raw, "utf-8")


def file_crc(path):
    """The CRC-32 of a whole file, read a piece at a time into one buffer."""
    from .compat import crc32
    buf = bytearray(PIECE)
    view = memoryview(buf)
    c = 0
    with open(path, "rb") as f:
        while True:
            got = f.readinto(buf) or 0
            if not got:
                return c
            c = crc32(view[:got], c)


class FileReader(Reader):
    """A Reader over n bytes of a file from offset `start`, read in small pieces (a board may
    have no free block as big as a function body). With `crc`, done() checks the bytes' CRC-32
    against it: they were validated when the module was loaded, so a file changed since is a
    MODULE_CHANGED trap, whatever its new bytes made the reader's user do first. Positions
    (tell(), errors) are the file's."""

    def __init__(self, path, start, n, crc=None):
        # One window for the whole read (no new buffer a piece: a board's heap would be left
        # full of holes): what is left of it moves to the front, the next piece fills the rest.
        Reader.__init__(self, bytearray(2 * PIECE), 0, 0)
        self.window = memoryview(self.data)
        self.want = crc
        self.crc = 0
        self.left = n  # bytes not read from the file yet
        self.base = start  # the file offset of window[0]
        try:
            self.f = open(path, "rb")
            self.f.seek(start)
        except OSError:
            raise Trap(MODULE_CHANGED)

    def tell(self):
        return self.base + self.pos

    def rest(self):
        return self.left + self.end - self.pos

    def fail(self, msg, pos=None):
        Reader.fail(self, msg, (self.pos if pos is None else pos) + self.base)

    def fail_at(self, msg, at):
        raise MalformedError(msg, at)

    def _piece(self, at):
        """Read the next piece of the file into the window at `at`, through the CRC; its length
        (0 at the end of the file or on a read error)."""
        from .compat import crc32
        piece = self.window[at:at + min(self.left, PIECE)]
        try:
            got = self.f.readinto(piece) or 0
        except OSError:
            got = 0
        self.left -= got
        self.crc = crc32(piece[:got], self.crc)
        return got

    def _need(self, k):  # k <= PIECE
        if self.end - self.pos < k and self.left:
            keep = self.end - self.pos
            self.data[:keep] = bytes(self.window[self.pos:self.end])
            self.base += self.pos
            got = self._piece(keep)
            if not got:
                self.done()  # the file was cut short: MODULE_CHANGED (if checked)
                self.left = 0
            self.pos = 0
            self.end = keep + got

    def u8(self):
        self._need(1)
        return Reader.u8(self)

    def _uleb(self, bits):
        self._need(10)
        return Reader._uleb(self, bits)

    def _sleb(self, bits):
        self._need(10)
        return Reader._sleb(self, bits)

    def bytes(self, n):
        if n <= PIECE:
            self._need(n)
            return bytes(Reader.bytes(self, n))  # (a slice of the window is a bytearray)
        if n > self.rest():
            self.fail("length out of bounds")
        out = bytearray(n)
        got = 0
        while got < n:
            k = min(n - got, PIECE)
            self._need(k)
            out[got:got + k] = self.window[self.pos:self.pos + k]
            self.pos += k
            got += k
        return bytes(out)

    def skip(self, n, check=True):
        """Pass over the next n bytes: read them (a piece at a time) for their CRC-32, or with
        check False seek past them (no garbage: a board's heap); 0 then."""
        from .compat import crc32
        c = 0
        if not check and n > self.end - self.pos:
            n -= self.end - self.pos
            self.base += self.end + n
            self.pos = self.end = 0
            self.left -= n
            self.f.seek(self.base)
            return c
        while n > 0:
            k = min(n, PIECE)
            c = crc32(self.bytes(k), c)
            n -= k
        return c

    def name(self):
        n = self.u32()
        if n <= PIECE:
            self._need(n)
        start = self.tell()
        raw = self.bytes(n)
        _check_utf8(self, raw, start - self.base)
        return str(raw, "utf-8")

    def done(self):
        """Read what is left through the CRC and close the file; MODULE_CHANGED unless the
        bytes were all there and are the ones validated."""
        if self.f is None:
            return
        try:
            while self.want is not None and self.left and self._piece(0):
                pass
        finally:
            self.f.close()
            self.f = None
        if self.want is not None and (self.left or self.crc != self.want):
            raise Trap(MODULE_CHANGED)


def _check_utf8(r, raw, start):
    # MicroPython's decode() is lenient: check the encoding rules (shortest form, no surrogates,
    # at most U+10FFFF) ourselves so both interpreters reject the same names.
    i = 0
    n = len(raw)
    while i < n:
        b = raw[i]
        if b < 0x80:
            i += 1
            continue
        if 0xC2 <= b <= 0xDF:
            k, lo, hi = 1, 0x80, 0xBF
        elif b == 0xE0:
            k, lo, hi = 2, 0xA0, 0xBF
        elif 0xE1 <= b <= 0xEC or 0xEE <= b <= 0xEF:
            k, lo, hi = 2, 0x80, 0xBF
        elif b == 0xED:
            k, lo, hi = 2, 0x80, 0x9F
        elif b == 0xF0:
            k, lo, hi = 3, 0x90, 0xBF
        elif 0xF1 <= b <= 0xF3:
            k, lo, hi = 3, 0x80, 0xBF
        elif b == 0xF4:
            k, lo, hi = 3, 0x80, 0x8F
        else:
            r.fail("malformed UTF-8 encoding", start + i)
        if i + k >= n:
            r.fail("malformed UTF-8 encoding", start + i)
        c = raw[i + 1]
        if c < lo or c > hi:
            r.fail("malformed UTF-8 encoding", start + i)
        for j in range(i + 2, i + k + 1):
            if raw[j] & 0xC0 != 0x80:
                r.fail("malformed UTF-8 encoding", start + i)
        i += k + 1
