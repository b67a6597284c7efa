"""Per-sample features: glitch removal, band-passed magnitude, envelope, jerk.

All functions are vectorized over a block; none keeps state (the detector carries it).
"""

from __future__ import annotations

import numpy as np


def glitch_mask(x: np.ndarray, min_g: float, ratio: float, two_sample: bool) -> np.ndarray:
    """Flag one- or two-sample excursions that no limb can make.

    A limb's acceleration is band-limited (its energy lies below ~20 Hz), so a sample that
    leaves the line through its neighbours by more than ``min_g`` while those neighbours
    barely differ is a sensor or radio glitch (science.md: "one or two samples far off,
    impossible slopes").

    Parameters
    ----------
    x : ndarray, shape (N, 3)
        Raw acceleration (g), including 2 samples of context on each side.
    min_g : float
        Smallest excursion (g) counted as a glitch.
    ratio : float
        The excursion must exceed ``ratio`` times the change between the outer neighbours.
    two_sample : bool
        Also test pairs of samples (use only where two samples are much shorter than any
        real transient, i.e. at >= 50 Hz).

    Returns
    -------
    ndarray of bool, shape (N,)
        True at glitch samples. The first and last two samples are never flagged.
    """
    n = x.shape[0]
    mask = np.zeros(n, dtype=bool)
    if n < 5:
        return mask
    prev, cur, nxt = x[1:-3], x[2:-2], x[3:-1]
    dev = np.linalg.norm(cur - 0.5 * (prev + nxt), axis=1)
    base = np.linalg.norm(nxt - prev, axis=1)
    mask[2:-2] |= (dev > min_g) & (dev > ratio * base)
    if two_sample:
        a, b, c, d = x[1:-3], x[2:-2], x[3:-1], x[4:]
        dev2 = np.linalg.norm(0.5 * (b + c) - 0.5 * (a + d), axis=1)
        base2 = np.linalg.norm(d - a, axis=1)
        pair = (dev2 > min_g) & (dev2 > ratio * base2)
        mask[2:-2] |= pair
        mask[3:-1] |= pair
    return mask


def hold_last_good(x: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Replace flagged rows of ``x`` (shape (N, C)) by the last unflagged row before them.

    The first row must be unflagged.
    """
    if not bad.any():
        return x
    idx = np.where(bad, 0, np.arange(bad.shape[0]))
    np.maximum.accumulate(idx, out=idx)
    return x[idx]


def magnitude(x: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row of ``x`` (shape (N, 3)), e.g. g for acceleration."""
    return np.sqrt(np.einsum("ij,ij->i", x, x))


def jerk_magnitude(x: np.ndarray, prev: np.ndarray, fs: float) -> np.ndarray:
    """Jerk magnitude (g/s) by first difference of ``x`` (shape (N, 3), g).

    Parameters
    ----------
    x : ndarray, shape (N, 3)
        Acceleration (g).
    prev : ndarray, shape (3,)
        The sample before ``x[0]`` (g).
    fs : float
        Sampling rate (Hz).
    """
    d = np.diff(x, axis=0, prepend=prev[None, :])
    return magnitude(d) * fs


def z_angle_deg(mean_acc: np.ndarray) -> np.ndarray:
    """Arm z-angle (degrees) of mean acceleration vectors (shape (K, 3), g).

    As in van Hees et al. 2015 (PLoS One 10:e0142533): atan(az / sqrt(ax^2 + ay^2)).
    """
    return np.degrees(np.arctan2(mean_acc[:, 2], np.hypot(mean_acc[:, 0], mean_acc[:, 1])))


def angle_between_deg(u: np.ndarray, v: np.ndarray) -> float:
    """Angle (degrees) between two 3-vectors (e.g. gravity directions before and after)."""
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu == 0 or nv == 0:
        return 0.0
    c = float(np.dot(u, v) / (nu * nv))
    return float(np.degrees(np.arccos(min(1.0, max(-1.0, c)))))
