"""Per-sample features: glitch removal, band-passed magnitude, envelope, jerk.

All functions are vectorized over a block; none keeps state (the detector carries it).
"""

from __future__ import annotations

import math

import numpy as np

#: The glitch tests look only near steps longer than this fraction of ``min_g``: an excursion
#: is at most the longer of its two steps, so 1.0 would do in exact arithmetic.
SCREEN_MARGIN = 0.98


def glitch_mask(
    x: np.ndarray, min_g: float, ratio: float, two_sample: bool, step_sq: np.ndarray | None = None
) -> np.ndarray:
    """Flag one- or two-sample excursions that no limb can make.

    A limb's acceleration is band-limited (its energy lies below ~20 Hz), so a sample that
    leaves the line through its neighbours by more than ``min_g`` while those neighbours
    barely differ is a sensor or radio glitch (science.md: "one or two samples far off,
    impossible slopes").

    Parameters
    ----------
    x : ndarray, shape (3, N)
        Raw acceleration (g), axes in rows, including 2 samples of context on each side.
    min_g : float
        Smallest excursion (g) counted as a glitch.
    ratio : float
        The excursion must exceed ``ratio`` times the change between the outer neighbours.
    two_sample : bool
        Also test pairs of samples (use only where two samples are much shorter than any
        real transient, i.e. at >= 50 Hz).
    step_sq : ndarray, shape (N - 1,), optional
        Squared norm (g^2) of each sample-to-sample step, if already computed.

    Returns
    -------
    ndarray of bool, shape (N,)
        True at glitch samples. The first and last two samples are never flagged.

    Notes
    -----
    Both tests need a step larger than ``min_g`` next to the tested samples (the excursion is
    half the difference of two steps), so only samples near such steps are tested: the cost
    is one pass over the steps.
    """
    n = x.shape[1]
    mask = np.zeros(n, dtype=bool)
    if n < 5:
        return mask
    if step_sq is None:
        step_sq = sq_norm(np.diff(x, axis=1))
    # a screen, with 2 % to spare so that rounding (of the excursion, or of step_sq however
    # it was summed) can never skip a sample the exact tests below would flag
    big = np.flatnonzero(step_sq > (SCREEN_MARGIN * min_g) ** 2)
    if big.size == 0:
        return mask
    # step j joins samples j and j+1; tests of sample k use steps k-2 .. k+1
    k = np.unique((big[:, None] + np.arange(-1, 3)[None, :]).ravel())
    k = k[(k >= 2) & (k <= n - 3)]
    prev, cur, nxt = x[:, k - 1], x[:, k], x[:, k + 1]
    dev = np.linalg.norm(cur - 0.5 * (prev + nxt), axis=0)
    base = np.linalg.norm(nxt - prev, axis=0)
    mask[k[(dev > min_g) & (dev > ratio * base)]] = True
    if two_sample:
        k2 = k  # pair (k, k+1) uses k-1 .. k+2
        a, b, c, d4 = x[:, k2 - 1], x[:, k2], x[:, k2 + 1], x[:, k2 + 2]
        dev2 = np.linalg.norm(0.5 * (b + c) - 0.5 * (a + d4), axis=0)
        base2 = np.linalg.norm(d4 - a, axis=0)
        pair = k2[(dev2 > min_g) & (dev2 > ratio * base2)]
        mask[pair] = True
        mask[pair + 1] = True
    return mask


def hold_last_good(x: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Replace flagged columns of ``x`` (shape (C, N)) by the last unflagged column before them.

    The first column must be unflagged.
    """
    if not bad.any():
        return x
    idx = np.where(bad, 0, np.arange(bad.shape[0]))
    np.maximum.accumulate(idx, out=idx)
    return x.take(idx, axis=1)  # rows stay contiguous (x[:, idx] would be column-major)


def sq_norm(x: np.ndarray) -> np.ndarray:
    """Squared Euclidean norm of each column of ``x`` (shape (3, N)), e.g. g^2."""
    return x[0] * x[0] + x[1] * x[1] + x[2] * x[2]


def magnitude(x: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row of ``x`` (shape (N, 3)), e.g. g for acceleration."""
    return np.sqrt(np.einsum("ij,ij->i", x, x))


def z_angle_deg(mean_acc: np.ndarray) -> np.ndarray:
    """Arm z-angle (degrees) of mean acceleration vectors (shape (K, 3), g).

    As in van Hees et al. 2015 (PLoS One 10:e0142533): atan(az / sqrt(ax^2 + ay^2)).
    """
    return np.degrees(np.arctan2(mean_acc[:, 2], np.hypot(mean_acc[:, 0], mean_acc[:, 1])))


def angle_between_deg(u: np.ndarray, v: np.ndarray) -> float:
    """Angle (degrees) between two 3-vectors (e.g. gravity directions before and after)."""
    u, v = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
    nu, nv = math.sqrt(u.dot(u)), math.sqrt(v.dot(v))  # what np.linalg.norm computes
    if nu == 0 or nv == 0:
        return 0.0
    c = float(u.dot(v) / (nu * nv))
    return float(np.degrees(np.arccos(min(1.0, max(-1.0, c)))))
