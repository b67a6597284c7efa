"""Write simulated sensors as CSV (interfaces.md section 1) or HDF5 recording (section 2)."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np

from sms_detect.sim.render import SensorTrack


def csv_text(time: np.ndarray, acc: np.ndarray, decimals: int = 5) -> str:
    """Format samples as ``time,x,y,z`` CSV text with a header (time 6 decimals, s; acc g)."""
    buf = io.StringIO()
    buf.write("time,x,y,z\n")
    if len(time):
        data = np.column_stack([time, acc])
        fmt = f"%.6f,%.{decimals}f,%.{decimals}f,%.{decimals}f"
        np.savetxt(buf, data, fmt=fmt)
    return buf.getvalue()


def write_csv(path: str | Path, track: SensorTrack) -> Path:
    """Write one sensor's samples to ``path`` (gzip-compressed when it ends in ``.gz``).

    Acceleration gets enough decimals to keep the quantisation step (1 LSB) exact to 1 %.
    """
    p = Path(path)
    lsb = track.profile.lsb_g
    decimals = int(min(7, max(4, np.ceil(-np.log10(lsb)) + 2)))
    text = csv_text(track.time, track.acc, decimals)
    if p.suffix == ".gz":
        with gzip.open(p, "wt", compresslevel=6) as fh:
            fh.write(text)
    else:
        p.write_text(text)
    return p


def write_h5(path: str | Path, tracks: list[SensorTrack]) -> Path:
    """Write the sensors in the HDF5 recording layout (``/sensors/<name>/``, empty
    ``/events``) with :func:`sms_detect.io.h5_recording.write_recording`."""
    import json

    from sms_detect.io.h5_recording import write_recording

    p = Path(path)
    sensors = {}
    for tr in tracks:
        attrs = {
            "location": tr.location,
            "device": "sms-detect simulator",
            "device_id": f"sim-{tr.location}",
            "nominal_rate_hz": tr.profile.rate_hz,
            "range_g": tr.profile.range_g,
            "start_time": "",
            "simulated_profile": json.dumps(tr.profile.to_dict()),
        }
        gaps = [(a, b, "radio dropout") for a, b in tr.gaps]
        sensors[tr.location] = (tr.time, tr.acc, gaps, attrs)
    write_recording(p, sensors, extra_attrs={"source": "sms-detect simulate"})
    return p
