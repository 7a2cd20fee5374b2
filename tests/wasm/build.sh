#!/bin/sh
# Rebuilds every committed test module in tests/wasm/ from its .wat (needs wabt's wat2wasm).
set -e
cd "$(dirname "$0")"
wat2wasm --debug-names dv_names.wat -o dv_names.wasm

# WASI guest programs (C via wasi-libc; the host tests run them through the CLI).
for c in wasi_*.c; do
    clang --target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-debug -o "${c%.c}.wasm" "$c"
done
wat2wasm --enable-tail-call lower_cases.wat -o lower_cases.wasm

# The wasi-flash end-to-end guest: an 8 KiB stack so data + stack fit the boards' one page.
clang --target=wasm32-wasi --sysroot=/usr -O2 -Wl,-z,stack-size=8192 -Wl,--strip-debug \
    -o flash_guest.wasm flash_guest.c
wat2wasm memory_pages.wat -o memory_pages.wasm
