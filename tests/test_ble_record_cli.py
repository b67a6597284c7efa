"""``sms-detect record --ble`` / ``--demo --ble`` as a real subprocess.

The demo runs the live BLE path (bleak over the bumble backend, emulated sensors) on the
bundled sample nights; nothing is mocked.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

RECORD = [sys.executable, "-m", "sms_detect", "record"]


def _run(args: list[str], timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(RECORD + args, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    ("sensors", "rate"),
    [
        ([], 50.0),
        (["--sensor", "wrist", "--sensor", "ankle"], 25.0),
        # absence declared only on a reported link loss, not on a lag
        (["--sensor", "wrist", "--sensor", "ankle", "--absent-after", "0"], 25.0),
    ],
    ids=["one-sensor", "two-sensors", "two-sensors-absent-on-link-loss-only"],
)
def test_demo_ble_records_the_sample_night(tmp_path: Path, sensors: list[str], rate: float) -> None:
    out = tmp_path / "demo.h5"
    proc = _run(["--demo", "--ble", *sensors, "--speed", "40", "--duration", "8", "-o", str(out)])
    assert proc.returncode == 0, proc.stderr
    names = [sensors[i + 1] for i, a in enumerate(sensors) if a == "--sensor"] or ["wrist"]
    for line in proc.stdout.splitlines():
        ev = json.loads(line)
        assert ev["final"] is True and ev["sensor"] in {*names, "wrist+ankle"}
    assert "through emulated BLE sensors" in proc.stderr
    for name in names:  # the last status line may already show the sensor stopped
        assert re.search(rf"{name}: (streaming|stopped) {rate:g} Hz", proc.stderr)
    with h5py.File(out, "r") as f:
        assert sorted(f["sensors"]) == sorted(names)
        for name in names:
            g = f[f"sensors/{name}"]
            assert g.attrs["nominal_rate_hz"] == rate
            t = g["time"][:]
            # at 40x, 8 s of wall time carry minutes of night; ask only for several seconds
            # of it, since start-up on a loaded 2-core machine can take most of the 8 s
            assert len(t) > 5 * rate
            assert np.all(np.diff(t) > 0)
            assert np.all(np.abs(g["acc"][:]) <= 8.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ble"], "--ble needs a sensor name or address"),
        (["--ble", "AA", "--ble", "BB", "--sensor", "wrist"], "2 sensor(s) but 1 --sensor"),
        (["--ble", "AA", "--serial", "/dev/null"], "cannot be combined"),
        (["--serial", "/dev/null", "--sensor", "a", "--sensor", "b"], "several --sensor names"),
        ([], "give a sensor"),
        (["--demo", "--absent-after", "-1"], "--absent-after must be >= 0 s"),
        (["--demo", "--absent-after", "nan"], "--absent-after must be >= 0 s"),
    ],
)
def test_bad_ble_arguments_give_one_line_errors(args: list[str], message: str) -> None:
    proc = _run(args, timeout=30.0)
    assert proc.returncode == 1
    assert proc.stderr.startswith("sms-detect: error: ") and message in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
