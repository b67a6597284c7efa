"""Stream == batch: any split of a recording into blocks gives identical events.

The streams here give provisional judgements and `detect` (batch) does not: the decided
events are the same either way.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sms_detect.core import DetectorConfig, MultiSensorDetector, StreamingDetector, detect
from sms_detect.core.detector import CHUNK
from sms_detect.core.merge import merge_sensor_events
from tests.signals import add_jerk, add_movement, quiet_night
from tests.streaming import stream_split

RATES = [25.0, 50.0, 52.0, 100.0, 104.0, 200.0]


def _recording(fs: float, seed: int):
    """A 3-minute night with jerks (some in rhythmic trains), a movement, glitches, gaps."""
    rng = np.random.default_rng(seed)
    t, acc = quiet_night(fs, 180.0, seed)
    for onset in rng.uniform(30, 170, size=4):
        add_jerk(t, acc, onset, peak_g=rng.uniform(0.05, 2.0))
    train0 = rng.uniform(40, 150)
    for k in range(rng.integers(2, 6)):
        add_jerk(t, acc, train0 + k * rng.uniform(0.6, 1.2), peak_g=0.3)
    add_movement(t, acc, rng.uniform(20, 160))
    for k in rng.integers(10, len(t) - 10, size=3):
        acc[k] += rng.normal(0, 3, 3)  # glitches
    keep = np.ones(len(t), bool)
    for g0 in rng.uniform(10, 170, size=2):  # radio dropouts
        keep[(t >= g0) & (t < g0 + rng.uniform(0.1, 3))] = False
    return t[keep], acc[keep]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fs=st.sampled_from(RATES), seed=st.integers(0, 10_000),
       cuts=st.lists(st.floats(0, 1), min_size=1, max_size=40))
@example(fs=200.0, seed=502, cuts=[0.0])  # a burst too short for the jerk low-pass
def test_any_split_gives_identical_events(fs, seed, cuts):
    t, acc = _recording(fs, seed)
    batch = detect(t, acc, fs)
    idx = sorted({int(c * len(t)) for c in cuts})
    assert stream_split(t, acc, fs, idx)[0] == batch


def test_small_blocks_equal_batch_and_find_the_jerks():
    fs = 100.0
    t, acc = quiet_night(fs, 240.0, seed=3)
    for onset in (60.0, 150.0, 200.0):
        add_jerk(t, acc, onset, peak_g=0.6)
    batch = detect(t, acc, fs)
    streamed = stream_split(t, acc, fs, range(10, len(t), 10))[0]
    assert streamed == batch
    jerks = [e for e in batch if e.label == "hypnic_jerk"]
    assert [round(e.onset) for e in jerks] == [60, 150, 200]
    assert all(abs(e.onset - round(e.onset)) < 0.05 for e in jerks)


def test_multi_sensor_stream_equals_batch_merge():
    fs = {"wrist": 50.0, "ankle": 100.0}
    rec = {}
    for i, (name, rate) in enumerate(fs.items()):
        t, acc = quiet_night(rate, 200.0, seed=10 + i)
        for onset in (50.0, 120.0):
            add_jerk(t, acc, onset + 0.02 * i, peak_g=0.5)
        add_jerk(t, acc, 90.0 + 40 * i, peak_g=0.5)  # one-limb jerks
        rec[name] = (t, acc)
    batch = merge_sensor_events(
        [e for n, (t, a) in rec.items() for e in detect(t, a, fs[n], sensor=n)],
        list(fs), DetectorConfig())
    multi = MultiSensorDetector(fs)
    out = []
    pos = dict.fromkeys(fs, 0)
    rng = np.random.default_rng(0)
    while any(pos[n] < len(rec[n][0]) for n in fs):
        n = list(fs)[rng.integers(0, 2)]
        k = pos[n] + int(rng.integers(1, 500))
        t, a = rec[n]
        out += multi.push(n, t[pos[n]:k], a[pos[n]:k])
        pos[n] = min(k, len(t))
    out += multi.flush()
    assert sorted(out, key=lambda e: e.onset) == batch
    both = [e for e in batch if e.sensor == "wrist+ankle"]
    assert [round(e.onset) for e in both] == [50, 120]
    assert {e.sensor for e in batch if e.label == "hypnic_jerk"} >= {"wrist", "ankle"}


def test_splits_right_at_glitches_and_gaps():
    """Block edges next to one- and two-sample glitches and gap edges change nothing."""
    fs = 100.0
    t, acc = quiet_night(fs, 120.0, seed=5)
    acc[3000] += [4.0, 0, 0]  # one-sample glitch
    acc[6000:6002] += [0, 3.0, 0]  # two-sample glitch
    add_jerk(t, acc, 80.0, peak_g=0.4)
    keep = np.ones(len(t), bool)
    keep[9000:9100] = False
    t, acc = t[keep], acc[keep]
    batch = detect(t, acc, fs)
    assert not any(abs(e.onset - 30.0) < 1 or abs(e.onset - 60.0) < 1 for e in batch)
    for k in (3000, 6000, 8999):
        for d in range(-3, 4):
            assert stream_split(t, acc, fs, [k + d])[0] == batch, (k, d)
            assert stream_split(t, acc, fs, [k + d, k + d + 1, k + d + 3])[0] == batch, (k, d)


def test_longer_than_one_internal_chunk_with_jittered_time_stamps():
    """Batch crosses internal chunk edges (CHUNK samples); host time stamps jitter."""
    fs = 200.0
    edge_s = CHUNK / fs  # time of the first chunk edge
    t, acc = quiet_night(fs, edge_s + 90.0, seed=21)
    rng = np.random.default_rng(21)
    t = t + rng.uniform(-0.4, 0.4, len(t)) / fs  # jitter below half a period
    for onset in (100.0, edge_s - 0.18, edge_s + 2.32, edge_s + 80.0):
        add_jerk(t, acc, onset, peak_g=0.6)
    keep = np.ones(len(t), bool)
    keep[CHUNK - 6 : CHUNK + 64] = False  # a gap right at the first chunk edge
    t, acc = t[keep], acc[keep]
    batch = detect(t, acc, fs)
    assert any(abs(e.onset - 100.0) < 0.1 for e in batch)
    every = list(range(5000, len(t), 7919))
    for cuts in ([CHUNK - 1], [1, CHUNK, CHUNK + 1, CHUNK + CHUNK // 3], every):
        assert stream_split(t, acc, fs, cuts)[0] == batch


@pytest.mark.parametrize("fs", [25.0, 100.0])
def test_after_context_option_keeps_stream_equal_batch(fs):
    """With the look-ahead sleep-onset confirmation on, decisions still ignore block edges."""
    cfg = DetectorConfig().with_overrides(
        {"after_s": 60, "max_active_after": 0.1, "max_floor_after_ratio": 1.2})
    for seed in range(3):
        t, acc = _recording(fs, seed)
        batch = sorted(detect(t, acc, fs, cfg), key=lambda e: e.onset)
        det = StreamingDetector(fs, cfg)
        out = []
        for piece in np.array_split(np.arange(len(t)), 37):
            out += det.push(t[piece], acc[piece])
        out += det.flush()
        assert sorted(out, key=lambda e: e.onset) == batch


def test_one_limb_jerk_in_two_sensor_night_needs_high_confidence():
    """Another sensor saw nothing: a weak one-limb jerk becomes limb_jerk, a strong one stays."""
    from sms_detect.types import Event

    weak = Event(10.0, 0.3, "hypnic_jerk", "wrist", 0.2, 10.0, 0.8)
    strong = Event(50.0, 0.3, "hypnic_jerk", "ankle", 0.9, 40.0, 0.97)
    both = [Event(90.0, 0.3, "hypnic_jerk", "wrist", 0.4, 20.0, 0.7),
            Event(90.03, 0.3, "wake_burst", "ankle", 0.3, 15.0, 0.6)]
    cfg = DetectorConfig()
    out = merge_sensor_events([weak, strong, *both], ["wrist", "ankle"], cfg)
    assert [(e.label, e.sensor) for e in out] == [
        ("limb_jerk", "wrist"), ("hypnic_jerk", "ankle"), ("hypnic_jerk", "wrist+ankle")]
    assert out[2].confidence == pytest.approx(0.8)
    alone = merge_sensor_events([weak], ["wrist"], cfg)  # one-sensor recording: unchanged
    assert alone == [weak]


def test_long_quiet_stretch_keeps_deciding_and_memory_bounded():
    """Hours without a burst: the decided horizon follows the data and the buffer stays small.

    Before a fix, a stream with nothing above the low threshold never moved its scan point, so
    confirmed events waited for the next burst and the feature buffer grew with the night.
    """
    fs = 100.0
    t, acc = quiet_night(fs, 1800.0, seed=5)
    add_jerk(t, acc, 100.0, peak_g=0.8)
    det = StreamingDetector(fs)
    sizes = []
    got = []
    for k in range(0, len(t), 1000):
        got += det.push(t[k : k + 1000], acc[k : k + 1000])
        sizes.append(det._b["t"].shape[0])  # internal buffer length (samples)
    # 1700 s of quiet after the jerk: the horizon is within seconds of the data's end
    assert det.decided_until > t[-1] - 5.0
    assert max(sizes[len(sizes) // 2 :]) < 120 * fs  # bounded, not the ~28 min since the jerk
    # the jerk came out before the end of the stream (no flush needed), same as batch
    assert [e.onset for e in got] == [e.onset for e in detect(t, acc, fs)]
