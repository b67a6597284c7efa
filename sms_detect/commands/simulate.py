"""``sms-detect simulate``: write a synthetic night (CSV or HDF5) with its ground truth."""

from __future__ import annotations

import argparse
import sys

from sms_detect.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``simulate`` subcommand."""
    p = subparsers.add_parser(
        "simulate",
        help="simulate a night with hypnic jerks and confounders, plus its truth",
        description=(
            "Simulate a physically modelled night (one or two sensors) with ground truth. "
            "Writes OUT.csv (one sensor) or OUT.<sensor>.csv (two), or OUT.h5 with --format "
            "h5, and OUT.truth.csv."
        ),
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--rate", type=float, default=100.0, help="sample rate in Hz (default 100)")
    p.add_argument(
        "--sensors",
        default="wrist",
        help="wrist, ankle or wrist,ankle (default wrist)",
    )
    p.add_argument("--hours", type=float, default=8.0, help="length in hours (default 8)")
    p.add_argument("--format", choices=("csv", "h5"), default="csv", help="output format")
    p.add_argument("--gzip", action="store_true", help="compress CSV output (.csv.gz)")
    p.add_argument(
        "--source",
        choices=("any", "wireless", "logger"),
        default="any",
        help="force a radio source (gaps, jitter) or a logger; default draws per sensor",
    )
    p.add_argument(
        "--range",
        type=float,
        choices=(2.0, 4.0, 8.0, 16.0),
        default=None,
        help="force the full scale in g (default: drawn per sensor)",
    )
    p.add_argument(
        "--bits",
        type=int,
        choices=(10, 12, 14, 16),
        default=None,
        help="force the ADC resolution (default: drawn per sensor)",
    )
    p.add_argument(
        "--jerk",
        action="append",
        default=[],
        metavar="NAME=LOW,HIGH",
        help="draw the jerks' kinetics from another range, e.g. joint_hz=1.5,6 or "
        "burst_s=0.1,0.3 (s, Hz; fields of sms_detect.sim.physics.JerkPhysics; repeatable)",
    )
    p.add_argument("-o", "--output", required=True, help="output base path")
    return p


def run(args: argparse.Namespace) -> int:
    """Simulate and write; prints a one-line summary per written file to stderr."""
    from sms_detect.sim import simulate_night
    from sms_detect.sim.physics import jerk_overrides

    if not 1.0 <= args.rate <= 5000.0:
        raise InputError(f"--rate {args.rate:g} Hz is out of range (1-5000 Hz)")
    if not 0.05 <= args.hours <= 24.0:
        raise InputError(f"--hours {args.hours:g} is out of range (0.05-24)")
    sensors = [s.strip() for s in args.sensors.replace("+", ",").split(",") if s.strip()]
    if not sensors or any(s not in ("wrist", "ankle") for s in sensors):
        raise InputError(f"--sensors must be wrist, ankle or wrist,ankle (got {args.sensors!r})")
    wireless = {"any": None, "wireless": True, "logger": False}[args.source]
    dev: dict[str, object] = {}
    if args.range is not None:
        dev["range_g"] = float(args.range)
    if args.bits is not None:
        dev["bits"] = int(args.bits)
    try:
        jerk = jerk_overrides(args.jerk)
    except ValueError as exc:
        raise InputError(f"--jerk: {exc}") from None
    night = simulate_night(args.seed, args.rate, sensors, args.hours, wireless=wireless,
                           device=dev, jerk=jerk or None)  # fmt: skip
    try:
        paths = night.write(args.output, fmt=args.format, compress=args.gzip)
    except OSError as exc:
        raise InputError(f"{args.output}: cannot write ({exc.strerror})") from None
    n_j = len(night.jerks())
    print(
        f"simulated {args.hours:g} h, {'+'.join(night.sensors)} at {args.rate:g} Hz, "
        f"seed {args.seed}: {n_j} hypnic jerks, {len(night.events) - n_j} confounder events",
        file=sys.stderr,
    )
    for p in paths:
        print(f"wrote {p}", file=sys.stderr)
    return 0
