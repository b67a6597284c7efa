"""Multi-sensor merge: a whole-body jerk seen on several limbs is one event."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sms_detect.core.config import DetectorConfig
from sms_detect.core.detector import StreamingDetector
from sms_detect.types import HYPNIC_JERK, Event

#: Body sites in the order their names are joined ("wrist+ankle"); others follow by name.
SITE_ORDER = ("wrist", "arm", "hand", "ankle", "leg", "foot")


def canonical_order(names: list[str]) -> list[str]:
    """Order sensor names for joining: wrist-like, then ankle-like sites, then the rest."""

    def key(name: str) -> tuple[int, str]:
        low = name.lower()
        rank = next((i for i, site in enumerate(SITE_ORDER) if site in low), len(SITE_ORDER))
        return rank, low

    return sorted(names, key=key)


#: Labels that outrank a hypnic-jerk judgement from another sensor (series evidence).
_SERIES = ("rhythmic", "plm")


def _combine(group: list[Event], order: list[str], single_min_conf: float) -> Event:
    if len(group) == 1:
        e = group[0]
        if len(order) > 1 and e.label == HYPNIC_JERK and e.confidence < single_min_conf:
            return replace(e, label="limb_jerk")
        return e
    names = sorted({e.sensor for e in group}, key=lambda s: order.index(s) if s in order else 99)
    series = [e for e in group if e.label in _SERIES]
    jerks = [e for e in group if e.label == HYPNIC_JERK]
    if series:
        best = max(series, key=lambda e: e.confidence)
        label, conf = best.label, best.confidence
    elif jerks:
        label = HYPNIC_JERK
        # seen on several limbs at once: stronger evidence of a whole-body jerk
        conf = min(1.0, max(e.confidence for e in jerks) + 0.1 * (len(group) - 1))
    else:
        best = max(group, key=lambda e: e.confidence)
        label, conf = best.label, best.confidence
    onset = min(e.onset for e in group)
    end = max(e.onset + e.duration for e in group)
    return Event(
        onset=onset,
        duration=end - onset,
        label=label,
        sensor="+".join(names),
        peak_acc=max(e.peak_acc for e in group),
        peak_jerk=max(e.peak_jerk for e in group),
        confidence=float(conf),
    )


def merge_sensor_events(events: list[Event], order: list[str],
                        config: DetectorConfig | None = None) -> list[Event]:
    """Merge events of different sensors whose onsets lie within ``tol_s`` (s) of each other.

    See :func:`merge_until`; this merges all of them (``config``: defaults when omitted).
    """
    return merge_until(events, order, config or DetectorConfig(), np.inf)[0]


def merge_until(
    events: list[Event], order: list[str], config: DetectorConfig, until: float
) -> tuple[list[Event], list[Event]]:
    """Merge events of different sensors whose onsets lie within ``tol_s`` (s) of each other.

    Greedy in onset order: a group starts at the earliest unmerged event and takes the next
    events within ``tol_s`` of that onset, at most one per sensor. The merged event spans
    all members, has sensor ``"wrist+ankle"`` (names in ``order``), the largest peaks, and
    label ``hypnic_jerk`` if any member is one (unless a member belongs to a rhythmic train
    or PLM series, whose label wins). In a recording of several sensors a jerk that only one
    limb saw is labelled ``limb_jerk`` unless its confidence reaches
    ``single_limb_min_confidence``.

    Parameters
    ----------
    events : list of Event
        Events of all sensors.
    order : list of str
        Sensor names in the order they are joined.
    config : DetectorConfig
        ``merge_sensor_tol_s`` is the largest onset difference (s) within one group;
        ``single_limb_min_confidence``: see :class:`DetectorConfig`.
    until : float
        Only groups starting before ``until - tol_s`` (s) are formed (every event that could
        join them is known); the rest is returned unmerged.

    Returns
    -------
    merged : list of Event
        Merged events, in onset order.
    rest : list of Event
        Events not yet merged.
    """
    tol_s = config.merge_sensor_tol_s
    rank = {s: i for i, s in enumerate(order)}
    pending = sorted(events, key=lambda e: (e.onset, rank.get(e.sensor, 99)))
    out: list[Event] = []
    i = 0
    while i < len(pending) and pending[i].onset + tol_s < until:
        group = [pending[i]]
        seen = {pending[i].sensor}
        j = i + 1
        while j < len(pending) and pending[j].onset - group[0].onset <= tol_s:
            if pending[j].sensor in seen:
                break
            group.append(pending[j])
            seen.add(pending[j].sensor)
            j += 1
        out.append(_combine(group, order, config.single_limb_min_confidence))
        i = j
    return out, pending[i:]


class MultiSensorDetector:
    """One detector per sensor, with events merged across sensors as they are decided.

    Parameters
    ----------
    rates : dict of str to float
        Sampling rate (Hz) of each sensor; names are joined in :func:`canonical_order`.
    config : DetectorConfig, optional
        Parameters shared by all sensors.
    """

    def __init__(self, rates: dict[str, float], config: DetectorConfig | None = None) -> None:
        self.cfg = config or DetectorConfig()
        self.order = canonical_order(list(rates))
        self.detectors = {s: StreamingDetector(fs, self.cfg, s) for s, fs in rates.items()}
        self._pending: list[Event] = []

    def push(self, sensor: str, time: np.ndarray, acc: np.ndarray) -> list[Event]:
        """Feed one sensor's block (times in s, acc in g); return merged decided events."""
        if sensor not in self.detectors:
            raise ValueError(f"unknown sensor {sensor!r} (known: {', '.join(self.order)})")
        self._pending += self.detectors[sensor].push(time, acc)
        return self._release(final=False)

    def flush(self) -> list[Event]:
        """End every stream; return the remaining merged events."""
        for det in self.detectors.values():
            self._pending += det.flush()
        return self._release(final=True)

    def _release(self, final: bool) -> list[Event]:
        safe = np.inf if final else min(d.decided_until for d in self.detectors.values())
        merged, self._pending = merge_until(self._pending, self.order, self.cfg, safe)
        return merged
