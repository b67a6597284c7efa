"""The jerks' kinetics can be drawn from other ranges (sensitivity of the detector to them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sms_detect.sim import simulate_night
from sms_detect.sim.physics import JerkPhysics, jerk_physics

ROOT = Path(__file__).resolve().parents[1]
SEED = 21  # 4 jerks in half an hour at the wrist


def _jerks(night):
    return [t for t in night.truth_rows() if t.kind == "hypnic_jerk"]


def _night(**jerk):
    return simulate_night(SEED, 50.0, "wrist", 0.5, wireless=False, jerk=jerk or None)


def test_defaults_give_the_same_night_as_no_override() -> None:
    default = _night()
    explicit = _night(**{f: ",".join(map(str, v)) for f, v in vars(JerkPhysics()).items()})
    assert len(_jerks(default)) >= 3
    assert np.array_equal(default.sensors["wrist"].acc, explicit.sensors["wrist"].acc)
    assert default.truth_rows() == explicit.truth_rows()


def test_burst_duration_range_is_used() -> None:
    bursts = [int(dict(kv.split("=") for kv in t.detail.split(";"))["burst_ms"])
              for t in _jerks(_night(burst_s=(0.3, 0.3)))]  # fmt: skip
    assert bursts and set(bursts) == {300}
    default = [int(dict(kv.split("=") for kv in t.detail.split(";"))["burst_ms"])
               for t in _jerks(_night())]  # fmt: skip
    assert all(75 <= b <= 250 for b in default)


def test_slower_joints_give_longer_jerks() -> None:
    # the truth interval is where the limb's acceleration exceeds 10 % of its peak: a joint
    # of 2 Hz rings down over longer than one of 10 Hz
    def lengths(hz):
        return np.array([t.offset - t.onset for t in _jerks(_night(joint_hz=(hz, hz)))])

    slow, fast = lengths(2.0), lengths(10.0)
    assert len(slow) == len(fast) >= 3
    assert np.all(slow > fast)


@pytest.mark.parametrize(
    ("jerk", "message"),
    [
        ({"burst": "0.1,0.2"}, "unknown jerk field 'burst'"),
        ({"joint_hz": "2"}, "needs two numbers"),
        ({"joint_hz": "2,x"}, "needs two numbers"),
        ({"tissue_hz": (30.0, 10.0)}, "0 < low <= high"),
        ({"burst_s": "0,0.2"}, "0 < low <= high"),
        ({"burst_s": "0.1,inf"}, "0 < low <= high"),
    ],
)
def test_bad_ranges_are_refused(jerk, message) -> None:
    with pytest.raises(ValueError, match=message):
        jerk_physics(jerk)
    with pytest.raises(ValueError, match=message):
        simulate_night(SEED, 50.0, "wrist", 0.1, jerk=jerk)


def test_accuracy_benchmark_refuses_a_bad_range_in_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "accuracy.py"), "--jerk", "joint_hz=6,1"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "0 < low <= high" in proc.stderr
    assert "Traceback" not in proc.stderr
