"""tools/qemu_heap.py: a program's smallest heap on an emulated board, measured under a ballast
in one firmware instead of a firmware per heap. Its own module so that test_qemu's boards are
stopped before its board boots (one QEMU at a time)."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu_board import firmware  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(REPO, "tools", "qemu_heap.py")
_FREE = re.compile(r"traffic 144 KiB: (runs|fails) \((\d+) bytes free after the ballast")


def _at_144(*heap):
    """(runs, bytes free as the run starts) of traffic at 144 KiB on the frozen M0."""
    p = subprocess.run([sys.executable, TOOL, "--machine", "m0", "--only", "traffic", "--at",
                        "144"] + list(heap), cwd=REPO, capture_output=True, timeout=900)
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    m = _FREE.search(p.stderr.decode())
    assert m, p.stderr.decode()
    assert "| traffic | 144: %s |" % m.group(1) in p.stdout.decode(), p.stdout.decode()
    return m.group(1) == "runs", int(m.group(2))


def test_ballast_leaves_the_heap_of_a_smaller_firmware():
    """A Pico-sized firmware under the ballast for 144 KiB and a firmware built with a 144 KiB
    heap start the run with the same free bytes (to two 16-byte blocks: the smaller pool's
    tables round differently), and traffic (116 KiB on the unix port, 112 on this board)
    runs in both."""
    firmware("m0", frozen=True)  # skips without QEMU or a cross compiler
    ballast = _at_144()
    built = _at_144("--heap", str(144 * 1024))
    assert ballast[0] and built[0], (ballast, built)
    assert abs(ballast[1] - built[1]) <= 32, (ballast, built)
