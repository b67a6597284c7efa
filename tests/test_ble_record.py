"""``record`` over BLE: the recorder's LiveSession reading an emulated BLE sensor.

Real parts only: the session writes a real HDF5 night file; the BLE path is bleak over the
bumble backend with an emulated peripheral (no Bluetooth hardware on a build machine).
"""

from __future__ import annotations

import io
from pathlib import Path

import h5py
import numpy as np
import pytest

from sms_detect.devices.ble import BleRunner, BleSpec


@pytest.mark.parametrize("kind", ["sms", "polar"])
def test_live_session_records_a_ble_sensor(tmp_path: Path, kind: str) -> None:
    from sms_detect.record import LiveSession

    out = tmp_path / "night.h5"
    runner = BleRunner([BleSpec("x", "wrist")], demo=True, demo_kinds=[kind], demo_speed=20)
    runner.start()
    stdout, stderr = io.StringIO(), io.StringIO()
    session = LiveSession(
        runner, output=out, sensor="wrist", stdout=stdout, stderr=stderr, duration=3.0
    )
    session.run()
    assert not runner.alive
    assert runner.stats.samples > 2000  # ~60 simulated s at 100 Hz, minus setup
    with h5py.File(out, "r") as f:
        t = f["sensors/wrist/time"][:]
        acc = f["sensors/wrist/acc"][:]
        assert f["sensors/wrist"].attrs["nominal_rate_hz"] == 100.0
    # all but what arrived between the session's last poll and its stop (< 1 notification)
    assert runner.stats.samples - 40 < len(t) <= runner.stats.samples
    assert np.all(np.diff(t) > 0)
    assert np.abs(acc[:, 2].mean() - 1.0) < 0.01
    assert "100 Hz" in stderr.getvalue()
    # the demo signal has a jerk every 20 s: they come out as JSON lines
    assert stdout.getvalue().count("\n") >= 1
