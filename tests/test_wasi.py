# WASI preview1, the functions that are not about files: the table, args/environ, clocks,
# random, stdio, poll_oneoff, proc_exit, sockets, and guest-pointer checks (EFAULT).
import struct

import support
from support import raises
from test_wasi_helpers import Guest
from wasi_micro import compat
from wasi_micro.errors import Exit, LimitError, OUT_OF_MEMORY
from wasi_micro.wasi import TABLE

EBADF, EFAULT, EINVAL, ENOTSOCK, ESPIPE = 8, 21, 28, 57, 70


def test_table_lists_all_46_functions_once():
    names = [row[0] for row in TABLE]
    assert len(names) == 46 and len(set(names)) == 46
    for name, sig, fn in TABLE:
        params, results = sig.split(":")
        assert set(params) <= set("iI"), name
        assert results == ("" if name == "proc_exit" else "i"), name
    # i64 parameters exactly where preview1 has 64-bit values
    sigs = dict((n, s) for n, s, f in TABLE)
    assert sigs["fd_seek"] == "iIii:i" and sigs["path_open"] == "iiiiiIIii:i"
    assert sigs["path_filestat_set_times"] == "iiiiIIi:i" and sigs["fd_pread"] == "iiiIi:i"


def test_args_and_environ():
    g = Guest(args=("prog", "a b", 'q"uote', ""), env=[("A", "1"), ("EMPTY", ""), ("N", "x=y")])
    cnt, size = g.alloc(4), g.alloc(4)
    assert g.call("args_sizes_get", cnt, size) == 0
    assert g.u32(cnt) == 4 and g.u32(size) == len(b'prog\0a b\0q"uote\0\0')
    argv, data = g.alloc(16), g.alloc(64)
    assert g.call("args_get", argv, data) == 0
    got = []
    for i in range(4):
        p = g.u32(argv + 4 * i)
        end = g.buf.index(b"\0", p)
        got.append(bytes(g.buf[p:end]))
    assert got == [b"prog", b"a b", b'q"uote', b""]
    assert g.call("environ_sizes_get", cnt, size) == 0
    assert g.u32(cnt) == 3 and g.u32(size) == len(b"A=1\0EMPTY=\0N=x=y\0")
    assert g.call("environ_get", argv, data) == 0
    assert bytes(g.buf[data:data + 17]) == b"A=1\0EMPTY=\0N=x=y\0"


def test_args_efault():
    g = Guest(args=("prog", "abc"))
    end = len(g.buf)
    assert g.call("args_sizes_get", end - 2, 0) == EFAULT
    assert g.call("args_get", end - 4, 0) == EFAULT      # 2 pointers need 8 bytes
    assert g.call("args_get", 0, end - 8) == EFAULT      # "prog\0abc\0" is 9 bytes
    assert g.call("args_get", 0, end - 9) == 0
    assert g.call("environ_get", end, end) == 0          # nothing to write: no access


def test_clocks():
    g = Guest()
    p = g.alloc(8)
    assert g.call("clock_time_get", 1, 0, p) == 0
    t1 = g.u64(p)
    assert g.call("clock_time_get", 1, 0, p) == 0
    assert g.u64(p) >= t1
    assert g.call("clock_time_get", 0, 1000, p) == 0
    assert abs(g.u64(p) - compat.realtime_ns()) < 60 * 10 ** 9
    for cid in (0, 1):
        assert g.call("clock_res_get", cid, p) == 0 and 0 < g.u64(p) <= 10 ** 9
    assert g.call("clock_time_get", 4, 0, p) == EINVAL
    assert g.call("clock_res_get", 99, p) == EINVAL
    assert g.call("clock_time_get", 1, 0, len(g.buf) - 7) == EFAULT


def test_cpu_time_clocks_answer_on_every_host():
    # Process and thread CPU time (2, 3): a benchmark timing itself with them, as CoreMark
    # does, spins for ever on an error. MicroPython has no CPU clock: there they are the
    # monotonic time since the guest started (the only program running).
    t0 = compat.monotonic_ns()
    g = Guest()
    p = g.alloc(8)
    for cid in (2, 3):
        assert g.call("clock_res_get", cid, p) == 0 and 0 < g.u64(p) <= 10 ** 9
        assert g.call("clock_time_get", cid, 0, p) == 0
        first = g.u64(p)
        assert g.call("clock_time_get", cid, 0, p) == 0 and g.u64(p) >= first
        if compat.cputime_ns(False) is None:
            assert g.u64(p) <= compat.monotonic_ns() - t0


def test_random_get():
    g = Guest()
    p = g.alloc(1000)
    assert g.call("random_get", p, 1000) == 0
    assert bytes(g.buf[p:p + 1000]) != bytes(1000)
    end = len(g.buf)
    assert g.call("random_get", end, 0) == 0
    assert g.call("random_get", end - 10, 11) == EFAULT


def test_stdio_write_and_read():
    g = Guest(stdin=b"input data")
    r, n = g.write(1, b"hello ")
    assert (r, n) == (0, 6)
    arr, cnt, _ = g.iov(b"wor", b"", b"ld\n")
    out = g.alloc(4)
    assert g.call("fd_write", 1, arr, cnt, out) == 0 and g.u32(out) == 6
    assert g.out.getvalue() == b"hello world\n"
    assert g.write(2, b"err")[0] == 0 and g.err.getvalue() == b"err"
    assert g.read(0, 5) == (0, b"input")
    assert g.read(0, 100) == (0, b" data")
    assert g.read(0, 100) == (0, b"")
    assert g.write(0, b"x")[0] == EBADF
    assert g.read(1, 4)[0] == EBADF
    assert g.write(77, b"x")[0] == EBADF
    assert g.write(1 << 31, b"x")[0] == EBADF


def test_fd_write_efault():
    g = Guest()
    end = len(g.buf)
    out = g.alloc(4)
    arr = g.alloc(8)
    struct.pack_into("<II", g.buf, arr, end - 2, 3)  # buffer runs off the end
    assert g.call("fd_write", 1, arr, 1, out) == EFAULT
    assert g.call("fd_write", 1, end - 4, 1, out) == EFAULT  # iovec itself off the end
    struct.pack_into("<II", g.buf, arr, 0, 1)
    assert g.call("fd_write", 1, arr, 1, end - 3) == EFAULT  # nwritten off the end
    assert g.call("fd_write", 1, arr, 0x20000000, out) == EFAULT
    assert g.out.getvalue() == b""  # nothing was written by a failing call


def test_stdio_fdstat_and_seek():
    g = Guest()
    p = g.alloc(24)
    assert g.call("fd_fdstat_get", 1, p) == 0
    assert g.buf[p] in (0, 2)
    assert g.u64(p + 8) & (1 << 6) and not g.u64(p + 8) & (1 << 1)  # FD_WRITE, no FD_READ
    assert g.call("fd_fdstat_get", 0, p) == 0 and g.u64(p + 8) & (1 << 1)
    assert g.call("fd_fdstat_get", 9, p) == EBADF
    assert g.call("fd_seek", 1, 0, 0, p) == ESPIPE
    assert g.call("fd_tell", 0, p) == ESPIPE
    assert g.call("fd_fdstat_get", 1, len(g.buf) - 23) == EFAULT


def test_proc_exit_and_raise():
    g = Guest()
    e = raises(Exit, g.call, "proc_exit", 42)
    assert e.status == 42
    assert g.call("proc_raise", 6) == 58
    assert g.call("sched_yield") == 0


class _NoRoom:
    """Guest memory whose frames the host has no room for (a paged memory in a full heap)."""

    def __len__(self):
        return 65536

    def __setitem__(self, i, v):
        raise LimitError(OUT_OF_MEMORY)


def test_a_trap_in_a_call_traps_the_guest():
    # Not an errno: wasi-libc's startup exits 71 on an EIO from fd_prestat_get.
    g = Guest(preopens=[(".", "/")])
    g.mem.buf = _NoRoom()
    e = raises(LimitError, g.call, "fd_prestat_get", 3, 64)
    assert str(e).startswith(OUT_OF_MEMORY)


def test_sockets():
    g = Guest()
    out = g.alloc(8)
    assert g.call("sock_shutdown", 3, 1) == EBADF
    assert g.call("sock_shutdown", 1, 1) == ENOTSOCK
    assert g.call("sock_accept", 0, 0, out) == ENOTSOCK
    assert g.call("sock_recv", 55, 0, 0, 0, out, out) == EBADF
    assert g.call("sock_send", 2, 0, 0, 0, out) == ENOTSOCK


def _sub_clock(g, p, ud, timeout, absolute=False, cid=1):
    struct.pack_into("<QB", g.buf, p, ud, 0)
    struct.pack_into("<I", g.buf, p + 16, cid)
    struct.pack_into("<QQH", g.buf, p + 24, timeout, 0, 1 if absolute else 0)


def _sub_fd(g, p, ud, tag, fd):
    struct.pack_into("<QB", g.buf, p, ud, tag)
    struct.pack_into("<I", g.buf, p + 16, fd)


def _events(g, p, n):
    return [struct.unpack_from("<QHB", g.buf, p + 32 * i) for i in range(n)]


def test_poll_oneoff_clock_sleeps():
    g = Guest()
    subs, evs, n = g.alloc(96), g.alloc(64), g.alloc(4)
    _sub_clock(g, subs, 7, 20000000)               # 20 ms relative
    _sub_clock(g, subs + 48, 8, 10 ** 12)          # much later
    t0 = compat.monotonic_ns()
    assert g.call("poll_oneoff", subs, evs, 2, n) == 0
    assert compat.monotonic_ns() - t0 >= 15000000
    assert g.u32(n) == 1 and _events(g, evs, 1) == [(7, 0, 0)]
    # absolute deadline in the past: no wait
    _sub_clock(g, subs, 9, 1, absolute=True)
    assert g.call("poll_oneoff", subs, evs, 1, n) == 0
    assert g.u32(n) == 1 and _events(g, evs, 1) == [(9, 0, 0)]


def test_poll_oneoff_fds_and_errors():
    g = Guest()
    subs, evs, n = g.alloc(48 * 4), g.alloc(32 * 4), g.alloc(4)
    _sub_fd(g, subs, 1, 2, 1)          # stdout writable
    _sub_fd(g, subs + 48, 2, 1, 0)     # stdin readable
    _sub_clock(g, subs + 96, 4, 10 ** 12)
    _sub_fd(g, subs + 144, 3, 1, 42)   # bad fd
    t0 = compat.monotonic_ns()
    assert g.call("poll_oneoff", subs, evs, 3, n) == 0
    assert compat.monotonic_ns() - t0 < 10 ** 9  # ready fds: the far clock is not waited for
    assert g.u32(n) == 2
    assert _events(g, evs, 2) == [(1, 0, 2), (2, 0, 1)]
    # a bad descriptor fails the whole call, as wasmtime
    assert g.call("poll_oneoff", subs, evs, 4, n) == EBADF
    assert g.call("poll_oneoff", subs, evs, 0, n) == EINVAL
    struct.pack_into("<B", g.buf, subs + 8, 9)   # unknown event type
    assert g.call("poll_oneoff", subs, evs, 1, n) == EINVAL
    _sub_clock(g, subs, 1, 0, cid=7)
    assert g.call("poll_oneoff", subs, evs, 1, n) == EINVAL
    assert g.call("poll_oneoff", len(g.buf) - 47, evs, 1, n) == EFAULT
    assert g.call("poll_oneoff", subs, len(g.buf) - 31, 1, n) == EFAULT


def test_poll_oneoff_waits_for_input_on_stdin():
    # A read subscription on a real stdin is ready only when input is there (an in-memory
    # one, as above, always is). Needs a pipe (CPython; MicroPython's os has none).
    import os
    if not hasattr(os, "pipe"):
        support.skip("no os.pipe on this host")
    r, w = os.pipe()
    g = Guest()
    g.w.fds[0].f = open(r, "rb", buffering=0)
    try:
        subs, evs, n = g.alloc(96), g.alloc(64), g.alloc(4)
        _sub_fd(g, subs, 1, 1, 0)                     # stdin readable
        _sub_clock(g, subs + 48, 2, 30000000)         # 30 ms
        t0 = compat.monotonic_ns()
        assert g.call("poll_oneoff", subs, evs, 2, n) == 0
        assert compat.monotonic_ns() - t0 >= 25000000
        assert g.u32(n) == 1 and _events(g, evs, 1) == [(2, 0, 0)]  # no input: the clock
        os.write(w, b"x")
        _sub_clock(g, subs + 48, 2, 10 ** 12)         # far away: input ends the wait
        assert g.call("poll_oneoff", subs, evs, 2, n) == 0
        assert g.u32(n) == 1 and _events(g, evs, 1) == [(1, 0, 1)]
    finally:
        g.w.fds[0].f.close()
        os.close(w)


def test_start_function_reaches_memory():
    # A start function runs after run_command has bound the WASI memory, so its calls read
    # and write guest memory like _start's (not EFAULT).
    import io
    from host_tools import wasmbuild as B
    from wasi_micro.wasi import run_command
    m = B.Module()
    fd_write = m.import_func("wasi_snapshot_preview1", "fd_write",
                             [B.I32, B.I32, B.I32, B.I32], [B.I32])
    m.set_memory(1)
    m.data(16, struct.pack("<II", 32, 6) + bytes(8) + b"start\n")  # iovec at 16, text at 32
    # fd_write(1, 16, 1, 24), its errno stored at 28
    body = B.i32(28) + B.i32(1) + B.i32(16) + B.i32(1) + B.i32(24) + b"\x10" + B.uleb(fd_write)
    m.start = m.func([], [], body + B.mem(0x36, 0))
    m.func([], [], b"", export="_start")
    out = io.BytesIO()
    assert run_command(m.bytes(), ["p"], [], [], stdout=out) == 0
    assert out.getvalue() == b"start\n"


def test_a_finished_command_leaves_nothing_behind():
    # Its function references live in a store of its own: the global store would keep the
    # instance (code, registers, memory) alive after the command, a board's whole heap.
    from host_tools import wasmbuild as B
    from wasi_micro.runtime import DEFAULT_STORE
    from wasi_micro.wasi import run_command
    m = B.Module()
    m.set_table(1)
    f = m.func([], [], b"", export="_start")
    m.elem(0, [f])
    before = (DEFAULT_STORE.next, len(DEFAULT_STORE.ranges))
    assert run_command(m.bytes(), ["p"], [], []) == 0
    assert (DEFAULT_STORE.next, len(DEFAULT_STORE.ranges)) == before
