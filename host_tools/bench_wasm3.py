"""The bench folder's tools/peers.py for wasm3 (pywasm3), with clock_time_get linked too.

    bench_wasm3.py PEERS_PY PROG.wasm [ARGS...]

peers.py links the seven preview1 calls its programs import; CoreMark also reads the clock.
This runs peers.py's `run wasm3` with pywasm3's modules linking clock_time_get (monotonic and
realtime in ns) besides, everything else unchanged (its timing line and output included).
"""
import runpy
import struct
import sys
import time


class _Module:
    """A pywasm3 module that links clock_time_get along with the first function peers.py
    links (and so whose memory it writes through is the runtime's)."""

    def __init__(self, mod, env):
        self._mod = mod
        self._env = env
        self._clock = False

    def __getattr__(self, name):
        return getattr(self._mod, name)

    def link_function(self, module, name, sig, fn):
        if not self._clock:
            self._clock = True
            rt = self._env.runtime

            def clock_time_get(clock, precision, p_time):
                ns = time.time_ns() if clock == 0 else time.monotonic_ns()
                struct.pack_into("<Q", rt.get_memory(0), p_time, ns)
                return 0
            try:
                self._mod.link_function(module, "clock_time_get", "i(iIi)", clock_time_get)
            except RuntimeError:
                pass  # not imported by this program
        return self._mod.link_function(module, name, sig, fn)


class _Runtime:
    def __init__(self, rt):
        self._rt = rt

    def __getattr__(self, name):
        return getattr(self._rt, name)

    def load(self, mod):
        return self._rt.load(mod._mod)


class _Environment:
    real = None  # pywasm3's Environment

    def __init__(self):
        self._env = _Environment.real()
        self.runtime = None

    def new_runtime(self, size):
        self.runtime = self._env.new_runtime(size)
        return _Runtime(self.runtime)

    def parse_module(self, data):
        return _Module(self._env.parse_module(data), self)


def main(argv):
    import wasm3
    _Environment.real = wasm3.Environment
    wasm3.Environment = _Environment
    peers = argv[1]
    sys.argv = [peers, "run", "wasm3"] + argv[2:]
    runpy.run_path(peers, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv)
