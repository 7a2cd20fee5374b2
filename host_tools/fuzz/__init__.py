# The fuzzer (`python3 -m host_tools.fuzz`, runner.py): harness (portable: the regression corpus
# tests/fuzz/corpus/ runs through it under MicroPython too), wasmgen, mutate, wasi_fuzz and diff
# (CPython). Empty, so that importing the harness under MicroPython imports nothing else.
