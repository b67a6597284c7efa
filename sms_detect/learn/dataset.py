"""Training rows for the learned stage: simulated nights -> burst features and truth.

Each night is simulated with hypnic-jerk kinetics drawn, per night, from ranges wider than
the simulator's defaults (:func:`night_kinetics`), so the trees learn what a jerk looks like
across physically plausible limbs, not one simulator's choices. Every burst the detector
finds (it exceeds the hysteresis thresholds), except those the rules settle for good
(:data:`sms_detect.core.learned.RULE_FINAL`), becomes one row of
:data:`sms_detect.core.learned.FEATURES`; it is a positive when it overlaps a simulated
hypnic jerk that its sensor sees, within the scoring tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sms_detect.core import DetectorConfig, StreamingDetector
from sms_detect.core.learned import FEATURES, RULE_FINAL, candidate_features
from sms_detect.evaluate import TOLERANCE_S
from sms_detect.sim import RATES, simulate_night
from sms_detect.timebase import infer_rate

#: Sensor set-ups cycled through the training nights.
SENSORS = ("wrist", "ankle", "wrist+ankle")
#: First seed of the training nights. The benchmark uses 1000-1999 and 2000-2999; keep
#: training seeds apart from any seed used to report accuracy.
TRAIN_SEED0 = 5000

#: Ranges from which each night's jerk kinetics are drawn: (lowest low, highest low) and
#: (lowest high, highest high) of each field of :class:`sms_detect.sim.physics.JerkPhysics`.
#: Bursts reach from 40 ms to 0.4 s (ICSD-3: 75-250 ms, widened both ways), joints from
#: 1.5 Hz (a relaxed limb) to 14 Hz (a stiff one) with damping ratios from 0.15 (rings for
#: several cycles) to 1 (critically damped), tissue and strap from 8 to 40 Hz.
KINETICS_SPAN = {
    "burst_s": ((0.04, 0.10), (0.17, 0.40)),
    "joint_hz": ((1.5, 3.5), (6.0, 14.0)),
    "joint_damping": ((0.15, 0.35), (0.6, 1.0)),
    "tissue_hz": ((8.0, 15.0), (22.0, 40.0)),
}


@dataclass(frozen=True)
class NightSpec:
    """One training night: seed, rate (Hz), sensors, length (h) and jerk kinetics."""

    seed: int
    rate_hz: float
    sensors: str
    hours: float
    jerk: dict[str, tuple[float, float]]


def night_kinetics(seed: int) -> dict[str, tuple[float, float]]:
    """Jerk kinetics ranges of a training night, drawn from :data:`KINETICS_SPAN` by seed.

    Parameters
    ----------
    seed : int
        The night's seed (the draw uses its own generator, not the simulator's).

    Returns
    -------
    dict
        ``{"burst_s": (low, high), "joint_hz": ..., "joint_damping": ...,
        "tissue_hz": ...}`` (s, Hz, damping ratio, Hz).
    """
    rng = np.random.default_rng([seed, 0x6A65726B])
    return {
        name: (round(float(rng.uniform(*lo)), 4), round(float(rng.uniform(*hi)), 4))
        for name, (lo, hi) in KINETICS_SPAN.items()
    }


def training_specs(n: int, hours: float = 2.0, seed0: int = TRAIN_SEED0) -> list[NightSpec]:
    """``n`` training nights crossing every rate with every sensor set-up.

    Parameters
    ----------
    n : int
        Number of nights.
    hours : float
        Length of each night (h); under 3 h the simulator compresses a night around sleep
        onset, which gives more jerks and confounders per hour of simulation.
    seed0 : int
        First seed.

    Returns
    -------
    list of NightSpec
    """
    return [
        NightSpec(seed0 + i, RATES[i % len(RATES)],
                  SENSORS[(i // len(RATES) + i) % len(SENSORS)], hours,
                  night_kinetics(seed0 + i))
        for i in range(n)
    ]


def night_rows(spec: NightSpec, config: DetectorConfig | None = None) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """Simulate a night and return the features and truth of every burst found.

    Parameters
    ----------
    spec : NightSpec
        The night.
    config : DetectorConfig, optional
        Detector parameters (default: the defaults with the learned stage off, so rows do
        not depend on an earlier model).

    Returns
    -------
    x : ndarray, shape (N, len(FEATURES))
        Features of each burst judged by the learned stage (not settled by the rules).
    y : ndarray of bool, shape (N,)
        True where the burst overlaps a hypnic jerk its sensor sees.
    """
    cfg = config or DetectorConfig(jerk_model=0)
    night = simulate_night(spec.seed, spec.rate_hz, spec.sensors, spec.hours, jerk=spec.jerk)
    jerks = [r for r in night.truth_rows() if r.kind == "hypnic_jerk"]
    xs, ys = [], []
    for block in night.blocks():
        fs = infer_rate(block.time)
        det = StreamingDetector(fs, cfg, block.sensor, provisional=False)
        det.judged = []
        det.push(block.time, block.acc)
        det.flush()
        seen = [(r.onset, r.offset) for r in jerks if block.sensor in r.sensors.split("+")]
        on = np.array([a for a, _ in seen])
        off = np.array([b for _, b in seen])
        for c in det.judged:
            if c.base_label in RULE_FINAL:
                continue
            xs.append(candidate_features(c, cfg.floor_ref_min_g))
            ys.append(bool(np.any((c.onset <= off + TOLERANCE_S)
                                  & (c.offset >= on - TOLERANCE_S))))
    if not xs:
        return np.empty((0, len(FEATURES))), np.empty(0, dtype=bool)
    return np.vstack(xs), np.array(ys, dtype=bool)
