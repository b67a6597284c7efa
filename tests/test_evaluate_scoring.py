"""evaluate's arithmetic on hand-made nights (exact expected numbers) and matching properties."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms_detect.evaluate import match, pool, score_night
from sms_detect.sim.truth import TruthRow, read_truth, write_truth
from sms_detect.types import EVENT_DTYPE


def events(rows: list[tuple[float, float, str, str]]) -> np.ndarray:
    out = np.zeros(len(rows), dtype=EVENT_DTYPE)
    for i, (on, dur, label, sensor) in enumerate(rows):
        out[i] = (on, dur, label, sensor, 0.5, 10.0, 0.9)
    return out


TRUTH = [
    TruthRow(0.0, 3600.0, "recording", "wrist+ankle"),
    TruthRow(300.0, 300.0, "sleep_onset"),
    TruthRow(10.0, 10.3, "hypnic_jerk", "wrist"),
    TruthRow(20.0, 20.2, "hypnic_jerk", "wrist+ankle"),
    TruthRow(30.0, 30.4, "hypnic_jerk", "ankle"),
    TruthRow(50.0, 52.0, "voluntary", "wrist"),
    TruthRow(60.0, 60.1, "twitch", "ankle"),
    TruthRow(70.0, 73.0, "bed_bump", "wrist+ankle"),
    TruthRow(100.0, 200.0, "phone_use", "wrist"),
]


def test_hand_made_night_exact_numbers() -> None:
    ev = events(
        [
            (10.05, 0.2, "hypnic_jerk", "wrist"),  # TP, error +0.05
            (9.6, 0.1, "hypnic_jerk", "ankle"),  # ends 9.7 < 9.75: FP on nothing (ankle)
            (20.4, 0.1, "hypnic_jerk", "wrist"),  # TP (window ends 20.45), error +0.4
            (10.2, 0.05, "hypnic_jerk", "ankle"),  # second detection of jerk 1: duplicate
            (51.0, 0.3, "hypnic_jerk", "wrist"),  # FP on voluntary (shorter than phone_use)
            (60.3, 0.1, "hypnic_jerk", "ankle"),  # FP on twitch (window to 60.35)
            (30.1, 0.3, "movement", "ankle"),  # other label: neither hit nor FP -> jerk 3 FN
        ]
    )
    sc = score_night(TRUTH, ev, "hand")
    assert (sc.n_true, sc.n_detected, sc.tp, sc.fp, sc.fn) == (3, 6, 2, 4, 1)
    assert sc.precision == pytest.approx(2 / 6)
    assert sc.recall == pytest.approx(2 / 3)
    assert sc.f1 == pytest.approx(4 / 9)
    assert sc.hours == pytest.approx(1.0)
    assert sc.fp_per_hour == pytest.approx(4.0)
    assert sc.median_onset_error == pytest.approx(0.225)
    assert dict(sc.fp_by_confounder) == {"none": 1, "duplicate": 1, "voluntary": 1, "twitch": 1}
    assert sc.missed_peaks == [0.0]


def test_fp_attribution_prefers_shared_sensor_then_shortest() -> None:
    truth = TRUTH + [
        TruthRow(150.0, 150.1, "twitch", "ankle"),
        TruthRow(149.0, 152.0, "flick", "wrist"),
    ]
    ev = events(
        [
            (150.0, 0.2, "hypnic_jerk", "wrist"),  # flick (wrist) beats the shorter ankle twitch
            (150.0, 0.2, "hypnic_jerk", "ankle"),  # twitch is the only ankle one
            (120.0, 0.2, "hypnic_jerk", "ankle"),  # only the wrist's phone_use: falls back to it
        ]
    )
    sc = score_night(truth, ev)
    assert dict(sc.fp_by_confounder) == {"flick": 1, "twitch": 1, "phone_use": 1}


def test_no_detections() -> None:
    sc = score_night(TRUTH, events([]))
    assert (sc.tp, sc.fp, sc.fn) == (0, 0, 3)
    assert math.isnan(sc.precision)
    assert sc.recall == 0.0
    assert math.isnan(sc.f1)
    assert sc.fp_per_hour == 0.0
    assert math.isnan(sc.median_onset_error)
    assert sc.to_dict()["precision"] is None


def test_boundary_touch_counts_and_just_outside_does_not() -> None:
    truth = [TruthRow(0.0, 1800.0, "recording"), TruthRow(10.0, 10.3, "hypnic_jerk", "wrist")]
    assert score_night(truth, events([(10.55, 0.1, "hypnic_jerk", "wrist")])).tp == 1
    assert score_night(truth, events([(9.65, 0.1, "hypnic_jerk", "wrist")])).tp == 1
    sc = score_night(truth, events([(10.5501, 0.1, "hypnic_jerk", "wrist")]))
    assert (sc.tp, sc.fp, sc.fp_per_hour) == (0, 1, 2.0)


def test_matching_maximises_matches_where_greedy_fails() -> None:
    true_iv = np.array([[10.0, 10.3], [10.5, 10.8]])
    # det 0 overlaps both windows and is closest to B; det 1 overlaps only B
    pairs = match(true_iv, np.array([10.45, 10.9]), np.array([0.05, 0.1]))
    assert sorted(pairs) == [(0, 0), (1, 1)]


def test_pool_adds_counts_and_hours() -> None:
    a = score_night(TRUTH, events([(10.05, 0.2, "hypnic_jerk", "wrist")]), "a")
    b = score_night(TRUTH, events([(51.0, 0.3, "hypnic_jerk", "wrist")]), "b")
    p = pool([a, b])
    assert (p.n_true, p.tp, p.fp, p.fn, p.hours) == (6, 1, 1, 5, 2.0)
    assert p.fp_per_hour == pytest.approx(0.5)
    assert p.recall == pytest.approx(1 / 6)


def test_truth_roundtrip(tmp_path) -> None:
    path = tmp_path / "t.truth.csv"
    write_truth(path, TRUTH)
    back = read_truth(path)
    assert sorted((r.kind, r.onset, r.offset, r.sensors) for r in back) == sorted(
        (r.kind, r.onset, r.offset, r.sensors) for r in TRUTH
    )


def _max_matching(ok: np.ndarray) -> int:
    n, m = ok.shape
    best = 0
    for perm in itertools.permutations(range(m), min(n, m)):
        best = max(best, sum(bool(ok[i, j]) for i, j in enumerate(perm) if i < n))
    return best if n <= m else _max_matching(ok.T)


intervals = st.lists(
    st.tuples(st.floats(0, 20, allow_nan=False), st.floats(0, 1, allow_nan=False)),
    min_size=0,
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(true=intervals, det=intervals)
def test_matching_is_one_to_one_valid_and_maximum(true, det) -> None:
    true_iv = np.array([[a, a + d] for a, d in true], dtype=float).reshape(-1, 2)
    on = np.array([a for a, _ in det], dtype=float)
    dur = np.array([d for _, d in det], dtype=float)
    pairs = match(true_iv, on, dur)
    assert len({i for i, _ in pairs}) == len(pairs) == len({j for _, j in pairs})
    ok = (on[None, :] <= true_iv[:, 1:2] + 0.25) & ((on + dur)[None, :] >= true_iv[:, 0:1] - 0.25)
    for i, j in pairs:
        assert ok[i, j]
    if len(true) and len(det):
        assert len(pairs) == _max_matching(ok)


def test_lost_jerk_is_neither_hit_nor_miss() -> None:
    truth = [
        TruthRow(0.0, 3600.0, "recording"),
        TruthRow(10.0, 10.3, "hypnic_jerk", "wrist"),
        TruthRow(40.0, 40.3, "hypnic_jerk_lost", "wrist"),
        TruthRow(39.0, 45.0, "gap", "wrist"),
    ]
    sc = score_night(truth, events([(40.1, 0.2, "hypnic_jerk", "wrist")]))
    assert (sc.n_true, sc.tp, sc.fn, sc.fp) == (1, 0, 1, 1)
    assert dict(sc.fp_by_confounder) == {"hypnic_jerk_lost": 1}
