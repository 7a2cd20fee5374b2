# How a command run ends (wasi_micro/outcome.py): the one mapping the desktop CLI and the board
# runner share, and the preopen check both make before loading.
import support
from wasi_micro import wire
from wasi_micro.errors import Exhaustion, InvalidError, LimitError, LinkError, MalformedError, \
    Trap
from wasi_micro.outcome import Refused, check_preopens, outcome


def test_guest_exit_is_its_code_modulo_256():
    assert outcome(0) == (0, wire.K_EXIT, "")
    assert outcome(7) == (7, wire.K_EXIT, "")
    assert outcome(259) == (3, wire.K_EXIT, "")


def test_traps_are_134_with_their_function():
    assert outcome(Trap("unreachable", "main")) == (
        134, wire.K_TRAP, "error: wasm trap: unreachable in main")
    assert outcome(Exhaustion("call stack exhausted")) == (
        134, wire.K_TRAP, "error: wasm trap: call stack exhausted")
    # A limit hit while running traps (fuel, memory), whatever the phase of other traps.
    assert outcome(LimitError("all fuel consumed", "f")) == (
        134, wire.K_TRAP, "error: wasm trap: all fuel consumed in f")
    assert outcome(Trap("unreachable"), True)[0] == 134


def test_load_time_limit_refuses_the_module():
    assert outcome(LimitError("function count limit exceeded"), True) == (
        2, wire.K_ERROR, "error: function count limit exceeded")


def test_bad_modules_and_requests_are_2():
    assert outcome(MalformedError("unexpected end", 10), True) == (
        2, wire.K_ERROR, "error: unexpected end at offset 10")
    assert outcome(InvalidError("type mismatch"), True) == (
        2, wire.K_ERROR, "error: type mismatch")
    assert outcome(LinkError("unknown import env.f")) == (
        2, wire.K_ERROR, "error: unknown import env.f")
    assert outcome(Refused("cannot read p.wasm: nope"), True) == (
        2, wire.K_ERROR, "error: cannot read p.wasm: nope")


def test_host_endings():
    assert outcome(KeyboardInterrupt()) == (130, wire.K_INTERRUPTED, "error: interrupted")
    status, kind, message = outcome(MemoryError(), False, "board")
    assert (status, kind) == (1, wire.K_MEMORY)
    assert message.startswith("error: out of memory on the board"), message
    assert outcome(ValueError("bad")) == (
        1, wire.K_INTERNAL, "error: internal error: ValueError: bad")


def test_check_preopens():
    check_preopens([(support.TESTS, "/t"), ("/", "/")])
    for host in (support.TESTS + "/nope", support.TESTS + "/support.py"):
        e = support.raises(Refused, check_preopens, [("/", "/"), (host, "/data")])
        assert str(e) == "cannot preopen %s: not a directory" % host
