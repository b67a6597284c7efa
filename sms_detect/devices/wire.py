"""Host codec of the sms-detect serial wire format (``firmware_bridge/PROTOCOL.md``, v1).

A frame on the wire is ``COBS(payload + CRC-32) + b"\\x00"``. The payload starts with a
fixed 6-byte header (magic, protocol version, frame type, flags, sequence number) that every
version of the protocol keeps, so a decoder can always tell what it is skipping.

The decoder (:class:`StreamDecoder`) is streaming: feed it bytes in any split, it returns
whole frames, counts what it had to throw away, and never raises on garbage.
The encoders (:func:`encode_samples`, :func:`encode_hello`, :func:`encode_status`) produce
byte-for-byte what the reference firmware (``firmware_bridge/firmware/smsproto.py``) sends.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

#: First byte of every payload.
MAGIC = 0xA5
#: Protocol version this codec speaks.
VERSION = 1

#: Frame types (v1). Unknown types are skipped and counted.
TYPE_SAMPLES = 0x01
TYPE_HELLO = 0x02
TYPE_STATUS = 0x03

#: Longest encoded frame accepted (bytes, delimiter excluded); longer runs are discarded.
MAX_ENCODED = 4096

HEADER = struct.Struct("<BBBBH")  # magic, version, type, flags, seq
SAMPLES_BODY = struct.Struct("<IIIIfBBH")  # index, tick, tick_hz, rate_mhz, scale, range, ch, n
HELLO_BODY = struct.Struct("<III")  # tick, tick_hz, boot_id; then 4 length-prefixed strings
STATUS_BODY = struct.Struct("<IIHBBIh")  # tick, tick_hz, mV, %, reserved, overflow, temp c°C
CRC = struct.Struct("<I")

#: Sentinels of the status frame meaning "not known".
BATTERY_PCT_UNKNOWN = 255
TEMPERATURE_UNKNOWN = -32768


# ----------------------------------------------------------------------------- COBS


def cobs_encode(data: bytes) -> bytes:
    """COBS-encode ``data`` (the result holds no zero byte; the delimiter is not added).

    Parameters
    ----------
    data : bytes
        Any bytes.

    Returns
    -------
    bytes
        Encoded bytes, ``len(data) + 1 + len(data) // 254`` long at most.
    """
    out = bytearray()
    for piece in data.split(b"\x00"):
        while len(piece) >= 254:
            out.append(0xFF)
            out += piece[:254]
            piece = piece[254:]
        out.append(len(piece) + 1)
        out += piece
    return bytes(out)


def cobs_decode(data: bytes) -> bytes | None:
    """Decode one COBS block (without its delimiter); ``None`` if it is not valid COBS.

    The loop runs once per run of non-zero bytes (a slice copy each), not once per byte.
    """
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        code = data[i]
        if code == 0:
            return None
        end = i + code
        if end > n:
            return None
        out += data[i + 1 : end]
        i = end
        if code != 0xFF and i < n:
            out.append(0)
    return bytes(out)


def crc32(data: bytes) -> int:
    """CRC-32 (IEEE 802.3, the one of zlib/PNG/Ethernet) of ``data`` as an unsigned int."""
    return zlib.crc32(data) & 0xFFFFFFFF


# ----------------------------------------------------------------------------- frames


@dataclass(frozen=True, slots=True)
class SampleFrame:
    """A block of consecutive IMU samples.

    Attributes
    ----------
    seq : int
        Frame sequence number (0..65535, wraps; shared by all frame types).
    flags : int
        Header flags (reserved in v1, sent as 0).
    sample_index : int
        Index of the first sample since the device started streaming (u32, wraps).
    tick : int
        Device tick counter at the first sample (u32, wraps).
    tick_hz : int
        Tick counter frequency (Hz), nominal.
    rate_hz : float
        Nominal sample rate (Hz), sent in mHz.
    scale_g : float
        g per count.
    range_g : int
        Full-scale range (+-g).
    counts : ndarray, shape (n, channels), int16
        Raw counts; channels 0..2 are acceleration x, y, z, extra channels (e.g. gyro) follow.
    """

    seq: int
    flags: int
    sample_index: int
    tick: int
    tick_hz: int
    rate_hz: float
    scale_g: float
    range_g: int
    counts: np.ndarray = field(repr=False)

    @property
    def n(self) -> int:
        """Number of samples in the frame."""
        return int(self.counts.shape[0])

    @property
    def acc(self) -> np.ndarray:
        """Acceleration x, y, z in g, shape (n, 3), float64."""
        return self.counts[:, :3].astype(np.float64) * float(self.scale_g)

    @property
    def last_tick(self) -> int:
        """Device tick of the last sample (not wrapped; may exceed 2**32 - 1)."""
        return self.tick + round((self.n - 1) * self.tick_hz / self.rate_hz)


@dataclass(frozen=True, slots=True)
class HelloFrame:
    """Device identity, sent at boot and then every few seconds.

    Attributes
    ----------
    seq, flags : int
        As in :class:`SampleFrame`.
    tick, tick_hz : int
        Device tick counter when sent (u32) and its frequency (Hz).
    boot_id : int
        Random u32 drawn at boot: a new value means the device restarted.
    model, device_id, firmware, imu : str
        Board model, unique id (e.g. MAC), firmware version, IMU chip.
    """

    seq: int
    flags: int
    tick: int
    tick_hz: int
    boot_id: int
    model: str
    device_id: str
    firmware: str
    imu: str


@dataclass(frozen=True, slots=True)
class StatusFrame:
    """Periodic device health.

    Attributes
    ----------
    seq, flags, tick, tick_hz : int
        As in :class:`HelloFrame`.
    battery_mv : int
        Battery voltage (mV); 0 = unknown.
    battery_pct : int
        Battery charge (%); 255 = unknown.
    overflow : int
        Samples the device lost (FIFO or send-buffer overflow) since boot.
    temperature_c : float | None
        Board temperature (degrees C), ``None`` if unknown.
    """

    seq: int
    flags: int
    tick: int
    tick_hz: int
    battery_mv: int
    battery_pct: int
    overflow: int
    temperature_c: float | None


Frame = SampleFrame | HelloFrame | StatusFrame


# ----------------------------------------------------------------------------- encoding


def _finish(payload: bytes) -> bytes:
    return cobs_encode(payload + CRC.pack(crc32(payload))) + b"\x00"


def encode_samples(
    seq: int,
    sample_index: int,
    tick: int,
    tick_hz: int,
    rate_hz: float,
    range_g: int,
    counts: np.ndarray,
    scale_g: float | None = None,
    flags: int = 0,
) -> bytes:
    """Build one wire-ready sample frame (delimiter included).

    Parameters
    ----------
    seq : int
        Sequence number (taken modulo 2**16).
    sample_index : int
        Index of the first sample (modulo 2**32).
    tick : int
        Device tick at the first sample (modulo 2**32).
    tick_hz : int
        Tick frequency (Hz).
    rate_hz : float
        Nominal sample rate (Hz); sent as round(rate_hz * 1000) mHz.
    range_g : int
        Full-scale range (+-g).
    counts : ndarray, shape (n, channels)
        Integer counts (int16 range); channels >= 3, x, y, z first.
    scale_g : float, optional
        g per count; default ``range_g / 32768``.
    flags : int
        Header flags (0 in v1).

    Returns
    -------
    bytes
        ``COBS(payload + CRC-32) + b"\\x00"``.
    """
    c = np.ascontiguousarray(counts, dtype="<i2")
    if c.ndim != 2 or c.shape[1] < 3:
        raise ValueError("counts must have shape (n, channels>=3)")
    if scale_g is None:
        scale_g = range_g / 32768.0
    payload = (
        HEADER.pack(MAGIC, VERSION, TYPE_SAMPLES, flags, seq & 0xFFFF)
        + SAMPLES_BODY.pack(
            sample_index & 0xFFFFFFFF,
            tick & 0xFFFFFFFF,
            tick_hz,
            round(rate_hz * 1000),
            scale_g,
            range_g,
            c.shape[1],
            c.shape[0],
        )
        + c.tobytes()
    )
    return _finish(payload)


def _lp(text: str) -> bytes:
    raw = text.encode("utf-8")[:255]
    return bytes([len(raw)]) + raw


def encode_hello(
    seq: int,
    tick: int,
    tick_hz: int,
    boot_id: int,
    model: str,
    device_id: str,
    firmware: str,
    imu: str,
    flags: int = 0,
) -> bytes:
    """Build one wire-ready hello frame (delimiter included); strings are cut at 255 bytes."""
    payload = (
        HEADER.pack(MAGIC, VERSION, TYPE_HELLO, flags, seq & 0xFFFF)
        + HELLO_BODY.pack(tick & 0xFFFFFFFF, tick_hz, boot_id & 0xFFFFFFFF)
        + _lp(model)
        + _lp(device_id)
        + _lp(firmware)
        + _lp(imu)
    )
    return _finish(payload)


def encode_status(
    seq: int,
    tick: int,
    tick_hz: int,
    battery_mv: int = 0,
    battery_pct: int = BATTERY_PCT_UNKNOWN,
    overflow: int = 0,
    temperature_c: float | None = None,
    flags: int = 0,
) -> bytes:
    """Build one wire-ready status frame (delimiter included); mV, %, count, degrees C."""
    temp = TEMPERATURE_UNKNOWN if temperature_c is None else round(temperature_c * 100)
    payload = HEADER.pack(MAGIC, VERSION, TYPE_STATUS, flags, seq & 0xFFFF) + STATUS_BODY.pack(
        tick & 0xFFFFFFFF,
        tick_hz,
        battery_mv,
        battery_pct,
        0,
        overflow & 0xFFFFFFFF,
        temp,
    )
    return _finish(payload)


# ----------------------------------------------------------------------------- decoding


@dataclass(slots=True)
class DecoderStats:
    """What a :class:`StreamDecoder` saw and threw away (all counts since creation).

    Attributes
    ----------
    bytes_in : int
        Bytes fed.
    frames : int
        Good frames returned.
    crc_errors : int
        Frames whose CRC did not match (corrupted bytes, or two frames merged by a lost
        delimiter).
    cobs_errors : int
        Blocks that were not valid COBS.
    bad_frames : int
        CRC-valid blocks with a wrong magic, a too-short payload or inconsistent fields.
    unknown_frames : int
        Valid frames of a type or protocol version this decoder does not know (skipped).
    resyncs : int
        Times the decoder dropped bytes to re-synchronise on the next delimiter (every
        rejected block, plus the partial block at the start and oversize runs).
    """

    bytes_in: int = 0
    frames: int = 0
    crc_errors: int = 0
    cobs_errors: int = 0
    bad_frames: int = 0
    unknown_frames: int = 0
    resyncs: int = 0


class StreamDecoder:
    """Turn a byte stream into frames; never raises on garbage.

    Parameters
    ----------
    synced : bool
        ``False`` (default) when joining a stream that may be mid-frame: the bytes before the
        first delimiter are dropped without counting a CRC error.
    """

    def __init__(self, synced: bool = False) -> None:
        self._buf = bytearray()
        self._synced = synced
        self._discarding = False
        self.stats = DecoderStats()

    def reset(self, synced: bool = False) -> None:
        """Forget buffered bytes (e.g. after reopening a port); the counters are kept."""
        self._buf.clear()
        self._synced = synced
        self._discarding = False

    def feed(self, data: bytes) -> list[Frame]:
        """Feed bytes; return the frames completed by them, in order.

        Parameters
        ----------
        data : bytes
            Any bytes, in any split.

        Returns
        -------
        list of Frame
            :class:`SampleFrame`, :class:`HelloFrame` and :class:`StatusFrame` objects.
        """
        st = self.stats
        st.bytes_in += len(data)
        self._buf += data
        end = self._buf.rfind(0)
        if end < 0:
            if len(self._buf) > MAX_ENCODED:
                self._buf.clear()
                if not self._discarding:
                    st.resyncs += 1
                self._discarding = True
            return []
        blocks = bytes(self._buf[:end]).split(b"\x00")
        del self._buf[: end + 1]
        if len(self._buf) > MAX_ENCODED:
            self._buf.clear()
            st.resyncs += 1
            self._discarding = True
        frames: list[Frame] = []
        for block in blocks:
            if not self._synced or self._discarding:
                if block and not self._discarding:
                    st.resyncs += 1
                self._synced = True
                self._discarding = False
                continue
            if not block:
                continue
            frame = self._decode_block(block)
            if frame is not None:
                frames.append(frame)
        st.frames += len(frames)
        return frames

    def _decode_block(self, block: bytes) -> Frame | None:
        st = self.stats
        if len(block) > MAX_ENCODED:
            st.resyncs += 1
            st.bad_frames += 1
            return None
        raw = cobs_decode(block)
        if raw is None:
            st.cobs_errors += 1
            st.resyncs += 1
            return None
        if len(raw) < HEADER.size + CRC.size:
            st.crc_errors += 1
            st.resyncs += 1
            return None
        payload = raw[:-4]
        if crc32(payload) != CRC.unpack_from(raw, len(raw) - 4)[0]:
            st.crc_errors += 1
            st.resyncs += 1
            return None
        try:
            return self._parse(payload)
        except (struct.error, ValueError, IndexError, UnicodeDecodeError):
            st.bad_frames += 1
            return None

    def _parse(self, payload: bytes) -> Frame | None:
        st = self.stats
        magic, version, ftype, flags, seq = HEADER.unpack_from(payload, 0)
        if magic != MAGIC:
            st.bad_frames += 1
            return None
        if version != VERSION:
            st.unknown_frames += 1
            return None
        off = HEADER.size
        if ftype == TYPE_SAMPLES:
            index, tick, tick_hz, rate_mhz, scale, rng, ch, n = SAMPLES_BODY.unpack_from(
                payload, off
            )
            off += SAMPLES_BODY.size
            if ch < 3 or rate_mhz == 0 or tick_hz == 0 or not np.isfinite(scale) or scale <= 0:
                raise ValueError("bad sample header")
            if len(payload) < off + 2 * n * ch:
                raise ValueError("short sample frame")
            counts = np.frombuffer(payload, dtype="<i2", count=n * ch, offset=off)
            return SampleFrame(
                seq,
                flags,
                index,
                tick,
                tick_hz,
                rate_mhz / 1000.0,
                float(scale),
                rng,
                counts.reshape(n, ch),
            )
        if ftype == TYPE_HELLO:
            tick, tick_hz, boot_id = HELLO_BODY.unpack_from(payload, off)
            off += HELLO_BODY.size
            texts = []
            for _ in range(4):
                ln = payload[off]
                if off + 1 + ln > len(payload):
                    raise ValueError("short hello frame")
                texts.append(payload[off + 1 : off + 1 + ln].decode("utf-8"))
                off += 1 + ln
            return HelloFrame(seq, flags, tick, tick_hz, boot_id, *texts)
        if ftype == TYPE_STATUS:
            tick, tick_hz, mv, pct, _res, overflow, temp = STATUS_BODY.unpack_from(payload, off)
            return StatusFrame(
                seq,
                flags,
                tick,
                tick_hz,
                mv,
                pct,
                overflow,
                None if temp == TEMPERATURE_UNKNOWN else temp / 100.0,
            )
        st.unknown_frames += 1
        return None
