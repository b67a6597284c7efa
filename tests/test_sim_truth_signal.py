"""The simulator's truth agrees with the signal it wrote; determinism; sensor-model limits."""

from __future__ import annotations

import numpy as np
import pytest

from sms_detect.sim import simulate_night
from sms_detect.sim.truth import CONFOUNDERS


@pytest.fixture(scope="module")
def logger_night():
    # logger source: no radio gaps/glitches, so every jerk's samples are all there
    return simulate_night(11, 100.0, "wrist,ankle", 1.5, wireless=False)


@pytest.fixture(scope="module")
def radio_night():
    return simulate_night(12, 50.0, "wrist", 2.0, wireless=True)


def test_jerk_peak_is_inside_its_truth_interval(logger_night) -> None:
    checked = 0
    for ev in logger_night.jerks():
        for loc, peak in ev.peak.items():
            tr = logger_night.sensors[loc]
            noise = tr.profile.noise_density * np.sqrt(tr.profile.rate_hz / 2)
            if peak < max(0.15, 40 * noise) or peak > 0.8 * tr.profile.range_g:
                continue
            i0, i1 = np.searchsorted(tr.time, [ev.onset - 3.0, ev.offset + 3.0])
            seg = tr.acc[i0:i1]
            dev = np.linalg.norm(seg - np.median(seg, axis=0), axis=1)
            t_peak = tr.time[i0 + int(np.argmax(dev))]
            assert ev.onset - 0.05 <= t_peak <= ev.offset + 0.05, (loc, ev.onset, t_peak)
            checked += 1
    assert checked >= 3


def test_jerk_truth_shapes(logger_night) -> None:
    jerks = logger_night.jerks()
    assert jerks
    for ev in jerks:
        assert 0.08 <= ev.offset - ev.onset <= 0.8
    both = [e for e in jerks if len(e.parts) == 2]
    for ev in both:
        lag = abs(float(ev.detail["lag_ms"]))
        assert 3.0 <= lag <= 50.0


def test_jerks_are_near_sleep_onsets(logger_night) -> None:
    onsets = np.array(logger_night.night.onsets)
    for ev in logger_night.jerks():
        assert np.min(np.abs(onsets - ev.onset)) <= 200.0


def test_gaps_are_missing_samples(radio_night) -> None:
    tr = radio_night.sensors["wrist"]
    fs = tr.profile.rate_hz
    assert tr.gaps, "a 2 h radio night should have dropouts"
    for a, b in tr.gaps:
        inside = np.count_nonzero((tr.time >= a - 0.5 / fs) & (tr.time <= b + 0.5 / fs))
        assert inside == 0
        k = np.searchsorted(tr.time, a)
        assert tr.time[k] - tr.time[k - 1] >= (b - a) + 1.2 / fs
    rows = [r for r in radio_night.truth_rows() if r.kind == "gap"]
    assert len(rows) == len(tr.gaps)
    # away from gaps the spacing is the nominal period within the clock error and jitter
    dt = np.diff(tr.time)
    assert np.median(dt) == pytest.approx(1.0 / fs, rel=1e-3)
    assert dt.min() > 0


def test_glitches_are_far_off_samples(radio_night) -> None:
    tr = radio_night.sensors["wrist"]
    for a, _b, kind in tr.glitches:
        i = np.searchsorted(tr.time, a)
        assert tr.time[i] == pytest.approx(a)
        nb = np.median(tr.acc[max(i - 10, 0) : i - 1], axis=0)
        assert np.max(np.abs(tr.acc[i] - nb)) > 0.3, kind


def test_range_clipping_and_quantisation(logger_night, radio_night) -> None:
    for night in (logger_night, radio_night):
        for tr in night.sensors.values():
            assert np.all(np.abs(tr.acc) <= tr.profile.range_g + 1e-9)
            steps = tr.acc[:5000] / tr.profile.lsb_g
            assert np.allclose(steps, np.round(steps), atol=1e-6)


def test_gravity_magnitude_when_still(logger_night) -> None:
    for tr in logger_night.sensors.values():
        mag = np.linalg.norm(tr.acc, axis=1)
        assert 0.9 < np.median(mag) < 1.1


def test_determinism_by_seed() -> None:
    a = simulate_night(5, 25.0, "wrist,ankle", 0.3)
    b = simulate_night(5, 25.0, "wrist,ankle", 0.3)
    c = simulate_night(6, 25.0, "wrist,ankle", 0.3)
    for loc in ("wrist", "ankle"):
        assert np.array_equal(a.sensors[loc].time, b.sensors[loc].time)
        assert np.array_equal(a.sensors[loc].acc, b.sensors[loc].acc)
    assert a.truth_rows() == b.truth_rows()
    assert not np.array_equal(a.sensors["wrist"].acc[:1000], c.sensors["wrist"].acc[:1000])


@pytest.mark.parametrize("rate", [25.0, 52.0, 104.0, 400.0])
def test_rates(rate) -> None:
    n = simulate_night(1, rate, "ankle", 0.1)
    dt = np.median(np.diff(n.sensors["ankle"].time))
    assert 1.0 / dt == pytest.approx(rate, rel=0.002)


def test_structure_rows_and_confounder_coverage() -> None:
    kinds: set[str] = set()
    for seed in range(6):
        night = simulate_night(seed, 25.0, "wrist,ankle", 2.0)
        rows = night.truth_rows()
        stages = [r for r in rows if r.kind == "stage"]
        assert stages[0].onset == 0.0
        assert stages[-1].offset == pytest.approx(night.duration)
        for x, y in zip(stages, stages[1:], strict=False):
            assert x.offset == pytest.approx(y.onset)
        assert any(r.kind == "sleep_onset" and r.detail == "first=1" for r in rows)
        assert sum(r.kind == "lights_out" for r in rows) == 1
        kinds |= {r.kind for r in rows}
    assert "hypnic_jerk" in kinds
    missing = set(CONFOUNDERS) - kinds - {"rocking", "alma", "foot_tremor", "plm"}
    assert not missing, missing


def test_white_noise_level_matches_the_device_density() -> None:
    night = simulate_night(21, 100.0, "wrist", 0.3, wireless=False, device={"bits": 16})
    tr = night.sensors["wrist"]
    prof = tr.profile
    sigma = prof.noise_density * np.sqrt(1.11 * min(prof.bandwidth_hz, prof.rate_hz / 2))
    # first differences of the quiet first minutes are dominated by the white noise
    d = np.diff(tr.acc[: 60 * 100], axis=0)
    est = np.median(np.abs(d), axis=0) / 0.6745 / np.sqrt(2)
    assert np.all(est > 0.6 * sigma) and np.all(est < 1.8 * sigma), (est, sigma)


def test_events_only_on_simulated_sensors() -> None:
    night = simulate_night(4, 25.0, "ankle", 1.0)
    rows = night.truth_rows()
    assert all(r.sensors in ("", "ankle") for r in rows)
    assert not any(r.kind == "phone_use" for r in rows)  # a phone is held in the hand
