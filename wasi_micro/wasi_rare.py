# The WASI functions few programs call: positioned and synced I/O, descriptor flags, rights,
# sizes and times, renumbering, directory listing, poll_oneoff, signals and sockets. Imported on
# a guest's first call of one (wasi.py's table), as wasi_path is: most runs never spend a
# board's RAM on them.
import struct

from . import compat
from .compat import const
from .wasi import clock_now
from .wasi_abi import (
    WasiError, membuf, check, get_u32, get_u64, put_u32,
    EBADF, EINVAL, ENOTCAPABLE, ENOTSOCK, ENOTSUP, ESPIPE, FT_DIR,
    FDF_APPEND, FDF_DSYNC, FDF_NONBLOCK, FDF_RSYNC, FDF_SYNC,
    R_FD_ADVISE, R_FD_ALLOCATE, R_FD_DATASYNC, R_FD_FDSTAT_SET_FLAGS, R_FD_FILESTAT_SET_SIZE,
    R_FD_FILESTAT_SET_TIMES, R_FD_READ, R_FD_READDIR, R_FD_SYNC, R_FD_WRITE,
)
from .wasi_fs import DIR, FILE, STDIN, STDOUT, _flush, _io, _readv, _writev, close_entry, \
    filetype, get, times

_MAX_I64 = const(0x7FFFFFFFFFFFFFFF)
_ABSTIME = const(1)  # poll_oneoff's subscription flag and event types
_EV_CLOCK = const(0)
_EV_FD_READ = const(1)
_EV_FD_WRITE = const(2)
_HANGUP = const(1)


def _positioned(w, fd, iovs, iovs_len, offset, out_ptr, right, write):
    e, buf, vecs = _io(w, fd, iovs, iovs_len, out_ptr, right, -1)
    if e.kind != FILE:
        raise WasiError(ESPIPE)
    if offset > _MAX_I64:
        raise WasiError(EINVAL)
    f = e.f
    pos = f.tell()
    try:
        if write and e.flags & FDF_APPEND:
            f.seek(0, 2)  # appends whatever the offset, as pwrite(2) on Linux and wasmtime
        else:
            f.seek(offset)
        if write:
            n = _writev(f, buf, vecs)
            _flush(e)
        else:
            n = _readv(f, buf, vecs, False)
    finally:
        f.seek(pos)
    put_u32(buf, out_ptr, n)


def fd_pread(w, fd, iovs, iovs_len, offset, nread):
    _positioned(w, fd, iovs, iovs_len, offset, nread, R_FD_READ, False)


def fd_pwrite(w, fd, iovs, iovs_len, offset, nwritten):
    _positioned(w, fd, iovs, iovs_len, offset, nwritten, R_FD_WRITE, True)


def _sync(w, fd, right, data_only):
    e = get(w, fd, 0, (FILE, DIR))
    if not e.base & right:
        raise WasiError(ENOTCAPABLE)
    if e.kind == FILE:
        compat.fsync(e.f, data_only)


def fd_sync(w, fd):
    _sync(w, fd, R_FD_SYNC, False)


def fd_datasync(w, fd):
    _sync(w, fd, R_FD_DATASYNC, True)


def fd_advise(w, fd, offset, length, advice):
    get(w, fd, R_FD_ADVISE, (FILE,))
    if advice > 5:
        raise WasiError(EINVAL)
    # Advice is only a hint; the host has no use for it.


def fd_allocate(w, fd, offset, length):
    e = get(w, fd, R_FD_ALLOCATE, (FILE, DIR))
    if e.kind == DIR:
        raise WasiError(EBADF)
    # Grow the file to cover the range (the suite's fd_allocate tests; wasmtime: ENOTSUP).
    if offset + length > compat.fstat(e.f, e.path)[4]:
        _resize(e, offset + length)


def fd_fdstat_set_flags(w, fd, flags):
    e = get(w, fd, R_FD_FDSTAT_SET_FLAGS, (FILE,))
    if flags & (FDF_DSYNC | FDF_RSYNC | FDF_SYNC) or flags > 31:
        raise WasiError(EINVAL)
    e.flags = flags & (FDF_APPEND | FDF_NONBLOCK)


def fd_fdstat_set_rights(w, fd, base, inh):
    e = get(w, fd)
    if base & ~e.base or inh & ~e.inh:
        raise WasiError(ENOTCAPABLE)  # rights only ever shrink
    e.base = base
    e.inh = inh


def fd_filestat_set_size(w, fd, size):
    e = get(w, fd, 0, (FILE, DIR))
    if e.kind == DIR:
        raise WasiError(EBADF)  # as wasmtime: ftruncate(2) on a directory
    if not e.base & R_FD_FILESTAT_SET_SIZE:
        raise WasiError(ENOTCAPABLE)
    _resize(e, size)


def _resize(e, size):
    # ftruncate(2): EINVAL past the largest size or when not open for writing (Linux, wasmtime)
    if size > _MAX_I64 or not e.base & R_FD_WRITE:
        raise WasiError(EINVAL)
    e.f.flush()
    compat.truncate(e.f, size)


def fd_filestat_set_times(w, fd, atim, mtim, fst):
    e = get(w, fd, R_FD_FILESTAT_SET_TIMES, (FILE, DIR))
    a, m = times(atim, mtim, fst)
    if a is not None or m is not None:
        compat.utime(e.path, a, m)


def fd_renumber(w, fd, to):
    e = get(w, fd)
    if to == fd:
        return
    old = w.fds.get(to)
    if old is None:
        raise WasiError(EBADF)
    del w.fds[fd]
    w.fds[to] = e
    close_entry(old)


def _entries(e):
    """`.`, `..` then the directory's entries: [(name bytes, ino, filetype)]."""
    ino = compat.stat(e.path)[1]
    # `..` gets the directory's own inode (as wasmtime): never stat above a preopen.
    ents = [(b".", ino, FT_DIR), (b"..", ino, FT_DIR)]
    for name, mode, ino in sorted(compat.listdir(e.path)):
        ents.append((name.encode(), ino, filetype(mode)))
    return ents


def fd_readdir(w, fd, ptr, length, cookie, bufused):
    buf = membuf(w)
    e = get(w, fd, 0, (DIR,))  # a file too is EBADF, as wasmtime (getdents(2) says ENOTDIR)
    if not e.base & R_FD_READDIR:
        raise WasiError(ENOTCAPABLE)
    check(buf, ptr, length)
    check(buf, bufused, 4)
    if cookie == 0 or e.ents is None:
        e.ents = _entries(e)  # a rewind (cookie 0) sees the directory afresh
    ents = e.ents
    out = bytearray()
    i = cookie
    while i < len(ents) and len(out) < length:
        name, ino, ft = ents[i]
        i += 1
        hdr = bytearray(24)
        struct.pack_into("<QQIB", hdr, 0, i, ino, len(name), ft)
        out += hdr
        out += name
    # A last entry that does not fit is cut at the end of the buffer: the guest retries larger.
    n = min(len(out), length)
    buf[ptr:ptr + n] = out[:n]
    put_u32(buf, bufused, n)


def proc_raise(w, sig):
    raise WasiError(ENOTSUP)  # as wasmtime: no signals


def _poll_fd(w, tag, fd):
    """(nbytes, flags, stream) for an fd_read/fd_write subscription: a read on stdin gives
    its stream, ready only when input is there; regular files and output streams are always
    ready (reads and writes on them do not block for long), stream None. A descriptor that
    cannot be polled fails the whole call, as wasmtime."""
    e = w.fds.get(fd)
    if e is None or e.kind == DIR:
        raise WasiError(EBADF)
    if tag == _EV_FD_READ and e.kind == STDOUT or tag == _EV_FD_WRITE and e.kind == STDIN:
        raise WasiError(EBADF)
    if e.kind == STDIN:
        return 1, 0, e.f
    if e.kind == FILE and tag == _EV_FD_READ:
        left = compat.fstat(e.f, e.path)[4] - e.f.tell()
        return max(left, 0), 0 if left > 0 else _HANGUP, None
    return 1, 0, None


def poll_oneoff(w, subs, events, nsubs, nevents):
    buf = membuf(w)
    if nsubs == 0:
        raise WasiError(EINVAL)  # would block forever
    check(buf, subs, 48 * nsubs)
    check(buf, events, 32 * nsubs)
    check(buf, nevents, 4)
    ready = []   # (userdata, type, nbytes, flags); every event's error is 0
    clocks = []  # (ns left, userdata)
    stdin = []   # (userdata, stream) of reads on stdin: ready when input comes
    for i in range(nsubs):
        s = subs + 48 * i
        ud = get_u64(buf, s)
        tag = buf[s + 8]
        if tag == _EV_CLOCK:
            cid = get_u32(buf, s + 16)
            timeout = get_u64(buf, s + 24)
            flags = buf[s + 40] | buf[s + 41] << 8
            if flags & ~_ABSTIME or cid > 1:
                raise WasiError(EINVAL)  # as wasmtime: only realtime and monotonic timers
            left = timeout - clock_now(w, cid) if flags & _ABSTIME else timeout
            clocks.append((max(left, 0), ud))
        elif tag == _EV_FD_READ or tag == _EV_FD_WRITE:
            nbytes, flags, stream = _poll_fd(w, tag, get_u32(buf, s + 16))
            if stream is None:
                ready.append((ud, tag, nbytes, flags))
            else:
                stdin.append((ud, stream))
        else:
            raise WasiError(EINVAL)
    if clocks or stdin:
        # Wait for the first clock or input (not at all when something is ready already).
        wait = 0 if ready else min(c[0] for c in clocks) if clocks else None
        # Never wait past the instance's deadline: the driver traps when the guest resumes,
        # so a waiting guest cannot outlive Config.deadline.
        cap = w.inst.time_left_ns() if w.inst is not None else None
        if cap is not None and (wait is None or wait > cap):
            wait = cap
        if stdin:
            t0 = clock_now(w, 1)
            if compat.readable(stdin[0][1], wait):  # one stdin, however many subscriptions
                for ud, stream in stdin:
                    ready.append((ud, _EV_FD_READ, 1, 0))
            waited = clock_now(w, 1) - t0
        else:
            if wait:
                compat.sleep_ns(wait)
            waited = wait
        for left, ud in clocks:
            if left <= waited:
                ready.append((ud, _EV_CLOCK, 0, 0))
    for i in range(len(ready)):
        ud, tag, nbytes, flags = ready[i]
        e = events + 32 * i
        buf[e:e + 32] = struct.pack("<QHBxxxxxQHxxxxxx", ud, 0, tag, nbytes, flags)
    put_u32(buf, nevents, len(ready))


def _sock(w, fd):
    if fd not in w.fds:
        raise WasiError(EBADF)
    raise WasiError(ENOTSOCK)  # no descriptor here is ever a socket


def sock_accept(w, fd, flags, fd_out):
    _sock(w, fd)


def sock_recv(w, fd, ri_data, ri_len, ri_flags, ro_len, ro_flags):
    _sock(w, fd)


def sock_send(w, fd, si_data, si_len, si_flags, so_len):
    _sock(w, fd)


def sock_shutdown(w, fd, how):
    _sock(w, fd)
