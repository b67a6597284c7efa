"""Device-side logic of the sms-detect GATT service (see ../GATT.md), pure and portable.

Runs under MicroPython on the board (driven by ``main_ble.py`` with ``aioble``) and under
CPython in the tests, which check it against the host codec ``sms_detect.devices.gatt`` and
decode its frames with ``sms_detect.devices.wire``. Keep it MicroPython-compatible: no
dataclasses, no typing, no numpy, no f-strings with ``=``.
"""

try:
    import struct
except ImportError:  # very old MicroPython
    import ustruct as struct

try:
    from firmware_bridge.firmware.smsproto import Encoder
except ImportError:  # on the board the modules sit side by side
    from smsproto import Encoder

# UUIDs (must match sms_detect/devices/gatt.py)
SERVICE_UUID = "5d4f0001-8e1b-4c52-9a3e-736d73646574"
DATA_UUID = "5d4f0002-8e1b-4c52-9a3e-736d73646574"
CONTROL_UUID = "5d4f0003-8e1b-4c52-9a3e-736d73646574"

OP_START = 0x01
OP_STOP = 0x02
OP_GET_CONFIG = 0x03
RESPONSE_BIT = 0x80
STATUS_OK = 0
STATUS_UNKNOWN_OP = 1
STATUS_BAD_LENGTH = 2
STATUS_BAD_RATE = 3
STATUS_BAD_RANGE = 4

#: Rates (Hz) and ranges (+-g) the reference IMU setup supports.
RATES = (25, 50, 100, 200, 400, 800)
RANGES = (2, 4, 8, 16)

#: Bytes around the samples of one SAMPLES frame: header 30, CRC 4, delimiter 1, COBS <= 2.
FRAME_OVERHEAD = 37


def samples_per_notification(mtu, rate_hz, channels=3):
    """About 100 ms of samples, capped by what fits in one notification (mtu - 3 bytes)."""
    fit = (mtu - 3 - FRAME_OVERHEAD) // (2 * channels)
    want = max(1, int(rate_hz * 0.1 + 0.5))
    return max(1, min(fit, want))


class BleService:
    """State of the service: configuration, streaming flag, frame encoder.

    Parameters
    ----------
    tick_hz : int
        Frequency of the device tick counter (Hz).
    rate_hz, range_g : int
        Initial sample rate (Hz) and range (+-g).
    channels : int
        Values per sample.
    """

    def __init__(self, tick_hz=1000000, rate_hz=100, range_g=8, channels=3):
        self.tick_hz = tick_hz
        self.rate_hz = rate_hz
        self.range_g = range_g
        self.channels = channels
        self.streaming = False
        self.mtu = 23
        self.encoder = Encoder(tick_hz, rate_hz, range_g, None, channels)

    def per_notification(self):
        """Samples per data notification at the current MTU and rate."""
        return samples_per_notification(self.mtu, self.rate_hz, self.channels)

    def _response(self, op, status):
        return struct.pack(
            "<BBBHBB",
            (op | RESPONSE_BIT) & 0xFF,
            status,
            1 if self.streaming else 0,
            self.rate_hz,
            self.range_g,
            min(255, self.per_notification()),
        )

    def handle_control(self, data):
        """Apply one control write; return the response to notify on the control char."""
        if not data:
            return self._response(0, STATUS_BAD_LENGTH)
        op = data[0]
        if op == OP_START:
            if len(data) != 4:
                return self._response(op, STATUS_BAD_LENGTH)
            _, rate, rng = struct.unpack("<BHB", bytes(data))
            if rate not in RATES:
                return self._response(op, STATUS_BAD_RATE)
            if rng not in RANGES:
                return self._response(op, STATUS_BAD_RANGE)
            if rate != self.rate_hz or rng != self.range_g:
                seq = self.encoder.seq
                self.encoder = Encoder(self.tick_hz, rate, rng, None, self.channels)
                self.encoder.seq = seq
            self.rate_hz = rate
            self.range_g = rng
            self.streaming = True
            return self._response(op, STATUS_OK)
        if op == OP_STOP or op == OP_GET_CONFIG:
            if len(data) != 1:
                return self._response(op, STATUS_BAD_LENGTH)
            if op == OP_STOP:
                self.streaming = False
            return self._response(op, STATUS_OK)
        return self._response(op, STATUS_UNKNOWN_OP)

    def disconnected(self):
        """The link dropped: stop streaming until the next START."""
        self.streaming = False
        self.mtu = 23
