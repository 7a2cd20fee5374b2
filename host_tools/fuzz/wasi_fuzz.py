# WASI under hostile arguments (CPython: the fuzz driver's). module(rng) builds a guest whose
# export "run" makes random preview1 calls with edge-case pointers, lengths, descriptors and
# flags over memory holding plausible paths and iovecs; run(data, cfg) runs it with a fresh
# scratch directory preopened. The handlers are wrapped so that an exception other than the
# ones that become an errno (WasiError, OSError) or end the guest (Exit) is reported as a bug
# instead of turning into EIO, and the scratch directory's surroundings are checked untouched.
import io
import os
import shutil
import tempfile

import wasi_micro
from wasi_micro import wasi
from wasi_micro.errors import Exit, LimitError, Trap
from wasi_micro.runtime import Store

from .. import wasmbuild as B
from .harness import Result

PAGE = 65536
# poll_oneoff is left out: a clock subscription sleeps (see fuzz_bugs.md #3).
FUNCS = [row for row in wasi.TABLE if row[0] not in ("poll_oneoff", "proc_exit")]
_PTRS = (0, 8, 16, 32, 64, 200, 512, 1024, PAGE - 16, PAGE - 8, PAGE - 4, PAGE - 1, PAGE,
         0xFFFFFFFF, 0xFFFFFFF0, 0x80000000)
_SMALL = (0, 1, 2, 3, 4, 5, 6, 7, 9, 16, 0xFFFFFFFF)
_I64 = (0, 1, 2, 100, 0xFFFFFFFFFFFFFFFF, 1 << 63, 1 << 32, 0x1FFFFFFF)
_STRINGS = (b"a", b"sub", b"sub/f.txt", b"../up", b"/etc/passwd", b"f.txt", b".", b"..",
            b"sub/../../x", b"a\x00b", b"\xff\xfe", b"sub/", b"link")


def module(r):
    m = B.Module()
    names = r.sample(FUNCS, r.randint(1, 8))
    if r.random() < 0.1:
        names.append([row for row in wasi.TABLE if row[0] == "proc_exit"][0])
    for name, sig, fn in names:
        ps, rs = _types(sig)
        m.import_func("wasi_snapshot_preview1", name, ps, rs)
    m.set_memory(1, 1)
    at = 0
    for s in _STRINGS:  # strings at 0, 16, 32, ... (each one 16-byte slot)
        m.data(at, s)
        at += 16
    iov = b""
    for ptr, n in ((0, 16), (1024, 100), (PAGE - 8, 8), (300, 0), (r.choice(_PTRS), 4)):
        iov += ptr.to_bytes(4, "little") + n.to_bytes(4, "little")
    m.data(512, iov)
    body = b""
    for _ in range(r.randint(1, 12)):
        k = r.randrange(len(names))
        ps, rs = _types(names[k][1])
        for t in ps:
            if t == B.I64:
                body += B.i64(r.choice(_I64))
            else:
                x = r.random()
                v = r.choice(_PTRS) if x < 0.5 else (r.choice(_SMALL) if x < 0.9 else
                                                     r.getrandbits(32))
                body += B.i32(v)
        body += b"\x10" + B.uleb(k) + b"\x1a" * len(rs)
    m.func([], [], body, export="run")
    return m.bytes()


def _types(sig):
    p, r = sig.split(":")
    return [B.I64 if c == "I" else B.I32 for c in p], [B.I32 for c in r]


class _Wasi(wasi.Wasi):
    """Wasi that records the host surprises its guard would turn into EIO."""

    def __init__(self, *args):
        wasi.Wasi.__init__(self, *args)
        self.surprises = []

    def surprise(self, exc):
        self.surprises.append(exc)


def run(data, cfg):
    """A harness.Result: cls ran/exit/trap..., or bug with the exception or escape."""
    res = Result()
    root = tempfile.mkdtemp(prefix="wasi-micro-fuzz-")
    try:
        box = os.path.join(root, "box")
        os.mkdir(box)
        os.mkdir(os.path.join(box, "sub"))
        with open(os.path.join(box, "f.txt"), "wb") as f:
            f.write(b"0123456789")
        with open(os.path.join(root, "outside"), "wb") as f:
            f.write(b"keep")
        w = _Wasi(["prog", "arg"], [("K", "V")], [(box, "/")], io.BytesIO(b"stdin data"),
                  io.BytesIO(), io.BytesIO())
        surprises = w.surprises
        try:
            inst = wasi_micro.instantiate(wasi_micro.load(data), w.imports(), cfg, Store(),
                                          run_start=False)
            w.bind(inst)
            inst.start()
            inst.invoke("run", [])
            res.cls = "ran"
        except Exit:
            res.cls = "exit"
        except LimitError:
            res.cls = "limit"
        except Trap:
            res.cls = "trap"
        except Exception as e:  # noqa: BLE001
            res.cls = "bug"
            res.error = e
        finally:
            w.close()
        if surprises and res.cls != "bug":
            res.cls = "bug"
            res.error = surprises[0]
        left = sorted(os.listdir(root))
        with open(os.path.join(root, "outside"), "rb") as f:
            kept = f.read()
        if res.cls != "bug" and (left != ["box", "outside"] or kept != b"keep"):
            res.cls = "bug"
            res.error = AssertionError("escape: %r next to the preopen" % left)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return res
