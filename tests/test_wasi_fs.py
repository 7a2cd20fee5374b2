# WASI preview1 filesystem functions on a preopened scratch directory, called through the
# table with a fake guest memory. Symlink/link/utime cases need a host that has them.
import struct

from support import skip
from test_wasi_helpers import Guest, scratch, rmtree, write_file, read_file
from wasi_micro import compat

EBADF, EEXIST, EFAULT, EINVAL, EISDIR, ELOOP, ENAMETOOLONG = 8, 20, 21, 28, 31, 32, 37
ENOENT, ENOTDIR, ENOTEMPTY, ENOTSUP, EPERM, ESPIPE, ENOTCAPABLE = 44, 54, 55, 58, 63, 70, 76
CREAT, DIRECTORY, EXCL, TRUNC = 1, 2, 4, 8
APPEND = 1
FD_READ, FD_SEEK, FD_TELL, FD_WRITE = 2, 4, 32, 64
FT_DIR, FT_FILE, FT_LINK = 3, 4, 7


def _links_supported():
    d = scratch()
    try:
        compat.symlink("x", d + "/l")
        return True
    except OSError:
        return False
    finally:
        rmtree(d)


def with_dir(fn):
    """Run fn(guest, host_dir) on a fresh scratch directory preopened as "/" (fd 3)."""
    def run():
        d = scratch()
        try:
            fn(Guest(preopens=[(d, "/")]), d)
        finally:
            rmtree(d)
    return run


@with_dir
def _prestat(g, d):
    p = g.alloc(8)
    assert g.call("fd_prestat_get", 3, p) == 0
    assert g.buf[p] == 0 and g.u32(p + 4) == 1
    assert g.call("fd_prestat_dir_name", 3, p, 1) == 0 and g.buf[p] == ord("/")
    assert g.call("fd_prestat_dir_name", 3, p, 0) == ENAMETOOLONG
    assert g.call("fd_prestat_get", 4, p) == EBADF
    assert g.call("fd_prestat_get", 1, p) == EBADF
    assert g.call("fd_prestat_get", 3, len(g.buf) - 4) == EFAULT
    assert g.call("fd_fdstat_get", 3, p) == 0 and g.buf[p] == FT_DIR


def test_prestat():
    _prestat()


@with_dir
def _create_write_read(g, d):
    r, fd = g.open("f.txt", CREAT | TRUNC)
    assert r == 0 and fd == 4
    assert g.write(fd, b"hello world") == (0, 11)
    p = g.alloc(8)
    assert g.call("fd_seek", fd, 0, 0, p) == 0 and g.u64(p) == 0
    assert g.read(fd, 5) == (0, b"hello")
    assert g.call("fd_tell", fd, p) == 0 and g.u64(p) == 5
    assert g.call("fd_seek", fd, (-3) & 0xFFFFFFFFFFFFFFFF, 2, p) == 0 and g.u64(p) == 8
    assert g.read(fd, 100) == (0, b"rld")
    assert g.read(fd, 100) == (0, b"")
    # seek past the end, write: the gap reads as zeros
    assert g.call("fd_seek", fd, 20, 0, p) == 0 and g.u64(p) == 20
    assert g.write(fd, b"!") == (0, 1)
    assert read_file(d + "/f.txt") == b"hello world" + bytes(9) + b"!"
    assert g.call("fd_seek", fd, (-1) & 0xFFFFFFFFFFFFFFFF, 0, p) == EINVAL
    assert g.call("fd_seek", fd, 0, 3, p) == EINVAL
    assert g.call("fd_seek", fd, (-100) & 0xFFFFFFFFFFFFFFFF, 1, p) == EINVAL
    assert g.call("fd_close", fd) == 0
    assert g.call("fd_close", fd) == EBADF
    assert g.read(fd, 1)[0] == EBADF


def test_create_write_read_seek():
    _create_write_read()


@with_dir
def _scatter_gather(g, d):
    r, fd = g.open("v", CREAT)
    arr, cnt, _ = g.iov(b"ab", b"", b"cde")
    out = g.alloc(4)
    assert g.call("fd_write", fd, arr, cnt, out) == 0 and g.u32(out) == 5
    p = g.alloc(8)
    g.call("fd_seek", fd, 0, 0, p)
    arr, cnt, bufs = g.iov(1, 3, 10)
    assert g.call("fd_read", fd, arr, cnt, out) == 0 and g.u32(out) == 5
    assert [bytes(g.buf[q:q + n]) for q, n in bufs][:2] == [b"a", b"bcd"]
    assert g.buf[bufs[2][0]] == ord("e")


def test_scatter_gather():
    _scatter_gather()


@with_dir
def _pread_pwrite(g, d):
    write_file(d + "/p", b"0123456789")
    r, fd = g.open("p")
    p, out = g.alloc(8), g.alloc(4)
    g.call("fd_seek", fd, 2, 0, p)
    arr, cnt, bufs = g.iov(4)
    assert g.call("fd_pread", fd, arr, cnt, 5, out) == 0 and g.u32(out) == 4
    assert bytes(g.buf[bufs[0][0]:bufs[0][0] + 4]) == b"5678"
    assert g.call("fd_tell", fd, p) == 0 and g.u64(p) == 2  # offset unchanged
    arr, cnt, _ = g.iov(b"XY")
    assert g.call("fd_pwrite", fd, arr, cnt, 1, out) == 0 and g.u32(out) == 2
    assert g.call("fd_tell", fd, p) == 0 and g.u64(p) == 2
    assert read_file(d + "/p") == b"0XY3456789"
    assert g.call("fd_pread", fd, arr, cnt, 100, out) == 0 and g.u32(out) == 0
    assert g.call("fd_pread", 0, arr, cnt, 0, out) == ESPIPE
    assert g.call("fd_pwrite", 3, arr, cnt, 0, out) == EBADF


def test_pread_pwrite():
    _pread_pwrite()


@with_dir
def _append(g, d):
    write_file(d + "/a", b"start")
    r, fd = g.open("a", fdflags=APPEND)
    p = g.alloc(24)
    g.call("fd_seek", fd, 0, 0, p)
    assert g.write(fd, b"+end") == (0, 4)
    assert read_file(d + "/a") == b"start+end"
    assert g.call("fd_fdstat_get", fd, p) == 0
    assert g.buf[p] == FT_FILE and g.buf[p + 2] & APPEND
    assert g.call("fd_fdstat_set_flags", fd, 0) == 0
    g.call("fd_seek", fd, 0, 0, p)
    assert g.write(fd, b"S") == (0, 1)
    assert read_file(d + "/a") == b"Start+end"
    assert g.call("fd_fdstat_set_flags", fd, 16) == EINVAL  # SYNC cannot be changed
    assert g.call("fd_fdstat_set_flags", 3, 0) == EBADF


def test_append_mode():
    _append()


@with_dir
def _open_errors(g, d):
    write_file(d + "/file", b"x")
    assert g.open("missing")[0] == ENOENT
    assert g.open("file", CREAT | EXCL)[0] == EEXIST
    assert g.open("file", DIRECTORY)[0] == ENOTDIR
    assert g.open("file/")[0] == ENOTDIR
    assert g.open("file/.")[0] == ENOTDIR
    assert g.open("file/x")[0] == ENOTDIR
    assert g.open("new/", CREAT)[0] == EISDIR
    assert g.open("newdir", CREAT | DIRECTORY)[0] == EINVAL
    assert g.open(".", base=FD_WRITE)[0] == EISDIR
    assert g.open(".", TRUNC)[0] == EISDIR
    assert g.open("")[0] == ENOENT
    assert g.open("file", dirfd=9)[0] == EBADF
    assert g.open("file", dirfd=1)[0] == EBADF
    r, fd = g.open("file")
    assert g.open("x", dirfd=fd)[0] == ENOTDIR
    p, n = g.put("file")
    assert g.call("path_open", 3, 1, p, n, 0, 0, 0, 0, len(g.buf) - 3) == EFAULT
    assert g.call("path_open", 3, 1, len(g.buf) - 2, 4, 0, 0, 0, 0, p) == EFAULT
    p, n = g.put(b"\xff\xfe")
    assert g.call("path_open", 3, 1, p, n, 0, 0, 0, 0, p) == 25  # EILSEQ
    assert g.open("file", 16)[0] == EINVAL  # unknown oflags bit


def test_open_errors():
    _open_errors()


@with_dir
def _trunc_excl(g, d):
    write_file(d + "/t", b"old contents")
    r, fd = g.open("t", TRUNC)
    assert r == 0 and read_file(d + "/t") == b""
    r, fd = g.open("x", CREAT | EXCL)
    assert r == 0 and read_file(d + "/x") == b""
    r, fd = g.open("sub/", DIRECTORY)
    assert r == ENOENT


def test_trunc_and_excl():
    _trunc_excl()


@with_dir
def _rights(g, d):
    write_file(d + "/r", b"data")
    r, fd = g.open("r", base=FD_WRITE | FD_SEEK)   # write-only
    assert r == 0
    assert g.read(fd, 4)[0] == EBADF  # not open for reading, as read(2)
    out = g.alloc(8)
    arr, cnt, _ = g.iov(4)
    assert g.call("fd_pread", fd, arr, cnt, 0, out) == EBADF
    assert g.call("fd_tell", fd, out) == 0  # rights but read/write come unasked
    r, fd2 = g.open("r", base=FD_READ)             # read-only
    assert g.write(fd2, b"x")[0] == EBADF
    assert g.read(fd2, 4) == (0, b"data")
    p = g.alloc(24)
    assert g.call("fd_fdstat_get", fd2, p) == 0 and g.u64(p + 8) & (FD_READ | FD_WRITE) == FD_READ
    assert g.call("fd_fdstat_set_rights", fd2, FD_READ, 0) == 0
    assert g.call("fd_seek", fd2, 1, 0, out) == ENOTCAPABLE  # a dropped right is enforced
    # rights can be dropped, never regained
    assert g.call("fd_fdstat_set_rights", fd2, 0, 0) == 0
    assert g.read(fd2, 1)[0] == EBADF
    assert g.call("fd_fdstat_set_rights", fd2, FD_READ, 0) == ENOTCAPABLE
    # a directory without PATH_OPEN
    r, sub = g.open(".", DIRECTORY)
    assert g.call("fd_fdstat_set_rights", sub, 1 << 14, 0) == 0  # FD_READDIR only
    assert r == 0 and g.open("r", dirfd=sub)[0] == ENOTCAPABLE
    # a directory whose inheriting rights lack FD_WRITE hands out no write right
    r, ro = g.open(".", DIRECTORY, base=1 << 13, inh=FD_READ)
    r, fd3 = g.open("r", dirfd=ro, base=FD_READ | FD_WRITE)
    assert r == 0 and g.write(fd3, b"W")[0] == EBADF
    assert g.read(fd3, 4) == (0, b"data")
    assert g.call("fd_fdstat_set_rights", ro, 0, FD_READ) == 0
    assert g.open("r", dirfd=ro, oflags=CREAT)[0] == ENOTCAPABLE  # no PATH_CREATE_FILE


def test_rights_enforced():
    _rights()


def _dirents(g, fd, size, cookie=0):
    p, used = g.alloc(size), g.alloc(4)
    r = g.call("fd_readdir", fd, p, size, cookie, used)
    assert r == 0, r
    n = g.u32(used)
    data = bytes(g.buf[p:p + n])
    out = []
    i = 0
    while i + 24 <= len(data):
        nxt, ino, namlen, ft = struct.unpack_from("<QQIB", data, i)
        name = data[i + 24:i + 24 + namlen]
        out.append((nxt, name, ft))
        i += 24 + namlen
    return out, n


@with_dir
def _readdir(g, d):
    write_file(d + "/b.txt", b"")
    import os
    os.mkdir(d + "/adir")
    ents, n = _dirents(g, 3, 4096)
    assert [(e[1], e[2]) for e in ents] == [(b".", FT_DIR), (b"..", FT_DIR), (b"adir", FT_DIR),
                                            (b"b.txt", FT_FILE)]
    assert [e[0] for e in ents] == [1, 2, 3, 4]
    assert n == 4 * 24 + 1 + 2 + 4 + 5
    # resume from a cookie
    ents, n = _dirents(g, 3, 4096, 2)
    assert [e[1] for e in ents] == [b"adir", b"b.txt"]
    ents, n = _dirents(g, 3, 4096, 4)
    assert ents == [] and n == 0
    # a buffer too small for the next entry is filled to its end
    ents, n = _dirents(g, 3, 30)
    assert n == 30 and [e[1] for e in ents] == [b"."]
    ents, n = _dirents(g, 3, 10)
    assert n == 10
    r, fd = g.open("b.txt")
    assert g.call("fd_readdir", fd, 0, 100, 0, 200) == EBADF  # as wasmtime
    assert g.call("fd_readdir", 1, 0, 100, 0, 200) == EBADF
    assert g.call("fd_readdir", 3, len(g.buf) - 50, 100, 0, 200) == EFAULT
    # a subdirectory fd lists its own entries
    r, sub = g.open("adir", DIRECTORY)
    ents, n = _dirents(g, sub, 4096)
    assert [e[1] for e in ents] == [b".", b".."]


def test_readdir():
    _readdir()


@with_dir
def _dirs(g, d):
    assert g.path("path_create_directory", 3, "a") == 0
    assert g.path("path_create_directory", 3, "a") == EEXIST
    assert g.path("path_create_directory", 3, "a/b/") == 0
    assert g.path("path_create_directory", 3, "x/y") == ENOENT
    assert g.path("path_create_directory", 3, ".") == EEXIST
    assert g.path("path_remove_directory", 3, "a") == ENOTEMPTY
    write_file(d + "/f", b"")
    assert g.path("path_remove_directory", 3, "f") == ENOTDIR
    assert g.path("path_remove_directory", 3, "f/") == ENOTDIR
    assert g.path("path_create_directory", 3, "f") == EEXIST
    assert g.path("path_create_directory", 3, "f/") == EEXIST
    assert g.path("path_remove_directory", 3, "a/b/") == 0
    assert g.path("path_remove_directory", 3, "a") == 0
    assert g.path("path_remove_directory", 3, "a") == ENOENT
    assert g.path("path_remove_directory", 3, ".") == EINVAL
    assert g.path("path_unlink_file", 3, "f/") == ENOTDIR
    assert g.path("path_create_directory", 3, "dd") == 0
    assert g.path("path_unlink_file", 3, "dd") == EISDIR
    assert g.path("path_unlink_file", 3, "dd/") == EISDIR
    assert g.path("path_unlink_file", 3, "f") == 0
    assert g.path("path_unlink_file", 3, "f") == ENOENT
    assert g.filestat(3, "dd")[0] == 0 and g.filestat(3, "dd")[1][0] == FT_DIR
    assert g.filestat(3, "f") == (ENOENT, None)


def test_directories_create_remove_unlink():
    _dirs()


def _rename(g, a, b, fd_a=3, fd_b=3):
    pa, na = g.put(a)
    pb, nb = g.put(b)
    return g.call("path_rename", fd_a, pa, na, fd_b, pb, nb)


@with_dir
def _renames(g, d):
    import os
    write_file(d + "/f1", b"one")
    write_file(d + "/f2", b"two")
    os.mkdir(d + "/d1")
    os.mkdir(d + "/d2")
    write_file(d + "/d2/inside", b"")
    assert _rename(g, "f1", "f2") == 0 and read_file(d + "/f2") == b"one"
    assert _rename(g, "f1", "f3") == ENOENT
    assert _rename(g, "f2", "d1") == EISDIR
    assert _rename(g, "d1", "f2") == ENOTDIR
    assert _rename(g, "d1", "d2") == ENOTEMPTY
    assert _rename(g, "f2", "f2/") == ENOTDIR
    assert _rename(g, "f2", "d1/moved") == 0 and read_file(d + "/d1/moved") == b"one"
    assert _rename(g, "d1", "d3/") == 0
    assert _rename(g, "d3/moved", "back") == 0 and read_file(d + "/back") == b"one"
    assert _rename(g, "back", "back") == 0 and read_file(d + "/back") == b"one"
    r, sub = g.open("d2", DIRECTORY)
    assert _rename(g, "back", "b2", 3, sub) == 0 and read_file(d + "/d2/b2") == b"one"
    assert _rename(g, ".", "x") != 0


def test_rename():
    _renames()


@with_dir
def _filestat(g, d):
    write_file(d + "/s", b"12345")
    r, fd = g.open("s")
    p = g.alloc(64)
    assert g.call("fd_filestat_get", fd, p) == 0
    assert g.buf[p + 16] == FT_FILE and g.u64(p + 32) == 5 and g.u64(p + 24) >= 1
    st = compat.stat(d + "/s")
    assert g.u64(p + 8) == st[1] and g.u64(p + 48) == st[6]
    assert g.filestat(3, "s") == (0, (FT_FILE, 5))
    assert g.filestat(3, "s/") == (ENOTDIR, None)
    assert g.filestat(3, ".")[0] == 0 and g.filestat(3, ".")[1][0] == FT_DIR
    assert g.call("fd_filestat_get", 1, p) == 0 and g.u64(p + 32) == 0
    assert g.call("fd_filestat_get", fd, len(g.buf) - 63) == EFAULT
    # set_size: growing works everywhere, shrinking needs ftruncate
    r, fw = g.open("s", base=FD_READ | FD_WRITE | (1 << 22) | (1 << 21))
    assert g.call("fd_filestat_set_size", fw, 8) == 0
    assert read_file(d + "/s") == b"12345\0\0\0"
    r = g.call("fd_filestat_set_size", fw, 2)
    if r == 0:
        assert read_file(d + "/s") == b"12"
    else:
        assert r == ENOTSUP and compat.IS_MICROPYTHON
    assert g.call("fd_filestat_set_size", 3, 0) == EBADF  # as wasmtime
    r, fro = g.open("s", base=FD_READ)
    assert g.call("fd_fdstat_set_rights", fro, FD_READ, 0) == 0
    assert g.call("fd_filestat_set_size", fro, 0) == ENOTCAPABLE  # the right was dropped


def test_filestat_and_set_size():
    _filestat()


@with_dir
def _times(g, d):
    write_file(d + "/t", b"")
    ATIM, ATIM_NOW, MTIM, MTIM_NOW = 1, 2, 4, 8
    p, n = g.put("t")
    r = g.call("path_filestat_set_times", 3, 1, p, n, 10 ** 18, 2 * 10 ** 18, ATIM | MTIM)
    if r == ENOTSUP:
        assert compat.IS_MICROPYTHON
        return
    assert r == 0
    st = compat.stat(d + "/t")
    assert st[5] == 10 ** 18 and st[6] == 2 * 10 ** 18
    assert g.call("path_filestat_set_times", 3, 1, p, n, 0, 0, ATIM | ATIM_NOW) == EINVAL
    r, fd = g.open("t")
    assert g.call("fd_filestat_set_times", fd, 0, 5 * 10 ** 17, MTIM) == 0
    st = compat.stat(d + "/t")
    assert st[5] == 10 ** 18 and st[6] == 5 * 10 ** 17
    assert g.call("fd_filestat_set_times", fd, 0, 0, MTIM_NOW) == 0
    assert abs(compat.stat(d + "/t")[6] - compat.realtime_ns()) < 60 * 10 ** 9


def test_set_times():
    _times()


@with_dir
def _renumber(g, d):
    write_file(d + "/a", b"A")
    write_file(d + "/b", b"B")
    r, fa = g.open("a")
    r, fb = g.open("b")
    assert g.call("fd_renumber", fa, fb) == 0
    assert g.read(fb, 1) == (0, b"A")
    assert g.read(fa, 1)[0] == EBADF
    assert g.call("fd_renumber", fa, fb) == EBADF
    assert g.call("fd_renumber", fb, 99) == EBADF
    r, fc = g.open("b")
    assert fc == fa  # the lowest free number is reused


def test_renumber_and_fd_reuse():
    _renumber()


@with_dir
def _sync_advise_allocate(g, d):
    r, fd = g.open("s", CREAT)
    assert g.call("fd_sync", fd) == 0 and g.call("fd_datasync", fd) == 0
    assert g.call("fd_advise", fd, 0, 10, 1) == 0
    assert g.call("fd_advise", fd, 0, 10, 6) == EINVAL
    assert g.call("fd_allocate", fd, 0, 10) == 0 and g.call("fd_allocate", fd, 2, 3) == 0
    assert len(read_file(d + "/s")) == 10  # grown to cover the range, never shrunk
    assert g.call("fd_sync", 1) == EBADF
    assert g.call("fd_advise", 3, 0, 0, 0) == EBADF


def test_sync_advise_allocate():
    _sync_advise_allocate()


@with_dir
def _symlinks(g, d):
    write_file(d + "/target", b"T")
    pt, nt = g.put("target")
    pl, nl = g.put("link")
    assert g.call("path_symlink", pt, nt, 3, pl, nl) == 0
    assert g.call("path_symlink", pt, nt, 3, pl, nl) == EEXIST
    r, fd = g.open("link")
    assert r == 0 and g.read(fd, 5) == (0, b"T")
    assert g.open("link", follow=0)[0] == ELOOP
    assert g.filestat(3, "link", follow=0)[1][0] == FT_LINK
    assert g.filestat(3, "link", follow=1)[1][0] == FT_FILE
    out, used = g.alloc(64), g.alloc(4)
    assert g.call("path_readlink", 3, pl, nl, out, 64, used) == 0
    assert bytes(g.buf[out:out + g.u32(used)]) == b"target"
    assert g.call("path_readlink", 3, pl, nl, out, 3, used) == 0 and g.u32(used) == 3
    assert g.call("path_readlink", 3, pt, nt, out, 64, used) == EINVAL
    # dangling links and trailing slashes
    pd, nd = g.put("dangling")
    assert g.call("path_symlink", pt, nt, 3, *g.put("dir/")) == ENOENT
    pm, nm = g.put("missing")
    assert g.call("path_symlink", pm, nm, 3, pd, nd) == 0
    assert g.open("dangling")[0] == ENOENT
    assert g.path("path_unlink_file", 3, "dangling/") == ENOENT  # the slash follows the link
    assert g.path("path_unlink_file", 3, "dangling") == 0
    # creating through a dangling link creates its target
    assert g.call("path_symlink", pm, nm, 3, pd, nd) == 0
    r, fd = g.open("dangling", CREAT)
    assert r == 0 and compat.stat(d + "/missing")
    # loops
    pa, na = g.put("loopA")
    pb, nb = g.put("loopB")
    assert g.call("path_symlink", pa, na, 3, pb, nb) == 0
    assert g.call("path_symlink", pb, nb, 3, pa, na) == 0
    assert g.open("loopA")[0] == ELOOP
    # hard links
    assert g.call("path_link", 3, 0, pt, nt, 3, *g.put("hard")) == 0
    assert read_file(d + "/hard") == b"T"
    assert g.call("path_link", 3, 0, pt, nt, 3, *g.put("hard")) == EEXIST
    assert g.call("path_link", 3, 0, *g.put("."), 3, *g.put("h2")) == EPERM
    assert g.call("path_link", 3, 0, *g.put("nope"), 3, *g.put("h3")) == ENOENT
    # unlinking the link leaves its target
    assert g.path("path_unlink_file", 3, "link") == 0 and read_file(d + "/target") == b"T"


def test_symlinks_and_links():
    if not _links_supported():
        skip("host has no symlinks (MicroPython): covered by ENOTSUP test")
    _symlinks()


@with_dir
def _no_links(g, d):
    pt, nt = g.put("target")
    assert g.call("path_symlink", pt, nt, 3, *g.put("l")) == ENOTSUP
    write_file(d + "/target", b"")
    assert g.call("path_link", 3, 0, pt, nt, 3, *g.put("h")) == ENOTSUP


def test_links_unsupported_give_enotsup():
    if _links_supported():
        skip("host supports symlinks: covered by test_symlinks_and_links")
    _no_links()
