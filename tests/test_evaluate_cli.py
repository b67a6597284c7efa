"""`sms-detect simulate` and `sms-detect evaluate` end to end on a tiny night (subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from sms_detect.io.h5_events import write_events_file
from sms_detect.sim.truth import read_truth
from sms_detect.types import Event


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sms_detect", *args], capture_output=True, text=True, timeout=120
    )


def test_simulate_then_evaluate(tmp_path) -> None:
    base = tmp_path / "tiny"
    r = cli("simulate", "--seed", "3", "--rate", "50", "--hours", "0.4", "-o", str(base))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    csv = (tmp_path / "tiny.csv").read_text().splitlines()
    assert csv[0] == "time,x,y,z"
    data = np.loadtxt(csv[1:], delimiter=",")
    assert data.shape[1] == 4 and np.all(np.diff(data[:, 0]) > 0)
    truth = read_truth(tmp_path / "tiny.truth.csv")
    jerks = [t for t in truth if t.kind == "hypnic_jerk"]
    conf = [t for t in truth if t.kind not in ("hypnic_jerk", "stage", "recording")]
    assert conf
    # a detector that finds every true jerk once plus one false alarm on a confounder
    events = [Event(j.onset + 0.01, 0.3, "hypnic_jerk", "wrist", 0.5, 10.0, 0.9) for j in jerks]
    c = next(t for t in truth if t.kind in ("voluntary", "flick", "scratching", "bed_bump"))
    events.append(Event(c.onset, 0.2, "hypnic_jerk", "wrist", 0.5, 10.0, 0.9))
    events.append(Event(5.0, 1.0, "movement", "wrist", 0.5, 10.0, 0.9))
    ev_path = tmp_path / "tiny.h5"
    write_events_file(ev_path, events, params={}, detector="test")
    r = cli("evaluate", str(tmp_path / "tiny.truth.csv"), str(ev_path), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)["overall"]
    assert out["tp"] == len(jerks)
    assert out["fp"] == 1
    assert out["fn"] == 0
    assert out["fp_per_hour"] == 1 / 0.4
    assert out["median_abs_onset_error_s"] == 0.01
    assert out["fp_by_confounder"] == {c.kind: 1}
    r = cli("evaluate", str(tmp_path / "tiny.truth.csv"), str(ev_path))
    assert r.returncode == 0 and "overall" in r.stdout and "false positives" in r.stdout


def test_simulate_two_sensors_h5(tmp_path) -> None:
    import h5py

    base = tmp_path / "two"
    r = cli(
        "simulate", "--seed", "1", "--rate", "25", "--sensors", "wrist,ankle", "--hours",
        "0.1", "--format", "h5", "-o", str(base),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    with h5py.File(tmp_path / "two.h5") as f:
        assert sorted(f["sensors"]) == ["ankle", "wrist"]
        assert f["sensors/wrist/acc"].shape[1] == 3
        assert f["sensors/ankle"].attrs["units"] == "g"
    assert (tmp_path / "two.truth.csv").exists()


def test_bad_arguments_give_one_line_errors(tmp_path) -> None:
    r = cli("evaluate", str(tmp_path / "only_one.csv"))
    assert r.returncode == 1
    assert r.stderr.startswith("sms-detect: error:") and "pairs" in r.stderr
    r = cli("evaluate", str(tmp_path / "missing.truth.csv"), str(tmp_path / "x.h5"))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    bad = tmp_path / "bad.truth.csv"
    bad.write_text("onset,offset,kind,sensors,peak_g,stage,detail\n1.0,abc,hypnic_jerk,,,,\n")
    ev = tmp_path / "e.h5"
    write_events_file(ev, [], params={}, detector="test")
    r = cli("evaluate", str(bad), str(ev))
    assert r.returncode == 1 and "line 2" in r.stderr
    r = cli("simulate", "--sensors", "elbow", "-o", str(tmp_path / "x"))
    assert r.returncode == 1 and "wrist" in r.stderr


def test_simulate_with_other_jerk_kinetics(tmp_path) -> None:
    base = tmp_path / "slow"
    r = cli("simulate", "--seed", "21", "--rate", "50", "--hours", "0.5", "--source", "logger",
            "--jerk", "burst_s=0.3,0.3", "-o", str(base))  # fmt: skip
    assert r.returncode == 0, r.stderr
    jerks = [t for t in read_truth(tmp_path / "slow.truth.csv") if t.kind == "hypnic_jerk"]
    assert jerks and all("burst_ms=300;" in t.detail for t in jerks)
    for bad, msg in (("joint_hz=6,1", "low <= high"), ("joint_hz", "NAME=LOW,HIGH"),
                     ("elbow_hz=1,2", "unknown jerk field")):  # fmt: skip
        r = cli("simulate", "--jerk", bad, "-o", str(tmp_path / "x"))
        assert r.returncode == 1 and msg in r.stderr and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
