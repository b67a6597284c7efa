"""Hysteresis burst segmentation on an envelope, vectorized."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def hysteresis_bursts(
    env: np.ndarray, low: np.ndarray, high: np.ndarray, breaks: np.ndarray, max_gap: int
) -> tuple[np.ndarray, np.ndarray]:
    """Segment bursts: runs above a low threshold, merged when close, that reach a high one.

    Parameters
    ----------
    env : ndarray, shape (N,)
        Envelope (g).
    low, high : ndarray, shape (N,)
        Per-sample thresholds (g), ``low <= high``.
    breaks : ndarray of bool, shape (N,)
        Samples where a run must end (the first sample after a gap): runs never span a
        break and are never merged across one.
    max_gap : int
        Runs separated by fewer than this many samples are merged into one burst.

    Returns
    -------
    groups : ndarray of int, shape (K, 2)
        ``[start, stop)`` sample indices of each group of merged runs, in order. A group
        still open at the end of the arrays has ``stop == N``.
    reaches_high : ndarray of bool, shape (K,)
        Whether the group reaches the high threshold (only those are bursts).
    """
    return bursts_from_runs(env > low, breaks, max_gap, lambda idx: env[idx] > high[idx])


def bursts_from_runs(
    above: np.ndarray,
    breaks: np.ndarray,
    max_gap: int,
    reaches_high: Callable[[np.ndarray], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`hysteresis_bursts` from the low-threshold test already made.

    Parameters
    ----------
    above : ndarray of bool, shape (N,)
        Samples above the low threshold (not modified).
    breaks : ndarray of bool, shape (N,)
        See :func:`hysteresis_bursts`.
    max_gap : int
        See :func:`hysteresis_bursts`.
    reaches_high : callable
        Given sample indices (all above the low threshold), whether each is above the high
        threshold; called once, so thresholds are needed only where the envelope is high.

    Returns
    -------
    groups, reaches_high : ndarray
        As :func:`hysteresis_bursts`.
    """
    bidx = np.flatnonzero(breaks)
    if bidx.size:
        above = above.copy()
        above[bidx] = False
    # run boundaries from the sample-to-sample changes (runs alternate start, stop)
    chg = np.flatnonzero(above[1:] != above[:-1]) + 1
    if above.shape[0] and above[0]:
        chg = np.concatenate([[0], chg])
    if chg.shape[0] % 2:
        chg = np.concatenate([chg, [above.shape[0]]])
    if not chg.shape[0]:
        return np.empty((0, 2), dtype=np.int64), np.empty(0, dtype=bool)
    starts, stops = chg[0::2], chg[1::2]
    if starts.shape[0] > 1:
        gap = starts[1:] - stops[:-1]
        split = gap >= max_gap
        if bidx.size:  # a break between two runs (at or after the first's stop) splits them
            first_break_after = np.searchsorted(bidx, stops[:-1])
            nb = bidx[np.minimum(first_break_after, bidx.size - 1)]
            split |= (first_break_after < bidx.size) & (nb <= starts[1:])
        new_group = np.concatenate([[True], split])
    else:
        new_group = np.array([True])
    gid = np.cumsum(new_group) - 1
    g_start = starts[new_group]
    g_stop = np.zeros(gid[-1] + 1, dtype=np.int64)
    np.maximum.at(g_stop, gid, stops)
    # samples above the high threshold: only run samples can be (high >= low)
    inside = np.flatnonzero(above)
    hidx = inside[reaches_high(inside)]
    run_high = np.searchsorted(hidx, stops) > np.searchsorted(hidx, starts)
    g_high = np.zeros(gid[-1] + 1, dtype=bool)
    np.logical_or.at(g_high, gid, run_high)
    return np.column_stack([g_start, g_stop]), g_high


def second_burst_start(
    above: np.ndarray,
    breaks: np.ndarray,
    max_gap: int,
    reaches_high: Callable[[np.ndarray], np.ndarray],
) -> int | None:
    """Start (sample index) of the second burst of :func:`bursts_from_runs`, or None.

    The same segmentation (arguments as there), with a shortcut for the common case of a
    lone burst: at most one run above the low threshold and no break make at most one
    group, so there is no second burst and nothing else needs computing.
    """
    if above.shape[0] < 2:
        return None
    if np.count_nonzero(above[1:] > above[:-1]) + bool(above[0]) <= 1 and not breaks.any():
        return None
    groups, reach = bursts_from_runs(above, breaks, max_gap, reaches_high)
    bursts = np.flatnonzero(reach)
    return int(groups[bursts[1], 0]) if bursts.size > 1 else None
