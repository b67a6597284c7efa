"""Postural sway before a burst (epoch-to-epoch turn of gravity): measure and wake cue."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sms_detect.core import DetectorConfig, detect
from sms_detect.core.context import EpochContext
from tests.signals import add_jerk, add_sway, quiet_night


def feed(ctx: EpochContext, t: np.ndarray, acc: np.ndarray, cuts: list[int],
         rows: bool = True) -> None:
    """Feed ``acc`` (N, 3) in blocks; ``rows``: as the detector does, each axis contiguous
    (else a transposed view)."""
    buf = np.ascontiguousarray(acc.T)
    for a, b in zip([0, *cuts], [*cuts, len(t)], strict=True):
        block = buf[:, a:b] if rows else acc[a:b].T
        ctx.update(t[a:b], block, np.zeros(b - a, dtype=bool), np.zeros(b - a))


def test_wander_measures_the_turn_between_epochs():
    fs = 50.0
    t, acc = quiet_night(fs, 120.0, seed=3, noise_g=0.002)
    ctx = EpochContext(epoch=int(5 * fs), angle_deg=10.0, active_fraction=0.3, keep_s=600.0)
    feed(ctx, t, acc, [])
    still = ctx.median_wander_in(0.0, 120.0)
    assert still < 0.05  # 2 mg of white noise: a 5-s mean turns by hundredths of a degree
    # now turn the limb by 0.5 degree per epoch about x
    k = np.arange(len(t)) // int(5 * fs)
    th = np.radians(0.5 * k)
    g = np.stack([np.full(len(t), 0.0), np.sin(th), np.cos(th)], axis=1)
    ctx2 = EpochContext(epoch=int(5 * fs), angle_deg=10.0, active_fraction=0.3, keep_s=600.0)
    feed(ctx2, t, g, [])
    assert abs(ctx2.median_wander_in(10.0, 120.0) - 0.5) < 1e-6


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(1, 5999), max_size=8, unique=True))
@example(cuts=[250])  # an epoch boundary: found a summation-order difference once
@example(cuts=list(range(40, 1200, 37)))  # many blocks shorter than an epoch
@pytest.mark.parametrize("rows", [True, False])
def test_wander_does_not_depend_on_the_split(rows, cuts):
    fs = 50.0
    t, acc = quiet_night(fs, 120.0, seed=5)
    acc = add_sway(t, acc, 20.0, 100.0)
    whole = EpochContext(epoch=250, angle_deg=10.0, active_fraction=0.3, keep_s=600.0)
    feed(whole, t, acc, [], rows)
    split = EpochContext(epoch=250, angle_deg=10.0, active_fraction=0.3, keep_s=600.0)
    feed(split, t, acc, sorted(cuts), rows)
    np.testing.assert_array_equal(whole.wander, split.wander)
    np.testing.assert_array_equal(whole.ends, split.ends)


def test_pending_samples_survive_the_callers_buffer_reuse():
    """The detector hands over views of its own buffer and later overwrites it."""
    fs = 50.0
    t, acc = quiet_night(fs, 60.0, seed=7)
    acc = add_sway(t, acc, 5.0, 55.0, amp_deg=2.0)
    whole = EpochContext(epoch=250, angle_deg=10.0, active_fraction=0.3, keep_s=600.0)
    feed(whole, t, acc, [])
    reused = EpochContext(epoch=250, angle_deg=10.0, active_fraction=0.3, keep_s=600.0)
    scratch = np.empty((3, 100))
    for a in range(0, len(t), 100):  # blocks of 100 samples, shorter than an epoch of 250
        b = min(a + 100, len(t))
        scratch[:, : b - a] = acc[a:b].T
        reused.update(t[a:b], scratch[:, : b - a], np.zeros(b - a, dtype=bool), np.zeros(b - a))
        scratch[:] = np.nan  # the caller moves on and overwrites its buffer
    np.testing.assert_array_equal(whole.wander, reused.wander)


def test_jerk_after_awake_sway_is_a_wake_burst():
    fs = 100.0
    t, acc = quiet_night(fs, 400.0, seed=2)
    add_jerk(t, acc, 150.0, peak_g=0.8)            # after minutes of stillness
    add_sway(t, acc, 200.0, 299.0, amp_deg=2.0)    # awake: the limb wanders, well below 10 deg
    add_jerk(t, acc, 300.0, peak_g=0.8)            # the same burst, amid that sway
    # the sway cue alone, in the rules (see test_core_impulsive)
    cues = DetectorConfig(impulsive_lf_ratio=0.0, jerk_model=0)
    ev = {round(e.onset): e for e in detect(t, acc, fs, cues)}
    assert ev[150].label == "hypnic_jerk"
    assert ev[300].label == "wake_burst"
    # the sway cue is what decides: without it the second burst is a jerk too
    no_sway = cues.with_overrides({"awake_sway_deg": 0.0})
    off = {round(e.onset): e for e in detect(t, acc, fs, no_sway)}
    assert off[300].label == "hypnic_jerk"
