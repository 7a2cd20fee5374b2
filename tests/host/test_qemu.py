"""wasi_micro on emulated microcontrollers: MicroPython's own bare-metal firmware (the qemu port,
built by tools/build_qemu.sh from shared/qemu/micropython-min.tar.gz) on QEMU's Cortex-M3
(mps2-an385), RV32IMC (virt, the ESP32-C3's instruction set) and Cortex-M0 (microbit, a
Pico's armv6m), driven by the real `wasi-flash` and mpremote over the emulated UART's pty. The
viper loop runs there as Thumb and RV32 machine code with 32-bit words in a Pico-sized heap,
with the runtime in both forms a board gets it: .mpy files (`wasi-flash install`) and frozen
into the firmware by firmware/manifest.py. Each board boots once for all its tests; the
portable tests that fit run on the frozen M3.

QEMU proves correctness and RAM use, not speed. Needs Debian's qemu-system-arm,
qemu-system-misc, gcc-arm-none-eabi, libnewlib-arm-none-eabi, gcc-riscv64-unknown-elf and
picolibc-riscv64-unknown-elf (.ci/run installs them); skips without them. The firmware builds
are cached (~/.cache/wasi_micro/qemu): a second run does not rebuild.
"""
import functools
import os
import re
import signal
import subprocess
import sys
import tarfile
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import support  # noqa: E402
from qemu_board import QemuBoard, firmware, frozen_native_code  # noqa: E402
from test_corpus import BY_NAME, expected, wasm_path  # noqa: E402

REPO = support.ROOT
GUEST = support.module_path("flash_guest.wasm")

# The bench programs that run in the rp2040's limits (max_memory 32 KiB), with their default
# arguments (shared/bench/sizes.txt) and expected output (shared/bench/expected/). To keep the
# suite's time down (each `put` and `run` costs 2-3 s under QEMU) every board runs the CORE
# ones, the M0 (a Pico's arch) in both forms MORE, and the frozen M0 (a Pico's firmware) the
# SLOW ones (3-14 s each); all of them pass on all six boards. matmul and nbody, left out, run
# frozen (37 and 62 s on the M0) and from .mpy (60 and 109 s on the M0, 59 and 93 on the M3;
# out of memory there while the board lowered their code itself, before put wrote NAME.code).
CORE = ["hello", "fib", "sieve"]
MORE = ["crc32", "hash"]
SLOW = ["i64mix", "memops", "qsort"]
# At the edge of the heap: RV32 from .mpy (the rv32imc viper loop, loaded into the heap, is the
# biggest) runs sieve or reports running out, depending on the heap's layout (which programs
# are on flash moves it): either way one clean line, never a crash.
THIN = {("rv32", "mpy", "sieve")}

# (machine, runtime form): "mpy" = `wasi-flash install` copies .mpy files to the board's
# littlefs; "frozen" = firmware/manifest.py froze the runtime into the firmware. m0 runs the
# armv6m machine code a Pico runs.
BOARDS = [("m3", "mpy"), ("rv32", "mpy"), ("m0", "mpy"),
          ("m3", "frozen"), ("rv32", "frozen"), ("m0", "frozen")]


def wf(board, *args, timeout=300):
    """Run the wasi-flash CLI against `board`; the CompletedProcess, checked for tracebacks."""
    p = subprocess.run([sys.executable, "-m", "host_tools", "--port", board.port] + list(args),
                       cwd=REPO, capture_output=True, timeout=timeout)
    assert b"Traceback" not in p.stderr, p.stderr.decode()
    return p


def _stock_mpy_tool(dest):
    """MicroPython's own tools/mpy-tool.py (and the py/makeqstrdata.py it imports) from the
    tarball, with shared/qemu's float-constant fix taken out again: as a user's tree has it."""
    tarball = support.need_shared("qemu", "micropython-min.tar.gz")
    with tarfile.open(tarball) as tf:
        for m in tf.getmembers():
            if m.name.endswith(("/tools/mpy-tool.py", "/py/makeqstrdata.py")):
                sub = "tools" if "/tools/" in m.name else "py"
                os.makedirs(os.path.join(dest, sub), exist_ok=True)
                with open(os.path.join(dest, sub, os.path.basename(m.name)), "wb") as f:
                    f.write(tf.extractfile(m).read())
    path = os.path.join(dest, "tools", "mpy-tool.py")
    with open(path) as f:
        text = f.read()
    text = text.replace('struct.pack("<f", obj if not abs(obj) >= 2.0 ** 128 - 2.0 ** 103 '
                        'else obj * 1e300)', 'struct.pack("<f", obj)')
    assert 'struct.pack("<f", obj))' in text  # the stock line
    with open(path, "w") as f:
        f.write(text)
    return path


def programs(machine, form):
    """The bench programs run on a board (see CORE)."""
    if machine != "m0":
        return CORE
    return CORE + MORE + (SLOW if form == "frozen" else [])


def _default_args():
    path = support.need_shared("bench", "sizes.txt")
    from host_tools import bench
    return bench.default_sizes(os.path.dirname(path))


@pytest.fixture(scope="module", params=BOARDS, ids=["-".join(b) for b in BOARDS])
def board(request, tmp_path_factory):
    """A booted board with the runtime installed (or, frozen, its board file written),
    flash_guest put as `g` and the bench programs put. Killed after its tests, before the next
    board boots (pytest runs the tests of one parameter together)."""
    machine, form = request.param
    elf = firmware(machine, frozen=(form == "frozen"))
    b = QemuBoard(machine, elf, tmp_path_factory.mktemp("qemu")).start()
    b.form = form
    try:
        args = ["--board", b.board, "install"] + (["--config-only"] if form == "frozen" else [])
        p = wf(b, *args)
        assert p.returncode == 0, (p.stderr.decode(), b.log())
        assert wf(b, "put", GUEST, "--as", "g").returncode == 0
        for prog in programs(machine, form):
            wasm = support.shared("bench", "wasm", prog + ".wasm")
            if support.exists(wasm):
                p = wf(b, "put", wasm)
                assert p.returncode == 0, p.stderr.decode()
        b.info = wf(b, "info").stdout.decode()
        print("\n%s-%s: %s" % (machine, form, " | ".join(b.info.strip().splitlines()[:3])))
        yield b
    finally:
        b.stop()


def test_info(board):
    info = board.info  # taken once all was put
    assert "board:       %s" % board.board in info, info
    heap = int(re.search(r"heap:\s+(\d+) bytes free", info).group(1))
    assert heap > 200 * 1024, info  # a Pico-sized heap with the runtime's board file loaded


@pytest.mark.parametrize("prog", CORE + MORE + SLOW)
def test_bench_program(board, prog):
    if prog not in programs(board.machine, board.form):
        pytest.skip("%s runs on the m0 only (emulation time; see CORE)" % prog)
    support.need_shared("bench", "wasm", prog + ".wasm")
    args = _default_args()[prog]
    with open(support.shared("bench", "expected", prog + ".txt"), "rb") as f:
        expected = f.read()
    t0 = time.monotonic()
    p = wf(board, "run", prog, "--", *args)
    secs = time.monotonic() - t0
    print("%s %s %s: %.1f s, status %d" % (board.machine, prog, " ".join(args), secs,
                                           p.returncode))
    if (board.machine, board.form, prog) in THIN and p.returncode == 1:
        assert re.fullmatch(rb"error: out of memory on the board \(\d+ bytes free after the "
                            rb"run\)\n", p.stderr), p.stderr
        return
    assert (p.returncode, p.stderr) == (0, b"")
    assert p.stdout == expected


@functools.lru_cache()
def _desktop_trap_line():
    """What the desktop CLI prints for flash_guest's trap."""
    return subprocess.run([sys.executable, "-m", "wasi_micro", "run", GUEST, "trap"],
                          cwd=REPO, capture_output=True).stderr


def test_trap(board):
    p = wf(board, "run", "g", "--", "trap")
    assert (p.returncode, p.stdout) == (134, b"about to trap\n")
    assert p.stderr == _desktop_trap_line()
    assert p.stderr.startswith(b"error: wasm trap: unreachable")


def test_ctrl_c(board):
    """A board cannot interrupt viper code: Ctrl-C lands when the loop hands back to bytecode
    after a fuel slice, the run ends with 130 and the board is usable again: its next run
    exits with the guest's own status (which also proves a guest's exit status gets home)."""
    proc = subprocess.Popen([sys.executable, "-m", "host_tools", "--port", board.port, "run",
                             "g", "--", "spin"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"spinning\n"
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (proc.returncode, out, err) == (130, b"", b"error: interrupted\n")
    p = wf(board, "run", "g", "--", "exit", "5")
    assert (p.returncode, p.stdout, p.stderr) == (5, b"exiting 5\n", b"")


@pytest.mark.parametrize("arch", ["armv6m", "rv32imc"])
def test_stock_mpy_tool_freezes_the_runtime(arch, tmp_path):
    """firmware/manifest.py's build steps with a stock MicroPython tree: its mpy-tool.py writes
    every float constant as an f32 too (for the float-in-pointer object model) and stopped on
    numeric.py's 2.0**128 - 2.0**103 ("float too large to pack with f format")."""
    tool = _stock_mpy_tool(str(tmp_path))
    from host_tools import commands
    names = []
    for name, data in sorted(commands.compile_runtime(arch).items()):
        names.append(str(tmp_path / name.replace("/", "_")))
        with open(names[-1], "wb") as f:
            f.write(data)
    p = subprocess.run([sys.executable, tool, "-f"] + names, capture_output=True)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    assert b"mp_frozen_names" in p.stdout


def test_frozen_armv6m_machine_code_is_word_aligned():
    """Frozen for armv6m (a Pico's firmware/manifest.py build), the viper loop's machine code
    must start on a word: the armv6m emitter's literal loads and long jumps (ldr rN, [pc, #])
    assume it. MicroPython's mpy-tool.py aligns it to 2 bytes only; at an address 2 mod 4 the
    runtime hung on the M3 and HardFaulted on the M0 (tools/build_qemu.sh and
    firmware/README.md add the one-line fix)."""
    elf = firmware("m0", frozen=True)
    funcs = frozen_native_code(elf)
    assert any("interp" in name for name in funcs), sorted(funcs)
    for name, (align, addr) in funcs.items():
        assert (align, addr % 4) == (4, 0), (name, align, hex(addr))


def test_mpremote_mount_route(board, tmp_path):
    """The plain-mpremote workflow on the Pico's arch, from the repo's root: `mpremote mount .
    run firmware/run_module.py` (edited to run fib), with the runtime installed or frozen. The
    mount becomes the current directory, which '' searches first on sys.path: the board
    compiled the repo's wasi_micro/*.py into its heap instead and ran out of memory on fib;
    run_module.py searches the mount last."""
    if board.machine != "m0":
        pytest.skip("the mount route is run on the m0 only (emulation time)")
    with open(os.path.join(REPO, "firmware", "run_module.py")) as f:
        script = f.read()
    assert script.count('NAME = "hello"') == 1
    (tmp_path / "run_fib.py").write_text(script.replace('NAME = "hello"', 'NAME = "fib"'))
    p = subprocess.run([sys.executable, "-m", "mpremote", "connect", board.port, "mount", ".",
                        "run", str(tmp_path / "run_fib.py")],
                       cwd=REPO, capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    with open(support.shared("bench", "expected", "fib.txt"), "rb") as f:
        assert f.read().strip() in p.stdout.splitlines(), p.stdout


# The portable tests (tests/test_*.py) that fit a Pico-sized heap: the others build 64 KiB flat
# memories or 20-100 KB test inputs, which run out of memory here (tried on the frozen M3:
# test_detach, test_interp, test_lower, test_limits, test_memory, test_sandbox, test_wasi,
# test_wasi_fs, test_fuzz_corpus), and test_wasi_fs also wants os.urandom, which this port lacks.
PORTABLE = ["test_decode.py", "test_numeric.py", "test_outcome.py", "test_softfloat.py",
            "test_validate.py", "test_wire.py"]
# Why a portable test skips on the board: shared/ is not on the mount, and the port's floats
# are single precision (the object model a Pico's firmware uses too), so the checks against
# the host's IEEE doubles do not apply; the soft-float paths they compare are what it runs.
PORTABLE_SKIPS = re.compile(rb"SKIP test_\w+\.test_\w+: (shared data not found: \S+ \(set "
                            rb"WASI_MICRO_SHARED\)|host float is not an (exact )?IEEE double|"
                            rb"no 50 KB block free for MAX_LOCALS locals on this heap)")


def test_portable_tests(board, tmp_path):
    """tests/mpy_runner.py on the frozen M3 with PORTABLE, the test files read through
    `mpremote mount` of links to tests/ and the wasm builder (host_tools/wasmbuild.py; not the
    repo's root, whose wasi_micro/ would shadow the frozen one) and the runtime the frozen
    one: every test passes or skips for a reason of PORTABLE_SKIPS (measured: 59 passed, 20
    skipped)."""
    if (board.machine, board.form) != ("m3", "frozen"):
        pytest.skip("the portable tests run on the frozen m3 only (emulation time)")
    tests = os.path.join(REPO, "tests")
    mount = tmp_path / "mount"
    mount.mkdir()
    for name in os.listdir(tests):
        os.symlink(os.path.join(tests, name), mount / name)
    (mount / "host_tools").mkdir()
    for name in ("__init__.py", "wasmbuild.py"):
        os.symlink(os.path.join(REPO, "host_tools", name), mount / "host_tools" / name)
    total = 0
    for name in PORTABLE:
        with open(os.path.join(tests, name)) as f:
            total += len(re.findall(r"^def test_", f.read(), re.M))
    # mpy_runner ends with sys.exit, which in the raw REPL would soft-reset the board under
    # the mount: caught, its status printed.
    code = ("import sys\nsys.argv.extend(%r)\ntry:\n    import mpy_runner\n"
            "except SystemExit as e:\n    print('exit status', e.args[0])\n"
            % (["mpy_runner"] + PORTABLE))
    p = subprocess.run([sys.executable, "-m", "mpremote", "connect", board.port, "mount",
                        "--unsafe-links", ".", "exec", code], cwd=str(mount), capture_output=True,
                       timeout=300)
    out = p.stdout.replace(b"\r\n", b"\n")
    print(out.decode("utf-8", "replace"))
    assert (p.returncode, p.stderr) == (0, b""), p.stderr.decode()
    skips = [line for line in out.splitlines() if line.startswith(b"SKIP ")]
    assert all(PORTABLE_SKIPS.fullmatch(line) for line in skips), skips
    assert b"FAIL" not in out
    summary = b"micropython: %d passed, 0 failed, %d skipped" % (total - len(skips), len(skips))
    assert out.splitlines()[-3:] == [b"wasi_micro from wasi_micro/__init__.py", summary,
                                     b"exit status 0"]


# Programs of the real-program corpus (tests/wasm/corpus/) on the frozen M0, a Pico's firmware
# and heap with the rp2040's limits (boards/qemu-m0.json): the C, Zig, AssemblyScript and Rust
# ones run (smallest heaps there as on the 32-bit unix port: tools/qemu_heap.py, README). The
# Rust ones ran out of memory while the QEMU board files lacked the rp2040's code_cache: the
# code array then grew with every function lowered (kalman: "out of memory on the board (195632
# bytes free after the run)"). The wasi-testsuite C ones preopen a tree of their own
# (tools/qemu_heap.py runs them: ts-fopen in 100 KiB).
CORPUS = ["csvstat", "lzpack", "traffic", "wordwrap", "kalman", "sensorlog"]
# Fails on this port whatever its heap, one clean line: sensorlog's HashMap seeds itself from
# WASI random_get, which the qemu port cannot serve (it has no os.urandom; a Pico has): Rust
# panics on the EIO and traps (tools/qemu_heap.py gives it zero bytes: it runs in 132 KiB).
CORPUS_FAILS = {"sensorlog": re.compile(rb"thread 'main' panicked at 'random_get failure: .*"
                                        rb"error: wasm trap: unreachable in wasm-function\[\d+\]\n",
                                        re.S)}


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_program(board, name, tmp_path):
    """Exact stdout, exit status and output files, its inputs copied to the board's
    preopen_dir (/data, where each of these programs expects them) with mpremote. The
    program is removed again after its run: with their lowered code (NAME.code, ~1.5 times
    the .wasm) the corpus and the bench programs (1.5 MB) do not fit the 1 MiB RAM disk
    together (kalman's put failed with ENOSPC)."""
    if (board.machine, board.form) != ("m0", "frozen"):
        pytest.skip("the corpus runs on the frozen m0 only (emulation time)")
    p = BY_NAME[name]
    assert p["dir"] == "/data" and not p["env"], p
    assert wf(board, "put", wasm_path(p), "--as", name).returncode == 0
    try:
        _run_corpus_program(board, p, tmp_path)
    finally:
        assert wf(board, "rm", name).returncode == 0


def _run_corpus_program(board, p, tmp_path):
    name = p["name"]

    def mpremote(copies):
        cmd = [sys.executable, "-m", "mpremote", "connect", board.port]
        for src, dst in copies:
            cmd += ["fs", "cp", src, dst, "+"]
        r = subprocess.run(cmd[:-1], capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr.decode()

    if p["inputs"]:
        mpremote([(os.path.join(REPO, "tests", "wasm", "corpus", "data", f), ":/data/" + f)
                  for f in p["inputs"]])
    r = wf(board, "run", name, "--", *p["args"])
    if name in CORPUS_FAILS:
        assert (r.returncode, r.stdout) == (134, b"") and \
            CORPUS_FAILS[name].fullmatch(r.stderr), (r.returncode, r.stdout, r.stderr)
        return
    want, files = expected(p)
    assert (r.returncode, r.stdout, r.stderr) == (p["exit"], want, b"")
    if files:
        mpremote([(":/data/" + f, str(tmp_path / f)) for f in files])
        assert dict((f, (tmp_path / f).read_bytes()) for f in files) == files
