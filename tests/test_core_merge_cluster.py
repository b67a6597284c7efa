"""One-arm jerks in the sleep-onset cluster of a whole-body jerk (sms_detect.core.merge)."""

from __future__ import annotations

import numpy as np

from sms_detect.core import DetectorConfig, MultiSensorDetector, detect
from sms_detect.core.merge import merge_sensor_events
from sms_detect.types import Event
from tests.signals import add_jerk, add_weak_jerk, quiet_night

ORDER = ["wrist", "ankle"]
# the rules alone (the learned stage is tested in test_core_learned)
CFG = DetectorConfig(jerk_model=0)


def jerk(onset: float, sensor: str, conf: float = 0.89) -> Event:
    return Event(onset, 0.3, "hypnic_jerk", sensor, 0.3, 12.0, conf)


def labels(events: list[Event]) -> list[tuple[float, str, str]]:
    return [(e.onset, e.sensor, e.label) for e in events]


def test_one_arm_jerk_after_a_whole_body_jerk_is_kept():
    body = [jerk(10.0, "wrist", 0.9), jerk(10.02, "ankle", 0.9)]
    rest = [
        jerk(12.0, "wrist"),   # 2 s after: closer than a train's interval, no exemption
        jerk(40.0, "wrist"),   # 30 s after: the same cluster
        jerk(45.0, "ankle"),   # a one-leg burst: foot tremor, ALMA and PLM look alike
        jerk(98.0, "wrist"),   # 88 s after the whole-body jerk: still the cluster
        jerk(150.0, "wrist"),  # 140 s after: past jerk_cluster_s
    ]
    out = merge_sensor_events(body + rest, ORDER, CFG)
    assert labels(out) == [
        (10.0, "wrist+ankle", "hypnic_jerk"),
        (12.0, "wrist", "limb_jerk"),
        (40.0, "wrist", "hypnic_jerk"),
        (45.0, "ankle", "limb_jerk"),
        (98.0, "wrist", "hypnic_jerk"),
        (150.0, "wrist", "limb_jerk"),
    ]
    off = merge_sensor_events(body + rest, ORDER, CFG.with_overrides({"jerk_cluster_s": 0.0}))
    assert [e.label for e in off[1:]] == ["limb_jerk"] * 5


def test_only_a_whole_body_jerk_opens_a_cluster():
    # a confident one-limb jerk stays a jerk, but does not vouch for the next one
    out = merge_sensor_events([jerk(10.0, "wrist", 0.97), jerk(30.0, "wrist")], ORDER, CFG)
    assert labels(out) == [(10.0, "wrist", "hypnic_jerk"), (30.0, "wrist", "limb_jerk")]
    # nor does a whole-body event that is not a jerk
    body = [Event(10.0, 2.0, "movement", "wrist", 0.3, 5.0, 0.9),
            Event(10.02, 2.0, "movement", "ankle", 0.3, 5.0, 0.9)]
    out = merge_sensor_events([*body, jerk(30.0, "wrist")], ORDER, CFG)
    assert labels(out)[-1] == (30.0, "wrist", "limb_jerk")


#: A short PLM window, so that each jerk is decided (and released) on its own.
FAST = CFG.with_overrides({"plm_max_interval_s": 10.0})
FS = 100.0


def body_jerk_night(seconds: float, arm_jerks: tuple[float, ...]):
    """Wrist and ankle at rest, a whole-body jerk at 40 s and weak one-arm jerks (confidence
    under single_limb_min_confidence) at ``arm_jerks`` s."""
    t, wrist = quiet_night(FS, seconds, seed=1)
    _, ankle = quiet_night(FS, seconds, seed=2)
    add_jerk(t, wrist, 40.0, peak_g=1.0)
    add_jerk(t, ankle, 40.02, peak_g=1.0, axis=(0.2, 1.0, 0.4))
    for on in arm_jerks:
        add_weak_jerk(t, wrist, on)
    return t, wrist, ankle


def test_cluster_is_carried_across_releases_of_the_live_merge():
    cfg, fs = FAST, FS
    t, wrist, ankle = body_jerk_night(200.0, (80.0,))  # a weak one-arm jerk 40 s later
    batch = merge_sensor_events(
        detect(t, wrist, fs, cfg, "wrist") + detect(t, ankle, fs, cfg, "ankle"), ORDER, cfg)
    got = {round(e.onset): (e.sensor, e.label, e.confidence) for e in batch}
    assert got[40][:2] == ("wrist+ankle", "hypnic_jerk")
    assert got[80][:2] == ("wrist", "hypnic_jerk")
    assert got[80][2] < CFG.single_limb_min_confidence  # kept for the cluster, not its size
    multi = MultiSensorDetector({"wrist": fs, "ankle": fs}, cfg)
    out: list[tuple[int, Event]] = []
    rng = np.random.default_rng(3)
    pos = {"wrist": 0, "ankle": 0}
    calls = 0
    while pos["wrist"] < len(t) or pos["ankle"] < len(t):
        name = ("wrist", "ankle")[int(rng.integers(0, 2))]
        k = pos[name] + int(rng.integers(1, 700))
        sig = wrist if name == "wrist" else ankle
        calls += 1
        out += [(calls, e) for e in multi.push(name, t[pos[name]:k], sig[pos[name]:k])]
        pos[name] = min(k, len(t))
    out += [(calls + 1, e) for e in multi.flush()]
    assert [e for _, e in out] == batch
    when = {round(e.onset): c for c, e in out}
    assert when[40] < when[80]  # released by different calls: the cluster was carried


def test_the_whole_body_cluster_survives_an_absence_of_the_other_sensor():
    """Ankle away 60-100 s: a weak one-arm jerk after its return is still in the cluster of
    the whole-body jerk at 40 s; one long after it is not."""
    cfg, fs = FAST, FS
    t, wrist, ankle = body_jerk_night(300.0, (110.0, 250.0))
    multi = MultiSensorDetector({"wrist": fs, "ankle": fs}, cfg)
    out: list[Event] = []
    away = (t >= 60.0) & (t < 100.0)
    last_ankle = None
    for k in range(0, len(t), 100):
        sl = slice(k, k + 100)
        out += multi.push("wrist", t[sl], wrist[sl])
        m = ~away[sl]
        if m.any():
            out += multi.push("ankle", t[sl][m], ankle[sl][m])
            last_ankle = float(t[sl][m][-1])
        elif "ankle" not in multi.absent:
            out += multi.set_absent("ankle", last_ankle)
    out += multi.flush()
    got = {round(e.onset): (e.sensor, e.label) for e in out}
    assert got[40] == ("wrist+ankle", "hypnic_jerk")
    assert got[110] == ("wrist", "hypnic_jerk")  # 70 s after, the ankle back: the cluster
    assert got[250] == ("wrist", "limb_jerk")    # 210 s after: outside it
    assert multi.n_late == 0
