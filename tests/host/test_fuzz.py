"""A short fuzz run (the long one is `python3 -m host_tools.fuzz --inputs 100000`), property
tests over raw bytes, the differential check against wasmtime (skipped when the `wasmtime`
package is missing), and checks that the fuzzer does report bugs and disagreements."""
import os
import random
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TESTS)

from host_tools.fuzz import diff, harness, mutate, runner as F, wasi_fuzz, wasmgen

HEADER = b"\x00asm\x01\x00\x00\x00"


def test_short_run_command(tmp_path):
    p = subprocess.run([sys.executable, "-m", "host_tools.fuzz", "--inputs", "1500", "--seed",
                        "7", "--jobs", "2", "--out", str(tmp_path), "--quiet"],
                       cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    out = p.stdout.decode()
    last = out.strip().splitlines()[-1]
    assert p.returncode == 0, out
    assert last.startswith("fuzz: 1500 inputs (seed 7") and "bugs: 0 (0 unique)" in last, out
    for cls in ("malformed", "ran", "invalid"):
        assert " %s " % cls in last, last  # every stage is reached


def test_inputs_are_reproducible():
    m = F.Maker(5, True)
    assert m.make(123) == m.make(123) and m.make(123) != m.make(124)


def test_generated_modules_are_valid_and_run():
    classes = {}
    for seed in range(300):
        r = random.Random(seed)
        res = harness.run(wasmgen.Gen(r, det=seed % 2 == 0).module(), mode=harness.MODES[seed % 3])
        assert res.cls not in ("bug", "malformed", "invalid"), (seed, res.summary(), res.error)
        classes[res.cls] = classes.get(res.cls, 0) + 1
    assert classes.get("ran", 0) > 150, classes


def test_wasi_guests_with_hostile_arguments():
    for seed in range(150):
        r = random.Random(seed)
        res = wasi_fuzz.run(wasi_fuzz.module(r), harness.config(harness.MODES[seed % 3]))
        assert res.cls != "bug", (seed, harness.describe(res))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_after_a_header(tail):
    res = harness.run(HEADER + tail)
    assert res.cls != "bug", harness.describe(res)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2 ** 32), st.integers(0, 2 ** 32))
def test_mutated_generated_modules(seed, seed2):
    r = random.Random(seed)
    base = wasmgen.Gen(r).module()
    for data in (mutate.mutate(base, random.Random(seed2)), mutate.mutate_code(base, r)):
        res = harness.run(data)
        assert res.cls != "bug", harness.describe(res)


def test_a_runtime_exception_is_reported_as_a_bug(monkeypatch):
    import wasi_micro.instance as I

    def broken(self, name, args=()):
        raise KeyError(name)
    seed = 0
    while harness.run(wasmgen.Gen(random.Random(seed)).module()).cls != "ran":
        seed += 1
    data = wasmgen.Gen(random.Random(seed)).module()
    monkeypatch.setattr(I.Instance, "invoke", broken)
    res, sig, detail = F.check("gen", data)
    assert res.cls == "bug" and sig.startswith("KeyError@") and "broken" in detail


_EMPTY_MEMORY_SCRIPT = """
import sys
sys.path.insert(0, %r)
sys.path.insert(0, %r)
import test_sandbox as T
import wasi_micro
mod = T._empty_memory_module()
for cfg in (None, wasi_micro.Config(max_memory=65536)):
    inst = wasi_micro.instantiate(mod, None, cfg)
    for op in ("fill", "copy", "init"):
        inst.invoke(op, [0, 0, 0])
        for args in ([0, 0, 1], [0, 7, 2], [1, 0, 0], [0xFFFFFFFF, 0, 1]):
            T._expect_oob(inst, op, args)
print("ok")
"""


def test_empty_flat_memory_bulk_ops_under_micropython():
    # test_sandbox.test_empty_memory_bulk_ops under the viper loop, in a subprocess: the bug it
    # guards against (fuzz_bugs.md #5) kills the interpreter.
    import shutil
    exe = shutil.which("micropython")
    if exe is None:
        pytest.skip("micropython not installed")
    p = subprocess.run([exe, "-c", _EMPTY_MEMORY_SCRIPT % (TESTS, REPO)], cwd=REPO,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    out = p.stdout.decode()
    assert p.returncode == 0 and out.strip().endswith("ok"), out


needs_wasmtime = pytest.mark.skipif(not diff.available, reason="wasmtime not installed")


@needs_wasmtime
def test_differential_against_wasmtime():
    for seed in range(400):
        data = wasmgen.Gen(random.Random("diff:%d" % seed), det=True).module()
        bad = diff.compare(data, mode=harness.MODES[seed % 3])
        assert not bad, (seed, bad)


@needs_wasmtime
def test_differential_reports_a_disagreement(monkeypatch):
    # Change one result on our side: the comparison must notice.
    real = harness.run

    def off_by_one(*a, **kw):
        res = real(*a, **kw)
        res.calls = [(n, k, [(v[0] + 1) & 0xFFFFFFFF] + v[1:] if k == "ok" and v else v)
                     for n, k, v in res.calls]
        return res
    monkeypatch.setattr(harness, "run", off_by_one)
    found = 0
    for seed in range(50):
        data = wasmgen.Gen(random.Random("diff:%d" % seed), det=True).module()
        found += bool(diff.compare(data))
    assert found >= 5


@needs_wasmtime
def test_nan_results_compare_as_a_class():
    assert diff.same_value(0x7FC00000, 0xFFC00001, 0x7D)
    assert not diff.same_value(0x7FC00000, 0x7F800000, 0x7D)
    assert diff.same_value(0x7FF8000000000000, 0x7FF0000000000001, 0x7C)
    assert not diff.same_value(0, 0x80000000, 0x7D)  # -0.0 is not 0.0
