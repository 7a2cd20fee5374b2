import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
REPO = os.path.dirname(os.path.dirname(HERE))


@pytest.fixture(scope="session")
def build(tmp_path_factory):
    """build(*flags) -> path of the binary tools/build_micropython.sh makes with those flags
    (cached by the script in ~/.cache/wasi_micro; skips where it cannot build: exit 3)."""
    out = tmp_path_factory.mktemp("mp32")
    made = {}

    def get(*flags):
        if flags not in made:
            p = subprocess.run(["bash", os.path.join(REPO, "tools", "build_micropython.sh")] +
                               list(flags) + [str(out)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=1200)
            err = p.stderr.decode("utf-8", "replace")
            if p.returncode == 3:
                pytest.skip("cannot build MicroPython here: " + err.strip().splitlines()[-1])
            assert p.returncode == 0, err[-3000:]
            made[flags] = p.stdout.decode().strip().splitlines()[-1]
        return made[flags]
    return get
