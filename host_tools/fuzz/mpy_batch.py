# Runs a batch of fuzz inputs under MicroPython for the driver's cross-interpreter check:
#   micropython host_tools/fuzz/mpy_batch.py DIR
# DIR holds INDEX.MODE.COMPARE.wasm files; prints "INDEX OUTCOME" per file (the harness summary
# in COMPARE form, exact or nan), which the driver compares with CPython's.
import os
import sys

HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
sys.path.insert(0, HERE + "/../..")  # the checkout: host_tools and wasi_micro

from host_tools.fuzz import harness  # noqa: E402


def main(d):
    for name in sorted(os.listdir(d)):
        if not name.endswith(".wasm"):
            continue
        index, mode, compare = name.split(".")[:3]
        with open(d + "/" + name, "rb") as f:
            data = f.read()
        res = harness.run(data, keep_memory=True, mode=mode)
        line = res.summary(compare)
        if res.cls == "bug":
            line += " " + harness.describe(res)
        print("%s %s" % (index, line))


main(sys.argv[1])
