"""Checks on sample blocks handed to the detector: shapes, finiteness, time order, units."""

from __future__ import annotations

import numpy as np

#: A block whose median |acc| exceeds this (g) is taken to be in m/s^2 (1 g = 9.81 m/s^2).
MS2_SUSPECT_G = 4.9


def check_shapes(time: np.ndarray, acc: np.ndarray) -> None:
    """Check that ``time`` is (N,) s and ``acc`` is (N, 3) g; raise ValueError otherwise."""
    t, a = np.shape(time), np.shape(acc)
    if len(t) != 1:
        raise ValueError(f"time must be 1-D, got shape {t}")
    if len(a) != 2 or a[1] != 3:
        raise ValueError(f"acc must have shape (N, 3), got {a}")
    if a[0] != t[0]:
        raise ValueError(f"time has {t[0]} samples but acc has {a[0]}")


def check_block(time: np.ndarray, acc: np.ndarray,
                first_index: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert one block of samples.

    Parameters
    ----------
    time : array_like, shape (N,)
        Sample times (s), strictly increasing.
    acc : array_like, shape (N, 3)
        Acceleration in g.
    first_index : int
        Stream index of the block's first sample, so messages name the sample in the stream.

    Returns
    -------
    time, acc : ndarray
        float64 copies (or views) of the inputs.

    Raises
    ------
    ValueError
        Naming the problem: wrong shape, NaN or infinite values, time not increasing.
    """
    check_shapes(time, acc)
    t = np.asarray(time, dtype=float)
    a = np.asarray(acc, dtype=float)
    if not np.isfinite(t.sum()) and not np.isfinite(t).all():
        bad = first_index + int(np.flatnonzero(~np.isfinite(t))[0])
        raise ValueError(f"time has NaN or infinite values (first at sample {bad})")
    if not np.isfinite(a.sum()) and not np.isfinite(a).all():
        bad = first_index + int(np.flatnonzero(~np.isfinite(a).all(axis=1))[0])
        raise ValueError(f"acc has NaN or infinite values (first at sample {bad})")
    if t.shape[0] > 1:
        d = np.diff(t)
        if d.min() <= 0:
            i = first_index + int(np.flatnonzero(d <= 0)[0]) + 1
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

