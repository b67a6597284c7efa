"""Detector parameters from a file (JSON or TOML), for ``--config`` and library users."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from sms_detect.core.config import DetectorConfig


def load_config(path: str | Path, base: DetectorConfig | None = None) -> DetectorConfig:
    """Load detector parameters from a JSON or TOML file (a flat table of name = value).

    Parameters
    ----------
    path : str or Path
        ``.json`` or ``.toml`` file; a TOML file may put them under ``[detector]``. Units are
        those of :class:`~sms_detect.core.config.DetectorConfig` (s, g, Hz).
    base : DetectorConfig, optional
        Parameters the file overrides (defaults when omitted).

    Raises
    ------
    ValueError
        One line naming the file: unreadable, not JSON/TOML, not a table, or an unknown or
        invalid parameter.
    """
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise ValueError(f"{p}: cannot read config file ({exc.strerror})") from None
    try:
        if p.suffix == ".toml":
            data = tomllib.loads(text)
            data = data.get("detector", data)
        else:
            data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{p}: not a valid config file ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{p}: config must be a table of name = value")
    try:
        return (base or DetectorConfig()).with_overrides(data)
    except ValueError as exc:
        raise ValueError(f"{p}: {exc}") from None
