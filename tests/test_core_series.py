"""Trains and PLM series (sms_detect.core.series and the detector's use of it)."""

from __future__ import annotations

import numpy as np

from sms_detect.core import detect
from sms_detect.core.series import chain_bounds
from tests.signals import add_leg_movement, add_movement, quiet_night


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
