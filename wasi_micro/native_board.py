# The board's side of `wasi-flash put --native` (host_tools/native_put.py): next to
# <modules_dir>/NAME.wasm, NAME_native.mpy holds viper functions the host translated from it
# (native_viper.py, for the board's word size) and mpy-cross compiled for the board's arch.
# A run imports it and runs those functions instead of lowering them (native.py, tier
# "board"). It is refused, in one line, when it was built for another arch or .mpy version,
# for another installed runtime, or from other bytes than the .wasm now on flash.
import sys

from .compat import const
from .outcome import Refused
from .reader import file_crc

SUFFIX = "_native"  # NAME_native.mpy (firmware/wasi_run.py looks for it)
_MPY = const(".mpy")
# sys.implementation._mpy >> 10 -> mpy-cross -march name (py/persistentcode.h); 0: no native
# emitter. wasi-flash names a board's arch with these too (host_tools/boards.py).
ARCHES = ("none", "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp",
          "armv7emdp", "xtensa", "xtensawin", "rv32imc", "rv64imc")
_MPY_MAGIC = const(0x4D)  # "M": a .mpy file's first byte


def arch_name(n):
    """The mpy-cross -march name of arch number n (sys.implementation._mpy >> 10)."""
    return ARCHES[n] if n < len(ARCHES) else "unknown (%d)" % n


def native_path(folder, name):
    """Where put --native leaves module name's native code."""
    return "%s/%s%s%s" % (folder, name, SUFFIX, _MPY)


def attach(config, path, name, wasm, runtime):
    """Make config (a Config) run the native functions in `path` (FOLDER/NAME_native.mpy) of
    module `name` (its file `wasm`). runtime: the installed runtime's digest from the board
    file (None if unknown). Refused for a file that does not fit."""
    folder, mod = path.rsplit("/", 1)
    mod = mod[:-len(_MPY)]
    with open(path, "rb") as f:
        head = f.read(3)
    mine = sys.implementation._mpy
    redo = ": put %s again with --native" % name
    if len(head) < 3 or head[0] != _MPY_MAGIC:
        raise Refused("%s is not a .mpy file%s" % (path, redo))
    # The arch and its sub-version must match only where the file holds machine code.
    if head[1] != mine & 0xFF or head[2] >> 2 and (head[2] >> 2 != mine >> 10 or
                                                   head[2] & 3 != mine >> 8 & 3):
        raise Refused("the native code of %s is for %s (.mpy v%d.%d), this board runs %s "
                      "(.mpy v%d.%d)%s" % (name, arch_name(head[2] >> 2), head[1], head[2] & 3,
                                           arch_name(mine >> 10), mine & 0xFF, mine >> 8 & 3, redo))
    sys.path.insert(0, folder)
    try:
        native = __import__(mod)
    finally:
        sys.path.pop(0)
        sys.modules.pop(mod, None)  # held by the run alone: its RAM goes with it
    if native.RUNTIME != runtime:
        raise Refused("the native code of %s was built for runtime %s, the board has %s%s" % (
            name, native.RUNTIME, runtime or "an unrecorded one", redo))
    if native.CRC != file_crc(wasm):
        raise Refused("%s changed since its native code was built (CRC-32 differs)%s" % (
            wasm, redo))
    config.tier = "board"
    config.native = native
