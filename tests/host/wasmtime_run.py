"""A WASI command under wasmtime (the `wasmtime` package), for the tests whose committed expected
files are wasmtime's output: at the release that wrote them, since another may answer
differently."""
import importlib.metadata

import pytest

RELEASE = "51."  # pyproject's dev pin; regenerate the expected files when it moves


def run(wasm, argv, env, preopens, stdout_path):
    """Run `wasm`'s _start with stdout to `stdout_path`; -> its exit status. Skips without
    wasmtime or at another release. preopens: [(host dir, guest name)]; env: [(name, value)]."""
    wasmtime = pytest.importorskip("wasmtime")
    version = importlib.metadata.version("wasmtime")
    if not version.startswith(RELEASE):
        pytest.skip("wasmtime %s installed; the expected files are from %sx (pip install -e "
                    "'.[dev]')" % (version, RELEASE))
    cfg = wasmtime.WasiConfig()
    cfg.argv = argv
    cfg.env = env
    for host, guest in preopens:
        cfg.preopen_dir(host, guest)
    cfg.stdout_file = stdout_path
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    store.set_wasi(cfg)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    inst = linker.instantiate(store, wasmtime.Module.from_file(engine, wasm))
    try:
        inst.exports(store)["_start"](store)
    except wasmtime.ExitTrap as e:
        return e.code
    return 0
