"""wasi_micro: a WebAssembly + WASI preview1 runtime."""
