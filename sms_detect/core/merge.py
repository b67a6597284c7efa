"""Multi-sensor merge: a whole-body jerk seen on several limbs is one event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from sms_detect.core.classify import in_jerk_cluster
from sms_detect.core.config import DetectorConfig
from sms_detect.core.detector import StreamingDetector
from sms_detect.types import HYPNIC_JERK, Event

#: Body sites in the order their names are joined ("wrist+ankle"); others follow by name.
SITE_ORDER = ("wrist", "arm", "hand", "ankle", "leg", "foot")


#: Sites of the arm: the first ones of :data:`SITE_ORDER` (see :func:`in_cluster_alone`).
ARM_SITES = SITE_ORDER[:3]


def site_rank(name: str) -> int:
    """Index in :data:`SITE_ORDER` of the first site whose word a sensor name contains
    (case-insensitive), or ``len(SITE_ORDER)`` when none does."""
    low = name.lower()
    return next((i for i, site in enumerate(SITE_ORDER) if site in low), len(SITE_ORDER))


def canonical_order(names: list[str]) -> list[str]:
    """Order sensor names for joining: wrist-like, then ankle-like sites, then the rest."""
    return sorted(names, key=lambda name: (site_rank(name), name.lower()))

#: Labels that outrank a hypnic-jerk judgement from another sensor (series evidence).
_SERIES = ("rhythmic", "plm")


def in_cluster_alone(e: Event, last_body_jerk: float, config: DetectorConfig) -> bool:
    """Whether a one-limb event belongs to the sleep-onset cluster of a whole-body jerk.

    Sleep starts are contractions "of the body or of one or more segments" at sleep onset,
    and a strong one wakes the sleeper, who then falls asleep again (ICSD-3): after a
    whole-body jerk, a jerk of one arm is expected and needs no more than in a one-sensor
    night. Legs are left out: foot tremor, ALMA and PLM, one-leg movements that can look
    like a single jerk, gather at the same sleep onset.

    Parameters
    ----------
    e : Event
        A one-sensor event (onset in s). Its sensor counts as an arm when its name contains
        wrist, arm or hand (:func:`site_rank`; so "alarm" would count too, and "L" or "R"
        would not).
    last_body_jerk : float
        Onset (s) of the last hypnic jerk seen on several sensors (-inf: none).
    config : DetectorConfig
        The window: ``train_max_interval_s`` up to ``jerk_cluster_s`` (s) after that onset.

    Returns
    -------
    bool
        True when ``e`` is on an arm and inside the window.
    """
    return in_jerk_cluster(e.onset - last_body_jerk, config) and (
        site_rank(e.sensor) < len(ARM_SITES)
    )


def _combine(
    group: list[Event],
    order: list[str],
    single_min_conf: float,
    keep_single: bool = False,
) -> Event:
    if len(group) == 1:
        e = group[0]
        # keep_single: a one-limb jerk needs no more than in a one-sensor night
        if (not keep_single and len(order) > 1 and e.label == HYPNIC_JERK
                and e.confidence < single_min_conf):
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


def merge_sensor_events(
    events: list[Event], order: list[str], config: DetectorConfig | None = None
) -> list[Event]:
    """Merge events of different sensors whose onsets lie within ``tol_s`` (s) of each other.

    See :func:`merge_until`; this merges all of them (``config``: defaults when omitted).
    """
    return merge_until(events, order, config or DetectorConfig(), np.inf)[0]


def merge_until(
    events: list[Event],
    order: list[str],
    config: DetectorConfig,
    until: float,
    alone: Callable[[Event], bool] | None = None,
    last_body_jerk: float = -np.inf,
) -> tuple[list[Event], list[Event], float]:
    """Merge events of different sensors whose onsets lie within ``tol_s`` (s) of each other.

    Greedy in onset order: a group starts at the earliest unmerged event and takes the next
    events within ``tol_s`` of that onset, at most one per sensor. The merged event spans
    all members, has sensor ``"wrist+ankle"`` (names in ``order``), the largest peaks, and
    label ``hypnic_jerk`` if any member is one (unless a member belongs to a rhythmic train
    or PLM series, whose label wins). In a recording of several sensors a jerk that only one
    limb saw is labelled ``limb_jerk`` unless its confidence reaches
    ``config.single_limb_limit`` or it is a one-arm jerk in the cluster of a whole-body
    jerk (:func:`in_cluster_alone`).

    Parameters
    ----------
    events : list of Event
        Events of all sensors.
    order : list of str
        Sensor names in the order they are joined.
    config : DetectorConfig
        ``merge_sensor_tol_s`` is the largest onset difference (s) within one group;
        ``single_limb_limit``: see :class:`DetectorConfig`.
    until : float
        Only groups starting before ``until - tol_s`` (s) are formed (every event that could
        join them is known); the rest is returned unmerged.
    alone : callable, optional
        ``alone(event)`` is True when no other sensor was recording at the event's onset
        (the others were disconnected): a one-limb jerk there is kept as it is, as in a
        one-sensor recording, instead of needing ``single_limb_limit``.
    last_body_jerk : float, optional
        Onset (s) of the last hypnic jerk seen on several sensors in events merged before
        (by earlier calls: pass on what the last call returned).

    Returns
    -------
    merged : list of Event
        Merged events, in onset order.
    rest : list of Event
        Events not yet merged.
    last_body_jerk : float
        Onset (s) of the last hypnic jerk on several sensors so far (for the next call).
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
        # a one-limb event is kept as judged when no other sensor was recording then, or
        # when it is a partial sleep start after a whole-body one
        keep = len(group) == 1 and (
            (alone is not None and alone(group[0]))
            or in_cluster_alone(group[0], last_body_jerk, config)
        )
        merged = _combine(group, order, config.single_limb_limit, keep)
        if len(group) > 1 and merged.label == HYPNIC_JERK:
            last_body_jerk = merged.onset
        out.append(merged)
        i = j
    return out, pending[i:], last_body_jerk


class MultiSensorDetector:
    """One detector per sensor, with events merged across sensors as they are decided.

    A merged event is released once every sensor is decided past it
    (:attr:`StreamingDetector.decided_until`), so with every sensor streaming the events
    equal :func:`merge_sensor_events` of the sensors' batch events, whatever the blocks.

    **Absent sensors.** A sensor whose link is lost would hold every merged event back until
    it returns. :meth:`set_absent` declares it absent instead ("no data from ``since`` on"):

    - its stream ends there: its detector is flushed, so its bursts up to its last sample are
      decided as at the end of a recording (a burst just before the outage may get another
      label than the continued stream would have given it, e.g. no train or PLM series across
      the outage), and merging proceeds without waiting for it;
    - in the absent span, the events of the present sensors are merged as if the absent
      sensor did not exist: a one-limb jerk while every other sensor is absent is kept as
      it is (as in a one-sensor night), not demoted to ``limb_jerk`` for lack of a limb that
      was not recording (with three or more sensors, the ones still present still count);
    - when it pushes again it is present again (implicitly), from its first new sample on,
      with a new detector (noise floor, activity context, series and its own sleep-onset
      cluster start afresh, as at the start of a recording), so it never re-emits an event
      of its released past; the whole-body cluster of the merge (see
      :func:`in_cluster_alone`) is kept across the absence;
    - an event of the returning sensor whose onset lies before what was already released
      (possible only when its new data starts before the other sensors' decided time, e.g.
      a sensor declared absent while merely lagging) cannot be merged any more: it is
      returned at once, unmerged and judged alone, before the other events of that call,
      and counted in :attr:`n_late`; it is the only case where returned onsets go back.

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
        #: Events returned late (see the class notes); 0 unless a sensor returned lagging.
        self.n_late = 0
        self._absent: dict[str, float] = {}
        self._spans: dict[str, list[list[float]]] = {s: [] for s in rates}
        self._last: dict[str, float] = {}
        self._released = -np.inf
        self._last_body_jerk = -np.inf
        self._provisional: list[Event] = []

    # ------------------------------------------------------------------ public API
    @property
    def absent(self) -> dict[str, float]:
        """Sensors now absent and the time (s) from which each is absent."""
        return dict(self._absent)

    def push(self, sensor: str, time: np.ndarray, acc: np.ndarray) -> list[Event]:
        """Feed one sensor's block (times in s, acc in g); return merged decided events.

        A block of an absent sensor makes it present again from its first sample on.

        Raises
        ------
        ValueError
            Unknown sensor, or what :meth:`StreamingDetector.push` rejects (e.g. time not
            increasing, also across an absence).
        """
        self._check(sensor)
        time = np.asarray(time)
        if sensor in self._absent and time.shape[0]:
            self._return(sensor, time)
        new = self.detectors[sensor].push(time, acc)
        if time.shape[0]:
            self._last[sensor] = float(time[-1])
        self._pending += new
        return self._release(final=False)

    def set_absent(self, sensor: str, since: float) -> list[Event]:
        """Declare that ``sensor`` has no data from ``since`` (s) on, until it pushes again.

        Merging then proceeds without it (see the class notes). Calling it again while the
        sensor is absent changes nothing.

        Parameters
        ----------
        sensor : str
            Sensor name.
        since : float
            Stream time (s) from which it is absent, e.g. its last sample's; never earlier
            than its last pushed sample (a sensor that never pushed: any time, or -inf).

        Returns
        -------
        list of Event
            Merged events released by this (now decided without waiting for the sensor).
        """
        self._check(sensor)
        if sensor in self._absent:
            return []
        start = max(float(since), self._last.get(sensor, -np.inf))
        self._absent[sensor] = start
        self._spans[sensor].append([start, np.inf])
        det = self.detectors[sensor]
        self._pending += det.flush()
        self._provisional += det.take_provisional()
        return self._release(final=False)

    def flush(self) -> list[Event]:
        """End every stream; return the remaining merged events."""
        for det in self.detectors.values():
            self._pending += det.flush()
        return self._release(final=True)

    def take_provisional(self) -> list[Event]:
        """Return (once) every sensor's first causal judgements of new bursts (unmerged).

        See :meth:`StreamingDetector.take_provisional`; includes those of a detector
        replaced when its sensor returned from an absence.
        """
        out, self._provisional = self._provisional, []
        for det in self.detectors.values():
            out += det.take_provisional()
        return out

    # ------------------------------------------------------------------ internals
    def _check(self, sensor: str) -> None:
        if sensor not in self.detectors:
            raise ValueError(f"unknown sensor {sensor!r} (known: {', '.join(self.order)})")

    def _return(self, sensor: str, time: np.ndarray) -> None:
        """An absent sensor's new data: present again from ``time[0]``, with a new detector."""
        t0 = float(time[0])
        last = self._last.get(sensor)
        if last is not None and t0 <= last:
            raise ValueError(f"time goes backwards at sample 0 ({t0:.6f} s after {last:.6f} s)")
        del self._absent[sensor]
        span = self._spans[sensor][-1]
        span[1] = max(t0, span[0])
        if span[1] <= span[0]:
            self._spans[sensor].pop()
        old = self.detectors[sensor]
        self._provisional += old.take_provisional()
        self.detectors[sensor] = StreamingDetector(old.fs, self.cfg, sensor)

    def _is_absent(self, sensor: str, t: float) -> bool:
        return any(a <= t < b for a, b in self._spans[sensor])

    def _alone(self, e: Event) -> bool:
        """Whether every other sensor was absent at the onset of ``e``."""
        return all(self._is_absent(s, e.onset) for s in self.detectors if s != e.sensor)

    def _release(self, final: bool) -> list[Event]:
        safe = np.inf if final else min(d.decided_until for d in self.detectors.values())
        tol = self.cfg.merge_sensor_tol_s
        # groups starting before released - tol are out: a later event there is too late
        late = [e for e in self._pending if e.onset + tol < self._released]
        if late:
            self.n_late += len(late)
            self._pending = [e for e in self._pending if e.onset + tol >= self._released]
            late.sort(key=lambda e: e.onset)
        alone = self._alone if any(self._spans.values()) else None
        merged, self._pending, self._last_body_jerk = merge_until(
            self._pending, self.order, self.cfg, safe, alone, self._last_body_jerk
        )
        self._released = max(self._released, safe)
        return late + merged
