"""Accuracy benchmark: simulate a set of nights, run the detector, print the scores.

Usage::

    python benchmarks/accuracy.py            # 56 nights of 2 h + 4 of 8 h (~1 min, 2 jobs)
    python benchmarks/accuracy.py --quick    # 14 nights of 2 h + 1 of 8 h
    python benchmarks/accuracy.py --set min_jerk_peak_g=0.08 --json out.json --per-night
    python benchmarks/accuracy.py --jerk joint_hz=1.5,6   # jerks of slower joints

The set crosses every listed rate (25, 50, 52, 100, 104, 200, 400 Hz) with one-sensor (wrist,
ankle) and two-sensor (wrist+ankle) nights. Nights are SHORTER than real ones (2 h by
default, --hours to change): the simulator compresses a night under 3 h around sleep onset
(short active wake and settling, more wakings, so more sleep-onset transitions per hour).
False positives per hour are therefore those of the onset-dense part of a night, not of a
whole 8 h night (which holds more quiet sleep); four whole 8 h nights (one with --quick)
are added and reported as their own group for that.

Scoring follows docs/science.md (see sms_detect.evaluate). Seeds are 1000 + night index
(whole nights 2000 + index), so the set is the same on every run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from sms_detect.evaluate import (
    Score,
    format_fp_breakdown,
    format_table,
    pool,
    score_night,
)
from sms_detect.sim import RATES, simulate_night
from sms_detect.sim.physics import jerk_overrides, jerk_physics
from sms_detect.sim.truth import CONFOUNDERS
from sms_detect.types import Event, events_to_array

CONFIGS = ("wrist", "ankle", "wrist+ankle")
AMP_BINS = (0.0, 0.1, 0.3, 1.0, 3.0, np.inf)


def format_recall_intervals(rows: list[Score]) -> str:
    """Recall of each group with its 95 % Wilson score interval (binomial, scipy).

    Per-rate groups hold a few dozen jerks, so their recall moves by several points from
    one set of nights to another by chance alone; the interval is the range of true recall
    that the count leaves plausible.

    Parameters
    ----------
    rows : list of Score
        Pooled scores of the groups (``tp`` of ``n_true`` jerks found).

    Returns
    -------
    str
        One line per group: name, found/true, recall and its interval (0..1).
    """
    from scipy.stats import binomtest

    lines = ["recall with 95 % Wilson intervals (true recall plausible for the count):"]
    for r in rows:
        if r.n_true == 0:
            lines.append(f"  {r.name:<14} no jerks")
            continue
        ci = binomtest(r.tp, r.n_true).proportion_ci(0.95, method="wilson")
        lines.append(f"  {r.name:<14} {r.tp:>4}/{r.n_true:<4} {r.tp / r.n_true:.3f} "
                     f"({ci.low:.3f}-{ci.high:.3f})")
    return "\n".join(lines)


def night_specs(n: int, hours: float, seed0: int = 1000) -> list[dict]:
    """The benchmark set: rates x sensor configurations, cycled to ``n`` nights."""
    specs = []
    for i in range(n):
        rate = RATES[i % len(RATES)]
        cfg = CONFIGS[(i // len(RATES) + i) % len(CONFIGS)]
        specs.append({"seed": seed0 + i, "rate": rate, "sensors": cfg, "hours": hours})
    return specs


WHOLE_NIGHTS = (  # (rate Hz, sensors): whole 8 h nights, scored as their own group
    (50.0, "wrist"),
    (100.0, "wrist+ankle"),
    (25.0, "ankle"),
    (104.0, "wrist"),
)


def whole_night_specs(n: int, seed0: int = 2000) -> list[dict]:
    """``n`` whole 8 h nights (honest false positives per hour of a full night)."""
    return [
        {"seed": seed0 + i, "rate": r, "sensors": c, "hours": 8.0, "whole": True}
        for i, (r, c) in enumerate(WHOLE_NIGHTS[:n])
    ]


def run_detector(night, config) -> list[Event]:
    """Run ``sms_detect.pipeline.detect_night`` on a simulated night's blocks."""
    from sms_detect.pipeline import detect_night

    res = detect_night(night.blocks(), config)
    return list(getattr(res, "events", res))


def run_one(spec: dict, overrides: dict[str, str]) -> dict:
    """Simulate, detect and score one night (runs in a worker process)."""
    from sms_detect.core.config import DetectorConfig

    config = DetectorConfig().with_overrides(overrides) if overrides else DetectorConfig()
    t0 = time.time()
    night = simulate_night(
        spec["seed"], spec["rate"], spec["sensors"], spec["hours"], jerk=spec.get("jerk")
    )
    t1 = time.time()
    events = run_detector(night, config)
    t2 = time.time()
    truth = night.truth_rows()
    name = f"seed {spec['seed']} {spec['rate']:g} Hz {spec['sensors']}"
    return {
        "spec": spec,
        "score": score_night(truth, events_to_array(events), name),
        "exposure": Counter(r.kind for r in truth if r.kind in CONFOUNDERS),
        "peaks": [r.peak_g for r in truth if r.kind == "hypnic_jerk"],
        "t_sim": t1 - t0,
        "t_det": t2 - t1,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="14 nights instead of 56")
    ap.add_argument("--nights", type=int, default=None, help="number of nights (default 56)")
    ap.add_argument("--hours", type=float, default=None, help="hours per night (default 2)")
    ap.add_argument("--seed0", type=int, default=1000, help="first seed (default 1000)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="detector parameter override (repeatable)")  # fmt: skip
    ap.add_argument("--jerk", action="append", default=[], metavar="NAME=LOW,HIGH",
                    help="simulate the jerks with another range of kinetics, e.g. "
                         "joint_hz=1.5,6 (fields of sms_detect.sim.physics.JerkPhysics; "
                         "repeatable)")  # fmt: skip
    ap.add_argument("--per-night", action="store_true", help="also print one line per night")
    ap.add_argument(
        "--whole", type=int, default=None, help="whole 8 h nights added (default 4, quick 1)"
    )
    ap.add_argument(
        "--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes"
    )
    ap.add_argument("--json", metavar="PATH", help="write all scores as JSON")
    args = ap.parse_args(argv)
    if any("=" not in s for s in args.set):
        ap.error("--set takes NAME=VALUE")

    n = args.nights or (14 if args.quick else 56)
    hours = args.hours or 2.0
    from sms_detect.core.config import DetectorConfig

    overrides = dict(s.split("=", 1) for s in args.set)
    config = DetectorConfig().with_overrides(overrides) if overrides else DetectorConfig()

    scores: list[Score] = []
    groups: dict[str, list[Score]] = defaultdict(list)
    exposure: Counter = Counter()
    jerk_peaks: list[float] = []
    t_sim = t_det = 0.0
    t_all = time.time()
    n_whole = args.whole if args.whole is not None else (1 if args.quick else 4)
    specs = night_specs(n, hours, args.seed0) + whole_night_specs(n_whole)
    try:
        jerk = jerk_overrides(args.jerk)
    except ValueError as exc:
        ap.error(f"--jerk: {exc}")
    if jerk:
        for sp in specs:
            sp["jerk"] = jerk
    n = len(specs)
    if args.jobs > 1:
        pool_ex = ProcessPoolExecutor(max_workers=args.jobs)
        results = pool_ex.map(run_one, specs, [overrides] * len(specs))
    else:
        pool_ex = None
        results = (run_one(sp, overrides) for sp in specs)
    for k, res in enumerate(results):
        spec, sc = res["spec"], res["score"]
        t_sim += res["t_sim"]
        t_det += res["t_det"]
        scores.append(sc)
        groups[f"rate {spec['rate']:g} Hz"].append(sc)
        groups[f"sensors {spec['sensors']}"].append(sc)
        groups["whole" if spec.get("whole") else "short"].append(sc)
        exposure.update(res["exposure"])
        jerk_peaks += res["peaks"]
        print(
            f"[{k + 1}/{n}] {sc.name}: {sc.n_true} jerks, TP {sc.tp} FP {sc.fp} "
            f"(sim {res['t_sim']:.1f} s, detect {res['t_det']:.1f} s)",
            file=sys.stderr,
            flush=True,
        )
    if pool_ex is not None:
        pool_ex.shutdown()
    overall = pool(scores)
    title = (
        f"sms-detect accuracy benchmark: {n - n_whole} simulated nights x {hours:g} h "
        f"(compressed around sleep onset; seeds {args.seed0}..{args.seed0 + n - n_whole - 1}) "
        f"+ {n_whole} whole 8 h nights (seeds 2000..{2000 + n_whole - 1})"
    )
    if jerk:
        title += "; jerk kinetics " + ", ".join(f"{k}={v}" for k, v in jerk.items())
    print(title)
    print("=" * len(title))
    if args.per_night:
        print(format_table(scores, None, "per night"))
        print()
    rate_rows = [pool(groups[f"rate {r:g} Hz"], f"rate {r:g} Hz") for r in RATES]
    cfg_rows = [pool(groups[f"sensors {c}"], f"sensors {c}") for c in CONFIGS]
    len_rows = [
        pool(groups["short"], f"{hours:g} h nights (onset-dense)"),
        pool(groups["whole"], "whole 8 h nights"),
    ]
    print(
        format_table(
            rate_rows + cfg_rows + len_rows + [overall],
            None,
            "overall, per rate, per sensors, per night length",
        )
    )
    print()
    print(format_fp_breakdown(overall))
    print()
    print(format_recall_intervals(rate_rows))
    print()
    # recall by true jerk amplitude
    missed = np.array(overall.missed_peaks)
    peaks = np.array(jerk_peaks)
    print("recall by jerk peak (g, noise-free, most affected sensor):")
    for lo, hi in zip(AMP_BINS[:-1], AMP_BINS[1:], strict=True):
        n_all = int(np.count_nonzero((peaks >= lo) & (peaks < hi)))
        n_miss = int(np.count_nonzero((missed >= lo) & (missed < hi)))
        rec = f"{(n_all - n_miss) / n_all:.3f}" if n_all else "-"
        print(f"  {lo:>4g} - {hi:<4g} g: {n_all:>5} jerks, recall {rec}")
    print()
    print("confounder events in the set (exposure): " + ", ".join(
        f"{k} {exposure.get(k, 0)}" for k in CONFOUNDERS))  # fmt: skip
    absent = [k for k in CONFOUNDERS if not exposure.get(k)]
    if absent:
        print(f"WARNING: no {', '.join(absent)} in this set")
    print(
        f"time (summed over {args.jobs} job(s)): simulation {t_sim:.0f} s, "
        f"detection {t_det:.0f} s, wall "
        f"{time.time() - t_all:.0f} s"
    )
    if args.json:
        doc = {
            "nights": [s.to_dict() for s in scores],
            "groups": [s.to_dict() for s in rate_rows + cfg_rows + len_rows],
            "overall": overall.to_dict(),
            "exposure": dict(exposure),
            "hours_per_night": hours,
            "config": config.to_dict(),
            "jerk_physics": dataclasses.asdict(jerk_physics(jerk or None)),
        }
        with open(args.json, "w") as fh:
            json.dump(doc, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
