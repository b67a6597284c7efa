"""Place hypnic jerks and confounders on the night's timeline, per subject phenotype.

Everything is drawn from the seed's generator. Large movements on a limb do not overlap each
other; jerks are preceded by >= 8 s without a large movement on that limb (the definition's
"still, drowsy" context); twitches, bed bumps and gaps may fall anywhere.
"""

from __future__ import annotations

import numpy as np

from sms_detect.sim import models as m
from sms_detect.sim.night import WAKE_STAGES, NightStructure
from sms_detect.sim.parts import Part, SimEvent
from sms_detect.sim.physics import DEFAULT_PHYSICS, JerkPhysics
from sms_detect.sim.rotation import random_unit

LOCS = ("wrist", "ankle")


class _Occupancy:
    """Per-limb busy intervals of large movements."""

    def __init__(self) -> None:
        self.busy: dict[str, list[tuple[float, float]]] = {loc: [] for loc in LOCS}

    def free(self, locs: list[str], a: float, b: float, margin: float = 1.0) -> bool:
        """True when no limb in ``locs`` is busy within [a - margin, b + margin] s."""
        for loc in locs:
            for x, y in self.busy[loc]:
                if a < y + margin and b > x - margin:
                    return False
        return True

    def take(self, locs: list[str], a: float, b: float) -> None:
        """Mark [a, b] s busy on every limb in ``locs``."""
        for loc in locs:
            self.busy[loc].append((a, b))


def _poisson_times(
    rng: np.random.Generator, spans: list[tuple[float, float]], rate_per_min: float
) -> np.ndarray:
    out = []
    for a, b in spans:
        k = rng.poisson(rate_per_min * (b - a) / 60.0)
        out.append(rng.uniform(a, b, size=k))
    return np.sort(np.concatenate(out)) if out else np.zeros(0)


def _event(kind: str, parts: dict[str, tuple[Part, dict]], **detail: object) -> SimEvent:
    on = min(p.t0 + float(i.get("onset", 0.0)) for p, i in parts.values())
    off = max(p.t0 + float(i.get("offset", p.t1 - p.t0)) for p, i in parts.values())
    ev = SimEvent(kind=kind, onset=on, offset=off, detail=dict(detail))
    for loc, (p, i) in parts.items():
        ev.parts[loc] = p
        if "peak" in i:
            ev.peak[loc] = float(i["peak"])
        else:
            ev.peak[loc] = _peak(p)
    return ev


def _peak(p: Part) -> float:
    """Peak magnitude in g of a part's linear acceleration (sensor-frame plus vertical)."""
    n = max(len(a) for a in (p.acc, p.vertical) if a is not None)
    sq = np.zeros(n)
    if p.acc is not None:
        sq[: len(p.acc)] += np.sum(p.acc**2, axis=1)
    if p.vertical is not None:
        sq[: len(p.vertical)] += p.vertical**2
    return float(np.sqrt(sq.max())) if n else 0.0


def phenotype(rng: np.random.Generator) -> dict[str, float]:
    """Per-night propensities (rates per minute unless stated)."""
    return {
        "jerks_per_onset": float(rng.lognormal(np.log(1.6), 0.6)),
        "fm_per_min": float(rng.lognormal(np.log(0.5), 1.2)),  # FM index median ~30/h
        "plm": float(rng.random() < 0.4),
        "arm_plm": float(rng.random() < 0.15),
        "hft": float(rng.random() < 0.35),
        "alma": float(rng.random() < 0.25),
        "rocking": float(rng.random() < 0.15),
        "partner": float(rng.random() < 0.6),
        "restless": float(rng.uniform(0.5, 2.0)),
        "phone": float(rng.random() < 0.8),
        "scratch": float(rng.uniform(0.05, 0.6)),
    }


def schedule(
    rng: np.random.Generator,
    night: NightStructure,
    sensors: list[str],
    physics: JerkPhysics = DEFAULT_PHYSICS,
) -> tuple[list[SimEvent], dict[str, float]]:
    """All events of the night for the simulated ``sensors`` (only visible ones returned);
    ``physics``: the ranges each hypnic jerk's kinetics are drawn from."""
    ph = phenotype(rng)
    occ = _Occupancy()
    events: list[SimEvent] = []
    dur = night.duration
    awake_active = night.intervals(("wake_active",))
    drowsy = night.intervals(("drowsy",))
    waking = night.intervals(("wake",))
    # a night waking: active at first, quiet while settling back (last 40 %, <= 3 min)
    quiet_len = [min(0.4 * (b - a), 180.0) for a, b in waking]
    waking_act = [(a, b - q) for (a, b), q in zip(waking, quiet_len, strict=True)]
    waking_quiet = [(b - q, b) for (_, b), q in zip(waking, quiet_len, strict=True)]
    nrem = night.intervals(("N1", "N2", "N3"))
    n2 = night.intervals(("N2",))
    rem = night.intervals(("REM",))
    light = night.intervals(("N1", "N2"))

    def vis(locs: list[str]) -> list[str]:
        return [loc for loc in locs if loc in sensors]

    # ---- hypnic jerks around each sleep-onset transition -----------------------------------
    jerk_times: list[float] = []
    for k, t_on in enumerate(night.onsets):
        lam = ph["jerks_per_onset"] * (1.3 if k == 0 else 0.8)
        n = int(rng.poisson(lam))
        # clustered: jerks within ~2 min of the transition, mostly in early N1
        for _ in range(n):
            t = t_on + float(np.clip(rng.normal(25.0, 50.0), -100.0, 170.0))
            if 5 < t < dur - 5 and all(abs(t - u) > 3.0 for u in jerk_times):
                jerk_times.append(t)
    for t in sorted(jerk_times):
        r = rng.random()
        body = ["wrist", "ankle"] if r < 0.55 else (["wrist"] if r < 0.8 else ["ankle"])
        locs = vis(body)
        if not locs:
            continue
        burst = rng.uniform(*physics.burst_s)
        base_amp = float(np.clip(rng.lognormal(np.log(0.45), 1.0), 0.04, 6.0))
        lag = rng.uniform(0.003, 0.05) * rng.choice([-1.0, 1.0])
        # some sleep starts come as a double jerk (a second, smaller burst 0.12-0.3 s later)
        second = (rng.uniform(0.12, 0.3), rng.uniform(0.3, 0.8)) if rng.random() < 0.15 else None
        parts = {}
        for loc in locs:
            amp = base_amp if len(body) == 1 else base_amp * float(rng.lognormal(0.0, 0.5))
            amp = float(np.clip(amp, 0.03, 8.0))
            ts = t + (lag if loc == "ankle" else 0.0)
            parts[loc] = m.hypnic_jerk_part(rng, loc, ts, amp, burst, second, physics)
        ev = _event(
            "hypnic_jerk",
            parts,
            burst_ms=round(burst * 1000),
            lag_ms=round(lag * 1000, 1) if len(locs) == 2 else "",
            body="+".join(body),
            double_ms=round(second[0] * 1000) if second else "",
        )
        events.append(ev)
        occ.take(locs, ev.onset - 8.0, ev.offset)
        # arousal movement after a jerk: more likely after a strong one (15-65 %)
        if rng.random() < 0.15 + 0.5 * min(base_amp / 2.0, 1.0):
            loc_a = vis(["wrist", "ankle"])
            t_a = ev.offset + rng.uniform(0.5, 4.0)
            d = rng.uniform(1.0, 5.0)
            pa = {loc: m.voluntary_part(rng, t_a + rng.uniform(0, 0.5), d) for loc in loc_a}
            if pa:
                ea = _event("voluntary", pa, subtype="arousal_after_jerk")
                events.append(ea)
                occ.take(loc_a, ea.onset, ea.offset)

    def place(kind: str, times: np.ndarray, make, locs_fn, margin: float = 1.0) -> None:
        for t in times:
            locs = vis(locs_fn())
            if not locs:
                continue
            parts, detail = make(float(t), locs)
            ev = _event(kind, parts, **detail)
            if not occ.free(list(parts), ev.onset, ev.offset, margin):
                continue
            occ.take(list(parts), ev.onset, ev.offset)
            events.append(ev)

    one_limb = lambda: ["wrist"] if rng.random() < 0.6 else ["ankle"]  # noqa: E731
    both = lambda: ["wrist", "ankle"]  # noqa: E731

    # ---- phone use (awake, wrist) ------------------------------------------------------------
    def mk_phone(t: float, locs: list[str]):
        d = rng.uniform(20.0, 300.0)
        return {"wrist": (m.phone_part(rng, t, d), {"onset": 0.0, "offset": d})}, {}

    if ph["phone"]:
        sel = _poisson_times(rng, awake_active, 0.15)
        sel = np.concatenate([sel, _poisson_times(rng, waking_act, 0.05)])
        place("phone_use", sel, mk_phone, lambda: ["wrist"], 2.0)

    # ---- turning over (both limbs), mostly at stage changes in sleep, some while settling --
    def mk_turn(t: float, locs: list[str]):
        d = rng.uniform(2.0, 8.0)
        return {loc: m.turn_over_part(rng, t + rng.uniform(-0.5, 0.5), d) for loc in locs}, {}

    stage_changes = np.array([a for a, b, s in night.segments[1:] if s in ("N1", "N2", "wake")])
    sel = stage_changes[rng.random(len(stage_changes)) < 0.5] + rng.uniform(-20, 20)
    sel = np.concatenate([sel, _poisson_times(rng, drowsy + waking, 0.08 * ph["restless"])])
    sel = np.concatenate([sel, _poisson_times(rng, awake_active, 0.05)])
    place("turn_over", np.sort(sel), mk_turn, both, margin=2.0)

    # ---- voluntary movements (reach/adjust) ---------------------------------------------------
    def mk_vol(t: float, locs: list[str]):
        d = float(np.clip(rng.lognormal(np.log(2.0), 0.7), 0.5, 10.0))
        return {loc: m.voluntary_part(rng, t, d) for loc in locs}, {"subtype": "reach_adjust"}

    r = ph["restless"]
    sel = np.concatenate(
        [
            _poisson_times(rng, awake_active, 1.5 * r),
            _poisson_times(rng, drowsy, 0.3 * r),
            _poisson_times(rng, waking_act, 1.0 * r),
            _poisson_times(rng, waking_quiet, 0.3 * r),
            _poisson_times(rng, nrem, 0.01 * r),
        ]
    )
    place("voluntary", np.sort(sel), mk_vol, one_limb)

    # ---- flicks / knocks amid activity (awake) ---------------------------------------------
    def mk_flick(t: float, locs: list[str]):
        p, i = m.flick_part(rng, t)
        return {locs[0]: (p, i)}, {"subtype": i["subtype"]}

    sel = np.concatenate(
        [_poisson_times(rng, awake_active, 0.3 * r), _poisson_times(rng, waking_act, 0.15 * r)]
    )
    # most flicks/knocks come amid activity: within ~1-15 s of a voluntary movement
    anchors = [
        e for e in events if e.kind == "voluntary" and e.detail.get("subtype") == "reach_adjust"
    ]
    anchors = [e for e in anchors if night.stage_at(np.array([e.onset]))[0] in WAKE_STAGES]
    near = [
        (e.offset + rng.uniform(0.5, 15.0))
        if rng.random() < 0.6
        else (e.onset - rng.uniform(1, 15))
        for e in anchors
        if rng.random() < 0.5
    ]
    sel = np.sort(np.concatenate([sel, np.array(near, dtype=float)]))
    place("flick", sel, mk_flick, lambda: ["wrist"] if rng.random() < 0.75 else ["ankle"], 0.3)

    # ---- scratching (awake; wrist 3-6 Hz, ankle rubbing 1-3 Hz) -----------------------------
    def mk_scratch(t: float, locs: list[str]):
        loc = locs[0]
        d = float(np.clip(rng.lognormal(np.log(4.0), 0.7), 1.0, 20.0))
        if loc == "wrist":
            p = m.scratch_part(rng, t, d, rng.uniform(3.0, 6.0), rng.uniform(0.15, 1.5))
        else:
            p = m.scratch_part(rng, t, d, rng.uniform(1.0, 3.0), rng.uniform(0.05, 0.5))
        return {loc: (p, {"onset": 0.0, "offset": d})}, {}

    sel = np.concatenate(
        [
            _poisson_times(rng, awake_active, ph["scratch"]),
            _poisson_times(rng, drowsy + waking, 0.3 * ph["scratch"]),
        ]
    )
    place("scratching", sel, mk_scratch, lambda: ["wrist"] if rng.random() < 0.8 else ["ankle"])

    # ---- PLM series (legs; arms sometimes) in N2 and PLMW in wake ---------------------------
    if ph["plm"]:
        starts = _poisson_times(rng, n2, 1.0 / 40.0)
        starts = np.concatenate([starts, _poisson_times(rng, drowsy + waking, 1.0 / 30.0)])
        for s0 in starts:
            n_mov = int(rng.integers(4, 40))
            period = rng.uniform(15.0, 45.0)
            ivals = np.clip(period * rng.lognormal(0.0, 0.2, size=n_mov), 5.0, 90.0)
            times = s0 + np.concatenate([[0.0], np.cumsum(ivals[:-1])])
            body = ["ankle"] + (["wrist"] if ph["arm_plm"] else [])
            locs = vis(body)
            if not locs:
                continue
            axes = {loc: random_unit(rng) for loc in locs}
            amp0 = {loc: np.deg2rad(rng.uniform(2, 12)) for loc in locs}
            in_wake = night.stage_at(np.array([s0]))[0] in ("drowsy", "wake")
            for t in times:
                if t > dur - 12:
                    break
                d = float(np.clip(rng.lognormal(np.log(2.0), 0.5), 0.5, 10.0))
                parts = {}
                for loc in locs:
                    ax = axes[loc] + 0.1 * random_unit(rng)
                    ax /= np.linalg.norm(ax)
                    a = amp0[loc] * rng.uniform(0.6, 1.4) * (1.3 if in_wake else 1.0)
                    a *= 0.4 if loc == "wrist" else 1.0
                    parts[loc] = m.plm_part(rng, float(t), d, ax, a)
                ev = _event("plm", parts, subtype="plmw" if in_wake else "plms")
                if occ.free(list(parts), ev.onset, ev.offset, 1.0):
                    occ.take(list(parts), ev.onset, ev.offset)
                    events.append(ev)

    # ---- rhythmic trains: hypnagogic foot tremor, ALMA (legs), rocking (body) ---------------
    onset_zone = drowsy + night.intervals(("N1",))
    if ph["hft"]:

        def mk_hft(t: float, locs: list[str]):
            f = float(np.clip(rng.normal(1.5, 0.5), 0.3, 4.0))
            d = float(np.clip(rng.lognormal(np.log(12.0), 0.6), 4.0 / f + 0.5, 120.0))
            nb = max(4, int(d * f))
            times = np.cumsum(np.r_[0.0, rng.normal(1.0 / f, 0.08 / f, size=nb - 1)])
            widths = np.minimum(rng.uniform(0.3, 0.7, size=nb) + 0.1, 0.9 / f)
            amps = np.deg2rad(rng.uniform(1.0, 6.0)) * rng.uniform(0.6, 1.3, size=nb)
            p = m.burst_train_part(rng, t, times, widths, amps, random_unit(rng))
            return {"ankle": (p, {"onset": 0.0, "offset": float(times[-1] + widths[-1])})}, {
                "rate_hz": round(f, 2),
                "bursts": nb,
            }

        sel = _poisson_times(rng, onset_zone + light, 0.05)
        place("foot_tremor", sel, mk_hft, lambda: ["ankle"])
    if ph["alma"]:

        def mk_alma(t: float, locs: list[str]):
            f = rng.uniform(0.5, 3.0)  # alternation rate: bursts per s over both legs
            nb = int(rng.integers(4, 30))
            times = np.cumsum(np.r_[0.0, rng.normal(1.0 / f, 0.06 / f, size=nb - 1)])
            # movement lasts the EMG burst (0.1-0.5 s) plus the muscle's contraction time
            widths = np.minimum(rng.uniform(0.1, 0.5, size=nb) + rng.uniform(0.1, 0.2), 0.9 / f)
            own = np.arange(nb) % 2 == int(rng.integers(0, 2))
            amps = np.deg2rad(rng.uniform(1.0, 4.0)) * np.where(own, 1.0, rng.uniform(0.05, 0.3))
            p = m.burst_train_part(rng, t, times, widths, amps, random_unit(rng))
            return {"ankle": (p, {"onset": 0.0, "offset": float(times[-1] + widths[-1])})}, {
                "rate_hz": round(f, 2),
                "bursts": nb,
            }

        sel = _poisson_times(rng, onset_zone + light + waking, 0.03)
        place("alma", sel, mk_alma, lambda: ["ankle"])
    if ph["rocking"]:

        def mk_rock(t: float, locs: list[str]):
            f = rng.uniform(0.5, 2.0)
            d = float(np.clip(rng.lognormal(np.log(40.0), 0.8), 8.0, 300.0))
            amp = rng.uniform(0.005, 0.03)
            ang = np.deg2rad(rng.uniform(2, 10))
            return {
                loc: (
                    m.rocking_part(rng, t, d, f, amp * rng.uniform(0.5, 1.5), ang),
                    {"onset": 0.0, "offset": d},
                )
                for loc in locs
            }, {"rate_hz": round(f, 2)}

        sel = _poisson_times(rng, onset_zone, 0.05)
        place("rocking", sel, mk_rock, both, 2.0)

    # ---- bed bumps by a partner (both sensors, any time) ------------------------------------
    if ph["partner"]:
        sel = _poisson_times(rng, [(0.0, dur)], rng.uniform(3, 12) / 60.0)
        for t in sel:
            locs = vis(["wrist", "ankle"])
            f, z = rng.uniform(1.0, 3.0), rng.uniform(0.05, 0.25)
            rise = rng.uniform(0.1, 0.6)
            amp = float(np.exp(rng.uniform(np.log(0.003), np.log(0.05))))
            parts = {}
            for loc in locs:
                p = m.bump_part(
                    rng, t + rng.uniform(0, 0.015), f, z, amp * rng.uniform(0.4, 1.6), rise
                )
                parts[loc] = (p, {"onset": 0.0, "offset": p.t1 - p.t0})
            events.append(_event("bed_bump", parts, freq_hz=round(f, 2)))

    # ---- fragmentary myoclonus twitches (NREM, REM phasic), one limb each ------------------
    sel = np.concatenate(
        [
            _poisson_times(rng, nrem, ph["fm_per_min"]),
            _poisson_times(rng, rem, 1.5 * ph["fm_per_min"]),
        ]
    )
    for t in sel:
        loc = "wrist" if rng.random() < 0.5 else "ankle"
        if loc not in sensors:
            continue
        p, i = m.twitch_part(rng, loc, float(t))
        events.append(_event("twitch", {loc: (p, i)}))

    for ev in events:
        ev.stage = str(night.stage_at(np.array([ev.onset]))[0])
    events.sort(key=lambda e: e.onset)
    return events, ph
