"""Read a night of tri-axial accelerometry from a plain CSV file (interfaces.md section 1).

Format: a header row naming the columns ``time``, ``x``, ``y``, ``z`` (any order, any case,
surrounding spaces or double quotes allowed; other columns are ignored), then one sample per
line, comma-separated: ``time`` in seconds (any origin), ``x, y, z`` in g. Blank lines are
skipped. The file may be gzip-compressed (detected from its content, whatever its name).

Every problem raises :class:`~sms_detect.errors.InputError` with one line naming the file and
the line number (1-based, the header being line 1) or the problem.
"""

from __future__ import annotations

import gzip
import io
import os
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from sms_detect.errors import InputError
from sms_detect.timebase import find_gaps, infer_rate
from sms_detect.types import SampleBlock

#: Columns the header must name.
REQUIRED_COLUMNS: tuple[str, ...] = ("time", "x", "y", "z")

#: Fewest data rows from which a sample rate is inferred.
MIN_ROWS = 10

#: Accepted sample rates (Hz), inclusive.
MIN_RATE_HZ = 25.0
MAX_RATE_HZ = 1000.0

#: Median |acc| above which the values cannot be in g (a sensor at rest reads about 1 g).
MAX_MEDIAN_G = 4.0

_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class CsvRecording:
    """One night read from a CSV file.

    Attributes
    ----------
    path : Path
        The file read.
    time : ndarray, shape (N,), float64
        Sample times in seconds, strictly increasing, in the file's own time base.
    acc : ndarray, shape (N, 3), float64
        Acceleration x, y, z in g.
    fs : float
        Sample rate in Hz, inferred from ``time``.
    gaps : ndarray, shape (k, 2), float64
        (last time before, first time after) of every interval longer than 1.5 / fs, in s.
    """

    path: Path
    time: np.ndarray
    acc: np.ndarray
    fs: float
    gaps: np.ndarray

    def __len__(self) -> int:
        return int(self.time.shape[0])

    def block(self, sensor: str = "wrist") -> SampleBlock:
        """Return the samples as a :class:`~sms_detect.types.SampleBlock` (s, g)."""
        return SampleBlock(time=self.time, acc=self.acc, sensor=sensor)


def _open_text(path: Path) -> IO[str]:
    """Open ``path`` as UTF-8 text, gunzipping it if its content starts with the gzip magic."""
    try:
        with open(path, "rb") as fb:
            magic = fb.read(2)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if magic == _GZIP_MAGIC:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline=None)
    return open(path, encoding="utf-8-sig", newline=None)  # noqa: SIM115


def _parse_header(path: Path, line: str) -> tuple[int, ...]:
    """Return the column indices of time, x, y, z named by the header line."""
    if not line.strip():
        raise InputError(f"{path}: empty file (expected a header row 'time,x,y,z')")
    names = [c.strip().strip('"').strip().lower() for c in line.rstrip("\r\n").split(",")]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        shown = line.strip()
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise InputError(
            f"{path} line 1: header must name the columns time,x,y,z; "
            f"missing {','.join(missing)} in '{shown}'"
        )
    for c in REQUIRED_COLUMNS:
        if names.count(c) > 1:
            raise InputError(f"{path} line 1: header names column '{c}' more than once")
    return tuple(names.index(c) for c in REQUIRED_COLUMNS)


def _data_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line number, text) of every non-blank data line (error path only)."""
    with _open_text(path) as f:
        f.readline()
        for lineno, text in enumerate(f, start=2):
            if text.strip():
                yield lineno, text


def _line_of_row(path: Path, row: int) -> int:
    """Return the 1-based line number of data row ``row`` (0-based, blank lines skipped)."""
    for k, (lineno, _) in enumerate(_data_lines(path)):
        if k == row:
            return lineno
    return -1


def _locate_parse_error(path: Path, cols: tuple[int, ...], ncols: int, fallback: str) -> str:
    """Find the first data line that is not a row of numbers and describe it (error path)."""
    for lineno, text in _data_lines(path):
        fields = text.rstrip("\r\n").split(",")
        if len(fields) < ncols:
            return f"{path} line {lineno}: {len(fields)} columns, the header has {ncols}"
        for name, c in zip(REQUIRED_COLUMNS, cols, strict=True):
            value = fields[c].strip()
            try:
                float(value)
            except ValueError:
                shown = value if len(value) <= 30 else value[:27] + "..."
                return f"{path} line {lineno}: column '{name}' is not a number: '{shown}'"
    return f"{path}: cannot parse: {fallback}"


def _parse_numbers(f: IO[str], cols: tuple[int, ...]) -> np.ndarray:
    """Parse the remaining lines of ``f`` into a float64 array (rows, len(cols))."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
        return np.loadtxt(
            f,
            delimiter=",",
            usecols=cols,
            dtype=np.float64,
            comments=None,
            ndmin=2,
            encoding=None,
        )


def read_csv(path: str | os.PathLike[str]) -> CsvRecording:
    """Read a CSV night ``time,x,y,z`` (s, g), optionally gzip-compressed.

    Parameters
    ----------
    path : str or PathLike
        A ``.csv`` or ``.csv.gz`` file (gzip is recognised from the content).

    Returns
    -------
    CsvRecording
        Time in s, acceleration in g, the inferred rate in Hz and the gaps.

    Raises
    ------
    InputError
        One line naming the file and the line or problem: missing file, empty file, header
        without time/x/y/z, header only, a field that is not a number, NaN or infinity, time
        going backwards or repeating, values that look like m/s^2 rather than g, too few rows
        to infer a rate, or a rate outside 25-1000 Hz.
    """
    p = Path(path)
    try:
        with _open_text(p) as f:
            header = f.readline()
            cols = _parse_header(p, header)
            ncols = len(header.split(","))
            try:
                data = _parse_numbers(f, cols)
            except UnicodeDecodeError:
                raise
            except ValueError as exc:
                raise InputError(_locate_parse_error(p, cols, ncols, str(exc))) from None
    except UnicodeDecodeError:
        raise InputError(f"{p}: not a UTF-8 text CSV file") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise InputError(f"{p}: damaged gzip file ({exc})") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc.strerror or exc}") from None

    n = data.shape[0]
    if n == 0:
        raise InputError(f"{p}: no data rows after the header")
    bad = ~np.isfinite(data).all(axis=1)
    if bad.any():
        row = int(np.argmax(bad))
        raise InputError(f"{p} line {_line_of_row(p, row)}: NaN or infinite value")

    time = np.ascontiguousarray(data[:, 0])
    acc = np.ascontiguousarray(data[:, 1:4])
    del data

    d = np.diff(time)
    nonpos = d <= 0
    if nonpos.any():
        i = int(np.argmax(nonpos))
        what = "repeats" if d[i] == 0 else "goes backwards"
        raise InputError(
            f"{p} line {_line_of_row(p, i + 1)}: time {what} "
            f"({float(time[i + 1])!r} s after {float(time[i])!r} s)"
        )
    del d, nonpos

    if n < MIN_ROWS:
        raise InputError(f"{p}: only {n} data rows; need at least {MIN_ROWS} to infer the rate")

    med = float(np.median(np.sqrt(np.einsum("ij,ij->i", acc, acc))))
    if med > MAX_MEDIAN_G:
        hint = " (m/s^2? divide by 9.80665)" if 7.0 < med < 13.0 else ""
        raise InputError(
            f"{p}: median |acc| is {med:.3g}, which does not look like g "
            f"(about 1 at rest){hint}; x,y,z must be in g"
        )

    fs = infer_rate(time)
    if not (MIN_RATE_HZ * 0.99 <= fs <= MAX_RATE_HZ * 1.01):
        hint = ""
        if fs < MIN_RATE_HZ and MIN_RATE_HZ <= fs * 1000 <= MAX_RATE_HZ:
            hint = " (is time in milliseconds? it must be in seconds)"
        raise InputError(
            f"{p}: inferred sample rate {fs:.4g} Hz is outside "
            f"{MIN_RATE_HZ:g}-{MAX_RATE_HZ:g} Hz{hint}"
        )
    return CsvRecording(path=p, time=time, acc=acc, fs=fs, gaps=find_gaps(time, fs))
