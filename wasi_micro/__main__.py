# Command line: run a WASI command like `wasmtime run`.
#   python -m wasi_micro run [--dir HOST[::GUEST]]... [--env NAME[=VALUE]]... [LIMITS]
#                            PROG.wasm [ARGS...]
#   python -m wasi_micro PROG.wasm [ARGS...]
# LIMITS (Config fields; going past one is a trap, exit 134, or a load error, exit 2):
#   --max-memory BYTES --fuel N --deadline SECONDS --call-depth N --stack-slots N
#   --max-table N --max-module BYTES --max-functions N --max-locals N --max-all-locals N
#   --max-segment BYTES
# Exit status: the guest's; 134 after a trap; 2 for a bad module, file or option; 1 for an
# unexpected host failure. Every error is one line on stderr, never a traceback.
import os
import sys

_USAGE = ("usage: wasi_micro run [--dir HOST[::GUEST]]... [--env NAME[=VALUE]]... "
          "[--max-memory BYTES] [--fuel N] [--deadline SECONDS] [--call-depth N] "
          "[--stack-slots N] [--max-table N] [--max-module BYTES] [--max-functions N] "
          "[--max-locals N] [--max-all-locals N] [--max-segment BYTES] PROG.wasm [ARGS...]")

# Limit options -> (Config keyword, smallest value).
_LIMITS = {
    "--max-memory": ("max_memory", 0), "--fuel": ("fuel", 0), "--deadline": ("deadline", 0),
    "--call-depth": ("call_depth", 1), "--stack-slots": ("stack_slots", 1),
    "--max-table": ("max_table", 0), "--max-module": ("max_module", 0),
    "--max-functions": ("max_functions", 0), "--max-locals": ("max_locals", 0),
    "--max-all-locals": ("max_all_locals", 0), "--max-segment": ("max_segment", 0),
}


class _Usage(Exception):
    pass


def _split(s, sep):
    """(before, after) around the first `sep`, or (s, None)."""
    i = s.find(sep)
    return (s, None) if i < 0 else (s[:i], s[i + len(sep):])


def _number(opt, text, least):
    try:
        n = float(text) if opt == "--deadline" else int(text)
    except ValueError:
        n = -1
    if n < least or (opt == "--deadline" and not n > 0):
        raise _Usage("invalid value for %s: %r" % (opt, text))
    return n


def parse(argv):
    """-> (prog, guest args, env pairs, preopens, limits {Config keyword: value}). Raises
    _Usage."""
    if argv and argv[0] == "run":
        argv = argv[1:]
    env = []
    dirs = []
    limits = {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if not a.startswith("-") or a == "-":
            break
        if a in ("-h", "--help"):
            raise _Usage(None)
        name, value = _split(a, "=")
        if name not in _LIMITS and name != "--dir" and name != "--env":
            raise _Usage("unknown option %s" % a)
        if value is None:
            i += 1
            if i >= len(argv):
                raise _Usage("option %s needs a value" % name)
            value = argv[i]
        i += 1
        if name == "--dir":
            host, guest = _split(value, "::")
            dirs.append((host, host if guest is None else guest))
        elif name == "--env":
            k, v = _split(value, "=")
            if v is None:  # NAME alone passes the host's value, as wasmtime does
                v = os.getenv(k)
                if v is None:
                    continue
            env.append((k, v))
        else:
            key, least = _LIMITS[name]
            limits[key] = _number(name, value, least)
    if i >= len(argv):
        raise _Usage("no program given")
    return argv[i], argv[i:], env, dirs, limits


def _err(msg):
    sys.stderr.write("error: %s\n" % msg)
    return 2


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    try:
        prog, args, env, dirs, limits = parse(argv)
    except _Usage as e:
        if e.args[0] is None:
            print(_USAGE)
            return 0
        sys.stderr.write("error: %s\n%s\n" % (e.args[0], _USAGE))
        return 2
    from . import Config, compat, load
    from .errors import Trap, WasmError
    from .wasi import run_command
    from .wasi_fs import is_dir
    for host, guest in dirs:
        try:
            ok = is_dir(compat.stat(host))
        except OSError:
            ok = False
        if not ok:
            return _err("cannot preopen %s: not a directory" % host)
    try:
        with open(prog, "rb") as f:
            data = f.read()
    except OSError as e:
        return _err("cannot read %s: %s" % (prog, e))
    config = Config(**limits) if limits else None
    try:
        module = load(data, config)
    except WasmError as e:  # malformed, invalid, or past a load-time limit (not a trap)
        return _err(e)
    except MemoryError:
        sys.stderr.write("error: out of host memory\n")
        return 1
    data = None
    try:
        return run_command(module, args, env, dirs, config=config) & 0xFF
    except Trap as e:
        sys.stdout.flush()
        msg = e.reason if e.func is None else "%s in %s" % (e.reason, e.func)
        sys.stderr.write("error: wasm trap: %s\n" % msg)
        return 134
    except WasmError as e:
        return _err(e)
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        return 130
    except MemoryError:
        sys.stderr.write("error: out of host memory\n")
        return 1
    except Exception as e:
        sys.stderr.write("error: internal error: %s: %s\n" % (type(e).__name__, e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
