"""Our firmware's GATT service: UUIDs and the control characteristic codec (pure, no I/O).

The service carries the serial wire frames (``sms_detect.devices.wire``) in notifications
of the data characteristic, one whole frame (COBS + CRC + delimiter) per notification, as
many samples per frame as the negotiated MTU allows. The control characteristic takes
commands (write) and answers each with a notification. Documented in
``firmware_bridge/GATT.md``; the firmware side is ``firmware_bridge/firmware_ble/``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass


def _uuid(short: int) -> str:
    return f"5d4f{short:04x}-8e1b-4c52-9a3e-736d73646574"


#: Primary service of the reference firmware (advertised, 128-bit).
SERVICE = _uuid(0x0001)
#: Data characteristic (notify): one wire frame per notification.
DATA = _uuid(0x0002)
#: Control characteristic (write with response, notify): commands and their answers.
CONTROL = _uuid(0x0003)

#: Standard Device Information service and characteristics (Bluetooth SIG).
DEVICE_INFO_SERVICE = "0000180a-0000-1000-8000-00805f9b34fb"
MANUFACTURER_NAME = "00002a29-0000-1000-8000-00805f9b34fb"
MODEL_NUMBER = "00002a24-0000-1000-8000-00805f9b34fb"
SERIAL_NUMBER = "00002a25-0000-1000-8000-00805f9b34fb"
FIRMWARE_REVISION = "00002a26-0000-1000-8000-00805f9b34fb"
#: Standard Battery service and Battery Level (u8 %, read + notify).
BATTERY_SERVICE = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL = "00002a19-0000-1000-8000-00805f9b34fb"

#: Control op codes (request byte 0; the response echoes ``op | 0x80``).
OP_START = 0x01
OP_STOP = 0x02
OP_GET_CONFIG = 0x03
RESPONSE_BIT = 0x80

#: Response status codes.
STATUS_OK = 0
STATUS_UNKNOWN_OP = 1
STATUS_BAD_LENGTH = 2
STATUS_BAD_RATE = 3
STATUS_BAD_RANGE = 4
STATUS_NAMES = {
    0: "ok",
    1: "unknown op code",
    2: "bad length",
    3: "unsupported rate",
    4: "unsupported range",
}

_START = struct.Struct("<BHB")  # op, rate_hz, range_g
_RESPONSE = struct.Struct("<BBBHBB")  # op|0x80, status, streaming, rate_hz, range_g, per_notif

#: Bytes of a wire SAMPLES frame around its samples: 30 header, 4 CRC, 1 delimiter,
#: and up to 2 COBS code bytes for frames under 508 bytes.
FRAME_OVERHEAD = 30 + 4 + 1 + 2


class GattError(ValueError):
    """A control message that cannot be parsed."""


@dataclass(frozen=True)
class ControlRequest:
    """A decoded control command: ``op`` and, for START, ``rate_hz`` (Hz), ``range_g`` (g)."""

    op: int
    rate_hz: int = 0
    range_g: int = 0


@dataclass(frozen=True)
class ControlResponse:
    """The answer to a control command.

    Attributes
    ----------
    op : int
        Op code answered.
    status : int
        0 ok, else a :data:`STATUS_NAMES` code.
    streaming : bool
        Whether the device streams after the command.
    rate_hz : int
        Current sample rate (Hz).
    range_g : int
        Current full-scale range (g).
    samples_per_notification : int
        Samples the device puts in each data notification at the current MTU.
    """

    op: int
    status: int
    streaming: bool
    rate_hz: int
    range_g: int
    samples_per_notification: int

    @property
    def ok(self) -> bool:
        """True when the command succeeded."""
        return self.status == STATUS_OK

    @property
    def status_name(self) -> str:
        """Human-readable status."""
        return STATUS_NAMES.get(self.status, f"status {self.status}")


def encode_start(rate_hz: int, range_g: int) -> bytes:
    """START streaming at ``rate_hz`` Hz with a +-``range_g`` g range."""
    return _START.pack(OP_START, int(rate_hz), int(range_g))


def encode_stop() -> bytes:
    """STOP streaming."""
    return bytes([OP_STOP])


def encode_get_config() -> bytes:
    """Ask for the current configuration (answered like START, without changing anything)."""
    return bytes([OP_GET_CONFIG])


def parse_request(data: bytes) -> ControlRequest:
    """Decode a control write (device side).

    Raises
    ------
    GattError
        Empty, unknown op or wrong length (the device answers with the matching status).
    """
    if not data:
        raise GattError("empty control write")
    op = data[0]
    if op == OP_START:
        if len(data) != _START.size:
            raise GattError("bad length")
        _, rate, rng = _START.unpack(bytes(data))
        return ControlRequest(op, rate, rng)
    if op in (OP_STOP, OP_GET_CONFIG):
        if len(data) != 1:
            raise GattError("bad length")
        return ControlRequest(op)
    raise GattError(f"unknown op code {op}")


def encode_response(
    op: int,
    status: int,
    streaming: bool,
    rate_hz: int,
    range_g: int,
    samples_per_notification: int,
) -> bytes:
    """Encode a control answer (device side)."""
    return _RESPONSE.pack(
        (op | RESPONSE_BIT) & 0xFF,
        status,
        1 if streaming else 0,
        rate_hz,
        range_g,
        min(255, samples_per_notification),
    )


def parse_response(data: bytes) -> ControlResponse:
    """Decode a control notification (host side).

    Raises
    ------
    GattError
        If ``data`` is not a control answer.
    """
    if len(data) < _RESPONSE.size or not data[0] & RESPONSE_BIT:
        raise GattError(f"not a control response: {bytes(data[:8]).hex()}")
    op, status, streaming, rate, rng, per = _RESPONSE.unpack_from(bytes(data), 0)
    return ControlResponse(op & 0x7F, status, bool(streaming), rate, rng, per)


def samples_per_notification(mtu: int, rate_hz: float, channels: int = 3) -> int:
    """Samples per data notification: ~100 ms of data, capped by what fits in one ATT MTU.

    Parameters
    ----------
    mtu : int
        Negotiated ATT MTU in bytes (a notification carries ``mtu - 3``).
    rate_hz : float
        Sample rate (Hz).
    channels : int
        Values per sample (int16 each).
    """
    fit = (mtu - 3 - FRAME_OVERHEAD) // (2 * channels)
    want = max(1, int(rate_hz * 0.1 + 0.5))
    return max(1, min(fit, want))
