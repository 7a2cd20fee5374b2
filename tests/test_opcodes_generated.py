# The generated opcode files match tools/gen_opcodes.py's list: opcodes.py, opnames.py and the
# block of named opcode constants in each module that names opcodes. CPython only (the
# generator is a desktop tool).
import os
import sys

import support

if support.IS_MICROPYTHON:
    raise support.SkipTest("tools/gen_opcodes.py runs under CPython")

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import gen_opcodes  # noqa: E402


def test_generated_files_are_current():
    stale = []
    for path, text in gen_opcodes.outputs(ROOT):
        with open(path) as fh:
            if fh.read() != text:
                stale.append(os.path.relpath(path, ROOT))
    assert not stale, "stale: %s (rerun tools/gen_opcodes.py)" % " ".join(stale)


def test_a_drifted_block_is_rewritten():
    # A constant edited by hand, or one missing, differs from what the generator writes.
    path = os.path.join(ROOT, "wasi_micro", "lower.py")
    with open(path) as fh:
        text = fh.read()
    assert "_I32_CONST = const(0x41)\n" in text
    for bad in (text.replace("_I32_CONST = const(0x41)\n", "_I32_CONST = const(0x42)\n"),
                text.replace("_I32_CONST = const(0x41)\n", "")):
        assert gen_opcodes.render_consumer(bad) == text


def test_a_drifted_register_layout_is_rewritten():
    # A register op's field offset or length edited by hand differs from REGISTER's.
    path = os.path.join(ROOT, "wasi_micro", "interp.py")
    with open(path) as fh:
        text = fh.read()
    for line in ("_R_CALL_LEN = const(6)\n", "_R_BR_EQ_T = const(3)\n", "_R_MEM_OFF = const(3)\n"):
        assert line in text
        bad = text.replace(line, line.replace("const(", "const(1 + "))
        assert gen_opcodes.render_consumer(bad) == text


def test_register_layout_names():
    # CALL: op argbase entry:w func:w; a load: op d addr off:m (one halfword, or 0xFFFF and 32
    # bits); RETURN: op n src*.
    names = gen_opcodes.register_names()
    assert (names["_R_CALL_ARGBASE"], names["_R_CALL_ENTRY"], names["_R_CALL_ENTRY_HI"],
            names["_R_CALL_FUNC"], names["_R_CALL_LEN"]) == (1, 2, 3, 4, 6)
    assert (names["_R_LOAD_D"], names["_R_LOAD_ADDR"], names["_R_MEM_OFF"], names["_R_MEM_OFF_W"],
            names["_R_MEM_LEN"], names["_R_MEM_LEN_W"]) == (1, 2, 3, 4, 4, 6)
    assert (names["_R_RETURN_N"], names["_R_RETURN_SRC"], names["_R_RETURN_LEN"]) == (1, 2, 2)


def test_every_consumer_has_one_block():
    bad = "x = 1\n"
    e = support.raises(SystemExit, gen_opcodes.render_consumer, bad)
    assert "block" in str(e)


def test_the_lowering_format_follows_the_lowerer():
    # prelowered.py's FORMAT is a digest of the lowering modules as generated: any edit to one
    # gives another (a board then ignores NAME.code files from before it).
    path = os.path.join(ROOT, "wasi_micro", "lower.py")
    with open(path) as fh:
        text = fh.read()
    _, now = gen_opcodes._prelowered(ROOT, {})
    _, edited = gen_opcodes._prelowered(ROOT, {path: text.replace("def lower(", "def lower (")})
    assert now != edited and now.replace(_format(now), _format(edited)) == edited


def _format(text):
    return gen_opcodes.FORMAT_LINE.search(text).group(0)
