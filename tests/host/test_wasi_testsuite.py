"""The official WASI testsuite through the CLI, under CPython and the MicroPython unix port, with
the native tier off and on."""
import os
import shutil
import subprocess
import sys

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER = os.path.join(TESTS, "wasi_testsuite.py")
sys.path.insert(0, TESTS)

import wasi_testsuite  # noqa: E402


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
@pytest.mark.parametrize("tier", ["off", "all"])
def test_wasi_testsuite(runtime, tier):
    dirs = wasi_testsuite.default_dirs()
    if not all(os.path.isdir(d) for d in dirs):
        pytest.skip("wasi-testsuite not found under %s (set WASI_MICRO_SHARED)"
                    % wasi_testsuite.shared_dir())
    if runtime == "micropython" and shutil.which("micropython") is None:
        pytest.skip("micropython not installed")
    p = subprocess.run([sys.executable, RUNNER, "--runtime", runtime, "--tier", tier],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=3600)
    out = p.stdout.decode()
    last = out.strip().splitlines()[-1]
    assert last.startswith("wasi-testsuite: "), out
    assert p.returncode == 0 and last.endswith(" 0 failed"), out


def test_runner_reports_failures(tmp_path):
    """The runner must see a wrong exit code, a wrong stdout and a trap as failures."""
    src = os.path.join(wasi_testsuite.shared_dir(), "wasi-testsuite", "assemblyscript")
    if not os.path.isdir(src):
        pytest.skip("wasi-testsuite not found")
    for name, spec in (("proc_exit-failure", '{"exit_code": 0}'),
                       ("fd_write-to-stdout", '{"stdout": "goodbye"}')):
        shutil.copy(os.path.join(src, name + ".wasm"), str(tmp_path))
        (tmp_path / (name + ".json")).write_text(spec)
    p = subprocess.run([sys.executable, RUNNER, str(tmp_path)], stdout=subprocess.PIPE,
                       timeout=600)
    out = p.stdout.decode()
    assert p.returncode == 1
    assert out.strip().splitlines()[-1] == "wasi-testsuite: 0 passed, 2 failed"
    assert "exit code 33, expected 0" in out and "'hello', expected 'goodbye'" in out
