"""Tests of sms_detect.timebase: rate inference and gap finding."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms_detect.timebase import COMMON_RATES_HZ, find_gaps, infer_rate, snap_rate


@pytest.mark.parametrize("fs", COMMON_RATES_HZ)
def test_infer_rate_exact_common_rates(fs: float) -> None:
    t = 1.7e9 + np.arange(2000) / fs
    assert infer_rate(t) == fs


def test_infer_rate_snaps_within_one_percent() -> None:
    t = np.arange(5000) / 100.6  # 0.6 % fast crystal
    assert infer_rate(t) == 100.0


def test_infer_rate_keeps_uncommon_rate() -> None:
    t = np.arange(5000) / 37.0
    assert infer_rate(t) == pytest.approx(37.0, rel=1e-9)


def test_infer_rate_ignores_gaps_and_repeats() -> None:
    t = np.arange(10_000) / 50.0
    t[3000:] += 12.0  # a 12 s radio dropout
    t[6000:] += 0.5
    t = np.insert(t, 100, t[100])  # one repeated time stamp
    assert infer_rate(t) == 50.0


def test_infer_rate_with_jitter() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(20_000) / 208.0 + rng.uniform(-1e-4, 1e-4, 20_000)
    t.sort()
    assert infer_rate(t) == 208.0


def test_infer_rate_quantised_time_stamps() -> None:
    # 833 Hz written with 1 ms resolution: intervals are 1 or 2 ms, median 1 ms.
    t = np.round(np.arange(10_000) / 833.0, 3)
    assert infer_rate(t) == 833.0


@settings(max_examples=100, deadline=None)
@given(
    fs=st.floats(20.0, 2000.0),
    n=st.integers(3, 3000),
    t0=st.floats(-1e6, 2e9),
)
def test_infer_rate_property(fs: float, n: int, t0: float) -> None:
    t = t0 + np.arange(n) / fs
    got = infer_rate(t)
    # float64 time stamps near t0 carry a rounding error of up to one spacing each
    resolution = 2 * float(np.spacing(abs(t0) + n / fs)) * fs
    assert got == pytest.approx(fs, rel=0.0105 + resolution)
    if snap_rate(fs) == fs:
        assert got == pytest.approx(fs, rel=1e-9 + resolution)


@pytest.mark.parametrize(
    ("time", "match"),
    [
        (np.array([0.0]), "at least 2"),
        (np.array([]), "at least 2"),
        (np.array([0.0, 0.01, np.nan, 0.03]), "NaN or infinite value at index 2"),
        (np.array([0.0, 0.01, np.inf]), "NaN or infinite"),
        (np.array([0.0, 0.02, 0.01, 0.03]), "backwards at index 2"),
        (np.array([1.0, 1.0, 1.0]), "no positive interval"),
        (np.zeros((3, 2)), "1-D"),
    ],
)
def test_infer_rate_errors(time: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        infer_rate(time)


def test_find_gaps_basic() -> None:
    t = np.arange(1000) / 100.0
    t[500:] += 3.0
    t[800:] += 0.011  # 2.1 sample periods: a gap at factor 1.5
    gaps = find_gaps(t, 100.0)
    assert gaps.shape == (2, 2)
    assert gaps.dtype == np.float64
    np.testing.assert_allclose(gaps[0], [4.99, 8.0])
    np.testing.assert_allclose(gaps[1], [t[799], t[800]])


def test_find_gaps_none_and_short() -> None:
    t = np.arange(100) / 25.0
    assert find_gaps(t, 25.0).shape == (0, 2)
    assert find_gaps(t[:1], 25.0).shape == (0, 2)
    assert find_gaps(np.array([]), 25.0).shape == (0, 2)


def test_find_gaps_factor() -> None:
    t = np.array([0.0, 0.01, 0.03, 0.04])
    assert find_gaps(t, 100.0, factor=1.5).shape == (1, 2)
    assert find_gaps(t, 100.0, factor=2.5).shape == (0, 2)


@settings(max_examples=100, deadline=None)
@given(
    fs=st.sampled_from([25.0, 100.0, 1000.0]),
    gap_at=st.lists(st.integers(1, 498), unique=True, max_size=10),
    gap_len=st.floats(2.0, 1000.0),
)
def test_find_gaps_property(fs: float, gap_at: list[int], gap_len: float) -> None:
    d = np.full(499, 1.0 / fs)
    d[np.array(gap_at, dtype=int) - 1] = gap_len / fs
    t = np.concatenate([[0.0], np.cumsum(d)])
    gaps = find_gaps(t, fs)
    assert gaps.shape == (len(gap_at), 2)
    np.testing.assert_array_equal(gaps[:, 0], t[np.sort(np.array(gap_at, dtype=int)) - 1])
    assert np.all(gaps[:, 1] - gaps[:, 0] > 1.5 / fs)


@pytest.mark.parametrize("fs", [0.0, -1.0, np.nan, np.inf])
def test_find_gaps_bad_rate(fs: float) -> None:
    with pytest.raises(ValueError, match="fs must be"):
        find_gaps(np.arange(10.0), fs)


def test_find_gaps_unsorted() -> None:
    with pytest.raises(ValueError, match="backwards"):
        find_gaps(np.array([0.0, 0.02, 0.01]), 100.0)
