"""The firmware's sampling loop under CPython with a simulated MicroPython clock and IMU.

The clock and IMU are simulated (no board here): the clock imitates MicroPython's
``ticks_us`` (wrapping at 2**30), ``ticks_add``, ``ticks_diff`` and ``sleep_us``; the IMU
returns a counter so every sample can be traced through the frames to the host decoder.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np

from firmware_bridge.firmware import smsproto
from sms_detect.devices import wire

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "firmware_bridge" / "firmware"))
import sampler  # noqa: E402  (imported flat, as on the board)

PERIOD = 2**30


class SimClock:
    """MicroPython-like microsecond clock; ``stall`` maps a read number to extra us."""

    def __init__(self, start: int) -> None:
        self.t = start

    def ticks_us(self) -> int:
        return self.t % PERIOD

    def ticks_add(self, a: int, d: int) -> int:
        return (a + d) % PERIOD

    def ticks_diff(self, a: int, b: int) -> int:
        return ((a - b + PERIOD // 2) % PERIOD) - PERIOD // 2

    def sleep_us(self, us: int) -> None:
        self.t += us


class CounterIMU:
    """Sample k reads (k, -k, 1000 + k) counts; some reads take long (a GC pause)."""

    def __init__(self, clock: SimClock, stalls: dict[int, int]) -> None:
        self.clock = clock
        self.k = 0
        self.stalls = stalls

    def read_into(self, buf) -> None:
        buf[:] = struct.pack("<3h", self.k % 30000, -(self.k % 30000), 1000 + self.k % 20000)
        self.clock.t += 150 + self.stalls.get(self.k, 0)  # I2C transfer time
        self.k += 1


def run(n_samples: int, stalls: dict[int, int], rate: float = 100.0, spf: int = 5):
    clock = SimClock(PERIOD - 2_000_000)  # the port's counter wraps 2 s in
    dev = CounterIMU(clock, stalls)
    out = bytearray()
    enc = smsproto.Encoder(1_000_000, rate, 8)
    overflow = sampler.run_loop(
        dev, enc, clock, out.extend, rate, spf, (0xABCD, "sim", "id", "fw", "imu"),
        battery_mv=lambda: 3900, status_every_s=3, hello_every_s=2, max_samples=n_samples,
    )  # fmt: skip
    dec = wire.StreamDecoder()
    frames = dec.feed(bytes(out))
    assert dec.stats.crc_errors == dec.stats.bad_frames == 0
    return frames, overflow


def test_steady_loop_frames_are_contiguous_and_timed() -> None:
    frames, overflow = run(2000, {})
    assert overflow == 0
    assert isinstance(frames[0], wire.HelloFrame) and frames[0].boot_id == 0xABCD
    samples = [f for f in frames if isinstance(f, wire.SampleFrame)]
    assert sum(f.n for f in samples) == 2000 and all(f.n == 5 for f in samples)
    idx = np.array([f.sample_index for f in samples])
    np.testing.assert_array_equal(idx, np.arange(0, 2000, 5))
    ticks = np.array([f.tick for f in samples], dtype=np.int64)
    ext = np.concatenate([[0], np.cumsum(np.diff(ticks) % 2**32)])
    np.testing.assert_allclose(ext, idx * 10_000, atol=2)  # exactly on schedule
    counts = np.concatenate([f.counts for f in samples])
    np.testing.assert_array_equal(counts[:, 0], np.arange(2000))
    hellos = [f for f in frames if isinstance(f, wire.HelloFrame)]
    status = [f for f in frames if isinstance(f, wire.StatusFrame)]
    assert len(hellos) == 1 + 9 and len(status) == 6  # 20 s: hello every 2 s, status every 3 s
    assert status[0].battery_mv == 3900
    seqs = [f.seq for f in frames]
    assert seqs == list(range(len(frames)))


def test_a_stall_skips_samples_and_says_so() -> None:
    frames, overflow = run(1000, {137: 55_000})  # 55 ms pause during read 137
    samples = [f for f in frames if isinstance(f, wire.SampleFrame)]
    assert overflow == 4  # due times 138..141 passed; 142 is taken 5 ms late
    idx = np.concatenate([f.sample_index + np.arange(f.n) for f in samples])
    counts = np.concatenate([f.counts for f in samples])
    assert len(idx) == 1000 and np.all(np.diff(idx) >= 1)
    jumps = np.flatnonzero(np.diff(idx) > 1)
    assert len(jumps) == 1 and idx[jumps[0] + 1] - idx[jumps[0]] - 1 == overflow
    np.testing.assert_array_equal(counts[:, 0], np.arange(1000))  # no sample lost or doubled
    ticks = np.array([f.tick for f in samples], dtype=np.int64)
    ext = np.concatenate([[0], np.cumsum(np.diff(ticks) % 2**32)])
    first = np.array([f.sample_index for f in samples])
    np.testing.assert_allclose(ext, first * 10_000, atol=2)  # ticks stay on the index grid
    short = [f.n for f in samples if f.n != 5]
    assert short == [3, 2]  # the frame in progress at the stall (135..137), the last one
    status = [f for f in frames if isinstance(f, wire.StatusFrame)]
    assert status[-1].overflow == overflow
