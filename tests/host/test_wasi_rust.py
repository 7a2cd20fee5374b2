"""The Rust part of the official WASI testsuite, ported to C (tests/wasm/wasi_rust.c, one
function per test, `ok NAME` or `FAIL NAME: ...`), through the CLI on both runtimes with the
scratch directory preopened as `fs-tests.dir` like the suite does."""
import os

import pytest

from test_wasi_guest import TESTS, run_cli

WASM = os.path.join(TESTS, "wasm", "wasi_rust.wasm")
C = os.path.join(TESTS, "wasm", "wasi_rust.c")

# MicroPython's os module has no symlink, link or utime: those calls are ENOTSUP there.
KNOWN_MICROPYTHON = {
    "dangling_symlink": "no symlinks",
    "nofollow_errors": "no symlinks",
    "path_exists": "no symlinks",
    "path_symlink_trailing_slashes": "no symlinks",
    "readlink": "no symlinks",
    "symlink_create": "no symlinks",
    "symlink_filestat": "no symlinks",
    "symlink_loop": "no symlinks",
    "path_link": "no hard links",
    "fd_filestat_set": "no utime",
    "path_filestat": "no utime",
}


def _names():
    with open(C) as f:
        src = f.read()
    table = src[src.index("TESTS[] = {"):]
    return [l.split('"')[1] for l in table.splitlines() if l.strip().startswith('{"')]


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
def test_rust_suite(runtime, tmp_path):
    scratch = tmp_path / "fs-tests.dir"
    scratch.mkdir()
    rc, out, err = run_cli(runtime, ["--dir", str(scratch) + "::fs-tests.dir", WASM])
    known = KNOWN_MICROPYTHON if runtime == "micropython" else {}
    want = ["ok " + n for n in _names() if n not in known]
    got = [l for l in out.splitlines() if not any(l.startswith("FAIL %s:" % n) for n in known)]
    assert got == want, out + err
    assert rc == (1 if known else 0)
