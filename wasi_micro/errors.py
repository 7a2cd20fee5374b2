# The runtime's exceptions. Messages use the spec test suite's wording.


class WasmError(Exception):
    pass


class MalformedError(WasmError):
    """The bytes are not a well-formed binary module (decode.py, reader.py)."""

    def __init__(self, msg, offset=-1):
        self.msg = msg
        self.offset = offset
        super().__init__(msg if offset < 0 else "%s at offset %d" % (msg, offset))


class InvalidError(WasmError):
    """The module decodes but does not validate (validate.py)."""

    def __init__(self, msg, offset=-1):
        self.msg = msg
        self.offset = offset
        super().__init__(msg if offset < 0 else "%s at offset %d" % (msg, offset))


class LinkError(WasmError):
    """Instantiation could not resolve an import (unknown import, incompatible import type)."""


class Trap(WasmError):
    """Execution stopped by a trap. `reason` is the spec's wording, `func` the wasm function."""

    def __init__(self, reason, func=None):
        self.reason = reason
        self.func = func
        super().__init__(reason if func is None else "%s in %s" % (reason, func))


class Exhaustion(Trap):
    """Call stack or value stack exhausted (the spec's assert_exhaustion)."""


class LimitError(Trap):
    """A configured limit was hit: fuel, deadline, memory, table or module size."""


class Exit(Exception):
    """A WASI proc_exit: unwinds the guest, carries its exit status."""

    def __init__(self, status):
        self.status = status
        super().__init__("exit %d" % status)


# Trap reasons, one string each so every raise says the same thing.
UNREACHABLE = "unreachable"
DIV_ZERO = "integer divide by zero"
INT_OVERFLOW = "integer overflow"
BAD_CONVERSION = "invalid conversion to integer"
OOB_MEMORY = "out of bounds memory access"
OOB_TABLE = "out of bounds table access"
UNDEF_ELEMENT = "undefined element"
UNINIT_ELEMENT = "uninitialized element"
INDIRECT_MISMATCH = "indirect call type mismatch"
CALL_EXHAUSTED = "call stack exhausted"
STACK_EXHAUSTED = "value stack exhausted"
OUT_OF_FUEL = "all fuel consumed"
DEADLINE = "deadline exceeded"
OUT_OF_MEMORY = "out of memory"
MODULE_CHANGED = "module file changed since it was loaded"
