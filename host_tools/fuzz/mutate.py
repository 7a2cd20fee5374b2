# Byte- and section-level mutations of valid modules (CPython only: the fuzz driver's).
from . import wasmgen

_INTERESTING = (0x00, 0x01, 0x02, 0x0B, 0x40, 0x41, 0x60, 0x6F, 0x70, 0x7F, 0x80, 0xFC, 0xFF)
_BIG_LEBS = (b"\xff\xff\xff\xff\x0f", b"\x80\x80\x80\x80\x10", b"\xff\xff\xff\xff\x7f",
             b"\x80\x80\x80\x80\x80\x00", b"\xc0\x84\x3d", b"\xff\xff\x03")


def sections(data):
    """[(start, end)] of each section of a module that parses that far (for section moves)."""
    out = []
    p = 8
    n = len(data)
    while p < n:
        start = p
        p += 1
        size = 0
        shift = 0
        while p < n and shift < 35:
            b = data[p]
            p += 1
            size |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        if p + size > n:
            break
        p += size
        out.append((start, p))
    return out


def mutate(data, rng, other=None):
    """data with 1-6 random mutations; `other` (bytes) is a splice source."""
    b = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 6))):
        _one(b, rng, other)
    return bytes(b)


def _one(b, r, other):
    n = len(b)
    if n == 0:
        b.extend(b"\x00asm\x01\x00\x00\x00")
        return
    k = r.randrange(11)
    p = r.randrange(n)
    if k == 0:
        b[p] ^= 1 << r.randrange(8)
    elif k == 1:
        b[p] = r.choice(_INTERESTING)
    elif k == 2:
        b[p] = r.randrange(256)
    elif k == 3:
        b[p:p] = bytes(r.randrange(256) for _ in range(r.randint(1, 8)))
    elif k == 4:
        del b[p:p + r.randint(1, 16)]
    elif k == 5:
        q = min(n, p + r.randint(1, 64))
        b[q:q] = b[p:q]
    elif k == 6:
        b[p:p + 1] = r.choice(_BIG_LEBS)
    elif k == 7 and other:
        q = r.randrange(len(other))
        b[p:p + r.randint(0, 32)] = other[q:q + r.randint(1, 64)]
    elif k == 8:
        secs = sections(bytes(b))
        if len(secs) >= 2:
            i, j = sorted(r.sample(range(len(secs)), 2))
            (s1, e1), (s2, e2) = secs[i], secs[j]
            b[s1:e2] = b[s2:e2] + b[e1:s2] + b[s1:e1]  # swap two sections
        elif secs:
            s, e = secs[0]
            b[e:e] = b[s:e]
    elif k == 9:
        del b[r.randrange(8, n + 1) if n > 8 else n:]  # truncate
    else:
        # Rewrite a one-byte LEB count/index as a bigger value of the same meaning or not.
        if b[p] < 0x80:
            b[p:p + 1] = wasmgen.uleb(r.choice((b[p], b[p] + 1, r.randrange(1 << 16))))


def _uleb_at(data, p):
    v = 0
    shift = 0
    while True:
        b = data[p]
        p += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, p


def mutate_code(data, rng):
    """data with one function body's instructions changed and the sizes fixed up, so the
    module still decodes that far and the change reaches the validator and the engine; None
    when data has no code section."""
    for start, end in sections(data):
        if data[start] != 10:
            continue
        try:
            _, p = _uleb_at(data, start + 1)
            count, p = _uleb_at(data, p)
            bodies = []
            for _ in range(min(count, end - p)):
                size, q = _uleb_at(data, p)
                bodies.append(bytearray(data[q:q + size]))
                p = q + size
        except IndexError:  # a seed whose code section is itself broken
            return None
        if not bodies:
            return None
        b = bodies[rng.randrange(len(bodies))]
        for _ in range(rng.choice((1, 1, 2, 3))):
            _body_edit(b, rng)
        payload = wasmgen.vec([wasmgen.uleb(len(x)) + bytes(x) for x in bodies])
        return data[:start] + wasmgen.section(10, payload) + data[end:]
    return None


# Opcodes to drop into bodies: control, variables, memory, numeric, bulk (0xFC n).
_OPS = (list(range(0x00, 0x13)) + [0x1A, 0x1B, 0x1C] + list(range(0x20, 0x27)) +
        list(range(0x28, 0x45)) + list(range(0x45, 0xC5)) + [0xD0, 0xD1, 0xD2])


def _body_edit(b, r):
    n = len(b)
    if n < 2:
        b[0:0] = b"\x00"
        return
    p = r.randrange(1, n)  # (byte 0 starts the locals)
    k = r.randrange(6)
    if k == 0:  # an opcode byte in place of another byte
        b[p] = r.choice(_OPS)
    elif k == 1:  # insert an instruction with a small immediate
        op = r.choice(_OPS)
        ins = bytes([op])
        if r.random() < 0.5:
            ins += bytes([r.randrange(0x80)])
        if r.random() < 0.2:
            ins = b"\xfc" + bytes([r.randrange(18)]) + bytes(r.randrange(3) for _ in range(2))
        b[p:p] = ins
    elif k == 2:
        del b[p:p + r.randint(1, 4)]
    elif k == 3:  # duplicate a stretch
        q = min(n, p + r.randint(1, 24))
        b[q:q] = b[p:q]
    elif k == 4:
        b[p] = r.choice(_INTERESTING)
    else:  # move a stretch
        q = min(n, p + r.randint(1, 16))
        chunk = b[p:q]
        del b[p:q]
        t = r.randrange(1, len(b) + 1) if len(b) > 1 else 1
        b[t:t] = chunk
