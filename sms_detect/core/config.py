"""Every parameter of the detector, in one typed, documented object.

The defaults come from the physiology of sleep starts and their confounders (see
``../shared/docs/science.md`` and the docstrings of the stage that uses each value).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import typing
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class DetectorConfig:
    """Detector parameters; all times in s, accelerations in g, frequencies in Hz.

    Attributes
    ----------
    band_low_hz, band_high_hz : float
        Band-pass edges (Hz). Limb transients of a myoclonic jerk lie mostly between ~1 and
        ~20 Hz; the upper edge is capped at ``band_high_frac`` x fs so the band stays valid at
        25 Hz.
    band_high_frac : float
        Highest allowed upper edge as a fraction of the sampling rate (0.4 fs at 25 Hz is 10 Hz).
    band_order : int
        Butterworth prototype order (the band-pass has twice this order).
    envelope_tau_s : float
        Time constant of the one-pole smoother of the squared band-passed magnitude (s).
    glitch_min_g : float
        A one- or two-sample excursion larger than this from its neighbours' line (g) ...
    glitch_ratio : float
        ... and this many times larger than the neighbours' own change is a glitch.
    gap_factor : float
        An interval longer than ``gap_factor / fs`` is a gap (filter state restarts there).
        Host time stamps of wireless sensors jitter by more than half a sample period, and a
        single lost sample barely disturbs the filter, so only longer holes count.
    gap_blank_s : float
        Bursts starting within this time after a gap, or within it before one, are artifacts.
    floor_window_s : float
        Length of one noise-floor window (s); the floor is updated once per window.
    floor_history_windows : int
        Number of past windows whose statistics feed the floor.
    floor_quantile : float
        Quantile (0..1) of the past windows' median envelopes taken as the noise floor.
    k_high, k_low : float
        Hysteresis thresholds as multiples of the noise floor.
    abs_high_g, abs_low_g : float
        Lower bounds of the hysteresis thresholds (g) on the envelope; the high one is the
        smallest envelope peak that becomes an event. The envelope (``envelope_tau_s``)
        smooths a brief burst's peak, so the high bound lies below ``min_jerk_peak_g`` (0.04
        against 0.05 g): every burst that can be a jerk is found, and the smaller ones
        (twitches) still count in the context of trains.
    merge_gap_s : float
        Bursts closer than this (s) are one burst.
    onset_fraction : float
        The onset is the last sample before the burst whose envelope is below this fraction of
        the low threshold.
    core_fraction : float
        A burst ends at its last sample whose band-passed magnitude is at least this fraction
        of its peak (so a strong jerk's long low tail does not lengthen it).
    post_s : float
        Time after a burst's end when its provisional label is given (orientation change
        judged up to then); small, for live alerts.
    orient_post_s : float
        Time after a burst's end up to which its orientation change is judged for the final
        label.
    long_post_s : float
        Time after a burst's end over which its low-frequency content is judged for the
        final label (a PLM's or a reach's slow part follows the fast onset).
    lf_own_movement : int
        1: end that window where the next burst begins (a return above the low threshold,
        after at least ``merge_gap_s`` below it or a gap in the data, that reaches the high
        one before the window ends): a movement that starts after the limb fell quiet
        again, such as the arousal that often follows a sleep start within a second or
        two, is its own burst and judged on its own, and its slow content is not the
        jerk's. 0: always the whole window (the learned stage was trained with 1, so with 0
        it is given a feature defined otherwise than in its training).
    after_skip_s, after_s : float
        Window after a burst's end, from ``after_skip_s`` to ``after_s`` (s), whose activity
        confirms sleep onset: a hypnic jerk is followed by stillness (perhaps after a brief
        arousal, skipped), a flick while awake by more activity. The final label waits
        for it; the provisional one does not. ``after_s = 0`` (the default) turns this off:
        on our simulated benchmark it traded as much recall as it gained precision.
    max_active_after : float
        Largest fraction of active epochs in the window after a hypnic jerk.
    max_floor_after_ratio : float
        Largest noise floor after a hypnic jerk, as a multiple of the lowest floor seen.
    min_jerk_peak_g : float
        Smallest band-passed peak of a hypnic jerk (g); smaller bursts are twitches.
        science.md puts the smallest sleep starts at a limb near 0.1 g; the 1-20 Hz band-pass
        and a sensor that one limb segment carries see somewhat less (a 0.1 g jerk reads
        ~0.085 g), while fragmentary myoclonus moves a limb by milli-g (2-30 mg). 0.05 g is
        the geometric mean of the largest twitch (0.03 g) and the smallest jerk's band-passed
        peak (0.085 g): the same factor (1.7) from each. It was 0.06 (twice the largest
        twitch); 0.05 with ``abs_high_g`` 0.04 found 2-7 more jerks on three of four sets of
        simulated nights (one fewer on the fourth) and one false positive fewer on each
        (tuning F1 0.846 -> 0.856).
    max_jerk_duration_s : float
        Longest burst (s) that can be a hypnic jerk: the EMG burst (75-250 ms, ICSD-3) and
        the limb's ringing until its band-passed magnitude stays under ``core_fraction`` of
        the peak. How long a limb rings depends on its joint, for which we found no figure
        at sleep onset. Jerks simulated on the simulator's joints (2.5-10 Hz) measure up to
        ~0.7 s; on relaxed joints of 1.5-6 Hz (``benchmarks/accuracy.py --jerk
        joint_hz=1.5,6``), 48 of the jerks missed on the benchmark's 2-h and tuning nights
        measured 0.7-1.8 s (median 0.80 s). The value is chosen from those measured
        lengths; it was 0.7. On those relaxed-joint nights 0.85 found 13 more jerks at 4 more
        false positives; on the default nights (four sets of seeds) 8 more at 6 more.
    min_band_rate_hz : float
        Smallest ``band_rate_hz`` of a jerk (1/s; 0: not used): smooth voluntary movements
        change more slowly.
    max_band_rate_hz : float
        Largest ``band_rate_hz`` of a hypnic jerk (1/s): the burst's peak jerk below 40 Hz
        over its 1-20 Hz peak, about 2 pi times its dominant frequency. A
        muscle-driven limb jerk moves at the limb's own dynamics (joints 2.5-10 Hz), while a
        knock (the limb striking the bed or the other limb: a contact of a few ms that sets
        strap and soft tissue ringing at 10-30 Hz) changes faster (label ``impact``).
        63 /s is 2 pi x 10 Hz. First differences cannot exceed ~2 fs, so at 25 Hz little
        can pass the limit: knocks and jerks are then told apart by context only.
    max_orientation_change_deg : float
        Largest change of the gravity direction (degrees) across a hypnic jerk.
    max_lf_ratio : float
        Largest ratio of a burst's 0.2-2 Hz peak to its 1-20 Hz peak for a jerk whose band
        rate is at most ``lf_ref_rate_hz`` (lower above it): smooth movements (PLM,
        reaching, sway) carry most of their energy below 2 Hz.
    lf_ref_rate_hz : float
        Above this band rate (1/s, see ``max_band_rate_hz``), the limit on the low-frequency
        ratio falls as ``max_lf_ratio * (lf_ref_rate_hz / rate) ** 2``; 0: a fixed limit.
        A brief burst's own spectral tail below 2 Hz shrinks as its dominant frequency
        rises, so a fast burst with much content there rides on a slow movement: the
        out-and-back of a voluntary flick, a PLM's hold. The reference and the square were
        set on the tuning nights.
    awake_floor_g : float
        A noise floor near or above this (g) is a cue of restless wake (micro-movements,
        phone use); 0 (the default): not used. A resting wrist or ankle sensor's 1-20 Hz
        floor is ~1-2 mg for MEMS noise densities of 90-300 ug/sqrt(Hz), so 2.5 mg works for
        quiet parts only: on simulated nights with twice that noise it called 10 % of the
        jerks restless. ``awake_sway_deg`` measures restlessness without depending on the
        sensor's noise and replaced it.
    awake_floor_ratio : float
        A noise floor near or above this multiple of the reference floor is a cue of
        restless wake. The reference is the lowest floor seen so far, but at least
        ``floor_ref_min_g``.
    floor_ref_min_g : float
        Lowest reference floor (g). A sensor whose noise is below its quantisation step
        (coarse LSB, low-noise part) outputs nearly constant values at rest, and its floor
        can fall to ~0; a ratio to that would call any later floor restless. MEMS parts have
        1-20 Hz vector noise of ~0.7-3 mg (90-400 ug/sqrt(Hz)): the reference is taken no
        lower than a quiet part's floor (1.5 mg).
    pre_still_s : float
        Stillness (s) expected before a jerk: no active epoch in this time (a shorter
        stillness is a cue of wake, see ``wake_evidence_limit``). Sleep starts come
        at the wake-sleep transition, after the wearer has lain still for a while (drowsy);
        a brief burst within seconds of a gross movement is most likely part of waking
        activity (a flick or a knock). 10 s is two context epochs.
    activity_window_s : float
        Look-back (s) over which recent activity is measured.
    max_active_fraction : float
        Largest fraction of active epochs in ``activity_window_s`` for a drowsy context.
    awake_sway_deg : float
        Postural sway (degrees) that marks a wearer awake: the median turn of the gravity
        direction from one 5-s epoch to the next over ``sway_window_s`` before a burst. The
        cue ramps from half this to 1.5 times it (0: not used). Lying still, breathing turns
        a limb by 0.05-0.4 degrees at 0.2-0.33 Hz, which a 5-s mean averages to a few
        hundredths; awake, postural shifts and fidgeting below the activity limit (10
        degrees) turn it by tenths of a degree. Unlike the noise floor, this does not depend
        on the sensor's noise (a 5-s mean varies by ~0.01 degrees at 300 ug/sqrt(Hz)).
    sway_window_s : float
        Look-back (s) over which the sway before a burst is measured.
    jerk_cluster_s : float
        A burst starting ``train_max_interval_s`` to this many s after the onset of a jerk
        that opened a sleep-onset cluster on this sensor is judged without the cues of wake
        (nor the long stillness of ``max_quiet_s``): a strong sleep start wakes the sleeper,
        who then falls asleep again (ICSD-3), so the movement of that brief arousal is not
        evidence that the sleeper is awake. A cluster is opened by a burst judged a hypnic
        jerk (its first label, before trains and series) with the cues of wake counted;
        jerks inside a cluster do not extend it, so one false jerk cannot exempt the bursts
        of a restless evening for more than this long. Closer than a rhythmic train's
        longest interval, a burst may be the train's next beat and gets no exemption. In a
        recording of several sensors the same window makes a one-arm jerk after a whole-body
        jerk keep its label without the one-sensor limit (``single_limb_limit``; see
        :func:`sms_detect.core.merge.in_cluster_alone`). 0 turns both off. On the tuning
        nights (seeds 5000-5111), with the other defaults of the time, 90 s gave F1 0.808
        and 0.26 false positives per hour against 0.784 and 0.24 with 0.
    wake_evidence_limit : float
        The cues of wake before a burst (stillness shorter than ``pre_still_s``, active
        fraction above ``max_active_fraction``, floor ratio above ``awake_floor_ratio``,
        floor above ``awake_floor_g`` and sway above ``awake_sway_deg``, the last two only
        when set) each ramp from 0 to 1 across a band around their limit (see
        :func:`sms_detect.core.classify.wake_evidence`); a burst whose summed evidence
        reaches this (> 0) is a ``wake_burst`` (three times this for a purely impulsive burst, see
        ``impulsive_lf_ratio``). One cue well past its limit is
        enough, and so are two moderate ones: each cue alone is a noisy proxy of
        wakefulness (epochs are 5 s long, floors fluctuate), so a hard limit on each one
        both passes bursts amid several weak signs of wake and rejects jerks that touch
        one limit by chance. On the tuning nights (seeds 5000-5111), before the sway cue
        existed, this kept 10 more jerks than the hard limits at the same number of false
        positives.
    impulsive_lf_ratio : float
        A burst whose low-frequency ratio (see ``max_lf_ratio``) is at most this is purely
        impulsive: it needs three times ``wake_evidence_limit`` of wake evidence before it (the
        cues after it, ``max_active_after`` and ``max_floor_after_ratio``, are unchanged) to be
        a ``wake_burst``, and three times ``max_quiet_s`` to be a ``sleep_burst``; both fall
        back linearly to their own value at twice this ratio. 0: off. A sleep start is
        involuntary, a brief myoclonic burst with nothing slow in it, whereas the movements of
        wake (a flick, a reach, a scratch) are planned and carry slow components (minimum-jerk
        profiles, Flash and Hogan 1985, J Neurosci 5:1688), and so does a PLM in established
        sleep (its hold); so for a burst with none, the cues of wake and of deep sleep weigh
        less. On the tuning nights, with the other defaults of the time: F1 0.844 and 0.23
        false positives per hour against 0.827 and 0.20 with 0. The wake evidence was first
        doubled, not tripled: on the 2-h tuning nights 388 jerks found and 49 false
        positives, now 395 and 51 (four times: 396 and 52); on seeds 7000-7041, 144 and 18,
        now 147 and 18. A jerk's confidence is at least ``0.5 + 0.5 x`` its impulsiveness (1
        at this ratio or less, 0 from twice it), so a purely impulsive one-limb jerk passes
        ``single_limb_min_confidence`` (rules alone; with the learned stage a jerk's
        confidence is the trees' probability, held to ``jerk_model_single_limb_p``).
    epoch_s : float
        Context epoch length (s), as in van Hees et al. 2018 (5 s).
    epoch_angle_deg : float
        An epoch whose arm z-angle changed more than this (degrees) is active (van Hees 2015).
    epoch_active_fraction : float
        An epoch with more than this fraction of samples above the low threshold is active.
    train_min_count : int
        Bursts in a rhythmic train (>= 4: HFT, ALMA, rhythmic movement).
    train_min_interval_s, train_max_interval_s : float
        Burst-to-burst interval of a rhythmic train (0.3-4 Hz).
    train_max_interval_spread : float
        Largest standard deviation of the log onset-to-onset intervals among a member of a
        chain and its ``train_window`` neighbours on each side for a rhythmic train: the
        trains are rhythmic (a tremor or rocking repeats at its own rate), while a sleep
        start and the fragments of the arousal movement after it come at uneven intervals.
        A beat missed now and then (intervals of one and two periods) gives up to ~0.35.
        0: any chain of ``train_min_count`` is a train.
    train_window : int
        See ``train_max_interval_spread``.
    plm_min_count : int
        Movements in a PLM series (AASM: >= 4).
    plm_min_interval_s, plm_max_interval_s : float
        Onset-to-onset interval of a PLM series (AASM 5-90 s). A burst that changes the
        posture by more than ``max_orientation_change_deg`` (turning over) ends a series
        and joins none: it is a large body movement, not a candidate leg movement (WASM
        2016, Ferri et al., Sleep Med 26:86). Before this, turns and the arousals after a
        cluster of sleep starts chained the jerks into a "series"; on the tuning nights
        (seeds 5000-5111) F1 went from 0.787 to 0.792 and false positives from 0.33 to
        0.34 per hour, the same for limits of 15-40 degrees. Bursts less than
        ``plm_min_interval_s`` apart are one leg movement (its start and its release, see
        :func:`sms_detect.core.series.leg_movements`), which looks like a leg movement or
        not by its first burst, and is a breaker when any burst of it is or when it lasts
        over 10 s. Before this, the release broke the series (tuning nights: F1 0.844 and
        0.23 false positives per hour, now 0.846 and 0.22).
    plm_min_duration_s : float
        Shortest PLM (AASM 0.5 s).
    plm_window : int
        A member of a series is a PLM when, among it and up to this many neighbours on each
        side in the series, at least ``plm_min_like_fraction`` look like leg movements
        (>= ``plm_like_duration_s`` or smooth): a cluster of brief jerks at sleep onset
        spaced like a series is not a PLM series. A movement whose first burst is a
        ``hypnic_jerk`` that is brief (under ``plm_like_duration_s``) and impulsive
        (lf_ratio under twice ``impulsive_lf_ratio``) is no leg movement (AASM: a leg
        movement lasts 0.5-10 s): it links the series, but its bursts keep their own labels
        (a sleep start amid PLMs, and its arousal). Before this, they were PLMs (2-h tuning
        nights TP 387 / FP 48, now 388 / 49; the benchmark's 2-h nights 231 / 12, now
        235 / 12).
    plm_min_like_fraction : float
        See ``plm_window``.
    plm_max_interval_spread : float
        Largest standard deviation of the log onset-to-onset intervals among a member and
        its ``plm_window`` neighbours for a PLM: PLM series are periodic (intervals cluster
        around a period of ~15-40 s, Ferri et al. 2006, Sleep 29:759), while movements of a
        restless drowsy wearer come at random (Poisson intervals: spread ~1.3).
    plm_like_duration_s : float
        A series member at least this long (s) looks like a leg movement (see
        ``plm_window``); brief jerks are shorter.
    max_quiet_s : float
        Longest stillness (s) before a hypnic jerk: a jerk-like burst after this long
        without movement falls in established sleep, not at sleep onset (label
        ``sleep_burst``). Actigraphy scores sleep from 5 min without a change of arm angle
        over 5 degrees (van Hees et al. 2015, PLoS One 10:e0142533); 10 min, twice that,
        leaves room for a slow transition. Lowered from 30 min: on the tuning nights (seeds
        5000-5111) false positives fell from 0.34 to 0.25 per hour (PLM in N2 after long
        stillness) for 6 of 370 jerks lost. A purely impulsive burst gets up to three times
        this (see ``impulsive_lf_ratio``); a burst in a sleep-onset cluster
        (``jerk_cluster_s``) is not held to it: on the validation nights of the learned stage
        (seeds 6000-6083, default, slow-joint and long-burst kinetics) this found 1 more jerk
        on each and no false positive (rules alone: 1 more jerk, 1 more false positive).
    merge_sensor_tol_s : float
        Onsets on two sensors closer than this (s) are one whole-body event.
    single_limb_min_confidence : float
        In a recording of several sensors, a hypnic jerk seen by one sensor only needs at
        least this confidence (0..1), else it is labelled ``limb_jerk``: most whole-body jerks
        reach both limbs, a hand's flick only one; 0 turns this off. Not needed by a one-arm
        jerk in the cluster of a whole-body jerk (``jerk_cluster_s``). 0.93 since the two
        rules on slow content (``lf_ref_rate_hz``, ``impulsive_lf_ratio``) removed part of
        the flicks it was there for; it was 0.95. A purely impulsive burst (see
        ``impulsive_lf_ratio``) reaches it whatever its other margins: on the tuning and
        benchmark nights this kept 7 more one-limb jerks and no other burst. With the
        learned stage (``jerk_model`` 1) a jerk's confidence is the trees' probability,
        on another scale, and ``jerk_model_single_limb_p`` takes this one's place.
    jerk_model : int
        1: the learned stage (:mod:`sms_detect.core.learned`) decides, from all of a burst's
        features together, whether a burst the rules do not settle (artifact, twitch, impact)
        is a hypnic jerk; 0: the rules alone decide.
    jerk_model_min_p : float
        Smallest probability (0..1) of the learned stage that makes a burst a hypnic jerk.
    jerk_model_single_limb_p : float
        With the learned stage, the smallest probability (0..1) of a hypnic jerk seen by one
        sensor of several (else ``limb_jerk``; see ``single_limb_min_confidence``, which
        applies to the rules alone).
    jerk_model_context : float
        The rules' context cues overrule the learned stage at this many times their limits
        (``wake_evidence_limit``, ``max_quiet_s``, ``max_active_after``,
        ``max_floor_after_ratio``); 0: never. With an earlier model, 1 (the rules' own
        limits) cost 27 and 35 of 422 jerks and removed 2 false positives on each of two
        validation sets (seeds 6000-6083, default and slow-joint kinetics; see Notes).

    Notes
    -----
    The learned stage's operating point (``jerk_model_min_p`` 0.35,
    ``jerk_model_single_limb_p`` 0.85, ``jerk_model_context`` 3) was chosen on validation
    nights apart from the training and benchmark seeds: seeds 6000-6083 with default,
    slow-joint (1.5-6 Hz) and long-burst (110-375 ms) kinetics, and seeds 7000-7041 (default,
    less damped, slow joints with long bursts, stiff joints, stiff strap) and 8000-8041.
    Against the earlier 0.5, 0.93 and 2 it found 57 more jerks for 26 more false positives
    over the nine sets (at most 0.10 false positives per hour on any set) and raised F1
    on every set but one (0.960 on both). On four of the sets, each of the three alone found
    0-6 more jerks for 0-3 more false positives per set; lower still (0.25, 0.75, no veto)
    changed at most 4 jerks and 1 false positive per set there.
    """

    band_low_hz: float = 1.0
    band_high_hz: float = 20.0
    band_high_frac: float = 0.4
    band_order: int = 2
    envelope_tau_s: float = 0.03
    glitch_min_g: float = 0.5
    glitch_ratio: float = 4.0
    gap_factor: float = 2.5
    gap_blank_s: float = 1.0
    floor_window_s: float = 1.0
    floor_history_windows: int = 60
    floor_quantile: float = 0.2
    k_high: float = 8.0
    k_low: float = 4.0
    abs_high_g: float = 0.04
    abs_low_g: float = 0.02
    merge_gap_s: float = 0.15
    onset_fraction: float = 0.5
    core_fraction: float = 0.15
    post_s: float = 0.1
    orient_post_s: float = 0.3
    long_post_s: float = 1.5
    lf_own_movement: int = 1
    after_skip_s: float = 15.0
    after_s: float = 0.0
    max_active_after: float = 1.0
    max_floor_after_ratio: float = 1e9
    min_jerk_peak_g: float = 0.05
    max_jerk_duration_s: float = 0.85
    min_band_rate_hz: float = 0.0
    max_band_rate_hz: float = 63.0
    max_orientation_change_deg: float = 25.0
    max_lf_ratio: float = 0.45
    lf_ref_rate_hz: float = 35.0
    awake_floor_g: float = 0.0
    awake_floor_ratio: float = 1.25
    floor_ref_min_g: float = 0.0015
    pre_still_s: float = 10.0
    wake_evidence_limit: float = 0.8
    impulsive_lf_ratio: float = 0.125
    awake_sway_deg: float = 0.2
    sway_window_s: float = 60.0
    jerk_cluster_s: float = 90.0
    activity_window_s: float = 300.0
    max_active_fraction: float = 0.15
    epoch_s: float = 5.0
    epoch_angle_deg: float = 10.0
    epoch_active_fraction: float = 0.3
    train_min_count: int = 4
    train_min_interval_s: float = 0.25
    train_max_interval_s: float = 3.5
    train_max_interval_spread: float = 0.5
    train_window: int = 4
    plm_min_count: int = 4
    plm_min_interval_s: float = 5.0
    plm_max_interval_s: float = 90.0
    plm_min_duration_s: float = 0.5
    plm_like_duration_s: float = 0.6
    plm_window: int = 4
    plm_min_like_fraction: float = 0.6
    plm_max_interval_spread: float = 0.5
    max_quiet_s: float = 600.0
    merge_sensor_tol_s: float = 0.1
    single_limb_min_confidence: float = 0.93
    jerk_model: int = 1
    jerk_model_min_p: float = 0.35
    jerk_model_single_limb_p: float = 0.85
    jerk_model_context: float = 3.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"parameter {f.name} must be a number, got {value!r}")
            if value != value or value < 0:
                raise ValueError(f"parameter {f.name} must be >= 0, got {value!r}")
        if not 0 < self.floor_quantile < 1:
            raise ValueError("parameter floor_quantile must be in (0, 1)")
        if self.band_low_hz <= 0 or self.band_low_hz >= self.band_high_hz:
            raise ValueError("band_low_hz must be > 0 and below band_high_hz")
        if self.k_low > self.k_high or self.abs_low_g > self.abs_high_g:
            raise ValueError("the low hysteresis threshold must not exceed the high one")
        if self.wake_evidence_limit <= 0:
            raise ValueError("parameter wake_evidence_limit must be > 0")
        if self.floor_history_windows < 1 or self.band_order < 1:
            raise ValueError("floor_history_windows and band_order must be >= 1")
        if self.jerk_model not in (0, 1):
            raise ValueError("parameter jerk_model must be 0 (rules only) or 1 (learned stage)")
        if self.lf_own_movement not in (0, 1):
            raise ValueError("parameter lf_own_movement must be 0 or 1")
        for name in _int_fields():
            value = getattr(self, name)
            if not isinstance(value, int):
                if not float(value).is_integer():
                    raise ValueError(f"parameter {name} must be a whole number, got {value!r}")
                object.__setattr__(self, name, int(value))  # 4.0 -> 4: used as an index
        if self.train_window < 1:
            raise ValueError("parameter train_window must be >= 1")
        for name in ("jerk_model_min_p", "jerk_model_single_limb_p"):
            if getattr(self, name) > 1:
                raise ValueError(f"parameter {name} must be <= 1")

    @property
    def single_limb_limit(self) -> float:
        """Smallest confidence (0..1) of a hypnic jerk seen by one sensor of several.

        ``jerk_model_single_limb_p`` with the learned stage on (a jerk's confidence is then
        the trees' probability), else ``single_limb_min_confidence``.
        """
        return self.jerk_model_single_limb_p if self.jerk_model else \
            self.single_limb_min_confidence

    def to_dict(self) -> dict[str, float | int]:
        """Return every parameter as a plain dict (for the ``params`` JSON attribute)."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """Return every parameter as JSON (sorted keys)."""
        return json.dumps(self.to_dict(), sort_keys=True)

    def with_overrides(self, overrides: dict[str, object]) -> DetectorConfig:
        """Return a copy with some parameters replaced.

        Parameters
        ----------
        overrides : dict
            Parameter name to value; values may be strings (from the CLI), converted to the
            parameter's type.

        Raises
        ------
        ValueError
            For an unknown name or a value that does not convert.
        """
        hints = typing.get_type_hints(DetectorConfig)
        known = {f.name for f in fields(self)}
        converted: dict[str, object] = {}
        for name, raw in overrides.items():
            if name not in known:
                raise ValueError(f"unknown detector parameter {name!r}")
            typ = hints[name]
            try:
                if typ is int:
                    value: object = int(raw) if not isinstance(raw, float) else raw
                    if isinstance(value, float):
                        if not value.is_integer():
                            raise ValueError
                        value = int(value)
                else:
                    value = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise ValueError(f"parameter {name} needs a {typ.__name__}, got {raw!r}") from None
            converted[name] = value
        return dataclasses.replace(self, **converted)


@functools.cache
def _int_fields() -> tuple[str, ...]:
    """Names of the whole-number parameters (read from the type hints once)."""
    hints = typing.get_type_hints(DetectorConfig)
    return tuple(f.name for f in fields(DetectorConfig) if hints[f.name] is int)
