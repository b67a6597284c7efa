"""Checks on sample blocks handed to the detector: shapes, finiteness, time order, units."""

from __future__ import annotations

import numpy as np

#: A block whose median |acc| exceeds this (g) is taken to be in m/s^2 (1 g = 9.81 m/s^2).
MS2_SUSPECT_G = 4.9


def check_block(time: np.ndarray, acc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert one block of samples.

    Parameters
    ----------
    time : array_like, shape (N,)
        Sample times (s), strictly increasing.
    acc : array_like, shape (N, 3)
        Acceleration in g.

    Returns
    -------
    time, acc : ndarray
        float64 copies (or views) of the inputs.

    Raises
    ------
    ValueError
        Naming the problem: wrong shape, NaN or infinite values, time not increasing.
    """
    t = np.asarray(time, dtype=float)
    a = np.asarray(acc, dtype=float)
    if t.ndim != 1:
        raise ValueError(f"time must be 1-D, got shape {t.shape}")
    if a.ndim != 2 or a.shape[1] != 3:
        raise ValueError(f"acc must have shape (N, 3), got {a.shape}")
    if a.shape[0] != t.shape[0]:
        raise ValueError(f"time has {t.shape[0]} samples but acc has {a.shape[0]}")
    if not np.isfinite(t.sum()) and not np.isfinite(t).all():
        raise ValueError(f"time has NaN or infinite values (first at sample {_first_bad(t)})")
    if not np.isfinite(a.sum()) and not np.isfinite(a).all():
        bad = int(np.flatnonzero(~np.isfinite(a).all(axis=1))[0])
        raise ValueError(f"acc has NaN or infinite values (first at sample {bad})")
    if t.shape[0] > 1:
        d = np.diff(t)
        if (d <= 0).any():
            i = int(np.flatnonzero(d <= 0)[0]) + 1
            raise ValueError(f"time is not strictly increasing at sample {i}")
    return t, a


def looks_like_ms2(acc: np.ndarray) -> bool:
    """Return True if ``acc`` (shape (N, 3)) looks like m/s^2 rather than g.

    Gravity alone gives a magnitude near 1 g at rest; in m/s^2 it is near 9.81. A median
    magnitude above :data:`MS2_SUSPECT_G` over at least a few samples is not a wearable in g.
    """
    if acc.shape[0] < 5:
        return False
    mag = np.sqrt(np.einsum("ij,ij->i", acc, acc))
    return bool(np.median(mag) > MS2_SUSPECT_G)


def _first_bad(x: np.ndarray) -> int:
    return int(np.flatnonzero(~np.isfinite(x))[0])
