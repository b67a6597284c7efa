"""Live samples from CSV lines ``time,x,y,z`` arriving on a file descriptor (standard input).

For piping any tool into ``sms-detect record --source stdin``: lines are parsed as they come
(in batches, vectorised), a header row is optional (``time,x,y,z`` in any column order), end of
input ends the stream. Time in s (any origin), acceleration in g.
"""

from __future__ import annotations

import io
import os
import select
import warnings

import numpy as np

from sms_detect.devices.serial_source import SourceStats
from sms_detect.errors import InputError
from sms_detect.timebase import infer_rate
from sms_detect.types import SampleBlock

#: Median |acc| above which values cannot be in g (a limb at rest reads about 1 g).
MAX_MEDIAN_G = 4.0
#: Samples collected before the rate is inferred (when not given).
RATE_SAMPLES = 64


class LineSource:
    """Parse CSV lines from a file descriptor into :class:`SampleBlock` objects.

    Parameters
    ----------
    fd : int
        File descriptor to read (0 = standard input).
    sensor : str
        Sensor name of the blocks.
    rate_hz : float, optional
        Nominal sample rate (Hz); inferred from the first 64 samples when omitted.
    name : str
        Name used in error messages.
    """

    def __init__(
        self,
        fd: int = 0,
        *,
        sensor: str = "wrist",
        rate_hz: float | None = None,
        name: str = "stdin",
    ) -> None:
        self.fd = fd
        self.sensor = sensor
        self.name = name
        self.stats = SourceStats(connected=True)
        if rate_hz is not None:
            self.stats.rate_hz = float(rate_hz)
        self.ended = False
        self._partial = b""
        self._line = 0  # lines consumed so far
        self._cols: tuple[int, int, int, int] | None = None
        self._ncols = 4
        self._held: list[np.ndarray] = []  # rows waiting for the rate to be known
        self._last_t: float | None = None
        self._units_checked = False
        self._error: InputError | None = None

    def close(self) -> None:
        """Nothing to release (the descriptor belongs to the caller)."""

    def poll(self, timeout: float = 0.1) -> list[SampleBlock]:
        """Read what arrived within ``timeout`` s; return complete lines as sample blocks.

        Raises
        ------
        InputError
            For a bad line (after the good lines before it were returned).
        """
        if self._error is not None:
            raise self._error
        if self.ended:
            return []
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return []
        data = os.read(self.fd, 1 << 16)
        if not data:
            self.ended = True
            self.stats.connected = False
            lines = [self._partial] if self._partial.strip() else []
            self._partial = b""
            return self._parse(lines, final=True)
        data = self._partial + data
        cut = data.rfind(b"\n")
        if cut < 0:
            self._partial = data
            return []
        self._partial = data[cut + 1 :]
        return self._parse(data[:cut].split(b"\n"), final=False)

    def _header(self, text: str, line_no: int) -> None:
        names = [c.strip().lower() for c in text.split(",")]
        try:
            self._cols = tuple(names.index(k) for k in ("time", "x", "y", "z"))  # type: ignore[assignment]
        except ValueError:
            raise InputError(
                f"{self.name}: line {line_no}: header must name columns time,x,y,z, "
                f"got {text.strip()!r}"
            ) from None
        self._ncols = len(names)

    def _parse(self, lines: list[bytes], final: bool) -> list[SampleBlock]:
        first_line = self._line + 1
        self._line += len(lines)
        texts = [ln.decode("utf-8", "replace").strip() for ln in lines]
        keep = [i for i, s in enumerate(texts) if s and not s.startswith("#")]
        if self._cols is None and keep:
            head = texts[keep[0]].lstrip("\ufeff")
            if head[0].isalpha() or head[0] == '"':
                self._header(head.replace('"', ""), first_line + keep[0])
                keep = keep[1:]
            else:
                self._cols = (0, 1, 2, 3)
        if keep:
            rows = self._numbers([texts[i] for i in keep], [first_line + i for i in keep])
            self._held.append(rows)
        if not self._held:
            return []
        allrows = np.concatenate(self._held)
        if not np.isfinite(self.stats.rate_hz):
            if len(allrows) < RATE_SAMPLES and not final:
                return []
            if len(allrows) < 2:
                raise InputError(f"{self.name}: too few samples to infer the rate (give --rate)")
            self.stats.rate_hz = infer_rate(allrows[:, 0])
        self._held = []
        return [self._block(allrows)]

    def _numbers(self, texts: list[str], line_nos: list[int]) -> np.ndarray:
        """Parse and check rows; on a bad row keep the good rows before it, error after."""
        rows, bad_at, message = self._rows(texts, line_nos)
        if bad_at is not None:
            self._error = InputError(f"{self.name}: line {line_nos[bad_at]}: {message}")
            if bad_at == 0:
                raise self._error
            rows = rows[:bad_at]
        if not self._units_checked and len(rows) >= 8:
            med = float(np.median(np.linalg.norm(rows[:, 1:], axis=1)))
            if med > MAX_MEDIAN_G:
                raise InputError(
                    f"{self.name}: median |acc| is {med:.1f}: values look like m/s^2, not g "
                    "(divide by 9.80665)"
                )
            self._units_checked = True
        if len(rows):
            self._last_t = float(rows[-1, 0])
        return rows

    def _rows(self, texts: list[str], line_nos: list[int]) -> tuple[np.ndarray, int | None, str]:
        """(rows, index of the first bad row or None, what is wrong with it)."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                arr = np.loadtxt(io.StringIO("\n".join(texts)), delimiter=",", ndmin=2)
            if arr.shape[1] != self._ncols:
                raise ValueError
        except ValueError:
            i, msg = 0, "unreadable CSV"
            for k, line in enumerate(texts):
                parts = line.split(",")
                if len(parts) != self._ncols:
                    i, msg = k, f"expected {self._ncols} comma-separated values, got {len(parts)}"
                    break
                try:
                    [float(p) for p in parts]
                except ValueError:
                    i, msg = k, f"not a number in {line!r}"
                    break
            good, bad_i, bad_msg = self._rows(texts[:i], line_nos[:i]) if i else (None, None, "")
            if bad_i is not None:
                return good, bad_i, bad_msg
            empty = np.empty((0, 4))
            return (good if good is not None else empty), i, msg
        rows = arr[:, list(self._cols or (0, 1, 2, 3))]
        problems: list[tuple[int, str]] = []
        bad = np.flatnonzero(~np.isfinite(rows).all(axis=1))
        if bad.size:
            problems.append((int(bad[0]), "NaN or infinite value"))
        t = rows[:, 0]
        back = np.flatnonzero(np.diff(t) <= 0)
        if back.size:
            problems.append((int(back[0]) + 1, "time does not increase"))
        if self._last_t is not None and len(t) and t[0] <= self._last_t:
            problems.append((0, "time does not increase"))
        if problems:
            i, msg = min(problems)
            return rows, i, msg
        return rows, None, ""

    def _block(self, rows: np.ndarray) -> SampleBlock:
        self.stats.samples += len(rows)
        self.stats.frames += 1
        return SampleBlock(rows[:, 0].copy(), rows[:, 1:].copy(), self.sensor)
