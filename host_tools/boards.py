"""Board descriptions (boards/*.json) and finding a board: by USB id on the host, by what the
board says about itself once connected.

A description's keys: name, description, platform (sys.platform on the board), mpy_arch
(mpy-cross -march), optional machine (a suffix of sys.implementation._machine, to tell apart
boards of one platform and arch), heap_bytes, usb_ids ("VID:PID"), lib_dir, modules_dir,
preopen_dir, safe_pin, limits {max_memory, call_depth, stack_slots, fuel_slice, optional
code_cache and native_bytes}, notes.
"""
import json
import os

from wasi_micro.native_board import ARCHES, arch_name  # noqa: F401 (the board's own names)


def data_dir(name, in_package):
    """A folder of files wasi-flash reads (boards/, firmware/): at the root of a source
    checkout, or in host_tools as `in_package` when installed from a wheel (pyproject.toml)."""
    here = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(here, in_package)
    return installed if os.path.isdir(installed) else os.path.join(os.path.dirname(here), name)


BOARDS_DIR = data_dir("boards", "board_files")



class BoardError(Exception):
    pass


def load_all(directory=BOARDS_DIR):
    """{name: description} for every boards/*.json."""
    out = {}
    for fn in sorted(os.listdir(directory)):
        if fn.endswith(".json"):
            with open(os.path.join(directory, fn)) as f:
                d = json.load(f)
            out[d["name"]] = d
    return out


def get(name, boards=None):
    boards = load_all() if boards is None else boards
    if name not in boards:
        raise BoardError("unknown board %r (known: %s)" % (name, ", ".join(sorted(boards))))
    return boards[name]


def usb_id(port):
    """"VID:PID" of a pyserial ListPortInfo, or None for a port without one."""
    if port.vid is None or port.pid is None:
        return None
    return "%04X:%04X" % (port.vid, port.pid)


def find_ports(boards, comports):
    """[(device, [board names])] for each port whose USB id some board lists."""
    ids = {}
    for b in boards.values():
        for i in b.get("usb_ids", ()):
            ids.setdefault(i.upper(), []).append(b["name"])
    found = []
    for p in sorted(comports, key=lambda p: p.device):
        names = ids.get(usb_id(p) or "")
        if names:
            found.append((p.device, names))
    return found


def pick_port(boards, comports):
    """The one port with a known board on it; BoardError for none or several."""
    found = find_ports(boards, comports)
    if not found:
        known = sorted(set(i for b in boards.values() for i in b.get("usb_ids", ())))
        raise BoardError("no board found (looked for USB ids %s); connect one or pass --port"
                         % ", ".join(known))
    if len(found) > 1:
        raise BoardError("several boards found: %s; choose one with --port" % ", ".join(
            "%s (%s)" % (dev, "/".join(names)) for dev, names in found))
    return found[0][0]


def identify(boards, probe):
    """The description matching what the board reports (probe: platform, arch, machine)."""
    arch = arch_name(probe["arch"])
    hits = [b for b in boards.values()
            if b["platform"] == probe["platform"] and b["mpy_arch"] == arch
            and probe["machine"].endswith(b.get("machine", ""))]
    if len(hits) != 1:
        raise BoardError("cannot tell which board this is (platform %s, arch %s, %r); pass "
                         "--board (one of %s)" % (probe["platform"], arch, probe["machine"],
                                                  ", ".join(sorted(boards))))
    return hits[0]
