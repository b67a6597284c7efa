"""``python -m firmware_bridge.emulator`` as a real subprocess, read through its pty."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import serial

from firmware_bridge.emulator import load_source
from sms_detect.devices import wire

EMU = [sys.executable, "-m", "firmware_bridge.emulator"]


def test_cli_streams_a_csv_through_its_link(tmp_path: Path) -> None:
    t = np.arange(300) / 50.0
    acc = np.column_stack([np.sin(t), np.cos(t), np.full_like(t, 1.0)])
    csv = tmp_path / "night.csv"
    np.savetxt(csv, np.column_stack([t, acc]), delimiter=",", header="time,x,y,z", comments="")
    link = tmp_path / "ttyEMU"
    proc = subprocess.Popen(
        EMU + [str(csv), "--link", str(link), "--speed", "3", "--drift-ppm", "50"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == str(link)  # printed once the pty exists
        ser = serial.Serial(str(link), timeout=0.2)
        dec = wire.StreamDecoder()
        frames: list = []
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                frames += dec.feed(ser.read(4096))
            except serial.SerialException:  # the emulator closed its pty at the end
                break
        ser.close()
        _, stderr = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert "sent" in stderr
    samples = [f for f in frames if isinstance(f, wire.SampleFrame)]
    assert samples and all(f.rate_hz == 50.0 for f in samples)
    got = np.concatenate([f.acc for f in samples])
    idx = samples[0].sample_index
    np.testing.assert_allclose(got, acc[idx : idx + len(got)], atol=8 / 32768)
    assert any(isinstance(f, wire.HelloFrame) for f in frames)


def test_cli_bad_source_is_one_line(tmp_path: Path) -> None:
    res = subprocess.run(EMU + [str(tmp_path / "missing.csv")], capture_output=True, text=True)
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [
        f"emulator: error: {tmp_path / 'missing.csv'}: no such file "
        "(give a CSV, an HDF5 night, sim:SEED or synthetic)"
    ]


def test_load_source_kinds(tmp_path: Path) -> None:
    syn = load_source("synthetic:100:200", jerk_every=20.0)
    assert syn.fs == 200.0 and len(syn.time) == 20000 and len(syn.jerk_onsets) == 3
    sim = load_source("sim:3:0.05:50")
    assert sim.fs == 50.0 and sim.acc.shape[1] == 3 and len(sim.time) > 50 * 60
