"""Sleep-onset context from the accelerometer alone: causal epoch activity history.

Epochs of ``epoch_s`` (5 s, as in van Hees et al. 2018, Sci Rep 8:12975) are aligned to the
stream's first sample. An epoch is *active* when the arm's z-angle changed by more than
``angle_deg`` since the previous epoch (van Hees et al. 2015, PLoS One 10:e0142533: sustained
inactivity = no change > 5 deg) or when more than ``active_fraction`` of its samples were above
the burst detector's low threshold. The history is causal: a burst is judged only on epochs
that ended before it began.

Each epoch also keeps its *wander*: the angle (degrees) between its mean acceleration (the
gravity direction) and the previous epoch's. Lying still, only breathing turns a limb, and a
5-s mean averages that out to a few hundredths of a degree; awake, small postural shifts and
fidgeting far below the activity limit move it by tenths of a degree. Sensor noise barely
enters: the mean of 5 s of samples at 300 ug/sqrt(Hz) varies by ~0.1 mg, ~0.01 degrees.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sms_detect.core.features import sq_norm, z_angle_deg


def median_of(x: np.ndarray) -> float:
    """``float(np.median(x))`` of a short 1-D array without NaN, bit for bit, at a fraction
    of its overhead (one partition; called for every burst). Raises ValueError if empty."""
    n = x.shape[0]
    if n == 0:
        raise ValueError("median of no values")
    k = n // 2
    if n % 2:
        return float(np.partition(x, k)[k])
    p = np.partition(x, k)
    return float((p[:k].max() + p[k]) / 2)


class EpochContext:
    """Causal history of active and still epochs.

    Parameters
    ----------
    epoch : int
        Samples per epoch.
    angle_deg : float
        z-angle change (degrees) that makes an epoch active.
    active_fraction : float
        Fraction (0..1) of above-threshold samples that makes an epoch active.
    keep_s : float
        History kept (s); older epochs are summarised by the time of the last active one.
    """

    def __init__(self, epoch: int, angle_deg: float, active_fraction: float, keep_s: float):
        self.epoch = max(1, int(epoch))
        self.angle_deg = angle_deg
        self.active_fraction = active_fraction
        self.keep_s = keep_s
        self._pending: list[np.ndarray] = []  # samples (3, k) of the epoch not yet complete
        self._p_act = 0
        self._p_n = 0
        self._prev_angle: float | None = None
        self.ends = np.empty(0)  # end time (s) of each kept epoch
        self.active = np.empty(0, dtype=bool)
        self.floors = np.empty(0)  # noise floor (g) at the end of each kept epoch
        self.wander = np.empty(0)  # angle (deg) between each kept epoch's mean and the last
        self._prev_unit: np.ndarray | None = None
        self.first_time: float | None = None
        self._last_active_pruned = -np.inf

    def update(self, time: np.ndarray, acc: np.ndarray, above: np.ndarray,
               floor: np.ndarray | Callable[[np.ndarray], np.ndarray]) -> None:
        """Add samples: times (s), cleaned acc (g, shape (3, N)), above-low flags, floor (g).

        ``floor`` is per sample, or a function from sample indices (into this block) to
        the floor there (only epoch ends are looked up).
        """
        n = time.shape[0]
        if n == 0:
            return
        if self.first_time is None:
            self.first_time = float(time[0])
        need = self.epoch - self._p_n
        if n < need:
            self._pending.append(acc.copy())  # the caller may reuse its buffer
            self._p_act += np.count_nonzero(above)
            self._p_n += n
            return
        # boundaries of epochs that complete in this block
        cuts = np.arange(need, n + 1, self.epoch)
        done = cuts[-1]
        # Each epoch's sum is taken over its own contiguous samples in one reduction, whatever
        # blocks they came in: the same additions in the same order, so the same bits.
        sums = np.empty((cuts.shape[0], 3))
        first = np.concatenate([*self._pending, acc[:, :need]], axis=1)
        # concatenate keeps its inputs' memory order; rows must be contiguous, as below
        sums[0] = np.add.reduce(np.ascontiguousarray(first), axis=-1)
        if done > need:
            whole = acc[:, need:done]
            if whole.strides[1] != whole.itemsize:
                whole = np.ascontiguousarray(whole)
            whole = whole.reshape(3, -1, self.epoch)  # a view
            sums[1:] = np.add.reduce(whole, axis=-1).T
        acts = np.empty(cuts.shape[0], dtype=np.int64)  # above-threshold count per epoch
        acts[0] = np.count_nonzero(above[:need])
        # count per epoch as a sum of bytes (count_nonzero with an axis is several times slower)
        acts[1:] = above[need:done].reshape(-1, self.epoch).view(np.uint8).sum(axis=1)
        acts[0] += self._p_act
        means = sums / self.epoch
        ang = z_angle_deg(means)
        units = means / np.maximum(np.sqrt(sq_norm(means.T)), 1e-12)[:, None]
        first_u = units[0] if self._prev_unit is None else self._prev_unit
        prev_u = np.concatenate([first_u[None, :], units[:-1]])
        wander = np.degrees(np.arccos(np.clip((units * prev_u).sum(axis=1), -1.0, 1.0)))
        self._prev_unit = units[-1]
        first_a = ang[0] if self._prev_angle is None else self._prev_angle
        prev = np.concatenate([[first_a], ang[:-1]])
        active = (np.abs(ang - prev) > self.angle_deg) | (acts > self.active_fraction * self.epoch)
        self.ends = np.concatenate([self.ends, time[cuts - 1]])
        self.active = np.concatenate([self.active, active])
        ends_floor = floor(cuts - 1) if callable(floor) else floor[cuts - 1]
        self.floors = np.concatenate([self.floors, ends_floor])
        self.wander = np.concatenate([self.wander, wander])
        self._prev_angle = float(ang[-1])
        rest = n - done
        self._pending = [acc[:, done:].copy()] if rest else []
        self._p_act = np.count_nonzero(above[done:]) if rest else 0
        self._p_n = rest
        self._prune(float(time[-1]))

    def _prune(self, now: float) -> None:
        k = int(self.ends.searchsorted(now - self.keep_s))  # epochs ending before (increasing)
        if k:
            if self.active[:k].any():
                self._last_active_pruned = float(self.ends[:k][self.active[:k]][-1])
            self.ends = self.ends[k:]
            self.active = self.active[k:]
            self.floors = self.floors[k:]
            self.wander = self.wander[k:]

    def _span(self, start: float, stop: float) -> tuple[int, int]:
        """Index range of the kept epochs ending in ``(start, stop]`` (ends increase)."""
        if not start <= stop:  # also NaN: no epoch
            return 0, 0
        lo, hi = self.ends.searchsorted((start, stop), side="right").tolist()
        return lo, hi

    def quiet_s(self, before: float) -> float:
        """Time (s) from the end of the last active epoch ending by ``before`` to ``before``."""
        hi = int(self.ends.searchsorted(before, side="right"))
        act = np.flatnonzero(self.active[:hi])
        if act.size:
            last = float(self.ends[act[-1]])
        elif np.isfinite(self._last_active_pruned):
            last = self._last_active_pruned
        else:
            last = self.first_time if self.first_time is not None else before
        return max(0.0, before - last)

    def median_floor_in(self, start: float, stop: float) -> float:
        """Median noise floor (g) at the ends of epochs ending in ``(start, stop]`` (or nan)."""
        lo, hi = self._span(start, stop)
        return median_of(self.floors[lo:hi]) if hi > lo else float("nan")

    def median_wander_in(self, start: float, stop: float) -> float:
        """Median epoch-to-epoch turn of the gravity direction (degrees) over the epochs
        ending in ``(start, stop]`` (times in s; 0 when there is none)."""
        lo, hi = self._span(start, stop)
        return median_of(self.wander[lo:hi]) if hi > lo else 0.0

    def active_fraction_in(self, start: float, stop: float) -> float:
        """Fraction (0..1) of active epochs among those ending in ``(start, stop]``."""
        lo, hi = self._span(start, stop)
        return np.count_nonzero(self.active[lo:hi]) / (hi - lo) if hi > lo else 0.0
