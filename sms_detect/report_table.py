"""Plain-text tables of events for the terminal."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sms_detect.types import HYPNIC_JERK, Event

#: Times above this (s) are taken as Unix time and shown as UTC clock time.
UNIX_EPOCH_GUESS_S = 1e8


def format_time(t: float) -> str:
    """Format a time (s) as ``h:mm:ss.ss`` from the time base's zero, or UTC clock time."""
    if t > UNIX_EPOCH_GUESS_S:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-4] + "Z"
    sign = "-" if t < 0 else ""
    t = abs(t)
    h, rem = divmod(t, 3600.0)
    m, s = divmod(rem, 60.0)
    return f"{sign}{int(h)}:{int(m):02d}:{s:05.2f}"


def events_table(events: list[Event], only_jerks: bool = True) -> str:
    """Render events as an aligned text table (onset, duration s, label, sensor, g, g/s, conf).

    Parameters
    ----------
    events : list of Event
        Events to show.
    only_jerks : bool
        Show only hypnic jerks (other labels are counted by :func:`label_summary`).
    """
    rows = [e for e in events if e.label == HYPNIC_JERK] if only_jerks else list(events)
    header = ("#", "onset", "onset_s", "dur_s", "label", "sensor", "peak_g", "jerk_g/s", "conf")
    body = [
        (
            str(i + 1),
            format_time(e.onset),
            f"{e.onset:.2f}",
            f"{e.duration:.2f}",
            e.label,
            e.sensor,
            f"{e.peak_acc:.3f}",
            f"{e.peak_jerk:.1f}",
            f"{e.confidence:.2f}",
        )
        for i, e in enumerate(rows)
    ]
    widths = [max(len(r[k]) for r in [header, *body]) for k in range(len(header))]
    lines = [
        "  ".join(
            c.rjust(w) if k not in (4, 5) else c.ljust(w)
            for k, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, *body]
    ]
    return "\n".join(lines)


def label_summary(events: list[Event]) -> str:
    """One line counting events per label, hypnic jerks first."""
    counts = Counter(e.label for e in events)
    order = sorted(counts, key=lambda k: (k != HYPNIC_JERK, -counts[k], k))
    return ", ".join(f"{counts[k]} {k}" for k in order) if counts else "no bursts"
