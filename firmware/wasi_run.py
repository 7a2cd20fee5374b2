# The board runner: runs a WASI module stored on the board's flash with the board's limits.
#
#   import wasi_run
#   wasi_run.run("hello")                        # /wasm/hello.wasm, output as it prints
#   wasi_run.run("fib", ["20"], {"K": "V"}, ["/data::/"])
#
# Runs with no host attached (mpremote run/exec, main.py autorun); wasi-flash calls it with
# framed=True to get binary-safe output and the exit status through wasi_micro.wire. Every
# outcome is reported in-band and the board stays usable: guest exit, trap, bad module,
# Ctrl-C (KeyboardInterrupt, raised between fuel slices), MemoryError.
import gc
import sys

from wasi_micro import wire
from wasi_micro.compat import compact, const
from wasi_micro.outcome import outcome

CONFIG = "wasi_micro_board.json"  # written by `wasi-flash install` into the board's lib_dir
BOOT = "/wasi_boot.json"  # written by `wasi-flash boot NAME`
SAFE = "/SAFE"  # this file on flash skips autorun
_COMPACT_BYTES = const(16384)  # a run collects after this much allocation (compat.compact)


def board_config():
    """The installed board description ({} if none): the first CONFIG on sys.path."""
    import json
    for d in sys.path:
        if d.startswith("/"):
            try:
                with open(d + "/" + CONFIG) as f:
                    return json.load(f)
            except (OSError, ValueError):
                pass
    return {}


def _preopens(cfg, dirs):
    """[(board dir, guest name)] from "DIR[::GUEST]" strings, or the board's preopen_dir."""
    if dirs is None:
        d = cfg.get("preopen_dir", "/data")
        _mkdir(d)
        return [(d, d)]
    out = []
    for s in dirs:
        i = s.find("::")
        out.append((s, s) if i < 0 else (s[:i], s[i + 2:]))
    return out


def _holds(d, path):
    """Whether directory d may contain path (no symlinks on flash; a relative path or one
    with `..` may hold anything)."""
    if not (d.startswith("/") and path.startswith("/")) or "/.." in d + path:
        return True
    d = d.rstrip("/")
    return d == "" or path.startswith(d + "/")


def _exists(path):
    try:
        open(path, "rb").close()
        return True
    except OSError:
        return False


def _mkdir(path):
    import os
    try:
        os.mkdir(path)
    except OSError:
        pass  # exists (or cannot be made: the preopen then fails with a clear error)


def _env_pairs(env):
    if env is None:
        return []
    if hasattr(env, "items"):
        return list(env.items())
    return [tuple(e.split("=", 1)) if isinstance(e, str) else tuple(e) for e in env]


def _execute(cfg, name, args, env, dirs, max_memory, fuel, out, err, loaded):
    """Load and run; returns the guest's exit status. Exceptions are _run's to map; `loaded`
    gets an item once the module is loaded."""
    from wasi_micro import load, Config
    from wasi_micro.outcome import Refused, check_preopens
    from wasi_micro.wasi import run_command
    from io import BytesIO
    folder = cfg.get("modules_dir", "/wasm")
    path = "%s/%s.wasm" % (folder, name)
    if not _exists(path):
        raise Refused("no module %s on the board (%s)" % (name, path))
    limits = cfg.get("limits", {})
    preopens = _preopens(cfg, dirs)
    check_preopens(preopens)
    # A preopen that holds the module's file lets the guest rewrite it and what lies beside
    # it: then its bytes are read into RAM (not detached: body CRCs would only trap), validated
    # whatever the record says, and run without put --native's code.
    held = any(_holds(d, path) for d, _ in preopens)
    # wasi-flash put --native's functions (wasi_micro/native_board.py names the file), looked
    # for before the collection: without them the run's heap is as it was.
    native = "%s/%s_native.mpy" % (folder, name)
    if held or not _exists(native):
        native = None
    # put's lowered code (wasi_micro/prelowered.py names the file): used when it is this
    # module's, as the record says the module is.
    code = "%s/%s.code" % (folder, name)
    if held or not _exists(code):
        code = None
    gc.collect()
    # Detached, the module's bytes stay on flash (function bodies are read back, CRC-checked,
    # when first run). Checked: a module `wasi-flash put` validated is not validated again
    # while its bytes match the record put left next to it (the validator then never takes
    # heap).
    module = load(path, detach=not held, checked=not held)
    loaded.append(True)
    if code is not None:
        from wasi_micro.prelowered import CodeFile
        found = CodeFile.open(code, module)
        if found is None:  # a runtime or module since: lowered here
            err.write(("wasi_run: %s does not match this module and runtime, not used (put "
                       "%s again)\n" % (code, name)).encode())
        code = found
    gc.collect()
    config = Config(max_memory=limits.get("max_memory") if max_memory is None else max_memory,
                    fuel=fuel, call_depth=limits.get("call_depth"),
                    stack_slots=limits.get("stack_slots"), fuel_slice=limits.get("fuel_slice"),
                    code_cache=limits.get("code_cache"))
    config.prelowered = code
    if native is not None:  # the module checking them is let go after
        import wasi_micro
        from wasi_micro.compat import release
        from wasi_micro.native_board import attach
        attach(config, native, name, path, cfg.get("runtime", {}).get("sha256"))
        release(wasi_micro, ("native_board",))
    return run_command(module, [name] + list(args), _env_pairs(env), preopens,
                       stdin=BytesIO(b""), stdout=out, stderr=err, config=config)


def _run(cfg, name, args, env, dirs, max_memory, fuel, out, err):
    """-> (exit code, wire kind, message line)."""
    loaded = []
    # Lowering functions as they are first called makes garbage among the records a run
    # keeps (memory frames, lowered functions' entries): collecting often keeps those together
    # and the heap's free room in big blocks.
    was = compact(_COMPACT_BYTES)
    try:
        return outcome(_execute(cfg, name, args, env, dirs, max_memory, fuel, out, err, loaded))
    except (Exception, KeyboardInterrupt) as e:
        # _execute's frame, and with it the module and instance, is gone: a MemoryError is
        # reported with the room there is now.
        return outcome(e, not loaded, "board")
    finally:
        compact(was)


class _Plain:
    """Guest output straight to the console (no framing): for people, not for wasi-flash."""

    def __init__(self, write):
        self._write = write

    def write(self, data):
        self._write(bytes(data))
        return len(data)

    def flush(self):
        pass


def run(name, args=(), env=None, dirs=None, max_memory=None, fuel=None, framed=False):
    """Run <modules_dir>/<name>.wasm; returns its exit code (134 trap, 2 bad module or
    request, 130 Ctrl-C, 1 out of memory or internal error: wasi_micro/outcome.py).

    args: guest arguments after the program name; env: dict or ["K=V"]; dirs: ["DIR[::GUEST]"]
    preopens (default: the board's preopen_dir under its own name); max_memory, fuel: override
    the board's limits. framed: output through wasi_micro.wire (for wasi-flash); otherwise the
    guest's bytes go to the console as they are and a failure ends with one "error:" line."""
    cfg = board_config()
    write = getattr(sys.stdout, "buffer", sys.stdout).write
    if framed:
        enc = wire.Encoder(write)
        out, err = wire.Stream(enc, 1), wire.Stream(enc, 2)
    else:
        out = err = _Plain(write)
    code, kind, message = _run(cfg, name, args, env, dirs, max_memory, fuel, out, err)
    gc.collect()
    if framed:
        enc.exit(code, kind, message)
    elif message:
        print(message)
    elif code:
        print("exit status %d" % code)
    return code


def _safe_pin(cfg):
    """True while the board's safe pin (board file "safe_pin": {"pin", "pull", "active"}) is
    at its active level."""
    p = cfg.get("safe_pin")
    if not p:
        return False
    from machine import Pin
    pull = {"up": Pin.PULL_UP, "down": Pin.PULL_DOWN}.get(p.get("pull"))
    return Pin(p["pin"], Pin.IN, pull).value() == p.get("active", 0)


def autorun():
    """main.py's job: run the module `wasi-flash boot NAME` chose, unless in safe mode."""
    import json
    import os
    cfg = board_config()
    try:
        with open(BOOT) as f:
            boot = json.load(f)
    except (OSError, ValueError):
        return None
    try:
        os.stat(SAFE)
        safe = True
    except OSError:
        safe = _safe_pin(cfg)
    if safe:
        print("wasi_run: safe mode, autorun of %s skipped" % boot.get("name"))
        return None
    return run(boot["name"], boot.get("args", ()), boot.get("env"), boot.get("dirs"))
