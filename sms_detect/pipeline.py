"""Batch detection over recorded nights: files in, events out (the library behind `process`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from sms_detect import __version__
from sms_detect.core import DetectorConfig, detector_id
from sms_detect.core.detector import CHUNK, StreamingDetector
from sms_detect.core.merge import canonical_order, merge_sensor_events
from sms_detect.errors import InputError
from sms_detect.timebase import infer_rate
from sms_detect.types import Event, SampleBlock

#: A block of samples: (time s (N,), acc g (N, 3)).
Block = tuple[np.ndarray, np.ndarray]

@dataclass
class NightResult:
    """Outcome of processing one night.

    Attributes
    ----------
    events : list of Event
        Every burst with its label, sorted by onset.
    rates_hz : dict of str to float
        Sampling rate of each sensor (Hz).
    samples : dict of str to int
        Samples processed per sensor.
    span_s : float
        Time from the first to the last sample (s).
    config : DetectorConfig
        Parameters used.
    """

    events: list[Event]
    rates_hz: dict[str, float] = field(default_factory=dict)
    samples: dict[str, int] = field(default_factory=dict)
    span_s: float = 0.0
    config: DetectorConfig = field(default_factory=DetectorConfig)


def _run_sensor(
    blocks: Iterable[tuple[np.ndarray, np.ndarray]],
    fs: float,
    config: DetectorConfig,
    sensor: str,
    bar: tqdm | None,
) -> tuple[list[Event], int, float, float]:
    det = StreamingDetector(fs, config, sensor, provisional=False)
    events: list[Event] = []
    first = last = np.nan
    for t, a in blocks:
        if t.shape[0] == 0:
            continue
        if np.isnan(first):
            first = float(t[0])
        last = float(t[-1])
        events += det.push(t, a)
        if bar is not None:
            bar.update(t.shape[0])
    events += det.flush()
    return events, det.n_samples, first, last


def _chunks(block: SampleBlock) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for s in range(0, len(block), CHUNK * 4):
        yield block.time[s : s + CHUNK * 4], block.acc[s : s + CHUNK * 4]


def detect_night(
    blocks: list[SampleBlock],
    config: DetectorConfig | None = None,
    rates: dict[str, float] | None = None,
    progress: bool = False,
) -> NightResult:
    """Detect events in one night of one or more sensors held in memory.

    Parameters
    ----------
    blocks : list of SampleBlock
        One block per sensor (times in s, acc in g); sensor names must differ.
    config : DetectorConfig, optional
        Parameters.
    rates : dict of str to float, optional
        Sampling rate per sensor (Hz); inferred from the time stamps when missing.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    NightResult
        Events (merged across sensors) and what was processed.
    """
    cfg = config or DetectorConfig()
    names = [b.sensor for b in blocks]
    if len(set(names)) != len(names):
        raise ValueError(f"sensor names must differ, got {names}")
    rates = dict(rates or {})
    sources = [(b.sensor, rates.get(b.sensor) or infer_rate(b.time), len(b),
                lambda b=b: _chunks(b)) for b in blocks]
    return _detect_sources(sources, cfg, progress)


def _detect_sources(sources: list[tuple[str, float, int, Callable[[], Iterable[Block]]]],
                    cfg: DetectorConfig, progress: bool) -> NightResult:
    """Run one detector per sensor over its blocks, then merge across sensors.

    ``sources`` holds (sensor name, rate Hz, sample count, a function returning its blocks).
    """
    result = NightResult(events=[], config=cfg)
    spans = []
    with tqdm(total=sum(src[2] for src in sources), unit="sample", unit_scale=True,
              disable=None if progress else True, desc="detecting", leave=False) as bar:
        for name, fs, _, blocks in sources:
            ev, n, t0, t1 = _run_sensor(blocks(), fs, cfg, name, bar)
            result.events += ev
            result.rates_hz[name], result.samples[name] = fs, n
            if n:
                spans.append((t0, t1))
    names = canonical_order([src[0] for src in sources])
    result.events = merge_sensor_events(result.events, names, cfg)
    if spans:
        result.span_s = max(s[1] for s in spans) - min(s[0] for s in spans)
    return result


def _is_hdf5(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(8) == b"\x89HDF\r\n\x1a\n"
    except OSError:
        return False


def process_file(
    path: str | os.PathLike[str],
    config: DetectorConfig | None = None,
    sensor: str = "wrist",
    progress: bool = False,
) -> NightResult:
    """Detect events in a recorded night: a CSV (``time,x,y,z``) or an sms-detect HDF5 file.

    HDF5 recordings are read block by block from disk, so memory stays bounded for nights
    larger than RAM.

    Parameters
    ----------
    path : str or PathLike
        ``.csv``, ``.csv.gz`` or ``.h5`` with ``/sensors/<name>`` groups.
    config : DetectorConfig, optional
        Parameters.
    sensor : str
        Sensor name for a CSV's events (CSV files hold one sensor).
    progress : bool
        Show a progress bar on stderr.

    Raises
    ------
    InputError
        One-line message naming the file and the problem.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a recording")
    cfg = config or DetectorConfig()
    try:
        if _is_hdf5(p):
            return _process_h5(p, cfg, progress)
        from sms_detect.io.csv_reader import read_csv

        rec = read_csv(p)
        return detect_night([rec.block(sensor)], cfg, {sensor: rec.fs}, progress)
    except InputError:
        raise
    except ValueError as exc:
        raise InputError(f"{p}: {exc}") from None


def _process_h5(p: Path, cfg: DetectorConfig, progress: bool) -> NightResult:
    from sms_detect.io.h5_recording import iter_sensor_blocks, list_sensors, open_night

    names = list_sensors(p)
    if not names:
        raise InputError(f"{p}: holds no /sensors/<name> group with samples to process")
    sources = []
    with open_night(p) as f:
        for n in names:
            g = f["sensors"][n]
            nominal = float(g.attrs.get("nominal_rate_hz", np.nan))
            if not np.isfinite(nominal) or nominal <= 0:
                head = g["time"][: min(g["time"].shape[0], 4096)]
                nominal = infer_rate(head[np.isfinite(head)])
            sources.append((n, nominal, int(g["time"].shape[0]),
                            lambda n=n: iter_sensor_blocks(p, n, CHUNK * 4)))
    return _detect_sources(sources, cfg, progress)


def write_result(out: str | os.PathLike[str], result: NightResult, source: str) -> None:
    """Write a night's events to ``out`` in the interfaces.md HDF5 layout (atomically)."""
    from sms_detect.io.h5_events import write_events_file

    try:
        write_events_file(
            out,
            result.events,
            params=result.config.to_dict(),
            detector=detector_id(f"sms-detect {__version__}"),
            extra_attrs={"source": source, "rates_hz": result.rates_hz},
        )
    except OSError as exc:
        raise InputError(f"{out}: cannot write output ({exc.strerror or exc})") from None
