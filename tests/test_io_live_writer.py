"""Tests of sms_detect.io.live_writer: SWMR live file, compaction, SIGKILL crash safety.

The crash tests run a REAL child process that records at an accelerated pace (1 s of 100 Hz
data every 20 ms of wall time, flushing after each second of data and then printing how many
seconds of data it has written) and kill it with SIGKILL.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from sms_detect.errors import InputError
from sms_detect.io.h5_events import read_events
from sms_detect.io.h5_recording import iter_sensor_blocks, list_sensors, open_night, read_sensor
from sms_detect.io.live_writer import LIBVER, LiveNightWriter, recover
from sms_detect.types import Event

FS = 100
ANKLE_FS = 50


def _acc(t: np.ndarray) -> np.ndarray:
    """Deterministic test signal (g) so that any stored row can be checked."""
    return np.column_stack([np.sin(t), np.cos(t), 1.0 + 0.01 * np.sin(7 * t)]).astype(np.float32)


CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from sms_detect.io.live_writer import LiveNightWriter
    from sms_detect.types import Event

    def acc(t):
        return np.column_stack([np.sin(t), np.cos(t), 1.0 + 0.01 * np.sin(7 * t)])

    path, seconds = sys.argv[1], int(sys.argv[2])
    w = LiveNightWriter(path, {"wrist": {"nominal_rate_hz": 100, "device": "sim"},
                               "ankle": {"nominal_rate_hz": 50}},
                        detector="crash-test 1", params={"fs": 100})
    print("ready", flush=True)
    for k in range(seconds):
        t = k + np.arange(100) / 100.0
        w.append_samples("wrist", t, acc(t))
        ta = k + np.arange(50) / 50.0
        w.append_samples("ankle", ta, acc(ta))
        if k % 5 == 2:
            w.append_events([Event(k + 0.5, 0.2, "hypnic_jerk", "wrist", 1.0, 9.0, 0.9)])
        if k % 7 == 3:
            w.append_gap("ankle", k + 0.98, k + 1.0, "radio dropout")
        w.flush()
        print(k + 1, flush=True)
        time.sleep(0.02)
    w.close()
    print("closed", flush=True)
    """
)


def _start_child(path: Path, seconds: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if line != "ready":
        proc.kill()
        pytest.fail(f"child did not start: {line!r}")
    return proc


def _check_sensor(path: Path, name: str, fs: int, reported: int) -> float:
    """Check the stored samples are an exact prefix of what the child wrote; return loss (s)."""
    s = read_sensor(path, name)
    n = len(s)
    k = np.arange(n)
    expected_t = k // fs + (k % fs) / float(fs)
    np.testing.assert_array_equal(s.time, expected_t)
    np.testing.assert_array_equal(s.acc, _acc(expected_t).astype(np.float64))
    data_seconds = n / fs
    return reported - data_seconds


def test_live_writer_round_trip_and_final_layout(tmp_path: Path) -> None:
    p = tmp_path / "live.h5"
    events = [
        Event(5.0, 0.3, "hypnic_jerk", "wrist+ankle", 1.2, 60.0, 0.95),
        Event(1.0, 0.5, "movement", "wrist", 0.4, 8.0, 0.7),
        Event(3.0, 0.1, "plm", "ankle", 0.2, 5.0, 0.6),
    ]
    with LiveNightWriter(
        p,
        {"wrist": {"nominal_rate_hz": FS, "range_g": 8, "device": "sim"}, "ankle": {}},
        detector="det 1",
        params={"a": 1},
        extra_attrs={"source": "test"},
    ) as w:
        assert w.sensors == ["wrist", "ankle"]
        for k in range(10):
            t = k + np.arange(FS) / FS
            w.append_samples("wrist", t, _acc(t))
            w.append_events([e for e in events if k <= e.onset < k + 1])
            w.flush()
            assert w.written("wrist") == (k + 1) * FS
        w.append_samples("ankle", np.arange(3) / 50.0, np.zeros((3, 3)))
        w.append_gap("wrist", 4.5, 5.5, "radio dropout")
    with h5py.File(p, "r") as f:  # plain open works after a clean close
        assert f.attrs["format"] == "sms-detect" and f.attrs["format_version"] == 1
        assert f.attrs["recording_state"] == "complete" and f.attrs["source"] == "test"
        ev = f["events"]
        np.testing.assert_array_equal(ev["onset"], [1.0, 3.0, 5.0])
        assert h5py.check_string_dtype(ev.dtype["label"]).length is None
        assert h5py.check_string_dtype(ev.dtype["sensor"]).encoding == "utf-8"
        assert ev.attrs["detector"] == "det 1"
        g = f["sensors/wrist"]
        assert g["acc"].dtype == np.float32 and g["acc"].compression == "gzip"
        assert g["time"].shape == (10 * FS,)
        assert g.attrs["units"] == "g" and g.attrs["range_g"] == 8.0
        gaps = g["gaps"][()]
        assert gaps.tolist() == [(4.5, 5.5, b"radio dropout")]
        assert h5py.check_string_dtype(g["gaps"].dtype["reason"]).length is None
    arr, attrs = read_events(p)
    assert arr["label"].tolist() == ["movement", "plm", "hypnic_jerk"]
    assert attrs["params"] == {"a": 1}
    assert _check_sensor(p, "wrist", FS, 10) == 0
    assert len(read_sensor(p, "ankle")) == 3
    assert [x.name for x in tmp_path.iterdir()] == ["live.h5"]


def test_libver_and_swmr_while_open(tmp_path: Path) -> None:
    p = tmp_path / "live.h5"
    w = LiveNightWriter(p, {"wrist": {"nominal_rate_hz": 200}})
    try:
        assert w._f.libver == LIBVER
        assert w._f.swmr_mode
        assert w._f["sensors/wrist/time"].chunks == (200,)
        assert w._f["sensors/wrist/acc"].compression is None
    finally:
        w.close(compact=False)
    with open_night(p) as f:
        assert f.attrs["recording_state"] == "live"


def test_auto_flush_and_errors(tmp_path: Path) -> None:
    p = tmp_path / "live.h5"
    w = LiveNightWriter(p, {"wrist": {"nominal_rate_hz": FS}}, flush_interval=3600)
    w.append_samples("wrist", np.arange(10) / FS, np.zeros((10, 3)))
    assert w.written("wrist") == 0  # buffered
    w.flush_interval = 0.0
    w.append_samples("wrist", 0.1 + np.arange(10) / FS, np.zeros((10, 3)))
    assert w.written("wrist") == 20  # flushed by itself
    with pytest.raises(ValueError, match="unknown sensor 'ankle'"):
        w.append_samples("ankle", np.zeros(1), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="acc has 2"):
        w.append_samples("wrist", np.zeros(3), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="NUL"):
        w.append_gap("wrist", 0, 1, "a\x00")
    w.append_events([Event(0.0, 0.1, "x" * 100, "ü" * 40, 1, 1, 1)])  # long: truncated
    w.close()
    with pytest.raises(ValueError, match="closed"):
        w.append_samples("wrist", np.zeros(1), np.zeros((1, 3)))
    w.close()  # idempotent
    arr, _ = read_events(p)
    assert arr["label"][0] == "x" * 64 and arr["sensor"][0] == "ü" * 32
    with pytest.raises(InputError, match="already exists"):
        LiveNightWriter(p, {"wrist": {}})
    LiveNightWriter(p, {"wrist": {}}, overwrite=True).close()
    assert len(read_sensor(p, "wrist")) == 0


def test_sigkill_trials(tmp_path: Path) -> None:
    """Kill a real recording child with SIGKILL at random moments; check what survives."""
    rng = random.Random(20261125)
    losses = []
    for trial in range(5):
        p = tmp_path / f"crash{trial}.h5"
        proc = _start_child(p, 10_000)
        time.sleep(rng.uniform(0.05, 1.2))
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        progress = [int(x) for x in out.split() if x.isdigit()]
        reported = progress[-1] if progress else 0

        # the crashed file opens with SWMR read and with the project's readers
        with h5py.File(p, "r", swmr=True) as f:
            assert f.attrs["recording_state"] == "live"
        assert list_sensors(p) == ["ankle", "wrist"]
        loss = _check_sensor(p, "wrist", FS, reported)
        assert loss <= 1.0, f"trial {trial}: lost {loss} s of data time"
        losses.append(loss)
        assert _check_sensor(p, "ankle", ANKLE_FS, reported) <= 1.0
        n_blocks = sum(len(b[0]) for b in iter_sensor_blocks(p, "wrist", 333))
        assert n_blocks == len(read_sensor(p, "wrist"))
        arr, attrs = read_events(p)
        assert attrs["detector"] == "crash-test 1"
        assert np.all(arr["label"] == "hypnic_jerk")
        np.testing.assert_array_equal(arr["onset"] % 5, 2.5)

        # recover into a clean plain file
        clean = tmp_path / f"clean{trial}.h5"
        recover(p, clean)
        with h5py.File(clean, "r") as f:
            assert f.attrs["recording_state"] == "recovered"
            assert f["sensors/wrist/acc"].compression == "gzip"
        assert _check_sensor(clean, "wrist", FS, reported) == loss
        np.testing.assert_array_equal(read_events(clean)[0]["onset"], arr["onset"])
        gaps = read_sensor(clean, "ankle").gaps
        assert np.all(gaps["reason"] == "radio dropout")
    print(f"SIGKILL trials: {len(losses)}, max loss {max(losses):.2f} s, losses {losses}")


def test_swmr_reader_while_writing(tmp_path: Path) -> None:
    """A second process writes; this process reads the growing file with SWMR refresh()."""
    p = tmp_path / "live.h5"
    proc = _start_child(p, 60)
    seen: list[int] = []
    try:
        with h5py.File(p, "r", swmr=True) as f:
            ds_t = f["sensors/wrist/time"]
            deadline = time.monotonic() + 15
            while proc.poll() is None and time.monotonic() < deadline:
                ds_t.refresh()
                n = ds_t.shape[0]
                t = ds_t[:n]
                t = t[np.isfinite(t)]
                k = np.arange(t.shape[0])
                np.testing.assert_array_equal(t, k // FS + (k % FS) / float(FS))
                if not seen or n != seen[-1]:
                    seen.append(n)
                time.sleep(0.05)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and out.split()[-1] == "closed"
    assert len(seen) >= 3 and seen == sorted(seen)
    with h5py.File(p, "r") as f:
        assert f["sensors/wrist/time"].shape == (60 * FS,)
        assert f.attrs["recording_state"] == "complete"
