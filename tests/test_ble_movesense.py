"""Movesense GATT SensorData codec: commands, split packets, garbage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms_detect.devices import movesense as mv


def test_commands() -> None:
    assert mv.subscribe_command(7, 104) == b"\x01\x07/Meas/Acc/104"
    assert mv.unsubscribe_command(7) == b"\x02\x07"
    assert mv.parse_command(b"\x01\x07/Meas/Acc/104") == (1, 7, "/Meas/Acc/104")
    assert mv.nearest_rate(100) == 104 and mv.nearest_rate(5000) == 1666
    with pytest.raises(mv.MovesenseError):
        mv.parse_command(b"\x01")


@pytest.mark.parametrize("max_len", [0, 60, 244])
def test_round_trip_with_split_packets(max_len: int) -> None:
    rng = np.random.default_rng(1)
    dec = mv.MovesenseDecoder(ref=5, full_len=max_len or 244)
    sent, got = [], []
    for k in range(6):
        acc = rng.normal(0, 9.8, (8, 3)).astype(np.float32)
        sent.append(acc)
        for pkt in mv.encode_acc(5, 1000 + 77 * k, acc, max_len):
            got += dec.feed(pkt)
        got += dec.feed(mv.encode_response(5, 200))  # responses interleave harmlessly
    got += dec.flush()
    assert [p.timestamp_ms for p in got] == [1000 + 77 * k for k in range(6)]
    np.testing.assert_allclose(
        np.concatenate([p.acc_g for p in got]) * mv.G, np.concatenate(sent), rtol=1e-6
    )
    assert (dec.corrupted, dec.short) == (0, 0) and dec.responses == [200] * 6


def test_bad_packets_are_counted() -> None:
    dec = mv.MovesenseDecoder(ref=5)
    assert dec.feed(b"\x02") == []  # too short
    assert dec.feed(b"\x02\x05" + bytes(9)) == []  # not whole samples
    assert dec.feed(b"\x02\x09" + bytes(16)) == []  # other subscription
    assert dec.feed(b"\x03\x05" + bytes(12)) == []  # continuation of nothing
    nan = np.full((1, 3), np.nan, dtype="<f4").tobytes()
    assert dec.feed(b"\x02\x05" + bytes(4) + nan) == []
    assert (dec.short, dec.corrupted) == (2, 3)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=260), max_size=8))
def test_garbage_never_raises(packets: list[bytes]) -> None:
    dec = mv.MovesenseDecoder(ref=5, full_len=60)
    for p in packets:
        for a in dec.feed(p):
            assert a.acc_g.shape[1] == 3 and np.isfinite(a.acc_g).all()
    dec.flush()
