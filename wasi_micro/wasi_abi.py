# The WASI preview1 ABI: errno and flag numbers, descriptor kinds and rights, the error type
# handlers raise, host errno mapping, and bounds-checked access to guest memory (every pointer
# checked before use).
import struct

from .compat import const

# errno (witx `errno`). These constants are private: tools/gen_opcodes.py writes the ones
# each other wasi_* module names into its generated block.
_SUCCESS = const(0)
_E2BIG = const(1)
_EACCES = const(2)
_EAGAIN = const(6)
_EBADF = const(8)
_EBUSY = const(10)
_EEXIST = const(20)
_EFAULT = const(21)
_EILSEQ = const(25)
_EINVAL = const(28)
_EIO = const(29)
_EISDIR = const(31)
_ELOOP = const(32)
_ENAMETOOLONG = const(37)
_ENOENT = const(44)
_ENOSYS = const(52)
_ENOTDIR = const(54)
_ENOTEMPTY = const(55)
_ENOTSOCK = const(57)
_ENOTSUP = const(58)
_EOVERFLOW = const(61)
_EPERM = const(63)
_ESPIPE = const(70)
_EXDEV = const(75)
_ENOTCAPABLE = const(76)

# filetype
_FT_UNKNOWN = const(0)
_FT_CHAR = const(2)
_FT_DIR = const(3)
_FT_FILE = const(4)
_FT_LINK = const(7)

# fdflags
_FDF_APPEND = const(1)
_FDF_DSYNC = const(2)
_FDF_NONBLOCK = const(4)
_FDF_RSYNC = const(8)
_FDF_SYNC = const(16)

# rights
_R_FD_DATASYNC = const(1 << 0)
_R_FD_READ = const(1 << 1)
_R_FD_SEEK = const(1 << 2)
_R_FD_FDSTAT_SET_FLAGS = const(1 << 3)
_R_FD_SYNC = const(1 << 4)
_R_FD_TELL = const(1 << 5)
_R_FD_WRITE = const(1 << 6)
_R_FD_ADVISE = const(1 << 7)
_R_FD_ALLOCATE = const(1 << 8)
_R_PATH_CREATE_DIRECTORY = const(1 << 9)
_R_PATH_CREATE_FILE = const(1 << 10)
_R_PATH_LINK_SOURCE = const(1 << 11)
_R_PATH_LINK_TARGET = const(1 << 12)
_R_PATH_OPEN = const(1 << 13)
_R_FD_READDIR = const(1 << 14)
_R_PATH_READLINK = const(1 << 15)
_R_PATH_RENAME_SOURCE = const(1 << 16)
_R_PATH_RENAME_TARGET = const(1 << 17)
_R_PATH_FILESTAT_GET = const(1 << 18)
_R_PATH_FILESTAT_SET_SIZE = const(1 << 19)
_R_PATH_FILESTAT_SET_TIMES = const(1 << 20)
_R_FD_FILESTAT_GET = const(1 << 21)
_R_FD_FILESTAT_SET_SIZE = const(1 << 22)
_R_FD_FILESTAT_SET_TIMES = const(1 << 23)
_R_PATH_SYMLINK = const(1 << 24)
_R_PATH_REMOVE_DIRECTORY = const(1 << 25)
_R_PATH_UNLINK_FILE = const(1 << 26)
_R_POLL_FD_READWRITE = const(1 << 27)
_R_ALL = const((1 << 30) - 1)


# Descriptor kinds (wasi_fs.Fd.kind).
_STDIN = const(0)
_STDOUT = const(1)  # stdout and stderr
_FILE = const(2)
_DIR = const(3)

# What a regular file may ever do; a directory gets the rest (wasmtime's preopen set).
_FILE_RIGHTS = const(0x8E001FF)  # fd_* rights: bits 0-8, 21-23, 27 (poll)
_DIR_RIGHTS = const(0x7BFFE00)  # path_* rights, readdir, filestat get/set_times: bits 9-21, 23-26

class WasiError(Exception):
    """Raised inside a handler: the call returns `errno` to the guest."""

    def __init__(self, errno):
        super().__init__(errno)  # MicroPython has no Exception.__init__ to call directly
        self.errno = errno


# "NAME LINUX WASI ...": a host errno's name, its Linux number and the WASI errno. The name wins
# where the host's `errno` module has it; MicroPython's lacks many, and its VFS raises the Linux
# numbers. One string, read on the first OSError: a .mpy runtime holds no tuple or qstr a row.
_HOST_ERRNOS = const(
    "EPERM 1 63  ENOENT 2 44  EINTR 4 27  EIO 5 29  ENXIO 6 60  E2BIG 7 1  EBADF 9 8  "
    "EAGAIN 11 6  ENOMEM 12 48  EACCES 13 2  EFAULT 14 21  EBUSY 16 10  EEXIST 17 20  "
    "EXDEV 18 75  ENODEV 19 43  ENOTDIR 20 54  EISDIR 21 31  EINVAL 22 28  ENFILE 23 41  "
    "EMFILE 24 33  ENOTTY 25 59  ETXTBSY 26 74  EFBIG 27 22  ENOSPC 28 51  ESPIPE 29 70  "
    "EROFS 30 69  EMLINK 31 34  EPIPE 32 64  ERANGE 34 68  EDEADLK 35 16  "
    "ENAMETOOLONG 36 37  ENOSYS 38 52  ENOTEMPTY 39 55  ELOOP 40 32  EOVERFLOW 75 61  "
    "EILSEQ 84 25  ENOTSOCK 88 57  EOPNOTSUPP 95 58  ENOTSUP 95 58  ETIMEDOUT 110 73  "
    "EDQUOT 122 19"
)
_errno_map = {}


def errno_of(exc):
    """The WASI errno for a host OSError (EIO when unknown)."""
    if not _errno_map:
        import errno
        rows = _HOST_ERRNOS.split()
        for i in range(0, len(rows), 3):
            _errno_map[int(rows[i + 1])] = int(rows[i + 2])
        for i in range(0, len(rows), 3):
            _errno_map[getattr(errno, rows[i], int(rows[i + 1]))] = int(rows[i + 2])
    n = exc.args[0] if exc.args else None
    return _errno_map.get(n, _EIO) if isinstance(n, int) else _EIO


# --- guest memory: `buf` is the instance memory's `buf`, re-read on every call: a bytearray or a
# memoryview, or for a paged memory (memory.py) a bytearray-like view that supports len, indexing
# and slices but not the buffer protocol, so these helpers go through slices ---
_EMPTY = bytearray()
_FLAT = (bytearray, memoryview)  # the buffer protocol: read and written in place


def membuf(w):
    m = w.mem
    return _EMPTY if m is None else m.buf


def check(buf, ptr, n):
    if ptr + n > len(buf):
        raise WasiError(_EFAULT)


def get_u32(buf, ptr):
    check(buf, ptr, 4)
    return struct.unpack("<I", bytes(buf[ptr:ptr + 4]))[0]


def get_u64(buf, ptr):
    check(buf, ptr, 8)
    return struct.unpack("<Q", bytes(buf[ptr:ptr + 8]))[0]


def put_u32(buf, ptr, v):
    check(buf, ptr, 4)
    buf[ptr:ptr + 4] = struct.pack("<I", v)


def put_u64(buf, ptr, v):
    check(buf, ptr, 8)
    buf[ptr:ptr + 8] = struct.pack("<Q", v)


def put_bytes(buf, ptr, data):
    check(buf, ptr, len(data))
    buf[ptr:ptr + len(data)] = data


def get_str(buf, ptr, n):
    """A guest path/string: UTF-8, no NUL."""
    check(buf, ptr, n)
    try:
        s = bytes(buf[ptr:ptr + n]).decode("utf-8")
    except UnicodeError:
        raise WasiError(_EILSEQ)
    if "\0" in s:
        raise WasiError(_EINVAL)
    return s


def iovecs(buf, iovs, count):
    """[(ptr, len)] of an iovec array, every buffer checked; total must fit a u32 size."""
    check(buf, iovs, 8 * count)
    out = []
    total = 0
    for i in range(count):
        p, n = struct.unpack("<II", bytes(buf[iovs + 8 * i:iovs + 8 * i + 8]))
        check(buf, p, n)
        total += n
        out.append((p, n))
    if total > 0xFFFFFFFF:
        raise WasiError(_EINVAL)
    return out


def read_into(f, buf, p, n):
    """f.readinto guest memory [p, p + n); bytes read."""
    if isinstance(buf, _FLAT):
        return f.readinto(memoryview(buf)[p:p + n]) or 0
    tmp = bytearray(n)
    got = f.readinto(tmp) or 0
    buf[p:p + got] = tmp[:got]
    return got


def window(buf, p, n):
    """Guest memory [p, p + n) to hand to a write: a view when the memory is flat."""
    return memoryview(buf)[p:p + n] if isinstance(buf, _FLAT) else buf[p:p + n]
