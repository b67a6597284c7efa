"""Raw samples per sensor in the night's HDF5 file (``/sensors/<name>/``, interfaces.md §2).

Layout written by :func:`write_recording` (plain, compressed file)::

    /sensors/<name>/   attrs: location, device, device_id, nominal_rate_hz, units="g",
                              range_g, start_time
        time  f8 (N,)     s
        acc   f4 (N, 3)   g
        gaps  compound (start f8, end f8, reason str)

Readers accept plain files and files left by a live (SWMR) writer, even a crashed one, and
drop rows never written (they hold the NaN fill value).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import h5py
import numpy as np

from sms_detect.errors import InputError
from sms_detect.io._h5 import (
    COMPRESSION,
    GAP_DTYPE,
    H5_GAP_DTYPE,
    PLAIN_CHUNK_ROWS,
    atomic_write,
    attr_value,
    check_format,
    gaps_array,
    open_night,
    read_attrs,
    text,
    valid_rows,
    write_events_dataset,
    write_root_attrs,
)
from sms_detect.timebase import infer_rate
from sms_detect.types import Event, SampleBlock

__all__ = [
    "SensorData",
    "SensorInput",
    "iter_sensor_blocks",
    "list_sensors",
    "open_night",
    "read_sensor",
    "sensor_attrs",
    "write_recording",
]

#: One sensor to write: (time s (N,), acc g (N, 3), gaps or None, attrs dict).
SensorInput = tuple[np.ndarray, np.ndarray, Any, Mapping[str, Any]]

#: Sensor attributes of the contract, in order.
SENSOR_ATTRS: tuple[str, ...] = (
    "location",
    "device",
    "device_id",
    "nominal_rate_hz",
    "units",
    "range_g",
    "start_time",
)


@dataclass(frozen=True, slots=True)
class SensorData:
    """The samples of one sensor read from a night file.

    Attributes
    ----------
    name : str
        Sensor name (the group name under ``/sensors``).
    time : ndarray, shape (N,), float64
        Sample times in s.
    acc : ndarray, shape (N, 3), float64
        Acceleration x, y, z in g (stored as float32).
    gaps : ndarray, shape (k,)
        Structured (start f8 s, end f8 s, reason str).
    attrs : dict
        Sensor attributes (location, device, device_id, nominal_rate_hz, units, range_g,
        start_time, and any extra).
    """

    name: str
    time: np.ndarray
    acc: np.ndarray
    gaps: np.ndarray
    attrs: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.time.shape[0])

    def block(self) -> SampleBlock:
        """Return the samples as a :class:`~sms_detect.types.SampleBlock` (s, g)."""
        return SampleBlock(time=self.time, acc=self.acc, sensor=self.name)


def sensor_attrs(name: str, attrs: Mapping[str, Any], time: np.ndarray | None) -> dict[str, Any]:
    """Complete a sensor's attributes with defaults (units is always ``"g"``).

    Parameters
    ----------
    name : str
        Sensor name; the default ``location``.
    attrs : mapping
        Given attributes; extra keys are kept.
    time : ndarray or None
        Sample times in s, used to infer ``nominal_rate_hz`` (Hz) when not given.

    Returns
    -------
    dict
        All of :data:`SENSOR_ATTRS` plus the extras; unknown ``range_g`` is NaN, unknown
        ``start_time`` is ``""``.
    """
    out: dict[str, Any] = {
        "location": name,
        "device": "unknown",
        "device_id": "",
        "nominal_rate_hz": np.nan,
        "units": "g",
        "range_g": np.nan,
        "start_time": "",
    }
    out.update({k: v for k, v in attrs.items() if v is not None})
    out["units"] = "g"
    if not np.isfinite(float(out["nominal_rate_hz"])) and time is not None:
        try:
            out["nominal_rate_hz"] = infer_rate(time)
        except ValueError:
            pass
    out["nominal_rate_hz"] = float(out["nominal_rate_hz"])
    out["range_g"] = float(out["range_g"])
    return out


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
        raise ValueError(f"invalid sensor name {name!r}: must be non-empty without '/'")
    return name


def write_sensor_group(
    f: h5py.File, name: str, time: np.ndarray, acc: np.ndarray, gaps: Any, attrs: Mapping[str, Any]
) -> h5py.Group:
    """Write one ``/sensors/<name>`` group, compressed (plain files only)."""
    t = np.asarray(time, dtype=np.float64)
    a = np.asarray(acc, dtype=np.float32)
    if t.ndim != 1 or a.shape != (t.shape[0], 3):
        raise ValueError(
            f"sensor {name!r}: time must be (N,) and acc (N, 3); got {t.shape}, {a.shape}"
        )
    g = f.require_group("sensors").create_group(_check_name(name))
    for key, value in sensor_attrs(name, attrs, t).items():
        g.attrs[key] = attr_value(value)
    rows = max(1, min(PLAIN_CHUNK_ROWS, t.shape[0]))
    g.create_dataset("time", data=t, chunks=(rows,), maxshape=(None,), **COMPRESSION)
    g.create_dataset("acc", data=a, chunks=(rows, 3), maxshape=(None, 3), **COMPRESSION)
    ga = gaps_array(gaps)
    out = np.empty(ga.shape[0], dtype=H5_GAP_DTYPE)
    for k in ("start", "end", "reason"):
        out[k] = ga[k]
    g.create_dataset("gaps", data=out, maxshape=(None,), chunks=(min(max(64, len(out)), 4096),))
    return g


def write_recording(
    path: str | os.PathLike[str],
    sensors: Mapping[str, SensorInput],
    events: list[Event] | np.ndarray | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    detector: str = "",
    extra_attrs: Mapping[str, Any] | None = None,
) -> None:
    """Write a night file with raw samples (and events) in one go, atomically.

    Parameters
    ----------
    path : str or PathLike
        Output file; written to a temporary file beside it, then renamed into place.
    sensors : mapping name -> (time, acc, gaps, attrs)
        Per sensor: time in s (N,), acc in g (N, 3), gaps ((k, 2) start/end in s, a
        structured array with reason, a list of (start, end, reason), or None) and attrs
        (see :data:`SENSOR_ATTRS`; missing ones get defaults, units is always "g").
    events : list of Event or structured array, optional
        Detected events; ``/events`` is always written (empty if None).
    params : mapping, optional
        Detector parameters, stored as JSON in ``/events`` attr ``params``.
    detector : str, optional
        Detector name and version, ``/events`` attr ``detector``.
    extra_attrs : mapping, optional
        Extra root attributes (dicts/lists stored as JSON).
    """

    def fill(f: h5py.File) -> None:
        write_root_attrs(f, state="complete", extra=extra_attrs)
        write_events_dataset(
            f, events if events is not None else [], params=params or {}, detector=detector
        )
        f.create_group("sensors")
        for name, (time, acc, gaps, attrs) in sensors.items():
            write_sensor_group(f, name, time, acc, gaps, attrs)

    atomic_write(path, fill)


def _sensor_group(f: h5py.File, path: str | os.PathLike[str], name: str) -> h5py.Group:
    check_format(f, path)
    group = f.get(f"sensors/{name}")
    if not isinstance(group, h5py.Group):
        names = ", ".join(sorted(f.get("sensors", {}).keys())) or "none"
        raise InputError(f"{path}: no sensor {name!r} (sensors: {names})")
    return group


def _read_gaps(group: h5py.Group) -> np.ndarray:
    if "gaps" not in group:
        return np.empty(0, dtype=GAP_DTYPE)
    raw = group["gaps"][()]
    out = gaps_array(raw)
    keep = np.isfinite(out["start"]) & np.isfinite(out["end"])
    return out[keep]


def list_sensors(path: str | os.PathLike[str]) -> list[str]:
    """Return the names of the sensors in a night file (sorted; empty if it has none).

    Parameters
    ----------
    path : str or PathLike
        A night file, plain or written by a live (possibly crashed) SWMR writer.
    """
    with open_night(path) as f:
        check_format(f, path)
        sensors = f.get("sensors")
        return sorted(sensors.keys()) if isinstance(sensors, h5py.Group) else []


def read_sensor(path: str | os.PathLike[str], name: str) -> SensorData:
    """Read all samples of one sensor.

    Parameters
    ----------
    path : str or PathLike
        A night file, plain or written by a live (possibly crashed) SWMR writer.
    name : str
        Sensor name, e.g. ``"wrist"``.

    Returns
    -------
    SensorData
        time in s (float64), acc in g (float64), gaps, attrs. Rows never written (NaN fill
        value, left by a crash) are dropped.

    Raises
    ------
    InputError
        If the file is unreadable, not an sms-detect file, or has no such sensor.
    """
    with open_night(path) as f:
        g = _sensor_group(f, path, name)
        n = min(g["time"].shape[0], g["acc"].shape[0])
        time = g["time"][:n]
        acc = g["acc"][:n].astype(np.float64)
        keep = valid_rows(time, acc)
        if not keep.all():
            time, acc = time[keep], acc[keep]
        attrs = read_attrs(g)
        for k in ("location", "device", "device_id", "units", "start_time"):
            if k in attrs:
                attrs[k] = text(attrs[k])
        return SensorData(name=name, time=time, acc=acc, gaps=_read_gaps(g), attrs=attrs)


def iter_sensor_blocks(
    path: str | os.PathLike[str], name: str, block_samples: int = 65536
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield one sensor's samples block by block, reading each block from disk (bounded memory).

    Parameters
    ----------
    path : str or PathLike
        A night file, plain or written by a live (possibly crashed) SWMR writer.
    name : str
        Sensor name.
    block_samples : int, optional
        Samples per block read from disk (the last block may be shorter; blocks that lose
        never-written rows are shorter too, and empty ones are skipped).

    Yields
    ------
    time : ndarray, shape (n,), float64
        s.
    acc : ndarray, shape (n, 3), float64
        g.
    """
    if block_samples < 1:
        raise ValueError(f"block_samples must be >= 1, got {block_samples}")
    with open_night(path) as f:
        g = _sensor_group(f, path, name)
        n = min(g["time"].shape[0], g["acc"].shape[0])
        for start in range(0, n, block_samples):
            stop = min(n, start + block_samples)
            time = g["time"][start:stop]
            acc = g["acc"][start:stop].astype(np.float64)
            keep = valid_rows(time, acc)
            if not keep.all():
                time, acc = time[keep], acc[keep]
            if time.shape[0]:
                yield time, acc
