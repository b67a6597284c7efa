"""Shared CLI options for detector parameters: ``--param name=value`` and ``--config FILE``."""

from __future__ import annotations

import argparse

from sms_detect.core import DetectorConfig
from sms_detect.errors import InputError
from sms_detect.io.config_file import load_config


def add_param_options(p: argparse.ArgumentParser) -> None:
    """Add ``--config FILE`` and repeatable ``--param NAME=VALUE`` to a parser."""
    p.add_argument(
        "--config",
        metavar="FILE",
        help="detector parameters from a JSON or TOML file (name = value)",
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override one detector parameter (repeatable); see the "
        "DetectorConfig docs for names and units",
    )


def config_from_args(args: argparse.Namespace) -> DetectorConfig:
    """Build the detector config from ``--config`` then ``--param`` overrides.

    Raises
    ------
    InputError
        For an unreadable file, a malformed ``--param`` or an unknown or invalid parameter.
    """
    try:
        cfg = load_config(args.config) if args.config else DetectorConfig()
        overrides: dict[str, object] = {}
        for item in args.param:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise ValueError(f"--param needs NAME=VALUE, got {item!r}")
            overrides[name.strip()] = value.strip()
        return cfg.with_overrides(overrides) if overrides else cfg
    except ValueError as exc:
        raise InputError(str(exc)) from None
