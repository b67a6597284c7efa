"""Judge each burst: hypnic jerk, or the confounder it looks like.

Rules follow ``science.md``: a hypnic jerk is a brief (< ~0.6 s of limb motion), impulsive
transient of at least ~0.1 g, with little change of orientation, after a period of drowsy
stillness. Longer or smoother bursts, bursts amid activity, tiny twitches, bursts at gaps and
members of rhythmic trains or PLM series are something else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sms_detect.core.config import DetectorConfig
from sms_detect.types import HYPNIC_JERK

#: Labels the detector gives (interfaces.md allows adding, never removing).
LABELS = (
    HYPNIC_JERK,
    "movement",  # long or posture-changing voluntary movement, turning over
    "wake_burst",  # brief burst amid activity (a flick or knock while awake)
    "impact",  # a knock: the limb strikes the bed, its frame or the other limb (broadband)
    "twitch",  # too small for a jerk (fragmentary myoclonus, small twitches)
    "rhythmic",  # member of a rhythmic train (foot tremor, ALMA, rhythmic movements)
    "plm",  # member of a periodic limb movement series
    "artifact",  # at a gap or a glitch
    "sleep_burst",  # jerk-like, but deep in established sleep (long after any movement)
    "limb_jerk",  # jerk-like on one limb only while other sensors saw nothing (see merge)
)


#: The absolute awake floor counts only where the floor is also above the lowest one seen by
#: this factor: a noisy sensor at rest sits at its own floor and is not "restless".
AWAKE_ABS_MIN_RATIO = 1.05

#: Window (s) at the start of a burst whose share of its energy is ``early_energy``.
RISE_WINDOW_S = 0.2

#: Half-width of the band over which the floor-ratio cue of :func:`wake_evidence` ramps.
WAKE_RATIO_BAND = 0.15


@dataclass
class Candidate:
    """A burst with the features its label is judged on (times in s, acc in g).

    ``band_rate_hz`` is the peak jerk below 40 Hz over the 1-20 Hz peak (1/s): about 2 pi
    times the burst's dominant frequency, larger for broadband bursts; ``lf_ratio`` is the
    0.2-2 Hz content relative to the 1-20 Hz peak (from the onset until ``long_post_s``
    after the end, or until the next burst begins if sooner); ``floor_g`` the noise floor of the
    band-passed envelope when the burst began and ``min_floor_g`` the lowest floor seen so
    far in the stream (the sensor's own noise once the wearer has rested); ``sway_deg`` the
    median turn of the gravity direction from one 5-s epoch to the next before the burst
    (degrees); ``since_jerk_s`` the time since the onset of the jerk that opened the latest
    sleep-onset cluster on this sensor (s; inf: none; see :func:`in_jerk_cluster`);
    ``rise_s`` the time from the onset to the peak of the band-passed magnitude (s) and
    ``early_energy`` the share of the band-passed energy of the burst's core (onset to
    ``offset``) in its first ``RISE_WINDOW_S`` (0..1): a jerk rises at once, a voluntary
    movement builds up.
    """

    onset: float
    offset: float
    peak_acc: float
    peak_jerk: float
    band_rate_hz: float
    orientation_deg: float
    quiet_s: float
    active_fraction: float
    near_gap: bool
    lf_ratio: float = 0.0
    floor_g: float = 0.0
    min_floor_g: float = np.inf
    active_after: float = 0.0
    floor_after_ratio: float = 1.0
    sway_deg: float = 0.0
    since_jerk_s: float = np.inf
    rise_s: float = 0.0
    early_energy: float = 0.0
    label: str = ""
    confidence: float = 0.0
    base_label: str = ""
    decided: bool = False

    @property
    def duration(self) -> float:
        """Burst length (s)."""
        return self.offset - self.onset


def _ramp(x: float, lo: float, hi: float) -> float:
    """0 at ``lo``, 1 at ``hi``, linear between (either direction); a step up at ``hi`` when
    the two are equal."""
    if hi == lo:
        return 1.0 if x >= hi else 0.0
    v = float((x - lo) / (hi - lo))
    return min(max(v, 0.0), 1.0) if v == v else v  # np.clip's result, without its overhead


def wake_evidence(c: Candidate, floor_ratio: float, cfg: DetectorConfig) -> float:
    """Sum of the cues that the wearer was awake before a burst (0: drowsy stillness).

    Each cue ramps from 0 to 1 across a band centred on its limit: stillness before the
    burst (1 at ``pre_still_s / 2`` s or less, 0 from ``2 * pre_still_s``), the fraction of
    active epochs (``max_active_fraction`` +- a third), the noise floor over the rested
    floor (``awake_floor_ratio`` +- ``WAKE_RATIO_BAND``), the absolute floor
    (``awake_floor_g`` -20 %/+40 %, counted only above ``AWAKE_ABS_MIN_RATIO`` x the rested
    floor; 0: not used) and the postural sway before the burst (``awake_sway_deg`` x 0.5 to
    x 1.5, in degrees; 0: not used). Several moderate cues together count like one strong
    one.

    Parameters
    ----------
    c : Candidate
        The burst (quiet_s in s, active_fraction 0..1, floor_g in g, sway_deg in degrees).
    floor_ratio : float
        Its noise floor over the reference floor (ratio).
    cfg : DetectorConfig
        Limits (see above).

    Returns
    -------
    float
        Evidence of wake, 0 and up (each cue adds at most 1).
    """
    still = cfg.pre_still_s
    af = cfg.max_active_fraction
    ev = _ramp(c.quiet_s, 2.0 * still, 0.5 * still) if still > 0 else 0.0
    ev += _ramp(c.active_fraction, af * 2 / 3, af * 4 / 3) if af > 0 else 0.0
    ev += _ramp(floor_ratio, cfg.awake_floor_ratio - WAKE_RATIO_BAND,
                cfg.awake_floor_ratio + WAKE_RATIO_BAND)
    if cfg.awake_floor_g > 0 and floor_ratio > AWAKE_ABS_MIN_RATIO:
        ev += _ramp(c.floor_g, 0.8 * cfg.awake_floor_g, 1.4 * cfg.awake_floor_g)
    if cfg.awake_sway_deg > 0:
        ev += _ramp(c.sway_deg, 0.5 * cfg.awake_sway_deg, 1.5 * cfg.awake_sway_deg)
    return ev


def lf_limit(rate: float, cfg: DetectorConfig) -> float:
    """Largest low-frequency ratio of a hypnic jerk whose band rate is ``rate`` (1/s).

    ``cfg.max_lf_ratio`` up to ``cfg.lf_ref_rate_hz``, falling with the square of the rate
    above it (see :class:`DetectorConfig`).

    Parameters
    ----------
    rate : float
        The burst's band rate (1/s), about 2 pi times its dominant frequency (Hz).
    cfg : DetectorConfig
        ``max_lf_ratio`` (ratio) and ``lf_ref_rate_hz`` (1/s; 0: a fixed limit).

    Returns
    -------
    float
        The limit (ratio of the 0.2-2 Hz peak to the 1-20 Hz peak).
    """
    ref = cfg.lf_ref_rate_hz
    if ref > 0 and rate > ref:
        return cfg.max_lf_ratio * (ref / rate) ** 2
    return cfg.max_lf_ratio


def impulsiveness(lf_ratio: float, cfg: DetectorConfig) -> float:
    """How purely impulsive a burst is, from its low-frequency ratio (0..1).

    1 at ``cfg.impulsive_lf_ratio`` or less, 0 from twice that, linear between; always 0
    when ``impulsive_lf_ratio`` is 0 or the ratio is not finite. A purely impulsive burst
    needs three times the wake evidence before it to be a ``wake_burst`` (the cues after a
    burst are unchanged) and three times ``max_quiet_s`` of stillness to be a ``sleep_burst``
    (see :class:`DetectorConfig`).

    Parameters
    ----------
    lf_ratio : float
        The burst's 0.2-2 Hz peak over its 1-20 Hz peak (ratio).
    cfg : DetectorConfig
        ``impulsive_lf_ratio`` (ratio; 0: off).

    Returns
    -------
    float
        0 (slow content) to 1 (none).
    """
    lim = cfg.impulsive_lf_ratio
    if lim <= 0 or not np.isfinite(lf_ratio):
        return 0.0
    return _ramp(lf_ratio, 2 * lim, lim)


def in_jerk_cluster(since_jerk_s: float, cfg: DetectorConfig) -> bool:
    """Whether a burst lies in the sleep-onset cluster opened by an earlier jerk.

    Parameters
    ----------
    since_jerk_s : float
        Time (s) from the onset of the jerk that opened the cluster to the burst's onset
        (inf: none).
    cfg : DetectorConfig
        ``train_max_interval_s`` and ``jerk_cluster_s`` (s) bound the window.

    Returns
    -------
    bool
        True from ``train_max_interval_s`` up to (not including) ``jerk_cluster_s``.
    """
    return cfg.train_max_interval_s <= since_jerk_s < cfg.jerk_cluster_s


def opens_jerk_cluster(c: Candidate, cfg: DetectorConfig) -> bool:
    """Whether a judged burst opens a sleep-onset cluster: a hypnic jerk judged with the
    cues of wake counted, i.e. not inside an earlier cluster (``c.since_jerk_s`` in s).

    A jerk inside a cluster does not extend it, else one false jerk could exempt every
    later burst of a restless evening.
    """
    return c.label == HYPNIC_JERK and not in_jerk_cluster(c.since_jerk_s, cfg)


def judge(c: Candidate, cfg: DetectorConfig) -> tuple[str, float]:
    """Label a burst from its own features and causal context.

    Parameters
    ----------
    c : Candidate
        The burst's features.
    cfg : DetectorConfig
        Thresholds (see its attributes).

    Returns
    -------
    label : str
        One of :data:`LABELS` (trains and series are judged later, see :mod:`.series`).
    confidence : float
        0..1, from how far the deciding feature is past its threshold; for a hypnic jerk,
        0.5 + 0.5 x the mean of its margins to the limits it passed, or x its
        :func:`impulsiveness` if that is higher (a burst with nothing slow in it is a jerk
        however near it came to the other limits).
    """
    if c.near_gap:
        return "artifact", 0.9
    if c.peak_acc < cfg.min_jerk_peak_g:
        return "twitch", 0.5 + 0.5 * _ramp(c.peak_acc, cfg.min_jerk_peak_g, cfg.abs_high_g)
    if c.duration > cfg.max_jerk_duration_s:
        return "movement", 0.5 + 0.5 * _ramp(
            c.duration, cfg.max_jerk_duration_s, 2 * cfg.max_jerk_duration_s
        )
    if c.orientation_deg > cfg.max_orientation_change_deg:
        return "movement", 0.5 + 0.5 * _ramp(
            c.orientation_deg, cfg.max_orientation_change_deg, 2 * cfg.max_orientation_change_deg
        )
    rate = c.band_rate_hz
    if rate > cfg.max_band_rate_hz:
        return "impact", 0.5 + 0.5 * _ramp(rate, cfg.max_band_rate_hz, 2 * cfg.max_band_rate_hz)
    if rate < cfg.min_band_rate_hz:
        return "movement", 0.5 + 0.5 * _ramp(rate, cfg.min_band_rate_hz, 0.0)
    lf_max = lf_limit(rate, cfg)
    if c.lf_ratio > lf_max:
        return "movement", 0.5 + 0.5 * _ramp(c.lf_ratio, lf_max, 3 * lf_max)
    return judge_context(c, cfg)


def judge_context(c: Candidate, cfg: DetectorConfig) -> tuple[str, float]:
    """Label a jerk-like burst from its context alone: awake, deep in sleep, or at onset.

    The second half of :func:`judge`, for a burst whose shape passed (brief, impulsive,
    little slow content): the cues of wake before it (:func:`wake_evidence`, not counted
    inside a sleep-onset cluster) or after it make it a ``wake_burst``, a long stillness
    before it a ``sleep_burst`` (not inside a sleep-onset cluster either: a jerk shortly
    before says the sleeper is at onset, however still the limb was); otherwise it is a
    hypnic jerk.

    Parameters
    ----------
    c : Candidate
        The burst's features.
    cfg : DetectorConfig
        Limits of the cues (see :func:`wake_evidence`).

    Returns
    -------
    label : str
        ``"wake_burst"``, ``"sleep_burst"`` or ``"hypnic_jerk"``.
    confidence : float
        0..1, as in :func:`judge`.
    """
    lf_max = lf_limit(c.band_rate_hz, cfg)
    ref = max(c.min_floor_g, cfg.floor_ref_min_g)
    floor_ratio = c.floor_g / ref if ref > 0 else 1.0
    wake = wake_evidence(c, floor_ratio, cfg)
    cluster = in_jerk_cluster(c.since_jerk_s, cfg)
    if cluster:
        wake = 0.0  # the same sleep-onset cluster: the earlier jerk's arousal is not wake
    imp = impulsiveness(c.lf_ratio, cfg)
    # for a burst with nothing slow in it, the cues of wake and of deep sleep weigh a third
    weight = 1.0 + 2.0 * imp
    wake_limit = cfg.wake_evidence_limit * weight
    if (wake >= wake_limit
            or c.active_after > cfg.max_active_after
            or c.floor_after_ratio > cfg.max_floor_after_ratio):
        return "wake_burst", 0.5 + 0.5 * max(
            _ramp(wake, wake_limit, 2 * wake_limit),
            _ramp(c.active_after, cfg.max_active_after, 1.0),
            _ramp(c.floor_after_ratio, cfg.max_floor_after_ratio,
                  2 * cfg.max_floor_after_ratio),
        )
    max_quiet = cfg.max_quiet_s * weight
    if c.quiet_s > max_quiet and not cluster:
        return "sleep_burst", 0.5 + 0.5 * _ramp(c.quiet_s, max_quiet, 2 * max_quiet)
    margins = [
        _ramp(c.peak_acc, cfg.min_jerk_peak_g, 3 * cfg.min_jerk_peak_g),
        _ramp(c.duration, cfg.max_jerk_duration_s, 0.5 * cfg.max_jerk_duration_s),
        _ramp(
            c.orientation_deg, cfg.max_orientation_change_deg, 0.4 * cfg.max_orientation_change_deg
        ),
        _ramp(c.lf_ratio, lf_max, 0.5 * lf_max),
        _ramp(c.active_fraction, cfg.max_active_fraction, 0.0),
    ]
    return HYPNIC_JERK, 0.5 + 0.5 * max(float(np.mean(margins)), imp)
