"""data/ holds what data/README.md's commands regenerate (guards against a stale sample)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from sms_detect.sim import simulate_night
from sms_detect.sim.truth import read_truth

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.mark.skipif(not (DATA / "demo_night.truth.csv").exists(), reason="no data/ samples")
def test_demo_night_matches_its_regeneration_command(tmp_path) -> None:
    readme = (DATA / "README.md").read_text()
    cmd = (
        "sms-detect simulate --seed 7 --rate 50 --sensors wrist --hours 1.5 --source logger "
        "--range 8 --bits 12 --gzip -o data/demo_night"
    )
    assert cmd in readme
    night = simulate_night(
        7, 50.0, "wrist", 1.5, wireless=False, device={"range_g": 8.0, "bits": 12}
    )
    paths = night.write(tmp_path / "demo_night", compress=True)
    assert (tmp_path / "demo_night.truth.csv").read_text() == (
        DATA / "demo_night.truth.csv"
    ).read_text()
    with gzip.open(paths[0], "rt") as a, gzip.open(DATA / "demo_night.csv.gz", "rt") as b:
        assert a.read() == b.read()
    rows = read_truth(DATA / "demo_night.truth.csv")
    assert sum(r.kind == "hypnic_jerk" for r in rows) >= 4
    assert (DATA / "demo_night.csv.gz").stat().st_size < 2.5e6
