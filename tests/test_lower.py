# The lowering, layer by layer: results of edge cases (local preservation, values carried out
# of blocks, br_table with several values, unreachable code, tail calls), and the shape of the
# register code (local.get and constants emit nothing, local.set fuses, compare+branch fuses).
import opnames
import support
import wasi_micro
from wasi_micro import ir

_INST = []


def inst():
    if not _INST:
        with open(support.module_path("lower_cases.wasm"), "rb") as f:
            _INST.append(wasi_micro.instantiate(wasi_micro.load(f.read())))
    return _INST[0]


def check(name, args, want):
    got = inst().invoke(name, args)
    assert got == want, "%s%r = %r, want %r" % (name, args, got, want)


def neg(x):
    return x & 0xFFFFFFFF


def test_local_preserved_before_set():
    check("alias_set", [5, 3], [2])
    check("alias_i64", [50, 8], [42])


def test_local_preserved_before_fused_set():
    check("alias_fused", [5], [11])
    check("alias_tee", [5], [58])


def test_local_preserved_across_blocks():
    check("alias_block", [5, 0], [10])  # the set is skipped
    check("alias_block", [5, 1], [105])
    check("alias_loop", [4], [10004])


def test_call_arguments_around_tee():
    check("call_args", [5], [neg(-1)])


def test_branches_carry_values():
    check("br_value", [0], [9])
    check("br_value", [1], [7])
    check("br_multi", [0], [neg(-10)])
    check("br_multi", [1], [neg(-1)])
    check("br_nested", [0], [1005])
    check("br_nested", [1], [1600])
    check("br_nested", [2], [1700])
    check("cond_return", [1], [11])
    check("cond_return", [0], [22])


def test_br_table_multi_value():
    for i, want in ((0, 50), (1, 70), (2, 30), (3, 70), (99, 70), (0xFFFFFFFF, 70)):
        check("br_table_multi", [i], [want])


def test_block_params():
    check("loop_params", [10], [55])
    check("if_params", [5, 1], [10])
    check("if_params", [5, 0], [8])
    check("if_no_else", [5, 1], [6])
    check("if_no_else", [5, 0], [5])


def test_select_and_multi_return():
    check("select_i64", [1 << 40, 7, 1], [1 << 40])
    check("select_i64", [1 << 40, 7, 0], [7])
    check("return_swap", [1, 2], [2, 1, 3])


def test_unreachable_code_skipped():
    check("dead_code", [0], [3])
    check("dead_if", [1], [1])


def test_tail_calls():
    check("tail_swap", [10, 3], [neg(-7)])
    check("tail_indirect", [0, 10, 3], [7])
    check("tail_indirect", [1, 10, 3], [neg(-7)])
    # 100000 tail calls with a call depth limit of a few thousand.
    check("tail_count", [100000, 0], [200000])


def lowered(name):
    i = inst()
    entry = i._entry(i.exports[name].index)  # lowering may grow (replace) the code array
    return ir.body(i.code, entry)


def test_shape_fused_set():
    # (local.set 2 (i32.add (local.get 0) (local.get 1))) (local.get 2): ENTER, one add
    # writing local 2 directly, RETURN of local 2.
    code = lowered("shape_add")
    assert [ins[0] for ins in code] == [opnames.R_ENTER, 0x6A, opnames.R_RETURN], code
    assert code[1][1:] == [2, 0, 1], code
    assert code[2] == [opnames.R_RETURN, 1, 2], code


def test_shape_compare_branch_fused():
    code = lowered("shape_cmp_branch")
    ops = [ins[0] for ins in code]
    assert 0x48 not in ops, code  # no separate i32.lt_s
    assert opnames.R_BR_LT_S in ops, code


def test_ir_halfword_layout():
    # The layout the viper loop reads through ptr16: op, then halfword slots; 32-bit fields
    # (targets, offsets, indices, counts) take two halfwords, low first.
    assert ir.length([opnames.R_MOV, 0, 0], 0) == 3
    assert ir.length([opnames.R_BR, 0, 0], 0) == 3
    assert ir.length([opnames.R_BR_LT_S, 0, 0, 0, 0], 0) == 5
    assert ir.length([0x6A, 0, 0, 0], 0) == 4
    assert ir.length([0x45, 0, 0], 0) == 3
    assert ir.length([0x28, 0, 0, 7], 0) == 4  # offset below 0xFFFF: one halfword
    assert ir.memarg([0x28, 0, 0, 7], 0) == (7, 4)
    assert ir.length([0x28, 0, 0, 0xFFFF, 0, 1], 0) == 6  # else 0xFFFF, then two
    assert ir.memarg([0x28, 0, 0, 0xFFFF, 0, 1], 0) == (65536, 6)
    assert ir.length([opnames.R_BR_TABLE, 0, 2, 0] + [0] * 6, 0) == 10
    assert ir.length([opnames.R_RETURN, 2, 0, 0], 0) == 4
    assert ir.length([opnames.R_ENTER, 0, 0, 0, 0, 0], 0) == 6
    assert ir.length([opnames.R_CALL, 0, 0, 0, 0, 0], 0) == 6
    assert ir.word([0x5678, 0x1234], 0) == 0x12345678


def test_code_is_halfwords():
    code = inst().code
    assert all(0 <= w <= 0xFFFF for w in code)


def test_load_store_offsets_short_and_long():
    # Offsets below 0xFFFF take one halfword, others 0xFFFF and two more: both forms, at the
    # edge, in the loop and (paged, across frames) in the slow path.
    from host_tools import wasmbuild as B
    for limit in (None, 4096 * 40):
        m = B.Module()
        m.set_memory(3)
        for off in (0xFFFE, 0xFFFF, 0x10000):
            # store(x, v) at x + off; load(x) from x + off
            m.func([B.I32, B.I32], [], B.get(0) + B.get(1) + B.mem(0x36, off),
                   export="st%x" % off)
            m.func([B.I32], [B.I32], B.get(0) + B.mem(0x28, off), export="ld%x" % off)
        i = wasi_micro.instantiate(wasi_micro.load(m.bytes()),
                                   config=wasi_micro.Config(max_memory=limit))
        for k, off in enumerate((0xFFFE, 0xFFFF, 0x10000)):
            for x in (0, 1, 1021, 0x10000):
                i.invoke("st%x" % off, [x, 0x11223344 + x])
                assert i.invoke("ld%x" % off, [x]) == [0x11223344 + x]
                assert i.memory_obj.read(x + off, 4) == (0x11223344 + x).to_bytes(4, "little")
            load = ir.body(i.code, i.entries[2 * k + 1])[1]  # after ENTER
            assert load[0] == 0x28 and len(load) == (4 if off < 0xFFFF else 6)
