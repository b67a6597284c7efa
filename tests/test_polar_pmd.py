"""Polar PMD codec: commands, responses, raw and delta-compressed ACC frames, times."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sms_detect.devices import polar_pmd as pmd


def test_commands_bytes() -> None:
    assert pmd.get_settings_command() == bytes([0x01, 0x02])
    assert pmd.stop_command() == bytes([0x03, 0x02])
    cmd = pmd.start_command(rate_hz=200, resolution=16, range_g=8)
    # START ACC, rate 200 (0x00C8), resolution 16, range 8, each [id][count=1][LE16]
    assert cmd == bytes([2, 2, 0, 1, 0xC8, 0, 1, 1, 16, 0, 2, 1, 8, 0])


def test_settings_round_trip_with_factor() -> None:
    s = {0: [25, 50, 100, 200], 1: [16], 2: [2, 4, 8], 5: [0.5]}
    assert pmd.parse_settings(pmd.encode_settings(s)) == s


def test_control_response_success_and_error() -> None:
    params = pmd.encode_settings({5: [1.0]})
    r = pmd.parse_control_response(pmd.encode_control_response(2, 2, 0, params))
    assert r.ok and r.op == 2 and r.mtype == 2 and r.settings()[5] == [1.0]
    e = pmd.parse_control_response(bytes([0xF0, 2, 2, 8]))
    assert not e.ok and e.status_name == "invalid sample rate" and e.params == b""
    with pytest.raises(pmd.PmdError):
        pmd.parse_control_response(b"\x0f\x05")


def test_feature_read() -> None:
    assert pmd.parse_features(bytes([0x0F, 0b0000_0101, 0])) == {0, 2}
    assert pmd.parse_features(pmd.encode_features({2, 9})) == {2, 9}
    with pytest.raises(pmd.PmdError):
        pmd.parse_features(b"\xf0\x01")


def test_raw_type1_known_bytes() -> None:
    # x=1000 mG, y=-1 mG, z=-1000 mG; last sample at 1 s after the Polar epoch
    frame = bytes([0x02]) + (10**9).to_bytes(8, "little") + bytes([0x01])
    frame += struct.pack("<hhh", 1000, -1, -1000)
    f = pmd.parse_acc_frame(frame)
    assert f.timestamp_ns == 10**9 and not f.compressed
    np.testing.assert_array_equal(f.acc_mg, [[1000, -1, -1000]])


def test_delta_known_block() -> None:
    # reference (10, -5, 0), then one block: width 4, 2 samples of deltas (+1,+1,+1), (-2,0,3)
    ref = struct.pack("<hhh", 10, -5, 0)
    deltas = [1, 1, 1, -2, 0, 3]
    bits = "".join(format(d & 0xF, "04b")[::-1] for d in deltas)  # LSB first per value
    packed = bytes(int(bits[i : i + 8][::-1], 2) for i in range(0, len(bits), 8))
    out = pmd.unpack_delta_payload(ref + bytes([4, 2]) + packed)
    np.testing.assert_array_equal(out, [[10, -5, 0], [11, -4, 1], [9, -4, 4]])


samples_st = hnp.arrays(
    np.int64,
    st.tuples(st.integers(1, 150), st.just(3)),
    elements=st.integers(-16000, 16000),
)


@settings(max_examples=120, deadline=None)
@given(samples_st, st.sampled_from([0, 1, 2, 0x81]), st.integers(1, 255))
def test_encode_decode_round_trip(s: np.ndarray, ftype: int, block: int) -> None:
    if ftype == 0:
        s = np.clip(s, -128, 127)
    data = pmd.encode_acc_frame(123_456_789, s, frame_type=ftype, block=block)
    f = pmd.parse_acc_frame(data)
    assert f.timestamp_ns == 123_456_789
    np.testing.assert_array_equal(f.acc_mg, s)


def test_compressed_type0_is_g_times_factor() -> None:
    s = np.array([[1, 0, -1], [2, 1, -1]])
    f = pmd.parse_acc_frame(pmd.encode_acc_frame(5, s, frame_type=0x80), factor=0.25)
    np.testing.assert_allclose(f.acc_mg, s * 250.0)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_never_raises_from_decoder(data: bytes) -> None:
    dec = pmd.PolarAccDecoder(fs=100.0)
    out = dec.decode(data)
    if out is None:
        assert dec.corrupted == 1 and dec.last_error
    else:
        t, a = out
        assert t.shape[0] == a.shape[0] > 0 and a.shape[1] == 3


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=11, max_size=200))
def test_garbage_with_valid_header(payload: bytes) -> None:
    data = bytes([2]) + (10**9).to_bytes(8, "little") + bytes([0x81]) + payload[1:]
    dec = pmd.PolarAccDecoder(fs=100.0)
    dec.decode(data)  # must not raise
    assert dec.frames + dec.corrupted == 1


def test_sample_times_follow_frames_and_reset() -> None:
    fs = 100.0
    dec = pmd.PolarAccDecoder(fs=fs)
    s = np.zeros((10, 3), dtype=np.int64)
    t0 = 5 * 10**9
    times = []
    for k in range(3):
        out = dec.decode(pmd.encode_acc_frame(t0 + k * 100_000_000, s))
        assert out is not None
        times.append(out[0])
    t = np.concatenate(times)
    np.testing.assert_allclose(np.diff(t), 1e7)
    assert t[-1] == t0 + 200_000_000
    # the clock goes back (reboot): counted, spacing falls back to nominal
    out = dec.decode(pmd.encode_acc_frame(10**9, s))
    assert dec.resets == 1 and out is not None
    np.testing.assert_allclose(np.diff(out[0]), 1e9 / fs)
    # short and wrong-type frames are counted, not raised
    assert dec.decode(b"\x02\x00") is None
    assert dec.decode(b"\x00" + bytes(12)) is None
    assert dec.corrupted == 2
