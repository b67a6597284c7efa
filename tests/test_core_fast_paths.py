"""The core's fast paths give exactly (bit for bit) what the plain numpy/scipy calls give."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from sms_detect.core.bursts import bursts_from_runs, hysteresis_bursts, second_burst_start
from sms_detect.core.context import median_of
from sms_detect.core.features import glitch_mask, hold_last_good
from sms_detect.core.filters import SosFilter, design_bandpass, sosfilt_rows_inplace
from sms_detect.core.noise import NoiseFloor, greater_into, rolling_quantile

SETTINGS = settings(max_examples=80, deadline=None)


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    h=st.integers(1, 70),
    extra=st.integers(0, 40),
    q=st.one_of(st.sampled_from([0.0, 0.2, 0.5, 1.0]), st.floats(0.0, 1.0)),
    ties=st.booleans(),
)
def test_rolling_quantile_equals_numpy(seed, h, extra, q, ties):
    rng = np.random.default_rng(seed)
    n = h + extra
    x = rng.integers(0, 4, n).astype(float) if ties else rng.lognormal(-6, 2, n)
    got = rolling_quantile(x, h, q)
    want = np.quantile(np.lib.stride_tricks.sliding_window_view(x, h), q, axis=1)
    assert got.shape == (extra + 1,)
    assert np.array_equal(got, want)
    assert got.dtype == np.float64


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    first=st.integers(0, 9),
    k=st.integers(1, 8),
    w=st.integers(1, 9),
    last=st.integers(0, 9),
)
def test_window_threshold_equals_repeat(seed, first, k, w, last):
    rng = np.random.default_rng(seed)
    counts = np.array([first] + [w] * (k - 2) + [last])[:k] if k > 1 else np.array([first])
    values = rng.normal(size=counts.shape[0])
    ref = np.repeat(values, counts)
    x = rng.normal(size=ref.shape[0])
    above = np.empty(ref.shape[0], dtype=bool)
    greater_into(above, x, values, counts)
    assert np.array_equal(above, x > ref)


def _reference_bursts(env, low, high, breaks, max_gap):
    """Plain loops: runs above low (cut at breaks), merged across short gaps, high reached."""
    runs, s = [], None
    for i in range(env.shape[0]):
        up = env[i] > low[i] and not breaks[i]
        if up and s is None:
            s = i
        if not up and s is not None:
            runs.append([s, i])
            s = None
    if s is not None:
        runs.append([s, env.shape[0]])
    groups, reach = [], []
    for a, b in runs:
        hi = bool(np.any(env[a:b] > high[a:b]))
        if groups and a - groups[-1][1] < max_gap and not breaks[groups[-1][1] : a + 1].any():
            groups[-1][1] = b
            reach[-1] |= hi
        else:
            groups.append([a, b])
            reach.append(hi)
    return np.array(groups, dtype=np.int64).reshape(-1, 2), np.array(reach, dtype=bool)


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 60),
    p_break=st.sampled_from([0.0, 0.05, 0.3]),
    max_gap=st.integers(1, 5),
)
def test_hysteresis_equals_reference(seed, n, p_break, max_gap):
    rng = np.random.default_rng(seed)
    env = rng.random(n)
    low = rng.choice([0.3, 0.5, 0.7], n)
    high = low + rng.choice([0.0, 0.2, 0.4], n)
    breaks = rng.random(n) < p_break
    groups, reach = hysteresis_bursts(env, low, high, breaks, max_gap)
    ref_groups, ref_reach = _reference_bursts(env, low, high, breaks, max_gap)
    assert np.array_equal(groups, ref_groups) and groups.dtype == np.int64
    assert np.array_equal(reach, ref_reach)
    above = env > low
    g2, r2 = bursts_from_runs(above, breaks, max_gap, lambda i: env[i] > high[i])
    assert np.array_equal(g2, groups) and np.array_equal(r2, reach)
    assert np.array_equal(above, env > low)  # not modified
    # the second burst's start, shortcut or not, is the second group reaching high
    second = second_burst_start(above, breaks, max_gap, lambda i: env[i] > high[i])
    starts = ref_groups[ref_reach, 0]
    assert second == (int(starts[1]) if starts.shape[0] > 1 else None)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), layout=st.integers(0, 2))
def test_sosfilt_in_place_equals_scipy(seed, n, layout):
    rng = np.random.default_rng(seed)
    sos = design_bandpass(100.0, 1.0, 20.0, 2)
    zi = rng.normal(size=(sos.shape[0], 3, 2))
    base = rng.normal(size=(3, n + 5))
    if layout == 0:  # C-contiguous
        x = base[:, :n].copy()
    elif layout == 1:  # contiguous rows, row stride larger than the row
        x = base[:, 2 : n + 2]
    else:  # no contiguous rows (fancy-indexed transpose)
        x = np.asfortranarray(base[:, :n])
    ref, zf = signal.sosfilt(sos, x, axis=-1, zi=zi)
    z = np.ascontiguousarray(zi.transpose(1, 0, 2))
    y = x.copy(order="K")
    sosfilt_rows_inplace(np.ascontiguousarray(sos), y, z)
    assert np.array_equal(y, ref)
    assert np.array_equal(z.transpose(1, 0, 2), zf)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), cuts=st.lists(st.integers(0, 400), max_size=6))
def test_sos_filter_and_noise_floor_any_split(seed, cuts):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, 400))
    env = rng.lognormal(-6, 1, 400)
    bounds = [0, *sorted(cuts), 400]
    sos = design_bandpass(100.0, 1.0, 20.0, 2)
    one, parts = SosFilter(sos, 3), SosFilter(sos, 3)
    f1, f2 = NoiseFloor(30, 7, 0.2), NoiseFloor(30, 7, 0.2)

    def per_sample(floor: NoiseFloor, part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        floors, mins, counts = floor.update(part)
        return np.repeat(floors, counts), np.repeat(mins, counts)

    whole = one(x)
    floor_whole, min_whole = per_sample(f1, env)
    split = np.concatenate(
        [parts(x[:, a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)], axis=1
    )
    floors, mins = [], []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        fl, mn = per_sample(f2, env[a:b])
        floors.append(fl)
        mins.append(mn)
    assert np.array_equal(split, whole)
    assert np.array_equal(np.concatenate(floors), floor_whole)
    assert np.array_equal(np.concatenate(mins), min_whole)
    assert one.zi.shape == (2, 3, 2)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 80), ties=st.booleans())
def test_median_of_equals_numpy(seed, n, ties):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, n).astype(float) if ties else rng.lognormal(-3, 2, n)
    before = x.copy()
    got = median_of(x)
    assert got == float(np.median(x)) and isinstance(got, float)
    assert np.array_equal(x, before)  # not modified


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), p_bad=st.sampled_from([0.0, 0.1, 0.5]))
def test_hold_last_good_equals_loop_with_contiguous_rows(seed, n, p_bad):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, n))
    bad = rng.random(n) < p_bad
    bad[0] = False
    want = x.copy()
    for k in range(1, n):
        if bad[k]:
            want[:, k] = want[:, k - 1]
    got = hold_last_good(x, bad)
    assert np.array_equal(got, want)
    # rows contiguous, as the band-pass's fast path wants them
    assert got.strides[1] == got.itemsize or n == 1


def _glitches_everywhere(x, min_g, ratio, two_sample):
    """glitch_mask's two tests at every sample, without its screen (plain loops)."""
    n = x.shape[1]
    mask = np.zeros(n, dtype=bool)
    for k in range(2, n - 2):
        dev = np.linalg.norm(x[:, k] - 0.5 * (x[:, k - 1] + x[:, k + 1]))
        if dev > min_g and dev > ratio * np.linalg.norm(x[:, k + 1] - x[:, k - 1]):
            mask[k] = True
        if two_sample and k + 2 < n:
            a, b, c, d = x[:, k - 1], x[:, k], x[:, k + 1], x[:, k + 2]
            dev2 = np.linalg.norm(0.5 * (b + c) - 0.5 * (a + d))
            if dev2 > min_g and dev2 > ratio * np.linalg.norm(d - a):
                mask[k] = mask[k + 1] = True
    return mask


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 40), two_sample=st.booleans(),
       size=st.sampled_from([0.3, 0.5, 0.51, 1.0]), via_einsum=st.booleans())
def test_glitch_screen_skips_no_glitch(seed, n, two_sample, size, via_einsum):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.01, (3, n))
    spikes = rng.random(n) < 0.2  # one- and two-sample excursions near the 0.5 g limit
    x[:, spikes] += rng.normal(0, size, (3, int(spikes.sum())))
    step_sq = None
    if via_einsum and n > 1:  # as the detector computes it
        d = np.diff(x, axis=1)
        step_sq = np.einsum("ij,ij->j", d, d)
    got = glitch_mask(x, 0.5, 4.0, two_sample, step_sq)
    assert np.array_equal(got, _glitches_everywhere(x, 0.5, 4.0, two_sample))


def test_fast_paths_refuse_what_they_cannot_compute():
    with pytest.raises(ValueError, match="at least h"):
        rolling_quantile(np.ones(3), 4, 0.2)
    with pytest.raises(ValueError, match="at least h"):
        rolling_quantile(np.ones(3), 0, 0.2)
    with pytest.raises(ValueError, match="no values"):
        median_of(np.empty(0))
