"""The jerks' kinetics can be drawn from other ranges (sensitivity of the detector to them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sms_detect.sim import simulate_night
from sms_detect.sim.models import hypnic_jerk_part
from sms_detect.sim.physics import JerkPhysics, jerk_overrides, jerk_physics, window_s

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


def _burst_ms(night):
    """The EMG burst length (ms) the truth gives for each jerk."""
    return [int(dict(kv.split("=") for kv in t.detail.split(";"))["burst_ms"])
            for t in _jerks(night)]  # fmt: skip


def _lengths(**jerk):
    """Length (s) of each jerk's truth interval (limb acceleration above 10 % of its peak)."""
    return np.array([t.offset - t.onset for t in _jerks(_night(**jerk))])


def test_burst_duration_range_is_used() -> None:
    bursts = _burst_ms(_night(burst_s=(0.3, 0.3)))
    assert bursts and set(bursts) == {300}
    assert all(75 <= b <= 250 for b in _burst_ms(_night()))


def test_slower_joints_give_longer_jerks() -> None:
    # a joint of 2 Hz rings down over longer than one of 10 Hz
    slow, fast = _lengths(joint_hz=(2.0, 2.0)), _lengths(joint_hz=(10.0, 10.0))
    assert len(slow) == len(fast) >= 3
    assert np.all(slow > fast)


def test_lighter_damping_gives_longer_jerks() -> None:
    light, heavy = _lengths(joint_damping=(0.15, 0.15)), _lengths(joint_damping=(1.0, 1.0))
    assert len(light) == len(heavy) >= 3
    assert np.all(light > heavy)


def test_tissue_resonance_sets_the_ringing_frequency() -> None:
    # the same jerks (same draws) through a strap of 12 Hz or of 60 Hz: the soft one rings
    # near 12 Hz, so more of the jerk's energy lies at 9-15 Hz
    def share_9_15_hz(hz, seed):
        physics = JerkPhysics(tissue_hz=(hz, hz))
        part, _ = hypnic_jerk_part(np.random.default_rng(seed), "wrist", 1.0, 0.5, 0.1, None,
                                   physics)  # fmt: skip
        power = (np.abs(np.fft.rfft(part.acc, axis=0)) ** 2).sum(axis=1)
        f = np.fft.rfftfreq(part.acc.shape[0], 1.0 / part.fs)
        return power[(f >= 9.0) & (f < 15.0)].sum() / power.sum()

    for seed in range(5):
        assert share_9_15_hz(12.0, seed) > 1.3 * share_9_15_hz(60.0, seed)


def test_slow_joints_ring_down_inside_the_window() -> None:
    # the simulated window grows with the slowest joint, so a jerk is not cut off mid-ring
    slow = JerkPhysics(joint_hz=(0.5, 0.5), joint_damping=(0.2, 0.2), burst_s=(0.25, 0.25))
    assert window_s(JerkPhysics()) == 1.4
    assert window_s(slow) > 6.0
    part, _ = hypnic_jerk_part(np.random.default_rng(1), "wrist", 1.0, 0.5, 0.25, None, slow)
    mag = np.linalg.norm(part.acc, axis=1)
    assert mag[-100:].max() < 0.05 * mag.max()


@pytest.mark.parametrize(
    ("jerk", "message"),
    [
        ({"burst": "0.1,0.2"}, "unknown jerk field 'burst'"),
        ({"joint_hz": "2"}, "needs two numbers"),
        ({"joint_hz": "2,x"}, "needs two numbers"),
        ({"tissue_hz": (30.0, 10.0)}, "low <= high"),
        ({"burst_s": "0,0.2"}, "low <= high"),
        ({"burst_s": "0.1,inf"}, "low <= high"),
        ({"tissue_hz": "600,900"}, "low <= high <= 200"),
        ({"joint_hz": None}, "needs two numbers"),
        ({"joint_hz": 2.0}, "needs two numbers"),
        ({"joint_hz": "1,2,3"}, "needs two numbers"),
        ({"joint_hz": "nan,2"}, "low <= high"),
    ],
)
def test_bad_ranges_are_refused(jerk, message) -> None:
    with pytest.raises(ValueError, match=message):
        jerk_physics(jerk)
    with pytest.raises(ValueError, match="mapping"):
        jerk_physics([tuple(jerk.items())[0]])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        simulate_night(SEED, 50.0, "wrist", 0.1, jerk=jerk)


def test_accuracy_benchmark_refuses_a_bad_range_in_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "accuracy.py"), "--jerk", "joint_hz=6,1"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "low <= high" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_jerk_options_are_parsed_and_checked() -> None:
    assert jerk_overrides(["joint_hz=1.5,6", " burst_s = 0.1,0.3 "]) == {
        "joint_hz": "1.5,6", "burst_s": "0.1,0.3"}
    assert jerk_overrides([]) == {}
    for items, message in ((["joint_hz"], "NAME=LOW,HIGH"), (["=1,2"], "NAME=LOW,HIGH"),
                           (["joint_hz=1,2", "joint_hz=2,3"], "names joint_hz twice"),
                           (["joint_hz=6,1"], "low <= high")):  # fmt: skip
        with pytest.raises(ValueError, match=message):
            jerk_overrides(items)
