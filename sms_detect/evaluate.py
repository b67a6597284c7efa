"""Score detected events against a simulated night's truth (docs/science.md, "How to score").

Rules
-----
* An event labelled ``hypnic_jerk`` matches a true jerk when its ``[onset, onset + duration]``
  overlaps the true ``[onset - 0.25 s, offset + 0.25 s]``.
* One detection per true jerk: matching is a maximum one-to-one assignment (most matches;
  among those, the smallest total |onset error|).
* Every unmatched ``hypnic_jerk`` event is a false positive. Events with other labels are
  neither hits nor false positives.
* False positives are attributed to the confounder they fell on: among the truth's
  confounder rows whose ``[onset - 0.25, offset + 0.25]`` overlaps the event, prefer those
  seen by a sensor the event names, then the shortest (most specific) one; an event that only
  overlaps an already matched true jerk counts as ``duplicate``; one on a jerk whose samples
  were all lost in a radio gap (``hypnic_jerk_lost``) counts as ``hypnic_jerk_lost``;
  otherwise ``none``. Lost jerks are neither hits nor misses.
* Precision = TP / (TP + FP), recall = TP / true jerks, F1 their harmonic mean (NaN where a
  denominator is 0), false positives per hour of recording, median |onset error| in s over
  matches.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from sms_detect.errors import InputError
from sms_detect.sim.truth import CONFOUNDERS, JERK, JERK_LOST, TruthRow, read_truth, recording_span
from sms_detect.types import HYPNIC_JERK

TOLERANCE_S = 0.25


@dataclass
class Score:
    """Scores of one night or of a pooled set.

    Attributes
    ----------
    name : str
        Night (or group) name.
    n_true : int
        True hypnic jerks.
    n_detected : int
        Events labelled ``hypnic_jerk``.
    tp, fp, fn : int
        Matches, false positives, missed true jerks.
    hours : float
        Recording length in h.
    onset_errors : list of float
        Event onset minus true onset, s, per match.
    fp_by_confounder : Counter
        False positives per confounder kind (``none``, ``duplicate`` included).
    missed_peaks : list of float
        peak_g of each missed true jerk.
    """

    name: str = ""
    n_true: int = 0
    n_detected: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    hours: float = 0.0
    onset_errors: list[float] = field(default_factory=list)
    fp_by_confounder: Counter = field(default_factory=Counter)
    missed_peaks: list[float] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """TP / (TP + FP); NaN without detections."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan

    @property
    def recall(self) -> float:
        """TP / true jerks; NaN without true jerks."""
        return self.tp / self.n_true if self.n_true else math.nan

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall (NaN if either is NaN, 0 if both 0)."""
        p, r = self.precision, self.recall
        if math.isnan(p) or math.isnan(r):
            return math.nan
        return 2 * p * r / (p + r) if p + r > 0 else 0.0

    @property
    def fp_per_hour(self) -> float:
        """False positives per hour of recording (NaN for zero length)."""
        return self.fp / self.hours if self.hours > 0 else math.nan

    @property
    def median_onset_error(self) -> float:
        """Median |onset error| in s over matches (NaN without matches)."""
        if not self.onset_errors:
            return math.nan
        return float(np.median(np.abs(self.onset_errors)))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict (NaN becomes None)."""

        def num(x: float) -> float | None:
            return None if math.isnan(x) else round(float(x), 6)

        return {
            "name": self.name,
            "true_jerks": self.n_true,
            "detected_jerks": self.n_detected,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "hours": num(self.hours),
            "precision": num(self.precision),
            "recall": num(self.recall),
            "f1": num(self.f1),
            "fp_per_hour": num(self.fp_per_hour),
            "median_abs_onset_error_s": num(self.median_onset_error),
            "fp_by_confounder": dict(sorted(self.fp_by_confounder.items())),
        }


def match(
    true_iv: np.ndarray, det_on: np.ndarray, det_dur: np.ndarray, tol: float = TOLERANCE_S
) -> list[tuple[int, int]]:
    """One-to-one matches between true jerks and detections.

    Parameters
    ----------
    true_iv : ndarray (n, 2)
        True (onset, offset) in s.
    det_on, det_dur : ndarray (m,)
        Detected onsets and durations in s.
    tol : float
        Tolerance in s added to both ends of each true interval.

    Returns
    -------
    list of (true index, detection index)
        The most matches possible; among those, the smallest total |onset error|.
    """
    n, m = len(true_iv), len(det_on)
    if n == 0 or m == 0:
        return []
    lo = true_iv[:, 0:1] - tol
    hi = true_iv[:, 1:2] + tol
    d0 = det_on[None, :]
    d1 = (det_on + np.maximum(det_dur, 0.0))[None, :]
    ok = (d0 <= hi) & (d1 >= lo)
    if not ok.any():
        return []
    rows = np.flatnonzero(ok.any(axis=1))
    cols = np.flatnonzero(ok.any(axis=0))
    sub = ok[np.ix_(rows, cols)]
    err = np.abs(det_on[cols][None, :] - true_iv[rows, 0][:, None])
    big = 1e6
    cost = np.where(sub, np.minimum(err, 1e3), big)
    r, c = linear_sum_assignment(cost)
    return [(int(rows[i]), int(cols[j])) for i, j in zip(r, c, strict=True) if sub[i, j]]


def _sensors(s: str) -> set[str]:
    return {x for x in str(s).replace(",", "+").split("+") if x}


def score_night(truth: list[TruthRow], events: np.ndarray, name: str = "") -> Score:
    """Score one night.

    Parameters
    ----------
    truth : list of TruthRow
        The night's truth (:func:`sms_detect.sim.truth.read_truth`).
    events : structured ndarray
        Detected events with fields onset (s), duration (s), label, sensor
        (:data:`sms_detect.types.EVENT_DTYPE`).
    name : str
        Name to report.
    """
    jerks = [r for r in truth if r.kind == JERK]
    conf = [r for r in truth if r.kind in CONFOUNDERS or r.kind == JERK_LOST]
    span = recording_span(truth)
    if span is None:
        hours = 0.0
    else:
        hours = (span[1] - span[0]) / 3600.0

    def text(v: object) -> str:
        return v.decode() if isinstance(v, bytes) else str(v)

    labels = np.array([text(v) for v in events["label"]], dtype=object)
    det = events[labels == HYPNIC_JERK]
    det_on = np.asarray(det["onset"], dtype=float)
    det_dur = np.asarray(det["duration"], dtype=float)
    true_iv = np.array([[r.onset, r.offset] for r in jerks], dtype=float).reshape(-1, 2)
    pairs = match(true_iv, det_on, det_dur)
    sc = Score(name=name, n_true=len(jerks), n_detected=len(det), hours=hours)
    sc.tp = len(pairs)
    sc.fn = sc.n_true - sc.tp
    sc.fp = sc.n_detected - sc.tp
    sc.onset_errors = [float(det_on[j] - true_iv[i, 0]) for i, j in pairs]
    hit_true = {i for i, _ in pairs}
    sc.missed_peaks = [jerks[i].peak_g for i in range(len(jerks)) if i not in hit_true]
    matched_det = {j for _, j in pairs}
    c_on = np.array([r.onset for r in conf], dtype=float) - TOLERANCE_S
    c_off = np.array([r.offset for r in conf], dtype=float) + TOLERANCE_S
    for j in range(len(det)):
        if j in matched_det:
            continue
        a, b = det_on[j], det_on[j] + max(det_dur[j], 0.0)
        hits = np.flatnonzero((c_on <= b) & (c_off >= a))
        if len(hits):
            ev_s = _sensors(text(det["sensor"][j]))
            ranked = [
                (
                    0 if (not ev_s or _sensors(conf[k].sensors) & ev_s) else 1,
                    conf[k].offset - conf[k].onset,
                    k,
                )
                for k in hits.tolist()
            ]
            best = min(ranked)[2]
            sc.fp_by_confounder[conf[best].kind] += 1
        elif len(true_iv) and np.any(
            (true_iv[:, 0] - TOLERANCE_S <= b) & (true_iv[:, 1] + TOLERANCE_S >= a)
        ):
            sc.fp_by_confounder["duplicate"] += 1
        else:
            sc.fp_by_confounder["none"] += 1
    return sc


def pool(scores: list[Score], name: str = "overall") -> Score:
    """Pool nights: counts and hours add up, onset errors are concatenated."""
    out = Score(name=name)
    for s in scores:
        out.n_true += s.n_true
        out.n_detected += s.n_detected
        out.tp += s.tp
        out.fp += s.fp
        out.fn += s.fn
        out.hours += s.hours
        out.onset_errors += s.onset_errors
        out.fp_by_confounder.update(s.fp_by_confounder)
        out.missed_peaks += s.missed_peaks
    return out


def read_event_file(path: str | Path) -> np.ndarray:
    """Read ``/events`` of a night file (via :func:`sms_detect.io.h5_events.read_events`)."""
    from sms_detect.io.h5_events import read_events

    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    arr, _ = read_events(p)
    return arr


def evaluate_files(pairs: list[tuple[str, str]]) -> tuple[list[Score], Score]:
    """Score (truth CSV, events HDF5) pairs; returns per-night scores and the pooled one."""
    scores = []
    for truth_path, ev_path in pairs:
        truth = read_truth(truth_path)
        if recording_span(truth) is None:
            raise InputError(f"{truth_path}: truth has no 'recording' row (length unknown)")
        scores.append(score_night(truth, read_event_file(ev_path), name=str(ev_path)))
    return scores, pool(scores)


def _fmt(x: float, spec: str) -> str:
    return "-" if math.isnan(x) else format(x, spec)


def format_table(scores: list[Score], overall: Score | None = None, title: str = "") -> str:
    """Plain-text table: one line per score, then FP by confounder of ``overall``."""
    head = (
        f"{'night':<40} {'true':>5} {'det':>5} {'TP':>5} {'FP':>5} {'FN':>5} {'prec':>6} "
        f"{'recall':>6} {'F1':>6} {'FP/h':>6} {'|err| s':>8}"
    )
    lines = [title] if title else []
    lines += [head, "-" * len(head)]
    rows = scores + ([overall] if overall is not None else [])
    for s in rows:
        nm = s.name if len(s.name) <= 40 else "..." + s.name[-37:]
        if overall is not None and s is overall:
            lines.append("-" * len(head))
        lines.append(
            f"{nm:<40} {s.n_true:>5} {s.n_detected:>5} {s.tp:>5} {s.fp:>5} {s.fn:>5} "
            f"{_fmt(s.precision, '.3f'):>6} {_fmt(s.recall, '.3f'):>6} {_fmt(s.f1, '.3f'):>6} "
            f"{_fmt(s.fp_per_hour, '.2f'):>6} {_fmt(s.median_onset_error, '.3f'):>8}"
        )
    if overall is not None:
        lines.append("")
        lines.append(format_fp_breakdown(overall))
    return "\n".join(lines)


def format_fp_breakdown(score: Score) -> str:
    """One line per confounder: false positives that fell on it (largest first)."""
    if not score.fp_by_confounder:
        return "false positives by confounder: none"
    out = ["false positives by confounder:"]
    for k, v in score.fp_by_confounder.most_common():
        out.append(f"  {k:<14} {v:>6}")
    return "\n".join(out)


def to_json(scores: list[Score], overall: Score) -> str:
    """JSON document ``{"nights": [...], "overall": {...}}``."""
    return json.dumps(
        {"nights": [s.to_dict() for s in scores], "overall": overall.to_dict()}, indent=2
    )
