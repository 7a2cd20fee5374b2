# Runtime objects shared between instances: function references, memories, tables, global cells,
# and the reference registry that maps the integer a register holds to the object it stands for.
from .compat import const
from .errors import LimitError
from .memory import Memory  # noqa: F401 - part of the runtime's objects
from .module import slots

_TYPEIDS = {}


class Store:
    """The reference space of linked instances: a register or table holds 0 for null and
    n > 0 for objs[n]. Instances that share tables or functions share a store."""

    def __init__(self):
        self.objs = [None]
        self.ids = {}

    def ref(self, obj):
        h = self.ids.get(id(obj))
        if h is None:
            h = len(self.objs)
            self.objs.append(obj)
            self.ids[id(obj)] = h
        return h

    def deref(self, h):
        return self.objs[h] if h else None


DEFAULT_STORE = Store()


def typeid(functype):
    """Canonical id of a function type: call_indirect compares ids."""
    t = _TYPEIDS.get(functype)
    if t is None:
        t = _TYPEIDS[functype] = len(_TYPEIDS)
    return t


class Func:
    """A function: a wasm function of an instance (inst, index) or a host function (host)."""

    def __init__(self, functype, inst=None, index=-1, host=None):
        self.type = functype
        self.typeid = typeid(functype)
        self.inst = inst
        self.index = index
        self.host = host

    def __call__(self, *args):
        if self.host is not None:
            return self.host(*args)
        return self.inst.call_func(self, list(args))


_CODES = {"i": 0x7F, "I": 0x7E, "f": 0x7D, "F": 0x7C, "r": 0x6F, "R": 0x70}


class HostFunc(Func):
    """A host function. sig: param chars ':' result chars, with i=i32 I=i64 f=f32 F=f64
    r=externref R=funcref. fn gets raw values (i32/i64 unsigned, floats as bit patterns) and
    returns None, one value, or a tuple."""

    def __init__(self, sig, fn):
        p, r = sig.split(":")
        Func.__init__(self, (bytes(_CODES[c] for c in p), bytes(_CODES[c] for c in r)), host=fn)


class Extern:
    """A host reference (externref) standing for a host value."""

    def __init__(self, value):
        self.value = value


class GlobalCell:
    """A global shared across instances (imported, or exported and mutable). value is raw."""

    def __init__(self, valtype, mut, value=0):
        self.valtype = valtype
        self.mut = mut
        self.value = value


class Table:
    """A table of reference handles (0 = null)."""

    def __init__(self, reftype, limits, init=0, limit=None):
        self.reftype = reftype
        self.max = limits.max
        self.limit = limit
        if limit is not None and limits.min > limit:
            raise LimitError("table size limit exceeded")
        self.elems = [init] * limits.min

    def grow(self, delta, init):
        old = len(self.elems)
        new = old + delta
        cap = self.max if self.max is not None else 0xFFFFFFFF
        if new > cap or (self.limit is not None and new > self.limit):
            return -1
        try:
            self.elems.extend([init] * delta)
        except MemoryError:
            return -1
        return old


def read_value(regs, s, t):
    """The raw value of type t at absolute register slot s."""
    if slots(t) == 2:
        return regs[s] | regs[s + 1] << 32
    return regs[s]


def write_value(regs, s, t, v):
    if slots(t) == 2:
        regs[s] = v & 0xFFFFFFFF
        regs[s + 1] = (v >> 32) & 0xFFFFFFFF
    else:
        regs[s] = v & 0xFFFFFFFF
