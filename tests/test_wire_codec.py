"""Host wire codec: exact bytes, round trips, garbage and corruption (PROTOCOL.md v1)."""

from __future__ import annotations

import random
import struct
import zlib

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sms_detect.devices import wire


def key(f: wire.Frame) -> tuple:
    """Comparable identity of a frame (arrays compared by bytes)."""
    if isinstance(f, wire.SampleFrame):
        return (
            "s", f.seq, f.sample_index, f.tick, f.tick_hz, f.rate_hz, f.scale_g, f.range_g,
            f.counts.shape, f.counts.tobytes(),
        )  # fmt: skip
    if isinstance(f, wire.HelloFrame):
        return ("h", f.seq, f.tick, f.tick_hz, f.boot_id, f.model, f.device_id, f.firmware, f.imu)
    return ("t", f.seq, f.tick, f.battery_mv, f.battery_pct, f.overflow, f.temperature_c)


def test_crc_check_value() -> None:
    assert wire.crc32(b"123456789") == 0xCBF43926


def test_known_frame_bytes() -> None:
    """The example of PROTOCOL.md section 6, laid out by hand."""
    enc = wire.encode_samples(7, 0, 1000, 1_000_000, 100.0, 8, np.array([[0, 0, 4096]]))
    payload = bytes.fromhex(
        "a5 01 01 00 07 00"  # magic, version, type, flags, seq
        "00 00 00 00"  # sample_index
        "e8 03 00 00"  # tick 1000
        "40 42 0f 00"  # tick_hz 1e6
        "a0 86 01 00"  # 100000 mHz
        "00 00 80 39"  # f32 2**-12 = 8/32768
        "08 03 01 00"  # range 8, 3 channels, n 1
        "00 00 00 00 00 10"  # (0, 0, 4096)
    )
    raw = payload + struct.pack("<I", zlib.crc32(payload))
    assert enc[-1] == 0 and 0 not in enc[:-1]
    assert wire.cobs_decode(enc[:-1]) == raw
    (f,) = wire.StreamDecoder(synced=True).feed(enc)
    assert isinstance(f, wire.SampleFrame)
    assert f.seq == 7 and f.tick == 1000 and f.rate_hz == 100.0 and f.range_g == 8
    np.testing.assert_array_equal(f.acc, [[0.0, 0.0, 1.0]])


def test_cobs_edge_cases() -> None:
    for data in [b"", b"\x00", b"\x00\x00", b"\x01", bytes(range(1, 255)), bytes(range(1, 256))]:
        enc = wire.cobs_encode(data)
        assert 0 not in enc
        assert wire.cobs_decode(enc) == data
    long = bytes(random.Random(1).randrange(1, 256) for _ in range(1000))
    assert wire.cobs_decode(wire.cobs_encode(long)) == long
    assert wire.cobs_decode(b"\x05\x01") is None  # code runs past the end
    assert wire.cobs_decode(b"\x00") is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_cobs_round_trip(data: bytes) -> None:
    enc = wire.cobs_encode(data)
    assert 0 not in enc
    assert len(enc) <= len(data) + 1 + len(data) // 254
    assert wire.cobs_decode(enc) == data


def test_hello_status_round_trip() -> None:
    stream = b"\x00" + wire.encode_hello(1, 5, 1_000_000, 0xDEADBEEF, "esp32", "ab:cd", "1.0", "é")
    stream += wire.encode_status(2, 6, 1_000_000, 3900, 80, 3, -4.25)
    stream += wire.encode_status(3, 7, 1_000_000)
    h, s, s2 = wire.StreamDecoder().feed(stream)
    assert isinstance(h, wire.HelloFrame) and h.boot_id == 0xDEADBEEF and h.imu == "é"
    assert h.model == "esp32" and h.device_id == "ab:cd" and h.firmware == "1.0"
    assert isinstance(s, wire.StatusFrame)
    assert (s.battery_mv, s.battery_pct, s.overflow, s.temperature_c) == (3900, 80, 3, -4.25)
    assert s2.temperature_c is None and s2.battery_pct == wire.BATTERY_PCT_UNKNOWN


def test_unknown_type_and_version_skipped_and_counted() -> None:
    good = wire.encode_status(1, 0, 1000)
    future_type = wire._finish(struct.pack("<BBBBH", wire.MAGIC, 1, 0x44, 0, 2) + b"xyz")
    future_ver = wire._finish(struct.pack("<BBBBH", wire.MAGIC, 2, 0x01, 0, 3) + b"\x01" * 40)
    bad_magic = wire._finish(struct.pack("<BBBBH", 0x11, 1, 0x01, 0, 4))
    short = wire._finish(struct.pack("<BBBBH", wire.MAGIC, 1, 0x01, 0, 5) + b"\x01\x02")
    dec = wire.StreamDecoder(synced=True)
    frames = dec.feed(good + future_type + future_ver + bad_magic + short + good)
    assert [f.seq for f in frames] == [1, 1]
    assert dec.stats.unknown_frames == 2
    assert dec.stats.bad_frames == 2
    assert dec.stats.crc_errors == 0


def test_appended_fields_ignored() -> None:
    """v1 receivers ignore bytes appended to a known frame (PROTOCOL.md section 4)."""
    enc = wire.encode_status(9, 1, 1000, 3700)
    payload = wire.cobs_decode(enc[:-1])[:-4] + b"\x01\x02\x03"
    (f,) = wire.StreamDecoder(synced=True).feed(wire._finish(payload))
    assert f.seq == 9 and f.battery_mv == 3700


def test_joining_mid_frame_and_oversize() -> None:
    frames = [wire.encode_status(i, i, 1000) for i in range(5)]
    stream = b"".join(frames)
    dec = wire.StreamDecoder()
    out = dec.feed(stream[7:])  # joined mid-frame: first partial block dropped silently
    assert [f.seq for f in out] == [1, 2, 3, 4]
    assert dec.stats.crc_errors == 0 and dec.stats.resyncs == 1
    # a long run with no delimiter is discarded, then decoding resumes
    out = dec.feed(b"\x01" * (wire.MAX_ENCODED + 10))
    out += dec.feed(b"\x01" * 100 + b"\x00" + frames[0])
    assert [f.seq for f in out] == [0]
    assert dec.stats.resyncs == 2


def random_frames(rng: np.random.Generator, k: int) -> list[bytes]:
    """k encoded frames of all types with random contents."""
    out = []
    for seq in range(k):
        kind = rng.integers(0, 6)
        if kind == 0:
            out.append(wire.encode_hello(seq, seq * 7, 1_000_000, int(rng.integers(2**32)),
                                         "m", "id", "fw", "imu"))  # fmt: skip
        elif kind == 1:
            out.append(wire.encode_status(seq, seq, 32768, int(rng.integers(5000)), 50))
        else:
            n, ch = int(rng.integers(1, 40)), int(rng.integers(3, 7))
            counts = rng.integers(-32768, 32768, size=(n, ch))
            if rng.random() < 0.5:
                counts[rng.random((n, ch)) < 0.5] = 0  # many zero bytes: short COBS runs
            out.append(wire.encode_samples(seq, seq * 10, seq * 1000, 1_000_000, 100.0, 4, counts))
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), cuts=st.lists(st.integers(0, 5000), max_size=30))
def test_round_trip_any_split(seed: int, cuts: list[int]) -> None:
    rng = np.random.default_rng(seed)
    encoded = random_frames(rng, 20)
    stream = b"\x00" + b"".join(encoded)
    ref = [key(f) for f in wire.StreamDecoder().feed(stream)]
    assert len(ref) == 20 and [r[1] for r in ref] == list(range(20))
    dec = wire.StreamDecoder()
    got = []
    bounds = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        got += [key(f) for f in dec.feed(stream[a:b])]
    assert got == ref
    assert dec.stats.crc_errors == dec.stats.cobs_errors == dec.stats.bad_frames == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=700), max_size=12))
def test_garbage_never_raises(chunks: list[bytes]) -> None:
    dec = wire.StreamDecoder()
    for c in chunks:
        for f in dec.feed(c):
            assert isinstance(f, wire.SampleFrame | wire.HelloFrame | wire.StatusFrame)
    assert dec.stats.bytes_in == sum(map(len, chunks))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["flip", "drop", "insert"]), st.floats(0, 1), st.integers(1, 255)
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_corruption_loses_only_damaged_frames(seed: int, edits: list) -> None:
    """Flipped, dropped or inserted bytes lose only the frames they touch; nothing false."""
    rng = np.random.default_rng(seed)
    encoded = random_frames(rng, 30)
    originals = {key(f)[1]: key(f) for f in wire.StreamDecoder().feed(b"\x00" + b"".join(encoded))}
    # span of frame i in the stream: from its preceding delimiter to its own delimiter
    spans, pos = [], 1
    for e in encoded:
        spans.append((pos - 1, pos + len(e) - 1))
        pos += len(e)
    stream = bytearray(b"\x00" + b"".join(encoded))
    damaged_at: list[int] = []  # positions in original coordinates
    # apply edits from the end so earlier positions stay valid
    by_pos = {int(u * (len(stream) - 1)): (op, v) for op, u, v in edits}  # one edit per byte
    positions = sorted(((p, op, v) for p, (op, v) in by_pos.items()), reverse=True)
    for p, op, v in positions:
        p = min(p, len(stream) - 1)  # an earlier drop at the very end shortened the stream
        if op == "flip":
            stream[p] ^= v
        elif op == "drop":
            del stream[p]
        else:
            stream.insert(p, v)
        damaged_at.append(p)
    dec = wire.StreamDecoder()
    got = [key(f) for f in dec.feed(bytes(stream))]
    for g in got:  # no corrupted frame accepted
        assert originals[g[1]] == g
    got_seqs = {g[1] for g in got}
    for i, (a, b) in enumerate(spans):
        touched = any(a <= p <= b for p in damaged_at)
        if not touched:
            assert i in got_seqs, f"undamaged frame {i} lost"
    assert len(got_seqs) >= 30 - 2 * len(edits)
