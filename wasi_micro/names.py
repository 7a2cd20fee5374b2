# Function names from the `name` custom section, for messages. Its own module, imported only
# when a message needs a name: neither the names nor this code stay in a board's RAM otherwise
# (decode is gone by then, and module.py, always loaded, should not carry it).
from .errors import MalformedError
from .reader import Reader


def func_names(data):
    """{function index: name} from a `name` custom section's contents. Lenient: function names
    are a debugging aid, so a broken name section gives what it could read."""
    r = Reader(data)
    out = {}
    try:
        while r.pos < r.end:
            sub = r.u8()
            end = r.u32() + r.pos
            if sub == 1 and end <= r.end:
                r.end = end
                for _ in range(r.u32()):
                    i = r.u32()
                    out[i] = r.name()
                return out
            r.pos = end
    except MalformedError:
        pass
    return {}
