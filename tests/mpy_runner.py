# Runs the portable tests (tests/test_*.py) under the MicroPython unix port, without pytest:
#   micropython tests/mpy_runner.py [--path DIR] [-k SUBSTRING] [test_file.py ...]
# --path DIR imports wasi_micro from DIR first (e.g. a folder of .mpy files: the deployed form).
# Exit status 0 when every test passed or skipped, 1 otherwise.
import os
import sys

HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
sys.path.insert(0, HERE)
sys.path.insert(0, HERE + "/..")
if len(sys.argv) > 2 and sys.argv[1] == "--path":
    sys.path.insert(0, sys.argv[2])
    del sys.argv[1:3]

import support  # noqa: E402


def main(argv):
    pattern = None
    files = []
    i = 0
    while i < len(argv):
        if argv[i] == "-k":
            pattern = argv[i + 1]
            i += 2
            continue
        files.append(argv[i].rsplit("/", 1)[-1])
        i += 1
    if not files:
        files = sorted(f for f in os.listdir(HERE) if f.startswith("test_") and f.endswith(".py"))
    passed = failed = skipped = 0
    for fname in files:
        modname = fname[:-3]
        try:
            mod = __import__(modname)
        except support.SkipTest as e:
            print("SKIP %s: %s" % (modname, e))
            skipped += 1
            continue
        except Exception as e:
            print("FAIL %s (import)" % modname)
            sys.print_exception(e)
            failed += 1
            continue
        names = sorted(n for n in dir(mod) if n.startswith("test_"))
        for name in names:
            if pattern and pattern not in name and pattern not in modname:
                continue
            fn = getattr(mod, name)
            if not callable(fn):
                continue
            try:
                fn()
                passed += 1
            except support.SkipTest as e:
                print("SKIP %s.%s: %s" % (modname, name, e))
                skipped += 1
            except Exception as e:
                print("FAIL %s.%s" % (modname, name))
                sys.print_exception(e)
                failed += 1
    import wasi_micro
    print("wasi_micro from %s" % getattr(wasi_micro, "__file__", "?"))
    print("micropython: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


sys.exit(main(sys.argv[1:]))
