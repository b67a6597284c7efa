"""Crash-safe live recording of a night to HDF5 (see docs/recording.md for the measurements).

While recording, the file is in SWMR mode (``libver=("v110", "v114")``): every group, dataset
and attribute is created up front, bulk datasets are resizable, uncompressed, with chunks of
about 1 s of samples and a NaN fill value (a row that reads NaN was never written), and the
buffered samples are written and flushed at least once per second. A SIGKILL loses at most the
last second; the file then opens with :func:`sms_detect.io.h5_recording.open_night` (or
``h5py.File(p, "r", swmr=True)``) and :func:`recover` turns it into a clean plain file.

:meth:`LiveNightWriter.close` compacts the file into a plain, compressed file with exactly the
layout of interfaces.md section 2 (readable by ``h5py.File(p, "r")``), replacing it atomically.

Differences of the live (not yet closed) file from the final layout: root attribute
``recording_state = "live"``; strings (``label``, ``sensor``, ``reason``) are fixed-length
UTF-8 of :data:`LIVE_STR_BYTES` bytes; ``/events`` is in arrival order; datasets may hold
trailing NaN rows.
"""

from __future__ import annotations

import json
import os
import time as _time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

from sms_detect.errors import InputError
from sms_detect.io._h5 import (
    COMPRESSION,
    H5_GAP_DTYPE,
    PLAIN_CHUNK_ROWS,
    as_event_array,
    atomic_write,
    attr_value,
    check_format,
    check_no_nul,
    gaps_array,
    open_night,
    valid_rows,
    write_events_dataset,
    write_root_attrs,
)
from sms_detect.io.h5_recording import sensor_attrs
from sms_detect.types import EVENT_DTYPE, Event

__all__ = ["LIBVER", "LiveNightWriter", "recover"]

#: HDF5 format bounds of the live file: SWMR-capable, readable by HDF5 1.10+ tools.
LIBVER: tuple[str, str] = ("v110", "v114")

#: Bytes of the fixed-length UTF-8 strings in the live file (longer text is truncated).
LIVE_STR_BYTES = 64

_LSTR = h5py.string_dtype("utf-8", LIVE_STR_BYTES)
LIVE_EVENT_DTYPE = np.dtype(
    [
        ("onset", "f8"),
        ("duration", "f8"),
        ("label", _LSTR),
        ("sensor", _LSTR),
        ("peak_acc", "f4"),
        ("peak_jerk", "f4"),
        ("confidence", "f4"),
    ]
)
LIVE_GAP_DTYPE = np.dtype([("start", "f8"), ("end", "f8"), ("reason", _LSTR)])

_EVENT_FILL = np.array((np.nan, np.nan, b"", b"", np.nan, np.nan, np.nan), dtype=LIVE_EVENT_DTYPE)
_GAP_FILL = np.array((np.nan, np.nan, b""), dtype=LIVE_GAP_DTYPE)

#: Rows copied at a time when compacting (bounded memory).
_COPY_ROWS = 1 << 20


def _fixed(text: str) -> bytes:
    """Encode ``text`` as UTF-8 cut to :data:`LIVE_STR_BYTES` bytes at a character boundary."""
    raw = text.encode("utf-8")
    if len(raw) <= LIVE_STR_BYTES:
        return raw
    return raw[:LIVE_STR_BYTES].decode("utf-8", errors="ignore").encode("utf-8")


class LiveNightWriter:
    """Append samples, gaps and events of a live night to an SWMR HDF5 file.

    Parameters
    ----------
    path : str or PathLike
        Output file. During recording it is an SWMR file; :meth:`close` replaces it with the
        compacted plain file.
    sensors : mapping name -> attrs
        Every sensor that will be recorded, with its attributes (``location``, ``device``,
        ``device_id``, ``nominal_rate_hz`` in Hz, ``range_g`` in g, ``start_time`` ISO 8601
        UTC; missing ones get defaults). ``nominal_rate_hz`` sets the chunk length (100 Hz
        if unknown).
    detector : str, optional
        Detector name and version (``/events`` attr ``detector``).
    params : mapping, optional
        Detector parameters (``/events`` attr ``params``, JSON).
    extra_attrs : mapping, optional
        Extra root attributes.
    chunk_seconds : float, optional
        Chunk length of the sample datasets in s of samples (default 1 s; keep it equal to
        the flush interval, see recording.md).
    flush_interval : float, optional
        The append methods flush by themselves when this many s of wall time have passed
        since the last flush (default 1 s).
    fsync : bool, optional
        Also ``os.fsync`` after each flush (survives a power cut, costs a few ms).
    overwrite : bool, optional
        Replace an existing file at ``path`` (default: refuse with InputError).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        sensors: Mapping[str, Mapping[str, Any]],
        *,
        detector: str = "",
        params: Mapping[str, Any] | None = None,
        extra_attrs: Mapping[str, Any] | None = None,
        chunk_seconds: float = 1.0,
        flush_interval: float = 1.0,
        fsync: bool = False,
        overwrite: bool = False,
    ) -> None:
        self.path = Path(path)
        if not sensors:
            raise ValueError("LiveNightWriter needs at least one sensor")
        if self.path.exists() and not overwrite:
            raise InputError(f"{self.path}: already exists (refusing to overwrite)")
        self.flush_interval = float(flush_interval)
        self.fsync = bool(fsync)
        self._sensors = list(sensors)
        self._samples: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {s: [] for s in sensors}
        self._gaps: dict[str, list[tuple[float, float, bytes]]] = {s: [] for s in sensors}
        self._events: list[Event] = []
        self._closed = False

        f = h5py.File(self.path, "w", libver=LIBVER)
        try:
            write_root_attrs(f, state="live", extra=extra_attrs)
            ev = f.create_dataset(
                "events",
                shape=(0,),
                maxshape=(None,),
                chunks=(64,),
                dtype=LIVE_EVENT_DTYPE,
                fillvalue=_EVENT_FILL,
            )
            ev.attrs["detector"] = str(detector)
            ev.attrs["params"] = json.dumps(dict(params or {}), sort_keys=True, default=str)
            root = f.create_group("sensors")
            for name, attrs in sensors.items():
                if not name or "/" in name:
                    raise ValueError(f"invalid sensor name {name!r}: must be non-empty without '/'")
                full = sensor_attrs(name, attrs, None)
                rate = full["nominal_rate_hz"] if np.isfinite(full["nominal_rate_hz"]) else 100.0
                rows = max(1, round(rate * chunk_seconds))
                g = root.create_group(name)
                for key, value in full.items():
                    g.attrs[key] = attr_value(value)
                g.create_dataset(
                    "time",
                    shape=(0,),
                    maxshape=(None,),
                    chunks=(rows,),
                    dtype="f8",
                    fillvalue=np.nan,
                )
                g.create_dataset(
                    "acc",
                    shape=(0, 3),
                    maxshape=(None, 3),
                    chunks=(rows, 3),
                    dtype="f4",
                    fillvalue=np.nan,
                )
                g.create_dataset(
                    "gaps",
                    shape=(0,),
                    maxshape=(None,),
                    chunks=(64,),
                    dtype=LIVE_GAP_DTYPE,
                    fillvalue=_GAP_FILL,
                )
            f.swmr_mode = True
            f.flush()
        except BaseException:
            f.close()
            self.path.unlink(missing_ok=True)
            raise
        self._f = f
        self._last_flush = _time.monotonic()

    @property
    def sensors(self) -> list[str]:
        """Names of the sensors given at construction."""
        return list(self._sensors)

    def written(self, sensor: str) -> int:
        """Number of samples of ``sensor`` written to the file (excludes the unflushed buffer)."""
        self._check_sensor(sensor)
        if self._closed:
            raise ValueError(f"{self.path}: writer is closed")
        return int(self._f["sensors"][sensor]["time"].shape[0])

    # -- appending ------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"{self.path}: writer is closed")

    def _check_sensor(self, sensor: str) -> None:
        if sensor not in self._samples:
            raise ValueError(f"unknown sensor {sensor!r} (known: {', '.join(self._sensors)})")

    def _maybe_flush(self) -> None:
        if _time.monotonic() - self._last_flush >= self.flush_interval:
            self.flush()

    def append_samples(self, sensor: str, time: np.ndarray, acc: np.ndarray) -> None:
        """Append samples of one sensor (buffered until the next flush).

        Parameters
        ----------
        sensor : str
            A sensor given at construction.
        time : ndarray, shape (n,)
            Sample times in s.
        acc : ndarray, shape (n, 3)
            Acceleration x, y, z in g (stored as float32).
        """
        self._check_open()
        self._check_sensor(sensor)
        t = np.array(time, dtype=np.float64, copy=True).reshape(-1)
        a = np.array(acc, dtype=np.float32, copy=True).reshape(-1, 3)
        if a.shape[0] != t.shape[0]:
            raise ValueError(f"time has {t.shape[0]} samples but acc has {a.shape[0]}")
        if t.shape[0]:
            self._samples[sensor].append((t, a))
        self._maybe_flush()

    def append_gap(self, sensor: str, start: float, end: float, reason: str = "missing") -> None:
        """Record that samples of ``sensor`` are missing between ``start`` and ``end`` (s)."""
        self._check_open()
        self._check_sensor(sensor)
        check_no_nul([reason], "gap reason")
        self._gaps[sensor].append((float(start), float(end), _fixed(reason)))
        self._maybe_flush()

    def append_events(self, events: list[Event]) -> None:
        """Append confirmed events (any order; the closed file has them sorted by onset)."""
        self._check_open()
        events = list(events)
        check_no_nul([e.label for e in events], "event label")
        check_no_nul([e.sensor for e in events], "event sensor")
        self._events.extend(events)
        self._maybe_flush()

    # -- flushing and closing ---------------------------------------------------------------

    @staticmethod
    def _append(ds: h5py.Dataset, data: np.ndarray) -> None:
        n = ds.shape[0]
        ds.resize(n + data.shape[0], axis=0)
        ds[n:] = data

    def flush(self) -> None:
        """Write everything buffered and flush the file (call about once per second)."""
        self._check_open()
        f = self._f
        for name in self._sensors:
            g = f["sensors"][name]
            blocks = self._samples[name]
            if blocks:
                self._append(g["acc"], np.concatenate([b[1] for b in blocks]))
                self._append(g["time"], np.concatenate([b[0] for b in blocks]))
                blocks.clear()
            if self._gaps[name]:
                self._append(g["gaps"], np.array(self._gaps[name], dtype=LIVE_GAP_DTYPE))
                self._gaps[name].clear()
        if self._events:
            arr = events_to_live(self._events)
            self._append(f["events"], arr)
            self._events.clear()
        f.flush()
        if self.fsync:
            os.fsync(f.id.get_vfd_handle())
        self._last_flush = _time.monotonic()

    def close(self, *, compact: bool = True) -> None:
        """Flush, close, and (by default) compact into the final plain compressed file.

        Parameters
        ----------
        compact : bool, optional
            Replace the SWMR file by a plain, compressed file with the interfaces.md layout
            (atomically). With False the SWMR file is left as is (open it with
            :func:`~sms_detect.io.h5_recording.open_night`).
        """
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            self._f.close()
        if compact:
            recover(self.path, self.path, state="complete")

    def __enter__(self) -> LiveNightWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def events_to_live(events: list[Event]) -> np.ndarray:
    """Pack events into the live file's fixed-string event dtype (arrival order)."""
    out = np.empty(len(events), dtype=LIVE_EVENT_DTYPE)
    for name in EVENT_DTYPE.names:
        values = [getattr(e, name) for e in events]
        out[name] = [_fixed(v) for v in values] if EVENT_DTYPE[name].kind == "O" else values
    return out


def _copy_sensor(src: h5py.Group, dst_root: h5py.Group, name: str) -> None:
    """Copy one sensor group block by block, dropping never-written rows, compressed."""
    g = dst_root.create_group(name)
    for key, value in src.attrs.items():
        g.attrs[key] = value
    n = min(src["time"].shape[0], src["acc"].shape[0])
    rows = max(1, min(PLAIN_CHUNK_ROWS, n))
    t_out = g.create_dataset(
        "time", shape=(0,), maxshape=(None,), chunks=(rows,), dtype="f8", **COMPRESSION
    )
    a_out = g.create_dataset(
        "acc", shape=(0, 3), maxshape=(None, 3), chunks=(rows, 3), dtype="f4", **COMPRESSION
    )
    for start in range(0, n, _COPY_ROWS):
        stop = min(n, start + _COPY_ROWS)
        t = src["time"][start:stop]
        a = src["acc"][start:stop]
        keep = valid_rows(t, a)
        LiveNightWriter._append(t_out, t[keep])
        LiveNightWriter._append(a_out, a[keep])
    gaps = gaps_array(src["gaps"][()] if "gaps" in src else None)
    gaps = gaps[np.isfinite(gaps["start"]) & np.isfinite(gaps["end"])]
    out = np.empty(gaps.shape[0], dtype=H5_GAP_DTYPE)
    for k in ("start", "end", "reason"):
        out[k] = gaps[k]
    g.create_dataset("gaps", data=out, maxshape=(None,), chunks=(min(max(64, len(out)), 4096),))


def recover(
    path_in: str | os.PathLike[str], path_out: str | os.PathLike[str], *, state: str = "recovered"
) -> None:
    """Copy a night file (e.g. left by a crashed live writer) into a clean plain file.

    The output has the interfaces.md layout: plain (no SWMR), compressed, variable-length
    strings, events sorted by onset, never-written (NaN) rows dropped, root attribute
    ``recording_state`` set to ``state``. It is written atomically; ``path_out`` may equal
    ``path_in``.

    Parameters
    ----------
    path_in : str or PathLike
        A night file, plain or SWMR, possibly left by a killed writer.
    path_out : str or PathLike
        The clean file to write.
    state : str, optional
        Value of the root attribute ``recording_state`` ("recovered" by default; a clean
        close writes "complete").

    Raises
    ------
    InputError
        If ``path_in`` is unreadable or not an sms-detect file.
    """
    with open_night(path_in) as src:
        check_format(src, path_in)

        def fill(dst: h5py.File) -> None:
            for key, value in src.attrs.items():
                dst.attrs[key] = value
            dst.attrs["recording_state"] = state
            events = src.get("events")
            if isinstance(events, h5py.Dataset):
                arr = as_event_array(events[()])
                arr = arr[np.isfinite(arr["onset"])]
                try:
                    params = json.loads(str(events.attrs.get("params", "{}")))
                except ValueError:
                    params = {"unparsed": str(events.attrs.get("params"))}
                detector = events.attrs.get("detector", "")
                detector = detector.decode() if isinstance(detector, bytes) else str(detector)
            else:
                arr, params, detector = np.empty(0, dtype=EVENT_DTYPE), {}, ""
            write_events_dataset(dst, arr, params=params, detector=detector)
            root = dst.create_group("sensors")
            sensors = src.get("sensors")
            if isinstance(sensors, h5py.Group):
                for name in sensors:
                    _copy_sensor(sensors[name], root, name)

        atomic_write(path_out, fill)
