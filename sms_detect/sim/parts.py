"""What an event leaves on one sensor: a waveform piece and/or a change of posture."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Part:
    """The contribution of one event to one sensor.

    Attributes
    ----------
    t0 : float
        Absolute time in s of the first waveform sample.
    fs : float
        Rate of the waveform in Hz (fine grid; the sensor model low-passes and resamples it).
    acc : ndarray (n, 3) or None
        Linear acceleration in g in the sensor frame.
    rot : ndarray (n, 3) or None
        Transient rotation vector of the limb in rad (sensor frame), returns to the posture.
    vertical : ndarray (n,) or None
        Linear acceleration in g along world vertical (projected through the posture).
    posture : (t_start s, t_end s, angle rad) or None
        A lasting change of orientation by ``angle`` about a random axis, minimum-jerk in time.
    """

    t0: float
    fs: float
    acc: np.ndarray | None = None
    rot: np.ndarray | None = None
    vertical: np.ndarray | None = None
    posture: tuple[float, float, float] | None = None

    @property
    def t1(self) -> float:
        """Absolute time in s just after the last waveform sample."""
        n = 0
        for a in (self.acc, self.rot, self.vertical):
            if a is not None:
                n = max(n, len(a))
        return self.t0 + n / self.fs


@dataclass
class SimEvent:
    """A true event of the night (a hypnic jerk or a confounder).

    Attributes
    ----------
    kind : str
        ``hypnic_jerk`` or a confounder kind (see :data:`sms_detect.sim.truth.CONFOUNDERS`).
    onset, offset : float
        Interval in s covering the movement on every sensor that sees it.
    parts : dict of str to Part
        Contribution per sensor location (only locations that see the event).
    peak : dict of str to float
        Peak linear acceleration per location in g (noise-free, before the sensor model).
    detail : dict
        Parameters worth knowing (EMG burst length, lag, subtype, ...).
    """

    kind: str
    onset: float
    offset: float
    parts: dict[str, Part] = field(default_factory=dict)
    peak: dict[str, float] = field(default_factory=dict)
    detail: dict[str, object] = field(default_factory=dict)
    stage: str = ""
