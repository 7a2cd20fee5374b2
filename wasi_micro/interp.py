# The dispatch loop: one source, a @micropython.viper function on MicroPython (native machine
# words, pointer casts over the code, register and memory arrays) and plain Python under
# CPython, where compat's stand-ins make the casts identities.
#
# Word width differs: viper ints are 32-bit on boards, 64-bit on the unix port, unbounded under
# CPython. So every value stored to a register is masked to 32 bits with M (which is -1, a
# no-op, on a board), signed views use ((x & M) ^ S) - S, unsigned compares use uint().
# Rare and heavy ops leave through `ext(pc, fp)`, which returns the next pc, or -1 after storing
# it in st when the memory's view moved (the driver refreshes the pointers and resumes). Ops
# that need the whole machine state (host calls, memory.grow, lazy lowering) return to the
# driver (instance.py).
# ptr8/16/32 and uint: the casts as plain Python sees them.
from .compat import F64, F64W, const, micropython, ptr8, ptr16, ptr32, uint  # noqa: F401

# Loop results.
DONE = const(0)
TRAP = const(1)
FUEL = const(2)
EXIT = const(3)  # the driver runs the op at st[ST_PC], then resumes

# State words shared with the driver.
ST_PC = const(0)
ST_FP = const(1)
ST_CSP = const(2)
ST_FUEL = const(3)
ST_MLEN = const(4)  # the last valid address of memory (size - 1)
ST_CSBASE = const(5)
ST_TRAP = const(6)
ST_RLEN = const(7)
ST_CSLEN = const(8)
ST_COUNT = const(9)  # counting mode: wasm instructions run since the driver last looked
ST_PSHIFT = const(10)  # log2 of the memory's page-table granularity
ST_BULK = const(11)  # 1: memory.copy/fill on a flat memory run in the loop (compat.BULK_IN_LOOP)
ST_FLOAT = const(12)  # 1: f64 add/sub/mul/div on host doubles in the loop (compat.FLOAT_IN_LOOP)
ST_WORDS = const(13)

# Trap codes in ST_TRAP (instance.py maps them to errors' reasons).
T_UNREACHABLE = const(1)
T_OOB = const(2)
T_CALL_DEPTH = const(3)
T_STACK = const(4)
T_DIV_ZERO = const(5)
T_INT_OVERFLOW = const(6)

# IR ops (ir.py is the reference; tests check these match it).
_UNREACHABLE = const(0x00)
_BR = const(0x01)
_BR_NZ = const(0x02)
_BR_Z = const(0x03)
_BR_EQ = const(0x04)
_BR_NE = const(0x05)
_BR_LT_S = const(0x06)
_BR_LT_U = const(0x07)
_BR_LE_S = const(0x08)
_BR_LE_U = const(0x09)
_BR_TABLE = const(0x0A)
_MOV = const(0x0B)
_MOV2 = const(0x0C)
_ENTER = const(0x0D)
_RETURN = const(0x0E)
_CALL = const(0x0F)
_CALL_INDIRECT = const(0x10)
_RETURN_CALL = const(0x11)
_RETURN_CALL_INDIRECT = const(0x12)
_CALL_IMPORT = const(0x13)
_SELECT = const(0x14)
_SELECT2 = const(0x15)
_GLOBAL_GET = const(0x16)
_GLOBAL_GET2 = const(0x17)
_GLOBAL_SET = const(0x18)
_GLOBAL_SET2 = const(0x19)
_COUNT = const(0x20)
_MEMORY_SIZE = const(0x3F)
_MEMORY_GROW = const(0x40)
_MEMORY_COPY = const(0x10A)
_MEMORY_FILL = const(0x10B)


@micropython.viper
def run(code: ptr16, regs: ptr32, mem: ptr8, ptab: ptr32, st: ptr32, cs: ptr32, ext) -> int:
    M = int(0xFFFFFFFF)
    S = int(0x80000000)
    pc = st[ST_PC]
    fp = st[ST_FP]
    csp = st[ST_CSP]
    fuel = st[ST_FUEL]
    mmax = st[ST_MLEN]  # the memory's last valid address (u32 bits: 4 GiB memories fit)
    csbase = st[ST_CSBASE]
    rlen = st[ST_RLEN]
    cslen = st[ST_CSLEN]
    psh = st[ST_PSHIFT]
    pmask = (1 << psh) - 1
    bulk = st[ST_BULK]
    trap = 0
    while True:
        op = code[pc]
        # The two most frequent ops first (counted over the bench programs: i32.add is a
        # quarter of all, MOV a tenth); a test costs plain Python far more than viper.
        if op == 0x6A:
            regs[fp + code[pc + 1]] = (regs[fp + code[pc + 2]] + regs[fp + code[pc + 3]]) & M
            pc += 4
            continue
        if op == _MOV:
            regs[fp + code[pc + 1]] = regs[fp + code[pc + 2]]
            pc += 3
            continue
        if op >= 0x67 and op <= 0x78:
            # i32 arithmetic: op d a b (clz/ctz/popcnt: op d a).
            d = fp + code[pc + 1]
            a = regs[fp + code[pc + 2]] & M
            if op <= 0x69:
                pc += 3
                n = 0
                if op == 0x67:  # clz
                    if a == 0:
                        n = 32
                    else:
                        while (a & S) == 0:
                            a = a << 1
                            n += 1
                elif op == 0x68:  # ctz
                    if a == 0:
                        n = 32
                    else:
                        while (a & 1) == 0:
                            a = int(uint(a) >> 1)
                            n += 1
                else:  # popcnt
                    while a != 0:
                        n += a & 1
                        a = int(uint(a) >> 1)
                regs[d] = n
                continue
            b = regs[fp + code[pc + 3]] & M
            pc += 4
            # Most frequent first (counted over the bench programs): add is a quarter of all ops.
            if op == 0x6A:
                regs[d] = (a + b) & M
            elif op == 0x73:
                regs[d] = a ^ b
            elif op == 0x71:
                regs[d] = a & b
            elif op == 0x76:
                regs[d] = int(uint(a) >> (b & 31)) & M
            elif op == 0x74:
                regs[d] = (a << (b & 31)) & M
            elif op == 0x6B:
                regs[d] = (a - b) & M
            elif op == 0x72:
                regs[d] = a | b
            elif op == 0x6C:
                regs[d] = (a * b) & M
            elif op <= 0x70:
                # Division with the trapping cases; viper's // floors, wasm truncates.
                if b == 0:
                    trap = T_DIV_ZERO
                    pc -= 4
                    break
                # Signed ops divide the magnitudes as unsigned words, then apply the signs:
                # viper's // adds |b| - 1 to a when the signs differ (mp_small_int_floor_divide),
                # which overflows a 32-bit word.
                sa = 0
                sb = 0
                if op == 0x6D or op == 0x6F:
                    if a & S:
                        a = (0 - a) & M
                        sa = 1
                    if b & S:
                        b = (0 - b) & M
                        sb = 1
                    if op == 0x6D and sb and b == 1 and a == S:  # -2**31 / -1
                        trap = T_INT_OVERFLOW
                        pc -= 4
                        break
                if uint(b) >= uint(S):
                    q = 1 if uint(a) >= uint(b) else 0
                elif uint(a) < uint(S):
                    q = a // b
                else:
                    q = (int(uint(a) >> 1) // b) << 1
                    if uint((a - q * b) & M) >= uint(b):
                        q += 1
                rem = a - q * b
                if sa != sb:
                    q = 0 - q
                if sa:
                    rem = 0 - rem
                regs[d] = (q if op <= 0x6E else rem) & M
            elif op == 0x75:
                regs[d] = (((a ^ S) - S) >> (b & 31)) & M
            else:
                b &= 31
                if b == 0:
                    regs[d] = a
                elif op == 0x77:  # rotl
                    regs[d] = ((a << b) | int(uint(a) >> (32 - b))) & M
                else:  # rotr
                    regs[d] = (int(uint(a) >> b) | (a << (32 - b))) & M
            continue
        if op < 0x28:
            if op <= _BR_TABLE:
                if op == _BR:
                    pc = code[pc + 1] | (code[pc + 2] << 16)
                    fuel -= 1
                    if fuel <= 0:
                        break
                    continue
                if op == _BR_TABLE:
                    i = regs[fp + code[pc + 1]] & M
                    n = code[pc + 2] | (code[pc + 3] << 16)
                    if uint(i) >= uint(n):
                        i = n
                    t = pc + 4 + 2 * i
                    pc = code[t] | (code[t + 1] << 16)
                    fuel -= 1
                    if fuel <= 0:
                        break
                    continue
                if op == _UNREACHABLE:
                    trap = T_UNREACHABLE
                    break
                a = regs[fp + code[pc + 1]]
                if op == _BR_NZ:
                    taken = a != 0
                    t = code[pc + 2] | (code[pc + 3] << 16)
                    pc += 4
                elif op == _BR_Z:
                    taken = a == 0
                    t = code[pc + 2] | (code[pc + 3] << 16)
                    pc += 4
                else:
                    b = regs[fp + code[pc + 2]]
                    t = code[pc + 3] | (code[pc + 4] << 16)
                    pc += 5
                    if op == _BR_EQ:
                        taken = (a & M) == (b & M)
                    elif op == _BR_NE:
                        taken = (a & M) != (b & M)
                    elif op == _BR_LT_S:
                        taken = (((a & M) ^ S) - S) < (((b & M) ^ S) - S)
                    elif op == _BR_LT_U:
                        taken = uint(a & M) < uint(b & M)
                    elif op == _BR_LE_S:
                        taken = (((a & M) ^ S) - S) <= (((b & M) ^ S) - S)
                    else:
                        taken = uint(a & M) <= uint(b & M)
                if taken:
                    pc = t
                    fuel -= 1
                    if fuel <= 0:
                        break
                continue
            if op == _MOV2:
                d = fp + code[pc + 1]
                a = fp + code[pc + 2]
                regs[d] = regs[a]
                regs[d + 1] = regs[a + 1]
                pc += 3
                continue
            if op == _CALL or op == _CALL_INDIRECT:
                if op == _CALL:
                    t = code[pc + 2] | (code[pc + 3] << 16)
                    if t == 0:  # not lowered yet: the driver lowers it
                        break
                    n = pc + 6
                else:  # the slow path checks the table entry and its type
                    t = int(ext(pc, fp))
                    if t < 0:
                        break
                    n = pc + 7
                if csp >= cslen:
                    trap = T_CALL_DEPTH
                    break
                cs[csp] = n
                cs[csp + 1] = fp
                csp += 2
                fp += code[pc + 1]
                pc = t
                fuel -= 1
                if fuel <= 0:
                    break
                continue
            if op == _ENTER:
                if fp + code[pc + 3] > rlen:
                    trap = T_STACK
                    break
                i = fp + code[pc + 1]
                n = fp + code[pc + 2]
                while i < n:
                    regs[i] = 0
                    i += 1
                t = code[pc + 4] | (code[pc + 5] << 16)
                n = code[t]
                t += 1
                while n > 0:
                    regs[fp + code[t]] = (code[t + 1] | (code[t + 2] << 16)) & M
                    t += 3
                    n -= 1
                pc += 6
                continue
            if op == _RETURN:
                n = code[pc + 1]
                i = 0
                while i < n:
                    regs[fp + i] = regs[fp + code[pc + 2 + i]]
                    i += 1
                if csp == csbase:
                    st[ST_PC] = pc
                    st[ST_FP] = fp
                    st[ST_CSP] = csp
                    st[ST_FUEL] = fuel
                    return DONE
                csp -= 2
                pc = cs[csp]
                fp = cs[csp + 1]
                continue
            if op == _GLOBAL_GET:
                regs[fp + code[pc + 1]] = regs[code[pc + 2]]
                pc += 3
                continue
            if op == _GLOBAL_SET:
                regs[code[pc + 1]] = regs[fp + code[pc + 2]]
                pc += 3
                continue
            if op == _SELECT:
                if regs[fp + code[pc + 4]] != 0:
                    regs[fp + code[pc + 1]] = regs[fp + code[pc + 2]]
                else:
                    regs[fp + code[pc + 1]] = regs[fp + code[pc + 3]]
                pc += 5
                continue
            if op == _RETURN_CALL or op == _RETURN_CALL_INDIRECT:
                # Tail calls: the arguments move to the frame's first slots.
                if op == _RETURN_CALL:
                    t = code[pc + 1] | (code[pc + 2] << 16)
                    if t == 0:
                        break
                    a = pc + 5
                else:
                    t = int(ext(pc, fp))
                    if t < 0:
                        break
                    a = pc + 6
                n = code[a]
                i = 0
                while i < n:
                    regs[fp + i] = regs[fp + code[a + 1 + i]]
                    i += 1
                pc = t
                fuel -= 1
                if fuel <= 0:
                    break
                continue
            if op == _GLOBAL_GET2:
                d = fp + code[pc + 1]
                a = code[pc + 2]
                regs[d] = regs[a]
                regs[d + 1] = regs[a + 1]
                pc += 3
                continue
            if op == _GLOBAL_SET2:
                d = code[pc + 1]
                a = fp + code[pc + 2]
                regs[d] = regs[a]
                regs[d + 1] = regs[a + 1]
                pc += 3
                continue
            if op == _SELECT2:
                d = fp + code[pc + 1]
                if regs[fp + code[pc + 4]] != 0:
                    a = fp + code[pc + 2]
                else:
                    a = fp + code[pc + 3]
                regs[d] = regs[a]
                regs[d + 1] = regs[a + 1]
                pc += 5
                continue
            if op == _CALL_IMPORT:
                break
            if op == _COUNT:
                st[ST_COUNT] = st[ST_COUNT] + (code[pc + 1] | (code[pc + 2] << 16))
                pc += 3
                continue
            pc = int(ext(pc, fp))
            if pc < 0:  # the driver must refresh the memory pointers first
                pc = st[ST_PC]
                break
            continue
        if op <= 0x3E:
            # Loads (0x28..0x35: op d addr off:w) and stores (0x36..0x3E: op addr value off:w).
            # The access size from the opcode's low bits: i32, i64, f32, f64 alternate, then
            # the narrow ones (1 and 2 bytes) do.
            if op <= 0x35:
                a = regs[fp + code[pc + 2]] & M
                if op <= 0x2B:
                    n = 8 if op & 1 else 4
                elif op >= 0x34:
                    n = 4
                else:
                    n = 2 if op & 2 else 1
            else:
                a = regs[fp + code[pc + 1]] & M
                if op <= 0x39:
                    n = 8 if op & 1 else 4
                elif op == 0x3E:
                    n = 4
                else:
                    n = 2 if op & 1 else 1
            off = code[pc + 3]
            k = 4  # the instruction's length
            if off == 0xFFFF:  # a 32-bit offset follows
                off = (code[pc + 4] | (code[pc + 5] << 16)) & M
                k = 6
            # In bounds iff a + off + n - 1 <= mmax, in unsigned words without overflow.
            lim = mmax - (n - 1)
            if uint(mmax) < uint(n - 1) or uint(a) > uint(lim) or uint(off) > uint(lim - a):
                trap = T_OOB
                break
            ea = a + off
            # The page table maps the address to mem + entry - 1 (memory.py: an arena offset,
            # or a frame's address from a base); an unmapped page or an access across pages
            # goes out.
            t = ptab[int(uint(ea) >> psh)]
            ea &= pmask
            if t == 0 or ea > pmask + 1 - n:
                pc = int(ext(pc, fp))
                if pc < 0:
                    pc = st[ST_PC]
                    break
                continue
            ea += t - 1
            if op <= 0x35:
                d = fp + code[pc + 1]
                if n == 4:
                    v = mem[ea] | (mem[ea + 1] << 8) | (mem[ea + 2] << 16) | (mem[ea + 3] << 24)
                    regs[d] = v & M
                    if op == 0x34:
                        regs[d + 1] = (0 - ((v >> 31) & 1)) & M
                    elif op == 0x35:
                        regs[d + 1] = 0
                elif n == 8:
                    regs[d] = (mem[ea] | (mem[ea + 1] << 8) | (mem[ea + 2] << 16) |
                               (mem[ea + 3] << 24)) & M
                    regs[d + 1] = (mem[ea + 4] | (mem[ea + 5] << 8) | (mem[ea + 6] << 16) |
                                   (mem[ea + 7] << 24)) & M
                else:
                    if n == 1:
                        v = mem[ea]
                        if (op == 0x2C or op == 0x30) and v >= 0x80:
                            v -= 0x100
                    else:
                        v = mem[ea] | (mem[ea + 1] << 8)
                        if (op == 0x2E or op == 0x32) and v >= 0x8000:
                            v -= 0x10000
                    regs[d] = v & M
                    if op >= 0x30:
                        if v < 0:
                            regs[d + 1] = M
                        else:
                            regs[d + 1] = 0
            else:
                s = fp + code[pc + 2]
                v = regs[s]
                mem[ea] = v & 0xFF
                if n >= 2:
                    mem[ea + 1] = (v >> 8) & 0xFF
                    if n >= 4:
                        mem[ea + 2] = (v >> 16) & 0xFF
                        mem[ea + 3] = (v >> 24) & 0xFF
                        if n == 8:
                            v = regs[s + 1]
                            mem[ea + 4] = v & 0xFF
                            mem[ea + 5] = (v >> 8) & 0xFF
                            mem[ea + 6] = (v >> 16) & 0xFF
                            mem[ea + 7] = (v >> 24) & 0xFF
            pc += k
            continue
        if op >= 0xA0 and op <= 0xA3 and st[ST_FLOAT]:
            # f64 add, sub, mul, div as numeric.py's host path computes them (a NaN result is
            # the canonical NaN), without the slow path's call and decoding. Division by zero
            # goes out: a host double would raise.
            a = fp + code[pc + 2]
            F64W[0] = regs[a]
            F64W[1] = regs[a + 1]
            fa = F64[0]
            a = fp + code[pc + 3]
            F64W[0] = regs[a]
            F64W[1] = regs[a + 1]
            fb = F64[0]
            if op != 0xA3 or fb:
                if op == 0xA2:
                    fa = fa * fb
                elif op == 0xA0:
                    fa = fa + fb
                elif op == 0xA1:
                    fa = fa - fb
                else:
                    fa = fa / fb
                d = fp + code[pc + 1]
                if fa != fa:
                    regs[d] = 0
                    regs[d + 1] = int(0x7FF80000)
                else:
                    F64[0] = fa
                    regs[d] = int(F64W[0])
                    regs[d + 1] = int(F64W[1])
                pc += 4
                continue
        if op >= 0x7C and op <= 0x8A and (op <= 0x7E or op >= 0x83):
            # i64 arithmetic on word pairs (div and rem go out).
            d = fp + code[pc + 1]
            a = fp + code[pc + 2]
            b = fp + code[pc + 3]
            alo = regs[a] & M
            ahi = regs[a + 1] & M
            blo = regs[b] & M
            bhi = regs[b + 1] & M
            pc += 4
            if op == 0x7C:
                lo = (alo + blo) & M
                hi = (ahi + bhi + (1 if uint(lo) < uint(alo) else 0)) & M
            elif op == 0x7D:
                lo = (alo - blo) & M
                hi = (ahi - bhi - (1 if uint(alo) < uint(blo) else 0)) & M
            elif op == 0x7E:
                # The high word of alo * blo from 16-bit halves (a board's words are 32 bits).
                n = alo & 0xFFFF
                n1 = int(uint(alo) >> 16)
                n2 = blo & 0xFFFF
                c = int(uint(blo) >> 16)
                lo = n * n2  # p00
                sh = n * c  # p01
                n = n1 * n2  # p10
                n2 = n1 * c  # p11
                c = int(uint(lo) >> 16) + (sh & 0xFFFF) + (n & 0xFFFF)
                hi = (n2 + int(uint(sh) >> 16) + int(uint(n) >> 16) + int(uint(c) >> 16) +
                      alo * bhi + ahi * blo) & M
                lo = (alo * blo) & M
            elif op == 0x83:
                lo = alo & blo
                hi = ahi & bhi
            elif op == 0x84:
                lo = alo | blo
                hi = ahi | bhi
            elif op == 0x85:
                lo = alo ^ blo
                hi = ahi ^ bhi
            elif op == 0x87:  # shr_s
                n = blo & 63
                sh = (ahi ^ S) - S
                if n == 0:
                    lo = alo
                    hi = ahi
                elif n < 32:
                    lo = (int(uint(alo) >> n) | (ahi << (32 - n))) & M
                    hi = (sh >> n) & M
                else:
                    lo = (sh >> (n - 32)) & M
                    hi = (sh >> 31) & M
            else:
                # shl, shr_u and rotations: x << n1 | x >>> n2 (a rotation is both).
                n = blo & 63
                lo = 0
                hi = 0
                if op == 0x88:
                    n1 = -1
                    n2 = n
                elif op == 0x86:
                    n1 = n
                    n2 = -1
                elif op == 0x89:
                    n1 = n
                    n2 = (64 - n) & 63
                else:
                    n1 = (64 - n) & 63
                    n2 = n
                if n1 == 0 or n2 == 0:
                    lo = alo
                    hi = ahi
                else:
                    if n1 > 0:
                        if n1 < 32:
                            lo = (alo << n1) & M
                            hi = ((ahi << n1) | int(uint(alo) >> (32 - n1))) & M
                        else:
                            hi = (alo << (n1 - 32)) & M
                    if n2 > 0:
                        if n2 < 32:
                            lo |= (int(uint(alo) >> n2) | (ahi << (32 - n2))) & M
                            hi |= int(uint(ahi) >> n2)
                        else:
                            lo |= int(uint(ahi) >> (n2 - 32))
            regs[d] = lo
            regs[d + 1] = hi
            continue
        if op >= 0x45 and op <= 0x4F:
            d = fp + code[pc + 1]
            a = regs[fp + code[pc + 2]] & M
            if op == 0x45:
                regs[d] = 1 if a == 0 else 0
                pc += 3
                continue
            b = regs[fp + code[pc + 3]] & M
            pc += 4
            if op == 0x46:
                r = a == b
            elif op == 0x47:
                r = a != b
            elif op == 0x48:
                r = ((a ^ S) - S) < ((b ^ S) - S)
            elif op == 0x49:
                r = uint(a) < uint(b)
            elif op == 0x4A:
                r = ((a ^ S) - S) > ((b ^ S) - S)
            elif op == 0x4B:
                r = uint(a) > uint(b)
            elif op == 0x4C:
                r = ((a ^ S) - S) <= ((b ^ S) - S)
            elif op == 0x4D:
                r = uint(a) <= uint(b)
            elif op == 0x4E:
                r = ((a ^ S) - S) >= ((b ^ S) - S)
            else:
                r = uint(a) >= uint(b)
            regs[d] = 1 if r else 0
            continue
        if op >= 0x50 and op <= 0x5A:
            # i64 compares on (low, high) word pairs.
            d = fp + code[pc + 1]
            a = fp + code[pc + 2]
            alo = regs[a] & M
            ahi = regs[a + 1] & M
            if op == 0x50:
                regs[d] = 1 if (alo | ahi) == 0 else 0
                pc += 3
                continue
            b = fp + code[pc + 3]
            blo = regs[b] & M
            bhi = regs[b + 1] & M
            pc += 4
            if ahi != bhi:
                if op & 1:  # signed
                    c = -1 if ((ahi ^ S) - S) < ((bhi ^ S) - S) else 1
                else:
                    c = -1 if uint(ahi) < uint(bhi) else 1
            elif alo != blo:
                c = -1 if uint(alo) < uint(blo) else 1
            else:
                c = 0
            if op == 0x51:
                r = c == 0
            elif op == 0x52:
                r = c != 0
            elif op <= 0x54:
                r = c < 0
            elif op <= 0x56:
                r = c > 0
            elif op <= 0x58:
                r = c <= 0
            else:
                r = c >= 0
            regs[d] = 1 if r else 0
            continue
        if op >= 0xAC and op <= 0xC4 and (op <= 0xAD or op >= 0xC0):
            # Integer extensions: op d a.
            d = fp + code[pc + 1]
            a = regs[fp + code[pc + 2]] & M
            pc += 3
            if op == 0xC0 or op == 0xC2:
                a = a & 0xFF
                if a >= 0x80:
                    a -= 0x100
            elif op == 0xC1 or op == 0xC3:
                a = a & 0xFFFF
                if a >= 0x8000:
                    a -= 0x10000
            else:
                a = (a ^ S) - S
            regs[d] = a & M
            if op != 0xC0 and op != 0xC1:
                if op == 0xAD or a >= 0:
                    regs[d + 1] = 0
                else:
                    regs[d + 1] = M
            continue
        if (op == _MEMORY_COPY or op == _MEMORY_FILL) and psh == 16 and bulk and \
                mmax < 0x3FFFFFFF:
            # Bulk memory on a flat memory (addresses are arena offsets): op d s|value n.
            d = regs[fp + code[pc + 1]] & M
            a = regs[fp + code[pc + 2]] & M
            n = regs[fp + code[pc + 3]] & M
            i = mmax + 1  # the size: a flat memory in RAM is far below 2 GiB
            if uint(n) > uint(i) or uint(d) > uint(i - n) or \
                    (op == _MEMORY_COPY and uint(a) > uint(i - n)):
                trap = T_OOB
                break
            if op == _MEMORY_FILL:
                a &= 0xFF
                i = d + n
                while d < i:
                    mem[d] = a
                    d += 1
            elif d <= a:
                i = 0
                while i < n:
                    mem[d + i] = mem[a + i]
                    i += 1
            else:
                while n > 0:
                    n -= 1
                    mem[d + n] = mem[a + n]
            pc += 4
            continue
        if op == _MEMORY_GROW:
            break
        pc = int(ext(pc, fp))
        if pc < 0:
            pc = st[ST_PC]
            break
    st[ST_PC] = pc
    st[ST_FP] = fp
    st[ST_CSP] = csp
    st[ST_FUEL] = fuel
    if trap:
        st[ST_TRAP] = trap
        return TRAP
    if fuel <= 0:
        return FUEL
    return EXIT
