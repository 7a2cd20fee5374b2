# Bytes or a file -> a validated module.Module: decode, then validate. A module file whose
# record (NAME.valid next to NAME.wasm: its size and CRC-32, written by `wasi-flash put` once it
# validated the bytes on the host) still matches is not validated again: on a board with the
# runtime as .mpy files, the validator is then never loaded into the heap.
from .compat import compact, const, crc32
from .decode import decode, decode_file
from .reader import file_crc

_COMPACT_BYTES = const(8192)  # load_file collects after this much allocation (compat.compact)
_RECORD = const(".valid")  # the record's file: the module's path with this instead of ".wasm"


def record(data):
    """The record of a module's bytes validated here (`wasi-flash put` writes it)."""
    return ("%d %08x\n" % (len(data), crc32(data))).encode()


def record_path(path):
    return (path[:-5] if path.endswith(".wasm") else path) + _RECORD


def recorded(path):
    """(size, CRC-32) from the record next to module file `path`, or None (none, or not one)."""
    try:
        with open(record_path(path)) as f:
            parts = f.read(64).split()
        return int(parts[0]), int(parts[1], 16)
    except (OSError, ValueError, IndexError):
        return None


def _validate(m):
    from .validate import validate
    validate(m)


def load(data, config=None, valid=None):
    """Decode and validate a binary module (bytes-like); config (a Config) sets the load-time
    limits. valid: the (size, CRC-32) of bytes validated before (recorded()): bytes that match
    it are not validated again."""
    m = decode(data, config)
    if not _matches(valid, len(data), crc32, data):
        _validate(m)
    return m


def load_file(path, config=None, valid=None):
    """load() for the module in file `path`, keeping no copy of its bytes (a board's RAM): it
    is decoded a section at a time and validated a function body at a time; bodies are read
    back from the file, CRC-checked, when first lowered, and active data segments when the
    module is instantiated (module.Module.reader, data_reader). valid: as for load(); a file
    that matches it only has its bodies' CRC-32s taken."""
    with open(path, "rb") as f:
        n = f.seek(0, 2)
    was = compact(_COMPACT_BYTES)
    try:
        m = decode_file(path, n, config)
        if not _matches(valid, n, file_crc, path):
            _validate(m)
        else:
            _body_crcs(m)
            m.record = valid
    finally:
        compact(was)
    return m


def _matches(valid, n, crc, of):
    """Whether a record (size, CRC-32) or None is that of n bytes whose CRC-32 is crc(of),
    taken only when the sizes agree."""
    return valid is not None and valid[0] == n and valid[1] == crc(of)


def _body_crcs(m):
    """What validation leaves besides its verdict: each body's CRC-32 (module.Bodies), which
    reading it back checks."""
    from .module import Bodies
    bodies = Bodies(m)
    try:
        for i in range(len(m.codes)):
            bodies.get(i)
    finally:
        bodies.close()
