# Runs one bench program on wasi_micro inside the interpreter being measured (CPython or the
# MicroPython unix port), so it must stay MicroPython-compatible. Started by host_tools/bench.py:
#
#   bench_driver.py time|tier|count WASM [ARGS...]
#   bench_driver.py grow WASM PAGES | rss WASM
#
# The guest's stdout is kept in memory while it runs and written to our stdout afterwards; one
# line `BENCHTIME {json}` goes to stderr with: import_s (import wasi_micro), startup_s (read +
# decode + validate + instantiate: everything before _start; lowering is lazy, so it happens
# inside _start), run_s (_start until it returns or proc_exit unwinds it), exit, file (where
# wasi_micro was imported from). `time` then lowers every function of a fresh instance eagerly:
# lower_s and code_bytes. `tier` is `time` with the native tier on (Config.tier "all"), without
# the lowering. `count` runs in counting mode instead: executed (wasm instructions).
# The memory entries (bench.py's memory_modules) instantiate without WASI: `grow` times the
# module's export grow(PAGES), which grows its memory one page at a time and returns the size in
# pages (run_s); `rss` instantiates a module declaring a 4 GiB memory, writes and reads its last
# byte through probe(), and adds the process's peak RSS before and after (maxrss_mb_loaded,
# maxrss_mb; CPython: MicroPython has no resource module). A wrong answer exits 1.
import gc
import io
import json
import sys
import time

try:
    _ticks = time.ticks_us
    _diff = time.ticks_diff  # ticks_us wraps on MicroPython
except AttributeError:
    def _ticks():
        return time.perf_counter_ns() // 1000

    def _diff(a, b):
        return a - b


def _secs(t1, t0):
    return _diff(t1, t0) / 1000000


def _instance(wasi_micro, wasi, data, argv, out, config):
    m = wasi_micro.load(data)
    w = wasi.Wasi(argv, [], [], None, out, None)
    inst = wasi_micro.instantiate(m, w.imports(), config)
    w.bind(inst)
    return m, inst


def _maxrss_mb():
    try:
        import resource
    except ImportError:
        return None
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1048576  # macOS counts bytes


def memory_entry(mode, path, arg):
    t0 = _ticks()
    import wasi_micro
    from wasi_micro import compat, instance, validate  # noqa: F401
    ticks = compat.ticks_us
    t1 = ticks()
    with open(path, "rb") as f:
        data = f.read()
    loaded = _maxrss_mb()
    inst = wasi_micro.instantiate(wasi_micro.load(data), None, None)
    t2 = ticks()
    if mode == "grow":
        got, want = inst.invoke("grow", [int(arg)]), [int(arg)]
    else:
        got, want = inst.invoke("probe", []), [7]
    t3 = ticks()
    if got != want:
        sys.stderr.write("wrong answer: %r, want %r\n" % (got, want))
        return 1
    info = {"import_s": _secs(t1, t0), "startup_s": _secs(t2, t1), "run_s": _secs(t3, t2),
            "exit": 0, "file": wasi_micro.__file__}
    if mode == "rss":
        info["maxrss_mb_loaded"] = loaded
        info["maxrss_mb"] = _maxrss_mb()
    sys.stderr.write("BENCHTIME " + json.dumps(info) + "\n")
    return 0


def main(argv):
    mode = argv[1]
    if mode in ("grow", "rss"):
        return memory_entry(mode, argv[2], argv[3] if mode == "grow" else None)
    path = argv[2]
    t0 = _ticks()
    import wasi_micro
    # Every module loads here, so that startup is the work and not compiling our source.
    from wasi_micro import compat, instance, validate, wasi  # noqa: F401
    from wasi_micro.errors import Exit
    ticks = compat.ticks_us  # the same clock as _ticks on either interpreter
    t1 = ticks()
    with open(path, "rb") as f:
        data = f.read()
    out = io.BytesIO()
    config = None
    if mode == "count":
        config = wasi_micro.Config(count=True)
    elif mode == "tier":
        config = wasi_micro.Config(tier="all")
    m, inst = _instance(wasi_micro, wasi, data, argv[2:], out, config)
    t2 = ticks()
    status = 0
    try:
        inst.invoke("_start", [])
    except Exit as e:
        status = e.status
    t3 = ticks()
    info = {"import_s": _secs(t1, t0), "startup_s": _secs(t2, t1), "run_s": _secs(t3, t2),
            "exit": status, "file": wasi_micro.__file__}
    if mode == "count":
        info["executed"] = inst.executed
    elif mode == "time":
        out2 = io.BytesIO()
        m, inst = _instance(wasi_micro, wasi, data, argv[2:], out2, None)
        del out2
        gc.collect()
        first = m.func_imports
        t4 = ticks()
        for fidx in range(first, first + len(m.funcs)):
            inst._entry(fidx)
        t5 = ticks()
        info["lower_s"] = _secs(t5, t4)
        info["code_bytes"] = sum([c.end - c.start for c in m.codes])
    sys.stdout.buffer.write(out.getvalue())
    sys.stderr.write("BENCHTIME " + json.dumps(info) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
