#!/bin/sh
# Rebuilds the corpus (tests/wasm/corpus/*.wasm) from its sources with the toolchains of
# tools/install_toolchains.sh, the way a user builds: release flags, no debug info.
#   RUSTC   a rustc with the wasm32-wasi std (default /usr/bin/rustc: Debian's rustc and
#           libstd-rust-dev-wasm32; rustup's may lack the target)
#   PYTHON  a python3 with the ziglang package (default python3)
#   ASC     AssemblyScript's compiler (default examples/first/node_modules/.bin/asc)
set -e
cd "$(dirname "$0")"
RUSTC=${RUSTC:-/usr/bin/rustc}
PYTHON=${PYTHON:-python3}
MODULES=../../../examples/first/node_modules
ASC=${ASC:-$MODULES/.bin/asc}

for rs in sensorlog kalman; do
    "$RUSTC" --target wasm32-wasi -O -C strip=symbols -o $rs.wasm $rs.rs
done
for c in csvstat lzpack; do
    clang --target=wasm32-wasi --sysroot=/usr -O2 -s -o $c.wasm $c.c -lm
done
"$PYTHON" -m ziglang build-exe traffic.zig -target wasm32-wasi -O ReleaseSmall --stack 65536 \
    -femit-bin=traffic.wasm
rm -f traffic.wasm.o
"$ASC" wordwrap.ts --config "$MODULES/@assemblyscript/wasi-shim/asconfig.json" -O \
    -o wordwrap.wasm
