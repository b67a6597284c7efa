"""Night structure: a simple hypnogram with lights out, settling, sleep onsets, cycles, wakings.

Figures used (typical healthy adults; every one is drawn at random per night):

* Sleep-onset latency (lights out to first sleep) ~10-20 min, lognormal (e.g. Ohayon et al.
  2004, Sleep 27:1255: meta-analysis of normative sleep values).
* NREM-REM cycles of ~90 min (70-120 min); N3 dominates early cycles, REM lengthens later
  (Carskadon & Dement, Principles and Practice of Sleep Medicine, normal human sleep).
* Brief "false starts" (N1 followed by a return to wake) are common while settling; sleep
  starts themselves can wake the sleeper (ICSD-3, sleep starts).
* Night wakings: a few per night, mostly at cycle ends after REM, 1-15 min.

Stages used: ``wake_active`` (in bed, lights on), ``drowsy`` (lights off, quiet wake),
``N1``, ``N2``, ``N3``, ``REM``, ``wake`` (a night waking).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

WAKE_STAGES = ("wake_active", "drowsy", "wake")
SLEEP_STAGES = ("N1", "N2", "N3", "REM")


@dataclass
class NightStructure:
    """Hypnogram of one simulated night.

    Attributes
    ----------
    duration : float
        Length of the recording in s.
    segments : list of (start s, end s, stage)
        Contiguous, covering [0, duration].
    lights_out : float
        Time of lights out in s.
    onsets : list of float
        Sleep-onset transitions in s (every entry into N1 from a wake stage), the first one is
        the night's sleep onset.
    """

    duration: float
    segments: list[tuple[float, float, str]] = field(default_factory=list)
    lights_out: float = 0.0
    onsets: list[float] = field(default_factory=list)

    def stage_at(self, t: np.ndarray) -> np.ndarray:
        """Stage names (object array) at times ``t`` in s."""
        starts = np.array([s[0] for s in self.segments])
        idx = np.clip(np.searchsorted(starts, np.asarray(t), side="right") - 1, 0, None)
        names = np.array([s[2] for s in self.segments], dtype=object)
        return names[idx]

    def intervals(self, stages: tuple[str, ...]) -> list[tuple[float, float]]:
        """All (start, end) in s of segments whose stage is in ``stages``."""
        return [(a, b) for a, b, s in self.segments if s in stages and b > a]


def make_night(rng: np.random.Generator, duration: float) -> NightStructure:
    """Draw a night's hypnogram of ``duration`` s (>= 60 s).

    Shorter recordings (< 3 h) are compressed around sleep onset: shorter active wake and
    settling, and more night wakings so several sleep-onset transitions fall inside.
    """
    short = duration < 3 * 3600
    night = NightStructure(duration=duration)
    segs: list[tuple[float, float, str]] = []

    def add(length: float, stage: str) -> float:
        start = segs[-1][1] if segs else 0.0
        segs.append((float(start), float(start + max(length, 1.0)), stage))
        return start

    active = rng.uniform(3, 12) * 60 if short else rng.uniform(5, 30) * 60
    add(active, "wake_active")
    night.lights_out = segs[-1][1]
    latency = float(np.clip(rng.lognormal(np.log(13 * 60), 0.5), 3 * 60, 45 * 60))
    if short:
        latency = min(latency, 25 * 60)
    # false starts: brief N1 then back to quiet wake (0-3 of them while settling)
    n_false = int(min(rng.poisson(0.9), 3))
    pieces = np.sort(rng.uniform(0.25, 0.9, size=n_false)) * latency
    last = 0.0
    for p in pieces:
        add(p - last, "drowsy")
        night.onsets.append(float(segs[-1][1]))
        n1 = rng.uniform(0.3, 2.5) * 60
        add(n1, "N1")
        add(rng.uniform(0.3, 2.0) * 60, "wake" if rng.random() < 0.5 else "drowsy")
        last = p + n1
    add(max(latency - last, 60.0), "drowsy")
    cycle = 0
    p_wake = 0.65 if short else 0.4
    awake = True
    while segs[-1][1] < duration:
        if awake:
            night.onsets.append(float(segs[-1][1]))
            add(rng.uniform(1, 7) * 60, "N1")
        else:
            add(rng.uniform(0.5, 3) * 60, "N1")  # stage shift after REM, not an onset
        add(rng.uniform(8, 25) * 60, "N2")
        if short and rng.random() < 0.5:
            # a waking from light sleep brings another onset soon after
            add(rng.uniform(1, 8) * 60, "wake")
            awake = True
            continue
        n3 = max(0.0, rng.normal(35 - 9 * cycle, 8)) * 60
        if n3 > 60:
            add(n3, "N3")
            add(rng.uniform(4, 15) * 60, "N2")
        add(max(rng.normal(8 + 7 * cycle, 4), 2) * 60, "REM")
        awake = bool(rng.random() < p_wake)
        if awake:
            add(rng.uniform(1, 12) * 60, "wake")
        cycle += 1
    # merge consecutive identical stages, truncate
    merged: list[tuple[float, float, str]] = []
    for a, b, s in segs:
        if a >= duration:
            break
        b = min(b, duration)
        if merged and merged[-1][2] == s:
            merged[-1] = (merged[-1][0], b, s)
        else:
            merged.append((a, b, s))
    night.segments = merged
    night.onsets = [t for t in night.onsets if t < duration]
    night.lights_out = min(night.lights_out, duration)
    return night
