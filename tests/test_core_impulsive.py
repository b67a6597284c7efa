"""Slow content tells a voluntary flick from a sleep start (sms_detect.core.classify):
a fast burst riding on a slow movement is a movement (``lf_ref_rate_hz``), and a purely
impulsive burst needs three times the wake evidence before it to be a wake burst and three
times the stillness to be a sleep burst (``impulsive_lf_ratio``)."""

from __future__ import annotations

import pytest

from sms_detect.core import DetectorConfig, detect
from sms_detect.core.classify import Candidate, judge, lf_limit
from sms_detect.core.merge import merge_sensor_events
from tests.candidates import drowsy_jerk as burst
from tests.signals import add_jerk, add_movement, add_sway, add_tilt, quiet_night

# the rules alone (the learned stage is tested in test_core_learned)
CFG = DetectorConfig(jerk_model=0)
FS = 100.0


def test_lf_limit_falls_with_the_square_of_the_rate_above_the_reference():
    ref, top = CFG.lf_ref_rate_hz, CFG.max_lf_ratio
    assert lf_limit(0.5 * ref, CFG) == top
    assert lf_limit(ref, CFG) == top
    assert lf_limit(2 * ref, CFG) == pytest.approx(top / 4)
    fixed = CFG.with_overrides({"lf_ref_rate_hz": 0.0})
    assert lf_limit(2 * ref, fixed) == top


def test_a_fast_burst_with_slow_content_is_a_movement():
    fast = 1.6 * CFG.lf_ref_rate_hz  # limit max_lf_ratio / 2.56 (and below max_band_rate_hz)
    assert fast < CFG.max_band_rate_hz
    assert judge(burst(band_rate_hz=fast, lf_ratio=0.3), CFG)[0] == "movement"
    assert judge(burst(band_rate_hz=fast, lf_ratio=0.05), CFG)[0] == "hypnic_jerk"
    assert judge(burst(band_rate_hz=30.0, lf_ratio=0.3), CFG)[0] == "hypnic_jerk"
    fixed = CFG.with_overrides({"lf_ref_rate_hz": 0.0})
    assert judge(burst(band_rate_hz=fast, lf_ratio=0.3), fixed)[0] == "hypnic_jerk"


def test_an_impulsive_burst_needs_three_times_the_cues_of_wake():
    imp = CFG.impulsive_lf_ratio
    one_cue = {"quiet_s": 2.0}  # moved 2 s before: one cue, fully on (1.0)
    two_cues = {"quiet_s": 2.0, "active_fraction": 0.4}  # 2.0: over twice the limit (1.6)
    three_cues = {**two_cues, "sway_deg": 2.0 * CFG.awake_sway_deg}  # 3.0 >= 3 x 0.8
    assert judge(burst(lf_ratio=2 * imp, **one_cue), CFG)[0] == "wake_burst"
    assert judge(burst(lf_ratio=imp, **one_cue), CFG)[0] == "hypnic_jerk"
    assert judge(burst(lf_ratio=0.0, **one_cue), CFG)[0] == "hypnic_jerk"
    assert judge(burst(lf_ratio=0.0, **two_cues), CFG)[0] == "hypnic_jerk"
    assert judge(burst(lf_ratio=0.0, **three_cues), CFG)[0] == "wake_burst"
    off = CFG.with_overrides({"impulsive_lf_ratio": 0.0})
    assert judge(burst(lf_ratio=imp, **one_cue), off)[0] == "wake_burst"


def with_evidence(e: float, lf: float) -> Candidate:
    """The burst with wake evidence ``e`` (0-3): the stillness cue first (it ramps from 0 at
    2 x ``pre_still_s`` to 1 at half of it), then the activity cue (0 at 2/3 of
    ``max_active_fraction``, 1 at 4/3 of it), then postural sway (0 at half of
    ``awake_sway_deg``, 1 at 1.5 times it)."""
    still, af, sway = CFG.pre_still_s, CFG.max_active_fraction, CFG.awake_sway_deg
    if e <= 1.0:
        return burst(lf_ratio=lf, quiet_s=2.0 * still - 1.5 * still * e)
    if e <= 2.0:
        return burst(lf_ratio=lf, quiet_s=0.5 * still,
                     active_fraction=af * (2 + 2 * (e - 1.0)) / 3)
    return burst(lf_ratio=lf, quiet_s=0.5 * still, active_fraction=af * 4 / 3,
                 sway_deg=sway * (e - 1.5))


def test_the_wake_limit_ramps_between_one_and_two_impulsive_ratios():
    imp, lim = CFG.impulsive_lf_ratio, CFG.wake_evidence_limit
    for lf, limit in ((imp, 3 * lim), (0.5 * imp, 3 * lim), (1.5 * imp, 2 * lim),
                      (2 * imp, lim), (0.4, lim)):
        assert judge(with_evidence(limit - 0.05, lf), CFG)[0] == "hypnic_jerk", (lf, limit)
        assert judge(with_evidence(limit + 0.05, lf), CFG)[0] == "wake_burst", (lf, limit)


def _labels(t, acc, cfg: DetectorConfig = CFG) -> dict[int, str]:
    return {round(e.onset): e.label for e in detect(t, acc, FS, cfg)}


def test_a_fast_burst_on_an_out_and_back_tilt_is_a_movement_not_a_jerk():
    t, acc = quiet_night(FS, 400.0, seed=2)
    add_jerk(t, acc, 150.0, peak_g=0.8, freq_hz=9.0)   # a fast jerk after minutes of stillness
    add_tilt(t, acc, 299.9, turn_deg=20.0)             # a flick: out and back by 20 deg ...
    add_jerk(t, acc, 300.0, peak_g=0.8, freq_hz=9.0)   # ... with the same fast burst on it
    got = _labels(t, acc)
    assert got[150] == "hypnic_jerk" and got[300] == "movement"
    assert _labels(t, acc, CFG.with_overrides({"lf_ref_rate_hz": 0.0}))[300] == "hypnic_jerk"


def test_amid_sway_an_impulsive_burst_is_a_jerk_and_a_flick_is_not():
    t, acc = quiet_night(FS, 600.0, seed=2)
    add_sway(t, acc, 200.0, 299.0, amp_deg=2.0)        # awake: the limb wanders
    add_jerk(t, acc, 300.0, peak_g=0.8)                # a purely impulsive burst amid it
    add_sway(t, acc, 400.0, 499.0, amp_deg=2.0)
    add_tilt(t, acc, 499.9, turn_deg=20.0)             # the same burst on a flick's tilt
    add_jerk(t, acc, 500.0, peak_g=0.8)
    got = _labels(t, acc)
    assert got[300] == "hypnic_jerk" and got[500] == "wake_burst"
    # the impulsive rule is what decides: without it the first burst is a wake burst too
    off = _labels(t, acc, CFG.with_overrides({"impulsive_lf_ratio": 0.0}))
    assert off[300] == "wake_burst" and off[500] == "wake_burst"


def test_an_impulsive_burst_may_follow_three_times_max_quiet_s_of_stillness():
    q, imp = CFG.max_quiet_s, CFG.impulsive_lf_ratio
    assert judge(burst(lf_ratio=2 * imp, quiet_s=1.1 * q), CFG)[0] == "sleep_burst"
    assert judge(burst(lf_ratio=2 * imp, quiet_s=0.9 * q), CFG)[0] == "hypnic_jerk"
    assert judge(burst(lf_ratio=imp, quiet_s=2.9 * q), CFG)[0] == "hypnic_jerk"
    assert judge(burst(lf_ratio=imp, quiet_s=3.1 * q), CFG)[0] == "sleep_burst"
    assert judge(burst(lf_ratio=1.5 * imp, quiet_s=1.9 * q), CFG)[0] == "hypnic_jerk"
    assert judge(burst(lf_ratio=1.5 * imp, quiet_s=2.1 * q), CFG)[0] == "sleep_burst"
    off = CFG.with_overrides({"impulsive_lf_ratio": 0.0})
    assert judge(burst(lf_ratio=imp, quiet_s=1.1 * q), off)[0] == "sleep_burst"


def test_confidence_is_one_half_at_each_moved_limit_and_rises_past_it():
    imp, q = CFG.impulsive_lf_ratio, CFG.max_quiet_s
    # wake: just past three times the limit, for a purely impulsive burst
    lim = 3 * CFG.wake_evidence_limit
    near, far = with_evidence(lim + 0.01, imp), with_evidence(lim + 0.5, imp)
    assert judge(near, CFG) == ("wake_burst", pytest.approx(0.5, abs=0.01))
    assert judge(far, CFG)[1] > judge(near, CFG)[1] + 0.1
    # stillness: just past three times max_quiet_s
    near, far = burst(lf_ratio=imp, quiet_s=3.01 * q), burst(lf_ratio=imp, quiet_s=4.5 * q)
    assert judge(near, CFG) == ("sleep_burst", pytest.approx(0.5, abs=0.01))
    assert judge(far, CFG)[1] > judge(near, CFG)[1] + 0.1
    # slow content: just past the limit of a fast burst
    fast = 1.6 * CFG.lf_ref_rate_hz
    top = lf_limit(fast, CFG)
    near = burst(band_rate_hz=fast, lf_ratio=1.01 * top)
    far = burst(band_rate_hz=fast, lf_ratio=2.0 * top)
    assert judge(near, CFG) == ("movement", pytest.approx(0.5, abs=0.01))
    assert judge(far, CFG)[1] > judge(near, CFG)[1] + 0.1
    # and a fast jerk's margin on slow content is measured against its own limit
    assert judge(burst(band_rate_hz=fast, lf_ratio=0.5 * top), CFG)[1] > \
        judge(burst(band_rate_hz=fast, lf_ratio=0.95 * top), CFG)[1] + 0.05


def test_a_nan_low_frequency_ratio_leaves_the_wake_rule_on():
    assert judge(burst(lf_ratio=float("nan"), quiet_s=2.0), CFG)[0] == "wake_burst"


@pytest.mark.parametrize("fs", [25.0, 100.0, 1000.0])
@pytest.mark.parametrize("every", [8.0, 25.0])
def test_the_device_emulators_synthetic_jerks_are_hypnic_jerks(fs, every):
    # the emulator feeds `record --emulate` and the latency benchmark: its jerks must be
    # found as jerks at every rate, also when they come every 8 s (not a PLM series)
    from firmware_bridge.emulator import synthetic_stream

    s = synthetic_stream(200.0, fs, every)
    ev = detect(s.time, s.acc, fs)
    assert [e.label for e in ev] == ["hypnic_jerk"] * len(s.jerk_onsets)
    assert max(abs(e.onset - on) for e, on in zip(ev, s.jerk_onsets, strict=True)) < 0.05


def test_a_purely_impulsive_jerk_is_confident_whatever_its_other_margins():
    imp, top = CFG.impulsive_lf_ratio, CFG.single_limb_min_confidence
    # a small burst after some activity: two margins low
    near = {"peak_acc": 1.2 * CFG.min_jerk_peak_g, "active_fraction": 0.6 * CFG.max_active_fraction}
    assert judge(burst(lf_ratio=0.3, **near), CFG)[1] < top
    assert judge(burst(lf_ratio=imp, **near), CFG) == ("hypnic_jerk", 1.0)
    off = CFG.with_overrides({"impulsive_lf_ratio": 0.0})
    assert judge(burst(lf_ratio=imp, **near), off)[1] < top
    # half impulsive: 0.75, or the margins' confidence if higher
    half = burst(lf_ratio=1.5 * imp, **near)
    assert judge(half, CFG)[1] == pytest.approx(max(0.75, judge(half, off)[1]))
    low = burst(lf_ratio=1.5 * imp, **near, orientation_deg=0.9 * CFG.max_orientation_change_deg,
                offset=100.0 + 0.9 * CFG.max_jerk_duration_s)
    assert judge(low, off)[1] < 0.75 and judge(low, CFG)[1] == pytest.approx(0.75)


def _two_sensor_labels(freq_hz: float, cfg: DetectorConfig = CFG) -> list[str]:
    t, wrist = quiet_night(FS, 400.0, seed=3)
    _, ankle = quiet_night(FS, 400.0, seed=4)
    for k in range(4):  # some activity in the minutes before lowers the jerk's confidence
        add_movement(t, wrist, 60.0 + 40.0 * k)
    add_jerk(t, wrist, 300.0, peak_g=0.3, freq_hz=freq_hz)  # the ankle sees nothing
    events = detect(t, wrist, FS, cfg, "wrist") + detect(t, ankle, FS, cfg, "ankle")
    return [e.label for e in merge_sensor_events(events, ["wrist", "ankle"], cfg)
            if e.onset > 250.0]


def test_a_purely_impulsive_one_limb_jerk_is_kept_in_a_two_sensor_night():
    # a fast 9 Hz burst has nothing below 2 Hz; a 5 Hz one under the same envelope some
    assert _two_sensor_labels(9.0) == ["hypnic_jerk"]
    assert _two_sensor_labels(5.0) == ["limb_jerk"]
    off = CFG.with_overrides({"impulsive_lf_ratio": 0.0})
    assert _two_sensor_labels(9.0, off) == ["limb_jerk"]
