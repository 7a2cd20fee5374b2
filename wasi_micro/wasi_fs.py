# WASI descriptors: the fd table entries (stdio, files, directories and preopens) and the
# fd_* functions on them. Paths are resolved in wasi_path.py; host calls that differ between
# CPython and MicroPython come from compat.
from . import compat
from .compat import const
from .wasi_abi import (
    WasiError, membuf, check, put_u32, put_u64, put_bytes, iovecs, read_into, window,
    EBADF, EINVAL, ENOTCAPABLE, ENOTDIR, ENAMETOOLONG, ESPIPE, EOVERFLOW,
    FT_UNKNOWN, FT_CHAR, FT_DIR, FT_FILE, FT_LINK, FDF_APPEND, FDF_DSYNC, FDF_SYNC,
    R_FD_READ, R_FD_SEEK, R_FD_TELL, R_FD_WRITE, R_FD_FILESTAT_GET, R_POLL_FD_READWRITE,
)

# Descriptor kinds.
STDIN = const(0)
STDOUT = const(1)  # stdout and stderr
FILE = const(2)
DIR = const(3)

_S_IFMT = const(0o170000)
_MODE_TO_FT = {0o040000: FT_DIR, 0o100000: FT_FILE, 0o120000: FT_LINK, 0o020000: FT_CHAR,
               0o060000: 1}
_MAX_I64 = const(0x7FFFFFFFFFFFFFFF)

# What a regular file may ever do; a directory gets the rest (wasmtime's preopen set).
FILE_RIGHTS = const(0x8E001FF)  # fd_* rights: bits 0-8, 21-23, 27 (poll)
DIR_RIGHTS = const(0x7BFFE00)   # path_* rights, readdir, filestat get/set_times: bits 9-21, 23-26


class Fd:
    """One open descriptor. `f` is the host file or stream; `path` the host path (files/dirs)."""

    def __init__(self, kind, ftype, base, inh, f=None, path=None, flags=0):
        self.kind = kind
        self.ftype = ftype
        self.base = base
        self.inh = inh
        self.f = f
        self.path = path
        self.flags = flags
        self.name = None   # preopens: the guest name, as bytes
        self.ents = None   # directories: entries cached by fd_readdir at cookie 0


def filetype(mode):
    return _MODE_TO_FT.get(mode & _S_IFMT, FT_UNKNOWN)


def is_dir(st):
    return st[0] & _S_IFMT == 0o040000


def stdio(kind, stream):
    tty = compat.isatty(stream)
    right = R_FD_READ if kind == STDIN else R_FD_WRITE
    return Fd(kind, FT_CHAR if tty else FT_UNKNOWN,
              right | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE, 0, f=stream)


def preopen(host, guest):
    """The Fd for a preopened directory (OSError if it is not one)."""
    if len(host) > 1:
        host = host.rstrip("/") or "/"
    if not is_dir(compat.stat(host)):
        raise OSError(20)
    d = Fd(DIR, FT_DIR, DIR_RIGHTS, DIR_RIGHTS | FILE_RIGHTS, path=host)
    d.name = guest.encode()
    return d


def get(w, fd, right=0, kinds=None):
    """The entry for `fd`: EBADF when closed or of the wrong kind, ENOTCAPABLE without `right`."""
    e = w.fds.get(fd)
    if e is None or (kinds is not None and e.kind not in kinds):
        raise WasiError(EBADF)
    if e.base & right != right:
        raise WasiError(ENOTCAPABLE)
    return e


def add(w, e):
    """Install `e` at the lowest free fd number."""
    fds = w.fds
    n = 3
    while n in fds:
        n += 1
    fds[n] = e
    return n


def close_entry(e):
    if e.kind == FILE:
        e.f.close()
    elif e.kind == STDOUT:
        e.f.flush()


def put_filestat(buf, ptr, st):
    check(buf, ptr, 64)
    mode, ino, dev, nlink, size, atim, mtim, ctim = st
    put_u64(buf, ptr, dev)
    put_u64(buf, ptr + 8, ino)
    buf[ptr + 16] = filetype(mode)
    for i in range(17, 24):
        buf[ptr + i] = 0
    put_u64(buf, ptr + 24, nlink)
    put_u64(buf, ptr + 32, size)
    put_u64(buf, ptr + 40, atim)
    put_u64(buf, ptr + 48, mtim)
    put_u64(buf, ptr + 56, ctim)


def _io(w, fd, iovs, iovs_len, out_ptr, right, wrong_kind):
    """Common start of read/write calls: the entry, the memory and the checked iovecs. A
    descriptor not opened for reading or writing is EBADF, as read(2)/write(2) and wasmtime."""
    buf = membuf(w)
    e = get(w, fd)
    if e.kind == DIR or e.kind == wrong_kind or e.base & right != right:
        raise WasiError(EBADF)
    check(buf, out_ptr, 4)
    return e, buf, iovecs(buf, iovs, iovs_len)


def _readv(f, buf, vecs, stream):
    total = 0
    for p, n in vecs:
        if n:
            got = read_into(f, buf, p, n)
            total += got
            if got < n and (stream or got == 0):
                break
    return total


def _writev(f, buf, vecs):
    total = 0
    for p, n in vecs:
        while n:
            k = f.write(window(buf, p, n))
            if k is None:  # a non-blocking host stream that took nothing
                return total
            total += k
            p += k
            n -= k
    return total


def fd_read(w, fd, iovs, iovs_len, nread):
    e, buf, vecs = _io(w, fd, iovs, iovs_len, nread, R_FD_READ, STDOUT)
    put_u32(buf, nread, _readv(e.f, buf, vecs, e.kind == STDIN))


def fd_write(w, fd, iovs, iovs_len, nwritten):
    e, buf, vecs = _io(w, fd, iovs, iovs_len, nwritten, R_FD_WRITE, STDIN)
    f = e.f
    if e.flags & FDF_APPEND:
        f.seek(0, 2)
    n = _writev(f, buf, vecs)
    # Flushed at once: stdio streams as it is written, and a file's data is visible to other
    # descriptors (littlefs keeps unflushed writes private to the open file).
    _flush(e)
    put_u32(buf, nwritten, n)


def _flush(e):
    e.f.flush()
    if e.flags & (FDF_SYNC | FDF_DSYNC):  # opened for synchronous I/O
        compat.fsync(e.f, not e.flags & FDF_SYNC)


def fd_seek(w, fd, offset, whence, newoffset):
    buf = membuf(w)
    e = get(w, fd)
    if e.kind != FILE:
        raise WasiError(ESPIPE if e.kind != DIR else EBADF)
    if offset > _MAX_I64:
        offset -= 1 << 64
    # A pure "where am I" needs only FD_TELL (lseek(fd, 0, SEEK_CUR)).
    right = R_FD_TELL if offset == 0 and whence == 1 else R_FD_SEEK
    if e.base & right != right:
        raise WasiError(ENOTCAPABLE)
    check(buf, newoffset, 8)
    f = e.f
    if whence == 0:
        base = 0
    elif whence == 1:
        base = f.tell()
    elif whence == 2:
        base = compat.fstat(f, e.path)[4]
    else:
        raise WasiError(EINVAL)
    pos = base + offset
    if pos < 0:
        raise WasiError(EINVAL)
    if pos > _MAX_I64:
        raise WasiError(EOVERFLOW)
    put_u64(buf, newoffset, f.seek(pos))


def fd_tell(w, fd, offset):
    buf = membuf(w)
    e = get(w, fd)
    if e.kind != FILE:
        raise WasiError(ESPIPE if e.kind != DIR else EBADF)
    if not e.base & R_FD_TELL:
        raise WasiError(ENOTCAPABLE)
    put_u64(buf, offset, e.f.tell())


def fd_close(w, fd):
    e = get(w, fd)
    del w.fds[fd]
    close_entry(e)


def fd_fdstat_get(w, fd, ptr):
    buf = membuf(w)
    e = get(w, fd)
    check(buf, ptr, 24)
    buf[ptr] = e.ftype
    buf[ptr + 1] = 0
    buf[ptr + 2] = e.flags & 0xFF
    buf[ptr + 3] = e.flags >> 8
    for i in range(4, 8):
        buf[ptr + i] = 0
    put_u64(buf, ptr + 8, e.base)
    put_u64(buf, ptr + 16, e.inh)


def fd_filestat_get(w, fd, ptr):
    buf = membuf(w)
    e = get(w, fd, R_FD_FILESTAT_GET)
    check(buf, ptr, 64)
    if e.kind == FILE or e.kind == DIR:
        st = compat.fstat(e.f, e.path) if e.kind == FILE else compat.stat(e.path)
    else:
        st = (0o020000 if e.ftype == FT_CHAR else 0, 0, 0, 0, 0, 0, 0, 0)
    put_filestat(buf, ptr, st)


def times(atim, mtim, fst):
    """(atim, mtim) for utime from fstflags: ns, or None to keep; EINVAL for set-and-now."""
    if fst & 3 == 3 or fst & 12 == 12 or fst > 15:
        raise WasiError(EINVAL)
    now = compat.realtime_ns() if fst & 10 else 0
    a = atim if fst & 1 else (now if fst & 2 else None)
    m = mtim if fst & 4 else (now if fst & 8 else None)
    return a, m


def fd_prestat_get(w, fd, ptr):
    buf = membuf(w)
    e = get(w, fd)
    if e.name is None:
        raise WasiError(EBADF)
    check(buf, ptr, 8)
    put_u32(buf, ptr, 0)  # tag 0: a directory, padding zeroed
    put_u32(buf, ptr + 4, len(e.name))


def fd_prestat_dir_name(w, fd, ptr, length):
    buf = membuf(w)
    e = get(w, fd)
    if e.name is None:
        raise WasiError(ENOTDIR)
    if len(e.name) > length:
        raise WasiError(ENAMETOOLONG)
    put_bytes(buf, ptr, e.name)
