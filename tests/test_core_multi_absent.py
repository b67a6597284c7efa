"""MultiSensorDetector with a sensor that disconnects: merging goes on without it.

Two synthetic sensors (tests/signals.py) fed block by block as a live session would; the
ankle stops for a while (or for good) and is declared absent with ``set_absent``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sms_detect.core import DetectorConfig, MultiSensorDetector, detect
from sms_detect.core.merge import merge_sensor_events
from sms_detect.types import Event
from tests.signals import add_jerk, add_weak_jerk, quiet_night

FS = 100.0
#: Short PLM window: a lone burst is decided 10 s after it when nothing follows (the
#: default 90 s would need long recordings for the same behaviour).
# jerk_cluster_s 0: one-arm jerks after the whole-body one would otherwise count as its
# sleep-onset cluster (tested in test_core_merge_cluster.py); here every one-limb jerk
# needs the single-limb confidence, so what the absence changes shows
# the rules alone: these tests need a jerk below single_limb_min_confidence (rule margins)
CFG = DetectorConfig(jerk_model=0).with_overrides({"plm_max_interval_s": 10.0,
                                                   "jerk_cluster_s": 0.0})
#: Wrist-only jerks spaced > plm_max_interval_s: each is decided on its own.
WRIST_ONLY = (50.0, 75.0, 100.0, 125.0, 150.0, 175.0)
BOTH = 25.0  # a whole-body jerk on both limbs while both stream


def _night(seconds: float = 200.0, both: tuple[float, ...] = (BOTH,)):
    t, wrist = quiet_night(FS, seconds, seed=1)
    _, ankle = quiet_night(FS, seconds, seed=2)
    for on in both:
        add_jerk(t, wrist, on, peak_g=0.5)
        add_jerk(t, ankle, on + 0.02, peak_g=0.5, axis=(0.2, 1.0, 0.4))
    for on in WRIST_ONLY:
        add_weak_jerk(t, wrist, on)
    return t, wrist, ankle


def _feed(t, wrist, ankle, ankle_on, declare=True, block=100, multi=None):
    """Push 1-s blocks of both sensors; the ankle only inside ``ankle_on`` (list of (t0, t1)).

    When the ankle stops, it is declared absent from its last sample (``declare``).
    Returns the detector, the released events and, for each, the stream time it was
    released at (before flush: that block's end; flushed: inf).
    """
    multi = multi or MultiSensorDetector({"wrist": FS, "ankle": FS}, CFG)
    out: list[tuple[float, Event]] = []
    last_ankle = None
    on_mask = np.zeros(len(t), bool)
    for a, b in ankle_on:
        on_mask |= (t >= a) & (t < b)
    for k in range(0, len(t), block):
        sl = slice(k, k + block)
        now = float(t[sl][-1])
        out += [(now, e) for e in multi.push("wrist", t[sl], wrist[sl])]
        m = on_mask[sl]
        if m.any():
            out += [(now, e) for e in multi.push("ankle", t[sl][m], ankle[sl][m])]
            last_ankle = float(t[sl][m][-1])
        elif declare and last_ankle is not None and "ankle" not in multi.absent:
            out += [(now, e) for e in multi.set_absent("ankle", last_ankle)]
    out += [(np.inf, e) for e in multi.flush()]
    return multi, out


def _near(events, onset, tol=0.1):
    return [e for e in events if abs(e.onset - onset) < tol]


def test_present_sensor_events_flow_while_the_other_is_absent():
    t, wrist, ankle = _night()
    multi, out = _feed(t, wrist, ankle, [(0.0, 40.0)])
    assert multi.absent == {"ankle": pytest.approx(40.0 - 1 / FS)}
    events = [e for _, e in out]
    # released while the ankle was away, long before the end of the recording
    early = [e for when, e in out if np.isfinite(when)]
    assert [round(e.onset) for e in early if e.sensor == "wrist"] == [50, 75, 100, 125, 150, 175]
    # the whole-body jerk before the outage is one event of both limbs
    (both,) = _near(events, BOTH)
    assert both.sensor == "wrist+ankle" and both.label == "hypnic_jerk"
    # during the outage a one-limb jerk is judged as in a one-sensor night: the wrist
    # detector's own event, not demoted to limb_jerk for lack of the absent ankle
    alone = detect(t, wrist, FS, CFG, sensor="wrist")
    for on in WRIST_ONLY:
        (e,) = _near(events, on)
        assert e == _near(alone, on)[0]
        assert e.label == "hypnic_jerk" and e.confidence < CFG.single_limb_min_confidence
    # every event once, in onset order
    assert [e.onset for e in events] == sorted(e.onset for e in events)
    assert len({(e.onset, e.sensor) for e in events}) == len(events)
    assert multi.n_late == 0


def test_without_set_absent_events_are_held_until_the_end():
    """The behaviour set_absent fixes: a silent sensor holds every merged event back."""
    t, wrist, ankle = _night()
    _, out = _feed(t, wrist, ankle, [(0.0, 40.0)], declare=False)
    assert not [e for when, e in out if np.isfinite(when) and e.onset > 40.0]
    # and, with both limbs counted, the weak one-limb jerks are limb_jerks
    assert {e.label for _, e in out if e.sensor == "wrist"} == {"limb_jerk"}


def test_nothing_absent_equals_batch_merge():
    t, wrist, ankle = _night()
    _, out = _feed(t, wrist, ankle, [(0.0, np.inf)])
    batch = merge_sensor_events(
        detect(t, wrist, FS, CFG, "wrist") + detect(t, ankle, FS, CFG, "ankle"),
        ["wrist", "ankle"],
        CFG,
    )
    assert [e for _, e in out] == batch


def test_sensor_returns_and_merges_again():
    t, wrist, ankle = _night(both=(BOTH, 160.3))
    multi, out = _feed(t, wrist, ankle, [(0.0, 40.0), (110.0, np.inf)])
    assert multi.absent == {}
    events = [e for _, e in out]
    # absent 40..110: the wrist's jerks there are its own; after the return they need the
    # high single-limb confidence again, and a whole-body jerk is one event once more
    for on in (50.0, 75.0, 100.0):
        assert _near(events, on)[0].label == "hypnic_jerk"
    for on in (125.0, 150.0, 175.0):
        assert _near(events, on)[0].label == "limb_jerk"
    (both,) = _near(events, 160.3)
    assert both.sensor == "wrist+ankle" and both.label == "hypnic_jerk"
    assert [e.onset for e in events] == sorted(e.onset for e in events)
    assert len({(e.onset, e.sensor) for e in events}) == len(events)
    assert multi.n_late == 0


def test_whole_body_jerk_during_absence_is_one_event_of_the_present_limb():
    t, wrist, ankle = _night(both=(BOTH, 60.3))  # the ankle is away at 60.3: wrist only
    multi, out = _feed(t, wrist, ankle, [(0.0, 40.0)])
    (e,) = _near([e for _, e in out], 60.3)
    assert e.sensor == "wrist" and e.label == "hypnic_jerk"
    assert _near([e for when, e in out if np.isfinite(when)], 60.3)  # before flush


def test_absent_from_the_start_and_never_seen():
    t, wrist, ankle = _night()
    multi = MultiSensorDetector({"wrist": FS, "ankle": FS}, CFG)
    assert multi.set_absent("ankle", -np.inf) == []
    _, out = _feed(t, wrist, ankle, [], multi=multi)
    early = [e for when, e in out if np.isfinite(when)]
    assert [round(e.onset) for e in early] == [25, 50, 75, 100, 125, 150, 175]
    assert {e.sensor for _, e in out} == {"wrist"}
    assert {e.label for _, e in out} == {"hypnic_jerk"}


def test_lagging_sensor_declared_absent_gives_late_events_once():
    """The ankle is declared absent but its data was only late: what was released stays;
    its own events before the released time come alone, once, and are counted."""
    t, wrist, ankle = _night(both=(BOTH, 60.3))
    multi = MultiSensorDetector({"wrist": FS, "ankle": FS}, CFG)
    k40, k90 = int(40 * FS), int(90 * FS)
    out = multi.push("ankle", t[:k40], ankle[:k40])
    out += multi.set_absent("ankle", float(t[k40 - 1]))
    out += multi.push("wrist", t[:k90], wrist[:k90])
    released = [e for e in out if e.onset > 40]
    assert [round(e.onset) for e in released] == [50, 60, 75]  # 75: decided at 85 s
    rest = multi.push("ankle", t[k40:], ankle[k40:])  # the delayed ankle data, at last
    rest += multi.push("wrist", t[k90:], wrist[k90:]) + multi.flush()
    assert multi.n_late == 1
    (late,) = [e for e in rest if e.sensor == "ankle"]
    assert abs(late.onset - 60.3) < 0.1  # its jerk, alone: the wrist's one was released
    assert late.label == "hypnic_jerk"
    events = out + rest
    assert len({(e.onset, e.sensor) for e in events}) == len(events)
    assert [round(e.onset) for e in rest if e.sensor == "wrist"] == [100, 125, 150, 175]


def test_errors():
    multi = MultiSensorDetector({"wrist": FS, "ankle": FS}, CFG)
    with pytest.raises(ValueError, match="unknown sensor"):
        multi.set_absent("hip", 0.0)
    t, acc = quiet_night(FS, 10.0)
    multi.push("ankle", t, acc)
    multi.set_absent("ankle", 5.0)  # before its last sample: from its last sample on
    assert multi.absent == {"ankle": pytest.approx(t[-1])}
    assert multi.set_absent("ankle", 20.0) == []  # already absent: unchanged
    assert multi.absent == {"ankle": pytest.approx(t[-1])}
    with pytest.raises(ValueError, match="time goes backwards"):
        multi.push("ankle", t[-5:], acc[-5:])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    off=st.floats(10.0, 120.0),
    down=st.floats(0.5, 60.0),
    block=st.integers(20, 400),
)
def test_any_outage_every_jerk_reported_once_in_order(off, down, block):
    """For any outage and block size: each jerk is reported exactly once, nothing twice,
    and (the ankle being declared absent only after its data stopped) in onset order."""
    t, wrist, ankle = _night(both=(BOTH, 140.3))
    multi, out = _feed(t, wrist, ankle, [(0.0, off), (off + down, np.inf)], block=block)
    events = [e for _, e in out]
    assert multi.n_late == 0
    assert [e.onset for e in events] == sorted(e.onset for e in events)
    assert len({(e.onset, e.sensor) for e in events}) == len(events)
    jerks = [e for e in events if "jerk" in e.label]
    for on in (*WRIST_ONLY, BOTH, 140.3):
        assert len(_near(jerks, on, 0.15)) == 1, (on, events)
