"""Detected events in the night's HDF5 file (``/events``, interfaces.md section 2).

:func:`write_events_file` writes the whole file atomically (temporary file + rename), so a
failure never leaves a complete-looking output. :func:`read_events` reads plain files and
files left by a live (possibly crashed) SWMR writer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import h5py
import numpy as np

from sms_detect.errors import InputError
from sms_detect.io._h5 import (
    as_event_array,
    atomic_write,
    check_format,
    open_night,
    read_attrs,
    write_events_dataset,
    write_root_attrs,
)
from sms_detect.io.h5_recording import SensorInput, write_sensor_group
from sms_detect.types import Event

__all__ = ["read_events", "write_events_file"]


def write_events_file(
    path: str | os.PathLike[str],
    events: list[Event] | np.ndarray,
    *,
    params: Mapping[str, Any],
    detector: str,
    extra_attrs: Mapping[str, Any] | None = None,
    sensors: Mapping[str, SensorInput] | None = None,
) -> None:
    """Write a night file holding the detected events (and optionally raw samples), atomically.

    Parameters
    ----------
    path : str or PathLike
        Output file. It is written to a temporary file in the same directory and renamed into
        place only when complete; on any failure no file appears at ``path`` (an existing one
        is left untouched).
    events : list of Event or structured array
        Detected events (onset s, duration s, label, sensor, peak_acc g, peak_jerk g/s,
        confidence 0..1); stored sorted by onset.
    params : mapping
        Every detector parameter used; stored as JSON in ``/events`` attr ``params``.
    detector : str
        Detector name and version; ``/events`` attr ``detector``.
    extra_attrs : mapping, optional
        Extra root attributes (e.g. ``source`` file name); dicts/lists stored as JSON.
    sensors : mapping name -> (time, acc, gaps, attrs), optional
        Raw samples to include under ``/sensors/<name>`` (see
        :func:`sms_detect.io.h5_recording.write_recording`).
    """

    def fill(f: h5py.File) -> None:
        write_root_attrs(f, state="complete", extra=extra_attrs)
        write_events_dataset(f, events, params=params, detector=detector)
        if sensors:
            for name, (time, acc, gaps, attrs) in sensors.items():
                write_sensor_group(f, name, time, acc, gaps, attrs)

    atomic_write(path, fill)


def read_events(path: str | os.PathLike[str]) -> tuple[np.ndarray, dict[str, Any]]:
    """Read the events of a night file.

    Parameters
    ----------
    path : str or PathLike
        A night file, plain or written by a live (possibly crashed) SWMR writer.

    Returns
    -------
    events : ndarray
        Structured array of :data:`sms_detect.types.EVENT_DTYPE` (label and sensor as
        ``str``), sorted by onset (s). Use :func:`sms_detect.types.array_to_events` for
        Event objects.
    attrs : dict
        The root attributes (format, format_version, software, created, ...) merged with the
        ``/events`` attributes: ``detector`` (str) and ``params`` (dict, parsed from JSON).

    Raises
    ------
    InputError
        If the file is unreadable, not an sms-detect file, or has no ``/events``.
    """
    with open_night(path) as f:
        check_format(f, path)
        ds = f.get("events")
        if not isinstance(ds, h5py.Dataset):
            raise InputError(f"{path}: no /events dataset")
        raw = ds[()]
        attrs = read_attrs(f)
        attrs.update(read_attrs(ds))
    arr = as_event_array(raw)
    arr = arr[np.isfinite(arr["onset"])]  # rows never written by a crashed live writer
    try:
        attrs["params"] = json.loads(attrs.get("params", "{}"))
    except (TypeError, ValueError):
        raise InputError(f"{path}: /events attribute params is not valid JSON") from None
    attrs.setdefault("detector", "")
    return arr, attrs
