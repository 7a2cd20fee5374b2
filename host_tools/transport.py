"""wasi-flash transport: bytes on the serial line and MicroPython's raw REPL.

Wraps mpremote's SerialTransport (pinned: its API "is going to change significantly"): it opens
the port (with its ESP32 DTR/RTS care) and sends code (raw-paste mode with flow control, or
the plain raw REPL). On top of it this adds what wasi-flash needs: a bounded wait everywhere,
output streamed to a consumer as it arrives, a poll hook to interrupt a running program, and
one exception type for a board that cannot be reached or drops off. Knows nothing of wasm.
"""
import ast
import time

import serial
from mpremote.transport import TransportError as _MpError
from mpremote.transport_serial import SerialTransport

_RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
_POLL_S = 0.005  # sleep between polls of the port while waiting for output


class TransportError(Exception):
    """The board cannot be reached: no such port, no REPL answering, or it dropped off."""


class ExecError(TransportError):
    """Code sent to the board raised; `stderr` is the traceback text it printed."""

    def __init__(self, stderr):
        self.stderr = stderr
        lines = [x for x in stderr.splitlines() if x.strip()]
        super().__init__(lines[-1] if lines else "error on the board")


class _Serial(SerialTransport):
    """mpremote's transport, reading first what our own bulk reads left over (the prompt)."""

    def __init__(self, *args, **kw):
        SerialTransport.__init__(self, *args, **kw)
        self.pending = b""

    def read_until(self, min_num_bytes, ending, timeout=10, data_consumer=None,
                   timeout_overall=None):
        data, self.pending = self.pending, b""
        if data.endswith(ending):
            return data
        return data + SerialTransport.read_until(self, min_num_bytes, ending, timeout,
                                                 data_consumer, timeout_overall)


class Transport:
    """A raw-REPL session with one board. `timeout` bounds every wait for the board (seconds
    of silence), except while following a program run with follow_timeout=None."""

    def __init__(self, port, timeout=10.0):
        self.port = port
        self.timeout = timeout
        try:
            self._t = _Serial(port, baudrate=115200, timeout=1)
        except (_MpError, OSError) as e:
            raise TransportError("cannot open %s: %s" % (port, _reason(e)))
        self._ser = self._t.serial
        self.in_raw_repl = False

    def close(self):
        try:
            if self.in_raw_repl:
                self._ser.write(b"\r\x02")  # back to the friendly REPL, as mpremote leaves it
            self._t.close()
        except OSError:
            pass  # the board is gone already

    # -- raw REPL ---------------------------------------------------------------------------

    def enter_raw_repl(self, soft_reset=True):
        """Stop whatever runs (Ctrl-C), enter the raw REPL and, by default, soft-reset so the
        session starts with a clean heap (boot.py runs, main.py does not)."""
        # Asked again every second: a board that resets when the port opens (ESP32 DTR/RTS)
        # misses what is sent while it boots. One Ctrl-C per try, as mpremote: a second one at
        # once lands in the runner's own exit path (on the unix port it can crash the VM).
        deadline = time.monotonic() + self.timeout
        while True:
            self._write(b"\r\x03")
            self._drain(0.05)
            self._write(b"\r\x01")
            try:
                rest = self._wait_for(_RAW_BANNER + b">", "no MicroPython REPL answers on %s"
                                      % self.port, wait=min(1.0, self.timeout))
                break
            except TransportError:
                if time.monotonic() > deadline:
                    raise
        if soft_reset:
            self._write(b"\x04")
            rest = self._wait_for(b"soft reboot\r\n", "the board did not soft-reset")
            rest = self._wait_for(_RAW_BANNER, "the board did not come back after a soft "
                                  "reset", rest)
            self._t.pending = rest
        else:
            self._t.pending = b">" + rest
        self.in_raw_repl = True

    def exec_follow(self, code, consumer=None, follow_timeout=-1, poll=None):
        """Run `code`; its stdout goes to consumer(bytes) as it arrives (or is returned).
        follow_timeout: seconds of silence allowed (-1: self.timeout, None: no limit);
        poll() is called while waiting. Returns (stdout or b"", stderr). Exceptions from
        consumer and poll pass through unchanged."""
        if follow_timeout == -1:
            follow_timeout = self.timeout
        try:
            self._t.exec_raw_no_follow(code)
        except _MpError as e:
            raise TransportError("%s: %s" % (self.port, e))
        except OSError as e:
            raise _lost(e)
        out = bytearray()
        rest = self._follow(consumer or out.extend, follow_timeout, poll)
        err = bytearray()
        self._t.pending = self._follow(err.extend, self.timeout, None, rest)
        return bytes(out), bytes(err)

    def exec(self, code):
        """Run `code` and return its stdout; ExecError if it raised."""
        out, err = self.exec_follow(code)
        if err:
            raise ExecError(err.decode("utf-8", "replace"))
        return out

    def eval(self, expr):
        """The value of a Python literal expression evaluated on the board."""
        return ast.literal_eval(self.exec("print(repr(%s))" % expr).decode().strip())

    def interrupt(self):
        """Ctrl-C: a KeyboardInterrupt in the running program."""
        self._write(b"\x03")

    # -- the line -----------------------------------------------------------------------------

    def _write(self, data):
        try:
            self._ser.write(data)
        except OSError as e:
            raise _lost(e)

    def _read_some(self):
        try:
            n = self._ser.in_waiting
            return self._ser.read(n) if n else b""
        except OSError as e:
            raise _lost(e)

    def _drain(self, quiet):
        """Discard input until the line has been quiet for `quiet` seconds (at most
        `timeout`: a board that keeps talking is caught by the wait after this)."""
        now = time.monotonic()
        end, limit = now + quiet, now + self.timeout
        while time.monotonic() < min(end, limit):
            if self._read_some():
                end = time.monotonic() + quiet
            else:
                time.sleep(_POLL_S)

    def _wait_for(self, ending, message, data=b"", wait=None):
        """Read up to `ending` (within `wait`, default `timeout`, seconds); return what was
        read past it."""
        end = time.monotonic() + (self.timeout if wait is None else wait)
        while True:
            i = data.find(ending)
            if i >= 0:
                return data[i + len(ending):]
            got = self._read_some()
            if got:
                data = data[-len(ending):] + got
                continue
            if time.monotonic() > end:
                raise TransportError(message)
            time.sleep(_POLL_S)

    def _follow(self, consumer, timeout, poll, data=b""):
        """Pass bytes to consumer up to the next 0x04; return what was read past it."""
        last = time.monotonic()
        while True:
            i = data.find(b"\x04")
            if i >= 0:
                if i:
                    consumer(data[:i])
                return data[i + 1:]
            if data:
                consumer(data)
                last = time.monotonic()
            if poll is not None:
                poll()
            data = self._read_some()
            if not data:
                if timeout is not None and time.monotonic() - last > timeout:
                    raise TransportError("the board stopped answering (no output for %g s)"
                                         % timeout)
                time.sleep(_POLL_S)


def _reason(e):
    msg = str(e)
    if msg.startswith("failed to access"):
        return "no such device, or it is in use"
    return msg


def _lost(e):
    if isinstance(e, serial.SerialException) or getattr(e, "errno", None) in (5, 6, 19):
        return TransportError("the board disconnected")
    return TransportError("serial error: %s" % e)
