"""Second BLE tier: bleak's real BlueZ (D-Bus) backend against ``bluezoo``, happy path only.

Nothing of the host side is emulated in-process: ``sms-detect record --ble`` runs as a
subprocess with bleak's ordinary Linux backend, talking D-Bus to ``bluezoo`` (an imitation
of the BlueZ service) on a private ``dbus-daemon``. The sensor is our GATT service exported
through BlueZ's D-Bus peripheral API by ``tests/support/bluez_peripheral.py`` on a second
emulated adapter. Skipped where dbus-daemon or bluezoo are missing. bluezoo keeps state
between clients, so each test gets a fresh bus and bluezoo.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Two emulated adapters, powered, scanning every second: hci0 for the host, hci1 the sensor.
BLUEZOO_ARGS = "--auto-enable --scan-interval 1 -a 00:AA:00:00:00:01 -a 00:BB:00:00:00:02".split()
#: The sensor starts advertising once the host scans (bluezoo announces a device once per
#: discovery, and a device announced before bleak's scanner watches would be missed), so a
#: slow start of the recorder on a loaded machine does not matter.
PERIPHERAL_ARGS = "--name SMS-B001 --adapter hci1 --advertise-when-discovering hci0".split()
RECORD_ARGS = "--ble SMS-B001 --adapter hci0 --duration 9".split()

pytestmark = [
    pytest.mark.skipif(shutil.which("dbus-daemon") is None, reason="dbus-daemon not installed"),
    pytest.mark.skipif(
        importlib.util.find_spec("bluezoo") is None or importlib.util.find_spec("sdbus") is None,
        reason="bluezoo (and sdbus) not installed: pip install bluezoo",
    ),
]


def _wait_for(path: Path, text: str, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise AssertionError(f"{path.name}: no {text!r} within {timeout} s")


@pytest.fixture
def bluez_bus(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A private bus with bluezoo (two powered adapters) and our peripheral on hci1."""
    sock = tmp_path / "bus"
    addr = f"unix:path={sock}"
    env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": addr, "DBUS_SESSION_BUS_ADDRESS": addr}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(
            subprocess.Popen(
                ["dbus-daemon", "--session", "--nofork", f"--address={addr}"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        end = time.monotonic() + 5.0
        while not sock.exists() and time.monotonic() < end:
            time.sleep(0.02)
        bz_log = tmp_path / "bluezoo.log"
        code = "from bluezoo.bluezoo import main; main()"
        with bz_log.open("wb") as log:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", code, *BLUEZOO_ARGS],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        _wait_for(bz_log, "Adding adapter[1]")
        per_log = tmp_path / "peripheral.log"
        with per_log.open("wb") as log:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "tests.support.bluez_peripheral", *PERIPHERAL_ARGS],
                    env=env,
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        _wait_for(per_log, "ready")
        yield env
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_record_over_bleak_bluez_backend(bluez_bus: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "night.h5"
    proc = subprocess.run(
        [sys.executable, "-m", "sms_detect", "record", *RECORD_ARGS, "-o", str(out)],
        env=bluez_bus,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "wrist: stopped 100 Hz" in proc.stderr  # the final status line
    with h5py.File(out, "r") as f:
        g = f["sensors/wrist"]
        t, acc = g["time"][:], g["acc"][:]
        assert g.attrs["device"].startswith("bluez-emu")
        assert g["gaps"].shape[0] == 0
    assert len(t) > 200  # a few real seconds at 100 Hz once connected
    # x carries the sample counter: consecutive, so no sample was lost on the way
    counter = np.round(acc[:, 0] * 32768 / 8).astype(int)
    assert np.all(np.diff(counter) % 30000 == 1)
    assert np.all(np.diff(t) > 0)
    np.testing.assert_allclose(acc[:, 2], 1.0, atol=1e-3)
