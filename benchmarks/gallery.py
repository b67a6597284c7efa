"""Draw a hypnic jerk and each confounder side by side from simulated nights (PNG).

Usage: ``python benchmarks/gallery.py [-o gallery.png] [--rate 100] [--seed 0]``

Each panel shows the three axes in g (offset removed: each axis minus its median over the
window) of one sensor around one true event, with the truth interval shaded.
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sms_detect.sim import simulate_night  # noqa: E402
from sms_detect.sim.truth import CONFOUNDERS  # noqa: E402

KINDS = ("hypnic_jerk", "hypnic_jerk:both", "hypnic_jerk:small", *CONFOUNDERS)


def find_examples(rate: float, seed: int, max_nights: int = 40) -> dict[str, tuple]:
    """Search simulated two-sensor nights until an example of every kind is found."""
    found: dict[str, tuple] = {}
    for s in range(seed, seed + max_nights):
        night = simulate_night(s, rate, "wrist,ankle", 2.0)
        rows = night.truth_rows()
        for r in rows:
            key = r.kind
            if key == "hypnic_jerk" and r.peak_g < 0.15:
                key = "hypnic_jerk:small"
            elif key == "hypnic_jerk" and r.sensors == "wrist+ankle" and r.peak_g > 0.2:
                key = "hypnic_jerk:both"
            elif key == "hypnic_jerk" and r.peak_g < 0.5:
                continue
            if key not in KINDS or key in found:
                continue
            loc = r.sensors.split("+")[0]
            found[key] = (night, loc, r)
        if len(found) == len(KINDS):
            break
    return found


def main(argv: list[str] | None = None) -> int:
    """Write the gallery PNG."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default="gallery.png")
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    ex = find_examples(args.rate, args.seed)
    kinds = [k for k in KINDS if k in ex]
    cols = 3
    rows = int(np.ceil(len(kinds) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(16, 3.0 * rows), squeeze=False)
    for ax, k in zip(axes.flat, kinds, strict=False):
        night, loc, r = ex[k]
        tr = night.sensors[loc]
        length = r.offset - r.onset
        pad = float(np.clip(length * 0.6, 1.5, 20.0))
        a, b = r.onset - pad, r.offset + pad
        if length > 60:
            a, b = r.onset - 5, r.onset + 30
        i0, i1 = np.searchsorted(tr.time, [a, b])
        t = tr.time[i0:i1] - r.onset
        acc = tr.acc[i0:i1]
        base = np.median(acc, axis=0) if len(acc) else np.zeros(3)
        if k == "hypnic_jerk:both":
            for name in ("wrist", "ankle"):
                tr2 = night.sensors[name]
                j0, j1 = np.searchsorted(tr2.time, [a, b])
                seg = tr2.acc[j0:j1]
                dev = np.linalg.norm(seg - np.median(seg, axis=0), axis=1)
                ax.plot(tr2.time[j0:j1] - r.onset, dev, ".-", ms=2, lw=0.7, label=f"|a| {name}")
            loc = "wrist+ankle"
        else:
            for j, c in enumerate("xyz"):
                ax.plot(t, acc[:, j] - base[j], lw=0.7, label=c)
        ax.axvspan(0, min(r.offset, b) - r.onset, color="orange", alpha=0.2)
        ax.set_xlim(a - r.onset, b - r.onset)
        ax.set_title(f"{k} @ {loc} ({r.stage}), peak {r.peak_g:.3g} g, {length:.2f} s", fontsize=9)
        ax.set_xlabel("s from onset")
        ax.set_ylabel("g (median removed)")
        ax.legend(fontsize=7, loc="upper right")
    for ax in list(axes.flat)[len(kinds) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(args.output, dpi=80)
    missing = [k for k in KINDS if k not in ex]
    print(f"wrote {args.output}" + (f"; no example of {missing}" if missing else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
