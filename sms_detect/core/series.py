"""Rhythmic trains and periodic limb movement (PLM) series among bursts.

A burst that belongs to a chain of at least ``min_count`` bursts whose consecutive
onset-to-onset intervals all lie in ``[lo, hi]`` is part of a train or series:
- rhythmic trains: hypnagogic foot tremor (bursts 0.3-0.7 s at 1-2 /s, Wichniak et al. 2001,
  Mov Disord 16:1182), ALMA (0.1-0.5 s at ~1-2 Hz, Chervin et al. 2003, Mov Disord 18:551),
  rhythmic movement disorder (0.5-2 Hz) -> intervals 0.25-3.5 s, >= 4 bursts, whose
  intervals are also even (the detector checks the spread of their logarithms: a sleep
  start followed by the fragments of an arousal movement chains as well, at uneven
  intervals);
- PLM series: AASM (Berry et al. 2018): movements 0.5-10 s, >= 4, intervals 5-90 s
  (WASM 2016, Ferri et al., Sleep Med 26:86: 10-90 s). A movement that is not a candidate
  leg movement (turning over) ends a series (WASM 2016). For series, the bursts are first
  grouped into leg movements (:func:`leg_movements`), and the chain is one of movements.
"""

from __future__ import annotations

import numpy as np


def _groups(new: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Consecutive runs of items, each starting where ``new`` (bool per item, ``new[0]``
    True) is True: per item its run's index, and per run its first and last item's index."""
    gid = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    last = np.concatenate([first[1:] - 1, [new.shape[0] - 1]])
    return gid, first, last


def chain_bounds(
    onsets: np.ndarray, lo: float, hi: float, breakers: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """For each onset (s, sorted), the first and last index of the chain it belongs to.

    Consecutive onsets whose interval lies in ``[lo, hi]`` (s) are linked, unless one of the
    two is a breaker, which ends a chain and joins none.

    Parameters
    ----------
    onsets : ndarray
        Burst onsets (s), increasing.
    lo, hi : float
        Shortest and longest interval (s) that links two consecutive onsets.
    breakers : ndarray of bool, optional
        Per onset: True for a burst that ends any chain (a chain of its own).

    Returns
    -------
    first, last : ndarray of int
        Per onset, the index of the first and of the last onset of its chain.
    """
    n = onsets.shape[0]
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    d = np.diff(onsets)
    link = (d >= lo) & (d <= hi)
    if breakers is not None:
        link &= ~breakers[:-1] & ~breakers[1:]
    gid, first, last = _groups(np.concatenate([[True], ~link]))
    return first[gid], last[gid]


def leg_movements(
    onsets: np.ndarray, offsets: np.ndarray, join_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Group bursts (s, sorted by onset) into leg movements.

    A limb accelerometer sees a leg movement's start and its release (the end of the hold)
    as separate bursts, up to the movement's length apart (0.5-10 s), where EMG scoring
    sees one movement. A burst whose onset is less than ``join_s`` after the previous
    burst's onset belongs to the same movement (no series has intervals that short); the
    grouping chains, so a run of close bursts is one movement however long it lasts (the
    caller ends a series at a movement over 10 s). ``join_s = 0``: every burst is a
    movement of its own.

    Parameters
    ----------
    onsets, offsets : ndarray
        Burst onsets (s, increasing) and offsets (s).
    join_s : float
        Onset-to-onset gap (s) below which two bursts are one movement.

    Returns
    -------
    index : ndarray of int
        Per burst, the index of its movement (0, 1, ... in time order).
    first : ndarray of int
        Per movement, the index of its first burst.
    last_onset : ndarray
        Per movement, the onset of its last burst (s).
    span : ndarray
        Per movement, from its first onset to its latest offset (s).
    """
    n = onsets.shape[0]
    if n == 0:
        i = np.empty(0, dtype=np.int64)
        return i, i.copy(), np.empty(0), np.empty(0)
    index, first, last = _groups(np.concatenate([[True], np.diff(onsets) >= join_s]))
    end = np.maximum.reduceat(offsets, first)
    return index, first, onsets[last], end - onsets[first]
