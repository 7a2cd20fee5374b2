# WASI preview1 (`wasi_snapshot_preview1`): the function table, the functions that are not about
# files (args, environ, clocks, random, poll, proc, sockets) and `run_command`.
#
# Every handler is fn(wasi, *raw_args) and returns nothing (success) or raises WasiError(errno);
# the wrapper built by Wasi.imports() turns host errors into errnos so no Python exception
# reaches the guest. Exit (proc_exit) unwinds the guest; the host running out of memory traps.
import os
import struct
import sys

from . import compat
from .compat import const
from .errors import Exit, LimitError, OUT_OF_MEMORY
from .wasi_abi import (
    WasiError, errno_of, membuf, check, get_u32, get_u64, put_u32, put_u64,
    EBADF, EINVAL, EIO, ENOTSOCK, ENOTSUP,
)
from . import wasi_fs as fs

_CLOCK_NAMES = ("time", "monotonic", "process_time", "thread_time")
_ABSTIME = const(1)
_EV_CLOCK = const(0)
_EV_FD_READ = const(1)
_EV_FD_WRITE = const(2)
_HANGUP = const(1)


def _strings(buf, ptrs, data, items):
    """args_get/environ_get: a pointer array and the NUL-terminated strings it points to."""
    check(buf, ptrs, 4 * len(items))
    check(buf, data, sum(len(s) + 1 for s in items))
    for s in items:
        buf[ptrs:ptrs + 4] = struct.pack("<I", data)
        ptrs += 4
        buf[data:data + len(s)] = s
        data += len(s)
        buf[data] = 0
        data += 1


def _sizes(buf, count_ptr, size_ptr, items):
    check(buf, count_ptr, 4)
    check(buf, size_ptr, 4)
    put_u32(buf, count_ptr, len(items))
    put_u32(buf, size_ptr, sum(len(s) + 1 for s in items))


def args_get(w, argv, argv_buf):
    _strings(membuf(w), argv, argv_buf, w.args)


def args_sizes_get(w, argc, size):
    _sizes(membuf(w), argc, size, w.args)


def environ_get(w, environ, environ_buf):
    _strings(membuf(w), environ, environ_buf, w.env)


def environ_sizes_get(w, count, size):
    _sizes(membuf(w), count, size, w.env)


def clock_now(w, cid):
    if cid == 0:
        return compat.realtime_ns()
    if cid == 1:
        return compat.monotonic_ns()
    if cid > 3:
        raise WasiError(EINVAL)
    t = compat.cputime_ns(cid == 3)
    if t is None:
        # No CPU-time clock (MicroPython): the guest is the only program running, so the time
        # since it started is an honest process (and thread) clock.
        t = compat.monotonic_ns() - w.started
    return t


def clock_res_get(w, cid, ptr):
    buf = membuf(w)
    clock_now(w, cid)  # EINVAL as for the clock itself
    put_u64(buf, ptr, compat.clock_res_ns(_CLOCK_NAMES[cid]))


def clock_time_get(w, cid, precision, ptr):
    buf = membuf(w)
    check(buf, ptr, 8)
    put_u64(buf, ptr, clock_now(w, cid) & 0xFFFFFFFFFFFFFFFF)


def random_get(w, ptr, n):
    buf = membuf(w)
    check(buf, ptr, n)
    while n:
        k = min(n, 256)  # small chunks: os.urandom allocates its result
        buf[ptr:ptr + k] = os.urandom(k)
        ptr += k
        n -= k


def sched_yield(w):
    pass


def proc_exit(w, code):
    raise Exit(code)


def proc_raise(w, sig):
    raise WasiError(ENOTSUP)  # as wasmtime: no signals


def _poll_fd(w, tag, fd):
    """(nbytes, flags, stream) for an fd_read/fd_write subscription: a read on stdin gives
    its stream, ready only when input is there; regular files and output streams are always
    ready (reads and writes on them do not block for long), stream None. A descriptor that
    cannot be polled fails the whole call, as wasmtime."""
    e = w.fds.get(fd)
    if e is None or e.kind == fs.DIR:
        raise WasiError(EBADF)
    if tag == _EV_FD_READ and e.kind == fs.STDOUT or tag == _EV_FD_WRITE and e.kind == fs.STDIN:
        raise WasiError(EBADF)
    if e.kind == fs.STDIN:
        return 1, 0, e.f
    if e.kind == fs.FILE and tag == _EV_FD_READ:
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


def _path_op(name):
    # wasi_path is imported when a guest first names a path: a board's RAM is not spent on it
    # for the many programs that never do.
    def op(w, *args):
        from . import wasi_path
        return getattr(wasi_path, name)(w, *args)
    return op


# The 46 functions of wasi_snapshot_preview1: name, signature (params ':' results; i = i32,
# I = i64), handler. This table is the coverage list.
TABLE = (
    ("args_get", "ii:i", args_get),
    ("args_sizes_get", "ii:i", args_sizes_get),
    ("environ_get", "ii:i", environ_get),
    ("environ_sizes_get", "ii:i", environ_sizes_get),
    ("clock_res_get", "ii:i", clock_res_get),
    ("clock_time_get", "iIi:i", clock_time_get),
    ("fd_advise", "iIIi:i", fs.fd_advise),
    ("fd_allocate", "iII:i", fs.fd_allocate),
    ("fd_close", "i:i", fs.fd_close),
    ("fd_datasync", "i:i", fs.fd_datasync),
    ("fd_fdstat_get", "ii:i", fs.fd_fdstat_get),
    ("fd_fdstat_set_flags", "ii:i", fs.fd_fdstat_set_flags),
    ("fd_fdstat_set_rights", "iII:i", fs.fd_fdstat_set_rights),
    ("fd_filestat_get", "ii:i", fs.fd_filestat_get),
    ("fd_filestat_set_size", "iI:i", fs.fd_filestat_set_size),
    ("fd_filestat_set_times", "iIIi:i", fs.fd_filestat_set_times),
    ("fd_pread", "iiiIi:i", fs.fd_pread),
    ("fd_prestat_get", "ii:i", fs.fd_prestat_get),
    ("fd_prestat_dir_name", "iii:i", fs.fd_prestat_dir_name),
    ("fd_pwrite", "iiiIi:i", fs.fd_pwrite),
    ("fd_read", "iiii:i", fs.fd_read),
    ("fd_readdir", "iiiIi:i", fs.fd_readdir),
    ("fd_renumber", "ii:i", fs.fd_renumber),
    ("fd_seek", "iIii:i", fs.fd_seek),
    ("fd_sync", "i:i", fs.fd_sync),
    ("fd_tell", "ii:i", fs.fd_tell),
    ("fd_write", "iiii:i", fs.fd_write),
    ("path_create_directory", "iii:i", _path_op("path_create_directory")),
    ("path_filestat_get", "iiiii:i", _path_op("path_filestat_get")),
    ("path_filestat_set_times", "iiiiIIi:i", _path_op("path_filestat_set_times")),
    ("path_link", "iiiiiii:i", _path_op("path_link")),
    ("path_open", "iiiiiIIii:i", _path_op("path_open")),
    ("path_readlink", "iiiiii:i", _path_op("path_readlink")),
    ("path_remove_directory", "iii:i", _path_op("path_remove_directory")),
    ("path_rename", "iiiiii:i", _path_op("path_rename")),
    ("path_symlink", "iiiii:i", _path_op("path_symlink")),
    ("path_unlink_file", "iii:i", _path_op("path_unlink_file")),
    ("poll_oneoff", "iiii:i", poll_oneoff),
    ("proc_exit", "i:", proc_exit),
    ("proc_raise", "i:i", proc_raise),
    ("random_get", "ii:i", random_get),
    ("sched_yield", ":i", sched_yield),
    ("sock_accept", "iii:i", sock_accept),
    ("sock_recv", "iiiiii:i", sock_recv),
    ("sock_send", "iiiii:i", sock_send),
    ("sock_shutdown", "ii:i", sock_shutdown),
)


def _guarded(w, name, fn):
    def call(*args):
        try:
            fn(w, *args)
            return 0
        except WasiError as e:
            return e.errno
        except Exit:
            raise
        except OSError as e:
            return errno_of(e)
        except MemoryError:  # the host's heap ran out, not the guest's request: a clean trap
            raise LimitError(OUT_OF_MEMORY, name)
        except Exception as e:  # a host surprise must not reach the guest
            w.surprise(e)
            return EIO
    return call


def _encode(s):
    return s if isinstance(s, bytes) else s.encode()


class Wasi:
    """The state of one WASI command: arguments, environment, descriptors, guest memory.

    args: argv including the program name; env: dict or [(name, value)] (exactly what the
    guest sees); preopens: [(host dir, guest name)]; streams: binary file-like objects.
    """

    def __init__(self, args=(), env=(), preopens=(), stdin=None, stdout=None, stderr=None):
        self.args = [_encode(a) for a in args]
        items = env.items() if hasattr(env, "items") else env
        self.env = [_encode(k) + b"=" + _encode(v) for k, v in items]
        self.mem = None
        self.inst = None
        self.started = compat.monotonic_ns()  # the process clock's zero where no CPU clock
        self.fds = {
            0: fs.stdio(fs.STDIN, _std(stdin, sys.stdin, True)),
            1: fs.stdio(fs.STDOUT, _std(stdout, sys.stdout, False)),
            2: fs.stdio(fs.STDOUT, _std(stderr, sys.stderr, False)),
        }
        for host, guest in preopens:
            fs.add(self, fs.preopen(host, guest))

    def imports(self, host_func=None):
        """{"wasi_snapshot_preview1": {name: HostFunc}} for instantiate(). The functions are
        made as the module asks for them: a board pays only for the few a program imports."""
        if host_func is None:
            from .runtime import HostFunc as host_func
        return {"wasi_snapshot_preview1": _Functions(self, host_func)}

    def surprise(self, exc):
        """An unexpected host exception in a WASI call (the guest gets EIO); for tests and
        fuzzing to override."""

    def bind(self, instance):
        self.inst = instance
        self.mem = instance.memory()

    def close(self):
        """Close every descriptor (flushing stdout/stderr)."""
        fds = self.fds
        self.fds = {}
        for e in fds.values():
            try:
                fs.close_entry(e)
            except Exception:
                pass


class _Functions:
    """The preview1 functions as a read-only mapping, each built on first lookup."""

    def __init__(self, w, host_func):
        self.w = w
        self.host_func = host_func
        self.made = {}

    def get(self, name, default=None):
        f = self.made.get(name)
        if f is None:
            for row in TABLE:
                if row[0] == name:
                    f = self.made[name] = self.host_func(row[1], _guarded(self.w, name, row[2]))
                    break
            else:
                return default
        return f

    def __getitem__(self, name):
        f = self.get(name)
        if f is None:
            raise KeyError(name)
        return f

    def __contains__(self, name):
        return self.get(name) is not None

    def keys(self):
        return [row[0] for row in TABLE]


def _std(given, default, reading):
    if given is not None:
        return given
    b = getattr(default, "buffer", default)
    # CPython's buffered stdin would wait to fill the whole read: read the raw file.
    return getattr(b, "raw", b) if reading else b


def run_command(module_or_bytes, args, env, preopens, stdin=None, stdout=None, stderr=None,
                config=None):
    """Run a WASI command's `_start`; returns its exit status. Traps propagate as Trap."""
    from . import load, instantiate
    from .runtime import Store
    m = module_or_bytes
    if isinstance(m, (bytes, bytearray, str)):
        m = load(m)
    w = Wasi(args, env, preopens, stdin, stdout, stderr)
    try:
        # A store of its own: the global one would keep the instance (its code, registers and
        # memory) alive after the command ends.
        inst = instantiate(m, w.imports(), config, Store(), run_start=False)
        w.bind(inst)  # before the start function, which may call WASI too
        inst.start()
        inst.invoke("_start", [])
        return 0
    except Exit as e:
        return e.status
    finally:
        w.close()
