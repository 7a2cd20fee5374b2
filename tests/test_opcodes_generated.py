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


def test_every_consumer_has_one_block():
    bad = "x = 1\n"
    e = support.raises(SystemExit, gen_opcodes.render_consumer, bad)
    assert "block" in str(e)
