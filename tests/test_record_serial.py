"""The real ``sms-detect record --serial`` subprocess on an emulated board (real pty).

Covers: clean stop on SIGINT with an unplug in the middle (gap in the file, JSON lines),
crash safety under SIGKILL at random moments (the file opens and holds all but the last
second), a second process reading the file while it is written, bad ports.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from firmware_bridge.emulator import Emulator, Stream, synthetic_stream
from sms_detect.io.h5_recording import read_sensor

RECORD = [sys.executable, "-m", "sms_detect", "record", "-q"]


def wait_for(cond, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def swmr_length(path: Path) -> int:
    """Samples in the file as seen by a concurrent SWMR reader (retries while it is created)."""
    deadline = time.monotonic() + 5
    while True:
        try:
            with h5py.File(path, "r", swmr=True) as f:
                return int(f["sensors/wrist/time"].shape[0])
        except (OSError, KeyError):  # locked while the writer is still setting it up
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def start_recorder(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        RECORD + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_port_open(proc: subprocess.Popen, link: Path, timeout: float = 60.0) -> None:
    """Wait until ``proc`` has the serial port behind ``link`` open (Linux: /proc/PID/fd).

    A loaded machine can take seconds to start Python with numpy, scipy and h5py; what the
    emulator sends before the port is open is lost, as it would be with a real board.
    """
    target = os.path.realpath(link)

    def is_open() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"recorder exited early: {proc.communicate()[1]}")
        try:
            fds = os.listdir(f"/proc/{proc.pid}/fd")
        except FileNotFoundError:
            return False
        for fd in fds:
            try:
                if os.readlink(f"/proc/{proc.pid}/fd/{fd}") == target:
                    return True
            except OSError:
                continue
        return False

    wait_for(is_open, timeout, "the recorder to open the port")


def test_sigint_closes_cleanly_after_an_unplug(tmp_path: Path) -> None:
    link = tmp_path / "ttySMS"
    out = tmp_path / "night.h5"
    stream = synthetic_stream(70.0, 100.0, jerk_every=25.0, seed=1)
    emu = Emulator(stream, link=link, speed=20.0, unplug=[(20.0, 0.6)])
    emu.open()
    proc = start_recorder(["--serial", str(link), "--time-base", "device", "-o", str(out)])
    try:
        wait_port_open(proc, link)
        emu.start()
        wait_for(emu.done.is_set, 30, "the emulator")
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
        emu.stop()
    assert proc.returncode == 0, stderr
    events = [json.loads(line) for line in stdout.splitlines()]
    assert events and all(e["final"] for e in events)
    assert any(abs(e["onset"] - events[0]["onset"]) < 1e-9 for e in events)
    with h5py.File(out, "r") as f:  # plain h5py: the file was compacted on close
        assert f.attrs["recording_state"] == "complete"
        g = f["sensors/wrist"]
        assert g.attrs["device"].startswith("emulator")
        reasons = [r.decode() if isinstance(r, bytes) else r for r in g["gaps"]["reason"]]
        assert reasons == ["disconnected"]
        t = g["time"][()]
        assert np.all(np.diff(t) > 0)
        assert len(f["events"]) == len(events)
    assert len(t) > 0.8 * len(stream.time) - 0.6 * 20 * 100  # all but the unplugged part


@pytest.mark.parametrize("seed", [11, 12])
def test_sigkill_loses_at_most_the_last_second(tmp_path: Path, seed: int) -> None:
    """Kill -9 at a random moment; the file must hold every sample sent >= 1 s before."""
    rng = np.random.default_rng(seed)
    n = 100 * 60
    stream = Stream(np.arange(n) / 100.0, rng.uniform(-2, 2, (n, 3)), 100.0)  # all distinct
    sent: list[tuple[int, int, float]] = []
    lock = threading.Lock()

    def log(first: int, k: int, _t: float, wall: float) -> None:
        with lock:
            sent.append((first, k, wall))

    link = tmp_path / "ttySMS"
    out = tmp_path / "night.h5"
    emu = Emulator(stream, link=link, speed=1.0, on_frame=log)
    emu.open()
    proc = start_recorder(["--serial", str(link), "-o", str(out)])
    try:
        wait_port_open(proc, link)
        emu.start()
        wait_for(out.exists, 20, "the recorder to create its file")
        if seed == 11:  # a second process reads the file while it is being written
            wait_for(lambda: swmr_length(out) > 0, 10, "the first samples on disk")
            lengths = []
            for _ in range(3):
                lengths.append(swmr_length(out))
                time.sleep(1.1)  # the writer flushes once per second
            assert lengths[0] < lengths[1] < lengths[2]
        wait_for(lambda: bool(sent) and time.monotonic() - sent[0][2] > 1.0, 10, "1 s sent")
        time.sleep(float(rng.uniform(0.2, 1.5)))
        os.kill(proc.pid, signal.SIGKILL)
        t_kill = time.monotonic()
        proc.wait(10)
    finally:
        proc.kill()
        emu.stop()
    data = read_sensor(out, "wrist")  # the project's reader opens the crashed file
    with h5py.File(out, "r", swmr=True) as f:  # and so does h5py in SWMR-read mode
        assert f.attrs["recording_state"] == "live"
    got = data.acc
    assert len(got) > 0
    first = int(np.argmin(np.abs(stream.acc - got[0]).sum(axis=1)))
    np.testing.assert_allclose(got, stream.acc[first : first + len(got)], atol=8 / 32768)
    with lock:
        due = [f + k for f, k, wall in sent if wall <= t_kill - 1.0]
    assert due, "nothing was sent a second before the kill"
    assert first + len(got) >= max(due), (
        f"lost {max(due) - first - len(got)} samples sent more than 1 s before the kill"
    )


def test_bad_ports_give_one_line_errors(tmp_path: Path) -> None:
    res = subprocess.run(
        RECORD + ["--serial", str(tmp_path / "ttyNOPE")], capture_output=True, text=True
    )
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [
        f"sms-detect: error: {tmp_path / 'ttyNOPE'}: no such serial port (is the board plugged in?)"
    ]
    assert res.stdout == ""


def test_demo_runs(tmp_path: Path) -> None:
    res = subprocess.run(
        RECORD + ["--demo", "--speed", "40", "--duration", "2.5", "-o", str(tmp_path / "d.h5")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    for line in res.stdout.splitlines():
        assert {"onset", "duration", "label", "sensor", "confidence"} <= json.loads(line).keys()
    assert len(read_sensor(tmp_path / "d.h5", "wrist").time) > 100 * 20
