"""Detector throughput, memory and streaming cost, as ratios to a baseline run in-process.

Builds a 7-day, 100 Hz, 3-axis recording in memory (quiet rest with noise, slow posture
changes, bursts every few minutes and a few gaps), then prints:

- the detector's time divided by the time of ONE ``scipy.signal.sosfilt`` pass of an order-4
  Butterworth band-pass (``butter(2, [1, 20], 'bandpass')``: 2 sections, 4th order) over the
  same (N, 3) array in the same run (target <= 3.0);
- the same for one 8-hour night, and the peak memory of each run (tracemalloc);
- streaming cost at 100 Hz in blocks of 10 samples: CPU seconds per second of data.

Usage: ``python benchmarks/throughput.py [--days 7] [--repeat 5]``.

Baseline and detector are timed alternately; the ratio is of the best times, and the
median of the per-pair ratios is printed beside it (shared machines are noisy).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
from scipy import signal

from sms_detect.core import StreamingDetector, detect

#: Mean time (s) between the recording's bursts unless ``--burst-every`` says otherwise.
BURST_EVERY_S = 180.0


def make_recording(seconds: float, fs: float = 100.0, seed: int = 0,
                   burst_every: float = BURST_EVERY_S):
    """Synthetic rest with bursts (one per ``burst_every`` s on average, at random) and gaps:
    (time s, acc g float64)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    t = np.arange(n) / fs
    acc = rng.normal(0.0, 0.003, (n, 3))
    acc[:, 2] += 0.98
    acc[:, 0] += 0.15 * np.sin(2 * np.pi * t / 5400.0)
    starts = rng.integers(0, n - 100, size=int(seconds / burst_every))
    tt = np.arange(40) / fs
    pulse = 0.4 * np.sin(2 * np.pi * 5 * tt) * np.exp(-tt / 0.08)
    acc[starts[:, None] + np.arange(40)[None, :], 0] += pulse
    keep = np.ones(n, bool)
    for g in rng.integers(0, n - 1000, size=int(seconds / 3600)):
        keep[g : g + 300] = False
    return t[keep], acc[keep]


def peak_mb(fn) -> float:
    """Peak traced memory (MB) of one call, above what was allocated before it."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def interleaved_best(base, det, repeat: int) -> tuple[float, float, float]:
    """Time ``base`` and ``det`` alternately ``repeat`` times (s).

    Returns the best time of each and the median of the per-pair ratios ``det / base``:
    alternating keeps a slow spell of a shared machine from falling on one side only.
    """
    tb, td = [], []
    for _ in range(repeat):
        for fn, out in ((base, tb), (det, td)):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return min(tb), min(td), float(np.median(np.array(td) / np.array(tb)))


def bench(seconds: float, repeat: int, label: str, burst_every: float = BURST_EVERY_S) -> None:
    fs = 100.0
    t, acc = make_recording(seconds, fs, burst_every=burst_every)
    sos = signal.butter(2, [1.0, 20.0], btype="bandpass", fs=fs, output="sos")
    t_base, t_det, med = interleaved_best(
        lambda: signal.sosfilt(sos, acc, axis=0), lambda: detect(t, acc, fs), repeat)
    n_events = len(detect(t, acc, fs))
    mem = peak_mb(lambda: detect(t, acc, fs))
    data_mb = acc.nbytes / 1e6 + t.nbytes / 1e6
    print(
        f"{label}: {t.shape[0]:,} samples x 3 axes ({data_mb:.0f} MB in memory), {n_events} events"
    )
    print(f"  sosfilt baseline   {t_base:8.3f} s   (best of {repeat}, alternating)")
    print(f"  detector           {t_det:8.3f} s   ratio {t_det / t_base:5.2f}  (target <= 3.0)"
          f";  median of the {repeat} pairs' ratios {med:5.2f}")
    print(
        f"  detector speed     {t.shape[0] / t_det / 1e6:8.2f} M samples/s, "
        f"{seconds / t_det:,.0f} x real time"
    )
    print(f"  detector peak mem  {mem:8.1f} MB above the input")


def bench_stream(seconds: float = 600.0, block: int = 10) -> None:
    fs = 100.0
    t, acc = make_recording(seconds, fs, seed=1)
    det = StreamingDetector(fs)
    c0 = time.process_time()
    for s in range(0, t.shape[0], block):
        det.push(t[s : s + block], acc[s : s + block])
    det.flush()
    cpu = time.process_time() - c0
    span = t[-1] - t[0]
    print(
        f"streaming, 100 Hz in blocks of {block}: {cpu / span * 1e3:.2f} ms CPU per s of data "
        f"({100 * cpu / span:.2f} % of one core), over {span:.0f} s of data"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--repeat", type=int, default=5,
                    help="timed pairs for the night (the long recording gets 2 fewer, >= 1)")
    ap.add_argument("--burst-every", type=float, default=BURST_EVERY_S,
                    help=f"mean time between bursts (s): {BURST_EVERY_S:g} by default; e.g. 10 "
                         "for a restless recording, where the per-burst work dominates")
    args = ap.parse_args()
    bursts = f", a burst every {args.burst_every:g} s" if args.burst_every != BURST_EVERY_S else ""
    bench(8 * 3600.0, args.repeat, f"8-hour night, 100 Hz{bursts}", args.burst_every)
    bench(args.days * 86400.0, max(1, args.repeat - 2),
          f"{args.days:g}-day recording, 100 Hz{bursts}", args.burst_every)
    bench_stream()


if __name__ == "__main__":
    main()
