#!/bin/sh
# Rebuilds the bundled examples (needs wabt's wat2wasm).
set -e
cd "$(dirname "$0")"
wat2wasm hello.wat -o hello.wasm
