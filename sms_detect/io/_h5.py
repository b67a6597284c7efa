"""Shared HDF5 helpers: the file layout of interfaces.md section 2, atomic writes, opening.

Internal to :mod:`sms_detect.io`; the public API lives in ``h5_events``, ``h5_recording`` and
``live_writer``.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from sms_detect import __version__
from sms_detect.errors import InputError
from sms_detect.types import EVENT_DTYPE, Event, events_to_array

FORMAT = "sms-detect"
FORMAT_VERSION = 1

#: Variable-length UTF-8 string, as the contract asks for in the final file.
VSTR = h5py.string_dtype("utf-8")

#: HDF5 dtype of ``/events`` in a final (plain) file.
H5_EVENT_DTYPE = np.dtype(
    [
        ("onset", "f8"),
        ("duration", "f8"),
        ("label", VSTR),
        ("sensor", VSTR),
        ("peak_acc", "f4"),
        ("peak_jerk", "f4"),
        ("confidence", "f4"),
    ]
)

#: HDF5 dtype of ``/sensors/<name>/gaps`` in a final (plain) file.
H5_GAP_DTYPE = np.dtype([("start", "f8"), ("end", "f8"), ("reason", VSTR)])

#: In-memory dtype of gaps as returned by the readers (reason as ``str``).
GAP_DTYPE = np.dtype([("start", "f8"), ("end", "f8"), ("reason", "O")])

#: Compression of bulk datasets in plain files.
COMPRESSION: dict[str, Any] = {"compression": "gzip", "compression_opts": 4, "shuffle": True}

#: Rows per chunk of bulk sample datasets in plain files.
PLAIN_CHUNK_ROWS = 65536


def utc_now_iso() -> str:
    """Return the current time as ISO 8601 UTC with a ``Z`` suffix, e.g. 2026-01-01T22:00:00Z."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def text(value: object) -> str:
    """Decode an HDF5 string value (bytes or str) to ``str``."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray) and value.shape == ():
        return text(value[()])
    return str(value)


def attr_value(value: Any) -> Any:
    """Convert an attribute value for HDF5: dicts/lists/None become JSON text."""
    if value is None or isinstance(value, dict | list | tuple):
        return json.dumps(value)
    return value


def read_attrs(obj: h5py.HLObject) -> dict[str, Any]:
    """Return the attributes of an HDF5 object with strings as ``str`` and scalars as Python."""
    out: dict[str, Any] = {}
    for key, value in obj.attrs.items():
        if isinstance(value, bytes | str):
            out[key] = text(value)
        elif isinstance(value, np.generic):
            out[key] = value.item()
        else:
            out[key] = value
    return out


def write_root_attrs(f: h5py.File, *, state: str, extra: Mapping[str, Any] | None = None) -> None:
    """Write the root attributes of interfaces.md section 2 (+ ``recording_state``, extras)."""
    f.attrs["format"] = FORMAT
    f.attrs["format_version"] = np.int64(FORMAT_VERSION)
    f.attrs["software"] = f"sms-detect {__version__}"
    f.attrs["created"] = utc_now_iso()
    f.attrs["recording_state"] = state
    for key, value in (extra or {}).items():
        f.attrs[key] = attr_value(value)


def as_event_array(events: list[Event] | np.ndarray) -> np.ndarray:
    """Return events as an :data:`EVENT_DTYPE` array sorted by onset (s), strings as ``str``."""
    if isinstance(events, np.ndarray):
        arr = np.empty(events.shape[0], dtype=EVENT_DTYPE)
        for name in EVENT_DTYPE.names:
            col = events[name]
            arr[name] = [text(v) for v in col] if EVENT_DTYPE[name].kind == "O" else col
        order = np.argsort(arr["onset"], kind="stable")
        return arr[order]
    return events_to_array(list(events))


def check_no_nul(values: Any, what: str) -> None:
    """Raise ValueError if a string holds a NUL character or is not valid UTF-8 text."""
    for v in values:
        if "\x00" in v:
            raise ValueError(f"{what} {v!r} contains a NUL character, which HDF5 cannot store")
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{what} {v!r} cannot be encoded as UTF-8") from None


def write_events_dataset(
    f: h5py.File, events: list[Event] | np.ndarray, *, params: Mapping[str, Any], detector: str
) -> h5py.Dataset:
    """Write ``/events`` (sorted by onset) with attrs ``detector`` and ``params`` (JSON)."""
    arr = as_event_array(events)
    check_no_nul(arr["label"], "event label")
    check_no_nul(arr["sensor"], "event sensor")
    out = np.empty(arr.shape[0], dtype=H5_EVENT_DTYPE)
    for name in EVENT_DTYPE.names:
        out[name] = arr[name]
    ds = f.create_dataset(
        "events", data=out, maxshape=(None,), chunks=(min(max(64, len(out)), 4096),)
    )
    ds.attrs["detector"] = str(detector)
    ds.attrs["params"] = json.dumps(dict(params), sort_keys=True, default=str)
    return ds


def gaps_array(gaps: Any) -> np.ndarray:
    """Normalise gaps to a :data:`GAP_DTYPE` array (s, s, reason).

    Accepts None, an (k, 2) float array of (start, end) (reason ``"missing"``), a structured
    array with start/end[/reason] fields, or a sequence of (start, end[, reason]) tuples.
    """
    if gaps is None:
        return np.empty(0, dtype=GAP_DTYPE)
    if isinstance(gaps, np.ndarray) and gaps.dtype.names:
        out = np.empty(gaps.shape[0], dtype=GAP_DTYPE)
        out["start"] = gaps["start"]
        out["end"] = gaps["end"]
        reasons = gaps["reason"] if "reason" in gaps.dtype.names else ["missing"] * len(out)
        out["reason"] = [text(r) for r in reasons]
        check_no_nul(out["reason"], "gap reason")
        return out
    rows = list(gaps) if not isinstance(gaps, np.ndarray) else gaps.tolist()
    out = np.empty(len(rows), dtype=GAP_DTYPE)
    for i, row in enumerate(rows):
        reason = text(row[2]) if len(row) > 2 else "missing"
        out[i] = (float(row[0]), float(row[1]), reason)
    check_no_nul(out["reason"], "gap reason")
    return out


def valid_rows(time: np.ndarray, acc: np.ndarray) -> np.ndarray:
    """Mask of rows that are real samples (the NaN fill value marks never-written rows)."""
    return np.isfinite(time) & np.isfinite(acc).all(axis=1)


def atomic_write(path: str | os.PathLike[str], write: Callable[[h5py.File], None]) -> Path:
    """Write an HDF5 file atomically: to a temporary file beside ``path``, then rename.

    Parameters
    ----------
    path : str or PathLike
        Final file path. It appears only when ``write`` has finished and the file is closed.
    write : callable
        Called with the open ``h5py.File`` (mode ``"w"``) to fill it.

    Returns
    -------
    Path
        ``path``.
    """
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with h5py.File(tmp, "w") as f:
            write(f)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return target


def open_night(path: str | os.PathLike[str]) -> h5py.File:
    """Open an sms-detect HDF5 file for reading, even one left by a crashed SWMR writer.

    Tries a plain read first; if HDF5 refuses (file still marked open for writing, as after a
    crash or while a live recording runs), opens it in SWMR-read mode.

    Parameters
    ----------
    path : str or PathLike
        The HDF5 file.

    Returns
    -------
    h5py.File
        Open read-only; use it as a context manager (``with open_night(p) as f:``).

    Raises
    ------
    InputError
        If the file is missing or is not a readable HDF5 file.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    try:
        f = h5py.File(p, "r")
    except OSError as first:
        try:
            f = h5py.File(p, "r", swmr=True)
        except OSError:
            msg = str(first).splitlines()[0] if str(first) else type(first).__name__
            raise InputError(f"{p}: not a readable HDF5 file ({msg})") from None
    return f


def check_format(f: h5py.File, path: str | os.PathLike[str]) -> None:
    """Raise InputError unless ``f`` is an sms-detect file of a version this code reads."""
    if text(f.attrs.get("format", "")) != FORMAT:
        raise InputError(f"{path}: not an sms-detect file (root attribute format is missing)")
    version = int(f.attrs.get("format_version", 0))
    if version > FORMAT_VERSION:
        raise InputError(
            f"{path}: format_version {version} is newer than this sms-detect reads "
            f"({FORMAT_VERSION}); please upgrade"
        )
