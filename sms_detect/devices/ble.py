"""Bluetooth LE sensors on bleak: scan, connect, stream, reconnect forever.

Supported sensors:

- ``sms``: our reference firmware's GATT service (``sms_detect.devices.gatt``), carrying the
  serial wire frames (``sms_detect.devices.wire``) in notifications;
- ``polar``: Polar H10 / Verity Sense / OH1 accelerometer over PMD
  (``sms_detect.devices.polar_pmd``);
- ``movesense``: Movesense sensors running the "GATT SensorData" sample firmware
  (``sms_detect.devices.movesense``).

:class:`BleSource` connects (``bleak-retry-connector``), configures and starts streaming,
decodes notifications into :class:`~sms_detect.types.SampleBlock` (host time in s, g),
counts and skips corrupted or short notifications, and after a disconnect reconnects with
backoff until stopped, recording the gap and re-anchoring the sensor clock. A sensor reboot
(counter or clock going back) is recorded as a ``device_reset`` gap.

The bleak backend classes can be injected (``scanner_backend``, ``client_backend``): the
tests and the demo pass the bumble backend of ``firmware_bridge.bumble_bleak_backend``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from sms_detect.devices import gatt, wire
from sms_detect.devices import movesense as mv
from sms_detect.devices import polar_pmd as pmd
from sms_detect.devices.clock import ClockMapper
from sms_detect.devices.serial_source import DeviceInfo, Gap, SourceStats
from sms_detect.errors import InputError
from sms_detect.types import SampleBlock

log = logging.getLogger(__name__)

#: Service UUID of Movesense's GATT SensorData sample firmware.
MOVESENSE_SERVICE = mv.SERVICE
#: Heart-rate service UUID (Polar straps advertise it).
HEART_RATE_SERVICE = "0000180d-0000-1000-8000-00805f9b34fb"

KIND_DESCRIPTIONS = {
    "sms": "sms-detect firmware",
    "polar": "Polar (PMD accelerometer)",
    "movesense": "Movesense (GATT SensorData firmware)",
}


# ============================================================================ scanning
@dataclass(frozen=True)
class FoundSensor:
    """A supported sensor seen while scanning.

    Attributes
    ----------
    name : str
        Advertised name ("" if none).
    address : str
        Bluetooth address (a UUID on macOS).
    rssi : int
        Signal strength (dBm).
    kind : str
        ``"sms"``, ``"polar"`` or ``"movesense"``.
    """

    name: str
    address: str
    rssi: int
    kind: str

    @property
    def description(self) -> str:
        """What the sensor is, in words."""
        return KIND_DESCRIPTIONS[self.kind]


def classify(name: str | None, service_uuids: list[str]) -> str | None:
    """Return the sensor kind from an advertisement, or None when not supported."""
    uuids = {u.lower() for u in service_uuids}
    if gatt.SERVICE in uuids:
        return "sms"
    if pmd.PMD_SERVICE in uuids or (name or "").startswith("Polar "):
        return "polar"
    if mv.SERVICE in uuids or (name or "").startswith("Movesense"):
        return "movesense"
    return None


async def scan(timeout: float = 5.0, *, backend: type | None = None) -> list[FoundSensor]:
    """Scan for ``timeout`` s and return the supported sensors seen, strongest first.

    Parameters
    ----------
    timeout : float
        Scan duration (s).
    backend : type, optional
        bleak scanner backend class (default: the platform's).
    """
    found: dict[str, FoundSensor] = {}

    def on_adv(device: BLEDevice, adv: AdvertisementData) -> None:
        name = adv.local_name or device.name or ""
        kind = classify(name, list(adv.service_uuids))
        if kind is not None:
            found[device.address] = FoundSensor(name, device.address, int(adv.rssi), kind)

    kwargs: dict[str, Any] = {} if backend is None else {"backend": backend}
    async with BleakScanner(detection_callback=on_adv, **kwargs):
        await asyncio.sleep(timeout)
    return sorted(found.values(), key=lambda s: -s.rssi)


# ============================================================================ protocols
@dataclass
class BleStats:
    """Live state of one BLE sensor (for the status line).

    Attributes
    ----------
    state : str
        ``"searching"``, ``"connecting"``, ``"streaming"``, ``"reconnecting"``, ``"stopped"``.
    rssi : int or None
        Last RSSI seen while scanning (dBm).
    rate_hz : float
        Nominal sample rate (Hz).
    mtu : int
        Negotiated ATT MTU (bytes).
    notifications, samples : int
        Good data notifications and samples delivered.
    corrupted : int
        Notifications rejected (bad CRC, bad frame, undecodable).
    short : int
        Notifications too short or cut (skipped).
    lost_samples : int
        Samples missing inside a connection (from counters or timestamps).
    reconnects : int
        Links re-established after a loss.
    resets : int
        Sensor restarts seen (counter or clock going back).
    """

    state: str = "searching"
    rssi: int | None = None
    rate_hz: float = 0.0
    mtu: int = 23
    notifications: int = 0
    samples: int = 0
    corrupted: int = 0
    short: int = 0
    lost_samples: int = 0
    reconnects: int = 0
    resets: int = 0


@dataclass
class Decoded:
    """Samples from one notification and what the sensor said.

    Attributes
    ----------
    ticks : ndarray (N,) int64
        Sensor clock of each sample, raw counter (modulo ``2**wrap_bits``).
    acc : ndarray (N, 3)
        Acceleration in g.
    tick_hz : float
        Counter frequency (Hz).
    wrap_bits : int
        Counter width.
    reset : bool
        The sensor restarted (counter or clock went back) before these samples.
    lost : int
        Samples missing just before these (within a connection).
    """

    ticks: np.ndarray
    acc: np.ndarray
    tick_hz: float = 1e9
    wrap_bits: int = 62
    reset: bool = False
    lost: int = 0
    info: DeviceInfo | None = None


class SensorProtocol:
    """How to start one kind of sensor and decode its notifications (one per connection)."""

    kind = ""
    service = ""

    def __init__(self, stats: BleStats, rate_hz: float, range_g: int) -> None:
        self.stats = stats
        self.rate_hz = float(rate_hz)
        self.range_g = int(range_g)
        self.info: dict[str, str] = {}

    async def start(self, client: BleakClient) -> None:
        """Configure the sensor and start streaming (raises InputError if refused)."""
        raise NotImplementedError

    async def stop(self, client: BleakClient) -> None:
        """Ask the sensor to stop streaming (best effort)."""

    def decode(self, data: bytes) -> list[Decoded]:
        """Decode one data notification; malformed ones are counted in stats and skipped."""
        raise NotImplementedError

    def new_connection(self) -> None:
        """Called before :meth:`start` on every (re)connection."""


async def _await_response(queue: asyncio.Queue[bytes], timeout: float = 5.0) -> bytes:
    return await asyncio.wait_for(queue.get(), timeout)


class SmsProtocol(SensorProtocol):
    """Our firmware's service: wire frames in notifications, tick counter for time."""

    kind = "sms"
    service = gatt.SERVICE

    def __init__(self, stats: BleStats, rate_hz: float, range_g: int) -> None:
        super().__init__(stats, rate_hz, range_g)
        self.decoder = wire.StreamDecoder(synced=True)
        self._boot_id: int | None = None
        self._tick_unwrapped: int | None = None
        self._next_index: int | None = None
        self._control: asyncio.Queue[bytes] = asyncio.Queue()

    def new_connection(self) -> None:
        """A new link: sample indices may jump (samples taken while disconnected)."""
        self._next_index = None

    async def start(self, client: BleakClient) -> None:
        """Read device info, subscribe, send START, check the answer."""
        for key, uuid in (
            ("model", gatt.MODEL_NUMBER),
            ("serial", gatt.SERIAL_NUMBER),
            ("firmware", gatt.FIRMWARE_REVISION),
        ):
            with contextlib.suppress(Exception):
                self.info[key] = bytes(await client.read_gatt_char(uuid)).decode(errors="replace")
        self._control = asyncio.Queue()
        await client.start_notify(gatt.CONTROL, lambda _c, d: self._control.put_nowait(bytes(d)))
        await client.start_notify(gatt.DATA, self._on_data)
        await client.write_gatt_char(
            gatt.CONTROL, gatt.encode_start(int(self.rate_hz), self.range_g), response=True
        )
        resp = gatt.parse_response(await _await_response(self._control))
        if not resp.ok:
            raise InputError(
                f"sensor refused START at {self.rate_hz:g} Hz, +-{self.range_g} g: "
                f"{resp.status_name}"
            )

    def _on_data(self, _char: object, data: bytearray) -> None:  # replaced by BleSource
        raise RuntimeError("not bound")

    async def stop(self, client: BleakClient) -> None:
        """Send STOP."""
        await client.write_gatt_char(gatt.CONTROL, gatt.encode_stop(), response=True)

    def decode(self, data: bytes) -> list[Decoded]:
        """One notification holds whole wire frames ending in the delimiter."""
        if not data.endswith(b"\x00"):
            self.stats.short += 1
            return []
        st = self.decoder.stats
        bad_before = st.crc_errors + st.cobs_errors + st.bad_frames
        self.decoder.reset(synced=True)
        frames = self.decoder.feed(bytes(data))
        bad = st.crc_errors + st.cobs_errors + st.bad_frames - bad_before
        if bad:
            self.stats.corrupted += 1
        out: list[Decoded] = []
        for f in frames:
            if isinstance(f, wire.HelloFrame):
                reset = self._boot_id is not None and f.boot_id != self._boot_id
                new = f.boot_id != self._boot_id
                self._boot_id = f.boot_id
                self.info["device_id"] = f.device_id
                self.info["model"] = f.model
                if reset:
                    self._tick_unwrapped = None
                    self._next_index = None
                if new:
                    info = DeviceInfo(f.model, f.device_id, f.firmware, f.imu, f.boot_id)
                    out.append(
                        Decoded(np.empty(0, np.int64), np.empty((0, 3)), reset=reset, info=info)
                    )
            elif isinstance(f, wire.SampleFrame):
                out.append(self._samples(f))
        return out

    def _samples(self, f: wire.SampleFrame) -> Decoded:
        reset = False
        lost = 0
        if self._tick_unwrapped is None:
            tick = f.tick
        else:
            prev = self._tick_unwrapped
            tick = prev + ((f.tick - prev) & 0xFFFFFFFF)
            if (f.tick - prev) & 0xFFFFFFFF > 0x80000000:  # went back: restart
                reset = True
                tick = f.tick
        if self._next_index is not None:
            jump = (f.sample_index - self._next_index) & 0xFFFFFFFF
            if jump > 0x80000000:
                reset = True
            elif jump:
                lost = jump
        self._tick_unwrapped = tick
        self._next_index = (f.sample_index + f.n) & 0xFFFFFFFF
        self.rate_hz = f.rate_hz
        ticks = f.tick + np.round(np.arange(f.n) * (f.tick_hz / f.rate_hz)).astype(np.int64)
        return Decoded(ticks, f.acc, float(f.tick_hz), 32, reset=reset, lost=lost)


class PolarProtocol(SensorProtocol):
    """Polar PMD accelerometer: settings query, START, raw or compressed frames."""

    kind = "polar"
    service = pmd.PMD_SERVICE

    def __init__(self, stats: BleStats, rate_hz: float, range_g: int) -> None:
        super().__init__(stats, rate_hz, range_g)
        self.decoder = pmd.PolarAccDecoder(fs=rate_hz)
        self._control: asyncio.Queue[bytes] = asyncio.Queue()
        self._last_ns: float | None = None
        self._before_ns: float | None = None

    def new_connection(self) -> None:
        """Frame spacing restarts from the nominal rate after a reconnect."""
        self.decoder.reset_clock()
        if self._last_ns is not None:
            self._before_ns = self._last_ns
        self._last_ns = None

    async def _command(self, client: BleakClient, cmd: bytes) -> pmd.ControlResponse:
        await client.write_gatt_char(pmd.PMD_CONTROL, cmd, response=True)
        resp = pmd.parse_control_response(await _await_response(self._control))
        params = resp.params
        more = resp.more
        while more:  # multi-part answers repeat the header
            nxt = pmd.parse_control_response(await _await_response(self._control))
            params += nxt.params
            more = nxt.more
        return pmd.ControlResponse(resp.op, resp.mtype, resp.status, False, params)

    async def start(self, client: BleakClient) -> None:
        """Check ACC support, pick a supported rate and range, START."""
        feats = pmd.parse_features(bytes(await client.read_gatt_char(pmd.PMD_CONTROL)))
        if pmd.MeasurementType.ACC not in feats:
            raise InputError("this Polar sensor has no accelerometer stream")
        self._control = asyncio.Queue()
        await client.start_notify(pmd.PMD_CONTROL, lambda _c, d: self._control.put_nowait(bytes(d)))
        await client.start_notify(pmd.PMD_DATA, self._on_data)
        settings = (await self._command(client, pmd.get_settings_command())).settings()
        rates = [int(r) for r in settings.get(pmd.Setting.SAMPLE_RATE, [int(self.rate_hz)])]
        ranges = [int(r) for r in settings.get(pmd.Setting.RANGE, [self.range_g])]
        rate = min(rates, key=lambda r: (r < self.rate_hz, abs(r - self.rate_hz)))
        rng = min(ranges, key=lambda r: (r < self.range_g, abs(r - self.range_g)))
        resp = await self._command(client, pmd.start_command(rate_hz=rate, range_g=rng))
        if resp.status == 6:  # already streaming (left on by a previous session): restart
            await self._command(client, pmd.stop_command())
            resp = await self._command(client, pmd.start_command(rate_hz=rate, range_g=rng))
        if not resp.ok:
            raise InputError(f"Polar sensor refused START at {rate} Hz: {resp.status_name}")
        factor = resp.settings().get(pmd.Setting.FACTOR, [1.0])[0]
        self.rate_hz = float(rate)
        self.range_g = rng
        self.decoder.fs = float(rate)
        self.decoder.factor = float(factor)

    def _on_data(self, _char: object, data: bytearray) -> None:  # replaced by BleSource
        raise RuntimeError("not bound")

    async def stop(self, client: BleakClient) -> None:
        """Send STOP for ACC."""
        await client.write_gatt_char(pmd.PMD_CONTROL, pmd.stop_command(), response=True)

    def decode(self, data: bytes) -> list[Decoded]:
        """Decode one PMD data notification."""
        dec = self.decoder
        if len(data) <= pmd.DATA_HEADER_LEN:
            self.stats.short += 1
            return []
        resets_before = dec.resets
        out = dec.decode(bytes(data))
        if out is None:
            if "truncated" in dec.last_error or "whole samples" in dec.last_error:
                self.stats.short += 1
            else:
                self.stats.corrupted += 1
            return []
        times_ns, acc = out
        reset = dec.resets > resets_before
        if self._before_ns is not None:  # first frame of a new link: clock went back?
            reset = reset or times_ns[-1] < self._before_ns
            self._before_ns = None
        lost = 0
        if self._last_ns is not None and not reset:
            gap = times_ns[0] - self._last_ns
            lost = max(0, int(round(gap * dec.fs / 1e9)) - 1)
        self._last_ns = float(times_ns[-1])
        ticks = np.round(times_ns).astype(np.int64)
        return [Decoded(ticks, acc, 1e9, 62, reset=reset, lost=lost)]


class MovesenseProtocol(SensorProtocol):
    """Movesense GATT SensorData firmware: subscribe to ``/Meas/Acc/<rate>``."""

    kind = "movesense"
    service = mv.SERVICE
    #: Our subscription id (any byte; echoed by the sensor).
    REF = 0x53

    def __init__(self, stats: BleStats, rate_hz: float, range_g: int) -> None:
        super().__init__(stats, rate_hz, range_g)
        self.decoder = mv.MovesenseDecoder(self.REF)
        self._ms: int | None = None  # unwrapped ms of the newest packet
        self._last_us: int | None = None  # time of the last sample handed out (us)
        self._before_us: int | None = None

    def new_connection(self) -> None:
        """Remember where the last link ended, to tell a dropout from a restart."""
        if self._last_us is not None:
            self._before_us = self._last_us
        self._last_us = None

    async def start(self, client: BleakClient) -> None:
        """Subscribe to the accelerometer at the nearest supported rate."""
        rate = mv.nearest_rate(self.rate_hz)
        self.decoder = mv.MovesenseDecoder(self.REF, full_len=int(client.mtu_size) - 3)
        self.rate_hz = float(rate)
        await client.start_notify(mv.NOTIFY, self._on_data)
        await client.write_gatt_char(mv.WRITE, mv.subscribe_command(self.REF, rate), response=True)
        for _ in range(200):  # up to 2 s for the answer (or data) before going on regardless
            if self.decoder.responses or self._last_us is not None:
                break
            await asyncio.sleep(0.01)
        bad = [s for s in self.decoder.responses if not 200 <= s < 300]
        if bad:
            raise InputError(f"Movesense refused /Meas/Acc/{rate}: status {bad[0]}")

    def _on_data(self, _char: object, data: bytearray) -> None:  # replaced by BleSource
        raise RuntimeError("not bound")

    async def stop(self, client: BleakClient) -> None:
        """Unsubscribe."""
        await client.write_gatt_char(mv.WRITE, mv.unsubscribe_command(self.REF), response=True)

    def decode(self, data: bytes) -> list[Decoded]:
        """Decode one notification (packets split in two are joined first)."""
        dec = self.decoder
        c0, s0 = dec.corrupted, dec.short
        packets = dec.feed(bytes(data))
        self.stats.corrupted += dec.corrupted - c0
        self.stats.short += dec.short - s0
        out: list[Decoded] = []
        for p in packets:
            reset = False
            if self._ms is None:
                ms = p.timestamp_ms
            else:
                step = (p.timestamp_ms - self._ms) & 0xFFFFFFFF
                if step > 0x80000000:  # went back: the sensor restarted
                    reset = True
                    ms = p.timestamp_ms
                else:
                    ms = self._ms + step
            n = p.acc_g.shape[0]
            us = ms * 1000 + np.round(np.arange(n) * (1e6 / self.rate_hz)).astype(np.int64)
            if self._before_us is not None:  # first packet of a new link
                reset = reset or int(us[0]) < self._before_us
                self._before_us = None
            lost = 0
            if self._last_us is not None and not reset:
                lost = max(0, int(round((us[0] - self._last_us) * self.rate_hz / 1e6)) - 1)
            self._ms = ms
            self._last_us = int(us[-1])
            out.append(Decoded(us, p.acc_g, 1e6, 62, reset=reset, lost=lost))
        return out


PROTOCOLS: dict[str, type[SensorProtocol]] = {
    "sms": SmsProtocol,
    "polar": PolarProtocol,
    "movesense": MovesenseProtocol,
}


# ============================================================================ source
#: What a source hands out, in order (the same items as the serial source's ``poll``).
Item = SampleBlock | Gap | DeviceInfo

#: Rate (s per s) at which a sensor's sample times move earlier once its clock mapping is
#: shown to be late (see :class:`~sms_detect.devices.clock.ClockMapper`): a first frame
#: 1 s late is absorbed in 10 s, sample intervals shrinking by at most 10% meanwhile.
CLOCK_CATCHUP = 0.1


@dataclass
class BleSource:
    """Stream one BLE sensor into :class:`SampleBlock` objects, reconnecting until stopped.

    Parameters
    ----------
    target : str
        Address or advertised name of the sensor.
    sensor : str
        Name of the sensor in the recording (e.g. ``"wrist"``).
    rate_hz : float
        Requested sample rate (Hz); Polar picks the nearest supported rate at or above it.
    range_g : int
        Requested full-scale range (g).
    kind : str, optional
        ``"sms"`` or ``"polar"``; default: from the advertisement.
    scanner_backend, client_backend : type, optional
        bleak backend classes (default: the platform's).
    now : callable
        Host clock (s), ``time.monotonic`` by default (simulations inject theirs).
    time_origin : float, optional
        Value of ``now()`` that becomes time 0 of the blocks; default: at creation.
    scan_timeout : float
        Longest search per attempt (s).
    backoff : (float, float)
        First and longest wait between reconnection attempts (s); doubles each failure.
    adapter : str, optional
        Bluetooth adapter to use (BlueZ, e.g. ``"hci1"``; default: bleak's choice).
    """

    target: str
    sensor: str = "wrist"
    rate_hz: float = 100.0
    range_g: int = 8
    kind: str | None = None
    scanner_backend: type | None = None
    client_backend: type | None = None
    now: Callable[[], float] = time.monotonic
    time_origin: float | None = None
    scan_timeout: float = 10.0
    adapter: str | None = None
    backoff: tuple[float, float] = (0.5, 30.0)
    stats: BleStats = field(default_factory=BleStats)
    gaps: list[Gap] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.time_origin is None:
            self.time_origin = self.now()
        self._stop = asyncio.Event()
        self._clock: ClockMapper | None = None
        self._proto: SensorProtocol | None = None
        self._last_time: float | None = None
        self._pending_gap: str | None = None
        self._client: BleakClient | None = None
        self.address: str | None = None

    # ------------------------------------------------------------------ control
    def stop(self) -> None:
        """Ask :meth:`run` to disconnect and return."""
        self._stop.set()

    # ------------------------------------------------------------------ data path
    def _emit(self, on_item: Callable[[Item], Any], arrival: float, data: bytes) -> None:
        proto = self._proto
        if proto is None:
            return
        for d in proto.decode(data):
            if d.info is not None:
                on_item(d.info)
            if d.reset:
                self.stats.resets += 1
                self._clock = None
                self._pending_gap = "device_reset"
            if d.ticks.size == 0:
                continue
            if d.lost and self._pending_gap is None:
                self.stats.lost_samples += d.lost
                self._pending_gap = "dropped"
            clock = self._clock
            if clock is None or clock.tick_hz != d.tick_hz:
                # the anchor is the first frame's arrival, late by that frame's latency (a
                # busy host, a radio retry): catch up fast once later frames show it, so the
                # sensors of a recording agree on time well within merge_sensor_tol_s soon
                # after every (re)connection (at 0.005 s/s alone, 0.3 s took a minute)
                clock = self._clock = ClockMapper(
                    d.tick_hz, wrap_bits=d.wrap_bits, max_slew=0.005, max_catchup=CLOCK_CATCHUP
                )
            clock.observe(int(d.ticks[-1]), arrival)
            t = np.asarray(clock.host_of_tick(d.ticks), dtype=np.float64) - self.time_origin
            if self._last_time is not None:
                keep = t > self._last_time
                if not keep.all():  # never hand out time going backwards
                    t, acc = t[keep], d.acc[keep]
                    if t.size == 0:
                        continue
                else:
                    acc = d.acc
                if self._pending_gap is not None:
                    gap = Gap(self.sensor, self._last_time, float(t[0]), self._pending_gap)
                    self.gaps.append(gap)
                    on_item(gap)
            else:
                acc = d.acc
            self._pending_gap = None
            self._last_time = float(t[-1])
            self.stats.notifications += 1
            self.stats.samples += int(t.size)
            on_item(SampleBlock(time=t, acc=np.asarray(acc, dtype=np.float64), sensor=self.sensor))

    # ------------------------------------------------------------------ connection loop
    async def _find(self) -> BLEDevice | None:
        target = self.target.lower()
        kwargs: dict[str, Any] = {}
        if self.scanner_backend is not None:
            kwargs["backend"] = self.scanner_backend
        if self.adapter:
            kwargs["bluez"] = {"adapter": self.adapter}

        def match(dev: BLEDevice, adv: AdvertisementData) -> bool:
            name = (adv.local_name or dev.name or "").lower()
            if dev.address.lower() != target and name != target:
                return False
            self.stats.rssi = int(adv.rssi)
            if self.kind is None:
                self.kind = classify(adv.local_name or dev.name, list(adv.service_uuids))
            return True

        return await BleakScanner.find_device_by_filter(match, timeout=self.scan_timeout, **kwargs)

    async def _connect(self, device: BLEDevice, on_disconnect: Callable[[], None]) -> BleakClient:
        from bleak_retry_connector import establish_connection

        kwargs: dict[str, Any] = {}
        if self.client_backend is not None:
            kwargs["backend"] = self.client_backend
        if self.adapter:
            kwargs["bluez"] = {"adapter": self.adapter}
        return await establish_connection(
            BleakClient,
            device,
            device.name or device.address,
            disconnected_callback=lambda _c: on_disconnect(),
            max_attempts=3,
            **kwargs,
        )

    async def run(self, on_item: Callable[[Item], Any]) -> None:
        """Connect, stream into ``on_item`` and reconnect after losses, until :meth:`stop`.

        ``on_item`` receives, in order, :class:`SampleBlock` (time in s since
        ``time_origin``, strictly increasing; acc in g), :class:`Gap` (when the first sample
        after a hole arrives) and :class:`DeviceInfo` (when the sensor identifies itself).

        Raises
        ------
        InputError
            If the sensor is of an unsupported kind or refuses the requested settings.
        """
        delay = self.backoff[0]
        first = True
        try:
            while not self._stop.is_set():
                self.stats.state = "searching" if first else "reconnecting"
                device = await self._find()
                if device is None:
                    await self._wait(delay)  # not in range (yet): keep looking
                    delay = min(delay * 2, self.backoff[1])
                    continue
                self.address = device.address
                if self.kind not in PROTOCOLS:
                    raise InputError(
                        f"{self.target}: {KIND_DESCRIPTIONS.get(self.kind or '', 'unknown sensor')}"
                        " cannot be streamed (supported: sms-detect firmware, Polar, Movesense)"
                    )
                if self._proto is None or self._proto.kind != self.kind:
                    self._proto = PROTOCOLS[self.kind](self.stats, self.rate_hz, self.range_g)
                proto = self._proto
                lost = asyncio.Event()
                self.stats.state = "connecting"
                try:
                    client = await self._connect(device, lost.set)
                except Exception as exc:  # retry-connector already retried
                    log.info("%s: connection failed: %s", self.target, exc)
                    await self._wait(delay)
                    delay = min(delay * 2, self.backoff[1])
                    continue
                self._client = client
                self.stats.mtu = int(client.mtu_size)
                proto.new_connection()
                self._clock = None  # re-anchor the sensor clock on every link
                if not first:
                    self.stats.reconnects += 1
                    self._pending_gap = self._pending_gap or "disconnected"

                def on_data(_c: object, data: bytearray) -> None:
                    self._emit(on_item, self.now(), bytes(data))

                proto._on_data = on_data  # type: ignore[method-assign]
                try:
                    await proto.start(client)
                except InputError:
                    with contextlib.suppress(Exception):
                        await client.disconnect()
                    raise
                except Exception as exc:
                    log.info("%s: start failed: %s", self.target, exc)
                    with contextlib.suppress(Exception):
                        await client.disconnect()
                    await self._wait(delay)
                    delay = min(delay * 2, self.backoff[1])
                    continue
                self.info.update(proto.info)
                if proto.kind != "sms":  # ours identifies itself with HELLO frames
                    name = device.name or proto.kind
                    on_item(DeviceInfo(name, device.address, "", f"{proto.kind} acc", 0))
                self.stats.rate_hz = proto.rate_hz
                self.stats.state = "streaming"
                first = False
                delay = self.backoff[0]
                stop_wait = asyncio.create_task(self._stop.wait())
                lost_wait = asyncio.create_task(lost.wait())
                await asyncio.wait({stop_wait, lost_wait}, return_when=asyncio.FIRST_COMPLETED)
                stop_wait.cancel()
                lost_wait.cancel()
                if self._stop.is_set():
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(proto.stop(client), 2.0)
                    with contextlib.suppress(Exception):
                        await client.disconnect()
                    break
                log.info("%s: link lost, reconnecting", self.target)
                await self._wait(delay)
        finally:
            self.stats.state = "stopped"
            self._client = None

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)


# ============================================================================ threaded runner
@dataclass(frozen=True, slots=True)
class SensorDeviceInfo(DeviceInfo):
    """A :class:`DeviceInfo` that says which sensor of a multi-sensor recording it is from."""

    sensor: str = ""


@dataclass(frozen=True)
class BleSpec:
    """One sensor to record: ``target`` (address or name) recorded as ``sensor``, asked for
    ``rate_hz`` (Hz) and ``range_g`` (g), through ``adapter`` (BlueZ name, default bleak's)."""

    target: str
    sensor: str = "wrist"
    rate_hz: float = 100.0
    range_g: int = 8
    adapter: str | None = None


class BleRunner:
    """Run several :class:`BleSource` at once in a background thread with its own loop.

    For callers that are not asyncio (the recorder's main loop): blocks of all sensors
    arrive in one thread-safe queue, read with :meth:`read`.

    Parameters
    ----------
    specs : list of BleSpec
        The sensors.
    demo : bool
        Stream from emulated sensors (bumble, no hardware): one ``sms`` peripheral per spec
        unless ``demo_kinds`` says otherwise; the targets are then the emulated names.
    demo_kinds : list of str, optional
        ``"sms"`` or ``"polar"`` per spec (demo only).
    demo_speed : float
        Simulated seconds per real second (demo only).
    time_origin : float, optional
        ``time.monotonic()`` value that becomes time 0 of the blocks (share it with other
        sources of the same recording); default: at start. Ignored in demo mode (the
        simulation has its own clock; time 0 is its start).
    demo_signals : list of ndarray (N, 3) or None, optional
        Signal (g) each emulated sensor streams, sampled at its rate from time 0 (demo only;
        default: a built-in quiet signal with a jerk every 20 s).
    demo_seconds : float, optional
        Demo only: :attr:`ended` becomes true once this many simulated seconds have passed
        (e.g. the length of the demo signals).

    Items handed out by :meth:`poll` carry their sensor name: ``SampleBlock.sensor``,
    ``Gap.sensor`` and :class:`SensorDeviceInfo` ``.sensor``.
    """

    def __init__(
        self,
        specs: list[BleSpec],
        *,
        demo: bool = False,
        demo_kinds: list[str] | None = None,
        demo_speed: float = 1.0,
        time_origin: float | None = None,
        demo_signals: list[np.ndarray | None] | None = None,
        demo_seconds: float | None = None,
    ) -> None:
        if not specs:
            raise InputError("no BLE sensor given")
        names = [s.sensor for s in specs]
        if len(set(names)) != len(names):
            raise InputError(f"sensor names must differ: {', '.join(names)}")
        self.specs = list(specs)
        self.demo = demo
        self.demo_kinds = demo_kinds or ["sms"] * len(specs)
        self.demo_speed = demo_speed
        self.demo_signals = demo_signals
        self.demo_seconds = demo_seconds
        #: The emulated sensors (``firmware_bridge.ble_emulator.BleDemo``) in demo mode.
        self.emulation: Any = None
        self.time_origin = time.monotonic() if time_origin is None else float(time_origin)
        self.sources: list[BleSource] = []
        self.error: BaseException | None = None
        self._queue: queue.Queue[Item] = queue.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def start(self) -> None:
        """Start the thread; returns once the sources exist (not yet connected)."""
        self._thread = threading.Thread(target=self._main, name="ble-runner", daemon=True)
        self._thread.start()
        self._ready.wait(30.0)
        if self.error is not None:
            raise self.error

    def _main(self) -> None:
        try:
            asyncio.run(self._amain())
        except BaseException as exc:  # reported to the caller through .error
            self.error = exc
        finally:
            self._ready.set()

    async def _amain(self) -> None:
        self._loop = asyncio.get_running_loop()
        demo = None
        kwargs: dict[str, Any] = {"time_origin": self.time_origin}
        targets = [s.target for s in self.specs]
        if self.demo:
            from firmware_bridge.ble_emulator import start_demo

            demo = await start_demo(
                self.demo_kinds, speed=self.demo_speed, signals=self.demo_signals
            )
            self.emulation = demo
            targets = demo.names
            kwargs = {
                "scanner_backend": demo.scanner_backend,
                "client_backend": demo.client_backend,
                "now": demo.clock.now,
                "time_origin": demo.clock.start,
            }
        self.sources = [
            BleSource(t, s.sensor, s.rate_hz, s.range_g, adapter=s.adapter, **kwargs)
            for t, s in zip(targets, self.specs, strict=True)
        ]
        self._ready.set()

        def sink(sensor: str) -> Callable[[Item], None]:
            def put(item: Item) -> None:
                if isinstance(item, DeviceInfo) and not isinstance(item, SensorDeviceInfo):
                    item = SensorDeviceInfo(
                        item.model, item.device_id, item.firmware, item.imu, item.boot_id, sensor
                    )
                self._queue.put(item)

            return put

        try:
            await asyncio.gather(*(src.run(sink(src.sensor)) for src in self.sources))
        finally:
            if demo is not None:
                await demo.stop()

    def poll(self, timeout: float = 0.1) -> list[Item]:
        """Items of all sensors since the last call (waits up to ``timeout`` s for the first).

        Returns
        -------
        list of SampleBlock, Gap and DeviceInfo
            In arrival order; per sensor, blocks are strictly increasing in time.

        Raises
        ------
        InputError
            If a source failed for good (unsupported sensor, settings refused).
        """
        out: list[Item] = []
        try:
            out.append(self._queue.get(timeout=timeout))
            while True:
                out.append(self._queue.get_nowait())
        except queue.Empty:
            pass
        if not out and self.error is not None:
            if isinstance(self.error, InputError):
                raise self.error
            raise InputError(
                f"BLE streaming failed: {self.error or type(self.error).__name__} (is there a "
                "Bluetooth adapter and the BlueZ service? 'record --demo --ble' needs neither)"
            ) from self.error
        return out

    @property
    def alive(self) -> bool:
        """Whether the background thread still runs."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def sensors(self) -> list[str]:
        """Names of the sensors, in the order given."""
        return [s.sensor for s in self.specs]

    def _source(self, sensor: str) -> BleSource | None:
        return next((s for s in self.sources if s.sensor == sensor), None)

    def rate_of(self, sensor: str) -> float:
        """Sample rate (Hz) of ``sensor``: the one it streams at once started, else the one
        asked for."""
        src = self._source(sensor)
        if src is not None and src.stats.rate_hz > 0:
            return float(src.stats.rate_hz)
        if src is not None and src._proto is not None and src.stats.samples > 0:
            return float(src._proto.rate_hz)  # streaming, the state not yet updated
        return float(next(s.rate_hz for s in self.specs if s.sensor == sensor))

    def range_of(self, sensor: str) -> int:
        """Full-scale range (g) of ``sensor`` (the one asked for until it has started)."""
        src = self._source(sensor)
        if src is not None and src._proto is not None:
            return int(src._proto.range_g)
        return int(next(s.range_g for s in self.specs if s.sensor == sensor))

    @property
    def ended(self) -> bool:
        """Demo only: the demo signals have been streamed (``demo_seconds`` have passed)."""
        demo = self.emulation
        if demo is None or self.demo_seconds is None:
            return False
        return demo.clock.now() - demo.clock.start >= self.demo_seconds

    def run_coroutine(self, coro: Any) -> Any:
        """Run ``coro`` in the runner's loop (e.g. a fault injected into an emulated sensor);
        returns a ``concurrent.futures.Future``."""
        if self._loop is None:
            raise RuntimeError("runner not started")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def sensor_status(self, sensor: str) -> str:
        """State of one sensor in words: link, rate, RSSI, dropped frames, reconnects."""
        src = self._source(sensor)
        if src is None:
            return f"{sensor}: starting"
        st = src.stats
        parts = [f"{sensor}: {st.state}"]  # searching, connecting, streaming, reconnecting...
        parts.append(f"{st.rate_hz:g} Hz" if st.rate_hz > 0 else "rate ?")
        if st.rssi is not None:
            parts.append(f"{st.rssi} dBm")
        parts.append(f"dropped {st.corrupted + st.short} frames")
        if st.lost_samples:
            parts.append(f"lost {st.lost_samples} samples")
        if st.reconnects:
            parts.append(f"reconnects {st.reconnects}")
        if st.resets:
            parts.append(f"resets {st.resets}")
        return " ".join(parts)

    def status(self) -> str:
        """One part per sensor: state, rate, RSSI, dropped frames (for the status line)."""
        return " | ".join(self.sensor_status(s) for s in self.sensors)

    @property
    def stats(self) -> SourceStats:
        """Counters of all sensors together, in the serial source's terms (for the recorder).

        ``rate_hz`` is the first sensor's; ``lost_frames`` counts notifications rejected
        (corrupted or short), ``crc_errors`` the corrupted ones.
        """
        st = SourceStats()
        if not self.sources:
            return st
        all_st = [s.stats for s in self.sources]
        st.connected = all(s.state == "streaming" for s in all_st)
        st.rate_hz = all_st[0].rate_hz if all_st[0].rate_hz > 0 else float("nan")
        st.range_g = self.sources[0].range_g
        st.frames = sum(s.notifications for s in all_st)
        st.samples = sum(s.samples for s in all_st)
        st.lost_frames = sum(s.corrupted + s.short for s in all_st)
        st.lost_samples = sum(s.lost_samples for s in all_st)
        st.crc_errors = sum(s.corrupted for s in all_st)
        st.reconnects = sum(s.reconnects for s in all_st)
        st.device_resets = sum(s.resets for s in all_st)
        return st

    def close(self) -> None:
        """Same as :meth:`stop` (the recorder's source interface)."""
        self.stop()

    def drain(self) -> list[Item]:
        """Items still queued (call after :meth:`stop`: what arrived after the last poll)."""
        out: list[Item] = []
        with contextlib.suppress(queue.Empty):
            while True:
                out.append(self._queue.get_nowait())
        return out

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every source (each disconnects cleanly) and join the thread."""
        loop = self._loop
        if loop is not None and loop.is_running():
            for src in self.sources:
                loop.call_soon_threadsafe(src.stop)
        if self._thread is not None:
            self._thread.join(timeout)
