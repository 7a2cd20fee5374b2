#!/bin/sh
# Rebuilds the bundled examples: hello.wasm (needs wabt's wat2wasm) and the first programs in
# first/ with the README's commands (tools/install_toolchains.sh installs their compilers).
set -e
cd "$(dirname "$0")"
wat2wasm hello.wat -o hello.wasm

cd first
clang --target=wasm32-wasi --sysroot=/usr -O2 -s -o hello_c.wasm hello.c
rustc --target wasm32-wasi -O -C strip=symbols -o hello_rust.wasm hello.rs
python3 -m ziglang build-exe hello.zig -target wasm32-wasi -O ReleaseSmall --stack 65536 -femit-bin=hello_zig.wasm
npx asc hello.ts --config ./node_modules/@assemblyscript/wasi-shim/asconfig.json -O -o hello_as.wasm
