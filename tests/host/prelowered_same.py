# Whether put's lowered code is what this runtime's own lowerer makes: for each module given
# (NAME.wasm with NAME.valid and NAME.code beside it, as `wasi-flash put` leaves them), each
# defined function lowered here and read from NAME.code into code arrays alike, compared
# halfword by halfword. Runs under CPython and the MicroPython unix port (test_prelowered.py).
#
#   prelowered_same.py NAME.wasm ...   ->  "NAME: N same, differ [function indices]" per module
import sys

import wasi_micro
from wasi_micro.compat import halfwords
from wasi_micro.ir import CODE_START, Space, global_slots
from wasi_micro.lower import Lowerer
from wasi_micro.prelowered import SUFFIX, CodeFile


def compare(path):
    m = wasi_micro.load(path, detach=True, checked=True)
    pre = CodeFile.open(path[:-5] + SUFFIX, m)
    if pre is None:
        return "not used"
    typeids = [7 * t + 3 for t in range(len(m.types))]  # any ids: both sides map to them
    mine = Space(halfwords(CODE_START), CODE_START, None)
    low = Lowerer(m, global_slots(m)[0], typeids, mine)
    theirs = Space(halfwords(CODE_START), CODE_START, None)
    entries = [0] * (m.func_imports + len(m.codes))  # no call bound, as in the file
    differ = []
    for i in range(len(m.codes)):
        mine.used = theirs.used = CODE_START
        low.lower(m.func_imports + i, entries)
        pre.load(i, pre.length(i), theirs, typeids)
        a, b = mine.array, theirs.array
        if mine.used != theirs.used or any(a[k] != b[k] for k in range(CODE_START, mine.used)):
            differ.append(i)
    return "%d same, differ %r" % (len(m.codes) - len(differ), differ)


for p in sys.argv[1:]:
    print("%s: %s" % (p.rsplit("/", 1)[-1][:-5], compare(p)))
