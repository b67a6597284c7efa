"""Trains and PLM series (sms_detect.core.series and the detector's use of it)."""

from __future__ import annotations

from functools import partial

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sms_detect.core import DetectorConfig, detect
from sms_detect.core.series import chain_bounds, leg_movements
from tests.signals import add_jerk, add_leg_movement, add_movement, add_weak_jerk, quiet_night
from tests.streaming import stream_split


def test_chain_links_intervals_in_range():
    on = np.array([0.0, 20.0, 40.0, 45.0, 100.0, 120.0])
    first, last = chain_bounds(on, 5.0, 30.0)
    assert first.tolist() == [0, 0, 0, 0, 4, 4]
    assert last.tolist() == [3, 3, 3, 3, 5, 5]


def test_a_breaker_ends_a_chain_and_joins_none():
    on = np.array([0.0, 20.0, 40.0, 60.0, 80.0])
    brk = np.array([False, False, True, False, False])
    first, last = chain_bounds(on, 5.0, 30.0, brk)
    assert first.tolist() == [0, 0, 2, 3, 3]
    assert last.tolist() == [1, 1, 2, 4, 4]


def leg_movement(t, acc, onset_s):
    """A ~0.7 s smooth leg movement (as in the PLM test of test_core_api)."""
    add_leg_movement(t, acc, onset_s)


def test_turning_over_ends_a_plm_series():
    fs = 50.0
    t, acc = quiet_night(fs, 400.0, seed=6)
    for k in range(6):  # leg movements every 25 s: a PLM series
        leg_movement(t, acc, 100.0 + 25 * k)
    ev = [e for e in detect(t, acc, fs) if e.onset > 90]
    assert [e.label for e in ev] == ["plm"] * 6
    # the same run with a turn between the 3rd and 4th: two runs of 3, neither a series
    t, acc = quiet_night(fs, 400.0, seed=6)
    for k in range(6):
        leg_movement(t, acc, 100.0 + 25 * k)
    add_movement(t, acc, 160.0, duration_s=3.0, turn_deg=60.0)
    ev = [e for e in detect(t, acc, fs) if e.onset > 90]
    turn = [e for e in ev if 159 < e.onset < 164]
    assert [e.label for e in turn] == ["movement"]
    legs = [e for e in ev if e not in turn]
    assert len(legs) == 6 and "plm" not in {e.label for e in legs}


def test_bursts_less_than_join_s_apart_are_one_leg_movement():
    on = np.array([0.0, 2.0, 3.5, 20.0, 30.0, 33.0])
    off = np.array([0.5, 2.4, 13.0, 20.4, 30.5, 33.2])
    index, first, last_onset, span = leg_movements(on, off, 5.0)
    assert index.tolist() == [0, 0, 0, 1, 2, 2]
    assert first.tolist() == [0, 3, 4]
    assert last_onset.tolist() == [3.5, 20.0, 33.0]
    assert np.allclose(span, [13.0, 0.4, 3.2])
    empty = leg_movements(np.empty(0), np.empty(0), 5.0)
    assert [len(x) for x in empty] == [0, 0, 0, 0]


def release_night(fs: float = 50.0):
    """Six leg movements every 25 s, each seen as its start and, 2 s later, its release."""
    t, acc = quiet_night(fs, 400.0, seed=6)
    for k in range(6):
        add_leg_movement(t, acc, 100.0 + 25 * k)
        add_leg_movement(t, acc, 102.0 + 25 * k, peak_g=0.3)  # the foot returns
    return t, acc


def test_a_series_whose_movements_each_give_two_bursts_is_a_plm_series():
    t, acc = release_night()
    ev = [e for e in detect(t, acc, 50.0) if e.onset > 90]
    assert len(ev) == 12  # the start and the release of each movement are bursts
    assert {e.label for e in ev} == {"plm"}


def release_turns_night(fs: float = 50.0):
    """Leg movements at 100 and 125 s, brief jerks at 150 and 175 s, a leg movement at 200 s
    and, 3 s later, a turn: the turn joins the last movement and makes it a breaker."""
    t, acc = quiet_night(fs, 400.0, seed=6)
    add_leg_movement(t, acc, 100.0)
    add_leg_movement(t, acc, 125.0)
    add_jerk(t, acc, 150.0, peak_g=0.5)
    add_jerk(t, acc, 175.0, peak_g=0.5)
    add_leg_movement(t, acc, 200.0)
    add_movement(t, acc, 203.0, duration_s=3.0, turn_deg=60.0)
    return t, acc


def test_a_movement_is_judged_only_once_no_burst_can_join_it():
    # with the movement at 200 s in its window, the one at 100 s would be a PLM (3 of 5
    # look like leg movements); the turn 3 s later makes that movement a breaker, and then
    # it is not (2 of 4). A stream cut before the turn must wait for it.
    fs = 50.0
    t, acc = release_turns_night(fs)
    whole = detect(t, acc, fs)
    assert [e.label for e in whole if e.onset < 130] == ["movement", "movement"]
    for cut in range(int(200.5 * fs), int(210.0 * fs), 5):
        assert stream_split(t, acc, fs, [cut])[0] == whole, cut / fs


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 20_000 - 1), max_size=12))
def test_leg_movement_series_labels_do_not_depend_on_the_split(cuts):
    for night in (release_night, release_turns_night):
        t, acc = night()
        assert stream_split(t, acc, 50.0, cuts)[0] == detect(t, acc, 50.0)


def test_a_movement_looks_like_a_leg_movement_by_its_first_burst():
    fs = 50.0
    t, acc = quiet_night(fs, 400.0, seed=6)
    for k in range(6):  # a smooth leg movement released with a brief kick: PLM
        add_leg_movement(t, acc, 100.0 + 25 * k)
        add_jerk(t, acc, 102.0 + 25 * k, peak_g=0.5)
    assert {e.label for e in detect(t, acc, fs) if e.onset > 90} == {"plm"}
    t, acc = quiet_night(fs, 400.0, seed=6)
    for k in range(6):  # a brief jerk followed by a smooth movement (its arousal): no PLM
        add_jerk(t, acc, 100.0 + 25 * k, peak_g=0.5)
        add_leg_movement(t, acc, 102.0 + 25 * k)
    assert "plm" not in {e.label for e in detect(t, acc, fs) if e.onset > 90}


def test_a_movement_of_bursts_lasting_over_10_s_ends_a_series():
    fs = 50.0
    t, acc = quiet_night(fs, 400.0, seed=6)
    for k in range(5):
        add_leg_movement(t, acc, 100.0 + 25 * k)
    assert {e.label for e in detect(t, acc, fs) if e.onset > 90} == {"plm"}
    for extra in (179.0, 183.0, 187.0):  # bursts < 5 s apart: one movement of 12+ s at 175 s
        add_leg_movement(t, acc, extra)
    labels = {round(e.onset): e.label for e in detect(t, acc, fs) if e.onset > 90}
    assert "plm" not in labels.values()  # 100-150 s: three movements, then a breaker


def test_a_small_window_waits_until_the_last_movement_of_a_series_is_complete():
    # the turn at 178 s joins the movement at 175 s and makes it a breaker: three movements
    # remain. With plm_window=2 the one at 100 s could be decided on four (review finding).
    fs = 50.0
    t, acc = quiet_night(fs, 400.0, seed=6)
    for on in (100.0, 125.0, 150.0, 175.0):
        add_leg_movement(t, acc, on)
    add_movement(t, acc, 178.0, duration_s=3.0, turn_deg=60.0)
    for window in (1, 2, 4):
        cfg = DetectorConfig(plm_window=window)
        whole = detect(t, acc, fs, cfg)
        assert "plm" not in {e.label for e in whole}
        for cut in range(int(175.5 * fs), int(185.0 * fs), 10):
            assert stream_split(t, acc, fs, [cut], cfg)[0] == whole, (window, cut / fs)


def jerk_in_series_night(fs: float = 50.0, jerk=add_jerk):
    """Six leg movements every 25 s (a PLM series) and a burst 12 s after the third."""
    t, acc = quiet_night(fs, 400.0, seed=6)
    for k in range(6):
        add_leg_movement(t, acc, 100.0 + 25 * k)
    jerk(t, acc, 162.0)
    return t, acc


def test_a_brief_impulsive_sleep_start_in_a_plm_series_stays_a_sleep_start():
    # the burst at 162 s links the series (intervals 12 and 13 s) and 8 of its 9 window
    # neighbours look like leg movements, but it is brief (under plm_like_duration_s) and
    # impulsive (lf_ratio ~0.19): no leg movement (AASM: 0.5-10 s); the series runs on
    fs = 50.0
    t, acc = jerk_in_series_night(fs)
    ev = {round(e.onset): e.label for e in detect(t, acc, fs) if e.onset > 90}
    assert ev.pop(162) == "hypnic_jerk"
    assert sorted(ev) == [100 + 25 * k for k in range(6)]
    assert set(ev.values()) == {"plm"}
    # a leg movement in its place is one more member of the series, and so is a brief
    # burst with slow content (lf_ratio ~0.38), an impulsive burst as long as a leg
    # movement (~0.64 s, lf_ratio ~0.05) or a knock (an impact, whose slow content is not
    # measured)
    knock = partial(add_jerk, peak_g=1.0, freq_hz=12.0, sigma_s=0.03)
    long_jerk = partial(add_jerk, freq_hz=8.0, sigma_s=0.14)
    for other in (add_leg_movement, add_weak_jerk, long_jerk, knock):
        t, acc = jerk_in_series_night(fs, other)
        ev = [e for e in detect(t, acc, fs) if e.onset > 90]
        assert len(ev) == 7 and {e.label for e in ev} == {"plm"}, other


def test_a_movement_that_starts_with_a_sleep_start_is_no_leg_movement_as_a_whole():
    # the jerk at 162 s and a smooth movement 2.5 s later (its arousal) are one movement,
    # which starts with a sleep start: neither of its bursts is a PLM
    fs = 50.0
    t, acc = jerk_in_series_night(fs)
    add_leg_movement(t, acc, 164.5)
    ev = {round(e.onset, 1): e.label for e in detect(t, acc, fs) if 160 < e.onset < 170}
    assert ev == {162.0: "hypnic_jerk", 164.5: "movement"}


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(1, 20_000 - 1), max_size=12))
def test_a_sleep_start_in_a_plm_series_does_not_depend_on_the_split(cuts):
    t, acc = jerk_in_series_night()
    assert stream_split(t, acc, 50.0, cuts)[0] == detect(t, acc, 50.0)
    add_leg_movement(t, acc, 164.5)  # the jerk's arousal: one movement with it
    assert stream_split(t, acc, 50.0, cuts)[0] == detect(t, acc, 50.0)
