#!/bin/sh
# Rebuilds every committed test module in tests/wasm/ from its .wat (needs wabt's wat2wasm).
set -e
cd "$(dirname "$0")"
wat2wasm --debug-names dv_names.wat -o dv_names.wasm
