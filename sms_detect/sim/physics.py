"""The ranges the simulator draws each hypnic jerk's kinetics from, and their overrides.

A detector tuned on one simulator can lean on that simulator's choices. These ranges are
the choices that set a jerk's time course at the limb; changing them (``simulate_night(...,
jerk={...})``, ``benchmarks/accuracy.py --jerk``) measures how much the detector depends on
them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


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


def jerk_physics(overrides: dict[str, object] | None = None) -> JerkPhysics:
    """Build :class:`JerkPhysics` from overrides of its fields.

    Parameters
    ----------
    overrides : dict, optional
        Field name to a (low, high) pair of numbers, or a string ``"low,high"`` (e.g.
        ``{"burst_s": "0.1,0.375"}``; units as in :class:`JerkPhysics`: s, Hz or none).

    Returns
    -------
    JerkPhysics

    Raises
    ------
    ValueError
        An unknown field, or a range that is not two finite numbers with 0 < low <= high.
    """
    known = {f.name for f in dataclasses.fields(JerkPhysics)}
    values: dict[str, tuple[float, float]] = {}
    for name, raw in (overrides or {}).items():
        if name not in known:
            raise ValueError(f"unknown jerk field {name!r} (known: {', '.join(sorted(known))})")
        parts = raw.split(",") if isinstance(raw, str) else list(raw)  # type: ignore[call-overload]
        try:
            lo, hi = (float(p) for p in parts)
        except (TypeError, ValueError):
            raise ValueError(f"jerk field {name} needs two numbers 'low,high', got {raw!r}") \
                from None
        if not 0 < lo <= hi < float("inf"):
            raise ValueError(f"jerk field {name} needs 0 < low <= high, got {lo:g},{hi:g}")
        values[name] = (lo, hi)
    return JerkPhysics(**values)
