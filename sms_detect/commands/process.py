"""``sms-detect process``: detect events in a recorded night and write the events file."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sms_detect.commands.params import add_param_options, config_from_args
from sms_detect.errors import InputError
from sms_detect.pipeline import process_file, write_result
from sms_detect.report_table import events_table, label_summary

#: The bundled sample night used by ``--demo`` (see data/README.md for how it was made).
DEMO_NIGHT = Path(__file__).resolve().parents[2] / "data" / "demo_night.csv.gz"


def default_output(path: Path) -> Path:
    """``night.csv`` / ``night.csv.gz`` / ``night.h5`` -> ``night.events.h5`` beside it."""
    name = path.name
    for suffix in (".csv.gz", ".csv", ".h5", ".hdf5"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(name + ".events.h5")


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``process`` subcommand."""
    p = sub.add_parser(
        "process",
        help="detect hypnic jerks in a recorded night (CSV or HDF5) and write the events file",
        description="Detect hypnic jerks in a recorded night and write them (with every other "
        "burst and its label) to an HDF5 events file. Input: a CSV with header time,x,y,z "
        "(s, g; .csv or .csv.gz) or an sms-detect HDF5 recording with /sensors groups.",
    )
    p.add_argument("input", nargs="?", type=Path, help="recording (.csv, .csv.gz or .h5)")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        help="events file to write (default: INPUT's name + .events.h5)",
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="process the bundled sample night (data/demo_night.csv.gz)",
    )
    p.add_argument(
        "--sensor", default="wrist", help="sensor name for a CSV's events (default: wrist)"
    )
    p.add_argument("--all", action="store_true", help="list every burst, not only hypnic jerks")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary line")
    add_param_options(p)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``process``; returns the exit status."""
    if args.demo and args.input:
        raise InputError("give either an input file or --demo, not both")
    if args.demo:
        if not DEMO_NIGHT.exists():
            raise InputError(f"{DEMO_NIGHT}: the bundled sample night is missing")
        src = DEMO_NIGHT
        out = args.output or Path("demo_night.events.h5")
    elif args.input:
        src = args.input
        out = args.output or default_output(src)
    else:
        raise InputError("no input file (give a recording, or --demo for the bundled night)")
    if out.resolve() == src.resolve():
        raise InputError(f"{out}: output would overwrite the input")
    cfg = config_from_args(args)
    t0 = time.perf_counter()
    result = process_file(src, cfg, sensor=args.sensor, progress=not args.quiet)
    write_result(out, result, source=str(src))
    elapsed = time.perf_counter() - t0
    if not args.quiet:
        rates = ", ".join(f"{k} {v:g} Hz" for k, v in result.rates_hz.items())
        print(
            f"{src}: {sum(result.samples.values())} samples ({rates}), "
            f"{result.span_s / 3600:.2f} h, processed in {elapsed:.1f} s"
        )
        print(events_table(result.events, only_jerks=not args.all))
    jerks = sum(e.label == "hypnic_jerk" for e in result.events)
    print(f"{jerks} hypnic jerks; all bursts: {label_summary(result.events)}")
    print(f"events written to {out}")
    sys.stdout.flush()
    return 0
