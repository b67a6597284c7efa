"""The ``sms-detect`` command line: a thin face over the library.

Each subcommand lives in ``sms_detect/commands/<name>.py`` with two functions:
``register(subparsers) -> argparse.ArgumentParser`` and ``run(args) -> int``.
Exit status: 0 success, 1 bad input (one-line message, never a traceback), 2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from sms_detect import __version__
from sms_detect.errors import InputError

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS: list[str] = ["process", "simulate", "scan", "evaluate", "record"]


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="sms-detect",
        description="Detect hypnic jerks (sleep starts) in wrist and ankle accelerometry.",
    )
    parser.add_argument("--version", action="version", version=f"sms-detect {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"sms_detect.commands.{name}")
        sp = module.register(sub)
        sp.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit status (0 ok, 1 bad input, 2 usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args._run(args) or 0)
    except InputError as exc:
        print(f"sms-detect: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sms-detect: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
