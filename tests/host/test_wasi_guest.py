"""Guest programs built from tests/wasm/wasi_*.c, run through the CLI on both runtimes, with
their expected output: POSIX filesystem behaviour through wasi-libc (tests/wasm/wasi_fs.c)."""
import os
import shutil
import subprocess
import sys

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TESTS)


def run_cli(runtime, args):
    if runtime == "micropython":
        if shutil.which("micropython") is None:
            pytest.skip("micropython not installed")
        cmd = ["micropython", "-X", "heapsize=64M", "-m", "wasi_micro", "run"]
        env = {"MICROPYPATH": REPO, "PATH": os.environ["PATH"]}
    else:
        cmd = [sys.executable, "-m", "wasi_micro", "run"]
        env = {"PYTHONPATH": REPO, "PATH": os.environ["PATH"]}
    p = subprocess.run(cmd + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       timeout=900)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
def test_posix_filesystem_semantics(runtime, tmp_path):
    rc, out, err = run_cli(runtime, ["--dir", str(tmp_path) + "::/t",
                                     os.path.join(TESTS, "wasm", "wasi_fs.wasm")])
    lines = out.splitlines()
    assert [l for l in lines if l.startswith("FAIL")] == [], out + err
    links = "unsupported" if runtime == "micropython" else "supported"
    assert "symlinks: %s" % links in lines
    n = 139 if links == "supported" else 119
    assert lines[-1] == "fs: %d checks, 0 failed" % n and rc == 0
    # the program cleaned up after itself except what it left on purpose
    assert sorted(os.listdir(str(tmp_path))) == ["f", "many"]
