"""Sleep starts recur: a jerk after the arousal that an earlier jerk caused is still a jerk."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sms_detect.core import DetectorConfig, detect
from tests.signals import add_jerk, add_movement, quiet_night
from tests.streaming import stream_split

FS = 100.0
#: The wake cues alone: a purely impulsive burst needs twice the evidence (see
#: test_core_impulsive.py), which would hide what these tests check.
CUES = DetectorConfig(impulsive_lf_ratio=0.0, jerk_model=0)  # the rules' cues alone


def cluster_night():
    """Still for 150 s, a jerk, its arousal (a 3-s movement 2 s later), a second jerk 10 s
    after the first; then a movement at 300 s and a burst 8 s after it with no jerk before."""
    t, acc = quiet_night(FS, 400.0, seed=4)
    add_jerk(t, acc, 150.0, peak_g=0.8)
    add_movement(t, acc, 152.0, duration_s=3.0, turn_deg=15.0)
    add_jerk(t, acc, 160.0, peak_g=0.6)
    add_movement(t, acc, 300.0, duration_s=3.0, turn_deg=15.0)
    add_jerk(t, acc, 308.0, peak_g=0.6)
    return t, acc


def labels(events) -> dict[int, str]:
    return {round(e.onset): e.label for e in events if e.duration < 1.0}


def test_second_jerk_of_a_cluster_is_a_jerk():
    t, acc = cluster_night()
    got = labels(detect(t, acc, FS, CUES))
    assert got[150] == "hypnic_jerk"
    assert got[160] == "hypnic_jerk"
    # the same burst after the same movement, but with no jerk before it: a wake burst
    assert got[308] == "wake_burst"
    # the cluster rule is what decides: without it the second jerk is a wake burst too
    off = labels(detect(t, acc, FS, CUES.with_overrides({"jerk_cluster_s": 0.0})))
    assert off[150] == "hypnic_jerk"
    assert off[160] == "wake_burst"


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 40_000 - 1), max_size=12))
def test_cluster_labels_do_not_depend_on_the_split(cuts):
    t, acc = cluster_night()
    whole = detect(t, acc, FS)
    got, _ = stream_split(t, acc, FS, cuts)
    key = lambda e: (e.onset, e.label, e.confidence)  # noqa: E731
    assert sorted(map(key, got)) == sorted(map(key, whole))
    assert np.isfinite([e.confidence for e in got]).all()


def _provisional(t, acc, cuts) -> list[tuple[float, str]]:
    return [(e.onset, e.label) for e in stream_split(t, acc, FS, cuts)[1]]


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(1, 40_000 - 1), max_size=12))
def test_early_labels_do_not_depend_on_the_split(cuts):
    """The first (provisional) judgements see the cluster the same way for any blocks."""
    t, acc = cluster_night()
    whole = _provisional(t, acc, [])
    assert (160.0, "hypnic_jerk") in [(round(on), lab) for on, lab in whole]
    assert _provisional(t, acc, cuts) == whole


def test_a_jerk_inside_a_cluster_does_not_extend_it():
    t, acc = quiet_night(FS, 400.0, seed=4)
    add_jerk(t, acc, 150.0, peak_g=0.8)                   # opens a cluster until 240 s
    add_movement(t, acc, 182.0, duration_s=3.0, turn_deg=15.0)
    add_jerk(t, acc, 190.0, peak_g=0.6)                   # inside: a jerk despite the arousal
    add_movement(t, acc, 252.0, duration_s=3.0, turn_deg=15.0)
    add_jerk(t, acc, 260.0, peak_g=0.6)                   # 110 s after the opener: outside
    got = labels(detect(t, acc, FS, CUES))
    assert got[150] == "hypnic_jerk" and got[190] == "hypnic_jerk"
    assert got[260] == "wake_burst"  # the jerk at 190 s (in the cluster) did not extend it
