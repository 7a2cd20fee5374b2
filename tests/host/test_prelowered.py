"""put's lowered code (NAME.code: host_tools/prelower.py writes it, wasi_micro/prelowered.py
reads it on the board): a function read from it is the code the board's own lowerer makes,
under CPython and the MicroPython unix port; the board runner uses it only for the module it
was made from, by this runtime's lowering, where no preopen holds the module; a function whose
code changed on flash traps in one line."""
import json
import os
import struct
import subprocess
import sys

import pytest

import mp
import wasi_micro
from host_tools import prelower
from host_tools import wasmbuild as B
from wasi_micro import prelowered
from wasi_micro.config import Config
from wasi_micro.errors import LimitError
from wasi_micro.loader import record, record_path

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(REPO, "tests", "wasm", "corpus")
HELLO = os.path.join(REPO, "examples", "hello.wasm")
with open(os.path.join(CORPUS, "manifest.json")) as _f:  # the corpus built in the repo
    PROGRAMS = [os.path.join(CORPUS, p["wasm"]) for p in json.load(_f)["programs"]
                if "wasm" in p] + [HELLO]


def put(folder, wasm, name=None, data=None):
    """Leave module wasm in folder as put does: NAME.wasm, NAME.valid, NAME.code."""
    name = name or os.path.basename(wasm)[:-5]
    if data is None:
        with open(wasm, "rb") as f:
            data = f.read()
    dest = os.path.join(str(folder), name + ".wasm")
    with open(dest, "wb") as f:
        f.write(data)
    with open(record_path(dest), "wb") as f:
        f.write(record(data))
    with open(dest[:-5] + prelowered.SUFFIX, "wb") as f:
        f.write(prelower.build(data))
    return dest


@pytest.mark.parametrize("runtime", ["cpython", "micropython"])
def test_the_code_read_is_what_the_board_lowers(runtime, tmp_path):
    paths = [put(tmp_path, p) for p in PROGRAMS]
    script = os.path.join(HERE, "prelowered_same.py")
    if runtime == "cpython":
        p = subprocess.run([sys.executable, script] + paths, cwd=REPO, capture_output=True,
                           env=dict(os.environ, PYTHONPATH=REPO))
        status, out = p.returncode, (p.stdout + p.stderr).decode()
    else:
        status, out = mp.run([script] + paths, env={"MICROPYPATH": REPO})
    assert status == 0, out
    lines = out.splitlines()
    assert len(lines) == len(paths), out
    for line in lines:
        assert line.endswith(" same, differ []"), line
        assert int(line.split(": ")[1].split()[0]) > 0, line


# -- the board runner (MicroPython unix port) ---------------------------------------------------

@pytest.fixture
def board(tmp_path):
    """A board's flash: lib/ with the unix board file, wasm/ with hello as put leaves it."""
    for d in ("lib", "wasm", "data"):
        (tmp_path / d).mkdir()
    with open(os.path.join(REPO, "boards", "unix.json")) as f:
        cfg = json.load(f)
    cfg["modules_dir"] = str(tmp_path / "wasm")
    cfg["preopen_dir"] = str(tmp_path / "data")
    (tmp_path / "lib" / "wasi_micro_board.json").write_text(json.dumps(cfg))
    put(tmp_path / "wasm", HELLO, "hello")
    return tmp_path


def run(board, dirs=None):
    src = "import sys\nsys.path[:0] = [%r, %r, %r]\nimport wasi_run\n" \
          "sys.exit(wasi_run.run('hello', [], None, %r))" % (
              str(board / "lib"), REPO, os.path.join(REPO, "firmware"), dirs)
    return mp.run(["-c", src], heap="8M")


def code_path(board):
    return str(board / "wasm" / ("hello" + prelowered.SUFFIX))


def patch(board, at, data):
    with open(code_path(board), "r+b") as f:
        f.seek(at)
        f.write(data)


def damage_code(board):
    """Flip every byte of every function's code (the index and header stay)."""
    path = code_path(board)
    with open(path, "rb") as f:
        b = bytearray(f.read())
    n = struct.unpack_from("<5I", b)[4]
    for k in range(prelowered.index_at(n), len(b)):
        b[k] ^= 0xFF
    with open(path, "wb") as f:
        f.write(b)
    return n


OK = (0, "Hello from wasi_micro!\n")
STALE = "wasi_run: %s does not match this module and runtime, not used (put hello again)\n"
CHANGED = (134, "error: wasm trap: %s\n" % prelowered.CHANGED)


def test_runner_reads_the_code_and_traps_when_it_changed(board):
    assert run(board) == OK
    damage_code(board)
    assert run(board) == CHANGED  # so the run above read it
    with open(code_path(board), "rb") as f:
        whole = f.read()
    with open(code_path(board), "wb") as f:
        f.write(whole[:len(whole) - 7])  # cut short: the same
    assert run(board) == CHANGED
    with open(code_path(board), "wb") as f:
        f.write(whole[:prelowered.index_at(0) + 5])  # within the index
    assert run(board) == CHANGED


def test_code_for_other_bytes_or_lowering_is_not_used(board):
    # Lowered on the board instead, with one line saying why (the heap it then needs may
    # surprise whoever installed a new runtime since).
    stale = (0, STALE % code_path(board) + OK[1])
    damage_code(board)
    # The module changed since put (another record written for it).
    wasm = str(board / "wasm" / "hello.wasm")
    with open(wasm, "rb") as f:
        data = f.read() + b"\x00\x04\x03abc"  # a custom section more
    with open(wasm, "wb") as f:
        f.write(data)
    with open(record_path(wasm), "wb") as f:
        f.write(record(data))
    assert run(board) == stale
    put(board / "wasm", HELLO, "hello")
    damage_code(board)
    patch(board, 4, struct.pack("<I", prelowered.FORMAT ^ 1))  # another runtime's lowering
    assert run(board) == stale
    os.remove(record_path(wasm))  # no record: the module is validated, the code not trusted
    patch(board, 4, struct.pack("<I", prelowered.FORMAT))
    assert run(board) == stale


def test_code_is_not_used_where_a_preopen_holds_the_module(board):
    damage_code(board)
    assert run(board, [str(board) + "::/flash"]) == OK


def test_a_function_the_file_lacks_is_lowered_on_the_board(board):
    n = damage_code(board)
    for i in range(n):  # length 0: not in the file (the host could not lower it)
        patch(board, prelowered.index_at(i) + 4, struct.pack("<I", 0))
    assert run(board) == OK


def test_no_heap_to_load_a_function(tmp_path):
    # The board's heap (not the cache) has no room for a function's code: one line naming it.
    m = B.Module()
    m.func([B.I32], [B.I32], B.get(0), export="f")
    path = put(tmp_path, None, "f", m.bytes())
    config = Config(code_cache=8192)
    module = wasi_micro.load(path, detach=True, checked=True)
    config.prelowered = prelowered.CodeFile.open(path[:-5] + prelowered.SUFFIX, module)
    inst = wasi_micro.instantiate(module, None, config)
    assert inst.prelowered is not None and inst.lowerer is None
    assert inst.invoke("f", [7]) == [7]  # from the file

    def full(i, n, space, typeids):
        raise MemoryError
    inst = wasi_micro.instantiate(wasi_micro.load(path, detach=True, checked=True), None, config)
    inst.prelowered.load = full
    with pytest.raises(LimitError) as e:
        inst.invoke("f", [1])
    assert e.value.reason == "out of memory: the heap has no room to load the code of " \
        "wasm-function[0]", str(e.value)
