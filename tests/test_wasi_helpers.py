# Helpers for the WASI tests (no tests here): a scratch directory, a fake guest memory and
# direct calls into the preview1 table through the same wrapper the guest goes through.
import io
import os
import struct

from wasi_micro import compat
from wasi_micro.wasi import Wasi

_S_IFDIR = 0o040000


class Mem:
    def __init__(self, n=65536):
        self.buf = bytearray(n)


def host_func(sig, fn):
    return fn


def scratch():
    """A fresh empty directory under /tmp."""
    base = "/tmp/wasi-micro-test-%s" % "".join("%02x" % b for b in os.urandom(6))
    os.mkdir(base)
    return base


def rmtree(path):
    try:
        st = compat.lstat(path)
    except OSError:
        return
    if st[0] & 0o170000 == _S_IFDIR:
        for name, mode, ino in compat.listdir(path):
            rmtree(path + "/" + name)
        os.rmdir(path)
    else:
        os.remove(path)


def write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


class Guest:
    """A WASI state with memory, plus helpers to place data and call functions by name."""

    def __init__(self, preopens=(), args=("prog",), env=(), stdin=b""):
        self.out = io.BytesIO()
        self.err = io.BytesIO()
        self.w = Wasi(args, env, preopens, io.BytesIO(stdin), self.out, self.err)
        self.w.mem = self.mem = Mem()
        self.fns = self.w.imports(host_func)["wasi_snapshot_preview1"]
        self.top = 1024  # bump allocator for strings and scratch areas

    @property
    def buf(self):
        return self.mem.buf

    def call(self, name, *args):
        return self.fns[name](*args)

    def alloc(self, n):
        p = self.top
        self.top += (n + 7) & ~7
        return p

    def put(self, data):
        if isinstance(data, str):
            data = data.encode()
        p = self.alloc(len(data) + 1)
        self.buf[p:p + len(data)] = data
        return p, len(data)

    def u32(self, p):
        return struct.unpack_from("<I", self.buf, p)[0]

    def u64(self, p):
        return struct.unpack_from("<Q", self.buf, p)[0]

    def iov(self, *parts):
        """An iovec array over fresh buffers of the given sizes or contents."""
        arr = self.alloc(8 * len(parts))
        bufs = []
        for i, part in enumerate(parts):
            if isinstance(part, int):
                p = self.alloc(part)
                n = part
            else:
                p, n = self.put(part)
            struct.pack_into("<II", self.buf, arr + 8 * i, p, n)
            bufs.append((p, n))
        return arr, len(parts), bufs

    def open(self, path, oflags=0, base=None, inh=(1 << 30) - 1, fdflags=0, dirfd=3, follow=1):
        """path_open: (errno, fd). By default every right, less FD_WRITE for directories."""
        if base is None:
            base = (1 << 30) - 1 - (64 if oflags & 2 else 0)
        p, n = self.put(path)
        out = self.alloc(4)
        r = self.call("path_open", dirfd, follow, p, n, oflags, base, inh, fdflags, out)
        return r, (self.u32(out) if r == 0 else None)

    def path(self, name, dirfd, path, *rest):
        """A path_* call of the shape (dirfd, path, len, ...)."""
        p, n = self.put(path)
        return self.call(name, dirfd, p, n, *rest)

    def write(self, fd, data):
        arr, cnt, _ = self.iov(data)
        out = self.alloc(4)
        r = self.call("fd_write", fd, arr, cnt, out)
        return r, self.u32(out)

    def read(self, fd, n):
        arr, cnt, bufs = self.iov(n)
        out = self.alloc(4)
        r = self.call("fd_read", fd, arr, cnt, out)
        if r:
            return r, None
        p, _ = bufs[0]
        return 0, bytes(self.buf[p:p + self.u32(out)])

    def filestat(self, dirfd, path, follow=1):
        """path_filestat_get: (errno, (filetype, size))."""
        out = self.alloc(64)
        p, n = self.put(path)
        r = self.call("path_filestat_get", dirfd, follow, p, n, out)
        return r, ((self.buf[out + 16], self.u64(out + 32)) if r == 0 else None)
