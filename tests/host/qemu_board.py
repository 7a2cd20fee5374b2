"""Emulated microcontrollers for the host tests: MicroPython's bare-metal qemu port
(tools/build_qemu.sh) under QEMU, its UART on a pty that `wasi-flash` and mpremote open as
they would a board's USB port.

An idle board busy-polls its UART, one host core at 100%: a QemuBoard is stopped (killed by its
pid) as soon as its tests are done, and only one runs at a time.
"""
import os
import re
import shutil
import subprocess
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, "tools", "build_qemu.sh")
_PTY = re.compile(rb"/dev/pts/\d+")

# name -> (tools/build_qemu.sh machine, QEMU command line before -kernel, board file)
MACHINES = {
    "m3": ("an385", ["qemu-system-arm", "-machine", "mps2-an385"], "qemu-m3"),
    "rv32": ("rv32", ["qemu-system-riscv32", "-machine", "virt", "-bios", "none",
                      "-cpu", "rv32"], "qemu-rv32"),
    # 1 MiB of flash and 1.25 MiB of RAM instead of the nRF51's 256/16 KiB: room for the
    # runtime frozen, a Pico-sized heap in the firmware's 256 KiB and a 1 MiB RAM disk past it.
    "m0": ("microbit", ["qemu-system-arm", "-machine", "microbit",
                        "-global", "nrf51-soc.flash-size=1048576",
                        "-global", "nrf51-soc.sram-size=1310720"], "qemu-m0"),
}


def firmware(machine, frozen=False, march=None):
    """The firmware.elf for `machine` (a MACHINES key), built or taken from the cache; skips
    the test when the tarball, a cross compiler or QEMU is missing."""
    build_name, cmd, _ = MACHINES[machine]
    if shutil.which(cmd[0]) is None:
        pytest.skip("%s not installed (Debian: qemu-system-arm qemu-system-misc)" % cmd[0])
    args = ["bash", BUILD] + (["--frozen"] if frozen else []) + (
        ["--march", march] if march else []) + [build_name]
    p = subprocess.run(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=1200)
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode == 3:
        pytest.skip("cannot build the QEMU firmware: " + err.strip().splitlines()[-1])
    assert p.returncode == 0, err[-3000:]
    return p.stdout.decode().strip().splitlines()[-1]


class QemuBoard:
    """One emulated board running `elf`; `port` is its UART's pty."""

    def __init__(self, machine, elf, logdir):
        self.machine = machine
        self.board = MACHINES[machine][2]
        self.elf = elf
        self.log_path = os.path.join(str(logdir), "qemu-%s.log" % machine)
        self.proc = None
        self.port = None

    def start(self, timeout=10):
        cmd = MACHINES[self.machine][1] + ["-nographic", "-monitor", "null", "-semihosting",
                                           "-serial", "pty", "-kernel", self.elf]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with open(self.log_path, "rb") as f:
                m = _PTY.search(f.read())
            if m:
                self.port = m.group().decode()
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        with open(self.log_path, "rb") as f:
            raise AssertionError("QEMU gave no pty: %r" % f.read())

    def stop(self):
        """Kill QEMU (by its pid) and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def frozen_native_code(elf):
    """{symbol: (declared alignment, address)} of the machine code mpy-tool froze into `elf`
    (tools/build_qemu.sh keeps its frozen_content.c beside the firmware)."""
    with open(elf[:-len(".elf")] + ".frozen_content.c") as f:
        decls = re.findall(r"static const byte (fun_data_\w+)\[\d+\] __attribute__\(\(section"
                           r"\(\".text[^\n]*__attribute__ \(\(aligned \((\d)\)\)\)", f.read())
    nm = shutil.which("arm-none-eabi-nm") or pytest.skip("arm-none-eabi-nm not installed")
    syms = {}
    for line in subprocess.run([nm, elf], capture_output=True, check=True).stdout.split(b"\n"):
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2].decode()] = int(parts[0], 16)
    return dict((name, (int(align), syms[name])) for name, align in decls)
