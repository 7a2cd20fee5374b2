# The official spec suite through tests/spec_runner.py, under CPython and MicroPython: F = 0.
import os
import re
import subprocess
import sys

import pytest

import mp

SHARED = os.environ.get("WASI_MICRO_SHARED") or os.path.join(mp.REPO, "..", "shared")
SUITES = ["core", "proposals/tail-call", "proposals/extended-const"]


def _dirs():
    d = [os.path.join(SHARED, "wasm-spec", s) for s in SUITES]
    if not os.path.isdir(d[0]):
        pytest.skip("spec suite not found at %s (set WASI_MICRO_SHARED)" % d[0])
    return d


def _check(out, status):
    line = mp.last_line(out)
    m = re.match(r"spec .*: (\d+) passed, (\d+) failed, (\d+) not-applicable$", line)
    assert m, out[-3000:]
    assert int(m.group(2)) == 0 and status == 0, out[-3000:]
    assert int(m.group(1)) > 27000


# Two configurations cover both float paths and both memory layouts: host floats with flat
# memories, the integer soft-float path (boards) with paged memories (boards with max_memory).
CONFIGS = [("", []), ("1", ["--paged"])]
IDS = ["hostfloat-flat", "softfloat-paged"]


@pytest.mark.parametrize("soft,flags", CONFIGS, ids=IDS)
def test_spec_cpython(soft, flags):
    env = dict(os.environ, WASI_MICRO_SOFTFLOAT=soft)
    p = subprocess.run([sys.executable, "tests/spec_runner.py"] + flags + _dirs(), cwd=mp.REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=1800)
    _check(p.stdout.decode(), p.returncode)


@pytest.mark.parametrize("soft,flags", CONFIGS, ids=IDS)
def test_spec_micropython(soft, flags):
    status, out = mp.run(["tests/spec_runner.py"] + flags + _dirs(), heap="160M",
                         env={"WASI_MICRO_SOFTFLOAT": soft})
    _check(out, status)
