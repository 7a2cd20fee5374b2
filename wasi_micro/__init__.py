"""wasi_micro: a WebAssembly 2.0 + WASI preview1 runtime in MicroPython-compatible Python.

    import wasi_micro
    m = wasi_micro.load(open("prog.wasm", "rb").read())    # decode + validate
    inst = wasi_micro.instantiate(m, {"env": {"f": wasi_micro.HostFunc("i:i", fn)}})
    inst.invoke("add", [2, 3])                               # raw values in and out

Raw values: i32/i64 as unsigned ints, f32/f64 as their bit patterns, references as handles.
"""
from .config import Config  # noqa: F401
from .errors import Exit, Exhaustion, InvalidError, LimitError, LinkError, MalformedError, \
    Trap, WasmError  # noqa: F401
from .runtime import Extern, Func, GlobalCell, HostFunc, Memory, Store, Table  # noqa: F401


def load(data, config=None, detach=False, checked=False):
    """Decode and validate a module from bytes (or a file path); config (a Config) sets the
    load-time limits. detach (with a path): keep no copy of the bytes (a board's RAM): the file
    is read a section and a function body at a time, and bodies are read back from it when they
    are first run (loader.load_file). checked (with a path): a file its record (NAME.valid next
    to NAME.wasm, which `wasi-flash put` writes once it has validated the module on the host)
    says was validated, by its size and CRC-32, is not validated again; any other is."""
    import sys
    from .compat import release
    from . import loader
    try:
        if not isinstance(data, str):
            return loader.load(data, config)
        valid = loader.recorded(data) if checked else None
        if detach:
            return loader.load_file(data, config, valid)
        with open(data, "rb") as f:
            data = f.read()
        return loader.load(data, config, valid)
    finally:
        release(sys.modules[__name__], ("loader", "validate", "decode"))


def instantiate(module, imports=None, config=None, store=None, run_start=True):
    """Link `module` against imports {module: {name: extern}} and run its initialisers (the
    start function last: with run_start=False the host calls inst.start() itself). Instances
    that pass references to each other must share a Store (default: one global)."""
    from .instance import Instance
    return Instance(module, imports, config, store, run_start)
