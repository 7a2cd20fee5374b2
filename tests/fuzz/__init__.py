# Fuzzing support: harness (portable), wasmgen and diff (CPython), corpus/ (regression inputs).
