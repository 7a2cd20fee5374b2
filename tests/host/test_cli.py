"""The command line (`python -m wasi_micro run ...`) under CPython and the MicroPython unix port:
exit statuses, one-line errors, argument/environment/preopen passing, streaming output."""
import os
import shutil
import subprocess
import sys
import time

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TESTS)
PROG = os.path.join(TESTS, "wasm", "wasi_cli.wasm")
RUNTIMES = ["cpython", "micropython"]


def cli(runtime):
    if runtime == "micropython":
        if shutil.which("micropython") is None:
            pytest.skip("micropython not installed")
        return (["micropython", "-X", "heapsize=64M", "-m", "wasi_micro"],
                {"MICROPYPATH": REPO, "PATH": os.environ["PATH"]})
    return [sys.executable, "-m", "wasi_micro"], {"PYTHONPATH": REPO, "PATH": os.environ["PATH"]}


def run(runtime, *args, stdin=b"", cwd=None, extra_env=None):
    cmd, env = cli(runtime)
    env.update(extra_env or {})
    return run_with(cmd, env, *args, stdin=stdin, cwd=cwd)


def run_with(cmd, env, *args, stdin=b"", cwd=None):
    p = subprocess.run(cmd + list(args), input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, cwd=cwd, timeout=600)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def one_error_line(err):
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_args_exit_and_shorthand(runtime):
    assert run(runtime, "run", PROG, "args", "a b", 'q"x', "") == (0, 'a b\nq"x\n\n', "")
    assert run(runtime, PROG, "args", "--dir", "x") == (0, "--dir\nx\n", "")
    assert run(runtime, "run", PROG, "exit", "7")[0] == 7
    assert run(runtime, "run", "--", PROG, "exit", "0")[0] == 0


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_env_is_exactly_what_is_given(runtime):
    rc, out, err = run(runtime, "run", "--env", "A=1", "--env=B=x=y", "--env", "HOSTVAR",
                       "--env", "NOT_SET_ANYWHERE", PROG, "env",
                       extra_env={"HOSTVAR": "from host", "LEAK": "no"})
    assert (rc, err) == (0, "")
    assert out.splitlines() == ["A=1", "B=x=y", "HOSTVAR=from host"]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_trap_is_one_line_and_134(runtime):
    rc, out, err = run(runtime, "run", PROG, "trap")
    assert rc == 134
    assert one_error_line(err) == "error: wasm trap: unreachable in crash"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_bad_inputs_exit_2(runtime, tmp_path):
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\0asm\x01\0\0\0\x01\x05")
    rc, out, err = run(runtime, "run", str(bad))
    assert rc == 2 and one_error_line(err)
    rc, out, err = run(runtime, "run", str(tmp_path / "missing.wasm"))
    assert rc == 2 and "missing.wasm" in one_error_line(err)
    rc, out, err = run(runtime, "run", "--frobnicate", PROG)
    assert rc == 2 and "--frobnicate" in err and "Traceback" not in err
    rc, out, err = run(runtime, "run", "--dir", str(tmp_path / "nodir"), PROG, "args")
    assert rc == 2 and "nodir" in one_error_line(err)
    rc, out, err = run(runtime, "run", "--fuel", "lots", PROG)
    assert rc == 2 and "Traceback" not in err
    rc, out, err = run(runtime, "run")
    assert rc == 2 and "Traceback" not in err
    unlinkable = tmp_path / "imp.wasm"
    # (module (import "env" "f" (func)))
    unlinkable.write_bytes(b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0\x02\x09\x01\x03env\x01f\0\0")
    rc, out, err = run(runtime, "run", str(unlinkable))
    assert rc == 2 and one_error_line(err)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_preopens(runtime, tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (d / "hello.txt").write_text("hi there\n")
    (d / "b").mkdir()
    assert run(runtime, "run", "--dir", str(d) + "::/sand", PROG, "cat", "/sand/hello.txt") == \
        (0, "hi there\n", "")
    rc, out, err = run(runtime, "run", "--dir", str(d) + "::/sand", PROG, "ls", "/sand")
    assert rc == 0 and sorted(out.splitlines()) == [".", "..", "b", "hello.txt"]
    # --dir DIR alone preopens DIR under its own name (relative to the cwd)
    assert run(runtime, "run", "--dir", "data", PROG, "cat", "data/hello.txt",
               cwd=str(tmp_path)) == (0, "hi there\n", "")
    rc, out, err = run(runtime, "run", PROG, "cat", "/sand/hello.txt")
    assert rc == 1 and "fopen" in err


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_stdin_passes_through(runtime):
    assert run(runtime, "run", PROG, "stdin", stdin=b"some\ninput\x00bytes") == \
        (0, "some\ninput\x00bytes", "")


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_output_streams(runtime):
    cmd, env = cli(runtime)
    p = subprocess.Popen(cmd + ["run", PROG, "stream"], stdout=subprocess.PIPE, env=env)
    t0 = time.time()
    first = p.stdout.readline()
    t1 = time.time()
    rest = p.stdout.read()
    t2 = time.time()
    assert p.wait(timeout=600) == 0
    assert first == b"first\n" and rest == b"second\n"
    assert t2 - t1 >= 1.5  # the first line arrived before the guest's 2 s sleep ended
    assert t2 - t0 >= 2.0


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_fuel_limit(runtime):
    rc, out, err = run(runtime, "run", "--fuel", "10", PROG, "args", "x")
    assert rc == 134 and one_error_line(err).startswith("error: wasm trap: ")
    assert run(runtime, "run", "--fuel", "100000000", PROG, "args", "x") == (0, "x\n", "")


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_native_tier_option(runtime):
    want = run(runtime, "run", PROG, "args", "x", "y z")
    assert want == (0, "x\ny z\n", "")
    for tier in ("off", "auto", "all"):
        assert run(runtime, "run", "--tier", tier, PROG, "args", "x", "y z") == want, tier
    assert run(runtime, "run", "--tier=all", PROG, "trap")[2] == (
        "error: wasm trap: unreachable in crash\n")
    rc, out, err = run(runtime, "run", "--tier", "fast", PROG)
    assert (rc, out) == (2, "") and err.splitlines()[0] == (
        "error: invalid value for --tier: 'fast' (one of off, auto, all)")


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_help_describes_every_option_and_the_exit_statuses(runtime):
    from wasi_micro.__main__ import _CHOICES, _LIMITS
    rc, out, err = run(runtime, "--help")
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("usage: ")
    for opt in list(_LIMITS) + list(_CHOICES) + ["--dir", "--env", "--help"]:
        line = [s for s in lines if s.lstrip().startswith((opt, "-h, " + opt))]
        assert len(line) == 1 and len(line[0].split()) > 2, (opt, out)  # option, value, text
    assert "`run` may be left out" in out
    for status in ("134", "130", " 2 ", " 1 "):
        assert status in out.replace("\n", " ").split("exit status:")[1], status
    rc, out, err = run(runtime, "run", "-h")
    assert rc == 0 and "--max-segment" in out
    rc, out, err = run(runtime, "--frobnicate")  # an unknown option: one line and the usage
    assert (rc, out) == (2, "") and err.splitlines() == [
        "error: unknown option --frobnicate", lines[0]]


def closed_stdout_run(runtime, *args):
    """Run with stdout a pipe whose reader has gone (`| head` that has read enough)."""
    cmd, env = cli(runtime)
    r, w = os.pipe()
    os.close(r)
    try:
        p = subprocess.run(cmd + list(args), stdout=w, stderr=subprocess.PIPE, env=env,
                           timeout=600)
    finally:
        os.close(w)
    return p.returncode, p.stderr.decode()


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_closed_stdout_is_quiet(runtime, tmp_path):
    # As a shell tool: no traceback when the reader goes away. The guest gets EPIPE for its
    # writes (as under wasmtime) and ends as it chooses.
    assert closed_stdout_run(runtime, "--help") == (0, "")
    (tmp_path / "big.txt").write_text("many lines\n" * 100000)
    assert closed_stdout_run(runtime, "run", "--dir", str(tmp_path) + "::/d", PROG, "cat",
                             "/d/big.txt") == (0, "")


@pytest.mark.parametrize("heap", ["96K", "128K", "192K", "256K"])
def test_out_of_memory_on_micropython_is_one_line(heap, tmp_path):
    # The MicroPython port with a board-sized heap: running out while importing the runtime,
    # reading, loading or running the module is one line and exit 1, never a traceback.
    cmd, env = cli("micropython")
    cmd[2] = "heapsize=" + heap
    big = tmp_path / "big.wasm"  # a custom section of 1 MiB: reading it alone is too much
    big.write_bytes(b"\0asm\x01\0\0\0\x00\x82\x80\x40\x01x" + bytes(1 << 20))
    rc, out, err = run_with(cmd, env, "run", str(big))
    assert rc == 1 and one_error_line(err).startswith("error: out of memory on the host ("), err
    # A real module may fit in the bigger heaps (it then says what it misses itself).
    rc, out, err = run_with(cmd, env, "run", os.path.join(TESTS, "wasm", "wasi_rust.wasm"))
    assert rc == 1 and len(err.splitlines()) == 1 and "Traceback" not in err, err


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_load_time_limit_is_a_bad_module(runtime):
    rc, out, err = run(runtime, "run", "--max-functions", "3", PROG, "args")
    assert (rc, out, err) == (2, "", "error: function count limit exceeded\n")
