"""Live samples from a board speaking the sms-detect wire protocol over a serial port.

:class:`SerialSource` reads bytes with pyserial, decodes frames
(:mod:`sms_detect.devices.wire`), maps the device tick counter to host time
(:class:`~sms_detect.devices.clock.ClockMapper`) and hands out, in order,
:class:`~sms_detect.types.SampleBlock` objects (time in s since ``time_origin``, acc in g),
:class:`Gap` records (lost frames, unplugging, device restarts) and :class:`DeviceInfo`.
When the port disappears (board reset, cable pulled) it keeps trying to reopen it with
backoff, re-anchors the clock and records the gap.
"""

from __future__ import annotations

import errno
import time
from dataclasses import dataclass

import numpy as np
import serial

from sms_detect.devices import wire
from sms_detect.devices.clock import ClockMapper
from sms_detect.errors import InputError
from sms_detect.types import SampleBlock


@dataclass(frozen=True, slots=True)
class Gap:
    """Samples missing between ``start`` and ``end`` (s, last before / first after)."""

    sensor: str
    start: float
    end: float
    reason: str


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """Identity of the connected board (from its HELLO frame)."""

    model: str
    device_id: str
    firmware: str
    imu: str
    boot_id: int


@dataclass(slots=True)
class SourceStats:
    """Live counters of a :class:`SerialSource` (since it was created)."""

    connected: bool = False
    rate_hz: float = float("nan")
    range_g: int = 0
    frames: int = 0
    samples: int = 0
    lost_frames: int = 0
    lost_samples: int = 0
    crc_errors: int = 0
    resyncs: int = 0
    bad_frames: int = 0
    unknown_frames: int = 0
    reconnects: int = 0
    device_resets: int = 0
    battery_mv: int = 0
    battery_pct: int = wire.BATTERY_PCT_UNKNOWN
    device_overflow: int = 0
    skew_ppm: float = 0.0


Item = SampleBlock | Gap | DeviceInfo


def open_port(port: str, baudrate: int = 921600) -> serial.Serial:
    """Open a serial port for reading, turning failures into one-line :class:`InputError`.

    Parameters
    ----------
    port : str
        Device path, e.g. ``/dev/ttyACM0``.
    baudrate : int
        Line speed (baud); ignored by USB CDC devices and pseudo-terminals.
    """
    try:
        return serial.Serial(port, baudrate=baudrate, timeout=0.1)
    except serial.SerialException as exc:
        code = exc.errno
        if code == errno.ENOENT:
            raise InputError(f"{port}: no such serial port (is the board plugged in?)") from None
        if code in (errno.EACCES, errno.EPERM):
            raise InputError(
                f"{port}: permission denied (add your user to the 'dialout' group, "
                "or 'uucp' on some systems, then log in again)"
            ) from None
        if code == errno.EBUSY:
            raise InputError(f"{port}: port is busy (another program has it open)") from None
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "ioctl" in text or code == errno.ENOTTY:
            raise InputError(f"{port}: not a serial port") from None
        raise InputError(f"{port}: cannot open serial port: {text}") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{port}: cannot open serial port: {exc}") from None


class SerialSource:
    """Read a wire-protocol board on a serial port as sample blocks, gaps and device info.

    Parameters
    ----------
    port : str
        Serial device path (``/dev/ttyACM0``, ``/dev/ttyUSB0``, a pty or a symlink to one).
    sensor : str
        Sensor name given to the blocks (e.g. ``"wrist"``).
    baudrate : int
        Line speed for real UARTs (baud).
    time_origin : float, optional
        ``time.monotonic()`` value that becomes time 0 of the blocks; default: when
        created.
    time_base : {"host", "device"}
        ``"host"``: sample times on the host clock, drift-corrected (default).
        ``"device"``: the board's own clock (for accelerated replays of the emulator).
    reconnect : bool
        Keep reopening a port that disappeared (default) instead of raising InputError.
    backoff : (float, float)
        First and longest wait between reopening attempts (s); doubles each failure.
    """

    def __init__(
        self,
        port: str,
        *,
        sensor: str = "wrist",
        baudrate: int = 921600,
        time_origin: float | None = None,
        time_base: str = "host",
        reconnect: bool = True,
        backoff: tuple[float, float] = (0.1, 2.0),
    ) -> None:
        if time_base not in ("host", "device"):
            raise ValueError("time_base must be 'host' or 'device'")
        self.port = port
        self.sensor = sensor
        self.baudrate = baudrate
        self.time_origin = time.monotonic() if time_origin is None else float(time_origin)
        self.time_base = time_base
        self.reconnect = reconnect
        self.backoff = backoff
        self.stats = SourceStats()
        self.device: DeviceInfo | None = None
        self._ser: serial.Serial | None = None
        self._dec = wire.StreamDecoder()
        self._clock: ClockMapper | None = None
        self._last_seq: int | None = None
        self._next_index: int | None = None  # expected sample_index of the next frame
        self._last_time: float | None = None  # time of the last sample handed out (s)
        self._pending_gap: str | None = None  # reason of a gap to close at the next sample
        self._wait = backoff[0]
        self._next_try = 0.0
        self._dev_offset = 0.0  # device time base: offset of the current segment (s)
        self._lost_at: float | None = None  # monotonic time the port was lost
        self._boot_known = False  # False until a HELLO since the (re)connection

    # ------------------------------------------------------------------ port
    def open(self) -> None:
        """Open the port (first time): a missing or forbidden port is an InputError."""
        self._ser = open_port(self.port, self.baudrate)
        self.stats.connected = True

    def close(self) -> None:
        """Close the port."""
        if self._ser is not None:
            try:
                self._ser.close()
            except (OSError, serial.SerialException):
                pass
        self._ser = None
        self.stats.connected = False

    def __enter__(self) -> SerialSource:
        if self._ser is None:
            self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _lost(self) -> None:
        """The port went away: forget partial bytes and the clock anchor, note a gap."""
        self.close()
        self._dec.reset()
        if self._clock is not None:
            self._clock.reanchor()
        self._last_seq = None
        self._next_index = None
        self._pending_gap = "disconnected"
        self._boot_known = False
        self._lost_at = time.monotonic()
        self._wait = self.backoff[0]
        self._next_try = time.monotonic() + self._wait

    def _try_reopen(self, timeout: float) -> bool:
        now = time.monotonic()
        if now < self._next_try:
            time.sleep(min(timeout, self._next_try - now))
            return False
        try:
            self._ser = serial.Serial(self.port, baudrate=self.baudrate, timeout=0.1)
        except (serial.SerialException, OSError, ValueError):
            self._wait = min(self._wait * 2, self.backoff[1])
            self._next_try = time.monotonic() + self._wait
            return False
        self.stats.connected = True
        self.stats.reconnects += 1
        return True

    # ------------------------------------------------------------------ reading
    def poll(self, timeout: float = 0.1) -> list[Item]:
        """Wait up to ``timeout`` s for data; return what it completed, in order.

        Returns
        -------
        list of SampleBlock, Gap and DeviceInfo
            Sample blocks are strictly increasing in time, across calls too.
        """
        if self._ser is None:
            if not self.reconnect and self._lost_at is not None:
                raise InputError(f"{self.port}: serial port disconnected")
            if self._lost_at is None:
                self.open()
            elif not self._try_reopen(timeout):
                return []
        ser = self._ser
        assert ser is not None
        try:
            if ser.timeout != timeout:  # setting it reconfigures the port (a syscall or two)
                ser.timeout = timeout
            data = ser.read(1)
            if data and ser.in_waiting:
                data += ser.read(ser.in_waiting)
        except (serial.SerialException, OSError):
            self._lost()
            return []
        arrival = time.monotonic()
        if not data:
            return []
        frames = self._dec.feed(data)
        ds = self._dec.stats
        st = self.stats
        st.crc_errors = ds.crc_errors + ds.cobs_errors
        st.resyncs, st.bad_frames, st.unknown_frames = ds.resyncs, ds.bad_frames, ds.unknown_frames
        return self._handle(frames, arrival)

    def _handle(self, frames: list[wire.Frame], arrival: float) -> list[Item]:
        st = self.stats
        out: list[Item] = []
        times: list[np.ndarray] = []
        accs: list[np.ndarray] = []

        def flush_block() -> None:
            if times:
                out.append(SampleBlock(np.concatenate(times), np.concatenate(accs), self.sensor))
                times.clear()
                accs.clear()

        for f in frames:
            st.frames += 1
            if self._last_seq is not None:
                st.lost_frames += (f.seq - self._last_seq - 1) % 65536
            self._last_seq = f.seq
            if isinstance(f, wire.HelloFrame):
                if self._boot_known and self.device and f.boot_id != self.device.boot_id:
                    self._restart()
                self._boot_known = True
                info = DeviceInfo(f.model, f.device_id, f.firmware, f.imu, f.boot_id)
                if info != self.device:
                    self.device = info
                    flush_block()
                    out.append(info)
                continue
            if isinstance(f, wire.StatusFrame):
                st.battery_mv, st.battery_pct = f.battery_mv, f.battery_pct
                st.device_overflow = f.overflow
                continue
            res = self._samples(f, arrival)
            if res is None:
                continue
            gap, t, acc = res
            if gap is not None:
                flush_block()
                out.append(gap)
            times.append(t)
            accs.append(acc)
        flush_block()
        return out

    def _restart(self) -> None:
        """The device restarted: counters begin again, its clock needs a new anchor."""
        self.stats.device_resets += 1
        self._boot_known = False  # the next HELLO tells the new boot id, not a new restart
        if self._clock is not None:
            self._clock.reanchor()
        self._next_index = None
        if self._pending_gap is None and self._last_time is not None:
            self._pending_gap = "device_reset"

    def _samples(
        self, f: wire.SampleFrame, arrival: float
    ) -> tuple[Gap | None, np.ndarray, np.ndarray] | None:
        """Times (s) and acc (g) of one frame, and the gap before it if any."""
        st = self.stats
        if f.n == 0:
            return None
        if self._clock is None or self._clock.tick_hz != f.tick_hz:
            self._clock = ClockMapper(f.tick_hz)
        st.rate_hz, st.range_g = f.rate_hz, f.range_g
        gap_reason = self._pending_gap
        if self._next_index is not None and f.sample_index != self._next_index:
            jump = (f.sample_index - self._next_index) % 2**32
            if jump < 2**31 and jump < 3600 * f.rate_hz:  # forward: frames were lost
                st.lost_samples += jump
                gap_reason = gap_reason or "dropped"
            else:  # backwards or absurd: the device restarted without a HELLO yet
                self._restart()
                gap_reason = self._pending_gap or "device_reset"
        self._next_index = (f.sample_index + f.n) % 2**32
        clock = self._clock
        was_anchored = clock.anchored
        clock.observe(f.last_tick, arrival)
        st.skew_ppm = clock.skew_ppm
        ticks = f.tick + np.round(np.arange(f.n) * (f.tick_hz / f.rate_hz)).astype(np.int64)
        if self.time_base == "host":
            t = clock.host_of_tick(ticks) - self.time_origin
        else:
            if not was_anchored:  # new segment: continue after the outage measured on the host
                if self._last_time is None:
                    self._dev_offset = arrival - self.time_origin - f.n / f.rate_hz
                else:
                    outage = arrival - (self._lost_at or arrival)
                    self._dev_offset = self._last_time + max(outage, 1.0 / f.rate_hz)
            t = clock.device_seconds(ticks) + self._dev_offset
        t = np.asarray(t, dtype=np.float64)
        if self._last_time is not None and t[0] <= self._last_time:
            t = t + (self._last_time + 0.5 / f.rate_hz - t[0])  # keep time increasing
        acc = f.acc
        st.samples += f.n
        gap = None
        if gap_reason is not None and self._last_time is not None:
            gap = Gap(self.sensor, self._last_time, float(t[0]), gap_reason)
        self._pending_gap = None
        self._lost_at = None
        self._last_time = float(t[-1])
        return gap, t, acc
