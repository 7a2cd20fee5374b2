# The one place that knows CPython from MicroPython.
#
# Everything else imports what differs from here: `const`, the `micropython` decorators, the
# viper pointer casts (identity stand-ins under CPython), word arrays, clocks and randomness.
import sys

IS_MICROPYTHON = sys.implementation.name == "micropython"

if IS_MICROPYTHON:
    import micropython
    from micropython import const
    from array import array

    def new_words(n):
        # Viper reads these through ptr32: a real machine-word array.
        return array("i", bytes(4 * n))

    def words_from(seq):
        return array("i", seq)

    def ticks_us():
        import time
        return time.ticks_us()

    try:
        maxsize = sys.maxsize
    except AttributeError:
        maxsize = (1 << 30) - 1

else:
    def const(x):
        return x

    class micropython:  # noqa: N801 - stands in for the MicroPython module
        @staticmethod
        def viper(f):
            return f

        @staticmethod
        def native(f):
            return f

        @staticmethod
        def const(x):
            return x

        @staticmethod
        def kbd_intr(c):
            pass

    def new_words(n):
        # A list indexes faster than an array under CPython; the loop masks every store.
        return [0] * n

    def words_from(seq):
        return list(seq)

    def ticks_us():
        import time
        return time.perf_counter_ns() // 1000

    maxsize = sys.maxsize

    # Viper's casts, as the plain-Python loop sees them.
    def ptr8(x):
        return x

    ptr16 = ptr32 = ptr8
    uint = int


def mem_free():
    try:
        import gc
        return gc.mem_free()
    except AttributeError:
        return -1
