#!/usr/bin/env python3
"""The smallest heap that runs a program on an emulated microcontroller: the board-side
counterpart of tools/heap_report.py (which measures on the 32-bit unix port).

    tools/qemu_heap.py [--machine m0] [--form frozen] [--only csvstat,traffic] [--step 4]
                       [--limits rp2040] [--heap BYTES] [--at KIB,...] [--lo KIB] [--ram]

Builds the firmware (tools/build_qemu.sh; --heap: the GC heap it is built with, default a
Pico's 233,472 bytes), boots one QEMU board (tests/host/qemu_board.py), installs the runtime
(.mpy, or the board file alone when frozen) with the board file's limits replaced by those of
boards/LIMITS.json, and then for each program in turn (put in place of the one before, its
inputs copied to /data) and a heap of N KiB: soft-resets the board, takes a ballast (one
bytearray, allocated first) that leaves the share of the GC pool a firmware built with N KiB of
heap would have, and runs the program with `wasi-flash run`'s own code. It works when stdout
and the exit status are exact. N is bisected in STEP-KiB steps between --lo and the firmware's
heap (--at: only those N). N counts what boot and the raw REPL take, as the unix port's -X
heapsize counts its own start.

Also printed, once per board: the pool and what is free after boot, what importing the modules
a run leaves imported takes, and from .mpy the viper loop's file (whose machine code a board
without an executable allocator loads into the heap); with --ram, heap_report's RAM by
category after each run, measured on the board. A firmware per heap (--heap N*1024 --at N)
checks the ballast: csvstat on the frozen M0 ran at 148 and failed at 144 KiB both ways (while
the board lowered the code itself), the run starting with the same bytes free to two 16-byte
blocks (tests/host/test_qemu_heap.py); with put's NAME.code a built firmware starts with 32-64
bytes less and at the edge needs a step more (csvstat 124, sensorlog 136; ballast: 120, 132).
One board at a time, killed (by its pid) when done: an idle QEMU board keeps a host core busy.
Prints a markdown table (tries on stderr).
"""
import argparse
import ast
import io
import json
import os
import signal
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "tests", "host"))
sys.path.insert(0, os.path.join(REPO, "tools"))
import heap_report  # noqa: E402
from host_tools import commands  # noqa: E402
from qemu_board import MACHINES, QemuBoard  # noqa: E402

DEFAULT_HEAP = 233472  # tools/build_qemu.sh's default, a Pico's
_RUN_TIMEOUT = 900  # seconds one run may take under QEMU before the board counts as hung
_PREOPEN = "/data"

# After a soft reset: the GC pool (free + allocated) and what is free, as the first raw-REPL
# command sees it.
_POOL = "import gc\ngc.collect()\nprint(gc.mem_free() + gc.mem_alloc(), gc.mem_free())"
# Takes all but `keep` bytes of the pool in one block before anything else is allocated (the
# object header and the block rounding counted), then prints what is left free.
_BALLAST = ("import gc\ngc.collect()\n_ballast = bytearray(max(0, (gc.mem_free() - %d - 16) "
            "// 16 * 16))\ngc.collect()\nprint(gc.mem_free())")
# The qemu port has no os.urandom, which WASI's random_get reads (Rust's HashMap seeds itself
# from it: sensorlog panics with EIO): wasi_micro.wasi is given zero bytes instead, as a board
# with a random source would give random ones; a run imports the module anyway.
_URANDOM = ("import os\nif not hasattr(os, 'urandom'):\n    import wasi_micro.wasi\n"
            "    class _Os:\n        urandom = bytes\n    wasi_micro.wasi.os = _Os")
_MODULES = "import sys\nprint(' '.join(sorted(n for n in sys.modules if n.startswith('wasi')" \
           ")))"
_IMPORT_COST = ("import gc\ngc.collect()\n_a = gc.mem_alloc()\nfor _n in %r:\n    "
                "__import__(_n)\ngc.collect()\nprint(gc.mem_alloc() - _a)")
_SET_LIMITS = ("import json\nf = '/lib/wasi_micro_board.json'\nwith open(f) as h:\n    c = "
               "json.load(h)\nc['limits'] = %r\nwith open(f, 'w') as h:\n    json.dump(c, h)")


class Hung(Exception):
    pass


def _alarm(signum, frame):
    raise Hung()


def wasi_flash(port, *args):
    p = subprocess.run([sys.executable, "-m", "host_tools", "--port", port] + list(args),
                       cwd=REPO, capture_output=True, timeout=600)
    if p.returncode:
        sys.exit("qemu_heap: wasi-flash %s: %s" % (" ".join(args), p.stderr.decode().strip()))
    return p.stdout


def build(machine, form, heap):
    args = ["bash", os.path.join(REPO, "tools", "build_qemu.sh")] + (
        ["--frozen"] if form == "frozen" else []) + ["--heap", str(heap), MACHINES[machine][0]]
    p = subprocess.run(args, cwd=REPO, capture_output=True)
    if p.returncode:
        sys.exit("qemu_heap: %s failed: %s" % (" ".join(args[1:]),
                                               p.stderr.decode().strip().splitlines()[-1]))
    return p.stdout.decode().strip().splitlines()[-1]


def board_dirs(p):
    """The preopens of p's run on the board, as heap_report's Flash gives them (None: the
    board's preopen_dir, which holds the inputs)."""
    if p["dir"] is None:
        return []
    if "root" in p:
        return ["%s/%s::%s" % (_PREOPEN, os.path.basename(p["root"]), p["dir"])]
    return None


class Board:
    """One booted board with the runtime, the limits and one program (use) in place."""

    def __init__(self, machine, form, elf, heap, limits, logdir):
        self.machine, self.form, self.heap = machine, form, heap
        self.q = QemuBoard(machine, elf, logdir)
        self.limits = limits
        self.prog = None
        self.start()

    def start(self):
        self.q.start()
        port = self.q.port
        wasi_flash(port, "--board", self.q.board, "install",
                   *(["--config-only"] if self.form == "frozen" else []))
        with open(os.path.join(REPO, "boards", self.limits + ".json")) as f:
            self.exec(_SET_LIMITS % (json.load(f)["limits"],))
        if self.prog is not None:  # a restart: the RAM disk starts empty
            self._put(self.prog)

    def use(self, p):
        """Put p on the board in place of the program before: with their lowered code
        (NAME.code, ~1.5 times the .wasm) the corpus programs do not fit the 1 MiB RAM disk
        together."""
        if self.prog is not None:
            wasi_flash(self.q.port, "rm", self.prog["name"])
        self.prog = p
        self._put(p)

    def _put(self, p):
        """Put p and copy its inputs to the preopen."""
        port = self.q.port
        wasi_flash(port, "put", p["wasm"], "--as", p["name"])
        copies = []
        if "root" in p:  # a wasi-testsuite program's tree, preopened as p["dir"]
            copies += ["fs", "cp", "-r", p["root"], ":%s/" % _PREOPEN, "+"]
        for name in p["inputs"]:
            copies += ["fs", "cp", os.path.join(heap_report.CORPUS, "data", name),
                       ":%s/%s" % (_PREOPEN, name), "+"]
        if copies:
            subprocess.run([sys.executable, "-m", "mpremote", "connect", port] +
                           copies[:-1], check=True, capture_output=True, timeout=300)

    def stop(self):
        self.q.stop()

    def session(self):
        """A fresh Session: the board soft-resets when it is first used."""
        return commands.Session(self.q.port, self.q.board, timeout=30)

    def exec(self, code, s=None):
        own = s is None
        s = s or self.session()
        try:
            return s.exec(code).decode()
        finally:
            if own:
                s.close()

    def keep_bytes(self, kib):
        """The free pool a firmware with kib KiB of heap would have after this one's boot."""
        return self.pool * kib * 1024 // self.heap - (self.pool - self.boot_free)

    def probe(self, p):
        """{pool, free after boot, the run's modules, their import cost, interp.mpy bytes}."""
        self.pool, self.boot_free = map(int, self.exec(_POOL).split())
        if not self.heap * 0.95 < self.pool < self.heap:
            sys.exit("qemu_heap: the firmware's GC pool (%d bytes) is not that of a %d-byte heap"
                     % (self.pool, self.heap))
        out = {"pool": self.pool, "boot_free": self.boot_free}
        s = self.session()
        try:
            self._run(s, p)
            mods = self.exec(_MODULES, s).split()
        finally:
            s.close()
        out["modules"] = len(mods)
        out["import"] = int(self.exec(_IMPORT_COST % (mods,)))
        if self.form == "mpy":
            out["interp_mpy"] = int(self.exec("import os\nprint(os.stat("
                                              "'/lib/wasi_micro/interp.mpy')[6])"))
            out["import_interp"] = int(self.exec(_IMPORT_COST % (["wasi_micro.interp"],)))
        return out

    def ram(self, p):
        """RAM by category after a run in the whole heap (tools/heap_report.py's categories,
        from its HARNESS run on the board, which imports the run's modules first and keeps the
        module and instance: more than a plain run needs), or {"error": why not}."""
        mods = None
        for mode in ("modules", "measure"):
            src = heap_report.HARNESS.format(
                lib=".frozen" if self.form == "frozen" else "/lib", mode=mode,
                preload=mods or [], name=p["name"], args=p["args"], env=p["env"],
                dirs=board_dirs(p), max_memory=None).replace(
                "import wasi_micro\n", "import wasi_micro\n" + _URANDOM + "\n", 1)
            out = self.exec(src).encode()
            tag = heap_report.tagged(out, mode.upper() + " ")
            if tag is None:
                return {"error": out.decode("utf-8", "replace")[-300:]}
            mods = tag.split()
        m = ast.literal_eval(tag)
        if m["status"] != p["exit"]:  # ran out of memory: no figures of a whole run
            return {"error": "exit status %r (a bigger --heap measures it)" % (m["status"],)}
        return heap_report.categories(m)

    def _run(self, s, p):
        """(works, status, stdout) of one run of p in session s."""
        self.exec(_URANDOM, s)
        keep = sys.stdout, sys.stderr
        sys.stdout = io.TextIOWrapper(io.BytesIO(), write_through=True)
        sys.stderr = io.TextIOWrapper(io.BytesIO(), write_through=True)
        try:
            status = commands.run(s, p["name"], p["args"], p["env"], board_dirs(p))
        except commands.CommandError as e:
            status = "error: %s" % e
        finally:
            out = sys.stdout.buffer.getvalue() + sys.stderr.buffer.getvalue()
            sys.stdout, sys.stderr = keep
        return status == p["exit"] and out == p["want"], status, out

    def works(self, p, kib):
        """(works, free pool after the ballast, status, last output line) at kib KiB."""
        signal.alarm(_RUN_TIMEOUT)
        s = self.session()
        try:
            free = self.boot_free
            if kib * 1024 < self.heap:
                free = int(self.exec(_BALLAST % max(0, self.keep_bytes(kib)), s))
            ok, status, out = self._run(s, p)
        except Hung:
            ok, free, status, out = False, -1, "hung", b""
            s = None
            self.stop()
            self.start()
        finally:
            signal.alarm(0)
            if s is not None:
                s.close()
        tail = out.decode("utf-8", "replace").strip().splitlines()
        return ok, free, status, tail[-1] if tail else ""


def tried(board, p, kib):
    """Whether p runs in kib KiB, the try written to stderr."""
    r = board.works(p, kib)
    print("  %s %d KiB: %s (%d bytes free after the ballast, status %s: %s)" % (
        p["name"], kib, "runs" if r[0] else "fails", r[1], r[2], r[3][:100]), file=sys.stderr,
        flush=True)
    return r[0]


def smallest(board, p, lo, step):
    """The smallest heap in KiB (a multiple of step, at least lo) that works, or None."""
    return heap_report.bisect(lambda kib: tried(board, p, kib), lo, board.heap // 1024, step)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--machine", default="m0", choices=sorted(MACHINES))
    ap.add_argument("--form", default="frozen", choices=["frozen", "mpy"])
    ap.add_argument("--only", default="csvstat")
    ap.add_argument("--step", type=int, default=4)
    ap.add_argument("--lo", type=int, default=64, help="KiB: the bisection's lower bound")
    ap.add_argument("--limits", default="rp2040", help="the board file whose limits to run with")
    ap.add_argument("--heap", type=int, default=DEFAULT_HEAP, help="the firmware's GC heap, bytes")
    ap.add_argument("--at", default="", help="KiB,...: run only at these heaps")
    ap.add_argument("--ram", action="store_true",
                    help="also RAM by category after a run in the whole heap (heap_report's)")
    a = ap.parse_args()
    progs = heap_report.programs(set(a.only.split(",")) - {""})
    if not progs:
        sys.exit("qemu_heap: no such program: %s" % a.only)
    elf = build(a.machine, a.form, a.heap)
    signal.signal(signal.SIGALRM, _alarm)
    board = Board(a.machine, a.form, elf, a.heap, a.limits, tempfile.mkdtemp(
        prefix="qemu_heap-"))
    rows = []
    try:
        board.use(progs[0])
        info = board.probe(progs[0])
        print("%s %s, heap %d: %s" % (a.machine, a.form, a.heap, info), file=sys.stderr)
        for p in progs:
            if p is not board.prog:
                board.use(p)
            row = {"name": p["name"]}
            if a.ram:
                row["ram"] = board.ram(p)
            if a.at:
                row["at"] = dict((kib, tried(board, p, kib)) for kib in map(int, a.at.split(",")))
            else:
                row["heap"] = smallest(board, p, a.lo, a.step)
            rows.append(row)
    finally:
        board.stop()
    print_report(a, info, rows)


def print_report(a, info, rows):
    kib = heap_report.kib
    print("QEMU %s, runtime %s, firmware heap %d bytes (pool %d, %d free after boot), limits of "
          "boards/%s.json; the run's %d modules take %s KiB%s." % (
              a.machine, a.form, a.heap, info["pool"], info["boot_free"], a.limits,
              info["modules"], kib(info["import"]),
              "" if a.form == "frozen" else " (wasi_micro.interp: %s KiB, its .mpy %s KB)" % (
                  kib(info["import_interp"]), "%.1f" % (info["interp_mpy"] / 1000.0))))
    print()
    print("| program | smallest heap, KiB | runtime | module records | WASI host | lowered code "
          "| linear memory | registers | other | live at end |")
    print("|---" * 10 + "|")
    for r in rows:
        heap = ("%d" % r["heap"] if r["heap"] else ">%d" % (a.heap // 1024)) if "heap" in r \
            else ", ".join("%d: %s" % (k, "runs" if v else "fails") for k, v in r["at"].items())
        f = r.get("ram") or {}
        if "error" in f:
            cells = ["error: " + f["error"][-100:].replace("\n", " ")] + [""] * 7
        elif f:
            cells = [kib(f["runtime"]), kib(f["module"]), kib(f["wasi"]), kib(f["code_cap"]),
                     kib(f["linear"]), kib(f["regs"]), kib(f["other"]), kib(f["live_end"])]
        else:
            cells = ["-"] * 8
        print("| %s | %s | %s |" % (r["name"], heap, " | ".join(cells)))


if __name__ == "__main__":
    main()
