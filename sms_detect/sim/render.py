"""Assemble one sensor's signal: posture track, event waveforms, background, sensor model."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sms_detect.sim import device
from sms_detect.sim.night import NightStructure
from sms_detect.sim.parts import SimEvent
from sms_detect.sim.rotation import great_circle, random_unit, rotate, tilt
from sms_detect.sim.waveforms import anti_alias, min_jerk_pos, smooth_noise


@dataclass
class SensorTrack:
    """One simulated sensor's output and what happened to it.

    Attributes
    ----------
    location : str
        ``wrist`` or ``ankle``.
    profile : DeviceProfile
        The simulated device.
    time : ndarray (N,)
        Reported timestamps in s (gaps removed).
    acc : ndarray (N, 3)
        Readings in g.
    gaps : list of (start s, end s)
        Spans of missing samples (first to last missing sample's true time).
    glitches : list of (start s, end s, kind)
        Corrupted samples.
    clipped : int
        Number of samples with an axis at full scale.
    """

    location: str
    profile: device.DeviceProfile
    time: np.ndarray
    acc: np.ndarray
    gaps: list[tuple[float, float]] = field(default_factory=list)
    glitches: list[tuple[float, float, str]] = field(default_factory=list)
    clipped: int = 0


def _posture_plan(
    rng: np.random.Generator, changes: list[tuple[float, float, float]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Turn posture changes (start s, end s, angle rad) into a plan: starts (k,), ends (k,)
    and world-up vectors (k + 1, 3) before the first / after each change."""
    ups = [random_unit(rng)]
    starts, ends = [], []
    last_end = -np.inf
    for a, b, ang in sorted(changes):
        a = max(a, last_end)
        b = max(b, a + 0.05)
        starts.append(a)
        ends.append(b)
        ups.append(tilt(ups[-1], rng, ang))
        last_end = b
    return np.array(starts), np.array(ends), np.array(ups)


def _posture_eval(t: np.ndarray, plan: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """World-up direction in the sensor frame at times ``t`` (N, 3): constant between
    changes, minimum-jerk great-circle turns during them."""
    starts, ends, ups = plan
    idx = np.searchsorted(starts, t, side="right")  # changes begun by t
    out = ups[idx].copy()
    if len(t) == 0:
        return out
    k0 = max(int(np.searchsorted(ends, t[0])) - 1, 0)
    k1 = int(np.searchsorted(starts, t[-1], side="right"))
    for k in range(k0, k1):
        i0, i1 = np.searchsorted(t, [starts[k], ends[k]])
        if i1 > i0:
            s = min_jerk_pos((t[i0:i1] - starts[k]) / (ends[k] - starts[k]))
            out[i0:i1] = great_circle(ups[k], ups[k + 1], s)
    return out


def _background(rng: np.random.Generator, night: NightStructure) -> tuple[np.ndarray, np.ndarray]:
    """Small rotations (rad, (N, 3)) from breathing (0.2-0.33 Hz, 0.05-0.4 deg at rest),
    cardioballistic pulses (~1 Hz, tiny) and postural sway while awake (0.2-1 deg), on a
    10 Hz grid: returns (times (m,), rotations (m, 3))."""
    fc = 10.0
    tc = np.arange(0.0, night.duration + 2.0 / fc, 1.0 / fc)
    stage = night.stage_at(tc)
    awake = np.isin(stage, ["wake_active", "wake"]).astype(float)
    drowsy = (stage == "drowsy").astype(float)
    # settling back after a night waking: the last 40 % (<= 3 min) is as quiet as drowsiness
    for a, b, st in night.segments:
        if st == "wake":
            q = (tc >= b - min(0.4 * (b - a), 180.0)) & (tc < b)
            awake[q] = 0.0
            drowsy[q] = 1.0
    fr = rng.uniform(0.2, 0.33)
    breath = np.sin(
        2 * np.pi * np.cumsum(fr * (1 + 0.05 * smooth_noise(rng, len(tc), fc, 0.02, 1)[:, 0])) / fc
    )
    amp_b = np.deg2rad(rng.uniform(0.05, 0.4))
    rot = np.outer(breath * amp_b, random_unit(rng))
    hr = rng.uniform(0.9, 1.3)
    rot += np.outer(
        np.sin(2 * np.pi * hr * tc) ** 8 * np.deg2rad(rng.uniform(0.005, 0.03)), random_unit(rng)
    )
    sway = smooth_noise(rng, len(tc), fc, rng.uniform(0.3, 1.5))
    lvl = awake * np.deg2rad(rng.uniform(0.2, 1.0)) + drowsy * np.deg2rad(rng.uniform(0.02, 0.2))
    rot += sway * lvl[:, None]
    return tc, rot


CHUNK = 1 << 20  # samples rendered at a time (bounded memory for long, fast nights)


def render_sensor(
    rng: np.random.Generator,
    location: str,
    prof: device.DeviceProfile,
    night: NightStructure,
    events: list[SimEvent],
) -> SensorTrack:
    """Simulate one sensor at ``location`` through the whole night (in chunks of samples)."""
    t_true, t_rep = device.sample_times(rng, prof, night.duration)
    n = len(t_true)
    parts = [ev.parts[location] for ev in events if location in ev.parts]
    plan = _posture_plan(rng, [p.posture for p in parts if p.posture is not None])
    bg_t, bg_rot = _background(rng, night)
    drift = device.drift_track(rng, prof, 0.0, night.duration)
    cutoff = min(prof.bandwidth_hz, 0.45 * prof.rate_hz)
    # per-part waveforms after the sensor's anti-alias filter (computed once)
    filt = []
    for part in parts:
        a = part.acc
        v = part.vertical
        if part.fs > 2.2 * cutoff:
            a = anti_alias(a, part.fs, cutoff) if a is not None else None
            v = anti_alias(v, part.fs, cutoff) if v is not None else None
        filt.append((part, a, v))
    p_t0 = np.array([p.t0 for p in parts])
    p_t1 = np.array([p.t1 for p in parts])
    acc = np.empty((n, 3))
    clipped = np.zeros(n, dtype=bool)
    for c0 in range(0, n, CHUNK):
        c1 = min(n, c0 + CHUNK)
        t = t_true[c0:c1]
        m = c1 - c0
        lin = np.zeros((m, 3))
        rot = np.empty((m, 3))
        for ax in range(3):
            rot[:, ax] = np.interp(t, bg_t, bg_rot[:, ax])
        vert = np.zeros(m)
        active = np.flatnonzero((p_t0 <= t[-1]) & (p_t1 >= t[0])) if len(parts) else []
        for k in active:
            part, a, v = filt[k]
            i0, i1 = np.searchsorted(t, [part.t0, part.t1])
            if i1 <= i0:
                continue
            tt = (t[i0:i1] - part.t0) * part.fs
            for arr, dst in ((a, lin), (part.rot, rot)):
                if arr is not None:
                    g = np.arange(len(arr))
                    for ax in range(3):
                        dst[i0:i1, ax] += np.interp(tt, g, arr[:, ax], right=0.0)
            if v is not None:
                vert[i0:i1] += np.interp(tt, np.arange(len(v)), v, right=0.0)
        up = _posture_eval(t, plan)
        f = rotate(up, -rot) + lin + up * vert[:, None]
        acc[c0:c1], clipped[c0:c1] = device.measure(rng, prof, t, f, drift)
    glitch_idx = device.glitches(rng, prof, acc)
    keep, gap_idx = device.radio_gaps(rng, prof, n)
    gaps = [(float(t_true[a]), float(t_true[b - 1])) for a, b in gap_idx]
    gl = [
        (float(t_rep[a]), float(t_rep[b - 1]), kind) for a, b, kind in glitch_idx if keep[a:b].all()
    ]
    return SensorTrack(
        location=location,
        profile=prof,
        time=t_rep[keep],
        acc=acc[keep],
        gaps=gaps,
        glitches=gl,
        clipped=int(clipped[keep].sum()),
    )
