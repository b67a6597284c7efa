"""The MicroPython reference encoder, run under CPython, against the host decoder."""

from __future__ import annotations

import struct
import zlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.firmware import smsproto
from sms_detect.devices import wire


def test_soft_crc_matches_zlib() -> None:
    rng = np.random.default_rng(0)
    for n in [0, 1, 9, 100, 1000]:
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert smsproto.crc32_soft(data) == zlib.crc32(data) == smsproto.crc32(data)
    assert smsproto.crc32_soft(b"123456789") == 0xCBF43926


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=800))
def test_cobs_identical_to_host(data: bytes) -> None:
    assert smsproto.cobs_encode(data) == wire.cobs_encode(data)


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(1, 60),
    channels=st.integers(3, 6),
    range_g=st.sampled_from([2, 4, 8, 16]),
    rate=st.sampled_from([12.5, 25.0, 52.0, 100.0, 104.0, 416.0, 1000.0, 1666.0]),
    index=st.integers(0, 2**40),
    tick=st.integers(0, 2**40),
    seed=st.integers(0, 2**32 - 1),
    as_bytes=st.booleans(),
)
def test_sample_frames_bit_exact(
    n: int, channels: int, range_g: int, rate: float, index: int, tick: int, seed: int,
    as_bytes: bool,
) -> None:  # fmt: skip
    counts = np.random.default_rng(seed).integers(-32768, 32768, (n, channels), dtype=np.int16)
    enc = smsproto.Encoder(1_000_000, rate, range_g, channels=channels)
    enc.seq = seed & 0xFFFF
    data = counts.astype("<i2").tobytes() if as_bytes else [int(v) for v in counts.ravel()]
    fw = enc.samples(index, tick, data, n)
    host = wire.encode_samples(seed, index, tick, 1_000_000, rate, range_g, counts)
    assert fw == host
    (f,) = wire.StreamDecoder(synced=True).feed(fw)
    assert f.seq == seed & 0xFFFF and f.sample_index == index % 2**32 and f.tick == tick % 2**32
    assert f.rate_hz == rate and f.range_g == range_g
    np.testing.assert_array_equal(f.counts, counts)
    np.testing.assert_allclose(f.acc, counts[:, :3] * (range_g / 32768))
    assert enc.seq == (seed + 1) & 0xFFFF


def test_hello_status_bit_exact_and_seq() -> None:
    enc = smsproto.Encoder(1_000_000, 100.0, 8, scale_g=0.000244)
    frames = [
        enc.hello(123, 0xCAFEF00D, "esp32-devkitc", "24:0a:c4:00:11:22", "smsfw 1.0.0", "LSM6DS3"),
        enc.status(456, 3950, 87, 2, 23.5),
        enc.status(789),
        enc.samples(0, 1000, bytes(6 * 5), 5),
    ]
    assert frames[0] == wire.encode_hello(
        0, 123, 1_000_000, 0xCAFEF00D, "esp32-devkitc", "24:0a:c4:00:11:22", "smsfw 1.0.0",
        "LSM6DS3",
    )  # fmt: skip
    assert frames[1] == wire.encode_status(1, 456, 1_000_000, 3950, 87, 2, 23.5)
    assert frames[2] == wire.encode_status(2, 789, 1_000_000)
    out = wire.StreamDecoder().feed(b"\x00" + b"".join(frames))
    assert [f.seq for f in out] == [0, 1, 2, 3]
    assert out[3].scale_g == struct.unpack("<f", struct.pack("<f", 0.000244))[0]


def test_tick_counter_extends_short_port_ticks() -> None:
    """A port whose ticks_us wraps at 2**30 (MicroPython) still yields a 32-bit counter."""
    period = 2**30
    state = {"t": period - 50}

    def ticks() -> int:
        return state["t"] % period

    def diff(a: int, b: int) -> int:
        return ((a - b + period // 2) % period) - period // 2

    tc = smsproto.TickCounter(ticks, diff)
    total = 0
    for step in [10, 100, 400_000_000, 400_000_000, 400_000_000, 400_000_000, 500_000_000]:
        state["t"] += step
        total += step
        assert tc.now() == total % 2**32
