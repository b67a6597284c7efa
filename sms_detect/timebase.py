"""Sample-rate inference and gap finding on a time axis (pure numpy, no I/O).

The signal core may import this module: it touches no files, devices or plotting.
"""

from __future__ import annotations

import numpy as np

#: Output data rates of common accelerometers (Hz); :func:`infer_rate` snaps to these.
COMMON_RATES_HZ: tuple[float, ...] = (
    12.5,
    25.0,
    26.0,
    50.0,
    52.0,
    100.0,
    104.0,
    200.0,
    208.0,
    400.0,
    416.0,
    500.0,
    800.0,
    833.0,
    1000.0,
    1600.0,
)

#: Relative tolerance for snapping a measured rate to :data:`COMMON_RATES_HZ`.
SNAP_TOLERANCE = 0.01

#: Fraction of intervals between 1.5 and 2.5 median intervals above which the time stamps
#: are taken to be quantised (e.g. 833 Hz written with 1 ms resolution) rather than gappy.
_QUANTISED_FRACTION = 0.2


def _check_time(time: np.ndarray, min_samples: int) -> np.ndarray:
    """Validate a time axis: 1-D, finite, non-decreasing, at least ``min_samples`` long."""
    t = np.asarray(time, dtype=np.float64)
    if t.ndim != 1:
        raise ValueError(f"time must be 1-D, got shape {t.shape}")
    if t.shape[0] < min_samples:
        raise ValueError(f"time has {t.shape[0]} samples, need at least {min_samples}")
    bad = ~np.isfinite(t)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"time holds a NaN or infinite value at index {i}")
    d = np.diff(t)
    if (d < 0).any():
        i = int(np.argmax(d < 0)) + 1
        raise ValueError(f"time is not sorted: it goes backwards at index {i}")
    return t


def snap_rate(fs: float) -> float:
    """Snap a measured rate to the nearest common device rate when within 1 %.

    Parameters
    ----------
    fs : float
        Measured sample rate in Hz.

    Returns
    -------
    float
        A value of :data:`COMMON_RATES_HZ` (Hz) within :data:`SNAP_TOLERANCE` of ``fs``,
        else ``fs`` itself.
    """
    rates = np.asarray(COMMON_RATES_HZ)
    rel = np.abs(fs - rates) / rates
    i = int(np.argmin(rel))
    return float(rates[i]) if rel[i] <= SNAP_TOLERANCE else float(fs)


def infer_rate(time: np.ndarray) -> float:
    """Infer the sample rate of a time axis, ignoring gaps and repeated time stamps.

    The median ``m`` of the positive sample intervals picks the nominal interval; the mean of
    the intervals no longer than ``1.9 m`` (not gaps, not a single lost sample, but all of a
    jittered host time stamp's spread) refines it. If more than 20 % of the intervals lie
    between ``1.9 m`` and ``2.5 m``, the time stamps are quantised (e.g.
    833 Hz written with 1 ms resolution) and those intervals count too. The result is snapped
    to a common device rate (:data:`COMMON_RATES_HZ`) when within 1 %.

    Parameters
    ----------
    time : ndarray, shape (N,)
        Sample times in seconds, non-decreasing, finite, N >= 2.

    Returns
    -------
    float
        Sample rate in Hz.

    Raises
    ------
    ValueError
        If ``time`` is not 1-D, holds NaN/inf, goes backwards, has fewer than 2 samples or
        no positive interval.
    """
    t = _check_time(time, 2)
    d = np.diff(t)
    d = d[d > 0]
    if d.size == 0:
        raise ValueError("time has no positive interval: cannot infer a sample rate")
    m = float(np.median(d))
    within = d <= 1.9 * m
    doubled = (d > 1.9 * m) & (d <= 2.5 * m)
    if np.count_nonzero(doubled) > _QUANTISED_FRACTION * d.size:
        within |= doubled
    interval = float(np.mean(d[within]))
    return snap_rate(1.0 / interval)


def find_gaps(time: np.ndarray, fs: float, factor: float = 1.5) -> np.ndarray:
    """Find the gaps in a time axis: intervals longer than ``factor / fs``.

    Parameters
    ----------
    time : ndarray, shape (N,)
        Sample times in seconds, non-decreasing, finite.
    fs : float
        Sample rate in Hz (e.g. from :func:`infer_rate`).
    factor : float, optional
        An interval longer than ``factor`` sample periods is a gap (default 1.5).

    Returns
    -------
    ndarray, shape (k, 2), float64
        One row per gap: (time of the last sample before it, time of the first sample after
        it), in seconds, in time order. ``(0, 2)`` when there is no gap or N < 2.

    Raises
    ------
    ValueError
        If ``fs`` or ``factor`` is not a positive finite number, or ``time`` is not 1-D,
        holds NaN/inf or goes backwards.
    """
    if not (np.isfinite(fs) and fs > 0):
        raise ValueError(f"fs must be a positive finite rate in Hz, got {fs!r}")
    if not (np.isfinite(factor) and factor > 0):
        raise ValueError(f"factor must be positive and finite, got {factor!r}")
    t = _check_time(time, 0)
    if t.shape[0] < 2:
        return np.empty((0, 2), dtype=np.float64)
    idx = np.flatnonzero(np.diff(t) > factor / fs)
    return np.column_stack([t[idx], t[idx + 1]]).astype(np.float64, copy=False)
