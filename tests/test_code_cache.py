# The lowered-code cache (Config.code_cache): when it is full, the functions used least
# recently are evicted and lowered again when next called, or, for frames up the call stack,
# when the loop returns into them; the running ones (the current one, those under a host call)
# stay, moved to the front, and keep running. A function bigger than the whole cache ends in
# one named LimitError.
import support
import wasi_micro
from host_tools import wasmbuild as B
from wasi_micro import __main__ as cli
from wasi_micro.config import Config
from wasi_micro.errors import LimitError

_N = 8  # leaves and chain links
_PAD = 24  # additions a leaf does: 364 bytes of lowered code (a link: 80)
_CACHE = 3072  # bytes: the links and about four leaves


def _leaf(k, pad):
    """x -> x + k + 1 + 2 + ... + pad, one local.set at a time."""
    body = B.get(0) + B.i32(k) + b"\x6a\x21\x00"
    for j in range(pad):
        body += B.get(0) + B.i32(j + 1) + b"\x6a\x21\x00"
    return body + B.get(0)


def _module():
    """chain(x): link 0 calls leaf 0, then link 1 ... the last link calls the host, which calls
    `leaves` back (every leaf once) while all the links are running."""
    m = B.Module()
    m.import_func("env", "h", [B.I32], [B.I32])
    first_leaf = 1
    first_link = first_leaf + _N
    for k in range(_N):
        m.func([B.I32], [B.I32], _leaf(k, _PAD))
    for k in range(_N):
        # link_k(x) = leaf_k(x) + (link_{k+1}(x ^ k), or h(x) for the last) ^ k
        nxt = b"\x10" + B.uleb(first_link + k + 1) if k < _N - 1 else b"\x10\x00"
        m.func([B.I32], [B.I32], B.get(0) + b"\x10" + B.uleb(first_leaf + k) + B.get(0) +
               B.i32(k) + b"\x73" + nxt + B.i32(k) + b"\x73\x6a", export="link%d" % k)
    body = B.i32(0)
    for k in range(_N):
        body += B.get(0) + b"\x10" + B.uleb(first_leaf + k) + b"\x6a"
    m.func([B.I32], [B.I32], body, export="leaves")
    return wasi_micro.load(m.bytes()), first_link


def _run(cache, fail=False):
    """(chain(5) twice and leaves(7), the instance, [(whether the last link had code after the
    host's call, whether every link had, the last link's entry before it, after it)]). With
    `fail`, the host first traps once after calling `leaves`, leaving evicted frames behind."""
    mod, first_link = _module()
    inst = []
    seen = []

    def h(x):
        i = inst[0]
        last = i.entries[first_link + _N - 1]
        r = i.invoke("leaves", [x])[0]
        seen.append((i.entries[first_link + _N - 1] != 0,
                     all(i.entries[first_link + k] for k in range(_N)), last,
                     i.entries[first_link + _N - 1]))
        if fail:
            del fail[:]
            raise ValueError("the host fails")
        return r

    i = wasi_micro.instantiate(mod, {"env": {"h": wasi_micro.HostFunc("i:i", h)}},
                               Config(code_cache=cache))
    inst.append(i)
    if fail:
        support.raises(ValueError, i.invoke, "link0", [5])
        del seen[:]
    out = [i.invoke("link0", [5]), i.invoke("leaves", [7]), i.invoke("link0", [5])]
    return out, i, seen


def test_evicted_functions_relowered_give_the_same_results():
    want, ample, _ = _run(None)
    got, small, _ = _run(_CACHE)
    assert got == want, (got, want)
    assert ample.lowerings == 2 * _N + 1  # each function once
    assert small.lowerings > 2 * _N + 1, small.lowerings  # evicted and lowered again
    assert 2 * len(small.code) <= _CACHE
    assert _run(_CACHE, [True])[0] == want  # frames left waiting by a trap are no matter


def test_frames_up_the_stack_are_evicted_and_resumed():
    # While the host runs (under the last link), `leaves` lowers all eight leaves into a
    # cache that holds a few: the last link, under the host call, stays lowered and moves;
    # links further up the call stack are evicted, and lowered again as the loop returns
    # into them (the results above).
    _, _, seen = _run(_CACHE)
    assert len(seen) == 2, seen
    for last_kept, every_link, before, after in seen:
        assert last_kept and before != after and not every_link, seen


def test_too_small_for_one_function():
    m = B.Module()
    m.func([B.I32], [B.I32], _leaf(0, 400), export="big")
    mod = wasi_micro.load(m.bytes())
    inst = wasi_micro.instantiate(mod, None, Config(code_cache=2048))
    e = support.raises(LimitError, inst.invoke, "big", [1])
    assert str(e) == "out of memory: lowered code of wasm-function[0] needs more than 1 KiB, " \
        "the code cache is 2 KiB (code_cache)", str(e)
    inst = wasi_micro.instantiate(mod, None, Config(code_cache=8192))
    assert inst.invoke("big", [1]) == [1 + 400 * 401 // 2]


def test_no_heap_to_lower_a_function():
    # The board's heap (not the cache) has no room while lowering: one line naming it.
    m = B.Module()
    m.func([B.I32], [B.I32], _leaf(0, 4), export="f")
    inst = wasi_micro.instantiate(wasi_micro.load(m.bytes()), None, Config(code_cache=8192))

    def full(fidx, entries):
        raise MemoryError
    inst.lowerer.lower = full
    e = support.raises(LimitError, inst.invoke, "f", [1])
    assert e.reason == "out of memory: the heap has no room to lower wasm-function[0]", str(e)


def test_cli_code_cache_option():
    limits = cli.parse(["--code-cache", "4096", "p.wasm"])[4]
    assert limits == {"code_cache": 4096}
    assert Config(**limits).code_cache == 4096
    support.raises(cli._Usage, cli.parse, ["--code-cache", "10", "p.wasm"])
