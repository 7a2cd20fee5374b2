# wasi-flash put --native (host_tools/native_put.py, wasi_micro/native_board.py): functions
# translated here for a board's 32-bit words, compiled by mpy-cross for its arch, and run by
# the board runner (firmware/wasi_run.py) on the 32-bit MicroPython unix port (x86 .mpy; the
# `build` fixture, as in test_mp32.py) from a board's "flash" (tools/heap_report.py's Flash).
# Outputs must be the interpreter's exactly; a .mpy that does not fit is refused in one line.
import os
import re
import shutil
import subprocess
import sys

import pytest

import mp

sys.path.insert(0, os.path.join(mp.REPO, "tools"))
import heap_report  # noqa: E402

from host_tools import boards, commands, native_put  # noqa: E402

BOARD = "unix32"
BUDGET = 1 << 20  # room for every function: the most native code to check
PROGRAMS = [("bench-crc32", None), ("bench-sieve", ["4000", "1"]), ("lzpack", None),
            ("wordwrap", None)]
COREMARK = os.path.join(heap_report.SHARED, "bench", "coremark", "coremark.wasm")
COREMARK_ARGS = ["0x0", "0x0", "0x66", "4", "7", "1", "2000"]
REFUSED = 2  # wasi_micro/outcome.py: a bad module or request
NATIVE_LINE = re.compile(r"^native: [1-9]\d* of \d+ functions .*, by profile\)", re.M)


@pytest.fixture(scope="module")
def board(build):
    exe = build("--32bit")
    flash = heap_report.Flash(BOARD, commands.compile_runtime("x86"))
    yield exe, flash
    flash.close()


@pytest.fixture(scope="module")
def board64():
    """The installed (x64) unix port as the `unix` board: 64-bit viper words."""
    flash = heap_report.Flash("unix", commands.compile_runtime("x64"))
    yield mp.micropython(), flash
    flash.close()


def _desc(budget=BUDGET, board=BOARD):
    d = boards.get(board)
    return dict(d, limits=dict(d["limits"], native_bytes=budget))


def _native(p, arch="x86", runtime=None, budget=BUDGET, profile=None, board=BOARD):
    with open(p["wasm"], "rb") as f:
        data = f.read()
    return native_put.build(data, p["name"], _desc(budget, board), arch, runtime,
                            commands._mpy_cross(), profile)


def _run(board, p, mpy):
    """(status, output) of the board runner on p with mpy as its native code (None: none)."""
    exe, flash = board
    src = flash.script(p, "run")  # copies the .wasm to the flash
    path = os.path.join(flash.root, "wasm", p["name"] + "_native.mpy")
    if mpy is None:
        if os.path.exists(path):
            os.remove(path)
    else:
        with open(path, "wb") as f:
            f.write(mpy)
    return heap_report.run(exe, "4M", src, flash.root)


def _program(name, args):
    ps = heap_report.programs([name])
    if not ps:
        pytest.skip("%s not found (set WASI_MICRO_SHARED)" % name)
    p = ps[0]
    if args is not None:
        p = dict(p, args=args, want=None)
    return p


@pytest.mark.parametrize("name,args", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_native_output_is_the_interpreters(board, name, args):
    p = _program(name, args)
    mpy, report = _native(p)
    # Some functions stay interpreted (recursive ones, i64 ones): the run mixes both.
    assert 0 < len(report["taken"]) <= report["translated"] < report["functions"], report
    got = _run(board, p, mpy)
    want = _run(board, p, None)
    assert got == want
    if p["want"] is not None:
        assert want == (p["exit"], heap_report.expected_output(p))


@pytest.mark.parametrize("name,args", PROGRAMS[:2], ids=[p[0] for p in PROGRAMS[:2]])
def test_native_on_64bit_words(board64, name, args):
    """For the unix board (x64): its own word size, and mpy-cross's literals."""
    p = _program(name, args)
    mpy, report = _native(p, arch="x64", board="unix")
    assert report["taken"], report
    assert _run(board64, p, mpy) == _run(board64, p, None)


def test_coremark_native_by_profile(board):
    if not os.path.exists(COREMARK):
        pytest.skip("CoreMark not found at %s" % COREMARK)
    p = {"name": "coremark", "wasm": COREMARK, "args": COREMARK_ARGS, "env": {}, "dir": None,
         "inputs": []}
    mpy, report = _native(p, budget=256 << 10, profile=COREMARK_ARGS[:3] + ["1"] +
                          COREMARK_ARGS[4:])
    assert report["profiled"] and report["taken"], report
    got = _run(board, p, mpy)
    want = _run(board, p, None)
    # The same output but for the timing lines.
    timing = re.compile(rb"^(Total ticks|Total time|Iterations/Sec).*$", re.M)
    assert (got[0], timing.sub(b"", got[1])) == (want[0], timing.sub(b"", want[1]))
    assert b"[0]crcfinal      : 0x" in got[1]


def _refused(board, p, mpy, pattern):
    status, out = _run(board, p, mpy)
    assert status == REFUSED and re.match(pattern + rb"\n$", out), out


def test_changed_module_is_refused(board):
    p = _program("bench-crc32", None)
    mpy, _ = _native(p)
    other = _program("bench-hash", None)
    _refused(board, dict(p, wasm=other["wasm"]), mpy,
             rb"error: \S+/bench-crc32\.wasm changed since its native code was built "
             rb"\(CRC-32 differs\): put bench-crc32 again with --native")


@pytest.mark.parametrize("built, why", [
    ({"arch": "armv6m"}, rb"is for armv6m \(\.mpy v6\.\d\), this board runs x86 \(\.mpy v6\.\d\)"),
    ({"runtime": "0123456789abcdef"}, rb"was built for runtime 0123456789abcdef, the board has "
                                      rb"an unrecorded one"),
], ids=["other-arch", "other-runtime"])
def test_native_code_for_another_board_is_refused(board, built, why):
    p = _program("bench-crc32", None)
    mpy, _ = _native(p, **built)
    _refused(board, p, mpy, rb"error: the native code of bench-crc32 " + why +
             rb": put bench-crc32 again with --native")


def test_not_a_mpy_is_refused(board):
    p = _program("bench-crc32", None)
    _refused(board, p, b"\0asm junk", rb"error: \S+/bench-crc32_native\.mpy is not a \.mpy "
             rb"file: put bench-crc32 again with --native")


def test_budget_bounds_the_code():
    p = _program("bench-crc32", None)
    small, report = _native(p, budget=4096)
    assert report["code_bytes"] <= 4096 + 512, report  # the module's own table of names
    big, all_ = _native(p)
    assert len(report["taken"]) < len(all_["taken"])


def test_board_source_is_the_32bit_ports_own(build):
    """The host's translation for a board is what the 32-bit port translates for itself (its
    viper ints are its words): the same text but for call_indirect's type ids."""
    exe = build("--32bit")
    wasm = os.path.join(heap_report.SHARED, "bench", "wasm", "crc32.wasm")
    if not os.path.exists(wasm):
        pytest.skip("bench programs not found")
    import wasi_micro
    with open(wasm, "rb") as f:
        m = wasi_micro.load(f.read())
    host, _, _ = native_put.translate(m, {"max_memory": 32768})
    script = ("import sys\nsys.path.insert(0, %r)\n" % mp.REPO +
              "import io, wasi_micro\nfrom wasi_micro import Config, instantiate, Store\n"
              "from wasi_micro.wasi import Wasi\nfrom wasi_micro.native_viper import "
              "ViperTranslator\nfrom wasi_micro.native import Unsupported\n"
              "m = wasi_micro.load(%r)\n" % wasm +
              "w = Wasi(['x'], [], [], io.BytesIO(), io.BytesIO(), io.BytesIO())\n"
              "inst = instantiate(m, w.imports(), Config(max_memory=32768, tier='all'), "
              "Store(), run_start=False)\n"
              "for g in range(m.func_imports, m.func_imports + len(m.codes)):\n"
              " try:\n  print('@@%d' % g); print(ViperTranslator(inst.tier, g).translate())\n"
              " except Unsupported:\n  pass\n")
    env = dict(os.environ)
    env.pop("MICROPYPATH", None)
    p = subprocess.run([exe, "-X", "heapsize=16M", "-c", script], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=env, timeout=300)
    assert p.returncode == 0, p.stdout[-2000:]
    theirs = {}
    for part in p.stdout.decode().split("@@")[1:]:
        g, _, src = part.partition("\n")
        if src.strip():
            theirs[int(g)] = src.rstrip("\n") + "\n"
    assert sorted(theirs) == sorted(host)
    tid = re.compile(r"_ci\((\d+), (?:TID\[\d+\]|\d+), ")
    for g in host:
        assert tid.sub(r"_ci(\1, T, ", host[g]) == tid.sub(r"_ci(\1, T, ", theirs[g]), g


def test_put_native_on_the_virtual_board(build, tmp_path):
    """wasi-flash end to end: install, put --native, run; then a put without it removes the
    native code (the old one would no longer fit)."""
    vb_path = os.path.join(heap_report.SHARED, "tools", "virtual_board.py")
    wasm = os.path.join(heap_report.SHARED, "bench", "wasm", "crc32.wasm")
    for path in (vb_path, wasm):
        if not os.path.exists(path):
            pytest.skip("not found: %s (set WASI_MICRO_SHARED)" % path)
    pytest.importorskip("mpremote")
    exe = build("--32bit", "--vfs")
    log = open(str(tmp_path / "board.log"), "wb")
    flash = tmp_path / "flash"
    # 256K, not test_mp32's 192K: the native tier takes 4-8 KB of heap of its own
    # (native_tier.py's bytecode, the native module's objects), and crc32 has no such margin.
    vb = subprocess.Popen([sys.executable, vb_path, "--micropython", exe, "--heap", "256K",
                           "--littlefs", "1408K", "--flash-dir", str(flash)],
                          stdout=subprocess.PIPE, stderr=log)
    try:
        port = vb.stdout.readline().decode().strip()

        def wf(*args):
            p = subprocess.run([sys.executable, "-m", "host_tools", "--port", port] +
                               list(args), cwd=mp.REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=300)
            return p.returncode, p.stdout.decode(), p.stderr.decode()

        assert wf("install")[0] == 0
        status, out, err = wf("put", wasm, "--profile", "2048", "4")
        assert status == 0 and NATIVE_LINE.search(out), out + err
        with open(os.path.join(heap_report.SHARED, "bench", "expected", "crc32.txt")) as f:
            want = f.read()
        assert wf("run", "crc32", "8192", "16") == (0, want, "")
        def files():
            p = subprocess.run([sys.executable, "-m", "mpremote", "connect", port, "fs", "ls",
                                "/wasm"], stdout=subprocess.PIPE, timeout=60)
            return sorted(re.findall(r"(\S+)\s*$", p.stdout.decode(), re.M)[1:])

        assert files() == ["crc32.code", "crc32.valid", "crc32.wasm", "crc32_native.mpy"]
        status, out, err = wf("put", wasm)
        assert status == 0 and "native" not in out, out + err
        assert files() == ["crc32.code", "crc32.valid", "crc32.wasm"]
        assert wf("run", "crc32", "8192", "16") == (0, want, "")
        assert wf("put", wasm, "--native")[0] == 0
        assert files() == ["crc32.code", "crc32.valid", "crc32.wasm", "crc32_native.mpy"]
        assert wf("rm", "crc32")[0] == 0
        assert files() == []
    finally:
        vb.terminate()
        vb.wait(10)
        log.close()
        shutil.rmtree(str(flash), ignore_errors=True)


def test_put_native_on_the_emulated_m3(tmp_path):
    """The same on QEMU's Cortex-M3 (tests/host/test_qemu.py) with the runtime frozen: armv7m
    machine code in a Pico-sized heap, within the board's native_bytes."""
    from qemu_board import QemuBoard, firmware
    wasm = os.path.join(heap_report.SHARED, "bench", "wasm", "crc32.wasm")
    if not os.path.exists(wasm):
        pytest.skip("bench programs not found (set WASI_MICRO_SHARED)")
    pytest.importorskip("mpremote")
    b = QemuBoard("m3", firmware("m3", frozen=True), tmp_path).start()
    try:
        def wf(*args):
            p = subprocess.run([sys.executable, "-m", "host_tools", "--port", b.port,
                                "--board", b.board] + list(args), cwd=mp.REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
            return p.returncode, p.stdout.decode(), p.stderr.decode()

        assert wf("install", "--config-only")[0] == 0
        status, out, err = wf("put", wasm, "--profile", "2048", "4")
        assert status == 0 and NATIVE_LINE.search(out), out + err
        with open(os.path.join(heap_report.SHARED, "bench", "expected", "crc32.txt")) as f:
            want = f.read()
        assert wf("run", "crc32", "--", "8192", "16") == (0, want, "")
    finally:
        b.stop()
