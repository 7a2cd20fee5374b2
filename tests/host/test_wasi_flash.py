"""wasi-flash end to end: the real CLI (a subprocess) and mpremote against virtual boards
(shared/tools/virtual_board.py: the MicroPython unix port behind a pty, littlefs flash).

What this cannot show: a board's Ctrl-C reaching the guest only between fuel slices (the
unix port interrupts even viper code) and 32-bit heap use (objects take 8-byte words here).
"""
import hashlib
import os
import pty
import re
import signal
import subprocess
import sys
import time

import pytest
import serial

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import support  # noqa: E402
from host_tools import prelower  # noqa: E402
from host_tools.wasmbuild import Module, i32  # noqa: E402
from wasi_micro.loader import record  # noqa: E402

VIRTUAL_BOARD = support.shared("tools", "virtual_board.py")
GUEST = support.module_path("flash_guest.wasm")
REPO = support.ROOT


class VirtualBoard:
    """One virtual board; restart() keeps its flash (a littlefs image in `flash`)."""

    def __init__(self, flash, heap="1M", littlefs="1408K"):
        self.flash = str(flash)
        self.heap = heap
        self.littlefs = littlefs
        self.proc = None
        self.port = None

    def start(self):
        cmd = [sys.executable, VIRTUAL_BOARD, "--flash-dir", self.flash, "--heap", self.heap]
        if self.littlefs:
            cmd += ["--littlefs", self.littlefs]
        self.log = open(os.path.join(self.flash, "board.log"), "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log)
        self.port = self.proc.stdout.readline().decode().strip()
        assert self.port.startswith("/dev/"), self.port
        return self

    def stop(self):
        """Unplug: the pty goes away (SIGTERM: the script stops MicroPython and exits)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.log.close()

    def restart(self):
        self.stop()
        return self.start()


def _start(tmp_path_factory, name, **kw):
    if not support.exists(VIRTUAL_BOARD):
        pytest.skip("virtual board not found: %s" % VIRTUAL_BOARD)
    pytest.importorskip("mpremote")
    return VirtualBoard(tmp_path_factory.mktemp(name), **kw).start()


def wf(board, *args, timeout=60, port=None):
    """Run the wasi-flash CLI against `board`; the CompletedProcess, checked for tracebacks."""
    cmd = [sys.executable, "-m", "host_tools"]
    if board is not None or port is not None:
        cmd += ["--port", port or board.port]
    p = subprocess.run(cmd + list(args), cwd=REPO, capture_output=True, timeout=timeout)
    assert b"Traceback" not in p.stderr, p.stderr.decode()
    return p


def wf_popen(board, *args, **kw):
    return subprocess.Popen([sys.executable, "-m", "host_tools", "--port", board.port] +
                            list(args), cwd=REPO, **kw)


def mp(board, *args, timeout=30):
    p = subprocess.run([sys.executable, "-m", "mpremote", "connect", board.port] + list(args),
                       capture_output=True, timeout=timeout)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout.decode()


def board_sha256(board, path):
    # mpremote prints "sha256sum :PATH", then the digest.
    return mp(board, "fs", "sha256sum", ":" + path).splitlines()[-1].split()[0]


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def soft_reset_friendly(board, wait_for=b">>> ", timeout=20):
    """Ctrl-D at the friendly prompt, as a user at a terminal: main.py runs. The output."""
    with serial.Serial(board.port, timeout=0.1) as s:
        s.write(b"\r\x03\x02")  # stop anything, leave the raw REPL
        time.sleep(0.3)
        s.read(s.in_waiting)
        s.write(b"\x04")
        data = b""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            data += s.read(4096)
            i = data.find(b"soft reboot")
            if i >= 0 and data.endswith(wait_for):
                return data[i:]
    raise AssertionError("no prompt after soft reset: %r" % data)


def big_module(nbytes):
    """A valid module whose data segment is `nbytes` random bytes: deflate cannot shrink it,
    so its upload takes long enough to be cut off."""
    m = Module()
    m.set_memory(nbytes // 65536 + 1, export=None)
    m.data(0, os.urandom(nbytes))
    return m.bytes()


# -- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def board(tmp_path_factory):
    b = _start(tmp_path_factory, "flash")
    yield b
    b.stop()


@pytest.fixture(scope="module")
def ready(board):
    """The board with the runtime installed and flash_guest put as `g`."""
    p = wf(board, "install")
    assert p.returncode == 0, p.stderr.decode()
    p = wf(board, "put", GUEST, "--as", "g")
    assert p.returncode == 0, p.stderr.decode()
    return board


# -- finding the board ------------------------------------------------------------------------

def test_no_board_without_port():
    from host_tools import boards
    import serial.tools.list_ports
    if boards.find_ports(boards.load_all(), serial.tools.list_ports.comports()):
        pytest.skip("a real board is attached")
    p = wf(None, "ls")
    assert p.returncode == 1
    assert p.stderr.decode().startswith("error: no board found (looked for USB ids ")
    assert "2E8A:0005" in p.stderr.decode() and "--port" in p.stderr.decode()


def test_wrong_port():
    p = wf(None, "info", port="/dev/no-such-board")
    assert p.returncode == 1
    assert p.stderr.decode().startswith("error: cannot open /dev/no-such-board")


def test_silent_port_times_out():
    master, slave = pty.openpty()  # a serial line with nothing answering
    try:
        t0 = time.monotonic()
        p = wf(None, "--timeout", "1", "info", port=os.ttyname(slave))
        assert p.returncode == 1
        assert p.stderr.decode() == "error: no MicroPython REPL answers on %s\n" % \
            os.ttyname(slave)
        assert time.monotonic() - t0 < 10
    finally:
        os.close(master)
        os.close(slave)


def test_bad_usage():
    p = wf(None, "frobnicate")
    assert p.returncode == 2 and b"invalid choice" in p.stderr
    p = wf(None, "run")
    assert p.returncode == 2 and b"wasi-flash run" in p.stderr


# -- a board without the runtime ----------------------------------------------------------------

def test_board_without_runtime(tmp_path_factory):
    b = _start(tmp_path_factory, "bare", littlefs=None)
    try:
        for args in (("run", "hello"), ("ls",), ("put", GUEST)):
            p = wf(b, *args)
            assert p.returncode == 1, args
            assert p.stderr.decode() == ("error: the wasi_micro runtime is not installed "
                                         "on the board; run `wasi-flash install`\n"), args
        p = wf(b, "info")
        assert p.returncode == 0
        out = p.stdout.decode()
        assert "board:       unknown: no board file (wasi-flash install, or install " \
            "--config-only)\n" in out
        assert "runtime:     cannot import: ImportError" in out
    finally:
        b.stop()


# -- install ----------------------------------------------------------------------------------

def test_install_copies_then_skips_unchanged(board):
    t0 = time.monotonic()
    p = wf(board, "install")
    first = time.monotonic() - t0
    assert p.returncode == 0, p.stderr.decode()
    from host_tools.commands import runtime_sources
    n = len(runtime_sources())
    m = re.match(r"installed wasi_micro \S+ \((\w+)\) for unix: (\d+) copied, (\d+) unchanged",
                 p.stdout.decode())
    assert m and int(m.group(2)) + int(m.group(3)) == n, p.stdout
    t0 = time.monotonic()
    p = wf(board, "install")
    again = time.monotonic() - t0
    assert p.returncode == 0
    assert "for unix: 0 copied, %d unchanged, 0 removed" % n in p.stdout.decode()
    # What is on the board is what mpy-cross makes here, byte for byte.
    from host_tools.commands import compile_runtime
    files = compile_runtime("x64")
    for rel in ("wasi_micro/interp.mpy", "wasi_micro/wire.mpy", "wasi_run.mpy"):
        assert board_sha256(board, "/lib/" + rel) == hashlib.sha256(files[rel]).hexdigest()
    listing = mp(board, "fs", "ls", ":/lib/wasi_micro")
    assert "interp.mpy" in listing and ".py" not in listing.replace(".mpy", "")
    print("install: %.2f s, again (all unchanged): %.2f s" % (first, again))


def test_install_removes_stale_files(ready):
    mp(ready, "fs", "touch", ":/lib/wasi_micro/old.py")
    p = wf(ready, "install")
    assert p.returncode == 0
    assert "0 copied" in p.stdout.decode() and "1 removed" in p.stdout.decode()
    assert "old.py" not in mp(ready, "fs", "ls", ":/lib/wasi_micro")


def test_info(ready):
    p = wf(ready, "info")
    assert p.returncode == 0, p.stderr.decode()
    out = p.stdout.decode()
    assert out.startswith("board:       unix (")
    assert "arch x64, .mpy v6.3" in out
    free = int(re.search(r"heap:\s+(\d+) bytes free", out).group(1))
    assert 900000 < free <= 1 << 20  # the --heap 1M board after a soft reset
    total = int(re.search(r"flash:\s+\d+ bytes free of (\d+)", out).group(1))
    assert total == 1408 * 1024  # the littlefs image
    assert re.search(r"runtime:\s+wasi_micro \S+ \(sha256 \w{16}, \d+ files in /lib\)", out)
    assert "max_memory=65536" in out


# -- put --------------------------------------------------------------------------------------

def test_put_is_checked_and_listed(ready, tmp_path):
    t0 = time.monotonic()
    p = wf(ready, "put", GUEST, "--as", "g2")
    secs = time.monotonic() - t0
    assert p.returncode == 0, p.stderr.decode()
    with open(GUEST, "rb") as f:
        code = len(prelower.build(f.read()))
    assert re.match(r"put g2: %d bytes, %d of lowered code, in [\d.]+ s \(deflate\)\n" % (
        os.path.getsize(GUEST), code), p.stdout.decode())
    assert board_sha256(ready, "/wasm/g2.wasm") == sha256_of(GUEST)
    p = wf(ready, "ls")
    assert "%8d  g2\n" % os.path.getsize(GUEST) in p.stdout.decode()
    print("put of %d bytes: %.2f s (whole command)" % (os.path.getsize(GUEST), secs))


def test_put_refuses_what_is_not_wasm(ready, tmp_path):
    junk = tmp_path / "junk.wasm"
    junk.write_bytes(b"#!/bin/sh\n")
    p = wf(ready, "put", str(junk))
    assert p.returncode == 1
    assert "is not a wasm module" in p.stderr.decode()
    p = wf(ready, "put", GUEST, "--as", "../escape")
    assert p.returncode == 1 and "bad module name" in p.stderr.decode()
    p = wf(ready, "put", str(tmp_path / "missing.wasm"))
    assert p.returncode == 1 and "cannot read" in p.stderr.decode()


def test_put_cut_off_midway_keeps_the_old_module(ready, tmp_path):
    big = tmp_path / "big.wasm"
    big.write_bytes(big_module(400000))
    wf(ready, "put", GUEST, "--as", "victim")
    old = board_sha256(ready, "/wasm/victim.wasm")
    assert old == sha256_of(GUEST)
    # Draw the progress bar on a terminal and kill wasi-flash when it is part way.
    master, slave = pty.openpty()
    proc = wf_popen(ready, "put", str(big), "--as", "victim", stdout=subprocess.DEVNULL,
                    stderr=slave)
    os.close(slave)
    seen = b""
    percent = 0
    try:
        while proc.poll() is None and percent < 20:
            seen += os.read(master, 1024)
            got = re.findall(rb"(\d+)% (\d+)/(\d+)", seen)
            percent = int(got[-1][0]) if got else 0
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    assert 20 <= percent < 100, seen
    assert board_sha256(ready, "/wasm/victim.wasm") == old
    p = wf(ready, "run", "victim", "--", "exit", "4")
    assert p.returncode == 4 and p.stdout == b"exiting 4\n"
    p = wf(ready, "ls")
    assert ".part" not in p.stdout.decode() and "victim" in p.stdout.decode()
    # The next put goes through (over the leftover .part) and is verified.
    p = wf(ready, "put", str(big), "--as", "victim")
    assert p.returncode == 0, p.stderr.decode()
    assert board_sha256(ready, "/wasm/victim.wasm") == sha256_of(big)
    wf(ready, "rm", "victim")


def test_put_onto_full_flash(ready, tmp_path):
    info = wf(ready, "info").stdout.decode()
    free = int(re.search(r"flash:\s+(\d+) bytes free", info).group(1))
    big = tmp_path / "huge.wasm"
    big.write_bytes(big_module(free + 64 * 1024))
    p = wf(ready, "put", str(big), "--as", "g", timeout=300)
    assert p.returncode == 1
    assert p.stderr == (b"error: writing /wasm/g.wasm on the board failed: No space "
                        b"left on device\n")
    assert board_sha256(ready, "/wasm/g.wasm") == sha256_of(GUEST)
    info = wf(ready, "info").stdout.decode()
    assert int(re.search(r"flash:\s+(\d+) bytes free", info).group(1)) == free


def test_put_damaged_in_transit_is_refused(ready, monkeypatch):
    # Change one byte on its way (in this process, below the CLI): the board's sha256 of
    # the received file differs, the .part is removed and the old module stays.
    from host_tools import commands
    real = commands._chunk_code
    monkeypatch.setattr(commands, "_chunk_code",
                        lambda enc, chunk: real(enc, chunk[:-1] + bytes([chunk[-1] ^ 1])))
    with open(GUEST, "rb") as f:
        data = f.read()
    s = commands.Session(ready.port)
    try:
        with pytest.raises(commands.CommandError, match="arrived damaged"):
            commands.upload(s, data[:-1] + b"X", "/wasm/g.wasm")
    finally:
        s.close()
    assert board_sha256(ready, "/wasm/g.wasm") == sha256_of(GUEST)
    assert "g.wasm.part" not in mp(ready, "fs", "ls", ":/wasm")


# -- run --------------------------------------------------------------------------------------

def test_run_shared_hello(ready):
    hello = support.need_shared("bench", "wasm", "hello.wasm")
    with open(support.shared("bench", "expected", "hello.txt"), "rb") as f:
        expected = f.read()
    assert wf(ready, "put", hello).returncode == 0
    t0 = time.monotonic()
    p = wf(ready, "run", "hello")
    secs = time.monotonic() - t0
    assert (p.returncode, p.stdout, p.stderr) == (0, expected, b"")
    print("run hello: %.2f s (whole command, soft reset included)" % secs)


def test_run_streams_output_live(ready):
    proc = wf_popen(ready, "run", "g", "--", "sleep", "2000", stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE)
    t0 = time.monotonic()
    first = proc.stdout.readline()
    t1 = time.monotonic()
    running = proc.poll() is None
    rest = proc.stdout.read()
    t2 = time.monotonic()
    proc.wait(30)
    assert first == b"first\n"
    assert running  # the line came while the guest was still asleep on the board
    assert rest == b"second\n"
    assert t2 - t1 >= 1.5, (t1 - t0, t2 - t1)
    assert proc.returncode == 0 and proc.stderr.read() == b""


def test_run_exit_codes(ready):
    for code in (0, 1, 7, 255):
        p = wf(ready, "run", "g", "--", "exit", str(code))
        assert (p.returncode, p.stdout, p.stderr) == (code, b"exiting %d\n" % code, b"")


def test_run_trap(ready):
    p = wf(ready, "run", "g", "--", "trap")
    assert p.returncode == 134
    assert p.stdout == b"about to trap\n"
    # The same line the desktop CLI prints for this trap.
    local = subprocess.run([sys.executable, "-m", "wasi_micro", "run", GUEST, "trap"],
                           cwd=REPO, capture_output=True)
    assert p.stderr == local.stderr
    assert p.stderr.decode().startswith("error: wasm trap: unreachable")


def test_put_refuses_a_broken_module_and_keeps_the_old_one(ready, tmp_path):
    with open(GUEST, "rb") as f:
        cut = tmp_path / "victim.wasm"
        cut.write_bytes(f.read()[:3000])
    assert wf(ready, "put", GUEST, "--as", "victim").returncode == 0
    p = wf(ready, "put", str(cut))
    local = subprocess.run([sys.executable, "-m", "wasi_micro", "run", str(cut)],
                           cwd=REPO, capture_output=True)
    # The same reason the desktop CLI gives, after the file's name.
    assert (p.returncode, p.stdout) == (1, b"")
    assert p.stderr.decode() == "error: %s is not a valid module, not copied: %s" % (
        cut, local.stderr.decode()[len("error: "):])
    assert board_sha256(ready, "/wasm/victim.wasm") == sha256_of(GUEST)
    assert "victim.wasm.part" not in mp(ready, "fs", "ls", ":/wasm")
    assert wf(ready, "rm", "victim").returncode == 0


def _adder(op):
    """A command computing 1 + 2 with opcode `op`: i32.add (0x6A) valid, i64.add (0x7C) the
    same size and invalid."""
    m = Module()
    m.set_memory(1)
    m.func([], [], i32(1) + i32(2) + bytes([op]) + b"\x1a", export="_start")
    return m.bytes()


def test_put_leaves_a_record_trusted_only_for_those_bytes(ready, tmp_path):
    # put validates on the host and leaves NAME.valid (size and CRC-32): the board runner does
    # not validate those bytes again. Other bytes under the old record (copied there without
    # wasi-flash) are validated on the board, and an invalid module is refused as ever.
    good = tmp_path / "rec.wasm"
    good.write_bytes(_adder(0x6A))
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(_adder(0x7C))
    assert wf(ready, "put", str(good)).returncode == 0
    assert mp(ready, "fs", "cat", ":/wasm/rec.valid").encode().endswith(record(good.read_bytes()))
    # And its functions lowered here, which the board reads instead of lowering them
    # (test_prelowered.py); rm removes all three.
    assert board_sha256(ready, "/wasm/rec.code") == hashlib.sha256(
        prelower.build(good.read_bytes())).hexdigest()
    p = wf(ready, "put", str(good), "--no-code")  # less flash: the board lowers it
    assert p.returncode == 0 and ", 0 of lowered code," in p.stdout.decode()
    assert "rec.code" not in mp(ready, "fs", "ls", ":/wasm")
    assert wf(ready, "run", "rec").returncode == 0
    assert wf(ready, "put", str(good)).returncode == 0
    p = wf(ready, "run", "rec")
    assert (p.returncode, p.stdout, p.stderr) == (0, b"", b"")
    mp(ready, "fs", "cp", str(bad), ":/wasm/rec.wasm")
    p = wf(ready, "run", "rec")
    assert (p.returncode, p.stdout) == (2, b"")
    assert p.stderr.startswith(b"error: type mismatch") and p.stderr.count(b"\n") == 1
    assert wf(ready, "rm", "rec").returncode == 0
    assert "rec." not in mp(ready, "fs", "ls", ":/wasm")


def test_run_malformed_module(ready, tmp_path):
    with open(GUEST, "rb") as f:
        bad = tmp_path / "bad.wasm"
        bad.write_bytes(f.read()[:3000])
    mp(ready, "fs", "cp", str(bad), ":/wasm/bad.wasm")  # put would refuse it
    p = wf(ready, "run", "bad")
    local = subprocess.run([sys.executable, "-m", "wasi_micro", "run", str(bad)],
                           cwd=REPO, capture_output=True)
    assert (p.returncode, p.stdout) == (2, b"")
    assert p.stderr == local.stderr and p.stderr.startswith(b"error: ")
    assert p.stderr.count(b"\n") == 1


def test_run_with_a_missing_preopen(ready):
    # The board refuses it as the desktop CLI does: one line, exit 2, the guest never starts.
    p = wf(ready, "run", "--dir", "/nope::/data", "g", "--", "exit", "0")
    local = subprocess.run([sys.executable, "-m", "wasi_micro", "run", "--dir", "/nope::/data",
                            GUEST, "exit", "0"], cwd=REPO, capture_output=True)
    assert (p.returncode, p.stdout, p.stderr) == (
        2, b"", b"error: cannot preopen /nope: not a directory\n")
    assert (local.returncode, local.stderr) == (p.returncode, p.stderr)


def test_run_missing_module(ready):
    p = wf(ready, "run", "nosuch")
    assert p.returncode == 2
    assert p.stderr == b"error: no module nosuch on the board (/wasm/nosuch.wasm)\n"


def test_run_binary_output_intact(ready):
    p = wf(ready, "run", "g", "--", "bytes")
    assert p.returncode == 0
    assert p.stdout == bytes(range(256)) * 2


def test_run_stdout_and_stderr_apart(ready):
    p = wf(ready, "run", "g", "--", "streams")
    assert (p.returncode, p.stdout, p.stderr) == (0, b"out1\nout2\n", b"err1\nerr2\n")


def test_run_args_and_env(ready):
    p = wf(ready, "run", "--env", "A=1", "g", "--env", "B=x=y", "--", "echo", "a b", "-c")
    assert (p.returncode, p.stdout) == (0, b"a b\n-c\nA=1\nB=x=y\n")


def test_run_writes_in_the_board_preopen(ready):
    p = wf(ready, "run", "g", "--", "file", "/data/note.txt")
    assert (p.returncode, p.stdout) == (0, b"/data/note.txt\n")
    assert mp(ready, "fs", "cat", ":/data/note.txt") == "/data/note.txt"


def test_run_fuel_limit(ready):
    p = wf(ready, "run", "--fuel", "100000", "g", "--", "spin")
    assert p.returncode == 134
    assert p.stdout == b"spinning\n"
    assert p.stderr.decode().startswith("error: wasm trap: all fuel consumed")


def test_ctrl_c_interrupts_and_leaves_the_board_usable(ready):
    proc = wf_popen(ready, "run", "g", "--", "spin", stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE)
    assert proc.stdout.readline() == b"spinning\n"
    time.sleep(0.3)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err == b"error: interrupted\n"
    assert time.monotonic() - t0 < 5
    assert mp(ready, "exec", "print(6*7)") == "42\n"
    p = wf(ready, "run", "g", "--", "exit", "5")
    assert p.returncode == 5


def test_closed_output_pipe_stops_the_guest(ready):
    # The reader is gone before the first line (`| true`): the guest is interrupted, not
    # left running. (spin, because the unix port's asynchronous Ctrl-C can land inside an
    # allocation and turn into "heap is locked"; a board raises it between fuel slices.)
    proc = wf_popen(ready, "run", "g", "--", "spin", stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE)
    proc.stdout.close()
    assert proc.wait(30) == 130
    assert proc.stderr.read() == b"error: interrupted\n"
    assert wf(ready, "run", "g", "--", "exit", "0").returncode == 0


def test_mpremote_run_workflow(ready):
    hello = support.need_shared("bench", "wasm", "hello.wasm")
    assert wf(ready, "put", hello).returncode == 0
    out = mp(ready, "run", os.path.join(REPO, "firmware", "run_module.py"))
    with open(support.shared("bench", "expected", "hello.txt")) as f:
        assert out == f.read()


def test_modules_named_by_their_file_name(ready, tmp_path):
    # `put fib.wasm`, then the same name for run, boot, ls and rm.
    fib = tmp_path / "fib.wasm"
    with open(GUEST, "rb") as f:
        fib.write_bytes(f.read())
    p = wf(ready, "put", str(fib))
    assert p.returncode == 0 and p.stdout.startswith(b"put fib: ")
    p = wf(ready, "run", "fib.wasm", "--", "exit", "6")
    assert (p.returncode, p.stdout, p.stderr) == (6, b"exiting 6\n", b"")
    p = wf(ready, "boot", "fib.wasm", "--", "exit", "2")
    assert (p.returncode, p.stdout) == (0, b"autorun: fib exit 2\n")
    assert "  fib  (autorun)\n" in wf(ready, "ls").stdout.decode()
    p = wf(ready, "rm", "fib.wasm")
    assert (p.returncode, p.stdout) == (0, b"removed fib; autorun is now off\n")
    p = wf(ready, "put", str(fib), "--as", "fib2.wasm")
    assert p.returncode == 0 and p.stdout.startswith(b"put fib2: ")
    assert (wf(ready, "rm", "fib2").returncode, mp(ready, "fs", "ls", ":/wasm").count("fib")) \
        == (0, 0)


# -- ls, rm, boot -----------------------------------------------------------------------------

def test_ls_into_a_closed_pipe(ready):
    # `wasi-flash ls | head -0`: the reader is gone before the listing is written.
    for buffered in (True, False):
        env = dict(os.environ)
        env.pop("PYTHONUNBUFFERED", None)
        if not buffered:
            env["PYTHONUNBUFFERED"] = "1"
        proc = wf_popen(ready, "ls", stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        proc.stdout.close()
        err = proc.stderr.read()
        assert (proc.wait(30), err) == (141, b""), buffered


def test_ls_and_rm(ready):
    assert wf(ready, "put", GUEST, "--as", "gone").returncode == 0
    assert "  gone\n" in wf(ready, "ls").stdout.decode()
    p = wf(ready, "rm", "gone")
    assert (p.returncode, p.stdout) == (0, b"removed gone\n")
    assert "gone" not in wf(ready, "ls").stdout.decode()
    p = wf(ready, "rm", "gone")
    assert p.returncode == 1 and p.stderr == b"error: no module gone on the board\n"


def test_boot_autorun_after_soft_reset(ready):
    p = wf(ready, "boot", "g", "--", "exit", "3")
    assert (p.returncode, p.stdout) == (0, b"autorun: g exit 3\n")
    assert wf(ready, "boot").stdout == b"autorun: g exit 3\n"
    assert "  g  (autorun)" in wf(ready, "ls").stdout.decode()
    out = soft_reset_friendly(ready)
    assert b"exiting 3\nexit status 3\n" in out
    # Safe mode: /SAFE on flash skips it.
    mp(ready, "fs", "touch", ":/SAFE")
    out = soft_reset_friendly(ready)
    assert b"safe mode, autorun of g skipped" in out and b"exiting" not in out
    mp(ready, "fs", "rm", ":/SAFE")
    # A guest that never ends at power-up does not lock the host out: Ctrl-C stops it.
    assert wf(ready, "boot", "g", "--", "spin").returncode == 0
    out = soft_reset_friendly(ready, wait_for=b"spinning\n")
    p = wf(ready, "ls")
    assert p.returncode == 0 and "  g  (autorun)" in p.stdout.decode()
    p = wf(ready, "boot", "--off")
    assert (p.returncode, p.stdout) == (0, b"autorun: off\n")
    out = soft_reset_friendly(ready)
    assert b"spinning" not in out and b"exiting" not in out


def test_boot_with_arguments_environment_and_dirs(ready):
    p = wf(ready, "boot", "--env", "K=V", "--dir", "/data::/d", "g", "--", "file", "/d/b.txt")
    assert (p.returncode, p.stdout) == (0, b"autorun: g file /d/b.txt\n")
    assert b"/d/b.txt\n" in soft_reset_friendly(ready)
    assert mp(ready, "fs", "cat", ":/data/b.txt") == "/d/b.txt"
    assert wf(ready, "boot", "g", "--env", "K=V", "--", "echo", "hi").returncode == 0
    assert b"hi\nK=V\n" in soft_reset_friendly(ready)
    assert wf(ready, "boot", "--off").returncode == 0


def test_rm_of_the_autorun_module_turns_autorun_off(ready):
    assert wf(ready, "put", GUEST, "--as", "auto").returncode == 0
    assert wf(ready, "boot", "auto").returncode == 0
    p = wf(ready, "rm", "auto")
    assert p.stdout == b"removed auto; autorun is now off\n"
    assert wf(ready, "boot").stdout == b"autorun: off\n"


def test_boot_refuses_a_foreign_main_py(ready):
    mp(ready, "exec", "f=open('/main.py','w');f.write('print(1)\\n');f.close()")
    try:
        p = wf(ready, "boot", "g")
        assert p.returncode == 1 and "has its own /main.py" in p.stderr.decode()
    finally:
        mp(ready, "fs", "rm", ":/main.py")
    p = wf(ready, "boot", "nosuch")
    assert p.returncode == 1 and "no module nosuch" in p.stderr.decode()


# -- a board that drops off -------------------------------------------------------------------

def test_board_dropping_off(tmp_path_factory, tmp_path):
    b = _start(tmp_path_factory, "drop")
    try:
        assert wf(b, "install").returncode == 0
        assert wf(b, "put", GUEST, "--as", "g").returncode == 0
        # Mid-run: the guest sleeps, the board goes away.
        proc = wf_popen(b, "run", "g", "--", "sleep", "20000", stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE)
        assert proc.stdout.readline() == b"first\n"
        t0 = time.monotonic()
        b.stop()
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 1
        assert err == b"error: the board disconnected\n"
        assert time.monotonic() - t0 < 5
        # Mid-put: unplugged while a module is on its way; the old one survives.
        b.start()
        big = tmp_path / "big.wasm"
        big.write_bytes(big_module(400000))
        master, slave = pty.openpty()
        proc = wf_popen(b, "put", str(big), "--as", "g", stdout=subprocess.DEVNULL,
                        stderr=slave)
        os.close(slave)
        seen = b""
        while proc.poll() is None and not re.search(rb"[1-9]\d% ", seen):
            seen += os.read(master, 1024)
        b.stop()
        proc.wait(30)
        while True:  # the rest of what it wrote on its (pty) stderr
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        os.close(master)
        assert proc.returncode == 1
        assert seen.rstrip().endswith(b"error: the board disconnected"), seen
        assert b"Traceback" not in seen
        b.start()  # plugged back in: same flash
        assert board_sha256(b, "/wasm/g.wasm") == sha256_of(GUEST)
        p = wf(b, "run", "g", "--", "exit", "4")
        assert p.returncode == 4
    finally:
        b.stop()


# -- the Pico budget --------------------------------------------------------------------------

def test_pico_sized_heap(tmp_path_factory):
    """A 192 KiB heap and a Pico's 1408 KiB littlefs: the runtime installs and the board
    reports a run honestly, whether hello fits (x64 objects are twice a board's) or not."""
    hello = support.need_shared("bench", "wasm", "hello.wasm")
    b = _start(tmp_path_factory, "pico", heap="192K")
    try:
        assert wf(b, "install").returncode == 0
        assert wf(b, "put", hello).returncode == 0
        info = wf(b, "info").stdout.decode()
        free_flash = int(re.search(r"flash:\s+(\d+) bytes free", info).group(1))
        assert free_flash > 512 * 1024
        free_heap = int(re.search(r"heap:\s+(\d+) bytes free", info).group(1))
        assert free_heap <= 192 * 1024
        p = wf(b, "run", "hello")
        # Out of heap shows as the engine's memory trap (linear memory or lowered code could
        # not be had) or as the runner's MemoryError report (anything else): one line either way.
        if p.returncode == 0:
            assert p.stdout == b"hello from wasm\n"
        elif p.returncode == 134:  # what ran out, or the function it ran out in
            assert re.fullmatch(rb"error: wasm trap: out of memory(: [^\n]+| in \S+)?\n", p.stderr), p.stderr
        else:
            assert p.returncode == 1, p.stderr
            assert re.fullmatch(rb"error: out of memory on the board \(\d+ bytes free after "
                                rb"the run\)\n", p.stderr), p.stderr
        print("192K heap: %d bytes free after a soft reset; run hello: %r" % (
            free_heap, (p.returncode, p.stdout, p.stderr)))
        # Either way the board is still there.
        assert wf(b, "ls").returncode == 0
        assert mp(b, "exec", "print(6*7)") == "42\n"
    finally:
        b.stop()
