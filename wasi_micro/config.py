# Limits and options of a run. None means the default; the defaults suit a desktop, boards/
# gives each board its own.
from .compat import const

_CALL_DEPTH = const(4000)
_STACK_SLOTS = const(65536)


class Config:
    def __init__(self, max_memory=None, fuel=None, deadline=None, call_depth=None,
                 stack_slots=None, max_table=None, count=False):
        # Bytes of linear memory; may be below one page. Set, it makes memory paged: RAM is
        # taken in 1 KiB frames as pages are first written (memory.py).
        self.max_memory = max_memory
        self.fuel = fuel  # total branches + calls before a LimitError
        self.deadline = deadline  # seconds of wall-clock time per call
        self.call_depth = call_depth or _CALL_DEPTH
        self.stack_slots = stack_slots or _STACK_SLOTS  # register-file words (4 bytes each)
        self.max_table = max_table  # elements per table
        self.count = count  # count executed wasm instructions (Instance.executed)


DEFAULT = Config()
