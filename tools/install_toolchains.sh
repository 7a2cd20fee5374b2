#!/bin/sh
# Installs the guest toolchains that build examples/first/ (README "Your first program"; the
# builds are tested by tests/host/test_first_program.py): clang + wasi-libc and Debian's rustc
# with its wasm32 std (apt, as root), Zig from PyPI into the Python that runs the tests, and
# AssemblyScript with its WASI shim from npm into examples/first/node_modules (git-ignored).
# Idempotent: what is already there is kept. PYTHON picks the Python (default: python3).
set -e
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
# Debian 12 names; libclang-rt-dev-wasm32 holds the compiler builtins wasi-libc's printf needs.
APT_PACKAGES="clang lld wasi-libc libclang-rt-dev-wasm32 rustc libstd-rust-dev-wasm32"
# Zig changes its standard library every release: hello.zig is written for this one.
ZIG=ziglang==0.17.1

if command -v apt-get >/dev/null 2>&1; then
    missing=
    for p in $APT_PACKAGES; do
        dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
    fi
else
    echo "install_toolchains: no apt-get; install these yourself: $APT_PACKAGES" >&2
fi

"$PYTHON" -m pip install -q "$ZIG"

if command -v npm >/dev/null 2>&1; then
    (cd examples/first && npm ci --no-audit --no-fund --loglevel=error)
else
    echo "install_toolchains: no npm; install Node.js for the AssemblyScript example" >&2
fi
