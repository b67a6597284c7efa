"""``sms-detect record --source stdin`` as a real subprocess fed through a pipe."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from firmware_bridge.emulator import synthetic_stream
from sms_detect.cli import main
from sms_detect.core import StreamingDetector
from sms_detect.io.h5_recording import read_sensor

CMD = [sys.executable, "-m", "sms_detect", "record", "--source", "stdin", "-q"]


def csv_text(t: np.ndarray, acc: np.ndarray, header: bool = True) -> str:
    rows = np.column_stack([t, acc])
    body = "\n".join(",".join(f"{v:.6f}" for v in r) for r in rows)
    return ("time,x,y,z\n" if header else "") + body + "\n"


def run(args: list[str], text: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(CMD + args, input=text, capture_output=True, text=True, timeout=timeout)


def test_stdin_events_match_the_detector_and_file_is_complete(tmp_path: Path) -> None:
    s = synthetic_stream(130.0, 100.0, jerk_every=25.0, seed=2)
    t = s.time + 1000.0  # any origin
    out = tmp_path / "night.h5"
    res = run(["-o", str(out)], csv_text(t, s.acc))
    assert res.returncode == 0, res.stderr
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    det = StreamingDetector(100.0)
    ref = det.push(t, s.acc) + det.flush()
    assert [round(x["onset"], 6) for x in lines] == [round(e.onset, 6) for e in ref]
    for x in lines:
        assert {"onset", "duration", "label", "sensor", "confidence"} <= x.keys()
        assert x["final"] is True
    # every synthetic jerk is seen (whatever label the detector of the day gives it)
    for o in s.jerk_onsets:
        assert min(abs(x["onset"] - 1000.0 - o) for x in lines) < 0.3
    data = read_sensor(out, "wrist")
    np.testing.assert_allclose(data.time, t)
    np.testing.assert_allclose(data.acc, s.acc, atol=1e-6)
    with h5py.File(out, "r") as f:  # plain h5py after a clean end of input
        assert f.attrs["recording_state"] == "complete"
        assert len(f["events"]) == len(lines)


def test_stdin_lines_arrive_over_time_and_without_header(tmp_path: Path) -> None:
    """Lines trickle in; events come out before the input ends."""
    s = synthetic_stream(80.0, 50.0, jerk_every=25.0, seed=5)
    text = csv_text(s.time, s.acc, header=False).splitlines(keepends=True)
    proc = subprocess.Popen(
        CMD + ["--early"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    assert proc.stdin is not None and proc.stdout is not None
    step = 250
    for i in range(0, len(text), step):
        proc.stdin.write("".join(text[i : i + step]))
        proc.stdin.flush()
        time.sleep(0.01)
    first = json.loads(proc.stdout.readline())  # arrives while stdin is still open
    assert first["label"] == "hypnic_jerk" and first["final"] is False
    proc.stdin.close()
    rest = proc.stdout.read()
    assert proc.wait(30) == 0
    assert any(json.loads(x)["final"] for x in rest.splitlines())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("time,x,y,z\n0,0,0,1\n0.01,0,zz,1\n", "line 3: not a number"),
        ("time,x,y,z\n0,0,0,1\n0.01,0,0\n", "line 3: expected 4"),
        ("time,x,y\n0,0,0\n", "line 1: header must name columns time,x,y,z"),
        ("0,0,0,1\n0.01,0,0,1\n0.005,0,0,1\n", "line 3: time does not increase"),
        ("0,0,0,1\n0.01,0,nan,1\n", "line 2: NaN"),
        ("".join(f"{i / 100},0,0,9.81\n" for i in range(100)), "m/s^2"),
    ],
    ids=["text", "columns", "header", "backwards", "nan", "units"],
)
def test_bad_input_gives_one_line_error(
    text: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """In-process CLI (fast) with standard input replaced by a real file descriptor."""
    out = tmp_path / "bad.h5"
    src = tmp_path / "in.csv"
    src.write_text(text)
    with open(src) as fh:
        monkeypatch.setattr(sys, "stdin", fh)
        code = main(["record", "--source", "stdin", "-q", "--rate", "100", "-o", str(out)])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sms-detect: error: stdin: "), err
    assert message in err[0]
    if out.exists():  # never a file that looks like a complete night
        with h5py.File(out, "r") as f:
            assert f.attrs["recording_state"] != "complete"


def test_error_after_hours_keeps_the_night_marked_aborted(tmp_path: Path) -> None:
    """A bad line late in the stream: the samples so far are kept, the file says aborted."""
    s = synthetic_stream(60.0, 100.0)
    text = csv_text(s.time, s.acc) + "60.5,0,0,oops\n"
    out = tmp_path / "night.h5"
    res = run(["-o", str(out)], text)
    assert res.returncode == 1 and "line 6002: not a number" in res.stderr
    with h5py.File(out, "r") as f:
        assert f.attrs["recording_state"] == "aborted"
    assert len(read_sensor(out, "wrist").time) == 6000


def test_empty_input_ends_cleanly() -> None:
    res = run([], "")
    assert res.returncode == 0 and res.stdout == ""
