"""Physically modelled synthetic nights with ground truth (the accuracy yardstick).

``simulate_night(seed, rate_hz, sensors, hours)`` draws a night's structure (lights out,
settling, sleep onsets, NREM/REM cycles, wakings), places hypnic jerks at the sleep-onset
transitions and every confounder of docs/science.md, renders each limb's kinematics
(orientation -> gravity projection, translation -> linear acceleration, soft-tissue
ringing) and passes it through a sensor model (noise density, bandwidth, calibration errors,
quantisation, clipping, clock jitter, radio gaps, glitches). Everything follows from the seed.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sms_detect.sim.device import DeviceProfile, random_profile
from sms_detect.sim.night import NightStructure, make_night
from sms_detect.sim.parts import SimEvent
from sms_detect.sim.physics import jerk_physics
from sms_detect.sim.render import SensorTrack, render_sensor
from sms_detect.sim.schedule import schedule
from sms_detect.sim.truth import TruthRow, read_truth, write_truth
from sms_detect.sim.writers import write_csv, write_h5
from sms_detect.types import SampleBlock

RATES = (25.0, 50.0, 52.0, 100.0, 104.0, 200.0, 400.0)
SENSOR_NAMES = ("wrist", "ankle")
SIM_VERSION = 1


@dataclass
class SimNight:
    """A simulated night.

    Attributes
    ----------
    seed : int
        The seed it was drawn from.
    sensors : dict of str to SensorTrack
        Per location: reported times (s), readings (g), gaps, glitches, device profile.
    night : NightStructure
        Hypnogram, lights out and sleep-onset times (s).
    events : list of SimEvent
        Every hypnic jerk and confounder movement (per-sensor waveforms included).
    phenotype : dict
        The night's propensities (jerks per onset, FM rate, PLM, ...).
    """

    seed: int
    sensors: dict[str, SensorTrack]
    night: NightStructure
    events: list[SimEvent]
    phenotype: dict[str, float] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        """Recording length in s."""
        return self.night.duration

    def blocks(self) -> list[SampleBlock]:
        """One :class:`SampleBlock` per sensor (what the detector consumes)."""
        return [
            SampleBlock(time=tr.time, acc=tr.acc.astype(np.float64), sensor=name)
            for name, tr in self.sensors.items()
        ]

    def truth_rows(self) -> list[TruthRow]:
        """The ground truth as rows (see :mod:`sms_detect.sim.truth`)."""
        names = list(self.sensors)
        meta = {
            "seed": self.seed,
            "sim_version": SIM_VERSION,
            "sensors": "+".join(names),
            "rates": {n: tr.profile.rate_hz for n, tr in self.sensors.items()},
        }
        rows = [
            TruthRow(0.0, self.duration, "recording", "+".join(names), detail=json.dumps(meta)),
            TruthRow(self.night.lights_out, self.night.lights_out, "lights_out"),
        ]
        for i, t in enumerate(self.night.onsets):
            rows.append(TruthRow(t, t, "sleep_onset", detail="first=1" if i == 0 else ""))
        for a, b, s in self.night.segments:
            rows.append(TruthRow(a, b, "stage", stage=s))
        for ev in self.events:
            locs = [n for n in names if n in ev.parts]
            kind = ev.kind
            if kind == "hypnic_jerk":
                # a jerk whose samples were lost in a radio gap on a sensor is not seen there
                locs = [n for n in locs if self._covered(n, ev.onset, ev.offset)]
                if not locs:
                    kind = "hypnic_jerk_lost"
                    locs = [n for n in names if n in ev.parts]
            if not locs:
                continue
            det = [f"peak_{n}={ev.peak.get(n, 0.0):.4g}" for n in locs]
            det += [f"{k}={v}" for k, v in ev.detail.items() if v != ""]
            rows.append(
                TruthRow(
                    ev.onset,
                    ev.offset,
                    kind,
                    "+".join(locs),
                    max(ev.peak.get(n, 0.0) for n in locs),
                    ev.stage,
                    ";".join(det),
                )
            )
        for n, tr in self.sensors.items():
            stages = self.night.stage_at(np.array([a for a, _ in tr.gaps] or [0.0]))
            for (a, b), s in zip(tr.gaps, stages, strict=False):
                rows.append(TruthRow(a, b, "gap", n, 0.0, str(s), "reason=radio dropout"))
            stages = self.night.stage_at(np.array([g[0] for g in tr.glitches] or [0.0]))
            for (a, b, kind), s in zip(tr.glitches, stages, strict=False):
                rows.append(TruthRow(a, b, "glitch", n, 0.0, str(s), f"subtype={kind}"))
        return rows

    def _covered(self, name: str, a: float, b: float) -> bool:
        """True when sensor ``name`` kept at least half its samples over [a, b] s."""
        tr = self.sensors[name]
        i0, i1 = np.searchsorted(tr.time, [a, b])
        return (i1 - i0) >= 0.5 * (b - a) * tr.profile.rate_hz

    def jerks(self) -> list[SimEvent]:
        """The true hypnic jerks."""
        return [e for e in self.events if e.kind == "hypnic_jerk"]

    def write(self, out: str | Path, fmt: str = "csv", compress: bool = False) -> list[Path]:
        """Write the night beside its truth.

        ``fmt="csv"``: ``OUT.csv`` for one sensor, ``OUT.<sensor>.csv`` for each of two
        (``.csv.gz`` with ``compress``); ``fmt="h5"``: ``OUT.h5`` in the recording layout.
        The truth goes to ``OUT.truth.csv``. ``OUT`` may be given with a ``.csv``/``.h5``
        suffix. Returns the written paths.
        """
        base = str(out)
        for suf in (".csv.gz", ".csv", ".h5"):
            if base.endswith(suf):
                base = base[: -len(suf)]
                break
        written: list[Path] = []
        if fmt == "h5":
            written.append(write_h5(base + ".h5", list(self.sensors.values())))
        else:
            ext = ".csv.gz" if compress else ".csv"
            single = len(self.sensors) == 1
            for name, tr in self.sensors.items():
                written.append(write_csv(base + (ext if single else f".{name}{ext}"), tr))
        tp = Path(base + ".truth.csv")
        write_truth(tp, self.truth_rows())
        written.append(tp)
        return written


def simulate_night(
    seed: int,
    rate_hz: float | dict[str, float] = 100.0,
    sensors: str | list[str] | tuple[str, ...] = ("wrist",),
    hours: float = 8.0,
    *,
    wireless: bool | None = None,
    device: dict[str, object] | None = None,
    jerk: dict[str, object] | None = None,
) -> SimNight:
    """Simulate one night.

    Parameters
    ----------
    seed : int
        Seed; the same arguments give the same night, sample for sample.
    rate_hz : float or dict
        Nominal output data rate in Hz (one for all sensors, or per sensor name).
    sensors : str or sequence of str
        ``"wrist"``, ``"ankle"``, ``"wrist,ankle"`` or a list of these.
    hours : float
        Length of the recording in hours (>= 0.05). Nights under 3 h are compressed around
        sleep onset (short active wake and settling, more wakings).
    wireless : bool or None
        Force a radio (gaps, jitter, glitches) or logger source; None draws it per sensor.
    device : dict or None
        Fields of :class:`sms_detect.sim.device.DeviceProfile` to force on every sensor
        (e.g. ``{"range_g": 8.0, "bits": 12}``); the rest is drawn from the seed.
    jerk : dict or None
        Ranges of the hypnic jerks' kinetics to use instead of the defaults, as fields of
        :class:`sms_detect.sim.physics.JerkPhysics` (e.g. ``{"burst_s": (0.1, 0.375)}`` or
        ``{"joint_hz": "1.5,6"}``; see :func:`sms_detect.sim.physics.jerk_physics`). Each
        jerk still draws from the seed.

    Returns
    -------
    SimNight

    Raises
    ------
    ValueError
        Unknown sensors, device or jerk fields, too short a night, or a bad jerk range.
    """
    physics = jerk_physics(jerk)
    if isinstance(sensors, str):
        sensors = [s.strip() for s in sensors.replace("+", ",").split(",") if s.strip()]
    sensors = list(dict.fromkeys(sensors))
    bad = [s for s in sensors if s not in SENSOR_NAMES]
    if bad or not sensors:
        raise ValueError(f"sensors must be wrist and/or ankle, got {sensors!r}")
    if hours < 0.05:
        raise ValueError("hours must be >= 0.05")
    rates = rate_hz if isinstance(rate_hz, dict) else {s: float(rate_hz) for s in sensors}
    device_overrides = dict(device or {})
    unknown = set(device_overrides) - set(DeviceProfile.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown device fields {sorted(unknown)}")
    root = np.random.SeedSequence(int(seed))
    s_night, s_events, *s_sensors = root.spawn(2 + 2 * len(SENSOR_NAMES))
    night = make_night(np.random.default_rng(s_night), hours * 3600.0)
    events, ph = schedule(np.random.default_rng(s_events), night, sensors, physics)
    tracks: dict[str, SensorTrack] = {}
    for i, name in enumerate(SENSOR_NAMES):
        if name not in sensors:
            continue
        rng_dev = np.random.default_rng(s_sensors[2 * i])
        prof = random_profile(rng_dev, float(rates[name]), wireless)
        if device_overrides:
            prof = dataclasses.replace(prof, **device_overrides)
        tracks[name] = render_sensor(
            np.random.default_rng(s_sensors[2 * i + 1]), name, prof, night, events
        )
    return SimNight(seed=int(seed), sensors=tracks, night=night, events=events, phenotype=ph)


__all__ = [
    "RATES",
    "SimNight",
    "TruthRow",
    "read_truth",
    "simulate_night",
    "write_truth",
]
