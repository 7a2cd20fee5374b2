# Path resolution that cannot leave a directory descriptor, and the path_* functions.
#
# A guest path is walked one component at a time below the descriptor's host directory:
# `..` pops a component (never above the start: EPERM, as wasmtime), symlinks are read and
# expanded here (absolute or escaping targets: EPERM; more than _MAX_LINKS: ELOOP), and every
# intermediate component must be a real directory. Only the fully resolved path reaches the
# host, and no host call is asked to follow a symlink.
import os

from . import compat
from .compat import const
from .wasi_abi import (
    WasiError, membuf, check, put_u32, put_bytes, get_str, errno_of,
    EBADF, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, ENOENT, ENOTCAPABLE, ENOTDIR, ENOTEMPTY,
    EPERM,
    FT_DIR, FT_FILE,
    R_FD_READ, R_FD_WRITE, R_PATH_CREATE_DIRECTORY, R_PATH_CREATE_FILE, R_PATH_LINK_SOURCE,
    R_PATH_LINK_TARGET, R_PATH_OPEN, R_PATH_READLINK, R_PATH_RENAME_SOURCE,
    R_PATH_RENAME_TARGET, R_PATH_FILESTAT_GET, R_PATH_FILESTAT_SET_SIZE,
    R_PATH_FILESTAT_SET_TIMES, R_PATH_SYMLINK, R_PATH_REMOVE_DIRECTORY, R_PATH_UNLINK_FILE,
)
from .wasi_fs import Fd, FILE, DIR, FILE_RIGHTS, DIR_RIGHTS, is_dir, add, put_filestat, times, \
    filetype

_MAX_LINKS = const(40)  # Linux MAXSYMLINKS
_S_IFMT = const(0o170000)
_S_IFLNK = const(0o120000)
_LOOKUP_FOLLOW = const(1)
_O_CREAT = const(1)
_O_DIRECTORY = const(2)
_O_EXCL = const(4)
_O_TRUNC = const(8)
_FDFLAGS = const(31)
_RW = const(0x42)  # R_FD_READ | R_FD_WRITE


def _lstat(path):
    """compat.lstat, or None when nothing is there."""
    try:
        return compat.lstat(path)
    except OSError as e:
        if errno_of(e) == ENOENT:
            return None
        raise


def is_link(st):
    return st is not None and st[0] & _S_IFMT == _S_IFLNK


def resolve(d, path, follow, slash_follows=True):
    """Walk guest `path` below directory entry `d`.

    Returns (host path, its lstat or None, must_dir, dot): `must_dir` when a trailing slash
    (or a final `.`/`..`) demands a directory, `dot` when the path ends in `.`/`..` (it names
    a directory lexically, not by a name in its parent). The final component is left
    unexpanded when it is a symlink and `follow` is false, unless a trailing slash makes it
    follow (as POSIX path resolution; not for `slash_follows` false: mkdir, rmdir).
    """
    if not path:
        raise WasiError(ENOENT)
    if path[0] == "/":
        raise WasiError(EPERM)
    must_dir = path[-1] == "/"
    todo = path.rstrip("/").split("/")
    todo.reverse()
    stack = []
    st = None
    dot = False
    links = 0
    while todo:
        c = todo.pop()
        last = not todo
        dot = c == "." or c == ".."
        if dot or not c:
            if c == "..":
                if not stack:
                    raise WasiError(EPERM)
                stack.pop()
            if last:
                must_dir = True
            continue
        stack.append(c)
        if last and not follow and not (must_dir and slash_follows):
            st = _lstat(d.path + "/" + "/".join(stack))
            break
        full = d.path + "/" + "/".join(stack)
        st = _lstat(full)
        if is_link(st):
            links += 1
            if links > _MAX_LINKS:
                raise WasiError(ELOOP)
            target = compat.readlink(full)
            if not target:
                raise WasiError(ENOENT)
            if target[0] == "/":
                raise WasiError(EPERM)
            stack.pop()
            if last and target[-1] == "/":
                must_dir = True
            parts = target.rstrip("/").split("/")
            parts.reverse()
            todo.extend(parts)
            continue
        if last:
            break
        if st is None:
            raise WasiError(ENOENT)
        if not is_dir(st):
            raise WasiError(ENOTDIR)
    if dot:
        full = d.path + "/" + "/".join(stack) if stack else d.path
        return full, compat.stat(full), True, True
    return d.path + "/" + "/".join(stack), st, must_dir, False


def dir_entry(w, fd, right):
    e = w.fds.get(fd)
    if e is None:
        raise WasiError(EBADF)
    if e.kind != DIR:
        raise WasiError(ENOTDIR if e.kind == FILE else EBADF)
    if e.base & right != right:
        raise WasiError(ENOTCAPABLE)
    return e


def _path(w, fd, right, ptr, n, follow, slash_follows=True):
    d = dir_entry(w, fd, right)
    return resolve(d, get_str(membuf(w), ptr, n), follow, slash_follows)


def _not_dir_with_slash(st, must_dir):
    if must_dir and not is_dir(st):
        raise WasiError(ENOTDIR)


def path_open(w, fd, dirflags, ptr, n, oflags, base, inh, fdflags, fd_out):
    buf = membuf(w)
    d = dir_entry(w, fd, R_PATH_OPEN)
    if oflags & _O_CREAT and not d.base & R_PATH_CREATE_FILE:
        raise WasiError(ENOTCAPABLE)
    if oflags & _O_TRUNC and not d.base & R_PATH_FILESTAT_SET_SIZE:
        raise WasiError(EPERM)  # the official suite's truncation_rights asks for EPERM
    if oflags > 15 or fdflags > _FDFLAGS or (oflags & _O_DIRECTORY and oflags != _O_DIRECTORY):
        raise WasiError(EINVAL)  # as wasmtime: DIRECTORY with CREAT, EXCL or TRUNC
    check(buf, fd_out, 4)
    full, st, must_dir, dot = resolve(d, get_str(buf, ptr, n), dirflags & _LOOKUP_FOLLOW)
    # What the directory passes on bounds a new descriptor. Of that, read and write are only
    # granted when asked for; the other rights come whatever was asked, as the official suite
    # expects (wasmtime ignores requested rights): its tests stat and truncate files opened
    # for reading only, and use path_* calls on directories opened with a few rights.
    base = base & d.inh & _RW | d.inh & ~_RW
    inh = inh & d.inh & _RW | d.inh & ~_RW
    wr = base & R_FD_WRITE
    if st is None:
        if not oflags & _O_CREAT:
            raise WasiError(ENOENT)
        if must_dir:
            raise WasiError(EISDIR)
    elif oflags & _O_CREAT and oflags & _O_EXCL:
        raise WasiError(EEXIST)
    elif is_link(st):
        raise WasiError(ELOOP)  # O_NOFOLLOW, as Linux and wasmtime even with O_DIRECTORY
    elif is_dir(st):
        if wr or oflags & (_O_TRUNC | _O_CREAT):
            raise WasiError(EISDIR)
        put_u32(buf, fd_out, add(w, Fd(DIR, FT_DIR, base & DIR_RIGHTS, inh, path=full)))
        return
    elif oflags & _O_DIRECTORY or must_dir:
        raise WasiError(ENOTDIR)
    f = compat.open_file(full, base & R_FD_READ, wr, oflags & _O_CREAT, oflags & _O_EXCL,
                         oflags & _O_TRUNC)
    ft = FT_FILE if st is None else filetype(st[0])  # a device file is not a regular one
    e = Fd(FILE, ft, base & FILE_RIGHTS, inh & FILE_RIGHTS, f=f, path=full, flags=fdflags)
    put_u32(buf, fd_out, add(w, e))


def path_create_directory(w, fd, ptr, n):
    # "link/" names the link itself here, as mkdir(2): EEXIST even when it dangles
    full, st, must_dir, dot = _path(w, fd, R_PATH_CREATE_DIRECTORY, ptr, n, False, False)
    if st is not None:
        raise WasiError(EEXIST)
    os.mkdir(full)


def path_remove_directory(w, fd, ptr, n):
    # "link/" names the link itself, as rmdir(2): ENOTDIR even when it points at a directory
    full, st, must_dir, dot = _path(w, fd, R_PATH_REMOVE_DIRECTORY, ptr, n, False, False)
    if dot:
        raise WasiError(EINVAL)  # rmdir of "." or "..", as Linux
    if st is None:
        raise WasiError(ENOENT)
    if not is_dir(st):
        raise WasiError(ENOTDIR)
    try:
        os.rmdir(full)
    except OSError:
        if compat.listdir(full):
            raise WasiError(ENOTEMPTY)  # FAT says EACCES
        raise


def path_unlink_file(w, fd, ptr, n):
    full, st, must_dir, dot = _path(w, fd, R_PATH_UNLINK_FILE, ptr, n, False)
    if st is None:
        raise WasiError(ENOENT)
    if is_dir(st):
        raise WasiError(EISDIR)
    _not_dir_with_slash(st, must_dir)
    os.remove(full)


def path_filestat_get(w, fd, flags, ptr, n, out):
    buf = membuf(w)
    check(buf, out, 64)
    full, st, must_dir, dot = _path(w, fd, R_PATH_FILESTAT_GET, ptr, n, flags & _LOOKUP_FOLLOW)
    if st is None:
        raise WasiError(ENOENT)
    _not_dir_with_slash(st, must_dir)
    put_filestat(buf, out, st)


def path_filestat_set_times(w, fd, flags, ptr, n, atim, mtim, fst):
    full, st, must_dir, dot = _path(w, fd, R_PATH_FILESTAT_SET_TIMES, ptr, n,
                                    flags & _LOOKUP_FOLLOW)
    a, m = times(atim, mtim, fst)
    if st is None:
        raise WasiError(ENOENT)
    _not_dir_with_slash(st, must_dir)
    if a is not None or m is not None:
        compat.utime(full, a, m)


def path_link(w, ofd, oflags, optr, on, nfd, nptr, nn):
    if oflags & _LOOKUP_FOLLOW:
        raise WasiError(EINVAL)  # as wasmtime (and linkat on Linux without privileges)
    src, sst, smust, sdot = _path(w, ofd, R_PATH_LINK_SOURCE, optr, on, False)
    dst, dst_st, dmust, ddot = _path(w, nfd, R_PATH_LINK_TARGET, nptr, nn, False)
    if sst is None:
        raise WasiError(ENOENT)
    if is_dir(sst):
        raise WasiError(EPERM)  # no hard links to directories
    _not_dir_with_slash(sst, smust)
    if dst_st is not None:
        raise WasiError(EEXIST)
    if dmust:
        raise WasiError(ENOENT)
    compat.link(src, dst)


def path_symlink(w, optr, on, fd, nptr, nn):
    target = get_str(membuf(w), optr, on)
    full, st, must_dir, dot = _path(w, fd, R_PATH_SYMLINK, nptr, nn, False)
    if st is not None:
        _not_dir_with_slash(st, must_dir)  # symlink(2): "file/" is ENOTDIR, as Linux
        raise WasiError(EEXIST)
    if must_dir or not target:
        raise WasiError(ENOENT)
    if target[0] == "/":
        raise WasiError(EPERM)  # as wasmtime: it could only ever point outside
    # A relative target is stored as given: resolve() refuses it later if it leads outside.
    compat.symlink(target, full)


def path_readlink(w, fd, ptr, n, out, out_len, used):
    buf = membuf(w)
    check(buf, out, out_len)
    check(buf, used, 4)
    full, st, must_dir, dot = _path(w, fd, R_PATH_READLINK, ptr, n, False)
    if st is None:
        raise WasiError(ENOENT)
    _not_dir_with_slash(st, must_dir)
    if not is_link(st):
        raise WasiError(EINVAL)
    target = compat.readlink(full).encode()[:out_len]
    put_bytes(buf, out, target)
    put_u32(buf, used, len(target))


def path_rename(w, ofd, optr, on, nfd, nptr, nn):
    src, sst, smust, sdot = _path(w, ofd, R_PATH_RENAME_SOURCE, optr, on, False)
    dst, dst_st, dmust, ddot = _path(w, nfd, R_PATH_RENAME_TARGET, nptr, nn, False)
    if sst is None:
        raise WasiError(ENOENT)
    if sdot or ddot:
        raise WasiError(EBUSY)
    sdir = is_dir(sst)
    if not sdir and (smust or dmust):
        raise WasiError(ENOTDIR)
    if dst_st is not None:
        if sdir and not is_dir(dst_st):
            raise WasiError(ENOTDIR)
        if not sdir and is_dir(dst_st):
            raise WasiError(EISDIR)
        if src == dst:
            return
    try:
        os.rename(src, dst)
    except OSError:
        # FAT will not replace an existing name as rename(2) does: remove it and retry.
        if dst_st is None:
            raise
        if sdir:
            if compat.listdir(dst):
                raise WasiError(ENOTEMPTY)
            os.rmdir(dst)
        else:
            os.remove(dst)
        os.rename(src, dst)
