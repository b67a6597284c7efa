"""`sms-detect process` end to end, as a real subprocess: layout, exit codes, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests.signals import add_jerk, quiet_night

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sms_detect", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def write_csv(path: Path, t, acc, header: str = "time,x,y,z") -> Path:
    np.savetxt(path, np.column_stack([t, acc]), delimiter=",", header=header, comments="",
               fmt="%.5f")
    return path


def test_demo_writes_the_interfaces_layout(tmp_path):
    out = tmp_path / "demo.h5"
    r = run("process", "--demo", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "hypnic_jerk" in r.stdout and f"events written to {out}" in r.stdout
    with h5py.File(out, "r") as f:
        assert f.attrs["format"] == "sms-detect" and int(f.attrs["format_version"]) == 1
        assert str(f.attrs["software"]).startswith("sms-detect ")
        assert str(f.attrs["created"]).endswith(("Z", "+00:00"))
        ev = f["events"]
        assert ev.dtype.names[:7] == ("onset", "duration", "label", "sensor", "peak_acc",
                                      "peak_jerk", "confidence")
        assert ev.dtype["onset"] == np.float64 and ev.dtype["peak_acc"] == np.float32
        assert np.all(np.diff(ev["onset"]) >= 0)
        params = json.loads(ev.attrs["params"])
        assert params["k_high"] > 0 and "detector" in ev.attrs
        labels = {x.decode() if isinstance(x, bytes) else x for x in ev["label"]}
        assert "hypnic_jerk" in labels


def test_process_a_csv_and_param_override(tmp_path):
    t, acc = quiet_night(100.0, 240.0, seed=1)
    for onset in (60.0, 180.0):
        add_jerk(t, acc, onset, peak_g=0.8)
    src = write_csv(tmp_path / "night.csv", t, acc)
    r = run("process", str(src), "--param", "k_high=9", "-q")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "night.events.h5"
    with h5py.File(out, "r") as f:
        assert json.loads(f["events"].attrs["params"])["k_high"] == 9.0
        onsets = f["events"]["onset"][:]
    assert np.allclose(sorted(onsets), [60.0, 180.0], atol=0.1)


BAD = {
    "missing_column": ("time,x,y\n0,0,0\n", "column"),
    "text_in_number": ("time,x,y,z\n0,0,0,1\n0.01,0,abc,1\n", "line 3"),
    "nan": ("time,x,y,z\n0,0,0,1\n0.01,0,nan,1\n", "line 3"),
    "backwards": ("time,x,y,z\n0,0,0,1\n0.02,0,0,1\n0.01,0,0,1\n", "line 4"),
    "empty": ("", "empty"),
    "header_only": ("time,x,y,z\n", ""),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_csv_gives_one_line_exit_1_and_no_output(tmp_path, case):
    text, needle = BAD[case]
    src = tmp_path / f"{case}.csv"
    src.write_text(text)
    out = tmp_path / "out.h5"
    r = run("process", str(src), "-o", str(out))
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sms-detect: error: ")
    assert str(src) in lines[0] and needle in lines[0]
    assert "Traceback" not in r.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [src]  # no temporary leftovers either


def test_ms2_values_are_rejected(tmp_path):
    t, acc = quiet_night(50.0, 30.0)
    src = write_csv(tmp_path / "ms2.csv", t, acc * 9.80665)
    r = run("process", str(src), "-o", str(tmp_path / "o.h5"))
    assert r.returncode == 1 and "m/s" in r.stderr and not (tmp_path / "o.h5").exists()


def test_usage_errors_exit_2_and_help_everywhere():
    assert run("process", "--no-such-flag").returncode == 2
    assert run("no-such-command").returncode == 2
    for cmd in ("process", "simulate", "evaluate", "record", "scan"):
        r = run(cmd, "--help")
        assert r.returncode == 0 and "usage: sms-detect" in r.stdout
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("sms-detect ")


def test_missing_input_and_bad_param_are_one_line_errors(tmp_path):
    r = run("process", str(tmp_path / "nope.csv"))
    assert r.returncode == 1 and "no such file" in r.stderr
    r = run("process", "--demo", "--param", "k_high=lots", "-o", str(tmp_path / "x.h5"))
    assert r.returncode == 1 and "k_high" in r.stderr and len(r.stderr.splitlines()) == 1
    assert not (tmp_path / "x.h5").exists()
    r = run("process", "--demo", "-o", str(tmp_path / "no_dir" / "x.h5"))
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1


def test_process_a_two_sensor_hdf5_recording(tmp_path):
    from sms_detect.io.h5_recording import write_recording

    sensors = {}
    for i, (name, fs) in enumerate((("wrist", 50.0), ("ankle", 100.0))):
        t, acc = quiet_night(fs, 240.0, seed=30 + i)
        add_jerk(t, acc, 120.0 + 0.02 * i, peak_g=0.8)  # whole-body jerk, 20 ms apart
        sensors[name] = (t, acc, None, {"location": name, "nominal_rate_hz": fs})
    src = tmp_path / "rec.h5"
    write_recording(src, sensors)
    out = tmp_path / "rec.events.h5"
    r = run("process", str(src), "-o", str(out), "-q")
    assert r.returncode == 0, r.stderr
    with h5py.File(out, "r") as f:
        ev = f["events"][:]
    sensor = [x.decode() if isinstance(x, bytes) else x for x in ev["sensor"]]
    label = [x.decode() if isinstance(x, bytes) else x for x in ev["label"]]
    assert list(zip(sensor, label, strict=True)) == [("wrist+ankle", "hypnic_jerk")]
    assert abs(ev["onset"][0] - 120.0) < 0.05
