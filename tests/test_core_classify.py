"""The burst judge's wake-context rule: cues of wake add up (sms_detect.core.classify)."""

from __future__ import annotations

import dataclasses

import pytest

from sms_detect.core import DetectorConfig
from sms_detect.core.classify import Candidate, in_jerk_cluster, judge, wake_evidence
from tests.candidates import drowsy_jerk

CFG = DetectorConfig()


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


def test_absolute_floor_cue_is_off_by_default_and_gated_by_the_rested_floor():
    # a noisy part resting at 3 mg, now 3.2 mg (x1.07: under the floor-ratio band)
    c = drowsy_jerk(floor_g=0.0032, min_floor_g=0.0030)
    assert evidence(c) == 0.0  # default: no absolute floor cue
    on = dataclasses.replace(CFG, awake_floor_g=0.0025)
    # the cue ramps from 2.0 to 3.5 mg: 3.2 mg gives 0.8
    assert wake_evidence(c, 0.0032 / 0.0030, on) == pytest.approx(0.8)
    # at its own floor the part is not restless, whatever its level
    rested = drowsy_jerk(floor_g=0.004, min_floor_g=0.004)
    assert wake_evidence(rested, 1.0, on) == 0.0


def test_sway_cue_ramps_from_half_to_one_and_a_half_times_its_limit():
    lim = CFG.awake_sway_deg
    assert evidence(drowsy_jerk(sway_deg=0.5 * lim)) == 0.0
    assert evidence(drowsy_jerk(sway_deg=lim)) == pytest.approx(0.5)
    assert evidence(drowsy_jerk(sway_deg=1.5 * lim)) == pytest.approx(1.0)
    assert judge(drowsy_jerk(sway_deg=1.5 * lim), CFG)[0] == "wake_burst"
    assert judge(drowsy_jerk(sway_deg=lim), CFG)[0] == "hypnic_jerk"


@pytest.mark.parametrize(
    "name", ["awake_sway_deg", "sway_window_s", "wake_evidence_limit", "jerk_cluster_s",
             "lf_ref_rate_hz", "impulsive_lf_ratio"]
)
def test_new_parameters_reject_negative_values(name):
    with pytest.raises(ValueError, match=f"parameter {name} must be >= 0"):
        DetectorConfig().with_overrides({name: "-0.1"})


def test_limit_must_be_positive():
    with pytest.raises(ValueError, match="wake_evidence_limit"):
        DetectorConfig(wake_evidence_limit=0.0)


@pytest.mark.parametrize("since, label", [
    (20.0, "hypnic_jerk"),   # 20 s after an accepted jerk: the same sleep-onset cluster
    (89.0, "hypnic_jerk"),
    (91.0, "wake_burst"),    # past jerk_cluster_s: the arousal counts as wake again
    (2.0, "wake_burst"),     # closer than a train's longest interval: maybe its next beat
    (float("inf"), "wake_burst"),
])
def test_wake_cues_do_not_count_within_a_jerk_cluster(since, label):
    # moved 2 s before (the arousal after an earlier jerk): a strong cue of wake on its own
    c = drowsy_jerk(quiet_s=2.0, active_fraction=0.4, since_jerk_s=since)
    assert judge(c, CFG)[0] == label
    off = DetectorConfig(jerk_cluster_s=0.0)
    assert judge(c, off)[0] == "wake_burst"


def test_jerk_cluster_keeps_the_other_rules():
    # within a cluster the burst must still look like a jerk, and be calm after
    c = drowsy_jerk(quiet_s=2.0, since_jerk_s=20.0, offset=101.5)  # 1.5 s long
    assert judge(c, CFG)[0] == "movement"
    c = drowsy_jerk(quiet_s=2.0, since_jerk_s=20.0, peak_acc=0.03)
    assert judge(c, CFG)[0] == "twitch"


def test_a_sleep_onset_cluster_is_not_deep_sleep():
    # long stillness alone says deep sleep; a jerk 60 s before says a sleep-onset cluster
    # (the earlier jerk did not count as activity), so the burst stays a jerk
    long = 4 * CFG.max_quiet_s  # over the limit for any burst (at most 3 x, impulsive)
    assert judge(drowsy_jerk(quiet_s=long), CFG)[0] == "sleep_burst"
    assert judge(drowsy_jerk(quiet_s=long, since_jerk_s=60.0), CFG)[0] == "hypnic_jerk"
    # past the cluster it is deep sleep again
    late = drowsy_jerk(quiet_s=long, since_jerk_s=CFG.jerk_cluster_s)
    assert judge(late, CFG)[0] == "sleep_burst"


def test_cluster_window_edges():
    assert not in_jerk_cluster(CFG.train_max_interval_s - 1e-9, CFG)
    assert in_jerk_cluster(CFG.train_max_interval_s, CFG)
    assert in_jerk_cluster(CFG.jerk_cluster_s - 1e-9, CFG)
    assert not in_jerk_cluster(CFG.jerk_cluster_s, CFG)
    assert not in_jerk_cluster(float("inf"), CFG)
