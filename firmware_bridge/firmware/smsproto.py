"""Frame encoder of the sms-detect wire protocol v1 (device side, see ../PROTOCOL.md).

Pure logic, no hardware: runs under MicroPython on the board and under CPython in the test
suite, which decodes its output with the host decoder (``sms_detect.devices.wire``) and checks
it bit for bit. Keep it MicroPython-compatible: no f-strings with ``=``, no dataclasses, no
typing imports, no numpy.
"""

try:
    import struct
except ImportError:  # very old MicroPython
    import ustruct as struct

try:
    from binascii import crc32 as _crc32_native
except ImportError:  # ports built without binascii.crc32
    _crc32_native = None

MAGIC = 0xA5
VERSION = 1
TYPE_SAMPLES = 0x01
TYPE_HELLO = 0x02
TYPE_STATUS = 0x03
BATTERY_PCT_UNKNOWN = 255
TEMPERATURE_UNKNOWN = -32768

_HEADER = "<BBBBH"
_SAMPLES = "<IIIIfBBH"
_HELLO = "<III"
_STATUS = "<IIHBBIh"

_CRC_TABLE = None


def _make_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            if c & 1:
                c = (c >> 1) ^ 0xEDB88320
            else:
                c >>= 1
        table.append(c)
    return table


def crc32_soft(data, crc=0):
    """CRC-32 (IEEE, as zlib) computed with a 256-entry table; for ports lacking binascii."""
    global _CRC_TABLE
    if _CRC_TABLE is None:
        _CRC_TABLE = _make_table()
    t = _CRC_TABLE
    c = crc ^ 0xFFFFFFFF
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def crc32(data):
    """CRC-32 (IEEE 802.3, the value of zlib.crc32) of ``data`` as an unsigned int."""
    if _crc32_native is not None:
        return _crc32_native(data) & 0xFFFFFFFF
    return crc32_soft(data)


def cobs_encode(data):
    """COBS-encode ``data`` canonically (PROTOCOL.md section 1); no delimiter added."""
    out = bytearray()
    for piece in bytes(data).split(b"\x00"):
        while len(piece) >= 254:
            out.append(0xFF)
            out.extend(piece[:254])
            piece = piece[254:]
        out.append(len(piece) + 1)
        out.extend(piece)
    return bytes(out)


def frame(payload):
    """Wrap a payload for the wire: COBS(payload + CRC-32 little-endian) + 0x00."""
    return cobs_encode(payload + struct.pack("<I", crc32(payload))) + b"\x00"


def _lp(text):
    raw = text.encode("utf-8")[:255]
    return bytes([len(raw)]) + raw


class Encoder:
    """Builds frames and keeps the sequence number.

    Parameters
    ----------
    tick_hz : int
        Frequency of the tick counter passed to every call (Hz), e.g. 1000000.
    rate_hz : float
        Nominal sample rate (Hz); sent in mHz.
    range_g : int
        Full-scale range (+-g).
    scale_g : float or None
        g per count; ``None`` means range_g / 32768.
    channels : int
        Values per sample (3 = acc x, y, z).
    """

    def __init__(self, tick_hz, rate_hz, range_g, scale_g=None, channels=3):
        self.tick_hz = int(tick_hz)
        self.rate_mhz = int(rate_hz * 1000 + 0.5)
        self.range_g = int(range_g)
        if scale_g is None:
            scale_g = range_g / 32768.0
        self.scale_g = scale_g
        self.channels = int(channels)
        self.seq = 0

    def _header(self, ftype):
        h = struct.pack(_HEADER, MAGIC, VERSION, ftype, 0, self.seq & 0xFFFF)
        self.seq = (self.seq + 1) & 0xFFFF
        return h

    def samples(self, sample_index, tick, data, n):
        """One SAMPLES frame.

        Parameters
        ----------
        sample_index : int
            Index of the first sample.
        tick : int
            Device tick at the first sample.
        data : bytes-like or sequence of int
            ``n * channels`` values, sample-major: either little-endian int16 bytes straight
            from the IMU, or ints (counts).
        n : int
            Number of samples.
        """
        if isinstance(data, (bytes, bytearray, memoryview)):
            raw = bytes(data)
        else:
            raw = struct.pack("<" + str(len(data)) + "h", *data)
        if len(raw) != 2 * n * self.channels:
            raise ValueError("data length does not match n * channels")
        body = struct.pack(
            _SAMPLES,
            sample_index & 0xFFFFFFFF,
            tick & 0xFFFFFFFF,
            self.tick_hz,
            self.rate_mhz,
            self.scale_g,
            self.range_g,
            self.channels,
            n,
        )
        return frame(self._header(TYPE_SAMPLES) + body + raw)

    def hello(self, tick, boot_id, model, device_id, firmware, imu):
        """One HELLO frame (strings are cut at 255 bytes)."""
        body = struct.pack(_HELLO, tick & 0xFFFFFFFF, self.tick_hz, boot_id & 0xFFFFFFFF)
        body = body + _lp(model) + _lp(device_id) + _lp(firmware) + _lp(imu)
        return frame(self._header(TYPE_HELLO) + body)

    def status(
        self, tick, battery_mv=0, battery_pct=BATTERY_PCT_UNKNOWN, overflow=0, temperature_c=None
    ):
        """One STATUS frame: battery in mV and %, lost samples, temperature in degrees C."""
        if temperature_c is None:
            temp = TEMPERATURE_UNKNOWN
        else:
            temp = int(round(temperature_c * 100))
        body = struct.pack(
            _STATUS,
            tick & 0xFFFFFFFF,
            self.tick_hz,
            battery_mv,
            battery_pct,
            0,
            overflow & 0xFFFFFFFF,
            temp,
        )
        return frame(self._header(TYPE_STATUS) + body)


class TickCounter:
    """A 32-bit tick counter extended from a port's shorter ``ticks_us`` (wraps at 2**32).

    Parameters
    ----------
    ticks_fn : callable
        Returns the port's tick value (e.g. ``time.ticks_us``).
    diff_fn : callable
        ``diff_fn(new, old)`` gives the signed difference (e.g. ``time.ticks_diff``).
    """

    def __init__(self, ticks_fn, diff_fn):
        self._ticks = ticks_fn
        self._diff = diff_fn
        self._last = ticks_fn()
        self.value = 0

    def now(self):
        """Advance and return the 32-bit counter."""
        t = self._ticks()
        self.value = (self.value + self._diff(t, self._last)) & 0xFFFFFFFF
        self._last = t
        return self.value
