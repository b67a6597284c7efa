"""Sensor model: timing (rate error, jitter, radio dropouts), MEMS noise, calibration errors,
anti-alias bandwidth, quantisation, range clipping and glitches.

Typical figures (datasheets; each is drawn at random per device):

* Noise density 90-300 ug/sqrt(Hz): e.g. ST LIS3DH ~220 ug/sqrt(Hz) (normal mode),
  ST LSM6DSL ~90-130 ug/sqrt(Hz), Bosch BMI160 ~180 ug/sqrt(Hz), ADI ADXL345 ~290-430
  ug/sqrt(Hz) (x/y vs z).
* Output data rates 25, 50, 100, 200, 400 Hz (ST/ADI/Bosch) or 52, 104, 208, 416 Hz (ST
  LSM6 family); internal low-pass at ODR/2..ODR/4.
* Full scale +-2/4/8/16 g at 12-16 bit.
* Zero-g offset +-20-60 mg per axis after soldering, sensitivity error +-1-3 %, cross-axis
  sensitivity ~1 %, offset drift with temperature ~0.2-1 mg/K (a few mg over a night).
* Wireless links (BLE) deliver packets of several samples; lost packets leave gaps of tens of
  ms, and interference or range produce longer dropouts. Host timestamps carry jitter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DeviceProfile:
    """One simulated accelerometer.

    Attributes
    ----------
    rate_hz : float
        Nominal output data rate in Hz.
    range_g : float
        Full scale in g (readings clip at +-range_g).
    bits : int
        ADC resolution; 1 LSB = 2 range_g / 2**bits g.
    noise_density : float
        White noise density in g/sqrt(Hz).
    bandwidth_hz : float
        -3 dB bandwidth of the sensor's internal low-pass in Hz.
    offset_g : tuple of 3 float
        Zero-g offsets in g.
    gain : tuple of 3 float
        Sensitivity factors (1 = exact).
    cross_axis : float
        Cross-axis coupling factor.
    offset_drift_g : float
        Standard deviation of the slow offset drift over the night in g.
    wireless : bool
        True for a radio source (jitter, gaps, glitches), False for a logger.
    rate_error_ppm : float
        Actual rate = nominal * (1 + ppm 1e-6).
    jitter_s : float
        Standard deviation of timestamp jitter in s (wireless only).
    gap_rate_per_h : float
        Radio dropouts per hour.
    glitch_rate_per_h : float
        Glitch events (1-2 samples far off) per hour.
    packet : int
        Samples per radio packet (dropouts lose whole packets).
    """

    rate_hz: float
    range_g: float
    bits: int
    noise_density: float
    bandwidth_hz: float
    offset_g: tuple[float, float, float]
    gain: tuple[float, float, float]
    cross_axis: float
    offset_drift_g: float
    wireless: bool
    rate_error_ppm: float
    jitter_s: float
    gap_rate_per_h: float
    glitch_rate_per_h: float
    packet: int

    @property
    def lsb_g(self) -> float:
        """Quantisation step in g."""
        return 2.0 * self.range_g / 2**self.bits

    def to_dict(self) -> dict[str, object]:
        """Plain dict for metadata."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def random_profile(
    rng: np.random.Generator, rate_hz: float, wireless: bool | None = None
) -> DeviceProfile:
    """Draw a plausible device for nominal rate ``rate_hz`` (Hz)."""
    if wireless is None:
        wireless = bool(rng.random() < 0.6)
    range_g = float(rng.choice([2.0, 4.0, 8.0, 16.0], p=[0.2, 0.35, 0.35, 0.1]))
    bits = int(rng.choice([12, 14, 16], p=[0.35, 0.2, 0.45]))
    packet = int(max(1, round(rate_hz * rng.uniform(0.02, 0.08))))
    return DeviceProfile(
        rate_hz=float(rate_hz),
        range_g=range_g,
        bits=bits,
        noise_density=float(rng.uniform(90e-6, 300e-6)),
        bandwidth_hz=float(rate_hz * rng.choice([0.25, 0.4, 0.5])),
        offset_g=tuple(float(x) for x in rng.uniform(-0.05, 0.05, size=3)),
        gain=tuple(float(x) for x in 1.0 + rng.uniform(-0.025, 0.025, size=3)),
        cross_axis=float(rng.uniform(0.0, 0.015)),
        offset_drift_g=float(rng.uniform(0.0005, 0.004)),
        wireless=wireless,
        rate_error_ppm=float(rng.uniform(-150, 150)),
        jitter_s=float(rng.uniform(0.0002, 0.003)) if wireless else 0.0,
        gap_rate_per_h=float(rng.uniform(2, 25)) if wireless else 0.0,
        glitch_rate_per_h=float(rng.uniform(0.2, 3)) if wireless else float(rng.uniform(0, 0.3)),
        packet=packet,
    )


def sample_times(
    rng: np.random.Generator, prof: DeviceProfile, duration: float
) -> tuple[np.ndarray, np.ndarray]:
    """Sampling instants over [0, duration) s.

    Returns ``(t_true, t_reported)``: the physical instants (actual rate = nominal rate with
    its ppm error, random phase) and the timestamps written out (t_true plus jitter for a
    wireless source, clipped to +-0.3 sample periods so time keeps increasing).
    """
    fs = prof.rate_hz * (1.0 + prof.rate_error_ppm * 1e-6)
    phase = rng.uniform(0.0, 1.0 / fs)
    n = int(np.floor((duration - phase) * fs))
    t_true = phase + np.arange(n) / fs
    if prof.wireless and prof.jitter_s > 0:
        lim = 0.3 / prof.rate_hz
        jit = np.clip(rng.normal(0.0, prof.jitter_s, size=n), -lim, lim)
        t_rep = t_true + jit
    else:
        t_rep = t_true.copy()
    return t_true, t_rep


def radio_gaps(
    rng: np.random.Generator, prof: DeviceProfile, n: int
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Draw radio dropouts for ``n`` samples.

    Returns ``(keep, gaps)``: a boolean mask of samples kept and the dropped index ranges
    ``[i0, i1)`` (sorted, disjoint). Lengths: 70 % one to a few packets, 25 % 0.5-10 s,
    5 % 20-120 s.
    """
    keep = np.ones(n, dtype=bool)
    if not prof.wireless or n == 0:
        return keep, []
    hours = n / prof.rate_hz / 3600.0
    k = rng.poisson(prof.gap_rate_per_h * hours)
    out: list[tuple[int, int]] = []
    for _ in range(k):
        r = rng.random()
        if r < 0.7:
            length = prof.packet * int(rng.integers(1, 5))
        elif r < 0.95:
            length = int(rng.uniform(0.5, 10.0) * prof.rate_hz)
        else:
            length = int(rng.uniform(20.0, 120.0) * prof.rate_hz)
        i0 = int(rng.integers(1, max(2, n - length - 1)))
        i1 = min(n - 1, i0 + max(length, 1))
        keep[i0:i1] = False
    # recover the merged ranges from the mask
    d = np.diff(np.concatenate(([1], keep.astype(np.int8), [1])))
    starts = np.flatnonzero(d == -1)
    ends = np.flatnonzero(d == 1)
    out = [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]
    return keep, out


def drift_track(
    rng: np.random.Generator, prof: DeviceProfile, t0: float, t1: float
) -> tuple[np.ndarray, np.ndarray]:
    """Slow offset drift (temperature) over [t0, t1] s: knots every ~10 min, (m,) times and
    (m, 3) offsets in g with standard deviation ``prof.offset_drift_g``."""
    span = max(t1 - t0, 1.0)
    m = max(4, int(span / 600.0) + 4)
    coarse = np.cumsum(rng.normal(0.0, 1.0, size=(m, 3)), axis=0)
    coarse -= coarse.mean(axis=0)
    coarse *= prof.offset_drift_g / max(float(coarse.std()), 1e-9)
    return np.linspace(t0, t1 + 1e-9, m), coarse


def measure(
    rng: np.random.Generator,
    prof: DeviceProfile,
    t: np.ndarray,
    f: np.ndarray,
    drift: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Turn the true specific force ``f`` (N, 3) in g at times ``t`` s into sensor readings.

    Applies gain, cross-axis coupling, offsets with slow drift (``drift`` from
    :func:`drift_track`, drawn here when None), white noise of the device's density over its
    bandwidth, quantisation and clipping. Returns ``(acc, clipped)`` where ``clipped`` is a
    boolean (N,) mask of samples with an axis at full scale.
    """
    n = len(t)
    gain = np.asarray(prof.gain)
    c = prof.cross_axis
    mix = np.array([[1.0, c, -c], [-c, 1.0, c], [c, -c, 1.0]]) * gain[:, None]
    acc = f @ mix.T
    acc += np.asarray(prof.offset_g)
    if n:
        if drift is None:
            drift = drift_track(rng, prof, float(t[0]), float(t[-1]))
        tc, coarse = drift
        for ax in range(3):
            acc[:, ax] += np.interp(t, tc, coarse[:, ax])
    bw = min(prof.bandwidth_hz, prof.rate_hz / 2.0)
    sigma = prof.noise_density * np.sqrt(1.11 * bw)
    acc += rng.normal(0.0, sigma, size=acc.shape)
    lsb = prof.lsb_g
    acc = np.round(acc / lsb) * lsb
    lo, hi = -prof.range_g, prof.range_g - lsb
    clipped = np.any((acc <= lo) | (acc >= hi), axis=1)
    np.clip(acc, lo, hi, out=acc)
    return acc, clipped


def glitches(
    rng: np.random.Generator, prof: DeviceProfile, acc: np.ndarray
) -> list[tuple[int, int, str]]:
    """Corrupt 1-2 consecutive samples at random places in ``acc`` (in place).

    Kinds: ``spike`` (one axis jumps by 0.4-1 full scale, away from its value),
    ``fullscale`` (one axis at +-range), ``zero`` (all axes read 0, e.g. an empty packet).
    Returns ``[(i0, i1, kind)]`` index ranges ``[i0, i1)``.
    """
    n = len(acc)
    hours = n / prof.rate_hz / 3600.0
    k = rng.poisson(prof.glitch_rate_per_h * hours)
    out: list[tuple[int, int, str]] = []
    lsb = prof.lsb_g
    for _ in range(k):
        if n < 10:
            break
        i0 = int(rng.integers(2, n - 4))
        i1 = i0 + int(rng.integers(1, 3))
        kind = str(rng.choice(["spike", "fullscale", "zero"], p=[0.5, 0.3, 0.2]))
        ax = int(rng.integers(0, 3))
        if kind == "spike":
            cur = float(acc[i0, ax])
            v = cur - np.sign(cur or 1.0) * rng.uniform(0.4, 1.0) * prof.range_g
            acc[i0:i1, ax] = np.clip(np.round(v / lsb) * lsb, -prof.range_g, prof.range_g - lsb)
        elif kind == "fullscale":
            acc[i0:i1, ax] = prof.range_g - lsb if rng.random() < 0.5 else -prof.range_g
        else:
            acc[i0:i1, :] = 0.0
        out.append((i0, i1, kind))
    return out


__all__ = [
    "DeviceProfile",
    "glitches",
    "measure",
    "radio_gaps",
    "random_profile",
    "sample_times",
]
