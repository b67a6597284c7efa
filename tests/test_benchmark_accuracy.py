"""The accuracy benchmark's recall intervals (benchmarks/accuracy.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sms_detect.evaluate import Score

ROOT = Path(__file__).resolve().parents[1]


def _accuracy_module():
    spec = importlib.util.spec_from_file_location("accuracy", ROOT / "benchmarks" / "accuracy.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_recall_intervals_are_wilson_score_intervals():
    acc = _accuracy_module()
    rows = [Score(name="rate 52 Hz", n_true=27, tp=24, fn=3),
            Score(name="rate 400 Hz", n_true=0)]
    text = acc.format_recall_intervals(rows).splitlines()
    # 24 of 27, by hand: centre (p + z^2/2n) / (1 + z^2/n) = 0.8404, half-width
    # z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n) = 0.1210 (z = 1.96)
    assert text[1].split() == ["rate", "52", "Hz", "24/27", "0.889", "(0.719-0.961)"]
    assert text[2].split() == ["rate", "400", "Hz", "no", "jerks"]
