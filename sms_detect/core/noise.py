"""Adaptive noise floor: a robust, causal estimate of the envelope's resting level."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


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
        #: Lowest floor so far (same units as the envelope) for each sample of the last call.
        self.last_min: np.ndarray = np.empty(0)

    def __call__(self, env: np.ndarray) -> np.ndarray:
        """Return the floor (same units as ``env``) that applies to each sample of ``env``.

        The lowest floor reached so far (inf before the first window) is left, per sample,
        in :attr:`last_min`: at rest it is the sensor's own noise, so the ratio of the floor
        to it tells restless wake from still rest whatever the sensor's noise density.
        """
        n_prev = self._partial.shape[0]
        combined = np.concatenate([self._partial, env]) if n_prev else env
        nwin = combined.shape[0] // self.window
        # window index of each new sample, relative to the current (open) window
        w_of_sample = (n_prev + np.arange(env.shape[0])) // self.window
        if nwin == 0:
            self._partial = combined
            self.last_min = np.full(env.shape[0], self.min_floor)
            return np.full(env.shape[0], self.floor)
        # lower median of each window, over every ``step``-th sample (one partition pass)
        sub = combined[: nwin * self.window].reshape(nwin, self.window)[:, :: self.step]
        mid = (sub.shape[1] - 1) // 2
        med = np.partition(sub, mid, axis=1)[:, mid]
        hist = np.concatenate([self._stats, med])
        if self._stats.shape[0] < self.history:
            pad = self.history - 1 - self._stats.shape[0]
            hist = np.concatenate([np.full(max(pad, 0), hist[0]), hist])
        # floors[j] = floor after window j completes (j = 0..nwin-1)
        views = sliding_window_view(hist, self.history)[-nwin:]
        floors_after = np.quantile(views, self.quantile, axis=1)
        per_window = np.concatenate([[self.floor], floors_after])
        out = per_window[w_of_sample]
        mins = np.minimum.accumulate(np.concatenate([[self.min_floor], floors_after]))
        self.last_min = mins[w_of_sample]
        self.min_floor = float(mins[-1])
        self.floor = float(floors_after[-1])
        self._stats = hist[-self.history :]
        self._partial = combined[nwin * self.window :].copy()
        return out
