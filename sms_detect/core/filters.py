"""Band-pass and smoothing filters whose state is carried across blocks.

Every filter here runs sample by sample inside scipy's compiled loops (``sosfilt`` /
``lfilter``), so feeding a signal in any split into blocks, with the state carried, gives
bit-identical output to one pass over the whole signal.
"""

from __future__ import annotations

import numpy as np
from scipy import signal


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
        SOS coefficients for :func:`scipy.signal.sosfilt`.
    """
    return signal.butter(order, [low_hz, high_hz], btype="bandpass", fs=fs, output="sos")


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
        self.sos = sos
        self.channels = channels
        self._zi_unit = signal.sosfilt_zi(sos)  # (n_sections, 2) for a unit step
        self.zi: np.ndarray | None = None

    def reset(self, first: np.ndarray) -> None:
        """Restart the state as if the input had always equalled ``first`` (shape (channels,)).

        For a band-pass this makes a constant input (gravity) give zero output at once, so a
        restart after a gap causes no step transient.
        """
        self.zi = self._zi_unit[:, None, :] * np.asarray(first, dtype=float)[None, :, None]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Filter ``x`` (shape (channels, N)) continuing from the carried state."""
        if x.shape[1] == 0:
            return np.empty_like(x, dtype=float)
        if self.zi is None:
            self.reset(x[:, 0])
        y, self.zi = signal.sosfilt(self.sos, x, axis=-1, zi=self.zi)
        return y


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
