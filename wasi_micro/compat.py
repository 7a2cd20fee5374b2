# The one place that knows CPython from MicroPython (its CPython half is compat_cpython.py,
# imported from here only under CPython: a board never loads that bytecode).
#
# Everything else imports what differs from here: `const`, the `micropython` decorators, the
# viper pointer casts (identity stand-ins under CPython), word arrays, clocks and randomness.
import sys

IS_MICROPYTHON = sys.implementation.name == "micropython"

# Default register file (4-byte words) and call depth: a board's heap is a few hundred KB.
STACK_SLOTS = 8192 if IS_MICROPYTHON else 65536
CALL_DEPTH = 1000 if IS_MICROPYTHON else 4000
# Host <-> wasm re-entry (a host function calling back into wasm) nests Python frames, about
# five a level: MicroPython's main thread allows ~140 Python levels, a board's C stack less.
REENTRY = 16 if IS_MICROPYTHON else 100

# Bulk memory ops on a flat memory: viper copies bytes at machine speed inside the loop; plain
# Python is far faster with the slow path's slice copies.
BULK_IN_LOOP = IS_MICROPYTHON
# f64 add/sub/mul/div in the loop on host doubles: only plain Python (viper has no floats, and a
# board's hardware doubles, if any, are not known to round right).
FLOAT_IN_LOOP = not IS_MICROPYTHON
# A paged memory's frames: MicroPython gives each its own small bytearray, reached by the viper
# loop through its address (a board's heap seldom has one free block as big as the limit);
# plain Python indexes one arena bytearray that holds them all.
SPLIT_FRAMES = IS_MICROPYTHON
# A flat memory's arena (memory.py): CPython reserves the memory's whole maximum at once, as
# address space the OS zeroes a page at a time when first touched (new_arena); MicroPython has
# only its heap, so its arena doubles as the memory grows.
RESERVE_MAX = not IS_MICROPYTHON

if IS_MICROPYTHON:
    import micropython
    from micropython import const
    from array import array

    @micropython.viper
    def _zero(a, nbytes: int):
        p = ptr8(a)
        i = 0
        while i < nbytes:
            p[i] = 0
            i += 1

    @micropython.viper
    def address(buf) -> int:
        # The address of a buffer's bytes: MicroPython's heap objects never move.
        return int(ptr8(buf))

    def _zeros(code, n, size):
        # array(code, bytes(size * n)) would hold a temporary as big as the array: on a board
        # the peak, and the hole it leaves, decide whether a program fits. range(n) has a length,
        # so the array is allocated once at its size and filled, then zeroed in place.
        a = array(code, range(n))
        _zero(a, size * n)
        return a

    def new_words(n, unsigned=False):
        # Viper reads these through ptr32: real 32-bit word arrays. Registers are unsigned so
        # Python-side code stores the same u32 values as under CPython.
        return _zeros("I" if unsigned else "i", n, 4)

    def halfwords(n, seq=None):
        # Register code for ptr16: n halfwords, the first ones from seq.
        a = _zeros("H", n, 2)
        if seq is not None:
            a[:len(seq)] = seq if isinstance(seq, array) else array("H", seq)
        return a

    def ticks_us():
        import time
        return time.ticks_us()

    def ticks_diff(a, b):
        # ticks wrap (after 2**30 us on boards): only differences are meaningful.
        import time
        return time.ticks_diff(a, b)

    try:
        maxsize = sys.maxsize
    except AttributeError:
        maxsize = (1 << 30) - 1

    def new_arena(n):
        try:
            return bytearray(n)
        except OverflowError:  # a size a 32-bit port's words cannot hold
            raise MemoryError

    from gc import collect

    def compact(nbytes):
        """Collect after every nbytes allocated (None: the default, when the heap is full);
        returns the setting it replaces. A phase that makes long-lived records among much
        garbage (loading a module from its file) then keeps them together at the bottom of
        the heap instead of scattered over all of it, which would leave no big block free."""
        import gc
        try:
            was = gc.threshold()
        except AttributeError:  # a port built without it: nothing to do
            return None
        gc.threshold(-1 if nbytes is None else nbytes)
        return None if was < 0 else was

else:
    from .compat_cpython import (const, micropython, address, new_words, halfwords,  # noqa: F401
                                 ticks_us, ticks_diff, maxsize, new_arena, collect, compact)


def release(package, names):
    """MicroPython: drop modules only needed for a phase (the decoder and validator after a
    load) so their bytecode can be collected; they are imported again when next needed."""
    if IS_MICROPYTHON:
        for name in names:
            sys.modules.pop(package.__name__ + "." + name, None)
            if name in package.__dict__:
                delattr(package, name)


# Host floats from IEEE bit patterns and back (numeric.py's host path): CPython reinterprets
# through one shared 8-byte buffer, 3x faster than struct; MicroPython has no memoryview.cast.
# The loop reads and writes f64 values through F64 (the buffer as a double) and F64W (as two
# words, low first) itself under CPython; MicroPython's loop has no floats (None).
if IS_MICROPYTHON:
    F64 = F64W = None

    import struct as _struct

    def f64_of(bits):
        return _struct.unpack("<d", _struct.pack("<Q", bits))[0]

    def bits_of_f64(x):
        return _struct.unpack("<Q", _struct.pack("<d", x))[0]

    def f32_of(bits):
        return _struct.unpack("<f", _struct.pack("<I", bits))[0]

    def bits_of_f32(x):
        return _struct.unpack("<I", _struct.pack("<f", x))[0]
else:
    from .compat_cpython import F64, F64W, f64_of, bits_of_f64, f32_of, bits_of_f32  # noqa: F401


# CRC-32 (of function bodies a detached module reads back from flash): binascii's where the
# firmware has it, else bit by bit in viper (the tests' own MicroPython build has no binascii).
if IS_MICROPYTHON:
    try:
        from binascii import crc32

        def _crc_bytes(buf, n):  # binascii takes a buffer's length in bytes itself
            return crc32(buf)
    except ImportError:
        @micropython.viper
        def _crc32(buf, n: int, c: uint) -> uint:
            p = ptr8(buf)
            poly = uint(0x76DC4190)
            poly = poly << 1  # 0xEDB88320: a literal above 31 bits does not compile in viper
            i = 0
            while i < n:
                c ^= uint(p[i])
                k = 0
                while k < 8:
                    c = (c >> 1) ^ (poly & (uint(0) - (c & 1)))
                    k += 1
                i += 1
            return c

        def _crc_bytes(buf, n):  # n: buf's length in bytes (len() counts a view's items)
            return (_crc32(buf, n, 0xFFFFFFFF) ^ 0xFFFFFFFF) & 0xFFFFFFFF

        def crc32(buf, value=0):
            return (_crc32(buf, len(buf), value ^ 0xFFFFFFFF) ^ 0xFFFFFFFF) & 0xFFFFFFFF

    def read_halfwords(f, code, at, n):
        """Read n halfwords (little-endian, as every board is) from file f into the code array
        at position at: the CRC-32 of their bytes, or -1 if the file ends first."""
        view = memoryview(code)[at:at + n]
        if f.readinto(view) != 2 * n:
            return -1
        return _crc_bytes(view, 2 * n)
else:
    from zlib import crc32  # noqa: F401
    from .compat_cpython import read_halfwords  # noqa: F401


# Viper's casts, as the loop sees them when it runs as plain Python (CPython, or MicroPython with
# viper off). Inside a viper function the compiler treats these names as casts regardless.
def ptr8(x):
    return x


ptr16 = ptr32 = ptr8
uint = int


# --- filesystem host differences ---
# What WASI needs from the host that CPython and MicroPython provide differently: stat fields in
# one shape, symlinks/links/utime/fsync/truncate (CPython only), exclusive create, clocks.
# Stat results everywhere are (mode, ino, dev, nlink, size, atim_ns, mtim_ns, ctim_ns).
import os
import time

_S_IFMT = const(0o170000)
_S_IFLNK = const(0o120000)
_EOPNOTSUPP = const(95)
_EEXIST = const(17)
_ENOENT = const(2)


def _unsupported(*args):
    raise OSError(_EOPNOTSUPP)


if IS_MICROPYTHON:
    # Only the unix port sees host symlinks (as S_IFLNK in ilistdir); board filesystems have none.
    _HOST_LINKS = sys.platform in ("linux", "darwin")
    _mono = [0, None]

    def _epoch_ns():
        # ESP32 counts from 2000; WASI realtime counts from 1970.
        return 946684800000000000 if time.gmtime(0)[0] == 2000 else 0

    def _norm(st):
        e = _epoch_ns()
        # FAT and littlefs report no link count (every object there has exactly one name), and
        # littlefs no meaningful directory size.
        return (st[0], st[1], st[2], st[3] or 1, 0 if st[0] & _S_IFMT == 0o040000 else st[6],
                st[7] * 1000000000 + e, st[8] * 1000000000 + e, st[9] * 1000000000 + e)

    def stat(path):
        return _norm(os.stat(path))

    def lstat(path):
        if _HOST_LINKS:
            i = path.rfind("/")
            parent = "." if i < 0 else (path[:i] or "/")
            name = path[i + 1:]
            for ent in os.ilistdir(parent):
                if ent[0] == name:
                    if ent[1] & _S_IFMT == _S_IFLNK:
                        return (_S_IFLNK, ent[2], 0, 1, 0, 0, 0, 0)
                    break
        return _norm(os.stat(path))

    def fstat(f, path):
        return _norm(os.stat(path))

    def listdir(path):
        # [(name, S_IF* type bits or 0, ino)]
        return [(e[0], e[1] & _S_IFMT, e[2]) for e in os.ilistdir(path)]

    def open_file(path, rd, wr, creat, excl, trunc):
        try:
            os.stat(path)
            exists = True
        except OSError:
            exists = False
        if exists and creat and excl:
            raise OSError(_EEXIST)
        if not exists and not creat:
            raise OSError(_ENOENT)
        if trunc or not exists:
            open(path, "wb").close()
        return open(path, "r+b" if wr else "rb")

    def truncate(f, size):
        # No ftruncate: growing is writing zeros at the end; shrinking is not possible.
        pos = f.tell()
        end = f.seek(0, 2)
        if size < end:
            f.seek(pos)
            raise OSError(_EOPNOTSUPP)
        zeros = bytes(min(size - end, 4096))
        while end < size:
            end += f.write(zeros[:min(size - end, 4096)])
        f.flush()
        f.seek(pos)

    def fsync(f, data_only):
        f.flush()

    readlink = symlink = link = utime = _unsupported

    def isatty(stream):
        return False

    def realtime_ns():
        return time.time_ns() + _epoch_ns()

    def monotonic_ns():
        # ticks_us wraps (2^30 us on boards): accumulate deltas between calls.
        t = time.ticks_us()
        if _mono[1] is not None:
            _mono[0] += time.ticks_diff(t, _mono[1])
        _mono[1] = t
        return _mono[0] * 1000

    def cputime_ns(thread):
        return None

    def clock_res_ns(clock):
        return 1000

    def sleep_ns(ns):
        time.sleep_us(ns // 1000)

    def readable(stream, timeout_ns):
        """Whether a read on stream would not block, waiting up to timeout_ns (None: for ever).
        A stream poll cannot watch (in memory) is always ready."""
        try:
            import select
            p = select.poll()
            p.register(stream, select.POLLIN)
            return bool(p.poll(-1 if timeout_ns is None else timeout_ns // 1000000))
        except (ImportError, OSError):  # no select module; in memory (BytesIO): EINVAL
            return True

else:
    from .compat_cpython import (stat, lstat, fstat, listdir, open_file, truncate,  # noqa: F401
                                 fsync, readlink, symlink, link, utime, isatty, realtime_ns,
                                 monotonic_ns, cputime_ns, clock_res_ns, sleep_ns, readable)
