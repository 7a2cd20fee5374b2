# Run a flashed WASI module with nothing but mpremote (no wasi-flash on the host):
#
#   mpremote run firmware/run_module.py
#
# mpremote sends this script to the board's raw REPL and prints what the board prints as it
# arrives, so the guest's output streams live. Edit NAME/ARGS/ENV below (the module must be
# in the board's modules_dir, e.g. put there by `wasi-flash put`). Ctrl-C in mpremote stops
# the guest at its next fuel slice. Limits: output is passed through as is, so a guest that
# writes the byte 0x04 ends mpremote's view of it early, and mpremote exits 0 whatever the
# guest's exit status (it is printed as "exit status N"). `wasi-flash run` has neither limit.
#
# Under `mpremote mount DIR` (e.g. `mpremote mount . run firmware/run_module.py` from the
# repo) the runtime still comes from the board, frozen or installed, not from DIR.
import sys

# mpremote mount makes the mounted folder the current directory, which '' searches first on
# sys.path: with the repo mounted the board would compile its wasi_micro/*.py into the heap
# (fib then ran out of memory) instead of using the frozen or installed runtime. Search it last.
if "" in sys.path:
    sys.path.remove("")
    sys.path.append("")

import wasi_run  # noqa: E402

NAME = "hello"
ARGS = []  # guest arguments after the program name
ENV = {}  # guest environment

wasi_run.run(NAME, ARGS, ENV)
