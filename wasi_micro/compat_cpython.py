# compat.py's CPython half: what plain Python needs where MicroPython has its own (compat.py
# imports it only under CPython, so a board never loads this bytecode).
import mmap
import os
import stat as _stat
import sys
import time
import zlib
from array import array

_S_IFMT = 0o170000  # the file-type bits of st_mode
_LAZY = 1 << 20  # flat memory arenas from this size up are mmaps


# --- viper stand-ins, word arrays, clocks ---
def const(x):
    return x


def _uncast(f):
    # What MicroPython's compiler does and plain Python would pay for at run time: viper's
    # casts (int, uint, ptr8/16/32) only retype a value, yet cost the loop a builtin call
    # each (two in `int(uint(a) >> n)`), and the module's const() names are literals, not
    # global lookups. Recompile the function without the casts (identities on the loop's
    # ints) and with the constants in place. Without its source it runs as written.
    import ast
    import inspect
    try:
        module = ast.parse(inspect.getsource(inspect.getmodule(f)))
    except (OSError, TypeError):
        return f
    consts = {}
    for node in module.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Name) and node.value.func.id == "const":
            consts[node.targets[0].id] = f.__globals__[node.targets[0].id]
        elif isinstance(node, ast.FunctionDef) and node.name == f.__name__:
            func = node

    class Strip(ast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            if isinstance(node.func, ast.Name) and node.func.id in _CASTS and \
                    len(node.args) == 1 and not node.keywords:
                return node.args[0]
            return node

        def visit_Name(self, node):
            if isinstance(node.ctx, ast.Load) and node.id in consts:
                return ast.copy_location(ast.Constant(consts[node.id]), node)
            return node

    func.decorator_list = []
    scope = {}
    code = compile(ast.Module([Strip().visit(func)], []), f.__code__.co_filename, "exec")
    exec(code, f.__globals__, scope)
    return scope[f.__name__]


_CASTS = ("int", "uint", "ptr8", "ptr16", "ptr32")


class micropython:  # noqa: N801 - stands in for the MicroPython module
    @staticmethod
    def viper(f):
        return _uncast(f)

    @staticmethod
    def native(f):
        return f

    @staticmethod
    def const(x):
        return x

    @staticmethod
    def kbd_intr(c):
        pass


address = None  # plain Python has no addresses: SPLIT_FRAMES is off


def new_words(n, unsigned=False):
    # A list indexes faster than an array under CPython; the loop masks every store.
    return [0] * n


def halfwords(n, seq=None):
    a = [0] * n
    if seq is not None:
        a[:len(seq)] = seq
    return a


def read_halfwords(f, code, at, n):
    """compat.read_halfwords: n little-endian halfwords from file f into code[at:]; the CRC-32
    of their bytes, or -1 if the file ends first."""
    b = f.read(2 * n)
    if len(b) != 2 * n:
        return -1
    a = array("H", b)
    if sys.byteorder == "big":
        a.byteswap()
    code[at:at + n] = a
    return zlib.crc32(b)


def ticks_us():
    return time.perf_counter_ns() // 1000


def ticks_diff(a, b):
    return a - b


maxsize = sys.maxsize


def new_arena(n):
    """n zero bytes for a flat memory (memory.py): a bytearray, or from _LAZY bytes up an
    anonymous private mmap, whose pages the OS zeroes when first touched, so a big memory takes
    RAM only as it is written; MemoryError when the host cannot map that much."""
    if n < _LAZY:
        return bytearray(n)
    try:
        return mmap.mmap(-1, n, flags=mmap.MAP_PRIVATE | getattr(mmap, "MAP_NORESERVE", 0))
    except (OSError, OverflowError):
        raise MemoryError


def collect():
    # Reference counting frees a dropped arena at once: nothing to collect (a full collection
    # would cost every grow that moves one).
    pass


def compact(nbytes):
    # Reference counting frees garbage at once: no heap to keep compact.
    return None


# --- host floats from IEEE bit patterns and back ---
_B8 = bytearray(8)
_Q = memoryview(_B8).cast("Q")
F64 = memoryview(_B8).cast("d")
F64W = memoryview(_B8).cast("I")
_I = memoryview(_B8)[:4].cast("I")
_F = memoryview(_B8)[:4].cast("f")


def f64_of(bits):
    _Q[0] = bits
    return F64[0]


def bits_of_f64(x):
    F64[0] = x
    return _Q[0]


def f32_of(bits):
    _I[0] = bits
    return _F[0]


def bits_of_f32(x):
    _F[0] = x
    return _I[0]


# --- filesystem and clocks ---
def _norm(st):
    return (st.st_mode, st.st_ino, st.st_dev, st.st_nlink, st.st_size,
            st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns)


def stat(path):
    return _norm(os.stat(path))


def lstat(path):
    return _norm(os.lstat(path))


def fstat(f, path):
    return _norm(os.fstat(f.fileno()))


def listdir(path):
    out = []
    with os.scandir(path) as it:
        for e in it:
            if e.is_symlink():
                t = _stat.S_IFLNK
            else:
                t = os.lstat(e.path).st_mode & _S_IFMT
            out.append((e.name, t, e.inode()))
    return out


def open_file(path, rd, wr, creat, excl, trunc):
    flags = (os.O_RDWR if rd else os.O_WRONLY) if wr else os.O_RDONLY
    if creat:
        flags |= os.O_CREAT
    if excl:
        flags |= os.O_EXCL
    if trunc:
        flags |= os.O_TRUNC
    # The caller resolved every symlink itself: refuse one swapped in since.
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o666)
    return os.fdopen(fd, "r+b" if wr and rd else ("wb" if wr else "rb"), buffering=0)


def truncate(f, size):
    f.truncate(size)


def fsync(f, data_only):
    f.flush()
    (os.fdatasync if data_only and hasattr(os, "fdatasync") else os.fsync)(f.fileno())


def readlink(path):
    return os.readlink(path)


def symlink(target, path):
    os.symlink(target, path)


def link(src, dst):
    os.link(src, dst, follow_symlinks=False)


def utime(path, atim, mtim):
    # atim/mtim: ns, or None to keep. The path is resolved: never follow a final symlink.
    if atim is None or mtim is None:
        st = os.lstat(path)
        atim = st.st_atime_ns if atim is None else atim
        mtim = st.st_mtime_ns if mtim is None else mtim
    can_nofollow = os.utime in os.supports_follow_symlinks
    os.utime(path, ns=(atim, mtim), follow_symlinks=not can_nofollow)


def isatty(stream):
    try:
        return os.isatty(stream.fileno())
    except Exception:
        return False


def realtime_ns():
    return time.time_ns()


def monotonic_ns():
    return time.monotonic_ns()


def cputime_ns(thread):
    return time.thread_time_ns() if thread else time.process_time_ns()


def clock_res_ns(clock):
    res = time.get_clock_info(clock).resolution
    return max(1, int(res * 1000000000 + 0.5))


def sleep_ns(ns):
    time.sleep(ns / 1000000000)


def readable(stream, timeout_ns):
    try:
        fd = stream.fileno()
    except Exception:  # in memory: always ready
        return True
    import select
    return bool(select.select([fd], [], [], None if timeout_ns is None else
                              timeout_ns / 1000000000)[0])
