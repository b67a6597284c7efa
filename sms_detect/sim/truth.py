"""Ground truth of a simulated night: one CSV table of events and structure.

Columns: ``onset,offset,kind,sensors,peak_g,stage,detail``

* ``onset``, ``offset``: s, in the same time base as the night's CSV ``time`` column.
* ``kind``: ``hypnic_jerk``; ``hypnic_jerk_lost`` (a jerk that happened while every sensor
  that would see it was in a radio gap: not scored); a confounder (:data:`CONFOUNDERS`);
  or a structure row (:data:`STRUCTURE`): ``recording`` (whole recording; ``detail``
  holds the simulation's parameters), ``lights_out`` (instant), ``sleep_onset`` (instant,
  every wake-to-N1 transition; ``detail`` says ``first=1`` for the night's first),
  ``stage`` (a hypnogram segment; the stage is in ``stage``).
* ``sensors``: which simulated sensors see it, ``wrist``, ``ankle`` or ``wrist+ankle``.
* ``peak_g``: noise-free peak linear acceleration at the most affected sensor, g.
* ``stage``: sleep stage at onset (``wake_active``, ``drowsy``, ``N1``, ``N2``, ``N3``,
  ``REM``, ``wake``).
* ``detail``: ``key=value`` pairs separated by ``;`` (per-sensor peaks, EMG burst length,
  limb lag, subtype, ...).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sms_detect.errors import InputError

JERK = "hypnic_jerk"
JERK_LOST = "hypnic_jerk_lost"
CONFOUNDERS = (
    "voluntary",
    "flick",
    "turn_over",
    "plm",
    "twitch",
    "foot_tremor",
    "alma",
    "rocking",
    "scratching",
    "phone_use",
    "bed_bump",
    "glitch",
    "gap",
)
STRUCTURE = ("recording", "lights_out", "sleep_onset", "stage")
COLUMNS = ("onset", "offset", "kind", "sensors", "peak_g", "stage", "detail")


@dataclass(frozen=True)
class TruthRow:
    """One row of a truth table (see module docstring for the meaning of each field)."""

    onset: float
    offset: float
    kind: str
    sensors: str = ""
    peak_g: float = 0.0
    stage: str = ""
    detail: str = ""


def write_truth(path: str | Path, rows: list[TruthRow]) -> None:
    """Write ``rows`` to a truth CSV at ``path`` (sorted by onset, structure first)."""
    order = {k: i for i, k in enumerate(STRUCTURE)}
    rows = sorted(rows, key=lambda r: (r.onset, order.get(r.kind, 9)))
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow(
                [
                    f"{r.onset:.4f}",
                    f"{r.offset:.4f}",
                    r.kind,
                    r.sensors,
                    f"{r.peak_g:.4g}",
                    r.stage,
                    r.detail,
                ]
            )


def read_truth(path: str | Path) -> list[TruthRow]:
    """Read a truth CSV; raises :class:`InputError` naming the file and line on bad input."""
    p = Path(path)
    try:
        fh = open(p, newline="")
    except OSError as exc:
        raise InputError(f"{p}: cannot read truth file ({exc.strerror})") from None
    rows: list[TruthRow] = []
    with fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or [h.strip() for h in header[: len(COLUMNS)]] != list(COLUMNS):
            raise InputError(f"{p}: not a truth file (header must be {','.join(COLUMNS)})")
        for line_no, rec in enumerate(reader, start=2):
            if not rec:
                continue
            if len(rec) < 3:
                raise InputError(f"{p}, line {line_no}: expected {len(COLUMNS)} columns")
            rec = rec + [""] * (len(COLUMNS) - len(rec))
            try:
                onset, offset = float(rec[0]), float(rec[1])
                peak = float(rec[4]) if rec[4] else 0.0
            except ValueError:
                raise InputError(f"{p}, line {line_no}: onset/offset/peak_g not numbers") from None
            if offset < onset:
                raise InputError(f"{p}, line {line_no}: offset before onset")
            rows.append(TruthRow(onset, offset, rec[2], rec[3], peak, rec[5], rec[6]))
    return rows


def recording_span(rows: list[TruthRow]) -> tuple[float, float] | None:
    """(start, end) in s of the ``recording`` row, if present."""
    for r in rows:
        if r.kind == "recording":
            return r.onset, r.offset
    return None
