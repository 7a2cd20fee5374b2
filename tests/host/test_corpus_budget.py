"""Issue 14's heap budgets for the whole corpus (tests/wasm/corpus/): every program through the
board runner (firmware/wasi_run.py) on the 32-bit unix port, with a board's limits
(boards/*.json, its max_memory included) and the runtime frozen or as .mpy, with the files
`wasi-flash put` leaves (the record and the lowered code), in the budget's heap: exact output,
exit status and output files. A case that does not meet its budget today
is listed in MISSES with the reason, as a strict expected failure (the day it fits, the test
says so); it must still end in one clean out-of-memory line, never a traceback. The runs use
tools/heap_report.py's "flash" and run, two at a time; tools/heap_report.py and
tools/readme_table.py measure the smallest heaps (the README's table, checked here too).
"""
import concurrent.futures
import json
import os
import re
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools"))

import heap_report  # noqa: E402
import readme_table  # noqa: E402

with open(os.path.join(heap_report.CORPUS, "manifest.json")) as _f:
    MANIFEST = {p["name"]: p for p in json.load(_f)["programs"]}
NAMES = list(MANIFEST)


def _board(name):
    with open(os.path.join(REPO, "boards", name + ".json")) as f:
        return json.load(f)


def heap_kib(board):
    """The board's free heap (boards/BOARD.json heap_bytes) in whole KiB."""
    return _board(board)["heap_bytes"] // 1024


# (board, runtime form, heap in KiB): issue 14's targets, then the boards whose limits were
# sized for the corpus, in their own heap.
BUDGETS = [("rp2040", "frozen", 192), ("rp2040", "mpy", 200), ("esp32", "frozen", 110)] + [
    (b, form, heap_kib(b)) for b, form in (("rp2350", "mpy"), ("esp32c3", "frozen"),
                                           ("esp32c3", "mpy"))]


# (board, form, program) -> why it does not fit its budget today: none since the board reads
# put's lowered code (NAME.code) instead of lowering.
MISSES = {}


def _smallest(board, form, name):
    """" (smallest heap: N KiB)" from tests/wasm/corpus/heap.json, or ""."""
    try:
        with open(readme_table.HEAP_JSON) as f:
            rows = {r["name"]: r for r in json.load(f)["programs"]}
        return " (smallest heap: %d KiB, tests/wasm/corpus/heap.json)" % (
            rows[name]["heaps"]["%s/%s" % (board, form)])
    except (OSError, KeyError, TypeError, ValueError):
        return ""

# How a run that does not fit must end: one line saying what ran out.
CLEAN_END = re.compile(r"error: (wasm trap: out of memory|out of memory on the board)[^\n]*\n$")


def _cases():
    out = []
    for board, form, kib in BUDGETS:
        for name in NAMES:
            why = MISSES.get((board, form, name))
            marks = [] if why is None else [pytest.mark.xfail(
                strict=True, reason=why + _smallest(board, form, name),
                raises=AssertionError)]
            out.append(pytest.param(board, form, kib, name, marks=marks,
                                    id="%s-%s-%dK-%s" % (form, board, kib, name)))
    return out


@pytest.fixture(scope="module")
def runs(build):
    """{(board, form, name): (status, output, output files)}: every case run once, two at a
    time (about a minute)."""
    from host_tools.commands import compile_runtime
    exes = {"frozen": build("--32bit", "--frozen"), "mpy": build("--32bit")}
    mpy = {"frozen": None, "mpy": compile_runtime("x86")}
    progs = {p["name"]: p for p in heap_report.programs(set(NAMES))}

    def one(case):
        board, form, kib, name = case
        flash = heap_report.Flash(board, mpy[form])
        try:
            _, status, out = heap_report.works(exes[form], flash, progs[name], kib,
                                               own_memory=False)
            return case, (status, out, flash.outputs(progs[name]))
        finally:
            flash.close()

    cases = [(b, f, k, n) for b, f, k in BUDGETS for n in NAMES if n in progs]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        return dict(((b, f, n), got) for (b, f, k, n), got in pool.map(one, cases)), progs


@pytest.mark.parametrize("board,form,kib,name", _cases())
def test_corpus_budget(runs, board, form, kib, name):
    got, progs = runs
    if name not in progs:
        pytest.skip("%s: not found (the shared data: set WASI_MICRO_SHARED)" % name)
    p = progs[name]
    status, out, files = got[(board, form, name)]
    want = {}
    for fn in p["outputs"]:
        with open(os.path.join(heap_report.CORPUS, "expected", name, fn), "rb") as f:
            want[fn] = f.read()
    if (status, out) != (p["exit"], heap_report.expected_output(p)):
        text = out.decode("utf-8", "replace")
        if "Traceback" in text or not CLEAN_END.search(text):
            pytest.fail("%s in %d KiB (%s %s) did not end in a clean out-of-memory line "
                        "(status %d): %s" % (name, kib, board, form, status, text[-600:]))
        assert False, "does not fit: status %d, %s" % (status, text.splitlines()[-1])
    assert files == want


def test_readme_table_is_current():
    """The README's heap table is what tools/readme_table.py renders from
    tests/wasm/corpus/heap.json, measured with today's board limits, for every corpus
    program (re-measuring is the script's job: tools/readme_table.py --measure)."""
    with open(readme_table.HEAP_JSON) as f:
        data = json.load(f)
    with open(readme_table.README) as f:
        assert readme_table.problems(data, f.read()) == []
    assert [r["name"] for r in data["programs"]] == NAMES
