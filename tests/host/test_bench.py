# host_tools/bench.py as a tool: it runs, verifies every output, reports a wrong answer as a
# failure, and writes the JSON report's shape. Not a timed pass/fail: no speed is asserted.
import json
import os
import shutil
import subprocess
import sys
import zlib

import pytest

import mp

from host_tools import bench

SHARED_BENCH = bench.bench_dir()
WASI_MICRO = ["cpython", "mpy", "mpy-noviper"]


def _need_bench():
    if not os.path.isdir(os.path.join(SHARED_BENCH, "wasm")):
        pytest.skip("shared bench programs not found: %s (set WASI_MICRO_SHARED)" % SHARED_BENCH)


def _run(args, tmp_path, shared=None):
    out = tmp_path / "report.json"
    env = dict(os.environ)
    if shared is not None:
        env["WASI_MICRO_SHARED"] = str(shared)
    p = subprocess.run([sys.executable, "-m", "host_tools.bench", "--json", str(out)] + args,
                       cwd=mp.REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=300)
    text = p.stdout.decode("utf-8", "replace")
    report = json.loads(out.read_text()) if out.exists() else None
    return p.returncode, text, report


def _crc32_line(n, rounds):
    # The buffer generator of bench/src/crc32.c (xorshift32, top byte of each state).
    x = 2463534242
    buf = bytearray(n)
    for i in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        buf[i] = x >> 24
    return "crc32 n=%d rounds=%d crc=%08x\n" % (n, rounds, zlib.crc32(bytes(buf) * rounds))


def _fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def test_scaled_args():
    assert bench.scaled_args("sieve", ["16000", "8"], 1) == ["16000", "8"]
    assert bench.scaled_args("sieve", ["16000", "8"], 10) == ["16000", "80"]
    assert bench.scaled_args("hash", ["400"], 0.5) == ["200"]
    assert bench.scaled_args("crc32", ["8192", "16"], 0.01) == ["8192", "1"]
    # fib's work grows by the golden ratio per step: x100 is ten steps more.
    assert bench.scaled_args("fib", ["26"], 100) == ["36"]
    assert bench.scaled_args("fib", ["26"], 0.01) == ["16"]
    assert bench.scaled_args("hello", [], 50) == []


def test_no_viper_copy_drops_only_the_decorator(tmp_path):
    root = bench._no_viper_copy(str(tmp_path))
    copy = os.path.join(root, "wasi_micro")
    orig = os.path.join(mp.REPO, "wasi_micro")
    with open(os.path.join(orig, "interp.py")) as f:
        want = [x for x in f if x.strip() != "@micropython.viper"]
    with open(os.path.join(copy, "interp.py")) as f:
        assert f.readlines() == want
    for name in os.listdir(orig):
        if name.endswith(".py") and name != "interp.py":
            with open(os.path.join(orig, name), "rb") as a, \
                    open(os.path.join(copy, name), "rb") as b:
                assert a.read() == b.read(), name


def test_tiny_run_checks_outputs_and_reports(tmp_path):
    _need_bench()
    mp.micropython()
    status, text, report = _run(["--scale", "0.05", "--runs", "1", "--programs",
                                 "fib,crc32,sieve", "--peers", ",".join(WASI_MICRO),
                                 "--grow-pages", "300", "--mpy-grow-pages", "100",
                                 "--mpy-grow-heap", "64M"], tmp_path)
    assert status == 0, text
    assert report["failures"] == [], text
    assert list(report["programs"]) == ["fib", "crc32", "sieve"]
    assert set(report["runtimes"]) == set(WASI_MICRO)
    assert all(r["status"] == "ok" for r in report["runtimes"].values()), report["runtimes"]
    fib, crc = report["programs"]["fib"], report["programs"]["crc32"]
    assert fib["args"] == ["20"] and crc["args"] == ["8192", "1"]
    # Off the default size the reference is wasi_micro under CPython (no native here): its
    # answers are the real ones.
    for res in report["programs"].values():
        assert res["checked_against"] == "wasi_micro under CPython"
        assert res["instructions"] > 1000
        assert res["code_bytes"] > 10000
    assert fib["output"] == "fib(20) = %d\n" % _fib(20)
    assert crc["output"] == _crc32_line(8192, 1)
    for prog, res in report["programs"].items():
        for rt in WASI_MICRO:
            e = res["runtimes"][rt]
            assert e["ok"] and e["status"] == "ok", (prog, rt, e)
            for key in ("startup_s", "run_s", "import_s", "wall_s", "lower_s", "lower_kb_s",
                        "minstr_s"):
                assert e[key] > 0, (prog, rt, key, e)
            assert len(e["run_s_each"]) == 1
            assert e["minstr_s"] == pytest.approx(res["instructions"] / e["run_s"] / 1e6)
    for rt in WASI_MICRO:
        g = report["geomean"][rt]
        assert g["run_s"] > 0 and g["minstr_s"] > 0 and g["minstr_s_programs"] == 3
        assert g["vs_pywasm"] is None  # pywasm not run
        assert set(report["lowering_kb_s"][rt]["per_program"]) == {"fib", "crc32", "sieve"}
    v = report["viper_vs_noviper"]
    assert set(v["per_program"]) == {"fib", "crc32", "sieve"} and v["geomean"] > 0
    names = [t["name"] for t in report["targets"]]
    assert len(names) == 7
    assert [t["met"] for t in report["targets"]][0] is None  # needs pywasm
    assert "M wasm instructions/s" in text and "targets:" in text
    # The linear-memory entries: RSS on CPython only, grows on both (the counts asked for).
    mem = report["memory"]
    assert list(mem["declared_4gib"]) == ["cpython"]
    e = mem["declared_4gib"]["cpython"]
    assert e["ok"] and e["maxrss_mb"] >= e["maxrss_mb_loaded"] > 0 and e["startup_s"] > 0, e
    grow = mem["grow"]
    assert grow["cpython"]["ok"] and grow["cpython"]["pages"] == 300, grow
    assert grow["mpy"]["ok"] and grow["mpy"]["pages"] == 100 and grow["mpy"]["heap"] == "64M"
    assert grow["cpython"]["run_s"] > 0 and grow["mpy"]["run_s"] > 0
    assert "mpy-noviper" not in grow
    assert "300 one-page grows" in text and "declared 4 GiB memory" in text
    assert [t["measured"] for t in report["targets"][4:]] == [
        e["maxrss_mb"], grow["cpython"]["run_s"], grow["mpy"]["run_s"]]


def test_memory_modules_answer(tmp_path):
    # The modules the memory entries run: grow(n) ends at n pages; probe() writes the last byte
    # of a 4 GiB memory (CPython maps it lazily) and reads it back.
    import wasi_micro
    paths = bench.memory_modules(str(tmp_path))
    with open(paths["grow"], "rb") as f:
        inst = wasi_micro.instantiate(wasi_micro.load(f.read()))
    assert inst.invoke("grow", [5]) == [5] and inst.memory_obj.size == 5 * 65536
    with pytest.raises(wasi_micro.Trap):  # a grow that does not return the pages before it
        inst.invoke("grow", [1])
    with open(paths["rss"], "rb") as f:
        inst = wasi_micro.instantiate(wasi_micro.load(f.read()))
    assert inst.invoke("probe") == [7] and inst.memory_obj.size == 1 << 32


def _bench_copy(tmp_path, programs):
    dst = tmp_path / "shared" / "bench"
    for sub in ("wasm", "expected"):
        (dst / sub).mkdir(parents=True)
    for p in programs:
        shutil.copy(os.path.join(SHARED_BENCH, "wasm", p + ".wasm"), str(dst / "wasm"))
        shutil.copy(os.path.join(SHARED_BENCH, "expected", p + ".txt"), str(dst / "expected"))
    return dst


def test_wrong_output_is_a_failure_not_a_time(tmp_path):
    _need_bench()
    mp.micropython()
    dst = _bench_copy(tmp_path, ["hello", "fib"])
    # fib's default size made small in the copy, with its true answer as the expectation.
    (dst / "sizes.txt").write_text("hello | |\nfib | 15 | 30\n")
    (dst / "expected" / "fib.txt").write_text("fib(15) = %d\n" % _fib(15))
    (dst / "expected" / "hello.txt").write_text("hello from wasn\n")  # tampered
    status, text, report = _run(["--runs", "1", "--peers", "cpython,mpy", "--no-memory"],
                                tmp_path, shared=dst.parent)
    assert status == 1, text
    hello, fib = report["programs"]["hello"], report["programs"]["fib"]
    assert hello["checked_against"] == fib["checked_against"] == "expected/"
    for rt in ("cpython", "mpy"):
        e = hello["runtimes"][rt]
        assert not e["ok"] and e["status"].startswith("wrong output"), e
        assert "run_s" not in e and "startup_s" not in e  # never timed
        assert fib["runtimes"][rt]["ok"] and fib["runtimes"][rt]["run_s"] > 0
    assert any(f.startswith("hello cpython: wrong output") for f in report["failures"])
    assert any(f.startswith("hello mpy: wrong output") for f in report["failures"])
    assert not any(f.startswith("fib") for f in report["failures"])
    assert "FAILURES" in text and "WRONG" in text


def test_missing_bench_folder_skips_cleanly(tmp_path):
    status, text, report = _run(["--peers", "cpython"], tmp_path, shared=tmp_path / "none")
    assert status == 0 and report is None
    assert "no benchmark programs" in text


def test_absent_peers_are_reported_not_installed(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "VENV_PY", str(tmp_path / "no-venv" / "python"))
    monkeypatch.setattr(bench, "_probe_peers", lambda py: {})
    monkeypatch.setattr(bench.shutil, "which", lambda name: None)
    rts = bench.Runtimes(["pywasm", "wasm3", "mpy", "native"], SHARED_BENCH, str(tmp_path), "8M")
    assert rts.status["pywasm"].startswith("not installed")
    assert rts.status["wasm3"].startswith("not installed")
    assert rts.status["mpy"].startswith("not installed")
    assert rts.status["native"].startswith("not installed")
