"""Small synthetic signals for core tests (not the simulator: hand-placed, exactly known)."""

from __future__ import annotations

import numpy as np


def quiet_night(fs: float, seconds: float, seed: int = 0, noise_g: float = 0.002):
    """Resting limb: gravity on z plus white noise. Returns (time s, acc g)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    t = np.arange(n) / fs
    acc = np.tile([0.05, -0.1, 0.99], (n, 1)) + rng.normal(0.0, noise_g, (n, 3))
    return t, acc


def add_jerk(t, acc, onset_s: float, peak_g: float = 0.5, freq_hz: float = 5.0,
             sigma_s: float = 0.05, axis=(1.0, -0.6, 0.3)):
    """Add a jerk beginning near ``onset_s``: a biphasic ``freq_hz`` sine under a Gaussian of
    ``sigma_s`` s, scaled to a peak of ``peak_g`` g. It is odd about its centre, so it
    integrates to zero: the limb is at rest again afterwards, as a real limb is."""
    u = t - (onset_s + 2.0 * sigma_s)
    sel = np.abs(u) < 4.0 * sigma_s
    pulse = np.sin(2 * np.pi * freq_hz * u[sel]) * np.exp(-0.5 * (u[sel] / sigma_s) ** 2)
    pulse *= peak_g / np.abs(pulse).max()
    d = np.asarray(axis, float) / np.linalg.norm(axis)
    acc[sel] += pulse[:, None] * d[None, :]
    return acc


def add_weak_jerk(t, acc, onset_s: float):
    """Add a slower, weaker jerk (0.3 g, 3 Hz, ~0.55 s): still a ``hypnic_jerk``, but of
    confidence ~0.87, under ``single_limb_min_confidence``."""
    return add_jerk(t, acc, onset_s, peak_g=0.3, freq_hz=3.0, sigma_s=0.12)


def add_leg_movement(t, acc, onset_s: float, peak_g: float = 0.4, freq_hz: float = 2.0,
                     decay_s: float = 0.3, length_s: float = 1.0):
    """Add a smooth ~0.7 s leg movement (a damped ``freq_hz`` sine from ``onset_s``, a PLM)."""
    fs = 1.0 / np.median(np.diff(t))
    k = int(np.searchsorted(t, onset_s))
    tt = np.arange(int(length_s * fs)) / fs
    pulse = peak_g * np.sin(2 * np.pi * freq_hz * tt) * np.exp(-tt / decay_s)
    d = np.array([1.0, -0.6, 0.3]) / np.linalg.norm([1.0, -0.6, 0.3])
    m = min(len(tt), len(t) - k)
    acc[k:k + m] += pulse[:m, None] * d[None, :]
    return acc


def add_movement(t, acc, onset_s: float, duration_s: float = 3.0, amp_g: float = 0.3,
                 turn_deg: float = 60.0):
    """Add a smooth voluntary movement that also rotates the gravity direction."""
    fs = 1.0 / np.median(np.diff(t))
    k = int(np.searchsorted(t, onset_s))
    n = min(int(duration_s * fs), len(t) - k)
    u = np.linspace(0, 1, n)
    acc[k:k + n, 0] += amp_g * np.sin(2 * np.pi * 1.5 * u * duration_s) * np.sin(np.pi * u)
    th = np.radians(turn_deg)
    g = acc[k + n:, :].copy()
    rot = np.array([[1, 0, 0], [0, np.cos(th), -np.sin(th)], [0, np.sin(th), np.cos(th)]])
    acc[k + n:] = g @ rot.T
    return acc


def add_tilt(t, acc, onset_s: float, duration_s: float = 0.6, turn_deg: float = 20.0):
    """Tilt the gravity direction out by ``turn_deg`` degrees and back (a sin^2 profile over
    ``duration_s`` s): the slow part of a voluntary flick, on which a fast burst may ride."""
    k0, k1 = np.searchsorted(t, (onset_s, onset_s + duration_s))
    u = np.arange(k1 - k0) / max(k1 - k0, 1)
    th = np.radians(turn_deg) * np.sin(np.pi * u) ** 2
    c, s = np.cos(th), np.sin(th)
    y, z = acc[k0:k1, 1].copy(), acc[k0:k1, 2].copy()
    acc[k0:k1, 1] = c * y - s * z
    acc[k0:k1, 2] = s * y + c * z
    return acc


def add_sway(t, acc, start_s: float, stop_s: float, amp_deg: float = 0.6, seed: int = 1):
    """Tilt the gravity direction by a slow random wander (awake postural sway, ~0.5 Hz) of
    about ``amp_deg`` degrees between ``start_s`` and ``stop_s``; the limb ends where it began."""
    rng = np.random.default_rng(seed)
    fs = 1.0 / np.median(np.diff(t))
    k0, k1 = np.searchsorted(t, (start_s, stop_s))
    n = int(k1 - k0)
    knots = rng.normal(0.0, 1.0, n // int(fs) + 2)  # a new direction every second
    wander = np.interp(np.arange(n) / fs, np.arange(len(knots)), knots)
    wander *= np.sin(np.pi * np.arange(n) / n)  # starts and ends at zero
    th = np.radians(amp_deg) * wander
    c, s = np.cos(th), np.sin(th)
    y, z = acc[k0:k1, 1].copy(), acc[k0:k1, 2].copy()
    acc[k0:k1, 1] = c * y - s * z
    acc[k0:k1, 2] = s * y + c * z
    return acc
