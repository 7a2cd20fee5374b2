# wasi_micro's modules import each other without a cycle (lazy imports inside functions count
# too): each layer only reaches down the pipeline. CPython only (reads the sources with re).
import os
import re

import support

if support.IS_MICROPYTHON:
    raise support.SkipTest("reads the sources with CPython's re")

PKG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "wasi_micro")


def graph():
    """{module: the sibling modules it imports}."""
    mods = [f[:-3] for f in os.listdir(PKG) if f.endswith(".py")]
    out = {}
    for m in mods:
        with open(os.path.join(PKG, m + ".py")) as fh:
            src = fh.read()
        names = set(re.findall(r"from \.(\w+) import", src))
        for group in re.findall(r"from \. import ([\w, ]+)", src):
            names.update(n.split(" as ")[0].strip() for n in group.split(","))
        out[m] = names & set(mods) - {m}
    return out


def cycle(g):
    """One import cycle as a list of modules, or None."""
    state = {}

    def visit(m, path):
        state[m] = 1
        for d in sorted(g[m]):
            if state.get(d) == 1:
                return path[path.index(d):] + [d]
            if d not in state:
                found = visit(d, path + [d])
                if found:
                    return found
        state[m] = 2
        return None

    for m in sorted(g):
        if m not in state:
            found = visit(m, [m])
            if found:
                return found
    return None


def test_no_import_cycle():
    c = cycle(graph())
    assert c is None, "import cycle: " + " -> ".join(c)


def test_a_cycle_is_found():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None
