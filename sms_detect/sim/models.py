"""Physical models of every event kind at one limb. Each returns :class:`Part` objects.

Units: time s, acceleration g, angles rad, lengths m. Sources for the figures:

* Hypnic jerks (sleep starts): EMG bursts 75-250 ms, simultaneous or in one segment, at the
  wake-sleep transition (ICSD-3; Walters 2007, Chest 131:1260 "Clinical identification of the
  simple sleep-related movement disorders"); no ordered propagation between muscles
  (Antelmi et al. 2016, Sleep Med 26:37) -> limb lags of a few to ~50 ms either way.
* Fragmentary myoclonus: EMG potentials 75-150 ms, usually no visible movement
  (Frauscher et al. 2014; AASM optional rule: >= 5/min over 20 min of NREM for EFM).
* PLM: 0.5-10 s, series of >= 4 at 5-90 s (AASM) / 10-90 s (WASM 2016, Ferri et al. Sleep Med
  26:86); typically every 20-40 s; ankle dorsiflexion with knee/hip flexion.
* Hypnagogic foot tremor: bursts 300-700 ms at 1-2 /s, series of 10-15 s (Wichniak et al.
  2001, Mov Disord 16:1164); high-frequency leg movements 0.3-4 Hz (mean 1.6 Hz), episodes
  1.5 s - 6 min (Yang & Winkelman 2010, J Clin Sleep Med 6:431). ALMA: bursts 100-500 ms at
  0.5-3 Hz alternating between legs (Chervin et al. 2003, Mov Disord 18:551).
* Rhythmic movement disorder: body rocking / rolling 0.5-2 Hz (ICSD-3).
* Voluntary movements: minimum-jerk submovements (Flash & Hogan 1985).
* Scratching: 3-6 Hz hand/wrist oscillation (actigraphic scratch detection literature).
"""

from __future__ import annotations

import numpy as np

from sms_detect.sim.parts import Part
from sms_detect.sim.physics import DEFAULT_PHYSICS, JerkPhysics, window_s
from sms_detect.sim.rotation import random_perpendicular, random_unit, unit
from sms_detect.sim.waveforms import (
    G,
    base_excitation,
    derivative,
    min_jerk_acc,
    raised_cosine,
    second_order,
    smooth_noise,
    twitch_force,
)

FINE = 1000.0  # Hz, grid of impulsive waveforms
SMOOTH = 200.0  # Hz, grid of slow waveforms

LEVER = {"wrist": (0.15, 0.6), "ankle": (0.25, 0.8)}  # m, joint-to-sensor radius


def _extent(acc: np.ndarray, fs: float, frac: float) -> tuple[float, float, float]:
    """Relative (onset s, offset s, peak g) where |acc| first/last exceeds ``frac`` of peak."""
    mag = np.linalg.norm(acc, axis=1)
    peak = float(mag.max()) if len(mag) else 0.0
    if peak <= 0:
        return 0.0, 0.0, 0.0
    idx = np.flatnonzero(mag >= frac * peak)
    return idx[0] / fs, (idx[-1] + 1) / fs, peak


def _shift(x: np.ndarray, delay: float) -> np.ndarray:
    """Delay a 1 kHz waveform by ``delay`` s (zeros shifted in)."""
    k = int(round(delay * FINE))
    out = np.zeros_like(x)
    if k < len(x):
        out[k:] = x[: len(x) - k]
    return out


def myoclonic_burst(
    rng: np.random.Generator,
    loc: str,
    peak_g: float,
    burst_s: float,
    *,
    joints: int = 1,
    lever: tuple[float, float] | None = None,
    tissue_hz: tuple[float, float] = DEFAULT_PHYSICS.tissue_hz,
    length_s: float = 1.4,
    joint_hz: tuple[float, float] = DEFAULT_PHYSICS.joint_hz,
    joint_damping: tuple[float, float] = DEFAULT_PHYSICS.joint_damping,
    second: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Limb response to a brief muscle burst (jerk or twitch), on a 1 kHz grid.

    ``second = (delay s, relative size)`` adds a second, smaller burst of the same command
    (a double jerk).

    A twitch-shaped torque (agonist, optional antagonist brake) drives each joint, modelled as
    a damped second-order system (natural frequency ``joint_hz``, default 2.5-10 Hz, damping
    ``joint_damping``, default 0.35-1.0). The sensor sees the tangential (r * angular
    acceleration) and centripetal acceleration of the segment through a soft-tissue/strap
    resonance (``tissue_hz``, default 10-28 Hz, damping 0.12-0.35), and its
    gravity reading turns with the segment. The whole is scaled to a peak of ``peak_g`` g.

    Returns ``(acc (n, 3) g, rot (n, 3) rad, info)``; ``info`` holds the relative onset and
    offset (10 % of peak) and the achieved peak.
    """
    n = int(length_s * FINE)
    t = np.arange(n) / FINE
    lever = lever or LEVER.get(loc, (0.2, 0.6))
    tc = rng.uniform(0.02, 0.08)  # twitch contraction time, s (fast to slow motor units)
    pre = 0.05
    comps = []
    for j in range(joints):
        k = random_unit(rng)
        rhat = random_perpendicular(rng, k)
        d = np.cross(k, rhat)
        r = rng.uniform(*lever)
        delay = pre + (0.0 if j == 0 else rng.uniform(0.0, 0.03))
        w = 1.0 if j == 0 else rng.uniform(0.2, 0.7)
        force = _shift(twitch_force(t, burst_s, tc), delay)
        if second is not None:
            force += second[1] * _shift(twitch_force(t, burst_s * 0.7, tc), delay + second[0])
        beta = rng.uniform(0.0, 0.6)
        if beta > 0:
            lag = rng.uniform(0.04, 0.1)
            brake = twitch_force(t, burst_s * rng.uniform(0.5, 1.0), tc)
            force -= beta * _shift(brake, delay + lag)
        theta = w * second_order(force, FINE, rng.uniform(*joint_hz), rng.uniform(*joint_damping))
        comps.append((k, rhat, d, r, theta))
    f_t, z_t = rng.uniform(*tissue_hz), rng.uniform(0.12, 0.35)

    def build(scale: float) -> tuple[np.ndarray, np.ndarray]:
        acc = np.zeros((n, 3))
        rot = np.zeros((n, 3))
        for k, rhat, d, r, theta in comps:
            th = theta * scale
            om = derivative(th, FINE)
            al = derivative(om, FINE)
            acc += np.outer(r * al, d) - np.outer(r * om**2, rhat)
            rot += np.outer(th, k)
        return base_excitation(acc / G, FINE, f_t, z_t), rot

    acc, _ = build(1.0)
    p = float(np.linalg.norm(acc, axis=1).max())
    s = peak_g / p if p > 0 else 0.0
    acc, rot = build(s)
    # a second pass corrects the small non-linear (centripetal) part
    p2 = float(np.linalg.norm(acc, axis=1).max())
    if p2 > 0:
        acc *= peak_g / p2
    on, off, peak = _extent(acc, FINE, 0.1)
    info = {"onset": on, "offset": off, "peak": peak, "tissue_hz": f_t, "tc": tc}
    return acc, rot, info


def hypnic_jerk_part(
    rng: np.random.Generator,
    loc: str,
    t_start: float,
    peak_g: float,
    burst_s: float,
    second: tuple[float, float] | None = None,
    physics: JerkPhysics = DEFAULT_PHYSICS,
) -> tuple[Part, dict[str, float]]:
    """One limb's share of a hypnic jerk starting (EMG onset) near ``t_start`` s.

    ``physics`` gives the ranges of the joint and tissue dynamics (and so the length of the
    simulated window, :func:`~sms_detect.sim.physics.window_s`). Sometimes (40 %) the limb
    ends in a slightly different posture (up to ~8 deg, scaled with the jerk's size).
    """
    joints = int(rng.choice([1, 2], p=[0.4, 0.6]))
    acc, rot, info = myoclonic_burst(
        rng, loc, peak_g, burst_s, joints=joints, second=second, tissue_hz=physics.tissue_hz,
        joint_hz=physics.joint_hz, joint_damping=physics.joint_damping,
        length_s=window_s(physics),
    )
    t0 = t_start - 0.05
    posture = None
    if rng.random() < 0.4:
        # the limb settles a little elsewhere: up to ~8 deg after a strong jerk, less after
        # a weak one
        a = np.deg2rad(rng.uniform(1, 8)) * min(1.0, peak_g / 0.8)
        posture = (t0 + info["onset"] + 0.05, t0 + info["offset"] + 0.3, a)
    return Part(t0=t0, fs=FINE, acc=acc, rot=rot, posture=posture), info


def twitch_part(
    rng: np.random.Generator, loc: str, t_start: float
) -> tuple[Part, dict[str, float]]:
    """A fragmentary-myoclonus twitch (EMG <= 150 ms) seen as a milli-g transient."""
    peak = float(np.exp(rng.uniform(np.log(0.002), np.log(0.03))))
    burst = rng.uniform(0.02, 0.15)
    acc, rot, info = myoclonic_burst(
        rng, loc, peak, burst, lever=(0.03, 0.1), tissue_hz=(14.0, 35.0), length_s=0.6
    )
    return Part(t0=t_start - 0.05, fs=FINE, acc=acc, rot=rot), info


def _submovements(
    rng: np.random.Generator,
    fs: float,
    n: int,
    starts: np.ndarray,
    durs: np.ndarray,
    dists: np.ndarray,
) -> np.ndarray:
    """Sum of minimum-jerk submovements (start s, duration s, distance m) in random
    directions, as acceleration in g on a grid of ``n`` samples at ``fs`` Hz."""
    t = np.arange(n) / fs
    acc = np.zeros((n, 3))
    for s0, T, D in zip(starts, durs, dists, strict=True):
        d = random_unit(rng)
        acc += np.outer(min_jerk_acc((t - s0) / T) * D / T**2, d)
    return acc / G


def voluntary_part(
    rng: np.random.Generator, t_start: float, dur: float, *, scale: float = 1.0
) -> tuple[Part, dict[str, float]]:
    """Reach/adjust: 1-5 overlapping minimum-jerk submovements over ``dur`` s (0.5-10 s),
    3-40 cm each, with a lasting orientation change of 5-90 deg."""
    k = int(np.clip(round(dur / 1.2), 1, 5))
    durs = rng.uniform(0.4, 2.0, size=k)
    durs = np.minimum(durs, dur)
    starts = np.sort(rng.uniform(0.0, max(dur - durs.max(), 0.0), size=k))
    starts[0] = 0.0
    ends = starts + durs
    durs[-1] = max(durs[-1], dur - starts[-1]) if dur - starts[-1] < 2.5 else durs[-1]
    dists = rng.uniform(0.03, 0.4, size=k) * scale
    n = int((float(np.max(starts + durs)) + 0.3) * SMOOTH)
    acc = _submovements(rng, SMOOTH, n, starts, durs, dists)
    acc = base_excitation(acc, SMOOTH, rng.uniform(8, 20), rng.uniform(0.3, 0.6))
    angle = np.deg2rad(rng.uniform(5, 90)) * min(scale, 1.0)
    t_end = t_start + float(np.max(ends))
    part = Part(t0=t_start, fs=SMOOTH, acc=acc, posture=(t_start, t_end, angle))
    return part, {"onset": 0.0, "offset": float(np.max(starts + durs)), "submovements": k}


def turn_over_part(
    rng: np.random.Generator, t_start: float, dur: float
) -> tuple[Part, dict[str, float]]:
    """Turning over in bed: 3-6 larger submovements over ``dur`` s (2-8 s), a lasting
    orientation change of 60-180 deg and a small mattress rebound (2-4 Hz) at the end."""
    k = int(rng.integers(3, 7))
    durs = rng.uniform(0.6, 2.0, size=k)
    starts = np.sort(rng.uniform(0.0, max(dur - 0.6, 0.1), size=k))
    starts[0] = 0.0
    durs = np.minimum(durs, dur - starts + 0.3)
    dists = rng.uniform(0.05, 0.45, size=k)
    end = float(np.max(starts + durs))
    n = int((end + 2.5) * SMOOTH)
    acc = _submovements(rng, SMOOTH, n, starts, durs, dists)
    t = np.arange(n) / SMOOTH - end
    f = rng.uniform(2, 4)
    reb = np.where(t > 0, np.exp(-t * 2 * np.pi * f * 0.15) * np.sin(2 * np.pi * f * t), 0.0)
    vertical = reb * rng.uniform(0.01, 0.06)
    acc = base_excitation(acc, SMOOTH, rng.uniform(8, 20), rng.uniform(0.3, 0.6))
    angle = np.deg2rad(rng.uniform(60, 180))
    part = Part(
        t0=t_start, fs=SMOOTH, acc=acc, vertical=vertical, posture=(t_start, t_start + end, angle)
    )
    return part, {"onset": 0.0, "offset": end + 1.0}


def flick_part(rng: np.random.Generator, t_start: float) -> tuple[Part, dict[str, object]]:
    """A quick voluntary flick/tap (out-and-back minimum-jerk, 0.12-0.35 s each way) or a
    knock (the limb hits the bed frame or the other limb: a 3-20 ms half-sine impact of
    0.5-6 g after a short approach), both with soft-tissue ringing."""
    sub = "knock" if rng.random() < 0.35 else "flick"
    if sub == "flick":
        T = rng.uniform(0.12, 0.35)
        D = rng.uniform(0.01, 0.12)
        n = int((2 * T + 0.4) * FINE)
        t = np.arange(n) / FINE
        d = random_unit(rng)
        prof = (min_jerk_acc(t / T) - min_jerk_acc((t - T) / T)) * D / T**2 / G
        acc = np.outer(prof, d)
        k = random_unit(rng)
        ang = np.deg2rad(rng.uniform(5, 45))
        rot = np.outer(np.sin(np.pi * np.clip(t / (2 * T), 0, 1)) ** 2 * ang, k)
    else:
        Ta = rng.uniform(0.15, 0.4)
        D = rng.uniform(0.02, 0.15)
        w = rng.uniform(0.003, 0.02)
        n = int((Ta + 0.5) * FINE)
        t = np.arange(n) / FINE
        d = random_unit(rng)
        approach = min_jerk_acc(t / Ta) * D / Ta**2 / G
        # cut the approach at its fastest point (mid-way): the impact stops the limb
        approach = np.where(t < Ta / 2, approach, 0.0)
        imp = np.where(
            (t >= Ta / 2) & (t < Ta / 2 + w), np.sin(np.pi * (t - Ta / 2) / w), 0.0
        ) * rng.uniform(0.5, 6.0)
        acc = np.outer(approach, d) - np.outer(imp, unit(d + 0.5 * random_unit(rng)))
        rot = None
    acc = base_excitation(acc, FINE, rng.uniform(12, 30), rng.uniform(0.1, 0.3))
    on, off, peak = _extent(acc, FINE, 0.05)
    return Part(t0=t_start, fs=FINE, acc=acc, rot=rot), {
        "onset": on,
        "offset": off,
        "subtype": sub,
        "peak": peak,
    }


def plm_part(
    rng: np.random.Generator, t_start: float, dur: float, axis: np.ndarray, amp: float
) -> tuple[Part, dict[str, float]]:
    """One periodic limb movement: a shank rotation of ~2-15 deg (knee/hip flexion with
    the ankle dorsiflexion) (rise 0.2-0.8 s, hold, release
    0.4-1.5 s) over ``dur`` s, with the segment's translation (lever 0.2-0.4 m)."""
    rise = min(rng.uniform(0.2, 0.8), dur * 0.4)
    fall = min(rng.uniform(0.4, 1.5), dur * 0.5)
    hold = max(dur - rise - fall, 0.0)
    n = int((dur + 0.3) * SMOOTH)
    t = np.arange(n) / SMOOTH
    ang = amp * (
        np.clip(
            (t / rise) ** 3 * (10 - 15 * (t / rise) + 6 * (t / rise) ** 2) * (t < rise)
            + (t >= rise),
            0,
            1,
        )
    )
    tf = (t - rise - hold) / fall
    ang = ang - amp * np.where(
        tf > 0,
        np.clip(tf, 0, 1) ** 3 * (10 - 15 * np.clip(tf, 0, 1) + 6 * np.clip(tf, 0, 1) ** 2),
        0.0,
    )
    r = rng.uniform(0.2, 0.4)
    rhat = random_perpendicular(rng, axis)
    d = np.cross(axis, rhat)
    al = derivative(derivative(ang, SMOOTH), SMOOTH)
    acc = np.outer(r * al / G, d)
    acc = base_excitation(acc, SMOOTH, rng.uniform(8, 20), rng.uniform(0.3, 0.6))
    rot = np.outer(ang, axis)
    return Part(t0=t_start, fs=SMOOTH, acc=acc, rot=rot), {"onset": 0.0, "offset": dur}


def burst_train_part(
    rng: np.random.Generator,
    t_start: float,
    times: np.ndarray,
    widths: np.ndarray,
    amps: np.ndarray,
    axis: np.ndarray,
) -> Part:
    """A train of smooth bursts (foot tremor, ALMA, high-frequency leg movements): each burst
    a Hann-shaped excursion of angle ``amps`` rad (lever 0.1-0.3 m) of ``widths`` s starting at
    ``times`` s (relative)."""
    end = float(np.max(times + widths))
    n = int((end + 0.4) * SMOOTH)
    t = np.arange(n) / SMOOTH
    ang = np.zeros(n)
    for t0, w, a in zip(times, widths, amps, strict=True):
        ang += a * raised_cosine(t - t0, w)
    r = rng.uniform(0.1, 0.3)
    rhat = random_perpendicular(rng, axis)
    d = np.cross(axis, rhat)
    al = derivative(derivative(ang, SMOOTH), SMOOTH)
    acc = np.outer(r * al / G, d)
    acc = base_excitation(acc, SMOOTH, rng.uniform(8, 20), rng.uniform(0.2, 0.5))
    return Part(t0=t_start, fs=SMOOTH, acc=acc, rot=np.outer(ang, axis))


def rocking_part(
    rng: np.random.Generator, t_start: float, dur: float, f: float, amp_m: float, ang: float
) -> Part:
    """Body rocking: near-sinusoidal sway at ``f`` Hz (0.5-2 Hz) with slight asymmetry and
    frequency wander, translation amplitude ``amp_m`` m and rotation ``ang`` rad."""
    n = int(dur * SMOOTH)
    t = np.arange(n) / SMOOTH
    wander = 1.0 + 0.05 * smooth_noise(rng, n, SMOOTH, 0.05, dims=1)[:, 0]
    phase = 2 * np.pi * np.cumsum(f * wander) / SMOOTH
    env = np.clip(t / 3.0, 0, 1) * np.clip((dur - t) / 3.0, 0, 1)
    x = env * amp_m * (np.sin(phase) + 0.2 * np.sin(2 * phase + rng.uniform(0, 6.28)))
    a = np.gradient(np.gradient(x, 1 / SMOOTH), 1 / SMOOTH) / G
    d = random_unit(rng)
    k = random_unit(rng)
    return Part(
        t0=t_start, fs=SMOOTH, acc=np.outer(a, d), rot=np.outer(env * ang * np.sin(phase), k)
    )


def scratch_part(
    rng: np.random.Generator, t_start: float, dur: float, f: float, peak_g: float
) -> Part:
    """Scratching: a hand/limb oscillation at ``f`` Hz (3-6 Hz at the wrist) with 2nd/3rd
    harmonics, amplitude modulation and frequency wander, small rotation, ``dur`` s."""
    n = int(dur * SMOOTH)
    t = np.arange(n) / SMOOTH
    wander = 1.0 + 0.08 * smooth_noise(rng, n, SMOOTH, 0.3, dims=1)[:, 0]
    phase = 2 * np.pi * np.cumsum(f * wander) / SMOOTH
    env = np.clip(t / 0.4, 0, 1) * np.clip((dur - t) / 0.4, 0, 1)
    env = env * (1 + 0.3 * smooth_noise(rng, n, SMOOTH, 0.5, dims=1)[:, 0]).clip(0.2)
    h2, h3 = rng.uniform(0.1, 0.5), rng.uniform(0.05, 0.3)
    w = np.sin(phase) + h2 * np.sin(2 * phase + 1.0) + h3 * np.sin(3 * phase + 2.0)
    d1 = random_unit(rng)
    d2 = random_unit(rng)
    acc = np.outer(env * w, d1) + 0.3 * np.outer(env * np.cos(phase), d2)
    acc *= peak_g / max(float(np.linalg.norm(acc, axis=1).max()), 1e-9)
    k = random_unit(rng)
    rot = np.outer(env * np.deg2rad(rng.uniform(2, 10)) * np.sin(phase), k)
    return Part(t0=t_start, fs=SMOOTH, acc=acc, rot=rot)


def phone_part(rng: np.random.Generator, t_start: float, dur: float) -> Part:
    """Holding and using a phone: slow postural wander (0.05-0.5 Hz, 2-8 deg), physiological
    tremor (8-12 Hz, 2-10 mg), and thumb taps/scrolls (tiny 10-40 ms impulses of 5-40 mg at
    0.5-3 per s) through the wrist."""
    n = int(dur * SMOOTH)
    t = np.arange(n) / SMOOTH
    rot = smooth_noise(rng, n, SMOOTH, rng.uniform(0.05, 0.5)) * np.deg2rad(rng.uniform(1, 4))
    trem_f = rng.uniform(8, 12)
    trem = np.outer(np.sin(2 * np.pi * trem_f * t + rng.uniform(0, 6)), random_unit(rng))
    trem *= rng.uniform(0.002, 0.01) * (1 + 0.5 * smooth_noise(rng, n, SMOOTH, 0.2, dims=1))
    sway = smooth_noise(rng, n, SMOOTH, 2.0) * rng.uniform(0.002, 0.01)
    taps = np.zeros(n)
    rate = rng.uniform(0.5, 3.0)
    k = rng.poisson(rate * dur)
    idx = rng.integers(0, max(n - 20, 1), size=k)
    np.add.at(taps, idx, rng.uniform(0.005, 0.04, size=k))
    kern = np.exp(-np.arange(8) / 2.0) * np.sin(np.arange(8) * 1.3 + 0.5)
    taps = np.convolve(taps, kern)[:n]
    acc = trem + sway + np.outer(taps, random_unit(rng))
    # picking up / putting down: fade in and out over 1 s so the part has no step at its ends
    env = np.clip(t / 1.0, 0, 1) * np.clip((dur - t) / 1.0, 0, 1)
    return Part(t0=t_start, fs=SMOOTH, acc=acc * env[:, None], rot=rot * env[:, None])


def bump_part(
    rng: np.random.Generator, t_start: float, f: float, zeta: float, peak_g: float, rise: float
) -> Part:
    """Bed moved by a partner: the mattress-body system (``f`` 1-3 Hz, damping ``zeta``)
    driven by a smooth force of ``rise`` s; mostly vertical, a little horizontal."""
    dur = rise + 4.0 / (zeta * 2 * np.pi * f) if zeta > 0 else 5.0
    dur = float(min(dur, 10.0))
    n = int(dur * SMOOTH)
    t = np.arange(n) / SMOOTH
    force = raised_cosine(t, rise)
    x = second_order(force, SMOOTH, f, zeta)
    a = np.gradient(np.gradient(x, 1 / SMOOTH), 1 / SMOOTH)
    a *= peak_g / max(float(np.abs(a).max()), 1e-12)
    horiz = np.outer(a * rng.uniform(0.0, 0.3), random_unit(rng))
    return Part(t0=t_start, fs=SMOOTH, acc=horiz, vertical=a)
