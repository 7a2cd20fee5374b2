# wasi-flash autorun (written to the board as /main.py by `wasi-flash boot NAME`).
# At power-up and after a soft reset into the friendly REPL, runs the module named in
# /wasi_boot.json with the board's limits. main.py (not boot.py) so that a host entering the
# raw REPL (wasi-flash, mpremote) never starts the guest, and Ctrl-C stops a running one.
# Safe mode skips it: a file /SAFE on flash, or the board file's "safe_pin" held at reset.
try:
    import wasi_run
except ImportError:
    print("wasi-flash autorun: runtime not installed (wasi-flash install)")
else:
    wasi_run.autorun()
