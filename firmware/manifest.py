# Freezes the wasi_micro runtime and the board runner into a custom MicroPython firmware.
# Frozen bytecode and constant objects are used in place from flash instead of being loaded
# into the GC heap as .mpy files are, and frozen viper code goes to .text: on a Pico that
# leaves the heap to the guest. Build steps: firmware/README.md.

# The port's own frozen modules first (on rp2, _boot.py mounts the littlefs filesystem).
include("$(PORT_DIR)/boards/manifest.py")  # noqa: F821 - manifest functions

# opt=3: no asserts, no line numbers (as `wasi-flash install` compiles the .mpy files).
# Every .py of the package is frozen; __main__.py and compat_cpython.py are never imported on
# a board.
package("wasi_micro", base_path="..", opt=3)  # noqa: F821
module("wasi_run.py", opt=3)  # noqa: F821
