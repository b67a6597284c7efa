"""The learned stage: its trees in numpy equal scikit-learn's, its inputs, its training."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from sms_detect.core import DetectorConfig, detect
from sms_detect.core.classify import judge
from sms_detect.core.learned import (
    FEATURE_NAMES,
    TIME_CAP_S,
    TreeEnsemble,
    candidate_features,
    context_veto_config,
    judge_learned,
    shipped_model,
)
from sms_detect.core.merge import merge_sensor_events
from sms_detect.learn import train
from sms_detect.learn.dataset import KINETICS_SPAN, night_kinetics, training_specs
from sms_detect.types import Event
from tests.candidates import drowsy_jerk
from tests.signals import add_jerk, quiet_night


def _fitted(rng: np.random.Generator, n: int = 600, nan: bool = True):
    x = rng.normal(size=(n, 4))
    y = (x[:, 0] + 0.5 * x[:, 1] ** 2 - x[:, 2] * x[:, 3] + rng.normal(0, 0.3, n)) > 0.3
    if nan:
        x[rng.random(x.shape) < 0.05] = np.nan  # missing values take each node's learned side
    clf = HistGradientBoostingClassifier(max_iter=40, random_state=0).fit(x, y)
    return clf, x


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numpy_trees_give_scikit_learns_probabilities(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    monkeypatch.setattr(train, "FEATURE_NAMES", ("a", "b", "c", "d"))
    clf, x = _fitted(rng)
    model = train.export(clf)
    probe = np.vstack([x, rng.normal(0, 3, (200, 4))])  # also far outside the training range
    np.testing.assert_allclose(model.probability(probe), clf.predict_proba(probe)[:, 1],
                               rtol=0, atol=1e-12)


def test_saved_trees_load_back_identical(tmp_path, monkeypatch):
    monkeypatch.setattr(train, "FEATURE_NAMES", ("a", "b", "c", "d"))
    clf, x = _fitted(np.random.default_rng(3))
    model = train.export(clf)
    model.save(str(tmp_path / "m.npz"))
    with np.load(tmp_path / "m.npz") as z:
        back = TreeEnsemble.from_arrays({k: z[k] for k in z.files})
    assert back.feature_names == ("a", "b", "c", "d")
    np.testing.assert_array_equal(back.log_odds(x), model.log_odds(x))


def test_broken_tree_arrays_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(train, "FEATURE_NAMES", ("a", "b", "c", "d"))
    clf, _ = _fitted(np.random.default_rng(4), nan=False)
    model = train.export(clf)
    model.save(str(tmp_path / "m.npz"))
    with np.load(tmp_path / "m.npz") as z:
        good = {k: z[k] for k in z.files}
    inner = int(np.flatnonzero(good["left"] != np.arange(len(good["left"])))[1])
    root1 = int(good["roots"][1])

    def changed(key, at, value):
        a = good[key].copy()
        a[at] = value
        return a

    for key, bad, msg in [
        ("left", good["left"][:-1], "differ in length"),
        ("right", changed("right", inner, len(good["left"])), "outside its tree"),
        ("left", changed("left", inner, 0), "back to an ancestor"),     # a cycle
        ("left", changed("left", 0, root1 + 1), "outside its tree"),    # into the next tree
        ("right", changed("right", inner, inner), "both sides"),
        ("feature", good["feature"] + 4, "does not name"),
        ("roots", good["roots"][:0], "one after another"),
        ("roots", good["roots"][::-1], "one after another"),
        ("depth", np.zeros((2, 2)), "do not convert"),
    ]:
        with pytest.raises(ValueError, match=msg):
            TreeEnsemble.from_arrays({**good, key: bad})
    with pytest.raises(ValueError, match="lacks baseline"):
        TreeEnsemble.from_arrays({k: v for k, v in good.items() if k != "baseline"})


def test_a_damaged_model_file_is_a_one_line_error(tmp_path):
    from sms_detect.core.learned import MODEL_FILE, load_model

    src = Path(__file__).parents[1] / "sms_detect" / "core" / MODEL_FILE
    data = src.read_bytes()
    assert load_model(src).feature_names == FEATURE_NAMES
    for name, content in [("cut.npz", data[: len(data) // 2]), ("empty.npz", b""),
                          ("text.npz", b"not a model")]:
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match=f"{name}: not a usable jerk model"):
            load_model(tmp_path / name)
    other = tmp_path / "other.npz"
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files}
    np.savez(other, **{**arrays, "feature_names": np.array([f"f{i}" for i in
                                                              range(len(FEATURE_NAMES))])})
    with pytest.raises(ValueError, match="trained on features"):
        load_model(other)


def test_the_shipped_model_matches_the_features_the_detector_computes():
    model = shipped_model()
    assert model.feature_names == FEATURE_NAMES
    # the detector never feeds NaN or inf: unbounded times are capped
    c = drowsy_jerk(floor_g=0.003, min_floor_g=np.inf, since_jerk_s=np.inf, quiet_s=np.inf)
    x = candidate_features(c, DetectorConfig().floor_ref_min_g)
    assert x.shape == (len(FEATURE_NAMES),) and np.isfinite(x).all()
    named = dict(zip(FEATURE_NAMES, x, strict=True))
    assert named["since_jerk_s"] == named["quiet_s"] == TIME_CAP_S
    assert named["floor_ratio"] == 1.0  # no rested floor yet: the floor is its own reference
    assert math.isclose(named["duration_s"], 0.3)
    assert model.probability(x).shape == (1,)
    with pytest.raises(ValueError, match="rows of 12 features"):
        model.probability(x[:5])


def test_the_learned_stage_can_be_turned_off_and_checks_its_parameters():
    fs = 100.0
    t, acc = quiet_night(fs, 300.0, seed=5)
    add_jerk(t, acc, 200.0, peak_g=0.8)
    learned = detect(t, acc, fs)
    rules = detect(t, acc, fs, DetectorConfig(jerk_model=0))
    assert [e.label for e in learned] == [e.label for e in rules] == ["hypnic_jerk"]
    # a learned jerk's confidence is its probability: different from the rules' margins
    assert learned[0].confidence != rules[0].confidence
    # a threshold just above this burst's probability rejects it
    assert learned[0].confidence < 1.0
    above = float(np.nextafter(learned[0].confidence, 2.0))
    assert detect(t, acc, fs, DetectorConfig(jerk_model_min_p=above))[0].label != "hypnic_jerk"
    with pytest.raises(ValueError, match="jerk_model must be 0"):
        DetectorConfig(jerk_model=2)
    with pytest.raises(ValueError, match="jerk_model_min_p must be <= 1"):
        DetectorConfig(jerk_model_min_p=1.5)


def test_onset_features_tell_an_abrupt_burst_from_a_building_one():
    fs = 100.0
    t, acc = quiet_night(fs, 200.0, seed=6)
    add_jerk(t, acc, 100.0, peak_g=0.8)  # abrupt: peaks within ~0.1 s
    # a burst that builds up over 0.6 s (a voluntary reach)
    k = (t >= 150.0) & (t < 150.8)
    tt = t[k] - 150.0
    acc[k, 1] += 0.4 * np.sin(2 * np.pi * 6.0 * tt) * np.clip(tt / 0.6, 0, 1) ** 2
    from sms_detect.core.detector import StreamingDetector

    det = StreamingDetector(fs, DetectorConfig())
    det.judged = []
    det.push(t, acc)
    det.flush()
    by = {round(c.onset): c for c in det.judged}
    jerk = next(c for k_, c in by.items() if 99 <= k_ <= 101)
    build = next(c for k_, c in by.items() if 150 <= k_ <= 151)
    assert jerk.rise_s < build.rise_s
    assert jerk.early_energy > build.early_energy
    assert 0.0 < build.early_energy < jerk.early_energy <= 1.0


def test_training_nights_draw_wide_kinetics_apart_from_the_benchmark():
    specs = training_specs(train.N_NIGHTS)
    for lo, hi in train.RESERVED_SEEDS:
        assert all(not lo <= s.seed <= hi for s in specs)
    specs = specs[:30]
    assert {s.rate_hz for s in specs} >= {25.0, 50.0, 100.0, 400.0}
    for s in specs:
        assert s.jerk == night_kinetics(s.seed)  # reproducible
        for name, ((lo0, lo1), (hi0, hi1)) in KINETICS_SPAN.items():
            lo, hi = s.jerk[name]
            assert lo0 <= lo <= lo1 and hi0 <= hi <= hi1
    assert len({tuple(s.jerk["joint_hz"]) for s in specs}) == len(specs)


def test_training_runs_end_to_end_and_writes_a_model_the_detector_could_load(tmp_path, capsys,
                                                                             monkeypatch):
    out = tmp_path / "m.npz"
    rows = tmp_path / "rows.npz"
    assert train.main(["--nights", "4", "--hours", "0.5", "--jobs", "1", "--out", str(out),
                       "--rows", str(rows)]) == 0
    text = capsys.readouterr().out
    assert "4 nights" in text and "trees" in text
    with np.load(out) as z:
        model = TreeEnsemble.from_arrays({k: z[k] for k in z.files})
    assert model.feature_names == FEATURE_NAMES
    with np.load(rows) as z:
        assert z["x"].shape[1] == len(FEATURE_NAMES) and z["y"].any() and not z["y"].all()
    # the cached rows refit to the same model
    out2 = tmp_path / "m2.npz"
    assert train.main(["--nights", "4", "--hours", "0.5", "--out", str(out2),
                       "--rows", str(rows)]) == 0
    assert "simulated in 0 s" in capsys.readouterr().out
    with np.load(out2) as z:
        again = TreeEnsemble.from_arrays({k: z[k] for k in z.files})
    np.testing.assert_array_equal(again.value, model.value)
    # rows another version of the detector made (other feature definitions) are made anew
    monkeypatch.setattr(train, "DETECTOR_VERSION", "0")
    assert train.main(["--nights", "4", "--hours", "0.5", "--jobs", "1", "--out", str(out2),
                       "--rows", str(rows)]) == 0
    assert "detector version: simulating anew" in capsys.readouterr().err
    # seeds kept for benchmarking and bad values are refused as usage errors
    for bad in (["--seed0", "1000"], ["--seed0", "5990", "--nights", "20"], ["--jobs", "0"],
                ["--hours", "0.01"], ["--seed0", "-1"], ["--nights", "1"]):
        with pytest.raises(SystemExit) as exc:
            train.main([*bad, "--out", str(out2)])
        assert exc.value.code == 2


def _constant(p: float) -> TreeEnsemble:
    """Trees that give every burst the probability ``p``."""
    one = np.zeros(1, dtype=np.intp)
    return TreeEnsemble(feature=one, threshold=np.zeros(1), left=one, right=one,
                        missing_left=np.ones(1, dtype=bool), value=np.zeros(1), roots=one,
                        depth=0, baseline=math.log(p / (1 - p)), feature_names=FEATURE_NAMES)


def test_the_trees_decide_what_the_rules_do_not_settle():
    cfg = DetectorConfig(jerk_model_min_p=0.5)  # a rejected jerk: confidence 0.5 + 0.5 (0.5-p)/0.5
    ctx = context_veto_config(cfg)
    jerk = drowsy_jerk()
    slow = drowsy_jerk(lf_ratio=0.9)  # the rules: a movement (slow content)
    assert judge(jerk, cfg)[0] == "hypnic_jerk" and judge(slow, cfg)[0] == "movement"
    label, conf = judge_learned(slow, cfg, _constant(0.8), ctx)
    assert label == "hypnic_jerk" and conf == pytest.approx(0.8)
    label, conf = judge_learned(jerk, cfg, _constant(0.2), ctx)
    assert label == "movement" and conf == pytest.approx(0.8)
    assert judge_learned(slow, cfg, _constant(0.2), ctx) == judge(slow, cfg)
    # the threshold is a parameter
    high = DetectorConfig(jerk_model_min_p=0.9)
    assert judge_learned(slow, high, _constant(0.8), context_veto_config(high))[0] == "movement"
    # what physics settles stays: a gap, a twitch, a knock
    for c in (drowsy_jerk(near_gap=True), drowsy_jerk(peak_acc=0.01),
              drowsy_jerk(band_rate_hz=200.0)):
        assert judge_learned(c, cfg, _constant(0.99), ctx) == judge(c, cfg)


def test_clear_signs_of_wake_overrule_the_trees():
    cfg = DetectorConfig()
    k = cfg.jerk_model_context
    assert k > 1
    # wake evidence between the rules' limit and k times it: the trees decide
    mild = drowsy_jerk(quiet_s=0.4 * cfg.pre_still_s)  # stillness cue 1 > 0.8
    assert judge(mild, cfg)[0] == "wake_burst"
    assert judge_learned(mild, cfg, _constant(0.9), context_veto_config(cfg))[0] == "hypnic_jerk"
    # over k times the limit (short stillness, recent activity, a raised floor): wake
    clear = drowsy_jerk(quiet_s=0.4 * cfg.pre_still_s, active_fraction=0.5, floor_g=0.01)
    assert judge_learned(clear, cfg, _constant(0.9), context_veto_config(cfg))[0] == "wake_burst"
    # no veto when turned off
    off = DetectorConfig(jerk_model_context=0.0)
    assert context_veto_config(off) is None
    assert judge_learned(clear, off, _constant(0.9), None)[0] == "hypnic_jerk"
    # deep sleep: over k times max_quiet_s of stillness
    deep = drowsy_jerk(quiet_s=3.5 * k * cfg.max_quiet_s)
    assert judge_learned(deep, cfg, _constant(0.9), context_veto_config(cfg))[0] == "sleep_burst"
    # ... but not a minute after a jerk: a sleep-onset cluster, however still the limb was
    cluster = dataclasses.replace(deep, since_jerk_s=60.0)
    assert judge_learned(cluster, cfg, _constant(0.9), context_veto_config(cfg))[0] == \
        "hypnic_jerk"


def test_events_files_name_the_jerk_model_by_its_digest(tmp_path):
    import hashlib

    from sms_detect import __version__
    from sms_detect.core import detector_id
    from sms_detect.core.learned import MODEL_FILE
    from sms_detect.io.h5_events import read_events
    from sms_detect.pipeline import NightResult, write_result

    src = Path(__file__).parents[1] / "sms_detect" / "core" / MODEL_FILE
    digest = hashlib.sha256(src.read_bytes()).hexdigest()[:12]
    assert detector_id() == f"sms-detect-hysteresis 4 (jerk model {digest})"
    write_result(tmp_path / "e.h5", NightResult(events=[]), "test")
    assert read_events(tmp_path / "e.h5")[1]["detector"] == \
        f"sms-detect-hysteresis 4 (sms-detect {__version__}, jerk model {digest})"


def test_a_one_limb_jerk_is_judged_on_the_scale_of_its_confidence():
    trees, rules = DetectorConfig(), DetectorConfig(jerk_model=0)
    assert trees.single_limb_limit == trees.jerk_model_single_limb_p
    assert rules.single_limb_limit == rules.single_limb_min_confidence
    # a wrist-only jerk of a wrist+ankle recording, confidence 0.9: a probability of 0.9
    # passes the trees' limit, a rule margin of 0.9 does not pass the rules' one
    one = [Event(100.0, 0.2, "hypnic_jerk", "wrist", 0.3, 12.0, 0.9)]
    assert trees.jerk_model_single_limb_p < 0.9 < rules.single_limb_min_confidence
    assert merge_sensor_events(one, ["wrist", "ankle"], trees)[0].label == "hypnic_jerk"
    assert merge_sensor_events(one, ["wrist", "ankle"], rules)[0].label == "limb_jerk"
    with pytest.raises(ValueError, match="jerk_model_single_limb_p must be <= 1"):
        DetectorConfig(jerk_model_single_limb_p=1.5)
