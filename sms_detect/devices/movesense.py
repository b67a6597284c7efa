"""Movesense "GATT SensorData" protocol (the sample firmware ``gatt_sensordata_app``), pure.

The sensor exposes one service with a write characteristic for commands and a notify
characteristic for answers and data:

- command: ``[cmd u8][ref u8][path ASCII]``; ``cmd`` 0 HELLO, 1 SUBSCRIBE, 2 UNSUBSCRIBE
  (no path); ``ref`` is the client's id for the subscription, echoed in every packet;
  e.g. ``[1, 7] + b"/Meas/Acc/104"`` subscribes to the accelerometer at 104 Hz.
- notification: ``[type u8][ref u8][payload]``; type 1 = command response (payload: status
  u16, HTTP-like, 200 = OK), 2 = data, 3 = the rest of the previous data packet of the same
  ``ref`` when it did not fit in one notification.
- ``/Meas/Acc`` data: ``[timestamp u32: ms of the FIRST sample, sensor clock]`` then
  ``x, y, z`` float32 per sample in m/s^2.

Read from the protocol description in Movesense's sample-app documentation and public
clients; verified here only against our own emulator (``firmware_bridge/ble_emulator.py``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

SERVICE = "34802252-7185-4d5d-b431-630e7050e8f0"
WRITE = "34800001-7185-4d5d-b431-630e7050e8f0"
NOTIFY = "34800002-7185-4d5d-b431-630e7050e8f0"

CMD_HELLO = 0
CMD_SUBSCRIBE = 1
CMD_UNSUBSCRIBE = 2
TYPE_RESPONSE = 1
TYPE_DATA = 2
TYPE_DATA_PART2 = 3

#: Accelerometer rates of Movesense sensors (Hz).
ACC_RATES = (13, 26, 52, 104, 208, 416, 833, 1666)
#: Standard gravity (m/s^2 per g).
G = 9.80665


class MovesenseError(ValueError):
    """A packet that cannot be parsed."""


def subscribe_command(ref: int, rate_hz: int) -> bytes:
    """SUBSCRIBE to ``/Meas/Acc/<rate_hz>`` under subscription id ``ref``."""
    return bytes([CMD_SUBSCRIBE, ref & 0xFF]) + f"/Meas/Acc/{int(rate_hz)}".encode()


def unsubscribe_command(ref: int) -> bytes:
    """UNSUBSCRIBE subscription ``ref``."""
    return bytes([CMD_UNSUBSCRIBE, ref & 0xFF])


def parse_command(data: bytes) -> tuple[int, int, str]:
    """Split a command into (cmd, ref, path) (sensor side).

    Raises
    ------
    MovesenseError
        If shorter than 2 bytes or the path is not ASCII.
    """
    if len(data) < 2:
        raise MovesenseError("command too short")
    try:
        path = bytes(data[2:]).decode("ascii")
    except UnicodeDecodeError as exc:
        raise MovesenseError("path is not ASCII") from exc
    return data[0], data[1], path


def nearest_rate(rate_hz: float) -> int:
    """Smallest Movesense accelerometer rate at or above ``rate_hz`` (else the largest), Hz."""
    for r in ACC_RATES:
        if r >= rate_hz:
            return r
    return ACC_RATES[-1]


def encode_response(ref: int, status: int = 200) -> bytes:
    """A command response packet (sensor side)."""
    return bytes([TYPE_RESPONSE, ref & 0xFF]) + struct.pack("<H", status)


def encode_acc(ref: int, timestamp_ms: int, acc_ms2: np.ndarray, max_len: int = 0) -> list[bytes]:
    """Acc data packet(s) (sensor side): one, or DATA + DATA_PART2 when over ``max_len``.

    Parameters
    ----------
    ref : int
        Subscription id.
    timestamp_ms : int
        Sensor time of the first sample (ms, wraps at 2**32).
    acc_ms2 : ndarray (N, 3)
        Samples in m/s^2.
    max_len : int
        Longest notification (bytes); 0 = no limit.
    """
    body = struct.pack("<I", timestamp_ms & 0xFFFFFFFF)
    body += np.asarray(acc_ms2, dtype="<f4").tobytes()
    first = bytes([TYPE_DATA, ref & 0xFF]) + body
    if not max_len or len(first) <= max_len:
        return [first]
    cut = max_len - 2
    return [first[: cut + 2], bytes([TYPE_DATA_PART2, ref & 0xFF]) + body[cut:]]


@dataclass(frozen=True)
class AccPacket:
    """Decoded acc data: first-sample time (ms, sensor clock) and samples in g."""

    timestamp_ms: int
    acc_g: np.ndarray


def parse_acc_payload(payload: bytes) -> AccPacket:
    """Decode an acc data payload (after type and ref).

    Raises
    ------
    MovesenseError
        If it is not a u32 followed by whole samples, or holds NaN/inf.
    """
    if len(payload) < 4 + 12 or (len(payload) - 4) % 12:
        raise MovesenseError(f"acc payload of {len(payload)} bytes is not whole samples")
    ts = struct.unpack_from("<I", payload, 0)[0]
    acc = np.frombuffer(payload, dtype="<f4", offset=4).reshape(-1, 3).astype(np.float64)
    if not np.isfinite(acc).all():
        raise MovesenseError("non-finite sample")
    return AccPacket(ts, acc / G)


@dataclass
class MovesenseDecoder:
    """Reassemble and decode the notification stream of one acc subscription.

    A DATA packet that filled a whole notification (``full_len`` bytes) may continue in a
    DATA_PART2 packet, so it is held until the next packet shows whether it does.
    Malformed packets are counted (``corrupted``, ``short``) and skipped, never raised.

    Attributes
    ----------
    ref : int
        Subscription id to accept.
    full_len : int
        Notification size limit (ATT MTU - 3), bytes.
    """

    ref: int
    full_len: int = 244
    corrupted: int = 0
    short: int = 0
    responses: list[int] = field(default_factory=list)
    _held: bytes | None = None

    def feed(self, data: bytes) -> list[AccPacket]:
        """Take one notification; return the packets it completed, in order."""
        out: list[AccPacket] = []
        if len(data) < 2:
            self.short += 1
            return out
        kind, ref = data[0], data[1]
        if kind == TYPE_RESPONSE:
            if len(data) >= 4:
                self.responses.append(struct.unpack_from("<H", data, 2)[0])
            return out
        if ref != self.ref or kind not in (TYPE_DATA, TYPE_DATA_PART2):
            self.corrupted += 1
            return out
        if kind == TYPE_DATA_PART2:
            if self._held is None:
                self.corrupted += 1  # continuation of nothing
                return out
            payload, self._held = self._held + bytes(data[2:]), None
            self._decode(payload, out)
            return out
        if self._held is not None:
            held, self._held = self._held, None
            self._decode(held, out)
        if len(data) >= self.full_len:
            self._held = bytes(data[2:])
        else:
            self._decode(bytes(data[2:]), out)
        return out

    def flush(self) -> list[AccPacket]:
        """Decode a held packet (no continuation came)."""
        out: list[AccPacket] = []
        if self._held is not None:
            held, self._held = self._held, None
            self._decode(held, out)
        return out

    def _decode(self, payload: bytes, out: list[AccPacket]) -> None:
        try:
            out.append(parse_acc_payload(payload))
        except MovesenseError:
            if len(payload) < 16 or (len(payload) - 4) % 12:
                self.short += 1
            else:
                self.corrupted += 1
