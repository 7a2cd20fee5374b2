# Bytes or a file -> a validated module.Module: decode, then validate.
from .compat import compact, const
from .decode import decode, decode_file
from .validate import validate

_COMPACT_BYTES = const(8192)  # load_file collects after this much allocation (compat.compact)


def load(data, config=None):
    """Decode and validate a binary module (bytes-like); config (a Config) sets the load-time
    limits."""
    m = decode(data, config)
    validate(m)
    return m


def load_file(path, config=None):
    """load() for the module in file `path`, keeping no copy of its bytes (a board's RAM): it
    is decoded a section at a time and validated a function body at a time; bodies are read
    back from the file, CRC-checked, when first lowered, and active data segments when the
    module is instantiated (module.Module.reader, data_reader)."""
    with open(path, "rb") as f:
        n = f.seek(0, 2)
    was = compact(_COMPACT_BYTES)
    try:
        m = decode_file(path, n, config)
        validate(m)
    finally:
        compact(was)
    return m
