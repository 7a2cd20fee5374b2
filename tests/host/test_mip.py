"""package.json: the runtime for MicroPython's own installer, mip. `mpremote mip install` puts
it on a board from a local path or a URL; the unix port's `micropython -m mip install` puts
it in a folder from a URL. A board without a board file runs with the runner's defaults;
`wasi-flash install --config-only` adds the board's limits and then wasi-flash works as after
a full install.
"""
import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import threading

import pytest

from test_wasi_flash import GUEST, REPO, _start, mp, wf

PACKAGE = os.path.join(REPO, "package.json")
# Never imported on a board: the desktop's CPython half of compat (compat.py imports it only
# under CPython). __main__.py stays: `micropython -m wasi_micro` on the unix port.
_NOT_ON_BOARDS = ("compat_cpython.py",)
RUNNER = ["wasi_run.py", "firmware/wasi_run.py"]


def _package():
    with open(PACKAGE) as f:
        return json.load(f)


def _expected_urls():
    pkg = sorted(fn for fn in os.listdir(os.path.join(REPO, "wasi_micro"))
                 if fn.endswith(".py") and fn not in _NOT_ON_BOARDS)
    return [["wasi_micro/" + fn] * 2 for fn in pkg] + [RUNNER]


def test_package_json_lists_the_runtime():
    pkg = _package()
    assert sorted(pkg) == ["urls", "version"]
    assert pkg["urls"] == _expected_urls()
    for target, source in pkg["urls"]:
        assert os.path.isfile(os.path.join(REPO, source)), source
    with open(os.path.join(REPO, "pyproject.toml")) as f:
        version = re.search(r'(?m)^version = "(.*)"$', f.read()).group(1)
    assert pkg["version"] == version


def test_package_json_holds_every_module_the_runtime_imports():
    listed = set(target for target, _source in _package()["urls"])
    imported = set()
    for target, source in _package()["urls"]:
        with open(os.path.join(REPO, source)) as f:
            text = f.read()
        for m in re.finditer(r"(?m)^\s*from (?:\.|wasi_micro\.?)(\w*) import \(?([\w, ]+)",
                             text):
            if m.group(1):
                imported.add("wasi_micro/%s.py" % m.group(1))
            else:  # from . import x / from wasi_micro import x: x a module or a name
                imported.update("wasi_micro/%s.py" % n.strip() for n in m.group(2).split(",")
                                if os.path.isfile(os.path.join(REPO, "wasi_micro",
                                                               n.strip() + ".py")))
    imported.discard("wasi_micro/compat_cpython.py")  # CPython only
    assert imported and imported <= listed, sorted(imported - listed)


# -- installing -------------------------------------------------------------------------------

def _need_micropython():
    if shutil.which("micropython") is None:
        pytest.skip("micropython (the unix port) not installed")


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    _need_micropython()
    b = _start(tmp_path_factory, "mip")
    yield b
    b.stop()


@pytest.fixture(scope="module")
def served():
    """The checkout over HTTP on localhost: package.json's URL."""
    handler = functools.partial(_QuietHandler, directory=REPO)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d/package.json" % server.server_address[1]
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _installed_lines(out, target):
    return ["Installing: %s/%s" % (target, t) for t, _s in _expected_urls()] == \
        [x for x in out.splitlines() if x.startswith("Installing: ")]


def test_mpremote_mip_install_from_a_local_path(board):
    out = mp(board, "mip", "install", PACKAGE, timeout=120)
    assert _installed_lines(out, "/lib"), out
    assert out.splitlines()[-1] == "Done"
    # No board file: the runner's defaults (/wasm, /data, no limits).
    mp(board, "fs", "mkdir", ":/wasm")
    mp(board, "fs", "cp", GUEST, ":/wasm/g.wasm")
    out = mp(board, "exec", "import wasi_run; wasi_run.run('g', ['exit', '3'])")
    assert out == "exiting 3\nexit status 3\n"
    # wasi-flash needs the board file (the board's limits and folders).
    p = wf(board, "ls")
    assert (p.returncode, p.stderr) == (1, b"error: the board has the wasi_micro runtime but "
                                           b"no board file; run `wasi-flash install "
                                           b"--config-only`\n")
    assert "runtime:     wasi_micro imports (installed with mip?), no board file\n" in \
        wf(board, "info").stdout.decode()
    p = wf(board, "install", "--config-only")
    assert (p.returncode, p.stdout) == (0, b"wrote the board file for unix\n")
    assert wf(board, "put", GUEST, "--as", "h").returncode == 0
    p = wf(board, "run", "h", "--", "echo", "hi")
    assert (p.returncode, p.stdout, p.stderr) == (0, b"hi\n", b"")


def test_mpremote_mip_install_from_a_url(board, served):
    out = mp(board, "mip", "install", "--target", "/urllib", served, timeout=120)
    assert _installed_lines(out, "/urllib"), out
    code = "import hashlib,binascii\nfor p in %r:\n print(binascii.hexlify(hashlib.sha256(" \
           "open(p,'rb').read()).digest()).decode())" % [
               "/urllib/" + t for t, _s in _expected_urls()]
    got = mp(board, "exec", code).split()
    want = []
    for _t, source in _expected_urls():
        with open(os.path.join(REPO, source), "rb") as f:
            want.append(hashlib.sha256(f.read()).hexdigest())
    assert got == want


def test_unix_port_mip_install_then_run_from_any_folder(served, tmp_path):
    # The unix port's own mip (it installs from URLs only); without --target it would go to
    # ~/.micropython/lib, on the port's default path.
    _need_micropython()
    lib = tmp_path / "lib"
    p = subprocess.run(["micropython", "-m", "mip", "install", "--target", str(lib), served],
                       capture_output=True, timeout=120)
    assert p.returncode == 0 and p.stdout.endswith(b"Done\n"), p.stdout + p.stderr
    env = dict(os.environ, MICROPYPATH=str(lib))
    p = subprocess.run(["micropython", "-m", "wasi_micro", "run", GUEST, "exit", "4"],
                       cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert (p.returncode, p.stdout, p.stderr) == (4, b"exiting 4\n", b"")
