# Runs the official WebAssembly spec tests (wast2json output) against wasi_micro.
#
#   python3 tests/spec_runner.py [-v] [--paged] [--tier all] [DIR ...]
#   micropython tests/spec_runner.py [-v] [--paged] [--tier all] [DIR ...]
#
# --paged gives every module's memory a max_memory limit, so it runs on the paged memory path
# (1 KiB frames mapped on first write) instead of the flat one. --tier all runs functions
# through the native tier (Config.tier).
# DIR defaults to the shared core suite (WASI_MICRO_SHARED or ../shared, + wasm-spec/core); a DIR
# holds NAME/NAME.json folders, or is one of them. Results are compared bit for bit (NaN classes
# as the JSON says). Prints failures per file and last a line
# `spec NAME: P passed, F failed, N not-applicable` (text-format assert_malformed cases are the
# only not-applicable ones). Exit status 1 when anything failed.
import os
import sys

HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
sys.path.insert(0, HERE + "/..")
sys.path.insert(0, HERE)

import gc  # noqa: E402
import json  # noqa: E402

import support  # noqa: E402
import wasi_micro  # noqa: E402
from wasi_micro import errors  # noqa: E402
from wasi_micro.runtime import Extern, GlobalCell, HostFunc, Memory, Store, Table  # noqa
from wasi_micro.module import Limits  # noqa: E402

_F32_NAN = 0x7F800000
_F64_NAN = 0x7FF0000000000000


def spectest():
    noop = lambda *a: None  # noqa: E731
    return {
        "print": HostFunc(":", noop), "print_i32": HostFunc("i:", noop),
        "print_i64": HostFunc("I:", noop), "print_f32": HostFunc("f:", noop),
        "print_f64": HostFunc("F:", noop), "print_i32_f32": HostFunc("if:", noop),
        "print_f64_f64": HostFunc("FF:", noop),
        "global_i32": GlobalCell(0x7F, False, 666), "global_i64": GlobalCell(0x7E, False, 666),
        # 666.6 as f32 and f64 bit patterns (the spec interpreter's spectest values).
        "global_f32": GlobalCell(0x7D, False, 0x4426A666),
        "global_f64": GlobalCell(0x7C, False, 0x4084D4CCCCCCCCCD),
        "table": Table(0x70, Limits(10, 20)),
        "memory": Memory(Limits(1, 2)),
    }


class Runner:
    # Small register files keep the MicroPython unix port within its default 2 MB heap.
    def __init__(self, verbose=False, config=None):
        self.verbose = verbose
        self.config = config or wasi_micro.Config(call_depth=1000, stack_slots=1 << 14)
        self.passed = 0
        self.failed = 0
        self.na = 0
        self.externs = {}

    def extern(self, n):
        e = self.externs.get(n)
        if e is None:
            e = self.externs[n] = Extern(n)
        return self.store.ref(e)

    def value(self, v):
        t = v["type"]
        s = v["value"]
        if t == "externref":
            return 0 if s == "null" else self.extern(int(s))
        if t == "funcref":
            return 0
        return int(s)

    def matches(self, want, got):
        t = want["type"]
        s = want.get("value")
        if t == "externref" or t == "funcref":
            if s is None:
                return got != 0
            if s == "null":
                return got == 0
            obj = self.store.deref(got)
            return isinstance(obj, Extern) and obj.value == int(s)
        if s == "nan:canonical" or s == "nan:arithmetic":
            if t == "f32":
                quiet, exp, mask = 0x400000, _F32_NAN, 0x7FFFFFFF
            else:
                quiet, exp, mask = 0x8000000000000, _F64_NAN, 0x7FFFFFFFFFFFFFFF
            if got & exp != exp or not got & quiet:
                return False
            return s == "nan:arithmetic" or got & mask == exp | quiet
        return got == int(s)

    def run_file(self, path):
        folder = path.rsplit("/", 1)[0]
        name = path.rsplit("/", 1)[-1]
        self.store = Store()  # one reference space per script, dropped with it
        self.externs = {}
        self.registry = {"spectest": spectest()}
        self.named = {}
        self.current = None
        fails = 0
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{\"type\""):
                    continue
                if line.endswith(","):
                    line = line[:-1]
                try:
                    cmd = json.loads(line)
                except ValueError:  # the last command carries the closing "]}"
                    cmd = json.loads(line[:-2])
                try:
                    ok, detail = self.command(folder, cmd)
                except Exception as e:  # a bug in the runtime: report it, keep going
                    ok, detail = False, "unexpected %s: %s" % (type(e).__name__, e)
                if ok is None:
                    self.na += 1
                elif ok:
                    self.passed += 1
                else:
                    self.failed += 1
                    fails += 1
                    print("FAIL %s:%d %s: %s" % (name, cmd["line"], cmd["type"], detail))
        if self.verbose:
            print("%s: %d failed" % (name, fails))

    def load(self, folder, filename):
        with open(folder + "/" + filename, "rb") as f:
            return wasi_micro.load(f.read())

    def instance(self, name):
        return self.named[name] if name else self.current

    def act(self, action):
        inst = self.instance(action.get("module"))
        if action["type"] == "get":
            g = inst.exports[action["field"]]
            return [g.value]
        args = [self.value(v) for v in action["args"]]
        return inst.invoke(action["field"], args)

    def command(self, folder, cmd):
        kind = cmd["type"]
        if kind == "module":
            self.current = None
            gc.collect()
            m = self.load(folder, cmd["filename"])
            self.current = wasi_micro.instantiate(m, self.registry, self.config, self.store)
            if cmd.get("name"):
                self.named[cmd["name"]] = self.current
            return True, ""
        if kind == "register":
            inst = self.instance(cmd.get("name"))
            self.registry[cmd["as"]] = inst.exports
            return True, ""
        if kind == "action":
            self.act(cmd["action"])
            return True, ""
        if kind == "assert_return":
            got = self.act(cmd["action"])
            want = cmd["expected"]
            if len(got) == len(want) and all(self.matches(w, g) for w, g in zip(want, got)):
                return True, ""
            return False, "%s%s: got %s, want %s" % (
                cmd["action"]["field"], [a.get("value") for a in cmd["action"].get("args", [])],
                got, [w.get("value") for w in want])
        if kind == "assert_trap" or kind == "assert_exhaustion":
            want_cls = errors.Exhaustion if kind == "assert_exhaustion" else errors.Trap
            try:
                got = self.act(cmd["action"])
            except want_cls as e:
                # Exhaustion of either stack satisfies assert_exhaustion; traps name a reason.
                if kind == "assert_exhaustion":
                    return True, ""
                return self.same_reason(e, cmd["text"])
            except errors.Trap as e:
                return False, "trapped %r, want %s" % (e.reason, kind)
            return False, "returned %s, want trap %r" % (got, cmd["text"])
        if kind == "assert_malformed" or kind == "assert_invalid":
            if cmd.get("module_type") == "text":
                return None, ""
            want_cls = errors.MalformedError if kind == "assert_malformed" else errors.InvalidError
            try:
                self.load(folder, cmd["filename"])
            except want_cls:
                return True, ""
            except errors.WasmError as e:
                return False, "%s: %s, want %r" % (type(e).__name__, e, cmd["text"])
            return False, "loaded, want %r" % cmd["text"]
        if kind == "assert_unlinkable" or kind == "assert_uninstantiable":
            m = self.load(folder, cmd["filename"])
            want_cls = errors.LinkError if kind == "assert_unlinkable" else errors.Trap
            try:
                wasi_micro.instantiate(m, self.registry, self.config, self.store)
            except want_cls as e:
                return True, ""
            except errors.WasmError as e:
                return False, "%s: %s, want %r" % (type(e).__name__, e, cmd["text"])
            return False, "instantiated, want %r" % cmd["text"]
        return False, "unknown command"

    def same_reason(self, e, text):
        if text.startswith(e.reason):
            return True, ""
        return False, "trap %r, want %r" % (e.reason, text)


def json_files(d):
    """NAME.json files of a suite folder (NAME/NAME.json), or of one test folder."""
    out = []
    for entry in sorted(os.listdir(d)):
        p = d + "/" + entry
        if entry.endswith(".json"):
            out.append(p)
        elif support.exists(p + "/" + entry + ".json"):
            out.append(p + "/" + entry + ".json")
    return out


def main(argv):
    verbose = "-v" in argv
    paged = "--paged" in argv
    tier = "off"
    if "--tier" in argv:
        k = argv.index("--tier")
        tier = argv[k + 1] if k + 1 < len(argv) else ""
        argv = argv[:k] + argv[k + 2:]
    dirs = [a for a in argv if a not in ("-v", "--paged")] or [support.shared("wasm-spec", "core")]
    if tier not in ("off", "auto", "all"):
        print("spec: --tier off, auto or all, not %r" % tier)
        return 2
    config = wasi_micro.Config(call_depth=1000, stack_slots=1 << 14,
                               max_memory=1 << 30 if paged else None, tier=tier)
    r = Runner(verbose, config)
    for d in dirs:
        d = d.rstrip("/")
        if not support.exists(d):
            print("spec: %s not found (set WASI_MICRO_SHARED); nothing run" % d)
            return 0
        for path in json_files(d):
            r.run_file(path)
    label = " ".join(d.rstrip("/").rsplit("/", 1)[-1] for d in dirs) + (" (paged)" if paged else "")
    if tier != "off":
        label += " (tier %s)" % tier
    print("spec %s: %d passed, %d failed, %d not-applicable" % (label, r.passed, r.failed, r.na))
    return 1 if r.failed else 0


def _reexec_with_heap():
    """The unix port's default 2 MB heap cannot hold memory_grow's 800-page memory (52 MB) or
    keep 64 KiB pages unfragmented: rerun this script with a big heap."""
    if sys.implementation.name != "micropython" or gc.mem_free() + gc.mem_alloc() > 100 << 20:
        return None
    args = " ".join("'%s'" % a for a in sys.argv[1:])
    status = os.system("%s -X heapsize=160M %s %s" % (sys.executable, __file__, args))
    return 1 if status else 0


if __name__ == "__main__":
    rc = _reexec_with_heap()
    sys.exit(main(sys.argv[1:]) if rc is None else rc)
