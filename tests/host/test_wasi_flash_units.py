"""wasi-flash pieces without a board: board files, port and board detection, the CLI's
usage errors, and the upload encodings decoded by the real MicroPython."""
import argparse
import collections
import hashlib
import os
import re
import shutil
import subprocess
import sys
import types

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
from host_tools import boards, commands  # noqa: E402

Port = collections.namedtuple("Port", "device vid pid")
KEYS = {"name": str, "description": str, "platform": str, "mpy_arch": str, "heap_bytes": int,
        "usb_ids": list, "lib_dir": str, "modules_dir": str, "preopen_dir": str,
        "limits": dict, "notes": list}
LIMITS = ("max_memory", "call_depth", "stack_slots", "fuel_slice")
# Without code_cache the code array grows as needed; without native_bytes, no put --native.
OPTIONAL_LIMITS = ("code_cache", "native_bytes")


# -- board files --------------------------------------------------------------------------------

def test_board_files_are_complete():
    all_boards = boards.load_all()
    assert sorted(all_boards) == ["esp32", "esp32c3", "esp32s3", "qemu-m0", "qemu-m3", "qemu-rv32",
                                  "rp2040", "rp2350", "unix", "unix32"]
    for name, b in all_boards.items():
        for key, typ in KEYS.items():
            assert isinstance(b[key], typ), (name, key)
        given = [k for k in b["limits"] if k not in OPTIONAL_LIMITS]
        assert sorted(given) == sorted(LIMITS), name
        assert all(isinstance(v, int) and v > 0 for v in b["limits"].values()), name
        for i in b["usb_ids"]:
            assert re.fullmatch(r"[0-9A-F]{4}:[0-9A-F]{4}", i), (name, i)
        for key in ("lib_dir", "modules_dir", "preopen_dir"):
            assert b[key].startswith("/"), (name, key)
        assert b["mpy_arch"] in boards.ARCHES, name
        # What an instance allocates up front must fit the heap: linear memory, the register
        # file (built from a bytes object of the same size: twice), the call stack (two
        # words a frame) and the lowered-code cache.
        lim = b["limits"]
        upfront = lim["max_memory"] + 2 * 4 * lim["stack_slots"] + 8 * lim["call_depth"] + \
            lim.get("code_cache", 0)
        assert upfront < b["heap_bytes"], name


def test_board_facts_in_the_files():
    b = boards.load_all()
    # MicroPython's rp2 port uses one USB id on both chips: the arch they report tells them apart.
    assert b["rp2040"]["usb_ids"] == b["rp2350"]["usb_ids"] == ["2E8A:0005"]
    assert set(b["esp32"]["usb_ids"]) == {"10C4:EA60", "1A86:7523"}
    assert "303A:1001" in b["esp32c3"]["usb_ids"]
    # The plain ESP32 cannot hold a whole 64 KiB page in one allocation (56 KiB areas).
    assert b["esp32"]["limits"]["max_memory"] < 56 * 1024
    assert (b["rp2040"]["mpy_arch"], b["rp2350"]["mpy_arch"], b["esp32"]["mpy_arch"],
            b["esp32s3"]["mpy_arch"], b["esp32c3"]["mpy_arch"], b["unix"]["mpy_arch"]) == \
        ("armv6m", "armv7emsp", "xtensawin", "xtensawin", "rv32imc", "x64")


@pytest.mark.parametrize("name", sorted(boards.load_all()))
def test_runtime_compiles_for_each_board(name):
    files = commands.compile_runtime(boards.get(name)["mpy_arch"])
    assert "wasi_micro/interp.mpy" in files and "wasi_run.mpy" in files
    assert "wasi_micro/__main__.mpy" not in files
    arch = boards.ARCHES.index(boards.get(name)["mpy_arch"])
    # The viper loop carries native code for this arch (header byte 2 = arch << 2 | sub).
    assert files["wasi_micro/interp.mpy"][2] >> 2 == arch


# -- finding ports and boards -------------------------------------------------------------------

def test_pick_port():
    all_boards = boards.load_all()
    ftdi = Port("/dev/ttyUSB9", 0x0403, 0x6001)
    pico = Port("/dev/ttyACM0", 0x2E8A, 0x0005)
    cp210x = Port("/dev/ttyUSB0", 0x10C4, 0xEA60)
    builtin = Port("/dev/ttyS0", None, None)
    assert boards.pick_port(all_boards, [ftdi, builtin, pico]) == "/dev/ttyACM0"
    with pytest.raises(boards.BoardError) as e:
        boards.pick_port(all_boards, [ftdi, builtin])
    assert str(e.value).startswith("no board found (looked for USB ids 10C4:EA60, 1A86:7523, "
                                   "2E8A:0005, 303A:1001, 303A:4001)")
    with pytest.raises(boards.BoardError) as e:
        boards.pick_port(all_boards, [pico, cp210x])
    assert str(e.value) == ("several boards found: /dev/ttyACM0 (rp2040/rp2350), /dev/ttyUSB0 "
                            "(esp32); choose one with --port")
    jtag = Port("/dev/ttyACM1", 0x303A, 0x1001)
    assert boards.find_ports(all_boards, [jtag]) == [("/dev/ttyACM1", ["esp32c3", "esp32s3"])]


def test_identify_from_what_the_board_reports():
    all_boards = boards.load_all()

    def probe(platform, arch, machine):
        return {"platform": platform, "arch": boards.ARCHES.index(arch), "machine": machine}

    cases = [
        (probe("rp2", "armv6m", "Raspberry Pi Pico with RP2040"), "rp2040"),
        (probe("rp2", "armv7emsp", "Raspberry Pi Pico2 with RP2350"), "rp2350"),
        (probe("esp32", "xtensawin", "Generic ESP32 module with ESP32"), "esp32"),
        (probe("esp32", "xtensawin", "Generic ESP32S3 module with Octal-SPIRAM with ESP32S3"),
         "esp32s3"),
        (probe("esp32", "rv32imc", "ESP32C3 module with ESP32C3"), "esp32c3"),
        (probe("linux", "x64", "linux [GCC 14.2.1] version"), "unix"),
    ]
    for p, name in cases:
        assert boards.identify(all_boards, p)["name"] == name
    with pytest.raises(boards.BoardError, match="pass --board"):
        boards.identify(all_boards, probe("rp2", "rv32imc", "Raspberry Pi Pico2 with RP2350-RISCV"))


def test_unknown_board_name():
    with pytest.raises(boards.BoardError, match="unknown board 'pico9'"):
        boards.get("pico9")


# -- the command line ---------------------------------------------------------------------------

def cli(*args):
    return subprocess.run([sys.executable, "-m", "host_tools"] + list(args), cwd=REPO,
                          capture_output=True, timeout=60)


def test_help_and_usage_errors():
    p = cli("run", "--help")
    assert p.returncode == 0 and b"--max-memory" in p.stdout
    p = cli("put")
    assert (p.returncode, p.stderr.splitlines()[-1]) == (
        2, b"error: the following arguments are required: file")
    p = cli("run", "g", "--fuel", "lots")
    assert (p.returncode, p.stderr.splitlines()[-1]) == (
        2, b"error: argument --fuel: invalid int value: 'lots'")
    p = cli("frobnicate")
    assert p.returncode == 2
    assert p.stderr.splitlines()[-1].startswith(b"error: argument COMMAND: invalid choice: ")
    assert b"Traceback" not in p.stderr


def test_no_command_says_so():
    p = cli()
    assert p.returncode == 2 and p.stdout == b""
    usage, line = p.stderr.decode().splitlines()
    assert usage.startswith("usage: wasi-flash ") and "COMMAND" in usage
    assert line == ("error: no command given (one of install, put, run, ls, rm, boot, info; "
                    "wasi-flash --help says what each does)")


def test_help_lists_each_command_with_a_line():
    from host_tools import cli as cli_mod
    p = cli("--help")
    assert p.returncode == 0
    out = p.stdout.decode()
    for name in cli_mod._COMMANDS:
        assert re.search(r"(?m)^  %s +\w.{20,}$" % name, out), (name, out)
    assert "wasi-flash COMMAND --help" in out


@pytest.mark.parametrize("name", ["wasi-flash", "install", "put", "run", "ls", "rm", "boot",
                                  "info"])
def test_help_describes_every_argument_and_option(name):
    from host_tools import cli as cli_mod
    parser = cli_mod._parser_main() if name == "wasi-flash" else cli_mod._COMMANDS[name][1]()
    for action in parser._actions:
        assert action.help and action.help != argparse.SUPPRESS, (name, action.dest)
    p = cli(*([] if name == "wasi-flash" else [name]) + ["--help"])
    assert p.returncode == 0 and p.stderr == b""
    out = p.stdout.decode()
    for action in parser._actions:  # each in the help text, with words after it
        shown = (action.option_strings or [action.metavar or action.dest])[0]
        assert re.search(r"(?m)^  %s\b.*(  \w|\n {10,}\w)" % re.escape(shown), out), (name, shown)


BOARD_NAMES = ", ".join(sorted(boards.load_all()))


@pytest.mark.parametrize("args", [["ls"], ["info"], ["install"], ["put", "x.wasm"],
                                  ["run", "g"], ["rm", "g"], ["boot"], ["boot", "--off"]])
def test_unknown_board_is_an_error_for_every_command(args):
    p = cli("--board", "nosuch", "--port", "/dev/no-such-board", "--timeout", "1", *args)
    assert (p.returncode, p.stdout, p.stderr) == (
        2, b"", b"error: unknown board 'nosuch' (known: %s)\n" % BOARD_NAMES.encode())


def test_put_validates_the_module_before_reaching_the_board(tmp_path):
    # No board at that port: a refused module never gets as far as opening it.
    guest = os.path.join(REPO, "tests", "wasm", "flash_guest.wasm")
    with open(guest, "rb") as f:
        data = f.read()
    cut = tmp_path / "cut.wasm"
    cut.write_bytes(data[:len(data) // 2])
    p = cli("--port", "/dev/no-such-board", "put", str(cut))
    assert p.returncode == 1 and p.stdout == b""
    line = p.stderr.decode()
    assert line.startswith("error: %s is not a valid module, not copied: " % cut), line
    assert line.count("\n") == 1 and line.endswith("\n")
    invalid = tmp_path / "invalid.wasm"  # decodes, but a function returns nothing for an i32
    invalid.write_bytes(b"\0asm\1\0\0\0" + b"\x01\x05\x01\x60\x00\x01\x7f" +
                        b"\x03\x02\x01\x00" + b"\x0a\x04\x01\x02\x00\x0b")
    p = cli("--port", "/dev/no-such-board", "put", str(invalid), "--as", "ok")
    assert p.returncode == 1
    assert p.stderr.decode().startswith("error: %s is not a valid module, not copied: " %
                                        invalid), p.stderr
    # A module that loads goes on to the board (here: to the port that is not there).
    p = cli("--port", "/dev/no-such-board", "put", guest)
    assert p.returncode == 1
    assert p.stderr.decode().startswith("error: cannot open /dev/no-such-board")


def test_module_names_with_or_without_wasm():
    assert commands.module_name("fib") == "fib"
    assert commands.module_name("fib.wasm") == "fib"
    assert commands.module_name("fib.v2") == "fib.v2"
    for bad in ("../fib.wasm", ".wasm", "a/b", "x.part", "x.part.wasm", ""):
        with pytest.raises(commands.CommandError, match="bad module name"):
            commands.module_name(bad)


def _main_with(monkeypatch, capsys, exc):
    """cli.main with `ls` raising exc: (exit status, stdout, stderr)."""
    from host_tools import cli as cli_mod

    def handler(s, a):
        print("partial output")
        raise exc

    monkeypatch.delenv("WASI_FLASH_DEBUG", raising=False)
    monkeypatch.setitem(cli_mod._COMMANDS, "ls", (handler, cli_mod._parser_ls))
    status = cli_mod.main(["--port", "/dev/no-such-board", "ls"])
    out, err = capsys.readouterr()
    return status, out, err


def test_every_error_has_the_one_prefix(monkeypatch, capsys):
    assert _main_with(monkeypatch, capsys, commands.CommandError("no good")) == (
        1, "partial output\n", "error: no good\n")
    assert _main_with(monkeypatch, capsys, KeyboardInterrupt()) == (
        130, "partial output\n", "error: interrupted\n")
    assert _main_with(monkeypatch, capsys, ValueError("a bug")) == (
        1, "partial output\n", "error: internal error: ValueError: a bug (WASI_FLASH_DEBUG=1 "
        "shows where)\n")


def test_closed_stdout_exits_quietly():
    # `wasi-flash --help | true`: the reader is gone before anything is written. Buffered
    # (as usual), the help text is lost in the last flush; unbuffered, argparse drops it.
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    proc = subprocess.Popen([sys.executable, "-m", "host_tools", "--help"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read()
    assert (proc.wait(60), err) == (141, b"")


def test_console_script_entry():
    with open(os.path.join(REPO, "pyproject.toml")) as f:
        assert 'wasi-flash = "host_tools.cli:main"' in f.read()
    from host_tools import cli as cli_mod
    assert callable(cli_mod.main)


# -- upload encodings, decoded by MicroPython ---------------------------------------------------

_PROBES = {
    "deflate": "from binascii import a2b_base64 as A\nfrom deflate import DeflateIO as D,RAW\n"
               "from io import BytesIO as B\n",
    "base64": "from binascii import a2b_base64 as A\n",
    "hex": "",
    "repr": "",
}


@pytest.mark.parametrize("enc", sorted(_PROBES))
def test_upload_encodings_decode_on_micropython(enc):
    exe = shutil.which("micropython")
    if exe is None:
        pytest.skip("micropython not installed")
    chunks = [os.urandom(4096), b"\x00" * 4096, bytes(range(256)) * 3, b"'\"\\\n\x04\x03",
              b"x"]
    code = _PROBES[enc] + "import io, hashlib, binascii\nf = io.BytesIO()\n"
    code += "".join(commands._chunk_code(enc, c) + "\n" for c in chunks)
    code += "print(binascii.hexlify(hashlib.sha256(f.getvalue()).digest()).decode())\n"
    p = subprocess.run([exe, "-X", "heapsize=4M", "-c", code], capture_output=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.decode().strip() == hashlib.sha256(b"".join(chunks)).hexdigest()
    if enc == "deflate":  # compressible chunks travel compressed, random ones as base64
        lines = code.splitlines()
        assert sum("D(B(A(" in x for x in lines) == 2  # the zeros and the byte ramp
        assert sum(x.startswith("f.write(A(") for x in lines) == 3
        assert len(commands._chunk_code(enc, b"\x00" * 4096)) < 200


def test_runtime_sources_are_the_package_and_the_runner():
    rels = [rel for rel, _src in commands.runtime_sources()]
    assert rels[-1] == "wasi_run.py"
    pkg = sorted(f for f in os.listdir(os.path.join(REPO, "wasi_micro"))
                 if f.endswith(".py") and f not in ("__main__.py", "compat_cpython.py"))
    assert rels[:-1] == ["wasi_micro/" + f for f in pkg]


def test_rtc_tuple_is_utc_now():
    import calendar
    import time
    y, mo, d, wd, h, mi, s, us = commands._rtc_now()
    t = calendar.timegm((y, mo, d, h, mi, s))
    assert abs(t - time.time()) < 5
    assert wd == time.gmtime(t).tm_wday and 0 <= us < 1000000


class _BusyBoard:
    """A serial line to a board whose program ignores the first Ctrl-C it gets while running
    (as a guest between fuel slices does) and, like the unix port's VM, restarts that program
    when a second Ctrl-C arrives in the same breath; at the prompt, Ctrl-A answers the raw
    REPL banner."""

    def __init__(self):
        self.writes = []
        self.out = b""
        self.running = True
        self.pending_ctrl_c = 0

    def write(self, data):
        self.writes.append(bytes(data))
        if self.running and b"\x03" in data:
            if data.count(b"\x03") > 1:
                return len(data)  # crashed and restarted: still running
            self.pending_ctrl_c += 1
            if self.pending_ctrl_c == 2:
                self.running = False
                self.out += b"KeyboardInterrupt\r\n>>> "
        elif not self.running and b"\x01" in data:
            self.out += b"\r\nraw REPL; CTRL-B to exit\r\n>"
        return len(data)

    @property
    def in_waiting(self):
        return len(self.out)

    def read(self, n):
        data, self.out = self.out[:n], self.out[n:]
        return data


def test_entering_the_raw_repl_sends_one_ctrl_c_at_a_time():
    from host_tools import transport
    t = transport.Transport.__new__(transport.Transport)
    line = _BusyBoard()
    t.port, t.timeout, t.in_raw_repl = "fake", 5.0, False
    t._ser, t._t = line, types.SimpleNamespace(pending=b"")
    t.enter_raw_repl(soft_reset=False)
    assert t.in_raw_repl and not line.running
    assert all(w.count(b"\x03") <= 1 for w in line.writes), line.writes
