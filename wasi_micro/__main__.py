# Command line: run a WASI command like `wasmtime run` (`--help` says how).
# Every error is one line on stderr and an exit status (outcome.py), never a traceback.
import os
import sys

from .outcome import Refused, check_preopens, outcome

_USAGE = ("usage: wasi_micro run [--dir HOST[::GUEST]]... [--env NAME[=VALUE]]... [LIMITS] "
          "[--tier T] PROG.wasm [ARGS...]")

_HELP = _USAGE + """

Runs the WASI command PROG.wasm with ARGS. `run` may be left out; `--` ends the options.

  --dir HOST[::GUEST]   give the guest the host directory HOST, named GUEST (default HOST)
  --env NAME=VALUE      set a guest environment variable (NAME alone: the host's value);
                        the guest sees only what --env gives

limits (going past a run-time one traps, past a load-time one refuses the module):
  --max-memory BYTES    RAM for linear memory (may be below one page; makes memory paged)
  --fuel N              branches + calls before "all fuel consumed"
  --deadline SECONDS    wall-clock time per call before "deadline exceeded"
  --call-depth N        wasm call depth before "call stack exhausted"
  --stack-slots N       register-file words before "value stack exhausted"
  --max-table N         elements per table
  --code-cache BYTES    lowered code kept at once (functions not running are evicted and
                        lowered again when next called)
  --max-module BYTES    bytes of the binary (load time)
  --max-functions N     functions, imported + defined (load time)
  --max-locals N        declared locals per function (load time)
  --max-all-locals N    declared locals in the whole module (load time)
  --max-segment BYTES   bytes of a data segment, entries of an element one (load time)

  --tier off|auto|all   the native tier: run functions as host code instead of in the
                        interpreter's loop, none (default), the hot ones, or every one it can
                        translate (the first calls pay for the translation)
  -h, --help            show this help

exit status: the guest's exit code; 134 after a wasm trap (a run-time limit too); 2 for a
malformed, invalid or unlinkable module, a load-time limit, a bad file, directory or option;
130 after Ctrl-C; 1 when the host runs out of memory or fails unexpectedly."""

# Limit options -> (Config keyword, smallest value).
_LIMITS = {
    "--max-memory": ("max_memory", 0), "--fuel": ("fuel", 0), "--deadline": ("deadline", 0),
    "--call-depth": ("call_depth", 1), "--stack-slots": ("stack_slots", 1),
    "--max-table": ("max_table", 0), "--code-cache": ("code_cache", 64),
    "--max-module": ("max_module", 0), "--max-functions": ("max_functions", 0),
    "--max-locals": ("max_locals", 0), "--max-all-locals": ("max_all_locals", 0),
    "--max-segment": ("max_segment", 0),
}

# Options that name one of a few values -> (Config keyword, the values).
_CHOICES = {"--tier": ("tier", ("off", "auto", "all"))}


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
        if name not in _LIMITS and name not in _CHOICES and name != "--dir" and name != "--env":
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
        elif name in _CHOICES:
            key, values = _CHOICES[name]
            if value not in values:
                raise _Usage("invalid value for %s: %r (one of %s)" % (name, value,
                                                                       ", ".join(values)))
            limits[key] = value
        else:
            key, least = _LIMITS[name]
            limits[key] = _number(name, value, least)
    if i >= len(argv):
        raise _Usage("no program given")
    return argv[i], argv[i:], env, dirs, limits


def _execute(prog, args, env, dirs, limits, loaded):
    """Load and run; returns the guest's exit status. Exceptions are main's to map; `loaded`
    gets an item once the module is loaded."""
    from . import Config, load
    from .wasi import run_command
    check_preopens(dirs)
    try:
        with open(prog, "rb") as f:
            data = f.read()
    except OSError as e:
        raise Refused("cannot read %s: %s" % (prog, e))
    config = Config(**limits) if limits else None
    module = load(data, config)
    data = None
    loaded.append(True)
    return run_command(module, args, env, dirs, config=config)


def _flush_stdout():
    """A reader that went away (`| head`) is no error, as for a shell tool: stdout is closed
    then, so what could not be written is dropped, not complained about at exit."""
    try:
        sys.stdout.flush()
    except OSError:
        try:
            sys.stdout.close()
        except OSError:
            pass


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    try:
        prog, args, env, dirs, limits = parse(argv)
    except _Usage as e:
        if e.args[0] is not None:
            sys.stderr.write("error: %s\n%s\n" % (e.args[0], _USAGE))
            return 2
        try:
            sys.stdout.write(_HELP + "\n")
        except OSError:
            pass  # the reader went away: see _flush_stdout
        _flush_stdout()
        return 0
    loaded = []
    try:
        status, _, message = outcome(_execute(prog, args, env, dirs, limits, loaded))
    except (Exception, KeyboardInterrupt) as e:
        status, _, message = outcome(e, not loaded)
    _flush_stdout()  # what the guest wrote comes before the message
    if message:
        sys.stderr.write(message + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
