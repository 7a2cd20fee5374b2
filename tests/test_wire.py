# wasi_micro.wire: the framing of guest output between the board runner and wasi-flash.
from support import raises
from wasi_micro import wire


def _encode(records):
    """Frame [(stream, data)] and an exit record; returns the bytes on the wire."""
    out = []
    enc = wire.Encoder(out.append)
    for stream, data in records:
        enc.data(stream, data)
    enc.exit(*records_exit)
    return b"".join(out)


records_exit = (134, wire.K_TRAP, "error: wasm trap: unreachable in main")


def _decode(raw, step=None):
    got = []
    dec = wire.Decoder(lambda s, b: got.append((s, b)))
    if step is None:
        dec.feed(raw)
    else:
        for i in range(0, len(raw), step):
            dec.feed(raw[i:i + step])
    return _merge(got), dec.status


def _merge(pieces):
    """Adjacent pieces of one stream joined: feed boundaries must not matter."""
    out = []
    for s, b in pieces:
        if out and out[-1][0] == s:
            out[-1] = (s, out[-1][1] + b)
        else:
            out.append((s, b))
    return out


ALL_BYTES = bytes(range(256))
RECORDS = [(1, b"hello\n"), (2, b"warn\r\n"), (1, ALL_BYTES), (1, b"\x10\x10P\x04"),
           (2, b"\x03"), (1, b"tail")]


def test_no_raw_repl_control_bytes_on_the_wire():
    raw = _encode(RECORDS)
    assert b"\x04" not in raw and b"\x03" not in raw
    # Every CR on the wire belongs to the runner's own framing: none, so a port that adds
    # them before LF cannot be confused with guest data.
    assert b"\r" not in raw


def test_round_trip_every_split():
    raw = _encode(RECORDS)
    want = _merge(RECORDS)
    for step in (None, 1, 2, 3, 7, 64):
        got, status = _decode(raw, step)
        assert got == want, step
        assert status == records_exit, step


def test_every_byte_value_survives_in_both_streams():
    for stream in (1, 2):
        got, status = _decode(_encode([(stream, ALL_BYTES * 2)]))
        assert got == [(stream, ALL_BYTES * 2)]
        assert status[0] == 134


def test_cooked_newlines_are_dropped():
    # A port that sends '\n' as "\r\n" (MicroPython's cooked stdout) changes nothing.
    raw = _encode(RECORDS)
    got, status = _decode(raw.replace(b"\n", b"\r\n"), 5)
    assert got == _merge(RECORDS)
    assert status == records_exit


def test_memoryview_input_and_write_counts():
    out = []
    enc = wire.Encoder(out.append)
    s = wire.Stream(enc, 2)
    buf = bytearray(b"xx\x04yy")
    assert s.write(memoryview(buf)[1:4]) == 3
    s.flush()
    enc.exit(0, wire.K_EXIT)
    got, status = _decode(b"".join(out))
    assert got == [(2, b"x\x04y")]
    assert status == (0, wire.K_EXIT, "")


def test_exit_record_fields():
    for code, kind, msg in ((0, wire.K_EXIT, ""), (255, wire.K_EXIT, ""),
                            (130, wire.K_INTERRUPTED, "error: interrupted"),
                            (2, wire.K_ERROR, "error: bad \x10 \x04 \r name")):
        out = []
        wire.Encoder(out.append).exit(code, kind, msg)
        raw = b"".join(out)
        assert raw.endswith(b"\n") and raw.count(b"\n") == 1
        assert _decode(raw, 1) == ([], (code, kind, msg))


def test_exit_message_newlines_become_spaces():
    out = []
    wire.Encoder(out.append).exit(1, wire.K_INTERNAL, "a\nb")
    assert _decode(b"".join(out))[1] == (1, wire.K_INTERNAL, "a b")


def test_nothing_after_the_exit_record():
    out = []
    enc = wire.Encoder(out.append)
    enc.data(1, b"x")
    enc.exit(3, wire.K_EXIT)
    got, status = _decode(b"".join(out) + b"trailing\x10Zjunk")
    assert got == [(1, b"x")]
    assert status == (3, wire.K_EXIT, "")


def test_stream_switch_only_when_it_changes():
    out = []
    enc = wire.Encoder(out.append)
    enc.data(1, b"a")
    enc.data(1, b"b")
    enc.data(2, b"c")
    enc.data(2, b"d")
    assert b"".join(out) == b"ab\x102cd"


def test_empty_write_sends_nothing():
    out = []
    wire.Encoder(out.append).data(1, b"")
    assert out == []


def test_bad_escape_and_bad_record_raise():
    for raw in (b"ab\x10Q", b"\x10X\x10" + b"1 exit\n", b"\x10Xnot-a-number exit\n",
                b"\x10X7\n"):
        raises(ValueError, _decode, raw)


def test_no_status_until_the_record_ends():
    got = []
    dec = wire.Decoder(lambda s, b: got.append((s, b)))
    dec.feed(b"out\x10X0 ex")
    assert dec.status is None and got == [(1, b"out")]
    dec.feed(b"it\n")
    assert dec.status == (0, "exit", "")
