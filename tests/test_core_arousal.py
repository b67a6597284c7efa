"""A sleep start followed by an arousal movement: the jerk stays a jerk.

A hypnic jerk is often followed, within a second or a few, by an arousal and a movement of
the limb. That movement is a burst of its own: its slow content must not make the jerk a
``movement`` (``lf_own_movement``), and the jerk with the uneven fragments of that movement
must not make a rhythmic train (``train_max_interval_spread``), while a real train with a
missed beat still is one. Both rules look at samples and bursts, never at block edges, so
any split of the stream gives the same events.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sms_detect.core import DetectorConfig, detect
from tests.signals import add_jerk, add_leg_movement, add_tilt, quiet_night
from tests.streaming import stream_split

FS = 100.0


def jerk_then_tilt():
    """A jerk at 150 s, then 1 s later a 30-degree tilt of the limb over 1 s (t s, acc g)."""
    t, acc = quiet_night(FS, 300.0, seed=11)
    add_jerk(t, acc, 150.0, peak_g=0.6)
    add_tilt(t, acc, 151.0, duration_s=1.0, turn_deg=30.0)
    return t, acc


def jerk_then_fragments():
    """A jerk at 150 s, three uneven fragments of an arousal movement after it (intervals
    1.9, 3.4 and 0.6 s), and a foot-tremor train at 1.25 Hz from 220 s with one beat
    missed (t s, acc g)."""
    t, acc = quiet_night(FS, 300.0, seed=12)
    add_jerk(t, acc, 150.0, peak_g=0.6)
    add_leg_movement(t, acc, 151.9, peak_g=0.12)
    add_tilt(t, acc, 155.3, duration_s=0.4, turn_deg=10.0)
    add_tilt(t, acc, 156.0, duration_s=0.4, turn_deg=10.0)
    for k in (0, 1, 2, 4, 5, 6):
        add_jerk(t, acc, 220.0 + 0.8 * k, peak_g=0.3)
    return t, acc


def labels(events, lo: float, hi: float) -> list[str]:
    return [e.label for e in events if lo < e.onset < hi]


@pytest.mark.parametrize("model", [0, 1])
def test_arousal_tilt_after_a_jerk_leaves_it_a_jerk(model):
    t, acc = jerk_then_tilt()
    ev = detect(t, acc, FS, DetectorConfig(jerk_model=model))
    assert labels(ev, 149.0, 150.5) == ["hypnic_jerk"]
    assert labels(ev, 150.5, 153.0) == ["movement"]
    # judged over the whole window, the tilt's slow content makes the jerk a movement
    whole = detect(t, acc, FS, DetectorConfig(jerk_model=model, lf_own_movement=0))
    assert labels(whole, 149.0, 150.5) == ["movement"]


@pytest.mark.parametrize("model", [0, 1])
def test_uneven_fragments_after_a_jerk_are_no_train_but_a_tremor_is(model):
    t, acc = jerk_then_fragments()
    ev = detect(t, acc, FS, DetectorConfig(jerk_model=model))
    assert labels(ev, 149.0, 150.5) == ["hypnic_jerk"]
    after = labels(ev, 150.5, 160.0)
    assert len(after) == 3 and "rhythmic" not in after and "hypnic_jerk" not in after
    assert labels(ev, 215.0, 230.0) == ["rhythmic"] * 6
    # without the check of regularity, the four make a "train"
    any_chain = detect(t, acc, FS, DetectorConfig(jerk_model=model, train_max_interval_spread=0))
    assert labels(any_chain, 149.0, 160.0) == ["rhythmic"] * 4


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scene=st.sampled_from([jerk_then_tilt, jerk_then_fragments]),
       cuts=st.lists(st.integers(14_500, 23_000), max_size=6), tiny=st.booleans())
def test_both_rules_give_the_same_events_for_any_split(scene, cuts, tiny):
    t, acc = scene()
    sl = slice(14_000, 23_500)  # 140-235 s: both scenes' bursts, with quiet before them
    t, acc = t[sl], acc[sl]
    batch = detect(t, acc, FS)
    cuts = [c - 14_000 for c in cuts]
    if tiny:  # a live stream: blocks of 10 samples from 149 to 160 s
        cuts += range(900, 2000, 10)
    got, _ = stream_split(t, acc, FS, cuts)
    assert [(e.onset, e.label, e.confidence) for e in got] == \
           [(e.onset, e.label, e.confidence) for e in batch]
    assert np.any([e.label == "hypnic_jerk" for e in batch])


def test_the_two_rules_check_their_parameters():
    for bad, msg in (({"train_window": 0}, "train_window must be >= 1"),
                     ({"train_window": 2.5}, "whole number"),
                     ({"lf_own_movement": 3}, "lf_own_movement must be 0 or 1")):
        with pytest.raises(ValueError, match=msg):
            DetectorConfig(**bad)
    # a whole number given as a float is used as one (it indexes the chain)
    cfg = DetectorConfig(train_window=2.0, jerk_model=0)
    assert cfg.train_window == 2 and isinstance(cfg.train_window, int)
    t, acc = jerk_then_fragments()
    assert labels(detect(t, acc, FS, cfg), 215.0, 230.0) == ["rhythmic"] * 6
