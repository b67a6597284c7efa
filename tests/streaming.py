"""Feeding a recording to the streaming detector in blocks (for the stream == batch tests)."""

from __future__ import annotations

import numpy as np

from sms_detect.core import DetectorConfig, StreamingDetector
from sms_detect.types import Event


def stream_split(t: np.ndarray, acc: np.ndarray, fs: float, cuts,
                 cfg: DetectorConfig | None = None) -> tuple[list[Event], list[Event]]:
    """Push ``t`` (s), ``acc`` (g) to one detector in blocks cut at the sample indices
    ``cuts`` (any order, repeats allowed), then flush.

    Returns (events sorted by onset, the provisional events taken at the end).
    """
    det = StreamingDetector(fs, cfg) if cfg is not None else StreamingDetector(fs)
    got: list[Event] = []
    edges = [0, *sorted(set(int(c) for c in cuts)), len(t)]
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        got += det.push(t[a:b], acc[a:b])
    got += det.flush()
    return sorted(got, key=lambda e: e.onset), det.take_provisional()
