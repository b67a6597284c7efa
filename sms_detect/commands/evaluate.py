"""``sms-detect evaluate``: score event files against simulated truth (science.md)."""

from __future__ import annotations

import argparse

from sms_detect.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``evaluate`` subcommand."""
    p = subparsers.add_parser(
        "evaluate",
        help="score detected events against a simulated night's truth",
        description=(
            "Score events files against truth files given in pairs: TRUTH EVENTS.h5 "
            "[TRUTH EVENTS.h5 ...]. An event matches a true jerk when its [onset, "
            "onset+duration] overlaps the true [onset-0.25 s, offset+0.25 s]; one detection "
            "per true jerk; every unmatched hypnic_jerk event is a false positive."
        ),
    )
    p.add_argument("files", nargs="+", metavar="TRUTH EVENTS.h5", help="pairs of files")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return p


def run(args: argparse.Namespace) -> int:
    """Print per-night and overall scores."""
    from sms_detect.evaluate import evaluate_files, format_table, to_json

    files = list(args.files)
    if len(files) % 2:
        raise InputError(
            f"evaluate takes pairs TRUTH EVENTS.h5; got {len(files)} file(s) (odd count)"
        )
    pairs = [(files[i], files[i + 1]) for i in range(0, len(files), 2)]
    for truth, ev in pairs:
        if truth.endswith(".h5") and not ev.endswith(".h5"):
            raise InputError(f"{truth}: expected the truth CSV first, then EVENTS.h5")
    scores, overall = evaluate_files(pairs)
    if args.json:
        print(to_json(scores, overall))
    else:
        print(format_table(scores, overall))
    return 0
