"""Adaptive noise floor: a robust, causal estimate of the envelope's resting level."""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def rolling_quantile(x: np.ndarray, h: int, q: float) -> np.ndarray:
    """``np.quantile`` (linear method) of every run of ``h`` consecutive values of ``x``.

    Equal to ``np.quantile(sliding_window_view(x, h), q, axis=1)`` (bit for bit, but for
    the sign of a zero result, which numpy may give as -0.0): the two
    order statistics come from :func:`scipy.ndimage.rank_filter` (a sliding sorted window,
    far cheaper than a partition per run), and numpy's interpolation arithmetic is repeated.

    Parameters
    ----------
    x : ndarray, shape (N,)
        Values (any units), no NaN, ``N >= h``.
    h : int
        Values per run (>= 1).
    q : float
        Quantile in [0, 1].

    Returns
    -------
    ndarray, shape (N - h + 1,)
        The quantile of ``x[i : i + h]`` for each ``i``.

    Raises
    ------
    ValueError
        If ``h < 1`` or ``x`` has fewer than ``h`` values.
    """
    x = np.asarray(x, dtype=np.float64)
    if h < 1 or x.ndim != 1 or x.shape[0] < h:
        raise ValueError(f"need a 1-D array of at least h >= 1 values, got shape {x.shape}, h={h}")
    k = x.shape[0] - h + 1
    v = (h - 1) * np.float64(q)  # numpy's virtual index for the linear method
    lo = int(np.floor(v))
    hi = lo + 1
    if v >= h - 1:
        lo = hi = h - 1

    def order_stat(r: int) -> np.ndarray:
        if h == 1:
            return x.copy()
        # the window of output i is x[i : i + h] (origin shifts the centred window)
        return ndimage.rank_filter(x, r, size=h, origin=-(h // 2), mode="nearest")[:k]

    a = order_stat(lo)
    b = a if hi == lo else order_stat(hi)
    t = v - np.float64(lo)  # numpy's gamma (from the clipped lower index)
    diff = b - a
    if t >= 0.5:
        return b - diff * (1 - t)
    return a + diff * t


class NoiseFloor:
    """Causal noise floor of an envelope, updated once per fixed window.

    Each complete window of ``window`` samples (aligned to the stream's first sample) gives
    its (lower) median envelope; the floor that applies to the next window is the
    ``quantile`` of the last ``history`` such medians. A low quantile of window medians
    ignores bursts (they fill few windows, and only part of each) but follows a slowly
    rising background, e.g. a restless awake period. Until the first window completes the
    floor is 0 (the absolute thresholds apply).

    Parameters
    ----------
    window : int
        Samples per window (e.g. 1 s of samples).
    history : int
        Number of past window medians used.
    quantile : float
        Quantile (0..1) of the past medians taken as the floor.
    per_window : int
        About this many evenly spaced samples of each window enter its median (a median of
        25 values per second is as robust as of all, at a fraction of the cost).
    """

    def __init__(self, window: int, history: int, quantile: float, per_window: int = 25) -> None:
        self.window = max(1, int(window))
        self.step = max(1, self.window // max(1, per_window))
        self.history = max(1, int(history))
        self.quantile = quantile
        self._partial = np.empty(0)
        self._stats = np.empty(0)  # last `history` window medians
        self.floor = 0.0
        self.min_floor = np.inf

    def update(self, env: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Add ``env``; return the floor per window it touches, without per-sample arrays.

        Returns
        -------
        floors : ndarray, shape (K,)
            Floor (same units as ``env``) applying in each window that ``env`` touches, the
            currently open one first.
        mins : ndarray, shape (K,)
            Lowest floor so far (inf before the first window) in each of those windows: at
            rest the sensor's own noise, so the floor's ratio to it tells restless wake
            from still rest whatever the sensor's noise density.
        counts : ndarray of int, shape (K,)
            Samples of ``env`` in each of those windows (sum ``len(env)``; all but the
            first and last equal ``window``).
        """
        n_prev = self._partial.shape[0]
        n, w = env.shape[0], self.window
        nwin = (n_prev + n) // w
        if nwin == 0:
            self._partial = np.concatenate([self._partial, env])  # a copy: env may be reused
            return (np.array([self.floor]), np.array([self.min_floor]), np.array([n]))
        # lower median of each window, over every ``step``-th sample (one partition pass);
        # the first window starts with the held partial samples
        first = w - n_prev
        sub = np.empty((nwin, len(range(0, w, self.step))))
        sub[0] = (np.concatenate([self._partial, env[:first]]) if n_prev else env[:w])[
            :: self.step]
        sub[1:] = env[first : first + (nwin - 1) * w].reshape(nwin - 1, w)[:, :: self.step]
        mid = (sub.shape[1] - 1) // 2
        sub.partition(mid, axis=1)
        med = sub[:, mid]
        hist = np.concatenate([self._stats, med])
        if self._stats.shape[0] < self.history:
            pad = self.history - 1 - self._stats.shape[0]
            hist = np.concatenate([np.full(max(pad, 0), hist[0]), hist])
        # floors[j] = floor after window j completes (j = 0..nwin-1), from the last
        # `history` medians up to it
        h = self.history
        floors_after = rolling_quantile(hist[hist.shape[0] - (nwin + h - 1) :], h, self.quantile)
        per_window = np.concatenate([[self.floor], floors_after])
        # new samples in each window, starting with the current (open) one
        per_count = np.full(nwin + 1, w)
        per_count[0] = first
        per_count[-1] = n - first - (nwin - 1) * w
        mins = np.minimum.accumulate(np.concatenate([[self.min_floor], floors_after]))
        self.min_floor = float(mins[-1])
        self.floor = float(floors_after[-1])
        self._stats = hist[-self.history :]
        self._partial = env[n - per_count[-1] :].copy()
        return per_window, mins, per_count


def greater_into(out: np.ndarray, x: np.ndarray, values: np.ndarray, counts: np.ndarray) -> None:
    """``out[:] = x > np.repeat(values, counts)`` in one pass (counts as ``update`` gives).

    Parameters
    ----------
    out : ndarray of bool, shape (N,)
        Destination, contiguous.
    x : ndarray, shape (N,)
        Values compared (any units), contiguous.
    values : ndarray, shape (K,)
        Threshold of each run (units of ``x``).
    counts : ndarray of int, shape (K,)
        Run lengths; ``counts[1:-1]`` all equal.
    """
    k = counts.shape[0]
    if k < 3:
        np.greater(x, np.repeat(values, counts), out=out)
        return
    c0, w = int(counts[0]), int(counts[1])
    end = c0 + (k - 2) * w
    np.greater(x[:c0], values[0], out=out[:c0])
    np.greater(x[c0:end].reshape(k - 2, w), values[1:-1, None],
               out=out[c0:end].reshape(k - 2, w))
    np.greater(x[end:], values[-1], out=out[end:])
