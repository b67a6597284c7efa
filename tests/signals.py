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
             decay_s: float = 0.08, length_s: float = 0.4, axis=(1.0, -0.6, 0.3)):
    """Add a biphasic damped transient starting at ``onset_s`` (``peak_g``: envelope amplitude)."""
    fs = 1.0 / np.median(np.diff(t))
    k = int(np.searchsorted(t, onset_s))
    tt = np.arange(int(length_s * fs)) / fs
    pulse = peak_g * np.sin(2 * np.pi * freq_hz * tt) * np.exp(-tt / decay_s)
    d = np.asarray(axis, float) / np.linalg.norm(axis)
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
