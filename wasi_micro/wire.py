# The in-band framing of a guest run on the serial line, used by the board runner
# (firmware/wasi_run.py) to send the guest's stdout/stderr and its final status, and by
# wasi-flash to decode them. The raw REPL ends output at 0x04, 0x03 from the host is Ctrl-C,
# and a sys.exit code never reaches the host, so everything travels inside one byte stream:
#
#   data      every byte as is, except 0x03 0x04 0x0D 0x10 which go as ESC, byte ^ 0x40
#   ESC '1'   what follows is the guest's stdout (the stream at the start)
#   ESC '2'   what follows is the guest's stderr
#   ESC 'X' CODE ' ' KIND [' ' MESSAGE] '\n'
#             the exit record, last: CODE is the exit status in decimal, KIND one of the
#             K_* words, MESSAGE (escaped like data, no newline) the one line to show
#
# A bare 0x0D is dropped by the decoder: some ports send '\n' as "\r\n"; a CR the guest wrote
# travels escaped.
from .compat import const

_ESC = const(0x10)
_NL = const(0x0A)
_SPECIAL = (b"\x03", b"\x04", b"\x0d")

K_EXIT = "exit"  # the guest returned or called proc_exit
K_TRAP = "trap"  # a wasm trap or a configured limit (fuel, memory) stopped it
K_ERROR = "error"  # the module or the request was bad: malformed, invalid, unlinkable, missing
K_INTERRUPTED = "interrupted"  # Ctrl-C from the host
K_MEMORY = "memory"  # the board ran out of heap
K_INTERNAL = "internal"  # an unexpected failure in the runtime


def escape(data):
    """`data` (bytes) with the four special bytes escaped."""
    if b"\x10" in data:
        data = data.replace(b"\x10", b"\x10P")  # first: the escapes below add ESC bytes
    for b in _SPECIAL:
        if b in data:
            data = data.replace(b, bytes((_ESC, b[0] ^ 0x40)))
    return data


class Encoder:
    """Board side: frames output onto `write` (e.g. sys.stdout.buffer.write)."""

    def __init__(self, write):
        self._write = write
        self._stream = 1

    def data(self, stream, data):
        data = escape(bytes(data))
        if stream != self._stream:
            # One write call per record, so an interrupt cannot split one.
            data = bytes((_ESC, 0x30 + stream)) + data
            self._stream = stream
        if data:
            self._write(data)

    def exit(self, code, kind, message=""):
        line = "%d %s" % (code, kind)
        if message:
            line += " " + message.replace("\n", " ")
        self._write(b"\x10X" + escape(line.encode()) + b"\n")


class Stream:
    """A binary file-like for run_command that sends what is written as stream 1 or 2."""

    def __init__(self, encoder, stream):
        self._enc = encoder
        self._stream = stream

    def write(self, data):
        self._enc.data(self._stream, data)
        return len(data)

    def flush(self):
        pass


class Decoder:
    """Host side: feed() the bytes as they arrive; out(stream, data) gets the guest output
    of each feed, one call per stream change. After the exit record `status` is
    (code, kind, message); anything after it is ignored."""

    def __init__(self, out):
        self._out = out
        self._stream = 1
        self._esc = False
        self._record = None  # bytearray while inside the exit record
        self.status = None

    def feed(self, data):
        pending = bytearray()
        i = 0
        n = len(data)
        while i < n and self.status is None:
            dest = pending if self._record is None else self._record
            c = data[i]
            if self._esc:
                self._esc = False
                if c in (0x43, 0x44, 0x4D, 0x50):
                    dest.append(c ^ 0x40)
                elif self._record is None and (c == 0x31 or c == 0x32 or c == 0x58):
                    self._emit(pending)
                    pending = bytearray()
                    if c == 0x58:
                        self._record = bytearray()
                    else:
                        self._stream = c - 0x30
                else:
                    raise ValueError("bad escape 0x%02x in framed output" % c)
                i += 1
                continue
            # Plain bytes up to the next ESC, CR or (in the record) NL, at once.
            j = n
            for b in (b"\x10", b"\r", b"\n" if self._record is not None else b"\x10"):
                k = data.find(b, i, j)
                if k >= 0:
                    j = k
            dest.extend(data[i:j])
            if j < n:
                c = data[j]
                if c == _ESC:
                    self._esc = True
                elif c == _NL:
                    self._end_record()
            i = j + 1
        self._emit(pending)

    def _emit(self, data):
        if data:
            self._out(self._stream, bytes(data))

    def _end_record(self):
        rec = bytes(self._record)
        parts = rec.decode().split(" ", 2)
        try:
            code = int(parts[0])
        except ValueError:
            code = -1
        if code < 0 or len(parts) < 2:
            raise ValueError("bad exit record %r" % rec)
        self.status = (code, parts[1], parts[2] if len(parts) > 2 else "")
