# How a command run ends, one mapping for the desktop CLI (__main__.py) and the board runner
# (firmware/wasi_run.py): the exit status, the wire kind and the one line to print.
from . import wire
from .errors import LimitError, Trap, WasmError


class Refused(Exception):
    """The request cannot be run (no such module file, a preopen that is no directory)."""


def check_preopens(dirs):
    """Refused unless every host directory of [(host, guest)] is one."""
    from .compat import stat
    from .wasi_fs import is_dir
    for host, _ in dirs:
        try:
            ok = is_dir(stat(host))
        except OSError:
            ok = False
        if not ok:
            raise Refused("cannot preopen %s: not a directory" % host)


def outcome(end, loading=False, where="host"):
    """-> (exit status, wire kind, message line, "" for a guest exit) for `end`: the guest's
    exit status (an int) or the exception that ended the run. loading: it was raised while
    the module was loaded, where a limit refuses the module (exit 2) instead of trapping
    (134). where: what ran out of memory ("host", "board")."""
    if isinstance(end, int):
        return end & 0xFF, wire.K_EXIT, ""
    if isinstance(end, Trap) and not (loading and isinstance(end, LimitError)):
        return 134, wire.K_TRAP, "error: wasm trap: %s" % end
    if isinstance(end, (WasmError, Refused)):  # malformed, invalid, unlinkable, refused
        return 2, wire.K_ERROR, "error: %s" % end
    if isinstance(end, KeyboardInterrupt):
        return 130, wire.K_INTERRUPTED, "error: interrupted"
    if isinstance(end, MemoryError):
        import gc
        gc.collect()  # the caller has dropped the run: what is free now is what is left
        free = getattr(gc, "mem_free", None)  # MicroPython's
        return 1, wire.K_MEMORY, "error: out of memory on the %s%s" % (
            where, "" if free is None else " (%d bytes free after the run)" % free())
    return 1, wire.K_INTERNAL, "error: internal error: %s: %s" % (type(end).__name__, end)
