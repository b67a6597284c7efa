"""The throughput benchmark's timing and its recording (benchmarks/throughput.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _throughput_module():
    spec = importlib.util.spec_from_file_location("throughput",
                                                  ROOT / "benchmarks" / "throughput.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_interleaved_best_alternates_and_takes_the_best_of_each(monkeypatch):
    tp = _throughput_module()
    clock = [0.0]
    monkeypatch.setattr(tp.time, "perf_counter", lambda: clock[0])  # a clock the calls move
    calls: list[str] = []
    costs = iter([2.0, 1.0, 1.0, 6.0, 1.5, 3.0])  # s: base, det, base, det, base, det

    def timed(name):
        def fn():
            calls.append(name)
            clock[0] += next(costs)
        return fn

    t_base, t_det, med = tp.interleaved_best(timed("base"), timed("det"), 3)
    assert calls == ["base", "det"] * 3
    assert (t_base, t_det) == (1.0, 1.0)  # the best of each side, from different pairs
    assert med == 2.0  # pair ratios 0.5, 6 and 2


def test_recording_has_the_asked_bursts_and_gaps():
    tp = _throughput_module()
    t, acc = tp.make_recording(3600.0, burst_every=60.0)
    assert acc.shape == (t.shape[0], 3) and np.all(np.diff(t) > 0)
    assert np.count_nonzero(np.diff(t) > 0.02) == 1  # one gap per hour
    # the bursts' 0.4 g, 5 Hz pulses step by ~0.1 g per sample; rest by a few mg
    steep = np.flatnonzero(np.abs(np.diff(acc[:, 0])) > 0.05)
    bursts = 1 + np.count_nonzero(np.diff(steep) > 50)
    assert 40 <= bursts <= 60  # 60 drawn at random places (a few overlap or fall in the gap)
