"""Our GATT service: host codec (sms_detect.devices.gatt) vs firmware logic (smsble)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.firmware_ble import smsble
from sms_detect.devices import gatt, wire


def test_uuids_agree() -> None:
    assert smsble.SERVICE_UUID == gatt.SERVICE
    assert smsble.DATA_UUID == gatt.DATA
    assert smsble.CONTROL_UUID == gatt.CONTROL
    assert smsble.FRAME_OVERHEAD == gatt.FRAME_OVERHEAD


def test_start_stop_config_round_trip() -> None:
    fw = smsble.BleService(rate_hz=100, range_g=8)
    fw.mtu = 247
    r = gatt.parse_response(fw.handle_control(gatt.encode_start(400, 4)))
    assert r.ok and r.op == gatt.OP_START and r.streaming
    assert (r.rate_hz, r.range_g) == (400, 4) and r.samples_per_notification == 34
    r = gatt.parse_response(fw.handle_control(gatt.encode_get_config()))
    assert r.ok and r.streaming and r.rate_hz == 400
    r = gatt.parse_response(fw.handle_control(gatt.encode_stop()))
    assert r.ok and not r.streaming
    assert gatt.parse_request(gatt.encode_start(200, 8)) == gatt.ControlRequest(1, 200, 8)


@pytest.mark.parametrize(
    ("msg", "status"),
    [
        (gatt.encode_start(123, 8), gatt.STATUS_BAD_RATE),
        (gatt.encode_start(100, 3), gatt.STATUS_BAD_RANGE),
        (b"\x01\x64", gatt.STATUS_BAD_LENGTH),
        (b"\x7f", gatt.STATUS_UNKNOWN_OP),
        (b"", gatt.STATUS_BAD_LENGTH),
    ],
)
def test_firmware_refuses_bad_commands(msg: bytes, status: int) -> None:
    fw = smsble.BleService()
    r = gatt.parse_response(fw.handle_control(msg))
    assert r.status == status and not r.ok and not r.streaming
    assert r.status_name in gatt.STATUS_NAMES.values()


@settings(max_examples=60, deadline=None)
@given(st.integers(48, 517), st.sampled_from(smsble.RATES))
def test_frames_fit_the_mtu_and_decode(mtu: int, rate: int) -> None:
    fw = smsble.BleService(rate_hz=rate)
    fw.mtu = mtu
    n = fw.per_notification()
    assert n == gatt.samples_per_notification(mtu, rate)
    rng = np.random.default_rng(mtu)
    counts = rng.integers(-32768, 32767, (n, 3)).astype("<i2")  # worst case for COBS
    frame = fw.encoder.samples(7, 1000, counts.tobytes(), n)
    assert len(frame) <= mtu - 3
    dec = wire.StreamDecoder(synced=True)
    (f,) = dec.feed(frame)
    np.testing.assert_array_equal(f.counts, counts)


def test_garbage_responses_raise_gatt_error() -> None:
    for bad in (b"", b"\x01\x00", b"\x81\x00\x01"):
        with pytest.raises(gatt.GattError):
            gatt.parse_response(bad)
