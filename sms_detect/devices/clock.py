"""Map a device's tick counter to host time, robust to bursty transport latency.

A frame leaves the device after its last sample was taken and reaches the host some
latency later, with latency >= 0 and occasionally large (USB, radio, scheduler bursts).
So ``arrival - device_time`` lies above a line ``offset + skew * device_time`` and touches it
when latency is smallest. :class:`ClockMapper` estimates that lower envelope: the minimum of
``arrival - device_time`` in each window (5 s growing to 60 s), a least-squares line through
those minima with one-sided rejection of windows spoiled by a latency burst, shifted down
under all kept minima. Any arrival below the line (impossible for the true mapping) lowers it
at once. The mapping actually applied follows the estimate with a bounded slew so that sample
times stay increasing: slowly when the estimate rises (``max_slew``), possibly faster when an
arrival has shown the mapping to be late (``max_catchup``; the first frame's latency, which
sets the anchor, is such an error), and continuously: within each frame the samples are
spread over the change, so a catch-up never puts a frame's first sample before the previous
frame's last. 32-bit tick wrap-around is unwrapped; :meth:`ClockMapper.reanchor` starts
afresh after a reconnect or a device restart, keeping the skew estimate.
"""

from __future__ import annotations

from collections import deque

import numpy as np


class ClockMapper:
    """Tick counter -> host time (s).

    Parameters
    ----------
    tick_hz : float
        Nominal tick frequency of the device counter (Hz).
    wrap_bits : int
        Width of the counter (it wraps at ``2**wrap_bits``).
    window_s : float
        Longest window (s of device time) whose minimum latency gives one envelope point.
    history_windows : int
        Number of most recent window minima used for the fit (60 x 60 s = 1 h).
    max_slew : float
        Largest rate (s per s) at which the applied mapping moves towards the estimate.
    max_catchup : float, optional
        Largest rate (s per s) at which the applied mapping moves *earlier* towards a lower
        estimate (an arrival, e.g. the second frame's, showed it late); sample intervals
        shrink by at most this fraction meanwhile. Below 0.5. Default: ``max_slew``.
    max_skew : float
        Largest believable rate difference of the two clocks (1e-3 = 1000 ppm).
    envelope_tol_s : float
        Window minima within this distance (s) of a candidate line support it.

    Notes
    -----
    ``host = device_s + offset + skew * device_s`` where ``device_s`` is the unwrapped tick
    count since the anchor divided by ``tick_hz``; between the two newest observations the
    mapping runs straight from where the older one's tick was put to where the newest one's
    is put (so it is continuous while the line moves).
    """

    def __init__(
        self,
        tick_hz: float,
        *,
        wrap_bits: int = 32,
        window_s: float = 60.0,
        history_windows: int = 60,
        max_slew: float = 0.02,
        max_catchup: float | None = None,
        max_skew: float = 1e-3,
        envelope_tol_s: float = 0.005,
    ) -> None:
        if tick_hz <= 0:
            raise ValueError("tick_hz must be positive")
        catchup = max_slew if max_catchup is None else max_catchup
        if not 0 <= catchup < 0.5:
            raise ValueError("max_catchup (default: max_slew) must be in [0, 0.5)")
        self.tick_hz = float(tick_hz)
        self.modulus = 1 << wrap_bits
        self.window_s = float(window_s)
        self.max_slew = float(max_slew)
        self.max_catchup = float(catchup)
        self.max_skew = float(max_skew)
        self.envelope_tol_s = float(envelope_tol_s)
        self._history: deque[tuple[float, float]] = deque(maxlen=history_windows)
        self._prior_skew = 0.0
        self.reanchor()

    # ------------------------------------------------------------------ state
    def reanchor(self) -> None:
        """Forget the offset and the envelope (after a reconnect or device restart).

        The skew estimate is kept as the starting slope: the crystal did not change.
        """
        if getattr(self, "_fitted", False):
            self._prior_skew = self.skew
        self._anchor: int | None = None  # raw tick at device_s = 0
        self._last_ext = 0  # unwrapped ticks since the anchor of the newest observation
        self._history.clear()
        self._win_start = 0.0
        self._win_min = (np.inf, 0.0)  # (offset, device_s)
        self._fitted = False
        self.offset = 0.0
        self.skew = self._prior_skew
        self._applied = (0.0, self._prior_skew)
        self._last_d = 0.0
        #: (d0, h0, d1, h1): device times of the two newest observations (d0 < d1) and the
        #: host times they are mapped to; ticks between them are mapped on that segment
        self._ramp: tuple[float, float, float, float] | None = None

    @property
    def anchored(self) -> bool:
        """True once an observation has fixed the origin of device time."""
        return self._anchor is not None

    @property
    def skew_ppm(self) -> float:
        """Estimated rate difference host vs device clock (parts per million)."""
        return self.skew * 1e6

    # ------------------------------------------------------------------ mapping
    def device_seconds(self, tick: int | np.ndarray) -> float | np.ndarray:
        """Unwrapped device time (s since the anchor) of raw tick(s) near the newest one.

        Parameters
        ----------
        tick : int or ndarray of int
            Raw counter value(s), modulo ``2**wrap_bits``; each is taken as the unwrapping
            nearest the newest observed tick.
        """
        return self._unwrap(tick) / self.tick_hz

    def _unwrap(self, tick: int | np.ndarray) -> int | np.ndarray:
        if self._anchor is None:
            raise RuntimeError("observe() a tick before mapping")
        m = self.modulus
        if isinstance(tick, int | np.integer):  # scalar fast path (once per frame)
            rel = ((int(tick) - self._anchor) % m - self._last_ext) % m
            return self._last_ext + (rel - m if rel >= m // 2 else rel)
        raw = (np.asarray(tick, dtype=np.int64) - self._anchor) % m
        rel = (raw - self._last_ext) % m
        rel = np.where(rel >= m // 2, rel - m, rel)
        return self._last_ext + rel

    def to_host(self, device_s: float | np.ndarray) -> float | np.ndarray:
        """Host time (s) of device time(s) ``device_s`` with the mapping now applied.

        Between the two newest observations: on the segment joining where they were put
        (continuous with what the previous frame was given); elsewhere on the applied line.
        """
        c, s = self._applied
        x = np.asarray(device_s, dtype=np.float64)
        host = x + c + s * x
        if self._ramp is not None:
            d0, h0, d1, h1 = self._ramp
            inside = (x >= d0) & (x < d1)
            if np.any(inside):
                host = np.where(inside, h0 + (x - d0) * (h1 - h0) / (d1 - d0), host)
        return float(host) if host.ndim == 0 else host

    def host_of_tick(self, tick: int | np.ndarray) -> float | np.ndarray:
        """Host time (s) of raw tick(s): ``to_host(device_seconds(tick))``."""
        return self.to_host(self.device_seconds(tick))

    # ------------------------------------------------------------------ updating
    def observe(self, tick: int, arrival: float) -> None:
        """Take one frame: raw tick of its last sample and its host arrival time (s).

        Parameters
        ----------
        tick : int
            Raw device counter (modulo ``2**wrap_bits``) when the frame's last sample was
            taken.
        arrival : float
            Host time (s) when the frame arrived (any monotonic host clock).
        """
        if self._anchor is None:
            self._anchor = int(tick) % self.modulus
            self._last_ext = 0
            d = 0.0
            self.offset = arrival
            self._applied = (arrival, self.skew)
            self._win_start = 0.0
            self._win_min = (arrival, 0.0)
            self._last_d = 0.0
            return
        ext = self._unwrap(int(tick))
        self._last_ext = max(self._last_ext, ext)
        d = ext / self.tick_hz
        d0 = self._last_d
        h0 = float(self.to_host(d0))  # where the previous observation's tick was put
        o = arrival - d
        # window of minima: short at first, growing to window_s
        win_len = min(self.window_s, max(5.0, d / 6.0))
        if d - self._win_start >= win_len:
            if np.isfinite(self._win_min[0]):
                self._history.append((self._win_min[1], self._win_min[0]))
                self._refit()
            self._win_start = d
            self._win_min = (o, d)
        elif o < self._win_min[0]:
            self._win_min = (o, d)
        # causality: the true line never lies above an observation
        below = o - (self.offset + self.skew * d)
        if below < 0:
            self.offset += below
        if d > d0:
            self._slew(d)
            c, s = self._applied
            self._ramp = (d0, h0, d, d + c + s * d)
        # else: an old or repeated frame; the envelope learns from it, the mapping applied
        # to later samples stays where it was (times keep increasing)

    def _refit(self) -> None:
        """Fit the envelope line through the window minima.

        Candidate slopes are the edges of the minima's lower convex hull (the lower envelope
        itself) plus the current slope; each candidate line is pushed under all minima and
        scored by how many minima lie within ``envelope_tol_s`` of it. Windows spoiled by a
        latency burst sit far above and support nothing, even when they are the majority of
        a short history. The winner is refined by least squares on its supporters.
        """
        pts = np.array(self._history)
        d, o = pts[:, 0], pts[:, 1]
        slopes = [self.skew]
        hull: list[int] = []
        for i in range(len(d)):  # lower hull, monotone chain (d is increasing)
            while len(hull) >= 2:
                a, b = hull[-2], hull[-1]
                if (d[b] - d[a]) * (o[i] - o[a]) - (o[b] - o[a]) * (d[i] - d[a]) <= 0:
                    hull.pop()
                else:
                    break
            hull.append(i)
        for a, b in zip(hull[:-1], hull[1:], strict=False):
            slope = (o[b] - o[a]) / (d[b] - d[a])
            if abs(slope) <= self.max_skew:
                slopes.append(float(slope))
        best: tuple[int, float, float] | None = None
        for slope in slopes:
            r = o - slope * d
            r -= r.min()
            support = int(np.count_nonzero(r <= self.envelope_tol_s))
            score = (support, -float(r[r <= self.envelope_tol_s].sum()))
            if best is None or score > best[:2]:
                best = (*score, slope)  # type: ignore[assignment]
        slope = best[2]
        r = o - slope * d
        inl = r - r.min() <= self.envelope_tol_s
        if inl.sum() >= 3 and np.ptp(d[inl]) > 0:
            fit = float(np.polyfit(d[inl], o[inl], 1)[0])
            if abs(fit) <= self.max_skew:
                slope = fit
        self.skew = slope
        self.offset = float(np.min(o - slope * d))
        self._fitted = len(pts) >= 3

    def _slew(self, d: float) -> None:
        c_a, s_a = self._applied
        now = c_a + s_a * d
        target = self.offset + self.skew * d
        elapsed = d - self._last_d  # > 0: called only for a newer observation
        # later: at most max_slew; earlier (the mapping was shown to be late): max_catchup
        delta = min(max(target - now, -self.max_catchup * elapsed), self.max_slew * elapsed)
        self._applied = (now + delta - self.skew * d, self.skew)
        self._last_d = d
