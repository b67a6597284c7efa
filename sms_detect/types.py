"""Data types shared by every layer: sample blocks in, events out."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

#: Structured dtype of the ``/events`` dataset (interfaces.md section 2), in this column order.
EVENT_DTYPE = np.dtype(
    [
        ("onset", "f8"),
        ("duration", "f8"),
        ("label", "O"),
        ("sensor", "O"),
        ("peak_acc", "f4"),
        ("peak_jerk", "f4"),
        ("confidence", "f4"),
    ]
)

#: Label of a detected hypnic jerk; every other label names what a burst was judged to be.
HYPNIC_JERK = "hypnic_jerk"


@dataclass(frozen=True, slots=True)
class SampleBlock:
    """A block of consecutive tri-axial samples from one sensor.

    Attributes
    ----------
    time : ndarray, shape (N,), float64
        Sample times in seconds, strictly increasing, in the recording's own time base.
    acc : ndarray, shape (N, 3), float64
        Acceleration x, y, z in g (1 g = 9.80665 m/s^2), gravity included.
    sensor : str
        Name of the sensor, e.g. ``"wrist"`` or ``"ankle"``.
    """

    time: np.ndarray
    acc: np.ndarray
    sensor: str = "wrist"

    def __len__(self) -> int:
        return int(self.time.shape[0])


@dataclass(frozen=True, slots=True)
class Event:
    """One burst seen by the detector, with what it was judged to be.

    Attributes
    ----------
    onset : float
        Start in seconds, in the input's own time base.
    duration : float
        Length in seconds.
    label : str
        ``"hypnic_jerk"`` or the confounder it was judged to be (``"movement"``, ``"plm"``,
        ``"twitch"``, ``"rhythmic"``, ``"artifact"``, ...).
    sensor : str
        Sensor(s) that saw it, e.g. ``"wrist"`` or ``"wrist+ankle"``.
    peak_acc : float
        Peak band-passed acceleration magnitude in g.
    peak_jerk : float
        Peak jerk magnitude in g/s.
    confidence : float
        Confidence in the label, 0..1.
    """

    onset: float
    duration: float
    label: str
    sensor: str
    peak_acc: float
    peak_jerk: float
    confidence: float

    def to_dict(self) -> dict[str, float | str]:
        """Return the event as a plain dict (for JSON lines)."""
        return asdict(self)


def events_to_array(events: list[Event]) -> np.ndarray:
    """Pack events into a structured array of :data:`EVENT_DTYPE`, sorted by onset (s)."""
    ordered = sorted(events, key=lambda e: (e.onset, e.sensor))
    out = np.empty(len(ordered), dtype=EVENT_DTYPE)
    for name in EVENT_DTYPE.names:
        out[name] = [getattr(e, name) for e in ordered]
    return out


def array_to_events(arr: np.ndarray) -> list[Event]:
    """Unpack a structured events array (as read from HDF5) into :class:`Event` objects."""

    def text(v: object) -> str:
        return v.decode() if isinstance(v, bytes) else str(v)

    return [
        Event(
            onset=float(r["onset"]),
            duration=float(r["duration"]),
            label=text(r["label"]),
            sensor=text(r["sensor"]),
            peak_acc=float(r["peak_acc"]),
            peak_jerk=float(r["peak_jerk"]),
            confidence=float(r["confidence"]),
        )
        for r in arr
    ]
