"""Band-pass and smoothing filters whose state is carried across blocks.

Every filter here runs sample by sample inside scipy's compiled loops (``sosfilt`` /
``lfilter``), so feeding a signal in any split into blocks, with the state carried, gives
bit-identical output to one pass over the whole signal.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import signal

try:  # the compiled loop behind scipy.signal.sosfilt, without its per-call copies
    from scipy.signal._sosfilt import _sosfilt as _sosfilt_compiled
except ImportError:  # pragma: no cover - other scipy layouts: the public function
    _sosfilt_compiled = None


def _private_loop_agrees() -> bool:
    """Whether scipy's private loop still behaves as the public ``sosfilt`` (a private API
    may change between releases: then the public function is used)."""
    if _sosfilt_compiled is None:
        return False
    try:
        sos = signal.butter(2, [0.1, 0.3], btype="bandpass", output="sos")
        x = np.sin(np.arange(2 * 64, dtype=float)).reshape(2, 64)
        want = signal.sosfilt(sos, x, axis=-1)
        y = x.copy()
        _sosfilt_compiled(sos, y, np.zeros((2, sos.shape[0], 2)))
        return bool(np.array_equal(y, want))
    except Exception:  # pragma: no cover - any change of signature or behaviour
        return False


if not _private_loop_agrees():  # pragma: no cover
    _sosfilt_compiled = None


def sosfilt_rows_inplace(sos: np.ndarray, x: np.ndarray, z: np.ndarray) -> None:
    """Filter each row of ``x`` in place, continuing from (and updating) the state ``z``.

    Bit-identical to ``scipy.signal.sosfilt`` (the same compiled loop) but without its
    validation and copies, which dominate the cost for short blocks.

    Parameters
    ----------
    sos : ndarray, shape (n_sections, 6), float64, C-contiguous
        Filter sections.
    x : ndarray, shape (C, N), float64
        Signals in rows (fastest with contiguous rows, any row stride).
    z : ndarray, shape (C, n_sections, 2), float64, C-contiguous
        Filter state per row (scipy's internal layout); updated in place.
    """
    if x.shape[1] == 0:
        return
    if _sosfilt_compiled is not None:
        if x.flags.c_contiguous:
            _sosfilt_compiled(sos, x, z)
        elif x.strides[1] == x.itemsize:  # contiguous rows: one call per row
            for k in range(x.shape[0]):
                _sosfilt_compiled(sos, x[k : k + 1], z[k : k + 1])
        else:
            y = np.ascontiguousarray(x)
            _sosfilt_compiled(sos, y, z)
            x[...] = y
        return
    y, zf = signal.sosfilt(sos, x, axis=-1, zi=z.transpose(1, 0, 2))  # pragma: no cover
    x[...] = y  # pragma: no cover
    z[...] = zf.transpose(1, 0, 2)  # pragma: no cover


def band_edges(fs: float, low_hz: float, high_hz: float, high_frac: float) -> tuple[float, float]:
    """Return band-pass edges (Hz) valid at sampling rate ``fs`` (Hz).

    The upper edge is capped at ``high_frac * fs`` (below Nyquist), so a 1-20 Hz band becomes
    1-10 Hz at 25 Hz.

    Raises
    ------
    ValueError
        If the rate is too low for the band.
    """
    high = min(high_hz, high_frac * fs)
    if high <= low_hz * 1.5:
        raise ValueError(f"sampling rate {fs:g} Hz is too low for a band from {low_hz:g} Hz")
    return low_hz, high


def design_bandpass(fs: float, low_hz: float, high_hz: float, order: int) -> np.ndarray:
    """Design a Butterworth band-pass as second-order sections.

    Parameters
    ----------
    fs : float
        Sampling rate (Hz).
    low_hz, high_hz : float
        Band edges (Hz), already valid for ``fs`` (see :func:`band_edges`).
    order : int
        Prototype order; the band-pass has ``order`` sections (order ``2 * order``).

    Returns
    -------
    ndarray, shape (order, 6)
        SOS coefficients for :func:`scipy.signal.sosfilt` (a fresh copy of a cached design:
        scipy's design takes about a millisecond, and every detector needs several).
    """
    return _butter(order, (float(low_hz), float(high_hz)), "bandpass", float(fs)).copy()


def design_lowpass(fs: float, cutoff_hz: float, order: int) -> np.ndarray:
    """Design a Butterworth low-pass (cut-off ``cutoff_hz`` Hz at rate ``fs`` Hz) as SOS."""
    return _butter(order, float(cutoff_hz), "lowpass", float(fs)).copy()


def unit_step_state(sos: np.ndarray) -> np.ndarray:
    """:func:`scipy.signal.sosfilt_zi` of ``sos``: the state (n_sections, 2) after a long
    run of 1s (a fresh copy; the design's states are cached)."""
    sos = np.ascontiguousarray(sos, dtype=float)
    return _zi(sos.tobytes(), sos.shape[0]).copy()


@functools.lru_cache(maxsize=64)
def _butter(order: int, edges, btype: str, fs: float) -> np.ndarray:
    sos = signal.butter(order, edges, btype=btype, fs=fs, output="sos")
    sos.flags.writeable = False
    return sos


@functools.lru_cache(maxsize=64)
def _zi(sos_bytes: bytes, n_sections: int) -> np.ndarray:
    zi = signal.sosfilt_zi(np.frombuffer(sos_bytes).reshape(n_sections, 6))
    zi.flags.writeable = False
    return zi


class SosFilter:
    """A multi-channel SOS filter with state carried across blocks (channels in rows).

    Parameters
    ----------
    sos : ndarray, shape (n_sections, 6)
        Filter sections.
    channels : int
        Number of channels (columns of the input).
    """

    def __init__(self, sos: np.ndarray, channels: int) -> None:
        self.sos = np.ascontiguousarray(sos, dtype=float)
        self.channels = channels
        self._zi_unit = unit_step_state(self.sos)  # (n_sections, 2) for a unit step
        self._z: np.ndarray | None = None  # (channels, n_sections, 2), C-contiguous

    @property
    def zi(self) -> np.ndarray | None:
        """Carried state in ``scipy.signal.sosfilt`` layout (n_sections, channels, 2)."""
        return None if self._z is None else self._z.transpose(1, 0, 2).copy()

    def reset(self, first: np.ndarray) -> None:
        """Restart the state as if the input had always equalled ``first`` (shape (channels,)).

        For a band-pass this makes a constant input (gravity) give zero output at once, so a
        restart after a gap causes no step transient.
        """
        zi = self._zi_unit[:, None, :] * np.asarray(first, dtype=float)[None, :, None]
        self._z = np.ascontiguousarray(zi.transpose(1, 0, 2))

    def __call__(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Filter ``x`` (shape (channels, N)) continuing from the carried state.

        ``out`` (float64, same shape) receives the result if given; it may
        be ``x`` itself (filtered in place).
        """
        if x.shape[1] == 0:
            return np.empty_like(x, dtype=float)
        if self._z is None:
            self.reset(x[:, 0])
        if out is None:
            out = np.array(x, dtype=float, order="C")
        elif out is not x:
            out[...] = x
        sosfilt_rows_inplace(self.sos, out, self._z)
        return out


class OnePole:
    """First-order low-pass smoother ``y[n] = a*y[n-1] + (1-a)*x[n]`` with carried state.

    Parameters
    ----------
    tau_s : float
        Time constant (s).
    fs : float
        Sampling rate (Hz).
    """

    def __init__(self, tau_s: float, fs: float) -> None:
        a = float(np.exp(-1.0 / (tau_s * fs))) if tau_s > 0 else 0.0
        self.b = np.array([1.0 - a])
        self.a = np.array([1.0, -a])
        self.zi: np.ndarray | None = None

    def reset(self, first: float) -> None:
        """Restart the state at the steady value ``first``."""
        self.zi = np.array([self.a[1] * -first])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Smooth the 1-D signal ``x``, continuing from the carried state."""
        if x.shape[0] == 0:
            return np.empty(0)
        if self.zi is None:
            self.reset(float(x[0]))
        y, self.zi = signal.lfilter(self.b, self.a, x, zi=self.zi)
        return y
