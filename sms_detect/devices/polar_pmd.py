"""Polar Measurement Data (PMD) protocol: accelerometer codec, pure (no I/O).

Polar sensors (H10, Verity Sense, OH1) expose a GATT service with a control point
(write + notify + read) and a data characteristic (notify). This module builds control
point commands, parses their responses and the feature read, and decodes accelerometer
data frames, both raw and delta-compressed, into samples in mG with per-sample sensor
times. It also has the matching *encoders*, used by the BLE emulator and the tests.

Data frame layout (all little-endian)::

    [measurement type u8][timestamp u64: ns since 2000-01-01 of the LAST sample]
    [frame type u8: bit 7 = delta-compressed, bits 0..6 = type][payload]

Raw ACC payloads are x, y, z per sample as signed integers of 1 (type 0), 2 (type 1)
or 3 (type 2) bytes, in mG. Compressed payloads start with a reference sample (x, y, z as
signed 16-bit), then blocks ``[bit width u8][sample count u8][bit-packed deltas]``: the
deltas are signed ``width``-bit integers, LSB first, ordered x, y, z per sample, padded to a
byte at the end of each block, and they accumulate onto the previous sample. Compressed
type 0 (H10 style) is in units of ``factor`` g; compressed type 1 (Verity Sense) is in
units of ``factor`` mG. ``factor`` comes from the START response (setting id 5, float32).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

#: GATT service of PMD and its two characteristics (lower case, as bleak reports them).
PMD_SERVICE = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CONTROL = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

#: Nanoseconds from the Unix epoch to the Polar epoch 2000-01-01T00:00:00Z.
POLAR_EPOCH_UNIX_NS = 946_684_800 * 1_000_000_000

#: First byte of a feature read and of a control point response.
FEATURE_READ = 0x0F
CONTROL_RESPONSE = 0xF0
#: Bit of the frame-type byte that marks a delta-compressed frame.
DELTA_FRAME_BIT = 0x80
#: Length of the data-frame header in bytes (type, u64 timestamp, frame type).
DATA_HEADER_LEN = 10


class MeasurementType(IntEnum):
    """PMD measurement types (the byte after the op code)."""

    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAG = 6
    SDK_MODE = 9


class Op(IntEnum):
    """Control point op codes, client to sensor."""

    GET_SETTINGS = 1
    START = 2
    STOP = 3


class Setting(IntEnum):
    """Setting ids in settings lists (GET response, START request and response)."""

    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5


#: Byte size of one value of each setting.
SETTING_SIZE = {0: 2, 1: 2, 2: 2, 3: 4, 4: 1, 5: 4}

#: Control point status codes (byte 3 of a response).
STATUS_NAMES = {
    0: "success",
    1: "invalid op code",
    2: "invalid measurement type",
    3: "not supported",
    4: "invalid length",
    5: "invalid parameter",
    6: "already in state",
    7: "invalid resolution",
    8: "invalid sample rate",
    9: "invalid range",
    10: "invalid MTU",
    11: "invalid number of channels",
    12: "invalid state",
    13: "device in charger",
}

#: Bytes per axis of raw ACC frame types.
RAW_ACC_WIDTH = {0: 1, 1: 2, 2: 3}


class PmdError(ValueError):
    """A PMD message that cannot be parsed (short, unknown type, inconsistent)."""


# ----------------------------------------------------------------------------- commands
def get_settings_command(mtype: int = MeasurementType.ACC) -> bytes:
    """Return the control point command that asks for the settings of ``mtype``."""
    return bytes([Op.GET_SETTINGS, int(mtype)])


def start_command(
    mtype: int = MeasurementType.ACC,
    rate_hz: int = 200,
    resolution: int = 16,
    range_g: int = 8,
    channels: int | None = None,
) -> bytes:
    """Return the START command for ``mtype`` at ``rate_hz`` Hz, ``range_g`` g full scale."""
    settings: dict[int, list[float]] = {
        Setting.SAMPLE_RATE: [rate_hz],
        Setting.RESOLUTION: [resolution],
        Setting.RANGE: [range_g],
    }
    if channels is not None:
        settings[Setting.CHANNELS] = [channels]
    return bytes([Op.START, int(mtype)]) + encode_settings(settings)


def stop_command(mtype: int = MeasurementType.ACC) -> bytes:
    """Return the STOP command for ``mtype``."""
    return bytes([Op.STOP, int(mtype)])


def encode_settings(settings: dict[int, list[float]]) -> bytes:
    """Serialize ``{setting id: [values]}`` as ``[id][count][values...]`` (factor as float32)."""
    out = bytearray()
    for sid, values in settings.items():
        size = SETTING_SIZE.get(int(sid))
        if size is None:
            raise PmdError(f"unknown PMD setting id {sid}")
        out += bytes([int(sid), len(values)])
        for v in values:
            if int(sid) == Setting.FACTOR:
                out += struct.pack("<f", float(v))
            else:
                out += int(v).to_bytes(size, "little", signed=False)
    return bytes(out)


def parse_settings(params: bytes) -> dict[int, list[float]]:
    """Parse a settings list ``[id][count][values...]`` into ``{id: [values]}``.

    Raises
    ------
    PmdError
        On an unknown setting id or a truncated list.
    """
    out: dict[int, list[float]] = {}
    i = 0
    n = len(params)
    while i < n:
        if i + 2 > n:
            raise PmdError("truncated PMD settings list")
        sid, count = params[i], params[i + 1]
        i += 2
        size = SETTING_SIZE.get(sid)
        if size is None:
            raise PmdError(f"unknown PMD setting id {sid}")
        if i + size * count > n:
            raise PmdError("truncated PMD settings list")
        vals: list[float] = []
        for _ in range(count):
            chunk = bytes(params[i : i + size])
            if sid == Setting.FACTOR:
                vals.append(struct.unpack("<f", chunk)[0])
            else:
                vals.append(int.from_bytes(chunk, "little"))
            i += size
        out[sid] = vals
    return out


@dataclass(frozen=True)
class ControlResponse:
    """A control point response ``[0xF0, op, type, status, more, params...]``."""

    op: int
    mtype: int
    status: int
    more: bool = False
    params: bytes = b""

    @property
    def ok(self) -> bool:
        """True when the sensor accepted the command."""
        return self.status == 0

    @property
    def status_name(self) -> str:
        """Human-readable status."""
        return STATUS_NAMES.get(self.status, f"unknown status {self.status}")

    def settings(self) -> dict[int, list[float]]:
        """Parse the parameters as a settings list (GET and START responses)."""
        return parse_settings(self.params)


def parse_control_response(data: bytes) -> ControlResponse:
    """Parse a control point notification into a :class:`ControlResponse`.

    Raises
    ------
    PmdError
        If ``data`` is not a control point response.
    """
    if len(data) < 4 or data[0] != CONTROL_RESPONSE:
        raise PmdError(f"not a PMD control point response: {bytes(data[:8]).hex()}")
    status = data[3]
    more = status == 0 and len(data) > 4 and data[4] != 0
    params = bytes(data[5:]) if status == 0 and len(data) > 5 else b""
    return ControlResponse(data[1], data[2] & 0x3F, status, more, params)


def encode_control_response(
    op: int, mtype: int, status: int = 0, params: bytes = b"", more: bool = False
) -> bytes:
    """Build a control point response (emulator side)."""
    head = bytes([CONTROL_RESPONSE, int(op), int(mtype), int(status)])
    if status != 0:
        return head
    return head + bytes([1 if more else 0]) + params


def parse_features(data: bytes) -> set[int]:
    """Parse the control point read ``[0x0F, bitmask...]`` into the supported types.

    Raises
    ------
    PmdError
        If ``data`` is not a feature read.
    """
    if len(data) < 2 or data[0] != FEATURE_READ:
        raise PmdError("not a PMD feature read")
    mask = int.from_bytes(bytes(data[1:]), "little")
    return {bit for bit in range(8 * (len(data) - 1)) if mask >> bit & 1}


def encode_features(types: set[int] | list[int]) -> bytes:
    """Build a feature read value from measurement types (emulator side)."""
    mask = 0
    for t in types:
        mask |= 1 << int(t)
    return bytes([FEATURE_READ]) + mask.to_bytes(2, "little")


# ----------------------------------------------------------------------------- data frames
@dataclass(frozen=True)
class AccFrame:
    """One decoded ACC data frame.

    Attributes
    ----------
    timestamp_ns : int
        Sensor time of the LAST sample, ns since 2000-01-01 (sensor clock).
    acc_mg : ndarray, shape (N, 3), float64
        x, y, z in mG.
    compressed : bool
        Whether the frame was delta-compressed.
    """

    timestamp_ns: int
    acc_mg: np.ndarray
    compressed: bool = False


def _sign_extend(values: np.ndarray, bits: int) -> np.ndarray:
    """Interpret unsigned ``bits``-bit integers (int64 array) as two's complement."""
    if bits <= 0:
        return np.zeros_like(values)
    sign = np.int64(1) << np.int64(bits - 1)
    return (values ^ sign) - sign


def _read_ints(payload: bytes, width: int) -> np.ndarray:
    """Little-endian signed integers of ``width`` bytes, vectorized, as int64."""
    raw = np.frombuffer(payload, dtype=np.uint8).reshape(-1, width).astype(np.int64)
    shifts = np.arange(width, dtype=np.int64) * 8
    return _sign_extend((raw << shifts).sum(axis=1), 8 * width)


def unpack_delta_payload(payload: bytes, channels: int = 3, ref_bits: int = 16) -> np.ndarray:
    """Decode a delta-compressed payload into absolute samples, shape (N, channels), int64.

    One Python iteration per block (not per sample); bit unpacking and the cumulative sum
    are numpy operations.

    Raises
    ------
    PmdError
        On a truncated reference sample or block.
    """
    ref_bytes = (ref_bits + 7) // 8
    head = channels * ref_bytes
    if len(payload) < head:
        raise PmdError("compressed frame shorter than its reference sample")
    ref = _read_ints(payload[:head], ref_bytes)
    buf = np.frombuffer(payload, dtype=np.uint8)
    deltas: list[np.ndarray] = []
    i = head
    n = len(payload)
    while i < n:
        if i + 2 > n:
            raise PmdError("truncated delta block header")
        width, count = int(buf[i]), int(buf[i + 1])
        i += 2
        if width > 32:
            raise PmdError(f"delta bit width {width} > 32")
        nbits = width * count * channels
        nbytes = (nbits + 7) // 8
        if i + nbytes > n:
            raise PmdError("truncated delta block")
        if count == 0:
            i += nbytes
            continue
        if width == 0:
            deltas.append(np.zeros((count, channels), dtype=np.int64))
            continue
        bits = np.unpackbits(buf[i : i + nbytes], bitorder="little")[:nbits]
        vals = bits.reshape(-1, width).astype(np.int64) @ (
            np.int64(1) << np.arange(width, dtype=np.int64)
        )
        deltas.append(_sign_extend(vals, width).reshape(count, channels))
        i += nbytes
    if not deltas:
        return ref.reshape(1, channels)
    steps = np.concatenate([ref.reshape(1, channels), *deltas], axis=0)
    return np.cumsum(steps, axis=0)


def pack_delta_payload(samples: np.ndarray, block: int = 64, ref_bits: int = 16) -> bytes:
    """Encode samples (N, C) int as a delta-compressed payload (emulator and test side).

    The first sample is the reference (signed ``ref_bits``); the rest are deltas in blocks of
    up to ``block`` samples, each block at the smallest bit width that holds its deltas.
    """
    s = np.asarray(samples, dtype=np.int64)
    if s.ndim != 2 or s.shape[0] == 0:
        raise ValueError("need at least one sample of shape (N, C)")
    ref_bytes = (ref_bits + 7) // 8
    out = bytearray()
    for v in s[0]:
        out += int(v).to_bytes(ref_bytes, "little", signed=True)
    d = np.diff(s, axis=0)
    for start in range(0, d.shape[0], block):
        chunk = d[start : start + block]
        lo, hi = int(chunk.min()), int(chunk.max())
        width = 1
        while not (-(1 << (width - 1)) <= lo and hi < (1 << (width - 1))):
            width += 1
        flat = chunk.reshape(-1) & ((1 << width) - 1)
        bits = ((flat[:, None] >> np.arange(width)) & 1).astype(np.uint8).reshape(-1)
        out += bytes([width, chunk.shape[0]])
        out += np.packbits(bits, bitorder="little").tobytes()
    return bytes(out)


def parse_acc_frame(data: bytes, factor: float = 1.0) -> AccFrame:
    """Decode one ACC data notification into an :class:`AccFrame` (values in mG).

    Parameters
    ----------
    data : bytes
        The notification value.
    factor : float
        Scale from the START response (setting 5); 1.0 if the sensor sent none.

    Raises
    ------
    PmdError
        On a short frame, a non-ACC type, an unknown frame type or a bad payload length.
    """
    if len(data) < DATA_HEADER_LEN + 1:
        raise PmdError(f"PMD data frame too short ({len(data)} bytes)")
    mtype = data[0] & 0x3F
    if mtype != MeasurementType.ACC:
        raise PmdError(f"PMD data frame of type {mtype}, expected ACC")
    ts = int.from_bytes(bytes(data[1:9]), "little")
    ftype = data[9]
    payload = bytes(data[DATA_HEADER_LEN:])
    if ftype & DELTA_FRAME_BIT:
        kind = ftype & 0x7F
        if kind not in (0, 1):
            raise PmdError(f"unknown compressed ACC frame type {kind}")
        vals = unpack_delta_payload(payload, 3, 16).astype(np.float64)
        scale = factor * 1000.0 if kind == 0 else factor
        return AccFrame(ts, vals * scale, True)
    width = RAW_ACC_WIDTH.get(ftype)
    if width is None:
        raise PmdError(f"unknown raw ACC frame type {ftype}")
    if len(payload) % (3 * width):
        raise PmdError(f"raw ACC payload of {len(payload)} bytes is not whole samples")
    vals = _read_ints(payload, width).reshape(-1, 3).astype(np.float64)
    if factor != 1.0:
        vals = vals * factor
    return AccFrame(ts, vals, False)


def encode_acc_frame(
    timestamp_ns: int, samples_mg: np.ndarray, frame_type: int = 1, block: int = 64
) -> bytes:
    """Build an ACC data notification (emulator and test side).

    Parameters
    ----------
    timestamp_ns : int
        Sensor time of the last sample, ns since 2000-01-01.
    samples_mg : ndarray (N, 3) int
        Samples in sensor units (mG for raw and compressed type 1 with factor 1).
    frame_type : int
        0, 1, 2 raw (1/2/3 bytes per axis); 0x80 or 0x81 delta-compressed.
    """
    s = np.asarray(samples_mg, dtype=np.int64).reshape(-1, 3)
    head = bytes([MeasurementType.ACC]) + int(timestamp_ns).to_bytes(8, "little")
    head += bytes([frame_type])
    if frame_type & DELTA_FRAME_BIT:
        return head + pack_delta_payload(s, block=block)
    width = RAW_ACC_WIDTH[frame_type]
    lim = 1 << (8 * width - 1)
    s = np.clip(s, -lim, lim - 1)
    le = (s.reshape(-1, 1) >> (8 * np.arange(width))) & 0xFF
    return head + le.astype(np.uint8).tobytes()


def sample_times_ns(last_ns: int, n: int, fs: float, prev_last_ns: int | None = None) -> np.ndarray:
    """Sensor times (ns since 2000-01-01, float64) of ``n`` samples ending at ``last_ns``.

    The sample interval is ``(last_ns - prev_last_ns) / n`` when the previous frame's last
    time is known and earlier (this follows the sensor's own clock), else ``1e9 / fs``.
    """
    if prev_last_ns is not None and 0 < prev_last_ns < last_ns:
        dt = (last_ns - prev_last_ns) / n
        # Reject a spacing far from nominal (lost frames in between): use nominal then.
        if fs > 0 and not (0.5e9 / fs < dt < 2.0e9 / fs):
            dt = 1e9 / fs
    else:
        dt = 1e9 / fs
    return last_ns - dt * np.arange(n - 1, -1, -1, dtype=np.float64)


@dataclass
class PolarAccDecoder:
    """Stateful decoder of a PMD ACC notification stream into sensor times and g.

    Malformed notifications are counted in :attr:`corrupted` and skipped; they never raise.
    A timestamp that goes backwards (sensor reboot, clock reset) is counted in
    :attr:`resets` and decoding restarts from that frame.

    Attributes
    ----------
    fs : float
        Nominal sample rate in Hz.
    factor : float
        Scale from the START response.
    """

    fs: float
    factor: float = 1.0
    frames: int = 0
    samples: int = 0
    corrupted: int = 0
    resets: int = 0
    last_error: str = ""
    _prev_ns: int | None = field(default=None, repr=False)

    def reset_clock(self) -> None:
        """Forget the previous frame time (call after a reconnect)."""
        self._prev_ns = None

    def decode(self, data: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """Decode one notification.

        Returns
        -------
        (times_ns, acc_g) or None
            ``times_ns`` (N,) float64 sensor ns since 2000-01-01 and ``acc_g`` (N, 3) in g,
            or None when the notification was malformed (counted).
        """
        try:
            frame = parse_acc_frame(data, self.factor)
        except (PmdError, ValueError) as exc:
            self.corrupted += 1
            self.last_error = str(exc)
            return None
        n = frame.acc_mg.shape[0]
        if n == 0:
            self.corrupted += 1
            self.last_error = "empty frame"
            return None
        prev = self._prev_ns
        if prev is not None and frame.timestamp_ns <= prev:
            self.resets += 1
            prev = None
        times = sample_times_ns(frame.timestamp_ns, n, self.fs, prev)
        self._prev_ns = frame.timestamp_ns
        self.frames += 1
        self.samples += n
        return times, frame.acc_mg / 1000.0
