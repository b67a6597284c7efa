"""The ranges the simulator draws each hypnic jerk's kinetics from, and their overrides.

A detector tuned on one simulator can lean on that simulator's choices. These ranges are
the choices that set a jerk's time course at the limb; changing them (``simulate_night(...,
jerk={...})``, ``benchmarks/accuracy.py --jerk``) measures how much the detector depends on
them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class JerkPhysics:
    """Ranges (low, high) from which each jerk's kinetics are drawn uniformly.

    Attributes
    ----------
    burst_s : tuple of float
        Duration of the muscle (EMG) burst (s). 75-250 ms is the range given for sleep
        starts (ICSD-3: brief, high-amplitude potentials of 75-250 ms).
    joint_hz : tuple of float
        Natural frequency (Hz) of the joint driven by the burst (inertia of the segment
        against the passive stiffness of joint and antagonists). The simulator's own choice.
    joint_damping : tuple of float
        Damping ratio of that joint (dimensionless). The simulator's own choice.
    tissue_hz : tuple of float
        Resonance (Hz) of the soft tissue and strap between limb and sensor, which gives the
        short ringing tail. The simulator's own choice.
    """

    burst_s: tuple[float, float] = (0.075, 0.25)
    joint_hz: tuple[float, float] = (2.5, 10.0)
    joint_damping: tuple[float, float] = (0.35, 1.0)
    tissue_hz: tuple[float, float] = (10.0, 28.0)


#: The defaults (what every benchmark figure uses unless it says otherwise).
DEFAULT_PHYSICS = JerkPhysics()

#: Accepted span of each field (units as in :class:`JerkPhysics`): bursts up to 1 s, joints
#: from 0.5 Hz (the slowest ones still ring down inside the simulated window, see
#: :func:`window_s`) and damped up to critically, tissue resonances well under the Nyquist
#: frequency of the simulator's 1 kHz grid.
LIMITS: dict[str, tuple[float, float]] = {
    "burst_s": (0.005, 1.0),
    "joint_hz": (0.5, 50.0),
    "joint_damping": (0.05, 1.0),
    "tissue_hz": (2.0, 200.0),
}


def jerk_physics(overrides: Mapping[str, object] | None = None) -> JerkPhysics:
    """Build :class:`JerkPhysics` from overrides of its fields.

    Parameters
    ----------
    overrides : mapping, optional
        Field name to a (low, high) pair of numbers, or a string ``"low,high"`` (e.g.
        ``{"burst_s": "0.1,0.375"}``; units as in :class:`JerkPhysics`: s, Hz or none).

    Returns
    -------
    JerkPhysics

    Raises
    ------
    ValueError
        Not a mapping, an unknown field, or a range that is not two numbers with
        low <= high inside the field's span of :data:`LIMITS`.
    """
    if overrides is None:
        return DEFAULT_PHYSICS
    if not isinstance(overrides, Mapping):
        raise ValueError(f"jerk ranges must be a mapping of field to 'low,high', got {overrides!r}")
    values: dict[str, tuple[float, float]] = {}
    for name, raw in overrides.items():
        if name not in LIMITS:
            raise ValueError(f"unknown jerk field {name!r} (known: {', '.join(sorted(LIMITS))})")
        lo, hi = _pair(name, raw)
        span_lo, span_hi = LIMITS[name]
        if not span_lo <= lo <= hi <= span_hi:
            raise ValueError(f"jerk field {name} needs {span_lo:g} <= low <= high <= {span_hi:g}, "
                             f"got {lo:g},{hi:g}")  # fmt: skip
        values[name] = (lo, hi)
    return JerkPhysics(**values)


def jerk_overrides(items: Iterable[str]) -> dict[str, str]:
    """Parse repeated ``NAME=LOW,HIGH`` options (``--jerk``) into checked overrides.

    Parameters
    ----------
    items : iterable of str
        Each ``"field=low,high"`` (units as in :class:`JerkPhysics`: s, Hz or none).

    Returns
    -------
    dict
        Field name to its ``"low,high"`` string, accepted by :func:`jerk_physics`.

    Raises
    ------
    ValueError
        An item without ``NAME=``, a field named twice, or what :func:`jerk_physics` refuses.
    """
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"needs NAME=LOW,HIGH (e.g. joint_hz=1.5,6), got {item!r}")
        if name in out:
            raise ValueError(f"names {name} twice")
        out[name] = value.strip()
    jerk_physics(out)
    return out


def _pair(name: str, raw: object) -> tuple[float, float]:
    """Two floats from ``"low,high"`` or a sequence of two numbers (ValueError otherwise)."""
    bad = ValueError(f"jerk field {name} needs two numbers 'low,high', got {raw!r}")
    if isinstance(raw, str):
        parts: list[object] = raw.split(",")
    elif isinstance(raw, (tuple, list, np.ndarray)):
        parts = list(np.asarray(raw, dtype=object).ravel())
    else:
        raise bad
    if len(parts) != 2 or any(isinstance(p, bool) for p in parts):
        raise bad
    try:
        return float(parts[0]), float(parts[1])  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise bad from None


def window_s(physics: JerkPhysics) -> float:
    """Length (s) of the simulated window of one jerk: long enough for the longest burst,
    a double jerk's second burst (<= 0.3 s later) and the slowest, least damped joint to
    ring down to ~2 % (exp(-4)); at least 1.4 s, which the defaults need.

    Parameters
    ----------
    physics : JerkPhysics
        The ranges (s, Hz, damping ratio).

    Returns
    -------
    float
        Window length (s).
    """
    ring = 4.0 / (2.0 * math.pi * physics.joint_hz[0] * physics.joint_damping[0])
    return max(1.4, 0.35 + physics.burst_s[1] + ring)
