"""Tests of sms_detect.io.h5_events: layout of interfaces.md section 2, round trip, atomicity."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sms_detect import __version__
from sms_detect.errors import InputError
from sms_detect.io.h5_events import read_events, write_events_file
from sms_detect.types import Event, array_to_events

F32 = st.floats(-1e6, 1e6, allow_nan=False, width=32)
NAMES = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=20
)

EVENTS = st.lists(
    st.builds(
        Event,
        onset=st.floats(-1e9, 2e9, allow_nan=False),
        duration=st.floats(0.0, 10.0),
        label=st.sampled_from(["hypnic_jerk", "movement", "plm", "artifact"]) | NAMES,
        sensor=st.sampled_from(["wrist", "ankle", "wrist+ankle"]) | NAMES,
        peak_acc=F32,
        peak_jerk=F32,
        confidence=st.floats(0.0, 1.0, width=32),
    ),
    max_size=30,
)


def _events() -> list[Event]:
    return [
        Event(120.5, 0.25, "hypnic_jerk", "wrist+ankle", 1.5, 80.0, 0.9),
        Event(12.0, 0.4, "movement", "wrist", 0.7, 20.0, 0.6),
        Event(60.0, 0.1, "plm", "ankle", 0.3, 11.0, 0.55),
    ]


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events=EVENTS, sensor_name=NAMES)
def test_round_trip_property(tmp_path: Path, events: list[Event], sensor_name: str) -> None:
    p = tmp_path / "e.h5"
    params = {"threshold_g": 0.5, "name": sensor_name, "nested": {"a": [1, 2]}}
    write_events_file(p, events, params=params, detector="sms-detect test 1")
    arr, attrs = read_events(p)
    back = array_to_events(arr)
    expected = sorted(events, key=lambda e: (e.onset, e.sensor))
    assert len(back) == len(expected)
    for got, want in zip(back, expected, strict=True):
        assert got.onset == want.onset and got.duration == want.duration
        assert got.label == want.label and got.sensor == want.sensor
        assert isinstance(got.label, str) and isinstance(got.sensor, str)
        assert got.peak_acc == pytest.approx(want.peak_acc, rel=1e-6)
        assert got.peak_jerk == pytest.approx(want.peak_jerk, rel=1e-6)
        assert got.confidence == pytest.approx(want.confidence, rel=1e-6, abs=1e-7)
    assert np.all(np.diff(arr["onset"]) >= 0)
    assert attrs["params"] == params
    assert attrs["detector"] == "sms-detect test 1"


def test_layout_with_plain_h5py(tmp_path: Path) -> None:
    p = tmp_path / "night.h5"
    write_events_file(
        p,
        _events(),
        params={"k": 1.5},
        detector="ZeroCrossing 0.1",
        extra_attrs={"source": "n.csv"},
    )
    with h5py.File(p, "r") as f:
        assert f.attrs["format"] == "sms-detect"
        assert f.attrs["format_version"] == 1
        assert np.issubdtype(np.asarray(f.attrs["format_version"]).dtype, np.integer)
        assert f.attrs["software"] == f"sms-detect {__version__}"
        created = f.attrs["created"]
        assert isinstance(created, str) and created.endswith("Z")
        assert (
            datetime.fromisoformat(created.replace("Z", "+00:00")).utcoffset().total_seconds() == 0
        )
        assert f.attrs["source"] == "n.csv"
        ds = f["events"]
        assert ds.shape == (3,)
        assert ds.dtype.names == (
            "onset",
            "duration",
            "label",
            "sensor",
            "peak_acc",
            "peak_jerk",
            "confidence",
        )
        for name, code in [
            ("onset", "f8"),
            ("duration", "f8"),
            ("peak_acc", "f4"),
            ("peak_jerk", "f4"),
            ("confidence", "f4"),
        ]:
            assert ds.dtype[name] == np.dtype(code), name
        for name in ("label", "sensor"):
            info = h5py.check_string_dtype(ds.dtype[name])
            assert info is not None and info.encoding == "utf-8" and info.length is None
        rows = ds[()]
        np.testing.assert_array_equal(rows["onset"], [12.0, 60.0, 120.5])
        assert [x.decode() for x in rows["label"]] == ["movement", "plm", "hypnic_jerk"]
        assert [x.decode() for x in rows["sensor"]] == ["wrist", "ankle", "wrist+ankle"]
        assert ds.attrs["detector"] == "ZeroCrossing 0.1"
        assert json.loads(ds.attrs["params"]) == {"k": 1.5}


def test_empty_events_and_with_sensors(tmp_path: Path) -> None:
    p = tmp_path / "e.h5"
    t = np.arange(500) / 100.0
    acc = np.tile([0.0, 0.0, 1.0], (500, 1))
    write_events_file(
        p,
        [],
        params={},
        detector="d",
        sensors={"wrist": (t, acc, np.array([[1.0, 2.0]]), {"device": "sim"})},
    )
    arr, attrs = read_events(p)
    assert arr.shape == (0,) and attrs["params"] == {}
    with h5py.File(p, "r") as f:
        assert f["events"].shape == (0,)
        assert f["sensors/wrist/time"].shape == (500,)
        assert f["sensors/wrist"].attrs["device"] == "sim"


def test_failure_leaves_no_file_and_keeps_old(tmp_path: Path) -> None:
    p = tmp_path / "out.h5"
    bad = {"wrist": (np.arange(10.0), np.zeros((9, 3)), None, {})}  # acc too short
    with pytest.raises(ValueError, match="acc"):
        write_events_file(p, _events(), params={}, detector="d", sensors=bad)
    assert not p.exists()
    assert list(tmp_path.iterdir()) == []  # temporary file removed too
    write_events_file(p, _events(), params={}, detector="old")
    with pytest.raises(ValueError):
        write_events_file(p, [], params={}, detector="new", sensors=bad)
    assert read_events(p)[1]["detector"] == "old"
    assert [x.name for x in tmp_path.iterdir()] == ["out.h5"]


@pytest.mark.parametrize(("label", "match"), [("a\x00b", "NUL"), ("\ud800", "UTF-8")])
def test_unstorable_string_is_refused(tmp_path: Path, label: str, match: str) -> None:
    p = tmp_path / "n.h5"
    with pytest.raises(ValueError, match=match):
        write_events_file(p, [Event(1.0, 1.0, label, "w", 1, 1, 1)], params={}, detector="d")
    assert not p.exists()


def test_sigkill_mid_write_leaves_no_output(tmp_path: Path) -> None:
    """A real child process is killed while inside write_events_file: no file at the target."""
    target = tmp_path / "night.h5"
    child = textwrap.dedent(
        f"""
        import sys, time
        import numpy as np
        from sms_detect.io.h5_events import write_events_file
        from sms_detect.types import Event

        class Slow:
            def __array__(self, dtype=None, copy=None):
                print("inside", flush=True)
                time.sleep(30)
                return np.zeros((10, 3))

        ev = [Event(1.0, 0.1, "hypnic_jerk", "wrist", 1.0, 1.0, 1.0)]
        write_events_file({str(target)!r}, ev, params={{}}, detector="d",
                          sensors={{"wrist": (np.arange(10.0), Slow(), None, {{}})}})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "inside"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert not target.exists()
    leftovers = [x.name for x in tmp_path.iterdir()]
    assert all(name.startswith(".night.h5.") and name.endswith(".tmp") for name in leftovers)


def test_read_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_events(tmp_path / "missing.h5")
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all" * 10)
    with pytest.raises(InputError, match="not a readable HDF5 file"):
        read_events(junk)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = 1
    with pytest.raises(InputError, match="not an sms-detect file"):
        read_events(other)
