# The fuzz regression corpus (tests/fuzz/corpus/README.md: one line per case) under CPython and
# MicroPython: each module runs through the fuzz harness in its mode and must give exactly its
# recorded outcome line. A case whose description names an open entry of fuzz_bugs.md and
# that fails is reported as that known bug (a loud skip), and passes once the bug is fixed.
# A case marked [heap] needs a big allocation (a 4 GiB memory's page table): under MicroPython
# a heap too fragmented for it may refuse it with the clean init-limit instead.
import support
from host_tools.fuzz import harness

CORPUS = support.TESTS + "/fuzz/corpus/"


def cases():
    out = []
    with open(CORPUS + "README.md") as f:
        for line in f:
            if line.startswith("#") or " | " not in line:
                continue
            name, mode, want, what = [x.strip() for x in line.split(" | ", 3)]
            out.append((name, mode, want, what))
    return out


def _known(what):
    i = what.find("fuzz_bugs.md #")
    return what[i:i + 15].strip(" )") if i >= 0 else None


def test_corpus_lists_every_file():
    import os
    names = [c[0] for c in cases()]
    files = sorted(f for f in os.listdir(CORPUS) if f.endswith(".wasm"))
    assert sorted(names) == files and len(names) >= 15
    for mode in [c[1] for c in cases()]:
        assert mode in harness.MODES


def test_corpus_outcomes():
    import gc
    known = []
    for name, mode, want, what in cases():
        gc.collect()
        res = harness.run(support.read_bytes(CORPUS + name), mode=mode)
        got = res.summary()
        if res.cls == "bug":
            got += " %s" % harness.describe(res)
        if got == "init-limit" and support.IS_MICROPYTHON and "[heap]" in what:
            continue
        if got != want:
            if _known(what):
                known.append("%s: %s (%s)" % (name, _known(what), got))
                continue
            raise AssertionError("%s: got %s, want %s" % (name, got, want))
    if known:
        support.skip("known engine bugs: " + "; ".join(known))
