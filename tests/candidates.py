"""A burst's features for the judge's unit tests (sms_detect.core.classify.Candidate)."""

from __future__ import annotations

import dataclasses

from sms_detect.core.classify import Candidate


def drowsy_jerk(**changes: float) -> Candidate:
    """A 0.5 g, 0.3 s burst (band rate 30 /s, low-frequency ratio 0.3: not purely impulsive)
    after 5 min of stillness on a quiet sensor; ``changes`` replace fields."""
    c = Candidate(onset=100.0, offset=100.3, peak_acc=0.5, peak_jerk=15.0, band_rate_hz=30.0,
                  orientation_deg=1.0, quiet_s=300.0, active_fraction=0.0, near_gap=False,
                  lf_ratio=0.3, floor_g=0.0012, min_floor_g=0.0012)
    return dataclasses.replace(c, **changes)
