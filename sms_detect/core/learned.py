"""The learned jerk decision: gradient-boosted trees over a burst's features, in numpy.

The rules of :mod:`.classify` keep what physics settles on its own (a burst at a gap is an
artifact, one below 0.05 g a twitch, a broadband one an impact). For the rest, whether a
burst is a hypnic jerk depends on many features at once (how brief, how smooth its rise, how
much slow content follows, how still the wearer was), and single thresholds on each trade
about one jerk per false positive. A small ensemble of regression trees, trained on
simulated nights whose jerk kinetics are drawn from wide physical ranges (see
:mod:`sms_detect.learn.train`), weighs them together. The trees are shipped as arrays
(``jerk_model.npz`` beside this module) and evaluated here, per burst, without scikit-learn.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.resources
import math
import zipfile
from dataclasses import dataclass

import numpy as np

from sms_detect.core.classify import Candidate, judge, judge_context
from sms_detect.core.config import DetectorConfig
from sms_detect.types import HYPNIC_JERK

#: Labels the rules give for good (physics alone settles them); the learned stage judges the
#: rest: a burst at a gap (artifact), under the smallest jerk (twitch) or broadband (impact;
#: the rules test this after the duration and orientation limits, so a long or turning
#: broadband burst is a ``movement`` to them and goes to the trees).
RULE_FINAL = ("artifact", "twitch", "impact")

#: Features the trees see, in column order (name, unit). Each is measured in seconds, g or
#: ratios, the same way at every rate (``rise_s`` to the nearest sample, ``early_energy`` over
#: the nearest whole number of samples to 0.2 s); absolute noise levels (which differ from
#: device to device) enter only as the floor over the sensor's own rested floor, and the
#: sampling rate is not a feature.
FEATURES: tuple[tuple[str, str], ...] = (
    ("duration_s", "s"),
    ("peak_g", "g"),
    ("band_rate", "1/s"),
    ("orientation_deg", "degrees"),
    ("quiet_s", "s"),
    ("active_fraction", "0..1"),
    ("lf_ratio", "ratio"),
    ("floor_ratio", "ratio"),
    ("sway_deg", "degrees"),
    ("since_jerk_s", "s"),
    ("rise_s", "s"),
    ("early_energy", "0..1"),
)
FEATURE_NAMES = tuple(name for name, _ in FEATURES)

#: Largest time (s) fed to the trees: "no earlier jerk" (an infinite ``since_jerk_s``) and
#: very long stillness become this.
TIME_CAP_S = 1.0e4

#: Arrays a saved model holds.
_ARRAYS = ("feature", "threshold", "left", "right", "missing_left", "value", "roots", "depth",
           "baseline", "feature_names")

#: All 64 bits set: every leaf of a tree still possible.
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)

#: File of the shipped model, in this package.
MODEL_FILE = "jerk_model.npz"


def candidate_features(c: Candidate, floor_ref_min_g: float) -> np.ndarray:
    """One row of :data:`FEATURES` for a burst.

    Parameters
    ----------
    c : Candidate
        The burst (times in s, accelerations in g, angles in degrees).
    floor_ref_min_g : float
        Smallest reference floor (g) for ``floor_ratio`` (``DetectorConfig.floor_ref_min_g``).

    Returns
    -------
    ndarray, shape (len(FEATURES),)
        Finite values (unbounded times capped at :data:`TIME_CAP_S`).
    """
    min_floor = c.min_floor_g if math.isfinite(c.min_floor_g) else c.floor_g
    ref = max(min_floor, floor_ref_min_g)
    return np.array([
        c.duration,
        c.peak_acc,
        c.band_rate_hz,
        c.orientation_deg,
        min(c.quiet_s, TIME_CAP_S),
        c.active_fraction,
        c.lf_ratio,
        c.floor_g / ref if ref > 0 else 1.0,
        c.sway_deg,
        min(c.since_jerk_s, TIME_CAP_S),
        c.rise_s,
        c.early_energy,
    ], dtype=float)


def context_veto_config(cfg: DetectorConfig) -> DetectorConfig | None:
    """Limits of the rules' context cues that overrule the learned stage (None: never).

    The cues of wake before and after a burst and the stillness of deep sleep
    (:func:`sms_detect.core.classify.judge_context`) with their limits multiplied by
    ``cfg.jerk_model_context``: the trees may accept a jerk amid mild signs of wake (a sleep
    start can follow brief restlessness), not amid clear ones.
    """
    k = cfg.jerk_model_context
    if k <= 0:
        return None
    return dataclasses.replace(
        cfg, wake_evidence_limit=k * cfg.wake_evidence_limit, max_quiet_s=k * cfg.max_quiet_s,
        max_active_after=k * cfg.max_active_after,
        max_floor_after_ratio=k * cfg.max_floor_after_ratio)


def judge_learned(c: Candidate, cfg: DetectorConfig, model: TreeEnsemble,
                  context: DetectorConfig | None) -> tuple[str, float]:
    """Label and confidence of a burst, by the rules and the trees together.

    The rules' ``artifact``, ``twitch`` and ``impact`` stand (:data:`RULE_FINAL`). For any
    other burst the trees give the probability p that it is a hypnic jerk:

    * p < ``cfg.jerk_model_min_p``: the rules' label stands, except that a burst the rules
      called a jerk becomes a ``movement``, of confidence 0.5 at the threshold rising to 1
      at p = 0;
    * otherwise the rules' context cues at the limits of ``context`` (see
      :func:`context_veto_config`) may still make it a ``wake_burst`` or ``sleep_burst``;
      if not, it is a hypnic jerk of confidence p.

    Parameters
    ----------
    c : Candidate
        The burst's features (its ``lf_ratio`` measured).
    cfg : DetectorConfig
        Parameters (the rules' limits, ``jerk_model_min_p``, ``floor_ref_min_g`` in g).
    model : TreeEnsemble
        The trees.
    context : DetectorConfig or None
        Limits of the context veto (None: no veto).

    Returns
    -------
    label : str
        ``hypnic_jerk``, ``wake_burst`` or ``sleep_burst`` (the veto), or any label of the
        rules.
    confidence : float
        For a hypnic jerk its probability, ``jerk_model_min_p``..1; otherwise 0.5..1.
    """
    label, conf = judge(c, cfg)
    if label in RULE_FINAL:
        return label, conf
    p = float(model.probability(candidate_features(c, cfg.floor_ref_min_g))[0])
    min_p = cfg.jerk_model_min_p
    if p < min_p:
        return ("movement", 0.5 + 0.5 * (min_p - p) / min_p) if label == HYPNIC_JERK \
            else (label, conf)
    if context is not None:
        label, conf = judge_context(c, context)
        if label != HYPNIC_JERK:
            return label, conf
    return HYPNIC_JERK, p


@dataclass(frozen=True, eq=False)
class TreeEnsemble:
    """Binary gradient-boosted trees flattened into arrays (one node per index).

    Attributes
    ----------
    feature : ndarray of int
        Column tested at each node.
    threshold : ndarray of float
        A sample goes left when its value is <= this (NaN goes where ``missing_left`` says).
    left, right : ndarray of int
        Children (global indices); a leaf points to itself on both sides.
    missing_left : ndarray of bool
        Where NaN goes at each node.
    value : ndarray of float
        Leaf outputs (log-odds contributions; 0 at inner nodes).
    roots : ndarray of int
        Root node of each tree.
    depth : int
        Longest root-to-leaf path (steps; for information).
    baseline : float
        Log-odds before any tree.
    feature_names : tuple of str
        Names of the columns the trees were trained on.
    """

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    missing_left: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    depth: int
    baseline: float
    feature_names: tuple[str, ...]

    def log_odds(self, x: np.ndarray) -> np.ndarray:
        """Summed log-odds for rows of features.

        Every node's test is evaluated at once and each tree's exit leaf read from bit masks
        (the QuickScorer scheme, Lucchese et al., SIGIR 2015): a failed test rules out the
        leaves of the node's left subtree, and the exit is the leftmost leaf left.

        Parameters
        ----------
        x : ndarray, shape (N, F)
            Feature rows, columns in ``feature_names`` order.

        Returns
        -------
        ndarray, shape (N,)
            Baseline plus every tree's leaf value.

        Raises
        ------
        ValueError
            If the rows do not have one column per feature.
        """
        x = np.atleast_2d(np.asarray(x, dtype=float))
        if x.ndim != 2 or x.shape[1] != len(self.feature_names):
            raise ValueError(f"need rows of {len(self.feature_names)} features, got shape "
                             f"{x.shape}")
        masks, leaf_value, first = self._scorer
        v = x[0][self.feature][None, :] if x.shape[0] == 1 else x[:, self.feature]
        go_left = v <= self.threshold  # (N, nodes)
        if np.isnan(x).any():
            go_left = np.where(np.isnan(v), self.missing_left, go_left)
        # a node whose test sends the row left rules nothing out (all bits), else its mask;
        # -1 as uint64 is all bits set
        rule_out = np.negative(go_left.astype(np.uint64))
        np.bitwise_or(rule_out, masks, out=rule_out)
        alive = np.bitwise_and.reduceat(rule_out, first, axis=1)
        low = (alive & (~alive + np.uint64(1))).astype(float)  # lowest set bit, exact
        leaf = np.frexp(low)[1].astype(np.intp) - 1
        return self.baseline + leaf_value[self._tree_index, leaf].sum(axis=1)

    @functools.cached_property
    def _tree_index(self) -> np.ndarray:
        return np.arange(self.roots.shape[0])

    @functools.cached_property
    def _scorer(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per node, the mask of the leaves still possible when its test fails (all for a
        leaf); per tree, its leaves' values left to right; each tree's first node."""
        n, n_trees = self.feature.shape[0], self.roots.shape[0]
        masks = np.full(n, _ALL, dtype=np.uint64)
        leaf_value = np.zeros((n_trees, 64))
        for t, root in enumerate(self.roots.tolist()):
            leaves: list[int] = []
            spans: dict[int, tuple[int, int]] = {}
            stack = [(root, False)]
            while stack:  # in-order walk; once per tree at load
                node, done = stack.pop()
                left, right = int(self.left[node]), int(self.right[node])
                if left == node:  # a leaf
                    spans[node] = (len(leaves), len(leaves) + 1)
                    leaves.append(node)
                elif done:
                    spans[node] = (spans[left][0], spans[right][1])
                else:
                    stack += [(node, True), (right, False), (left, False)]
            leaf_value[t, : len(leaves)] = self.value[leaves]
            for node in spans:
                left = int(self.left[node])
                if left != node:
                    a, b = spans[left]
                    bits = ((1 << (b - a)) - 1) << a
                    masks[node] = np.uint64(~bits & ((1 << 64) - 1))
        return masks, leaf_value, self.roots.copy()

    def probability(self, x: np.ndarray) -> np.ndarray:
        """Probability (0..1) that each row is a hypnic jerk (the logistic of the log-odds)."""
        return 1.0 / (1.0 + np.exp(-self.log_odds(x)))

    def save(self, path: str) -> None:
        """Write the arrays to an ``.npz`` file at ``path``."""
        np.savez_compressed(
            path, feature=self.feature, threshold=self.threshold, left=self.left,
            right=self.right, missing_left=self.missing_left, value=self.value,
            roots=self.roots, depth=np.array(self.depth), baseline=np.array(self.baseline),
            feature_names=np.array(self.feature_names),
        )

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> TreeEnsemble:
        """Build from the arrays :meth:`save` writes; checks that they fit together.

        Raises
        ------
        ValueError
            A missing array, arrays of different lengths, features out of range, or trees
            that are not stored one after another from node 0 with every child after its
            parent and inside its own tree, a leaf pointing to itself on both sides and at
            most 64 leaves per tree.
        """
        missing = [k for k in _ARRAYS if k not in arrays]
        if missing:
            raise ValueError(f"the model lacks {', '.join(missing)}")
        try:
            feature = np.asarray(arrays["feature"], dtype=np.intp)
            names = tuple(str(s) for s in np.asarray(arrays["feature_names"]).ravel())
            left = np.asarray(arrays["left"], dtype=np.intp)
            right = np.asarray(arrays["right"], dtype=np.intp)
            roots = np.asarray(arrays["roots"], dtype=np.intp)
            threshold = np.asarray(arrays["threshold"], dtype=float)
            missing_left = np.asarray(arrays["missing_left"], dtype=bool)
            value = np.asarray(arrays["value"], dtype=float)
            depth, baseline = int(arrays["depth"]), float(arrays["baseline"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"the model's arrays do not convert: {exc}") from None
        n = feature.shape[0] if feature.ndim == 1 else -1
        if n <= 0 or any(a.shape != (n,) for a in (left, right, threshold, missing_left,
                                                    value)):
            raise ValueError("tree arrays are empty or differ in length")
        if roots.ndim != 1 or roots.size == 0 or roots[0] != 0 or np.any(np.diff(roots) <= 0) \
                or roots[-1] >= n:
            raise ValueError("trees must be stored one after another, from node 0")
        if feature.min() < 0 or feature.max() >= len(names):
            raise ValueError("a tree node tests a feature the model does not name")
        tree = np.searchsorted(roots, np.arange(n), side="right") - 1
        end = np.append(roots[1:], n)[tree]
        idx = np.arange(n)
        leaf = left == idx
        if np.any(leaf != (right == idx)):
            raise ValueError("a leaf must point to itself on both sides")
        inner = ~leaf
        for child in (left, right):
            if np.any(inner & ((child <= idx) | (child >= end))):
                raise ValueError("a tree node points outside its tree or back to an ancestor")
        if np.bincount(tree[leaf], minlength=roots.size).max() > 64:
            raise ValueError("a tree has more than 64 leaves")
        return cls(feature=feature, threshold=threshold, left=left, right=right,
                   missing_left=missing_left, value=value, roots=roots, depth=depth,
                   baseline=baseline, feature_names=names)


def load_model(path) -> TreeEnsemble:
    """Read trees written by :meth:`TreeEnsemble.save` and check them (once, at load).

    Parameters
    ----------
    path : str, path or file object
        The ``.npz`` file.

    Raises
    ------
    ValueError
        A file that is not such a model, is damaged, or was trained on other features than
        :data:`FEATURES` (the message names the file).
    """
    name = getattr(path, "name", path)
    try:
        with np.load(path, allow_pickle=False) as z:
            model = TreeEnsemble.from_arrays({k: z[k] for k in z.files})
        model._scorer  # noqa: B018 - build the leaf masks now, not at the first burst
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{name}: not a usable jerk model ({exc})") from None
    if model.feature_names != FEATURE_NAMES:
        raise ValueError(f"{name} was trained on features {model.feature_names}, "
                         f"the detector computes {FEATURE_NAMES}")
    return model


@functools.cache
def shipped_model() -> TreeEnsemble:
    """The model shipped with the package (loaded and checked once; see :func:`load_model`)."""
    with importlib.resources.as_file(_shipped()) as path:
        return load_model(path)


@functools.cache
def shipped_model_digest() -> str:
    """First 12 hex digits of the SHA-256 of the shipped model file (names it in outputs)."""
    return hashlib.sha256(_shipped().read_bytes()).hexdigest()[:12]


def _shipped():
    return importlib.resources.files("sms_detect.core").joinpath(MODEL_FILE)
