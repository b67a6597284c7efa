"""Tick -> host time mapping over simulated nights with drift and bursty latency."""

from __future__ import annotations

import numpy as np
import pytest

from sms_detect.devices.clock import ClockMapper

TICK_HZ = 1_000_000


def simulate(
    ppm: float, seed: int, hours: float = 8.0, frame_hz: float = 2.0, start_burst: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frames of a device whose crystal is off by ``ppm``, with bursty random latency.

    Returns raw u32 ticks of each frame's last sample (starting 5 s before a wrap), host
    arrival times (s) and the true host times (s) of those samples.
    """
    rng = np.random.default_rng(seed)
    n = int(hours * 3600 * frame_hz)
    rel = np.arange(n) / frame_hz
    true_host = 5000.0 + rel
    dev_s = rel * (1 + ppm * 1e-6)
    ticks = (2**32 - 5 * TICK_HZ + np.round(dev_s * TICK_HZ).astype(np.int64)) % 2**32
    lat = 0.001 + rng.exponential(0.004, n)  # USB-like base latency
    t = 0.0
    while t < hours * 3600:  # bursts: every ~5 min, 10-90 s, +50..500 ms
        t += rng.exponential(300)
        dur = rng.uniform(10, 90)
        lat[(rel >= t) & (rel < t + dur)] += rng.uniform(0.05, 0.5)
    lat[(rel >= 3 * 3600) & (rel < 3 * 3600 + 200)] += 0.3  # one burst longer than 3 windows
    lat += (rng.random(n) < 0.01) * rng.exponential(0.2, n)  # isolated spikes
    if start_burst:
        lat[rel < 20] += 0.4
    return ticks, true_host + lat, true_host


def run(cm: ClockMapper, ticks: np.ndarray, arrival: np.ndarray) -> np.ndarray:
    """Mapped host time of every frame's tick, as known when that frame arrived."""
    out = np.empty(len(ticks))
    for i in range(len(ticks)):
        cm.observe(int(ticks[i]), float(arrival[i]))
        out[i] = cm.host_of_tick(int(ticks[i]))
    return out


@pytest.mark.parametrize(("ppm", "seed"), [(100.0, 1), (-100.0, 2)])
def test_drift_corrected_within_10ms_over_8h(ppm: float, seed: int) -> None:
    ticks, arrival, true_host = simulate(ppm, seed)
    raw_err = (ticks[-1] - ticks[0]) % 2**32 / TICK_HZ - (true_host[-1] - true_host[0])
    assert abs(raw_err) > 2.5  # the raw device clock is off by ~2.9 s after 8 h
    assert np.max(arrival - true_host) > 0.4  # latency bursts are there
    cm = ClockMapper(TICK_HZ)
    err = run(cm, ticks, arrival) - true_host
    warm = true_host - true_host[0] >= 60.0
    assert np.max(np.abs(err[warm])) < 0.010
    assert np.max(np.abs(err)) < 0.050  # the first minute, too, is far below the latency
    assert cm.skew_ppm == pytest.approx(-ppm, abs=1.0)


def test_start_inside_a_burst_converges_and_stays_monotonic() -> None:
    ticks, arrival, true_host = simulate(60.0, 3, hours=0.5, frame_hz=20.0, start_burst=True)
    mapped = run(ClockMapper(TICK_HZ), ticks, arrival)
    err = mapped - true_host
    assert np.max(np.abs(err[:10])) > 0.3  # fooled at first...
    assert np.max(np.abs(err[true_host - true_host[0] >= 60])) < 0.010  # ...not for long
    assert np.all(np.diff(mapped) > 0.5 / 20.0)  # slewed, never a step backwards


def test_vectorised_mapping_matches_scalar_and_unwraps() -> None:
    ticks, arrival, _ = simulate(20.0, 4, hours=0.2, frame_hz=5.0)
    cm = ClockMapper(TICK_HZ)
    for tk, ar in zip(ticks, arrival, strict=True):
        cm.observe(int(tk), float(ar))
    last = int(ticks[-1])
    back = (last - np.arange(0, 50_000, 10_000)) % 2**32
    vec = cm.host_of_tick(back)
    scal = np.array([cm.host_of_tick(int(b)) for b in back])
    np.testing.assert_allclose(vec, scal, rtol=0, atol=1e-9)
    assert np.all(np.diff(vec) < 0)
    assert cm.device_seconds(last) == pytest.approx(0.2 * 3600 * (1 + 20e-6) - 0.2, abs=1e-3)


def test_reanchor_after_counter_reset_keeps_skew() -> None:
    ticks, arrival, true_host = simulate(-80.0, 5, hours=2.0)
    half = len(ticks) // 2
    # the device restarts at half time: its counter starts again from an arbitrary value
    restarted = (ticks[half:] - ticks[half] + 123_456_789) % 2**32
    cm = ClockMapper(TICK_HZ)
    run(cm, ticks[:half], arrival[:half])
    assert cm.skew_ppm == pytest.approx(80.0, abs=1.0)
    cm.reanchor()
    assert not cm.anchored and cm.skew_ppm == pytest.approx(80.0, abs=1.0)
    err = run(cm, restarted, arrival[half:]) - true_host[half:]
    assert np.max(np.abs(err[60:])) < 0.010  # after 30 s (2 frames/s) back within 10 ms


def test_without_reanchor_a_counter_reset_would_be_wrong() -> None:
    """Guard for the test above: the restart really breaks a mapping that is not re-anchored."""
    ticks, arrival, true_host = simulate(-80.0, 5, hours=2.0)
    half = len(ticks) // 2
    restarted = (ticks[half:] - ticks[half] + 123_456_789) % 2**32
    cm = ClockMapper(TICK_HZ)
    run(cm, ticks[:half], arrival[:half])
    err = run(cm, restarted, arrival[half:]) - true_host[half:]
    assert np.max(np.abs(err[60:])) > 1.0


def test_bad_tick_rate_and_mapping_before_observe() -> None:
    with pytest.raises(ValueError):
        ClockMapper(0)
    with pytest.raises(RuntimeError):
        ClockMapper(1000).host_of_tick(5)


def _frames(fs: float, n: int, seconds: float, first_late_s: float) -> tuple[list, list, list]:
    """BLE-like frames of ``n`` samples (ticks, last tick, arrival) of a device on time, with
    2 ms latency except the first frame, ``first_late_s`` late (the host was busy then)."""
    per_tick = TICK_HZ / fs
    ticks, last, arrival = [], [], []
    for k0 in range(0, int(seconds * fs), n):
        k = np.arange(k0, k0 + n)
        ticks.append(np.round(k * per_tick).astype(np.int64))
        last.append(int(ticks[-1][-1]))
        arrival.append(100.0 + k[-1] / fs + 0.002 + (first_late_s if k0 == 0 else 0.0))
    return ticks, last, arrival


def test_first_frame_latency_is_caught_up_fast_without_time_going_back() -> None:
    """The anchor is the first frame's arrival: a first frame 0.3 s late made every sample
    0.3 s late, corrected at only ``max_slew`` (60 s at BLE's 0.005 s/s), so one limb of a
    two-sensor recording lagged the other by more than the merge tolerance for a minute."""
    fs, n = 100.0, 10  # our BLE firmware: about 100 ms of samples per notification
    ticks, last, arrival = _frames(fs, n, 20.0, first_late_s=0.3)
    cm = ClockMapper(TICK_HZ, max_slew=0.005, max_catchup=0.1)
    mapped = []
    for tk, lt, ar in zip(ticks, last, arrival, strict=True):
        cm.observe(lt, ar)
        mapped.append(np.asarray(cm.host_of_tick(tk)))
    t = np.concatenate(mapped)
    err = t - (100.0 + np.arange(t.size) / fs)
    assert err[0] > 0.29  # fooled by the first frame...
    assert np.max(np.abs(err[t - t[0] >= 4.0])) < 0.010  # ...for a few seconds only
    # a continuous catch-up: intervals shrink by at most 10%, also across frames
    assert np.min(np.diff(t)) >= 0.9 / fs - 1e-9
    assert np.max(np.diff(t)) <= 1.0 / fs + 1e-6


def test_catch_up_defaults_to_max_slew_and_is_bounded() -> None:
    ticks, last, arrival = _frames(100.0, 10, 10.0, first_late_s=0.3)
    cm = ClockMapper(TICK_HZ, max_slew=0.005)
    assert cm.max_catchup == 0.005
    for lt, ar in zip(last, arrival, strict=True):
        cm.observe(lt, ar)
    assert cm.host_of_tick(last[-1]) - arrival[-1] > 0.2  # 10 s at 0.005 s/s: still late
    with pytest.raises(ValueError):
        ClockMapper(TICK_HZ, max_catchup=0.5)


def test_an_old_frame_delivered_again_does_not_turn_time_back() -> None:
    """During a catch-up, a repeated old frame must not move the mapping of later frames."""
    tick_hz, fs, n = 1_000_000, 100.0, 10
    cm = ClockMapper(tick_hz, max_slew=0.005, max_catchup=0.1)
    frames = list(range(0, 3000, n))
    order = frames[:6] + [frames[3]] + frames[6:]  # frame 3 arrives again, later
    prev = -np.inf
    for j, k0 in enumerate(order):
        k = np.arange(k0, k0 + n)
        ticks = np.round(k * tick_hz / fs).astype(np.int64)
        late = 0.3 if j == 0 else (0.05 if j == 6 else 0.0)  # first frame late: catch-up
        cm.observe(int(ticks[-1]), 100.0 + k[-1] / fs + 0.002 + late)
        t = np.asarray(cm.host_of_tick(ticks))
        if j == 6:
            continue  # the duplicate itself is dropped by the source
        assert t[0] > prev, j
        assert np.all(np.diff(t) > 0)
        prev = t[-1]
