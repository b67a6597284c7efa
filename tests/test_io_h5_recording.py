"""Tests of sms_detect.io.h5_recording on real HDF5 files in tmp_path."""

from __future__ import annotations

import math
from pathlib import Path

import h5py
import numpy as np
import pytest

from sms_detect.errors import InputError
from sms_detect.io.h5_events import read_events
from sms_detect.io.h5_recording import (
    iter_sensor_blocks,
    list_sensors,
    open_night,
    read_sensor,
    write_recording,
)
from sms_detect.types import Event


def _sensor(n: int, fs: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = 1000.0 + np.arange(n) / fs
    acc = rng.normal(0, 0.1, (n, 3)).astype(np.float32)
    acc[:, 2] += 1
    return t, acc


def _write_two(p: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    wt, wa = _sensor(10_000, 100.0, 1)
    at, aa = _sensor(5_200, 52.0, 2)
    write_recording(
        p,
        {
            "wrist": (wt, wa, np.array([[1010.0, 1012.5]]), {"device": "sim", "range_g": 8}),
            "ankle": (at, aa, [(1001.0, 1002.0, "radio dropout")], {"location": "left ankle"}),
        },
        events=[Event(1005.0, 0.2, "hypnic_jerk", "wrist+ankle", 1.0, 50.0, 0.8)],
        params={"x": 1},
        detector="test",
    )
    return {"wrist": (wt, wa), "ankle": (at, aa)}


def test_write_read_round_trip(tmp_path: Path) -> None:
    p = tmp_path / "night.h5"
    data = _write_two(p)
    assert list_sensors(p) == ["ankle", "wrist"]
    for name, (t, acc) in data.items():
        s = read_sensor(p, name)
        assert s.name == name
        np.testing.assert_array_equal(s.time, t)
        np.testing.assert_array_equal(s.acc, acc.astype(np.float64))
        assert s.acc.dtype == np.float64 and s.time.dtype == np.float64
        assert s.block().sensor == name
    wrist = read_sensor(p, "wrist")
    assert wrist.attrs["device"] == "sim" and wrist.attrs["range_g"] == 8.0
    assert wrist.attrs["nominal_rate_hz"] == 100.0 and wrist.attrs["location"] == "wrist"
    assert wrist.gaps["reason"].tolist() == ["missing"]
    ankle = read_sensor(p, "ankle")
    assert ankle.attrs["location"] == "left ankle" and ankle.attrs["nominal_rate_hz"] == 52.0
    assert math.isnan(ankle.attrs["range_g"]) and ankle.attrs["start_time"] == ""
    assert ankle.gaps.tolist() == [(1001.0, 1002.0, "radio dropout")]
    events, attrs = read_events(p)
    assert events["sensor"].tolist() == ["wrist+ankle"] and attrs["detector"] == "test"


def test_layout_with_plain_h5py(tmp_path: Path) -> None:
    p = tmp_path / "night.h5"
    _write_two(p)
    with h5py.File(p, "r") as f:
        assert f.attrs["format"] == "sms-detect" and f.attrs["format_version"] == 1
        g = f["sensors/wrist"]
        for key in (
            "location",
            "device",
            "device_id",
            "nominal_rate_hz",
            "units",
            "range_g",
            "start_time",
        ):
            assert key in g.attrs, key
        assert g.attrs["units"] == "g"
        assert g["time"].dtype == np.float64 and g["time"].shape == (10_000,)
        assert g["acc"].dtype == np.float32 and g["acc"].shape == (10_000, 3)
        assert g["acc"].compression == "gzip"
        gaps = g["gaps"]
        assert gaps.dtype.names == ("start", "end", "reason")
        assert gaps.dtype["start"] == np.float64 and gaps.dtype["end"] == np.float64
        assert h5py.check_string_dtype(gaps.dtype["reason"]).encoding == "utf-8"


def test_iter_blocks_matches_full_read(tmp_path: Path) -> None:
    p = tmp_path / "night.h5"
    data = _write_two(p)
    blocks = list(iter_sensor_blocks(p, "wrist", 3000))
    assert [len(b[0]) for b in blocks] == [3000, 3000, 3000, 1000]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in blocks]), data["wrist"][0])
    np.testing.assert_array_equal(np.concatenate([b[1] for b in blocks]), data["wrist"][1])
    with pytest.raises(ValueError):
        list(iter_sensor_blocks(p, "wrist", 0))


def test_fill_rows_are_dropped(tmp_path: Path) -> None:
    """Rows holding the NaN fill value (never written before a crash) are not samples."""
    p = tmp_path / "night.h5"
    _write_two(p)
    with h5py.File(p, "a") as f:
        g = f["sensors/wrist"]
        g["time"].resize((10_100,))
        g["acc"].resize((10_100, 3))
        g["time"][10_000:] = np.nan
        g["acc"][10_000:] = np.nan
        g["time"][5000:5100] = np.nan
    s = read_sensor(p, "wrist")
    assert len(s) == 9_900 and np.all(np.diff(s.time) > 0)
    assert sum(len(b[0]) for b in iter_sensor_blocks(p, "wrist", 4096)) == 9_900


def test_errors(tmp_path: Path) -> None:
    p = tmp_path / "night.h5"
    _write_two(p)
    with pytest.raises(InputError, match="no sensor 'chest'.*ankle, wrist"):
        read_sensor(p, "chest")
    with pytest.raises(InputError, match="no such file"):
        list_sensors(tmp_path / "nope.h5")
    with pytest.raises(ValueError, match="sensor name"):
        write_recording(tmp_path / "x.h5", {"a/b": (np.arange(3.0), np.zeros((3, 3)), None, {})})
    assert not (tmp_path / "x.h5").exists()
    with open_night(p) as f:
        assert "events" in f


def test_empty_sensor(tmp_path: Path) -> None:
    p = tmp_path / "e.h5"
    write_recording(p, {"wrist": (np.empty(0), np.empty((0, 3)), None, {})})
    s = read_sensor(p, "wrist")
    assert len(s) == 0 and s.acc.shape == (0, 3)
    assert math.isnan(s.attrs["nominal_rate_hz"])
    assert list(iter_sensor_blocks(p, "wrist")) == []
    assert read_events(p)[0].shape == (0,)
