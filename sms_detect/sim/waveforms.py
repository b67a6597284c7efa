"""Building blocks for limb kinematics: minimum-jerk profiles, muscle-torque bursts,
second-order limb and soft-tissue dynamics, the sensor's anti-alias low-pass.

All functions are vectorized; time in s, frequency in Hz, acceleration in g unless stated.

Physical background
-------------------
* Voluntary point-to-point movements follow a minimum-jerk profile (Flash & Hogan 1985,
  J Neurosci 5:1688): position ``D (10 t^3 - 15 t^4 + 6 t^5)`` with ``t`` in [0, 1].
* A brief muscle burst (EMG tens to a few hundred ms) produces a twitch-shaped force
  (contraction time ~20-100 ms). The limb segment behaves as a damped second-order system
  (inertia, passive stiffness of joint and antagonists: natural frequency a few Hz).
* The sensor sits on soft tissue and a strap: a base-excited second-order system with a
  resonance of ~10-30 Hz and light damping, which makes the short ringing tail of an impact
  or a jerk seen by wrist-worn accelerometers.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

G = 9.80665  # m/s^2 per g


def min_jerk_pos(tau: np.ndarray) -> np.ndarray:
    """Minimum-jerk position profile (0..1) for normalised time ``tau`` (clipped to [0, 1])."""
    t = np.clip(tau, 0.0, 1.0)
    return t**3 * (10.0 - 15.0 * t + 6.0 * t**2)


def min_jerk_acc(tau: np.ndarray) -> np.ndarray:
    """Second derivative of :func:`min_jerk_pos` w.r.t. ``tau`` (zero outside [0, 1]).

    Multiply by ``D / T**2`` (m, s) to get the acceleration in m/s^2; peak is ``5.77 D/T^2``.
    """
    t = np.asarray(tau, dtype=float)
    a = 60.0 * t - 180.0 * t**2 + 120.0 * t**3
    return np.where((t >= 0.0) & (t <= 1.0), a, 0.0)


def raised_cosine(t: np.ndarray, dur: float) -> np.ndarray:
    """Hann-shaped bump of length ``dur`` s starting at ``t = 0`` (peak 1, zero outside)."""
    x = np.asarray(t, dtype=float) / dur
    return np.where((x >= 0.0) & (x <= 1.0), 0.5 - 0.5 * np.cos(2.0 * np.pi * x), 0.0)


def twitch_force(t: np.ndarray, burst: float, tc: float) -> np.ndarray:
    """Muscle force (normalised) for an EMG burst of ``burst`` s and contraction time ``tc`` s.

    The activation (a Hann bump of the burst length) is convolved with the twitch kernel
    ``(t/tc) exp(1 - t/tc)`` (Fuglevand et al. 1993 motor-unit twitch model); ``t`` must be
    an evenly spaced grid starting at 0.
    """
    dt = float(t[1] - t[0])
    act = raised_cosine(t, burst)
    kt = np.arange(0.0, 6.0 * tc, dt)
    kern = (kt / tc) * np.exp(1.0 - kt / tc)
    f = np.convolve(act, kern)[: len(t)] * dt
    m = np.max(np.abs(f))
    return f / m if m > 0 else f


def _bilinear2(
    b2: float, b1: float, b0: float, a1: float, a0: float, fs: float
) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear transform of ``(b2 s^2 + b1 s + b0) / (s^2 + a1 s + a0)`` at ``fs`` Hz."""
    k = 2.0 * fs
    k2 = k * k
    b = np.array([b2 * k2 + b1 * k + b0, 2.0 * (b0 - b2 * k2), b2 * k2 - b1 * k + b0])
    a = np.array([k2 + a1 * k + a0, 2.0 * (a0 - k2), k2 - a1 * k + a0])
    return b / a[0], a / a[0]


def second_order(x: np.ndarray, fs: float, f0: float, zeta: float) -> np.ndarray:
    """Position response of ``y'' + 2 zeta w y' + w^2 y = w^2 x`` (unit DC gain).

    ``x`` sampled at ``fs`` Hz; ``f0`` natural frequency in Hz; discretised by the bilinear
    transform.
    """
    w = 2.0 * np.pi * f0
    b, a = _bilinear2(0.0, 0.0, w * w, 2.0 * zeta * w, w * w, fs)
    return signal.lfilter(b, a, x)


def base_excitation(acc: np.ndarray, fs: float, f0: float, zeta: float) -> np.ndarray:
    """Absolute acceleration of a mass on a spring-damper whose base moves with ``acc``.

    Transfer function ``(2 zeta w s + w^2) / (s^2 + 2 zeta w s + w^2)``: the soft tissue and
    strap between bone and sensor (resonance ``f0`` Hz, damping ratio ``zeta``). Works on the
    first axis of ``acc`` (samples), any trailing shape.
    """
    w = 2.0 * np.pi * f0
    b, a = _bilinear2(0.0, 2.0 * zeta * w, w * w, 2.0 * zeta * w, w * w, fs)
    return signal.lfilter(b, a, acc, axis=0)


def anti_alias(x: np.ndarray, fs: float, cutoff: float) -> np.ndarray:
    """The sensor's own digital low-pass before output (2nd-order Butterworth, causal).

    ``cutoff`` Hz is clipped below the Nyquist frequency of ``fs``.
    """
    cutoff = min(cutoff, 0.45 * fs)
    sos = signal.butter(2, cutoff, fs=fs, output="sos")
    return signal.sosfilt(sos, x, axis=0)


def derivative(x: np.ndarray, fs: float) -> np.ndarray:
    """First time derivative along axis 0 (central differences), units of ``x`` per s."""
    return np.gradient(x, 1.0 / fs, axis=0)


def smooth_noise(
    rng: np.random.Generator, n: int, fs: float, fc: float, dims: int = 3
) -> np.ndarray:
    """Gaussian noise low-passed at ``fc`` Hz, shape (n, dims), unit standard deviation."""
    if n == 0:
        return np.zeros((0, dims))
    x = rng.normal(size=(n + int(2 * fs / max(fc, 1e-3)) + 8, dims))
    sos = signal.butter(2, min(fc, 0.45 * fs), fs=fs, output="sos")
    y = signal.sosfilt(sos, x, axis=0)[-n:]
    sd = np.std(y, axis=0, keepdims=True)
    return y / np.where(sd > 0, sd, 1.0)
