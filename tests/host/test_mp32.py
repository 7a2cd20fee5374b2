# The board path on this machine: the runtime under a 32-bit MicroPython unix port (viper ints
# are 32-bit machine words there, as on every board; the installed x64 `micropython` has 64-bit
# ones) and, with wasi_micro frozen into a 32-bit binary, in board-sized heaps. The binaries
# come from tools/build_micropython.sh (the `build` fixture in conftest.py; cached in
# ~/.cache/wasi_micro: about 40 s each the first time); without a toolchain for them
# (gcc-multilib) these tests skip. The last test puts the 32-bit port with its VFS (--vfs)
# behind the virtual board, for wasi-flash end to end.
import os
import re
import subprocess
import sys

import pytest

import mp

sys.path.insert(0, os.path.join(mp.REPO, "tools"))
import heap_report  # noqa: E402  (the board's "flash" and a run in a given heap)

SHARED = os.environ.get("WASI_MICRO_SHARED") or os.path.join(mp.REPO, "..", "shared")
SPEC = [os.path.join(SHARED, "wasm-spec", s)
        for s in ("core", "proposals/tail-call", "proposals/extended-const")]
BENCH = os.path.join(SHARED, "bench")
VIRTUAL_BOARD = os.path.join(SHARED, "tools", "virtual_board.py")


def _run(exe, args, env=None, timeout=900, cwd=mp.REPO):
    e = dict(os.environ)
    e.pop("MICROPYPATH", None)
    e.update(env or {})
    p = subprocess.run([exe] + args, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=e, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def test_viper_words_are_32_bits(build):
    exe = build("--32bit")
    src = ("import micropython\nfrom array import array\n"
           "@micropython.viper\ndef f(b, x: int) -> int:\n"
           "    p = ptr32(b)\n    return int(0xFFFFFFFF) + p[0] + ((x << 24) >> 24)\n"
           "print(f(array('i', [-1]), 0xFF), f(array('I', [0xFFFFFFFF]), 0x7F))\n")
    status, out = _run(exe, ["-c", src])
    # -1 + -1 + -1, then -1 + -1 + 127: all three are signed 32-bit words.
    assert status == 0 and out.split() == ["-3", "125"], out


def test_portable_tests_32bit(build):
    status, out = _run(build("--32bit"), ["-X", "heapsize=64M", "tests/mpy_runner.py"])
    last = mp.last_line(out)
    m = re.match(r"micropython: (\d+) passed, (\d+) failed, (\d+) skipped$", last)
    assert m, out[-3000:]
    failed = re.findall(r"^FAIL (\S+)", out, re.M)
    assert int(m.group(2)) == len(failed) == 0, out[-6000:]
    assert int(m.group(1)) > 100, last


# Both float paths and both memory layouts, as in test_spec.py: host floats with flat memories,
# the integer soft-float path (boards) with paged ones (boards with max_memory).
SPEC_CONFIGS = {"hostfloat-flat": ("", []), "softfloat-paged": ("1", ["--paged"])}


@pytest.fixture(scope="module")
def spec_runs(build):
    """{config: (status, output)}: the configurations run side by side (a few minutes)."""
    if not os.path.isdir(SPEC[0]):
        pytest.skip("spec suite not found at %s (set WASI_MICRO_SHARED)" % SPEC[0])
    exe = build("--32bit")
    procs = {}
    for name, (soft, flags) in SPEC_CONFIGS.items():
        env = dict(os.environ, WASI_MICRO_SOFTFLOAT=soft)
        env.pop("MICROPYPATH", None)
        procs[name] = subprocess.Popen([exe, "tests/spec_runner.py"] + flags + SPEC, cwd=mp.REPO,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    return {name: (p.communicate(timeout=1800)[0].decode("utf-8", "replace"), p.returncode)
            for name, p in procs.items()}


@pytest.mark.parametrize("config", sorted(SPEC_CONFIGS))
def test_spec_32bit(spec_runs, config):
    out, status = spec_runs[config]
    m = re.match(r"spec .*: (\d+) passed, (\d+) failed, (\d+) not-applicable$", mp.last_line(out))
    assert m, out[-3000:]
    failed = re.findall(r"^FAIL (\S+:\d+) ", out, re.M)
    assert int(m.group(2)) == len(failed) == 0 and status == 0, out[-6000:]
    assert int(m.group(1)) + len(failed) > 27000


# Board-sized heaps (RP2040 ~192 KiB free, plain ESP32 ~110 KiB), each board's limits from
# boards/*.json, run through the board runner (firmware/wasi_run.py) on a temporary "flash",
# with the runtime in either form a board gets it: frozen into the firmware (as
# firmware/manifest.py does: bytecode stays in flash) or as the .mpy files `wasi-flash install`
# copies (bytecode loaded into the heap; x86 viper machine code is not, a board's may be).
# The module is there as `wasi-flash put` leaves it (with its lowered code, NAME.code). A row
# with fits=False must end in the runtime's clean out-of-memory trap. Smallest heaps that work
# here (tools/heap_report.py, 4 KiB steps): from .mpy hello 112 KiB, fib 140, hash 144, crc32
# 152, sieve 160; frozen 56-104; frozen with the ESP32's limits 52-96.
BUDGET = [
    ("frozen", "rp2040", "192K", "hello", [], True),
    ("frozen", "rp2040", "192K", "fib", ["26"], True),
    ("frozen", "rp2040", "192K", "sieve", ["16000", "8"], True),
    ("frozen", "rp2040", "192K", "crc32", ["8192", "16"], True),
    ("frozen", "rp2040", "192K", "hash", ["400"], True),
    ("frozen", "esp32", "110K", "hello", [], True),
    ("frozen", "esp32", "110K", "fib", ["26"], True),
    ("frozen", "esp32", "110K", "sieve", ["16000", "8"], True),
    ("frozen", "esp32", "110K", "crc32", ["8192", "16"], True),
    ("frozen", "esp32", "110K", "hash", ["400"], True),
    ("mpy", "rp2040", "192K", "hello", [], True),
    ("mpy", "rp2040", "192K", "fib", ["26"], True),
    ("mpy", "rp2040", "192K", "sieve", ["16000", "8"], True),
    ("mpy", "rp2040", "192K", "crc32", ["8192", "16"], True),
    ("mpy", "rp2040", "192K", "hash", ["400"], True),
    ("mpy", "rp2040", "144K", "sieve", ["16000", "8"], False),  # the heap runs out
] + [(form, "esp32c3", "195K", prog, args, True)  # its heap_bytes: smallest 112-160K from .mpy
     for form in ("frozen", "mpy") for prog, args in (
         ("hello", []), ("fib", ["26"]), ("sieve", ["16000", "8"]), ("crc32", ["8192", "16"]),
         ("hash", ["400"]))]


def _bench(prog, args):
    """A bench program as heap_report runs one."""
    wasm = os.path.join(BENCH, "wasm", prog + ".wasm")
    if not os.path.exists(wasm):
        pytest.skip("bench programs not found at %s (set WASI_MICRO_SHARED)" % BENCH)
    with open(os.path.join(BENCH, "expected", prog + ".txt"), "rb") as f:
        want = f.read()
    return {"name": prog, "wasm": wasm, "args": args, "env": {}, "dir": None, "inputs": [],
            "exit": 0, "want": want}


def _board(build, form, board):
    """(binary, flash) for the runtime frozen or as .mpy. Runs happen outside the repo, from
    the "flash": wasi_micro and wasi_run must be the frozen or the .mpy ones."""
    if form == "mpy":
        from host_tools.commands import compile_runtime
        return build("--32bit"), heap_report.Flash(board, compile_runtime("x86"))
    return build("--32bit", "--frozen"), heap_report.Flash(board, None)


@pytest.mark.parametrize("form,board,heap,prog,args,fits", BUDGET,
                         ids=["%s-%s-%s-%s" % (b[0], b[1], b[2], b[3]) for b in BUDGET])
def test_heap_budget(build, form, board, heap, prog, args, fits):
    p = _bench(prog, args)
    want = p["want"]
    exe, flash = _board(build, form, board)
    try:
        _, status, out = heap_report.works(exe, flash, p, int(heap[:-1]), own_memory=False)
    finally:
        flash.close()
    if fits:
        assert (status, out) == (0, want)
    else:
        assert status == 134 and re.match(rb"error: wasm trap: out of memory(: [^\n]+| in \S+)?\n$",
                                          out), out


# A run leaves the loader, decoder and validator unimported (compat.release after the load):
# their bytecode is garbage for the rest of the run. The frozen build once kept them, its
# every "." literal being "_dot_" (tools/build_micropython.sh's os module made that qstr).
@pytest.mark.parametrize("form", ["frozen", "mpy"])
def test_board_run_lets_the_loader_go(build, form):
    p = _bench("hello", [])
    exe, flash = _board(build, form, "esp32")
    try:
        _, out = heap_report.run(exe, heap_report.AMPLE, flash.script(p, "modules"), flash.root)
    finally:
        flash.close()
    mods = heap_report.tagged(out, "MODULES ")
    assert mods is not None and "interp" in mods.split(), out
    assert {"loader", "decode", "validate"}.isdisjoint(mods.split()), mods


# wasi-flash against the virtual board running the 32-bit port with MicroPython's VFS (its boot
# mounts a littlefs image as a Pico's flash): a Pico's flash size and free heap, x86 .mpy.
# Recognised as boards/unix32.json from what it reports (linux, x86), with no --board.
VB_PROGRAMS = [("hello", []), ("fib", ["26"]), ("sieve", ["16000", "8"]), ("crc32", ["8192", "16"]),
               ("hash", ["400"])]


def test_wasi_flash_on_the_32bit_virtual_board(build, tmp_path):
    for path in (VIRTUAL_BOARD, os.path.join(BENCH, "wasm")):
        if not os.path.exists(path):
            pytest.skip("not found: %s (set WASI_MICRO_SHARED)" % path)
    pytest.importorskip("mpremote")
    exe = build("--32bit", "--vfs")
    log = open(str(tmp_path / "board.log"), "wb")
    vb = subprocess.Popen([sys.executable, VIRTUAL_BOARD, "--micropython", exe, "--heap", "192K",
                           "--littlefs", "1408K", "--flash-dir", str(tmp_path / "flash")],
                          stdout=subprocess.PIPE, stderr=log)
    try:
        port = vb.stdout.readline().decode().strip()
        assert port.startswith("/dev/"), port

        def wf(*args):
            p = subprocess.run([sys.executable, "-m", "host_tools", "--port", port] + list(args),
                               cwd=mp.REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=300)
            return p.returncode, p.stdout.decode(), p.stderr.decode()

        status, out, err = wf("install")
        assert status == 0 and re.match(r"installed wasi_micro \S+ \(\w+\) for unix32: \d+ copied",
                                        out), out + err
        status, out, err = wf("info")
        assert status == 0 and "arch x86," in out and "board:       unix32 " in out, out + err
        for prog, args in VB_PROGRAMS:
            status, out, err = wf("put", os.path.join(BENCH, "wasm", prog + ".wasm"))
            assert status == 0 and out.startswith("put %s: " % prog), out + err
            with open(os.path.join(BENCH, "expected", prog + ".txt")) as f:
                assert wf("run", prog, *args) == (0, f.read(), ""), prog
    finally:
        vb.terminate()
        vb.wait(10)
        log.close()
