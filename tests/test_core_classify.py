"""The burst judge's wake-context rule: cues of wake add up (sms_detect.core.classify)."""

from __future__ import annotations

import dataclasses

import pytest

from sms_detect.core import DetectorConfig
from sms_detect.core.classify import Candidate, judge, wake_evidence

CFG = DetectorConfig()


def drowsy_jerk(**changes: float) -> Candidate:
    """A 0.5 g, 0.3 s impulsive burst after 5 min of stillness on a quiet sensor."""
    c = Candidate(onset=100.0, offset=100.3, peak_acc=0.5, peak_jerk=15.0, band_rate_hz=30.0,
                  orientation_deg=1.0, quiet_s=300.0, active_fraction=0.0, near_gap=False,
                  lf_ratio=0.2, floor_g=0.0012, min_floor_g=0.0012)
    return dataclasses.replace(c, **changes)


def evidence(c: Candidate) -> float:
    ref = max(c.min_floor_g, CFG.floor_ref_min_g)
    return wake_evidence(c, c.floor_g / ref, CFG)


def test_drowsy_stillness_is_no_evidence_of_wake():
    c = drowsy_jerk()
    assert evidence(c) == 0.0
    assert judge(c, CFG)[0] == "hypnic_jerk"


@pytest.mark.parametrize("changes", [
    {"quiet_s": 2.0},                        # moved 2 s before
    {"active_fraction": 0.4},                # active in 40 % of the last 5 min
    {"floor_g": 0.0030},                     # floor twice the rested one, above 2.5 mg
])
def test_one_strong_cue_is_enough(changes):
    c = drowsy_jerk(**changes)
    assert evidence(c) >= CFG.wake_evidence_limit
    label, conf = judge(c, CFG)
    assert label == "wake_burst" and 0.5 <= conf <= 1.0


def test_moderate_cues_add_up():
    # each alone is within its own limit (stillness 12 s >= 10 s; 13 % active <= 15 %)...
    short_still = drowsy_jerk(quiet_s=12.0)
    some_activity = drowsy_jerk(active_fraction=0.13)
    assert judge(short_still, CFG)[0] == "hypnic_jerk"
    assert judge(some_activity, CFG)[0] == "hypnic_jerk"
    # ... but together they are the picture of a restless wearer
    both = drowsy_jerk(quiet_s=12.0, active_fraction=0.13)
    assert evidence(both) == pytest.approx(evidence(short_still) + evidence(some_activity))
    assert judge(both, CFG)[0] == "wake_burst"


def test_noisy_sensor_at_its_own_floor_is_not_restless():
    # a noisy part rests at 4 mg: the absolute floor cue needs the floor above the rested one
    c = drowsy_jerk(floor_g=0.004, min_floor_g=0.004)
    assert evidence(c) == 0.0
    assert judge(c, CFG)[0] == "hypnic_jerk"


def test_limit_must_be_positive():
    with pytest.raises(ValueError, match="wake_evidence_limit"):
        DetectorConfig(wake_evidence_limit=0.0)
