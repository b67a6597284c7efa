"""The streaming hypnic-jerk detector: one code path for live blocks and whole recordings.

Stages, in order (each in its own module):

1. :mod:`.validate` - shapes, NaN, time order, units (g, not m/s^2).
2. :mod:`.features` - one- and two-sample glitches replaced by the last good sample.
3. :mod:`.filters` - Butterworth band-pass (state carried across blocks, restarted at gaps).
4. :mod:`.features` - band-passed magnitude (g), its smoothed envelope (g), jerk (g/s).
5. :mod:`.noise` - causal adaptive noise floor -> hysteresis thresholds.
6. :mod:`.bursts` - hysteresis segmentation, close runs merged.
7. :mod:`.context` - causal 5-s epoch activity history (stillness before a burst).
8. :mod:`.classify` - label and confidence of each burst.
9. :mod:`.series` - rhythmic trains and PLM series relabel their members.

Every stage is either per-sample pure or carries its state in a way that depends only on
the samples (windows aligned to the stream's first sample, filters run sample by sample), so
any split of a recording into blocks gives identical events. An event is *decided* (returned
by :meth:`StreamingDetector.push`) only once no later sample can change it: after ``post_s``
past its end (``long_post_s`` for the slow content, which stops where the next burst
begins), and once any train or series it could belong to has closed or, for a train, the
neighbours its regularity is judged on have come. Its first,
causal judgement is available earlier through :meth:`StreamingDetector.take_provisional`.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from sms_detect.core.bursts import bursts_from_runs, second_burst_start
from sms_detect.core.classify import (
    RISE_WINDOW_S,
    Candidate,
    impulsiveness,
    judge,
    opens_jerk_cluster,
)
from sms_detect.core.config import DetectorConfig
from sms_detect.core.context import EpochContext
from sms_detect.core.features import (
    angle_between_deg,
    glitch_mask,
    hold_last_good,
    magnitude,
    sq_norm,
)
from sms_detect.core.filters import (
    OnePole,
    SosFilter,
    band_edges,
    design_bandpass,
    design_lowpass,
    sosfilt_rows_inplace,
    unit_step_state,
)
from sms_detect.core.learned import (
    RULE_FINAL,
    context_veto_config,
    judge_learned,
    shipped_model,
)
from sms_detect.core.noise import NoiseFloor, greater_into
from sms_detect.core.series import chain_bounds, leg_movements
from sms_detect.core.validate import check_block, check_shapes, looks_like_ms2
from sms_detect.types import Event

#: Raw samples of look-ahead the glitch test needs.
LOOKAHEAD = 2
#: Raw samples of look-behind the glitch test needs.
LOOKBEHIND = 3
#: Largest block processed at once (samples); bounds memory and keeps history windows valid.
CHUNK = 1 << 17
#: Spare samples in the feature buffer's backing arrays (appends copy the kept part rarely).
BUFFER_SLACK = 4096
#: Longest time (s) the onset is walked back before the first above-threshold sample.
WALKBACK_S = 0.3
#: Window (s) before the onset whose mean gives the gravity direction before a burst.
PRE_ORIENT_S = 1.0
#: Context (s) before the onset kept for the low-frequency content of a burst.
PRE_LF_S = 2.0
#: Longest PLM movement (s) (AASM: 10 s).
PLM_MAX_DURATION_S = 10.0
#: Labels that a burst's low-frequency content can turn into "movement" (see judge()).
LF_SENSITIVE = ("hypnic_jerk", "wake_burst", "sleep_burst")
#: Lowest sampling rate (Hz) the detector accepts.
MIN_RATE_HZ = 10.0

#: Band (Hz) of the jerk that tells impacts from muscle-driven jerks (see ``_band_rate``).
JERK_LOWPASS_HZ = 40.0
JERK_LP_ORDER = 2

_FIELDS = ("t", "raw", "a2", "env", "above", "brk")


def _peak_step_sq(x: np.ndarray, skip: np.ndarray | None = None) -> float:
    """Largest squared step |x[:, k+1] - x[:, k]|^2 (units of x squared) of a (3, N) array.

    ``skip`` (bool, N-1): steps that do not count (e.g. across a gap). One square root of
    the result is the peak step: the root is monotone, so the root of the max is the max of
    the roots.
    """
    j2 = sq_norm(x[:, 1:] - x[:, :-1])  # np.diff, without its overhead
    if skip is not None:
        j2[skip] = 0.0
    return float(j2.max()) if j2.shape[0] else 0.0


class StreamingDetector:
    """Detect bursts in one sensor's stream and judge which are hypnic jerks.

    Parameters
    ----------
    fs : float
        Nominal sampling rate (Hz); >= 10 Hz (the band is narrowed to stay valid).
    config : DetectorConfig, optional
        Parameters; defaults when omitted.
    sensor : str
        Sensor name written into each event (e.g. ``"wrist"``).
    provisional : bool
        Give each burst a first, causal judgement soon after it ends
        (:meth:`take_provisional`, for live alerts). Batch processing turns this off: the
        decided events are the same either way.

    Examples
    --------
    >>> det = StreamingDetector(100.0)
    >>> events = det.push(time, acc)      # any number of calls, any block sizes
    >>> events += det.flush()             # end of stream
    """

    def __init__(
        self, fs: float, config: DetectorConfig | None = None, sensor: str = "wrist",
        provisional: bool = True,
    ) -> None:
        if not np.isfinite(fs) or fs < MIN_RATE_HZ:
            raise ValueError(f"sampling rate must be >= {MIN_RATE_HZ:g} Hz, got {fs!r}")
        self.fs = float(fs)
        self.cfg = cfg = config or DetectorConfig()
        self.sensor = sensor
        self._give_provisional = provisional
        lo, hi = band_edges(fs, cfg.band_low_hz, cfg.band_high_hz, cfg.band_high_frac)
        self.band_hz = (lo, hi)
        self._bp = SosFilter(design_bandpass(fs, lo, hi, cfg.band_order), 3)
        self._smooth = OnePole(cfg.envelope_tau_s, fs)
        self._jerk_lp = (
            design_lowpass(fs, JERK_LOWPASS_HZ, JERK_LP_ORDER)
            if fs > 2.5 * JERK_LOWPASS_HZ
            else None
        )
        self._noise = NoiseFloor(
            round(cfg.floor_window_s * fs), cfg.floor_history_windows, cfg.floor_quantile
        )
        chunk_s = CHUNK / fs
        self._ctx = EpochContext(
            round(cfg.epoch_s * fs),
            cfg.epoch_angle_deg,
            cfg.epoch_active_fraction,
            keep_s=cfg.activity_window_s + chunk_s + 60.0,
        )
        self._gap_dt = cfg.gap_factor / fs
        self._merge_n = max(1, round(cfg.merge_gap_s * fs))
        self._walk_n = max(1, round(WALKBACK_S * fs))
        self._keep_n = round((max(PRE_ORIENT_S, PRE_LF_S) + WALKBACK_S + 0.2) * fs)
        self._lf_sos = np.ascontiguousarray(design_bandpass(fs, 0.2, 2.0, 2))
        self._lf_zi = unit_step_state(self._lf_sos)
        self._two_sample = fs >= 50
        self._model = shipped_model() if cfg.jerk_model else None
        self._ctx_cfg = context_veto_config(cfg)
        #: If set to a list, every burst's candidate is appended once its features are
        #: complete and its base label given (trains and series may still relabel it): for
        #: training the learned stage and for diagnostics. Setting it also measures the slow
        #: content of every burst the rules do not settle, as the learned stage does.
        self.judged: list[Candidate] | None = None
        # judged bursts kept as context for trains and PLM series: a decision looks back at
        # most max(count, window) intervals; the 60 s of slack also cover the 10 s a leg
        # movement may last and the gap that joins a burst to it
        self._history_s = max(cfg.plm_max_interval_s * max(cfg.plm_min_count, cfg.plm_window),
                              cfg.train_max_interval_s * cfg.train_window) + 60.0
        # raw input not yet processed (look-ahead) and the last processed raw samples
        self._pt = np.empty(0)
        self._pa = np.empty((0, 3))
        self._ct = np.empty(0)
        self._ca = np.empty((0, 3))
        self._last_clean: np.ndarray | None = None
        self._steps = np.empty((3, 0))  # scratch for sample-to-sample steps (reused)
        self._last_in: float | None = None
        self._unit_buf: list[np.ndarray] = []
        self._unit_n = 0
        self._unit_done = False
        # per-sample features of the recent past
        self._b: dict[str, np.ndarray] = {
            "t": np.empty(0),
            "raw": np.empty((3, 0)),
            "a2": np.empty(0),  # squared band-passed magnitude (g^2)
            "env": np.empty(0),
            "above": np.empty(0, dtype=bool),  # envelope above the low threshold
            "brk": np.empty(0, dtype=bool),
        }
        # noise floor and lowest floor so far per window (global window w0 + i): per-sample
        # floors and thresholds are looked up only where needed
        self._w_floor = np.empty(0)
        self._w_min = np.empty(0)
        self._w0 = 0
        # backing arrays of the buffer: self._b[f] views store[f][..., end - len : end]
        self._store: dict[str, np.ndarray] = {f: v for f, v in self._b.items()}
        self._end = 0
        self._scan = 0
        self._gaps: list[tuple[float, float]] = []
        self._cands: list[Candidate] = []
        self._await: list[Candidate] = []
        self._await_ctx: list[Candidate] = []
        self._provisional: list[Event] = []
        self._flushed = False
        # onset (s) of the jerk that opened the latest sleep-onset cluster: for the final
        # judgements (made in onset order) and for the first, provisional ones
        self._cluster_onset = -np.inf
        self._prov_cluster_onset = -np.inf
        #: Samples processed so far.
        self.n_samples = 0
        #: Glitch samples replaced so far.
        self.n_glitches = 0
        #: Gaps seen so far.
        self.n_gaps = 0

    # ------------------------------------------------------------------ public API
    def push(self, time: np.ndarray, acc: np.ndarray) -> list[Event]:
        """Feed a block of samples; return the events decided so far (each returned once).

        Parameters
        ----------
        time : ndarray, shape (N,)
            Sample times (s), strictly increasing, continuing the previous block.
        acc : ndarray, shape (N, 3)
            Acceleration (g).

        Returns
        -------
        list of Event
            Events whose label is final, in onset order.

        Raises
        ------
        ValueError
            Wrong shapes, NaN, time not increasing (within or across blocks), data in m/s^2,
            or a push after :meth:`flush`.
        """
        if self._flushed:
            raise ValueError("push() after flush(): make a new detector for a new stream")
        time = np.asarray(time)
        acc = np.asarray(acc)
        check_shapes(time, acc)
        out: list[Event] = []
        for s in range(0, time.shape[0], CHUNK):
            t, a = check_block(time[s : s + CHUNK], acc[s : s + CHUNK], first_index=s)
            if self._last_in is not None and t[0] <= self._last_in:
                raise ValueError(
                    f"time goes backwards at sample {s} ({t[0]:.6f} s after {self._last_in:.6f} s)"
                )
            self._check_units(a, final=False)
            self._last_in = float(t[-1])
            self._process(t, a, final=False)
            self._find_bursts(final=False)
            out += self._decide(final=False)
        return out

    def flush(self) -> list[Event]:
        """End the stream: process the held-back samples and decide every pending event."""
        if self._flushed:
            return []
        self._check_units(np.empty((0, 3)), final=True)
        self._process(np.empty(0), np.empty((0, 3)), final=True)
        self._find_bursts(final=True)
        out = self._decide(final=True)
        self._flushed = True
        return out

    def take_provisional(self) -> list[Event]:
        """Return (once) the first, causal judgement of each new burst.

        Available ``post_s`` after a burst ends, before trains and series are known; the
        decided event from :meth:`push` may carry another label. Always empty for a detector
        made with ``provisional=False``.
        """
        out, self._provisional = self._provisional, []
        return out

    @property
    def provisional(self) -> bool:
        """Whether this detector gives provisional judgements (fixed when it is made)."""
        return self._give_provisional

    @property
    def decided_until(self) -> float:
        """Time (s) before which every event onset is already decided (inf after flush)."""
        if self._flushed:
            return np.inf
        h = self._horizon(final=False)
        pending = [c.onset for c in self._cands if not c.decided]
        return min([h, *pending])

    # ------------------------------------------------------------------ stages
    def _check_units(self, a: np.ndarray, final: bool) -> None:
        if self._unit_done:
            return
        need = round(5.0 * self.fs)
        if a.shape[0]:
            self._unit_buf.append(a[: need - self._unit_n])
            self._unit_n += self._unit_buf[-1].shape[0]
        if self._unit_n >= need or final:
            first = np.concatenate(self._unit_buf) if self._unit_buf else np.empty((0, 3))
            self._unit_done, self._unit_buf = True, []
            if looks_like_ms2(first):
                med = float(np.median(magnitude(first)))
                raise ValueError(
                    f"acceleration looks like m/s^2, not g (median magnitude {med:.2f} at rest;"
                    " divide by 9.80665)"
                )

    def _process(self, t_new: np.ndarray, a_new: np.ndarray, final: bool) -> None:
        """Turn held and new raw samples into per-sample features (all but the look-ahead)."""
        cfg = self.cfg
        c = self._ct.shape[0]
        xt = np.concatenate([self._ct, self._pt, t_new])
        nx = xt.shape[0]
        m = nx - c - (0 if final else LOOKAHEAD)
        if m <= 0:
            self._pt = xt[c:]
            self._pa = np.concatenate([self._pa, a_new])
            return
        xa = np.empty((3, nx))  # (3, L), one transposing copy
        k1 = c + self._pa.shape[0]
        xa[:, :c] = self._ca.T
        xa[:, c:k1] = self._pa.T
        xa[:, k1:] = a_new.T
        gap = np.zeros(nx, dtype=bool)
        gap[1:] = np.diff(xt) > self._gap_dt  # gap before sample k
        d = self._steps_buffer(nx - 1)
        np.subtract(xa[:, 1:], xa[:, :-1], out=d)
        # squared norm of each step in one pass, for glitch_mask's screen only (which
        # samples to test); its exact tests do not use these values
        step_sq = np.einsum("ij,ij->j", d, d)
        del d
        bad = glitch_mask(xa, cfg.glitch_min_g, cfg.glitch_ratio, self._two_sample, step_sq)
        if gap.any() and bad.any():
            cg = np.concatenate([[0], np.cumsum(gap)])
            k = np.arange(nx)
            bad &= (cg[np.clip(k + 3, 0, nx)] - cg[np.clip(k - 1, 0, nx)]) == 0
        sl = slice(c, c + m)
        t, raw, newbad, newgap = xt[sl], xa[:, sl], bad[sl], gap[sl]
        first = self._last_clean is None
        seg_start = newgap.copy()
        if first:
            seg_start[0] = True
        if not newbad.any():
            clean = raw
        elif first:
            clean = hold_last_good(raw, newbad)
        else:
            clean = hold_last_good(
                np.column_stack([self._last_clean, raw]), np.concatenate([[False], newbad])
            )[:, 1:]
        # the feature buffer grows by the new samples; features are written straight into it
        new = self._extend_buffer(m)
        new["t"][:] = t
        new["raw"][:] = clean
        new["brk"][:] = seg_start
        # raw samples held for the next call, before xa is reused
        keep = max(0, c + m - LOOKBEHIND)
        self._ct, self._ca = xt[keep : c + m], xa[:, keep : c + m].T.copy()
        self._pt, self._pa = xt[c + m :], xa[:, c + m :].T.copy()
        bp = clean  # xa's slice or hold_last_good's copy: band-passed in place, by segment
        clean = new["raw"]
        bounds = np.concatenate([[0], np.flatnonzero(seg_start[1:]) + 1, [m]]).tolist()
        segments = list(zip(bounds[:-1], bounds[1:], strict=True))
        for s, e in segments:
            if seg_start[s]:
                self._bp.reset(clean[:, s])
            self._bp(bp[:, s:e], out=bp[:, s:e])
        np.multiply(bp, bp, out=bp)
        a2 = new["a2"]  # == sq_norm(band-passed), summed x, y, z in that order whatever the
        np.add(bp[0], bp[1], out=a2)  # layout (einsum's order and fused multiply-adds vary
        a2 += bp[2]  # with layout and platform); its root only where bursts are judged
        del bp
        if len(segments) == 1:
            if seg_start[0]:
                self._smooth.reset(0.0)
            env2 = self._smooth(a2)
        else:
            env2 = np.empty(m)
            for s, e in segments:
                if seg_start[s]:
                    self._smooth.reset(0.0)
                env2[s:e] = self._smooth(a2[s:e])
        env = new["env"]
        np.maximum(env2, 0.0, out=env2)
        np.sqrt(env2, out=env)
        del env2, a2
        floors, mins, counts = self._noise.update(env)
        self._add_windows(floors, mins, m)
        above = new["above"]
        greater_into(above, env, np.maximum(cfg.k_low * floors, cfg.abs_low_g), counts)
        gap_at = np.flatnonzero(newgap)
        for k in gap_at.tolist():
            self._gaps.append((float(xt[c + k - 1]), float(xt[c + k])))
        self.n_gaps += gap_at.shape[0]
        g_new = self.n_samples  # global index of the first new sample
        self._ctx.update(t, clean, above, lambda k: self._floor_at_global(g_new + k))
        self._last_clean = clean[:, -1].copy()
        self.n_samples += m
        self.n_glitches += np.count_nonzero(newbad)

    def _steps_buffer(self, n: int) -> np.ndarray:
        """A reused (3, n) scratch array for sample-to-sample steps (g)."""
        if self._steps.shape[1] < n:
            self._steps = np.empty((3, n))
        return self._steps[:, :n]

    def _add_windows(self, floors: np.ndarray, mins: np.ndarray, m: int) -> None:
        """Record the floors of the windows the new ``m`` samples touch; forget old ones."""
        w = self._noise.window
        keep = self.n_samples // w - self._w0  # the first value is for the open window
        self._w_floor = np.concatenate([self._w_floor[:keep], floors])
        self._w_min = np.concatenate([self._w_min[:keep], mins])
        first = (self.n_samples + m - self._b["t"].shape[0]) // w  # window of the buffer start
        if first > self._w0:
            self._w_floor = self._w_floor[first - self._w0 :]
            self._w_min = self._w_min[first - self._w0 :]
            self._w0 = first

    def _floor_at_global(self, g: np.ndarray | int) -> np.ndarray:
        """Noise floor (g) at global sample index ``g`` (processed samples only)."""
        return self._w_floor[g // self._noise.window - self._w0]

    def _window_index(self, i: np.ndarray | int) -> np.ndarray:
        """Index into the per-window arrays of feature-buffer sample ``i``."""
        g = self.n_samples - self._b["t"].shape[0] + i
        return g // self._noise.window - self._w0

    def _floor_at(self, i: np.ndarray | int) -> np.ndarray:
        """Noise floor (g) at feature-buffer sample ``i``."""
        return self._w_floor[self._window_index(i)]

    def _extend_buffer(self, m: int) -> dict[str, np.ndarray]:
        """Grow the feature buffer by ``m`` samples at its end; return views of them.

        The buffer lives in backing arrays with some room to spare, so small appends (live
        streams) copy the kept samples only now and then (moved to the front, or into larger
        arrays), not per call; memory stays that of the kept samples and one block.
        """
        b, st = self._b, self._store
        n0 = b["t"].shape[0]
        if self._end + m > st["t"].shape[0]:
            grow = n0 + m + BUFFER_SLACK // 2 > st["t"].shape[0]
            for f in _FIELDS:  # the kept samples to the front (of new arrays if too small)
                if grow:  # one field at a time, so the old arrays are freed as we go
                    v = np.empty(st[f].shape[:-1] + (n0 + m + BUFFER_SLACK,), st[f].dtype)
                    v[..., :n0] = b[f]
                    st[f] = v
                    b[f] = v[..., :n0]
                else:
                    st[f][..., :n0] = b[f]
            self._end = n0
        e = self._end
        for f in _FIELDS:
            b[f] = st[f][..., e - n0 : e + m]
        self._end = e + m
        return {f: b[f][..., n0:] for f in _FIELDS}

    def _find_bursts(self, final: bool) -> None:
        """Segment bursts in the feature buffer and judge those that are complete."""
        b = self._b
        n = b["t"].shape[0]
        if self._scan < n:
            s0 = self._scan
            env, k_high, abs_high = b["env"], self.cfg.k_high, self.cfg.abs_high_g
            groups, reach = bursts_from_runs(
                b["above"][s0:], b["brk"][s0:], self._merge_n,
                lambda i: env[s0 + i] > np.maximum(k_high * self._floor_at(s0 + i), abs_high),
            )
            t_last = b["t"][-1]
            for (s, e), hi in zip(groups + s0, reach, strict=True):
                closed = final or (n - e >= self._merge_n)
                if not hi:
                    if not closed:
                        break
                    self._scan = int(e)
                    continue
                if not (final or (closed and t_last - b["t"][e - 1] >= self.cfg.post_s)):
                    break
                self._judge_burst(int(s), int(e))
                self._scan = int(e)
            else:
                # No group is open: nothing before the last merge gap can join a later burst,
                # and a later burst's onset walk-back (walk_n) cannot reach further back than
                # this. Moving on keeps the horizon advancing and the buffer bounded through
                # long quiet stretches, and gives the same bursts for any split.
                self._scan = max(self._scan, n - self._merge_n - self._walk_n)
        self._complete_features(final)
        self._trim()

    def _judge_burst(self, s: int, e: int) -> None:
        b, cfg = self._b, self.cfg
        t = b["t"]
        lo = max(s - self._walk_n, self._scan)
        brk = np.flatnonzero(b["brk"][lo : s + 1]) if b["brk"][lo : s + 1].any() else ()
        if len(brk):
            lo = lo + int(brk[-1])
        amag = np.sqrt(b["a2"][lo:e])  # band-passed magnitude (g)
        low = np.maximum(cfg.k_low * self._floor_at(s), cfg.abs_low_g)
        below = np.flatnonzero(amag[: s - lo] < cfg.onset_fraction * low)
        on = lo + int(below[-1]) + 1 if below.size else lo
        seg = amag[on - lo :]
        i_peak = int(seg.argmax())
        peak = float(seg[i_peak])
        # the burst's core: onset to the last sample within core_fraction of the peak
        core_end = on + int(np.flatnonzero(seg >= cfg.core_fraction * peak)[-1])
        core2 = b["a2"][on : core_end + 1]  # squared band-passed magnitude (g^2)
        n_early = max(1, round(RISE_WINDOW_S * self.fs))
        total = float(core2.sum())
        onset, offset = float(t[on]), float(t[core_end])
        # a first look for the provisional judgement (measured again once orient_post_s
        # has passed, in _complete_features)
        orient = (self._orientation_change(onset, offset, offset + cfg.post_s)
                  if self._give_provisional else 0.0)
        near_gap = any(
            ta > onset - cfg.gap_blank_s and tb < offset + cfg.post_s for tb, ta in self._gaps
        )
        before = onset - 0.5
        w_on = self._window_index(on)
        cand = Candidate(
            onset=onset,
            offset=max(offset, onset + 1.0 / self.fs),
            peak_acc=peak,
            peak_jerk=self._peak_jerk(on, e),
            band_rate_hz=self._band_rate(on, e, peak),
            orientation_deg=orient,
            quiet_s=self._ctx.quiet_s(before),
            active_fraction=self._ctx.active_fraction_in(before - cfg.activity_window_s, before),
            sway_deg=self._ctx.median_wander_in(before - cfg.sway_window_s, before),
            near_gap=near_gap,
            since_jerk_s=onset - self._prov_cluster_onset,  # set anew for the final judgement
            floor_g=float(self._w_floor[w_on]),
            min_floor_g=float(self._w_min[w_on]),
            rise_s=i_peak / self.fs,
            early_energy=float(core2[:n_early].sum()) / total if total > 0 else 1.0,
        )
        if self._give_provisional:
            self._judge_with_lf(cand, offset + cfg.post_s)
            if opens_jerk_cluster(cand, cfg):
                self._prov_cluster_onset = onset
            self._provisional.append(self._event(cand))
        self._await.append(cand)

    def _orientation_change(self, onset: float, offset: float, until: float) -> float:
        """Angle (degrees) between the mean acceleration (gravity) before and after a burst.

        Before: ``PRE_ORIENT_S`` up to 50 ms before the onset; after: from 50 ms after the
        burst's end to ``until`` (s).
        """
        b = self._b
        t = b["t"]
        p0, p1 = t.searchsorted((onset - PRE_ORIENT_S, onset - 0.05), side="left").tolist()
        q0, q1 = t.searchsorted((offset + 0.05, until), side="right").tolist()
        if p1 > p0 and q1 > q0:
            raw = b["raw"]  # sum / count: what .mean() computes, without its overhead
            return angle_between_deg(raw[:, p0:p1].sum(axis=1) / (p1 - p0),
                                     raw[:, q0:q1].sum(axis=1) / (q1 - q0))
        return 0.0

    def _complete_features(self, final: bool) -> None:
        """Recompute slow features over ``long_post_s`` after each burst; fix base labels.

        The low-frequency content of a smooth movement (a PLM's hold and return, a reach)
        shows only after the fast part that triggered the burst, so the label a burst keeps is
        judged on a window reaching ``long_post_s`` past its end.
        """
        t = self._b["t"]
        t_last = float(t[-1]) if t.shape[0] else -np.inf
        while self._await:
            c = self._await[0]
            if not (final or t_last >= c.offset + self.cfg.long_post_s):
                break
            self._await.pop(0)
            c.orientation_deg = self._orientation_change(c.onset, c.offset,
                                                         c.offset + self.cfg.orient_post_s)
            c.lf_ratio = 0.0
            self._measure_lf(c, c.offset + self.cfg.long_post_s)
            self._await_ctx.append(c)
        cfg = self.cfg
        while self._await_ctx:
            c = self._await_ctx[0]
            if not (final or t_last >= c.offset + cfg.after_s):
                break
            self._await_ctx.pop(0)
            a0, a1 = c.offset + cfg.after_skip_s, c.offset + cfg.after_s
            c.active_after = self._ctx.active_fraction_in(a0, a1)
            fl = self._ctx.median_floor_in(a0, a1)
            c.floor_after_ratio = fl / c.min_floor_g if np.isfinite(fl) and c.min_floor_g > 0 \
                else 1.0
            c.since_jerk_s = c.onset - self._cluster_onset
            c.label, c.confidence = self._judge(c)
            c.base_label = c.label
            if opens_jerk_cluster(c, cfg):
                self._cluster_onset = c.onset
            self._cands.append(c)
            if self.judged is not None:
                self.judged.append(c)

    def _judge_with_lf(self, c: Candidate, until: float) -> None:
        """Measure the low-frequency content of ``c`` up to ``until`` (s), then judge it."""
        self._measure_lf(c, until)
        c.label, c.confidence = self._judge(c)

    def _measure_lf(self, c: Candidate, until: float) -> None:
        """Set ``c.lf_ratio`` from ``c.onset`` to ``until`` (s) where it can change the label
        (it is costly): always for the learned stage, else where the rules could call the
        burst a jerk."""
        label, _ = judge(c, self.cfg)
        learned = self._model is not None or self.judged is not None
        if label in LF_SENSITIVE or (learned and label not in RULE_FINAL):
            c.lf_ratio = self._lf_ratio(c.onset, until, c.peak_acc)

    def _judge(self, c: Candidate) -> tuple[str, float]:
        """Label and confidence of ``c``: the rules, then the learned stage if it is on."""
        if self._model is None:
            return judge(c, self.cfg)
        return judge_learned(c, self.cfg, self._model, self._ctx_cfg)

    def _lf_ratio(self, onset: float, until: float, peak: float) -> float:
        """Peak of the 0.2-2 Hz band over the burst, relative to its 1-20 Hz peak (ratio).

        A smooth movement (PLM, reach, sway) lives below ~2 Hz; an impulsive jerk has little
        there. The filter runs over a fixed window around the burst, started in steady state
        on its first sample, so the value does not depend on how the stream was split.
        """
        b = self._b
        t = b["t"]
        i0, i1 = t.searchsorted((onset - PRE_LF_S, until), side="right").tolist()
        k_on = int(t.searchsorted(onset))
        if self.cfg.lf_own_movement:
            i1 = self._next_burst_start(k_on, i1)
        brk = np.flatnonzero(b["brk"][i0 + 1:i1]) if b["brk"][i0 + 1:i1].any() else ()
        if len(brk):  # stay within the burst's own segment
            i0 = i0 + 1 + int(brk[-1]) if i0 + 1 + int(brk[-1]) <= k_on else i0
        if i1 - i0 < 16 or peak <= 0:
            return 0.0
        lf = b["raw"][:, i0:i1].copy()
        z = self._lf_zi[None, :, :] * lf[:, 0][:, None, None]  # steady state, per axis
        sosfilt_rows_inplace(self._lf_sos, lf, z)
        j0 = min(max(k_on - i0, 0), i1 - i0)  # first sample at or after the onset
        # max of sqrt == sqrt of max (monotone): one square root
        return float(np.sqrt(sq_norm(lf[:, j0:]).max()) / peak) if j0 < i1 - i0 else 0.0

    def _next_burst_start(self, k_on: int, i1: int) -> int:
        """Buffer index where the burst after the one with onset sample ``k_on`` begins.

        The same hysteresis segmentation as :meth:`_find_bursts` over ``k_on .. i1-1``: the
        first group that reaches the high threshold is the burst itself (a run below it may
        come first), the next one is the next burst. Its start depends only on the samples
        (``above``, the floors), not on how the stream was split. ``i1`` when no later burst
        both begins and reaches the high threshold before it.
        """
        b, cfg = self._b, self.cfg
        env = b["env"]
        k = second_burst_start(
            b["above"][k_on:i1], b["brk"][k_on:i1], self._merge_n,
            lambda i: env[k_on + i] > np.maximum(cfg.k_high * self._floor_at(k_on + i),
                                                 cfg.abs_high_g),
        )
        return i1 if k is None else k_on + k

    def _band_rate(self, on: int, e: int, peak: float) -> float:
        """Peak jerk below ``JERK_LOWPASS_HZ`` over ``on .. e-1``, over the burst's peak (1/s).

        For motion at one frequency f this is about 2 pi f; a broadband burst (an impact)
        gives more. The low-pass keeps the sensor's noise at high rates out of it, so the
        figure compares bursts across rates and parts (below ~2.5 x the cut-off rate, it is
        the plain first-difference jerk).
        """
        b = self._b
        lo = max(on - 1, 0)
        brk = np.flatnonzero(b["brk"][lo + 1 : e])
        if brk.size:  # only the part after the last break (gap or stream start)
            lo = lo + 1 + int(brk[-1])
        seg = b["raw"][:, lo:e]
        if seg.shape[1] < 2 or peak <= 0:
            return 0.0
        if self._jerk_lp is not None and seg.shape[1] > 3 * (2 * self._jerk_lp.shape[0] + 1):
            seg = signal.sosfiltfilt(self._jerk_lp, seg, axis=1)
        return float(np.sqrt(_peak_step_sq(seg))) * self.fs / peak

    def _peak_jerk(self, on: int, e: int) -> float:
        """Peak jerk magnitude (g/s) over buffer samples ``on .. e-1`` (first differences)."""
        b = self._b
        lo = max(on - 1, 0)
        if e - lo < 2:
            return 0.0
        # no step across a gap or into the stream's first sample
        return float(np.sqrt(_peak_step_sq(b["raw"][:, lo:e], b["brk"][lo + 1 : e])) * self.fs)

    def _horizon(self, final: bool) -> float:
        """Earliest onset (s) a burst not yet judged can have."""
        if final:
            return np.inf
        t = self._b["t"]
        if self._scan < t.shape[0]:
            h = float(t[self._scan])
        else:
            h = float(t[-1]) if t.shape[0] else -np.inf
        for waiting in (self._await, self._await_ctx):
            if waiting:
                h = min(h, waiting[0].onset)
        return h

    def _decide(self, final: bool) -> list[Event]:
        """Relabel train and series members; return events no future burst can change."""
        cfg = self.cfg
        horizon = self._horizon(final)
        cands = self._cands
        if not any(not c.decided for c in cands):
            return []
        members = [c for c in cands if c.base_label != "artifact"]
        on = np.array([c.onset for c in members])
        t_first, t_last = chain_bounds(on, cfg.train_min_interval_s, cfg.train_max_interval_s)
        pm = [c for c in members if c.base_label != "twitch"]
        pon = np.array([c.onset for c in pm])
        # the bursts of one leg movement (its start, its release) count as one movement
        lm, lm_first, lm_last, lm_span = leg_movements(
            pon, np.array([c.offset for c in pm]), cfg.plm_min_interval_s)
        lm_on = pon[lm_first]
        # a movement that is not a candidate leg movement (longer than 10 s, or a change of
        # posture: turning over, a large body movement) ends a PLM series and joins none
        # (WASM 2016)
        breaks = lm_span > PLM_MAX_DURATION_S
        np.logical_or.at(breaks, lm, np.array(
            [c.orientation_deg > cfg.max_orientation_change_deg for c in pm], dtype=bool))
        p_first, p_last = chain_bounds(lm_on, cfg.plm_min_interval_s, cfg.plm_max_interval_s,
                                       breaks)
        # a movement looks like a leg movement by its start (the release only echoes it)
        starts = [pm[f] for f in lm_first.tolist()]
        like = np.array([b.base_label == "movement" or b.duration >= cfg.plm_like_duration_s
                         for b in starts], dtype=float)
        # ... and one that starts with a brief, impulsive sleep start is no leg movement (a
        # leg movement lasts 0.5-10 s, AASM): its bursts keep their labels, and it still
        # links the series around it
        jerk_start = np.array([b.base_label == "hypnic_jerk"
                               and b.duration < cfg.plm_like_duration_s
                               and impulsiveness(b.lf_ratio, cfg) > 0
                               for b in starts], dtype=bool)
        plm_of = {id(c): int(lm[i]) for i, c in enumerate(pm) if not breaks[lm[i]]}
        # a movement is complete once no burst can join it (and make it a breaker)
        complete = lm_last + cfg.plm_min_interval_s <= horizon
        k = cfg.plm_window
        out: list[Event] = []
        for i, c in enumerate(members):
            if c.decided:
                continue
            size = t_last[i] - t_first[i] + 1
            train = size >= cfg.train_min_count
            chain_closed = on[t_last[i]] + cfg.train_max_interval_s < horizon
            if not (train or chain_closed):
                continue
            if train and cfg.train_max_interval_spread > 0:
                # a train is rhythmic: wait for the neighbours, then judge their intervals
                kt = cfg.train_window
                if not chain_closed and i + kt > t_last[i]:
                    continue
                lo, hi = max(t_first[i], i - kt), min(t_last[i], i + kt) + 1
                train = bool(np.std(np.log(np.diff(on[lo:hi])))
                             <= cfg.train_max_interval_spread)
            j = plm_of.get(id(c))
            plm = False
            if j is not None and not train:
                psize = p_last[j] - p_first[j] + 1
                closed = lm_last[p_last[j]] + cfg.plm_max_interval_s < horizon
                # the series' last movement counts only once it is complete
                if psize - (not complete[p_last[j]]) >= cfg.plm_min_count:
                    lo, hi = max(p_first[j], j - k), min(p_last[j], j + k) + 1
                    # wait for the neighbours, and until the last of them is complete
                    if not closed and (j + k > p_last[j] or not complete[hi - 1]):
                        continue
                    w = like[lo:hi]
                    spread = float(np.std(np.log(np.diff(lm_on[lo:hi])))) if hi - lo > 2 else 0.0
                    plm = bool(
                        w.mean() >= cfg.plm_min_like_fraction
                        and spread <= cfg.plm_max_interval_spread
                        and not jerk_start[j]
                    )
                    plm_conf = 0.5 + 0.5 * float(w.mean())
                elif not closed:
                    continue
            # confidences from what is fixed once decided (a train may grow afterwards)
            if train:
                c.label, c.confidence = "rhythmic", 0.8
            elif plm:
                c.label, c.confidence = "plm", plm_conf
            c.decided = True
            out.append(self._event(c))
        for c in cands:  # artifacts are final at once
            if not c.decided and c.base_label == "artifact":
                c.decided = True
                out.append(self._event(c))
        out.sort(key=lambda ev: ev.onset)
        undecided = [c.onset for c in self._cands if not c.decided]
        keep_after = min([horizon, *undecided]) - self._history_s
        self._cands = [c for c in cands if not c.decided or c.onset >= keep_after]
        self._gaps = [g for g in self._gaps if g[1] >= keep_after]
        return out

    def _trim(self) -> None:
        t = self._b["t"]
        n = t.shape[0]
        start = min(self._scan, n)
        if self._await:
            start = min(start, int(np.searchsorted(t, self._await[0].onset)))
        cut = max(0, start - self._keep_n)
        if cut > 0:
            for f in _FIELDS:
                self._b[f] = self._b[f][..., cut:]
            self._scan -= cut

    def _event(self, c: Candidate) -> Event:
        return Event(
            onset=c.onset,
            duration=c.duration,
            label=c.label,
            sensor=self.sensor,
            peak_acc=c.peak_acc,
            peak_jerk=c.peak_jerk,
            confidence=float(c.confidence),
        )


def detect(
    time: np.ndarray,
    acc: np.ndarray,
    fs: float,
    config: DetectorConfig | None = None,
    sensor: str = "wrist",
) -> list[Event]:
    """Detect events in a whole recording of one sensor (the stream fed as one block).

    Parameters
    ----------
    time : ndarray, shape (N,)
        Sample times (s).
    acc : ndarray, shape (N, 3)
        Acceleration (g).
    fs : float
        Sampling rate (Hz).
    config : DetectorConfig, optional
        Parameters.
    sensor : str
        Sensor name for the events.

    Returns
    -------
    list of Event
        Every burst with its label, sorted by onset.
    """
    det = StreamingDetector(fs, config, sensor, provisional=False)
    events = det.push(time, acc) + det.flush()
    return sorted(events, key=lambda e: e.onset)
