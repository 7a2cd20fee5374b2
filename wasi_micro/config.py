# Limits and options of a run. None means the default; the defaults suit a desktop, boards/
# gives each board its own. Going past a limit raises LimitError (a Trap) naming it, except
# call and value stack exhaustion, which raise Exhaustion as the spec says.
from .compat import CALL_DEPTH, STACK_SLOTS, const

_FUEL_SLICE = const(20000)
_MAX_TABLE = const(1 << 20)
_MAX_LOCALS = const(50000)
_MAX_ALL_LOCALS = const(1 << 20)


class Config:
    # The native tier (native.py): "off"; "all": every function it can translate runs as host
    # code; "auto": those where the loop's fuel slices keep ending (hot in branches and calls).
    # Counting mode stays in the loop; "auto" needs no code cache. "board": the functions
    # `wasi-flash put --native` translated on the host, the module `native` imported from
    # their .mpy (native_board.py), and no others. Class defaults: a board's Config holds no
    # more than before.
    tier = "off"
    native = None
    # The module's NAME.code as prelowered.CodeFile.open(path, module) found it its own: its
    # functions' register code, lowered by `wasi-flash put`, read from there instead of
    # lowering them (firmware/wasi_run.py).
    prelowered = None

    def __init__(self, max_memory=None, fuel=None, deadline=None, call_depth=None,
                 stack_slots=None, max_table=None, count=False, max_module=None,
                 max_functions=None, max_locals=None, max_segment=None, max_all_locals=None,
                 fuel_slice=None, code_cache=None, tier="off"):
        # Bytes of linear memory; may be below one page. Set, it makes memory paged: RAM is
        # taken in 1 KiB frames as pages are first written (memory.py).
        self.max_memory = max_memory
        self.fuel = fuel  # total branches + calls before a LimitError
        # Branches + calls between the loop's returns to bytecode, where Ctrl-C (a pending
        # KeyboardInterrupt), the deadline and the fuel are checked: a board's responsiveness.
        self.fuel_slice = fuel_slice or _FUEL_SLICE
        self.deadline = deadline  # seconds of wall-clock time per call
        self.call_depth = call_depth or CALL_DEPTH
        self.stack_slots = stack_slots or STACK_SLOTS  # register-file words (4 bytes each)
        # Elements per table: a 5-byte table type may ask for 2**32 - 1 of them.
        self.max_table = max_table or _MAX_TABLE
        # Bytes of lowered code kept at once (None: no bound): past it, the functions that are
        # not running are evicted and lowered again from the module when next called.
        self.code_cache = code_cache
        self.count = count  # count executed wasm instructions (Instance.executed)
        if tier != "off":
            self.tier = tier
        # Load-time limits (decode.py): bytes of the binary, functions (imported + defined),
        # declared locals per function and in all functions (each costs a byte from load on:
        # without the second, a few bytes per function would still ask for gigabytes), bytes
        # of a data segment or entries of an element one.
        self.max_module = max_module
        self.max_functions = max_functions
        self.max_locals = max_locals or _MAX_LOCALS
        self.max_all_locals = max_all_locals or _MAX_ALL_LOCALS
        self.max_segment = max_segment


DEFAULT = Config()
