"""BLE peripherals emulated on bumble: our firmware's GATT service and Polar PMD.

Each peripheral is a bumble device on a :class:`~firmware_bridge.bumble_bleak_backend.
BumbleWorld` link. It samples a numpy signal (g) continuously from "boot" at its own clock
(optionally skewed), and while a host is connected and has started streaming it sends the
samples in notifications, many per notification as the MTU allows, paced by a
:class:`SimClock` that may run faster than real time. Faults can be injected: a corrupted or
truncated notification, a dropped link, a reboot (counter and clock reset).

Used by the tests and by ``sms-detect record --demo --ble`` (nothing here needs hardware).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time

import numpy as np
from bumble.core import AdvertisingData
from bumble.device import Connection, Device
from bumble.gatt import Characteristic, CharacteristicValue, Service

from firmware_bridge.bumble_bleak_backend import BumbleWorld
from firmware_bridge.firmware_ble.smsble import BleService
from sms_detect.devices import gatt
from sms_detect.devices import movesense as mv
from sms_detect.devices import polar_pmd as pmd

#: Sensor clock of a Polar H10 after power-off: 2019-01-01 in ns since 2000-01-01.
POLAR_DEFAULT_TIME_NS = 599_616_000_000_000_000


class SimClock:
    """Host clock of a simulation: Unix seconds running ``speed`` times real time.

    Parameters
    ----------
    speed : float
        Simulated seconds per real second.
    start : float
        Simulated Unix time at creation (s).
    """

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        self.speed = float(speed)
        self.start = time.time() if start is None else float(start)
        self._real0 = time.monotonic()

    def now(self) -> float:
        """Simulated Unix time (s)."""
        return self.start + (time.monotonic() - self._real0) * self.speed

    async def sleep_until(self, t: float) -> None:
        """Sleep until simulated time ``t`` (s); always yields to the loop at least once."""
        await asyncio.sleep(max(0.0, (t - self.now()) / self.speed))


def demo_signal(fs: float, seconds: float = 60.0, seed: int = 0) -> np.ndarray:
    """A quiet wrist signal (g): gravity, sensor noise, and a sharp jerk every 20 s."""
    rng = np.random.default_rng(seed)
    n = int(round(fs * seconds))
    t = np.arange(n) / fs
    acc = np.zeros((n, 3))
    acc[:, 2] = 1.0
    acc += rng.normal(0.0, 0.004, (n, 3))
    for t0 in np.arange(5.0, seconds, 20.0):
        k = (t >= t0) & (t < t0 + 0.25)
        acc[k, 0] += 1.5 * np.sin(np.pi * (t[k] - t0) / 0.25) * np.cos(2 * np.pi * 12 * (t[k] - t0))
    return acc


class _Peripheral:
    """Shared machinery: bumble device, advertising, connection, paced streaming, faults."""

    def __init__(
        self,
        world: BumbleWorld,
        name: str,
        address: str | None,
        clock: SimClock,
        signal: np.ndarray | None,
        fs: float,
        skew_ppm: float,
    ) -> None:
        self.world = world
        self.name = name
        self.clock = clock
        self.fs = float(fs)
        self.skew = skew_ppm * 1e-6
        self.signal = signal
        self.seed = 0
        self.device: Device = world.new_device(name, address)
        self.address = str(self.device.random_address).split("/")[0]
        self.connection: Connection | None = None
        self.streaming = False
        self._task: asyncio.Task[None] | None = None
        self._corrupt: list[str] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.boot_time = clock.now()
        self.boots = 1
        self.notifications = 0
        #: Sample indices (since boot) of every sample sent, per boot: list of (boot, first, n)
        self.sent: list[tuple[int, int, int]] = []
        self.device.on("connection", self._on_connection)

    # -------------------------------------------------------------- to override
    def _advertising_data(self) -> bytes:
        raise NotImplementedError

    def _build_notification(self, first: int, n: int) -> bytes:
        raise NotImplementedError

    def _per_notification(self) -> int:
        raise NotImplementedError

    def _extra_notifications(self, first: int) -> list[bytes]:
        """Notifications to send before the samples starting at ``first`` (e.g. HELLO)."""
        return []

    async def _send(self, value: bytes) -> None:
        """Notify one data value to the subscribers."""
        await self.device.notify_subscribers(self._data_char, value)

    def _on_reboot(self) -> None:
        """Reset device state at a reboot."""

    # -------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """Power on and advertise (connectable, every 20 ms)."""
        await self.device.power_on()
        await self._advertise()

    async def _advertise(self) -> None:
        await self.device.start_advertising(
            advertising_data=self._advertising_data(),
            auto_restart=True,
            advertising_interval_min=20,
            advertising_interval_max=20,
        )

    def _on_connection(self, connection: Connection) -> None:
        self.connection = connection
        connection.on("disconnection", self._on_disconnection)

    def _on_disconnection(self, reason: int) -> None:
        self.connection = None
        self._stop_streaming()

    def _spawn(self, coro: object) -> None:
        task = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -------------------------------------------------------------- sampling model
    def sample_index_at(self, host_t: float) -> int:
        """Index (since boot) of the last sample taken at or before host time ``host_t``."""
        return int(np.floor((host_t - self.boot_time) * self.fs * (1 + self.skew)))

    def host_time_of(self, k: np.ndarray | int) -> np.ndarray:
        """Host time (s) at which sample ``k`` (since boot) was taken."""
        return self.boot_time + np.asarray(k, dtype=np.float64) / (self.fs * (1 + self.skew))

    def samples_g(self, first: int, n: int) -> np.ndarray:
        """Signal (g), shape (n, 3), of samples ``first .. first + n - 1`` since boot."""
        sig = self.signal
        if sig is None:
            sig = self.signal = demo_signal(self.fs, seed=self.seed)
        idx = (np.arange(first, first + n) + self._signal_offset()) % sig.shape[0]
        return sig[idx]

    def _signal_offset(self) -> int:
        """Signal position of sample 0 of this boot (continues across reboots)."""
        return int(round((self.boot_time - self.clock.start) * self.fs))

    # -------------------------------------------------------------- streaming
    def _start_streaming(self) -> None:
        if self._task is None or self._task.done():
            self.streaming = True
            self._task = asyncio.get_running_loop().create_task(self._stream())

    def _stop_streaming(self) -> None:
        self.streaming = False
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
        self._task = None

    async def _stream(self) -> None:
        nxt = self.sample_index_at(self.clock.now()) + 1
        while self.streaming and self.connection is not None:
            n = self._per_notification()
            await self.clock.sleep_until(float(self.host_time_of(nxt + n - 1)))
            if not self.streaming or self.connection is None:
                break
            for extra in self._extra_notifications(nxt):
                await self.device.notify_subscribers(self._data_char, extra)
            value = self._build_notification(nxt, n)
            if self._corrupt:
                value = self._apply_fault(value, self._corrupt.pop(0))
            else:
                self.sent.append((self.boots, nxt, n))
            await self._send(value)
            self.notifications += 1
            nxt += n

    @staticmethod
    def _apply_fault(value: bytes, kind: str) -> bytes:
        b = bytearray(value)
        if kind == "short":
            return bytes(b[:17])
        if kind == "header":
            b[0] ^= 0xFF
            b[9] ^= 0x7E
            return bytes(b)
        mid = len(b) // 2
        b[mid] ^= 0x5A
        b[mid + 1] ^= 0xFF
        return bytes(b)

    # -------------------------------------------------------------- faults
    def corrupt_next(self, kind: str = "flip", count: int = 1) -> None:
        """Spoil the next ``count`` data notifications; their samples count as not sent.

        ``kind``: ``"flip"`` two bytes mid-payload (caught by our CRC; Polar PMD has no CRC),
        ``"header"`` spoil the type bytes, ``"short"`` cut to 17 bytes.
        """
        self._corrupt += [kind] * count

    async def drop_link(self) -> None:
        """Disconnect from the peripheral side (as a radio dropout would)."""
        conn = self.connection
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.disconnect()

    async def reboot(self, down_s: float = 1.0) -> None:
        """Drop the link, stay off for ``down_s`` simulated seconds, boot again (state reset)."""
        with contextlib.suppress(Exception):
            await self.device.stop_advertising()
        await self.drop_link()
        await self.clock.sleep_until(self.clock.now() + down_s)
        self.boot_time = self.clock.now()
        self.boots += 1
        self._on_reboot()
        await self._advertise()

    async def stop(self) -> None:
        """Stop streaming and advertising and power off."""
        self._stop_streaming()
        with contextlib.suppress(Exception):
            await self.device.stop_advertising()
        await self.drop_link()
        with contextlib.suppress(Exception):
            await self.device.power_off()


class SmsPeripheral(_Peripheral):
    """Our reference firmware's GATT service, driven by the firmware's own logic.

    Parameters
    ----------
    world : BumbleWorld
        The emulated radio environment.
    name : str
        Advertised name (at most 8 characters to fit beside the 128-bit service UUID).
    clock : SimClock
        Simulation clock.
    signal : ndarray (N, 3), optional
        Signal in g, sampled cyclically at the streaming rate; default :func:`demo_signal`.
    fs : float
        Initial sample rate (Hz); the host's START sets it.
    skew_ppm : float
        Device clock error (ppm; positive = device runs fast).
    """

    def __init__(
        self,
        world: BumbleWorld,
        name: str = "SMS-0001",
        address: str | None = None,
        clock: SimClock | None = None,
        signal: np.ndarray | None = None,
        fs: float = 100.0,
        skew_ppm: float = 0.0,
        battery_pct: int = 87,
    ) -> None:
        super().__init__(world, name, address, clock or SimClock(), signal, fs, skew_ppm)
        self.fw = BleService(tick_hz=1_000_000, rate_hz=int(fs), range_g=8)
        self.boot_id = int.from_bytes(os.urandom(4), "little")
        self.battery_pct = battery_pct
        self._last_hello = -1e9
        props = Characteristic.Properties
        self._data_char = Characteristic(gatt.DATA, props.NOTIFY, Characteristic.READABLE, b"")
        self._control_char = Characteristic(
            gatt.CONTROL,
            props.WRITE | props.NOTIFY,
            Characteristic.WRITEABLE | Characteristic.READABLE,
            CharacteristicValue(write=self._on_control_write),
        )
        self._battery_char = Characteristic(
            gatt.BATTERY_LEVEL,
            props.READ | props.NOTIFY,
            Characteristic.READABLE,
            CharacteristicValue(read=lambda _c: bytes([self.battery_pct])),
        )
        info = [
            (gatt.MANUFACTURER_NAME, b"sms-detect"),
            (gatt.MODEL_NUMBER, b"emulated-esp32"),
            (gatt.SERIAL_NUMBER, self.address.replace(":", "").encode()),
            (gatt.FIRMWARE_REVISION, b"smsfw 1.0.0-emu"),
        ]
        self.device.add_services(
            [
                Service(gatt.SERVICE, [self._data_char, self._control_char]),
                Service(
                    gatt.DEVICE_INFO_SERVICE,
                    [Characteristic(u, props.READ, Characteristic.READABLE, v) for u, v in info],
                ),
                Service(gatt.BATTERY_SERVICE, [self._battery_char]),
            ]
        )

    def _advertising_data(self) -> bytes:
        return bytes(
            AdvertisingData(
                [
                    (AdvertisingData.FLAGS, bytes([0x06])),
                    (
                        AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                        bytes.fromhex(gatt.SERVICE.replace("-", ""))[::-1],
                    ),
                    (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()[:8]),
                ]
            )
        )

    def _on_control_write(self, connection: Connection, value: bytes) -> None:
        self.fw.mtu = connection.att_mtu
        was = self.fw.streaming
        response = self.fw.handle_control(bytes(value))
        self.fs = float(self.fw.rate_hz)
        self._spawn(self.device.notify_subscribers(self._control_char, response))
        if self.fw.streaming and not was:
            self._last_hello = -1e9
            self._start_streaming()
        elif not self.fw.streaming and was:
            self._stop_streaming()

    def _on_disconnection(self, reason: int) -> None:
        self.fw.disconnected()
        super()._on_disconnection(reason)

    def _on_reboot(self) -> None:
        self.fw = BleService(tick_hz=1_000_000, rate_hz=int(self.fs), range_g=8)
        self.boot_id = int.from_bytes(os.urandom(4), "little")

    def _per_notification(self) -> int:
        return self.fw.per_notification()

    def tick_of(self, k: int) -> int:
        """Device tick (us since boot, device clock) of sample ``k``."""
        return int(round(k * self.fw.tick_hz / self.fs))

    def _extra_notifications(self, first: int) -> list[bytes]:
        now = self.clock.now()
        if now - self._last_hello < 10.0:
            return []
        self._last_hello = now
        tick = self.tick_of(first) & 0xFFFFFFFF
        hello = self.fw.encoder.hello(
            tick, self.boot_id, "emulated-esp32", self.address, "smsfw 1.0.0-emu", "sim"
        )
        return [hello]

    def _build_notification(self, first: int, n: int) -> bytes:
        counts = np.clip(
            np.round(self.samples_g(first, n) / (self.fw.range_g / 32768.0)), -32768, 32767
        ).astype("<i2")
        return self.fw.encoder.samples(first, self.tick_of(first), counts.tobytes(), n)


class PolarPeripheral(_Peripheral):
    """A Polar sensor's PMD service (H10 style by default) streaming accelerometer data.

    Parameters
    ----------
    world : BumbleWorld
        The emulated radio environment.
    name : str
        Advertised name, e.g. ``"Polar H10 A1B2C3D4"``.
    clock : SimClock
        Simulation clock.
    signal : ndarray (N, 3), optional
        Signal in g; default :func:`demo_signal`.
    rates : tuple of int
        Sample rates offered (Hz); H10: 25, 50, 100, 200.
    compressed : bool
        Send delta-compressed frames (type 0x81, factor 1.0 mG) instead of raw int16 (0x01).
    skew_ppm : float
        Sensor clock error (ppm).
    """

    def __init__(
        self,
        world: BumbleWorld,
        name: str = "Polar H10 A1B2C3D4",
        address: str | None = None,
        clock: SimClock | None = None,
        signal: np.ndarray | None = None,
        rates: tuple[int, ...] = (25, 50, 100, 200),
        ranges: tuple[int, ...] = (2, 4, 8),
        compressed: bool = False,
        skew_ppm: float = 0.0,
    ) -> None:
        super().__init__(world, name, address, clock or SimClock(), signal, rates[0], skew_ppm)
        self.rates = rates
        self.ranges = ranges
        self.compressed = compressed
        self.range_g = ranges[-1]
        self.clock_base_ns = POLAR_DEFAULT_TIME_NS
        props = Characteristic.Properties
        self._cp_char = Characteristic(
            pmd.PMD_CONTROL,
            props.READ | props.WRITE | props.INDICATE | props.NOTIFY,
            Characteristic.READABLE | Characteristic.WRITEABLE,
            CharacteristicValue(
                read=lambda _c: pmd.encode_features(
                    {pmd.MeasurementType.ECG, pmd.MeasurementType.ACC}
                ),
                write=self._on_cp_write,
            ),
        )
        self._data_char = Characteristic(pmd.PMD_DATA, props.NOTIFY, Characteristic.READABLE, b"")
        self.device.add_services([Service(pmd.PMD_SERVICE, [self._cp_char, self._data_char])])

    def _advertising_data(self) -> bytes:
        return bytes(
            AdvertisingData(
                [
                    (AdvertisingData.FLAGS, bytes([0x06])),
                    (AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS, b"\x0d\x18"),
                    (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()),
                ]
            )
        )

    def _on_cp_write(self, connection: Connection, value: bytes) -> None:
        value = bytes(value)
        op = value[0] if value else 0
        mtype = value[1] if len(value) > 1 else 0
        if op == pmd.Op.GET_SETTINGS and mtype == pmd.MeasurementType.ACC:
            params = pmd.encode_settings({0: list(self.rates), 1: [16], 2: list(self.ranges)})
            resp = pmd.encode_control_response(op, mtype, 0, params)
        elif op == pmd.Op.START and mtype == pmd.MeasurementType.ACC:
            try:
                s = pmd.parse_settings(value[2:])
            except pmd.PmdError:
                s = None
            if s is None:
                resp = pmd.encode_control_response(op, mtype, 5)
            elif s.get(0, [0])[0] not in self.rates:
                resp = pmd.encode_control_response(op, mtype, 8)
            elif s.get(2, [self.range_g])[0] not in self.ranges:
                resp = pmd.encode_control_response(op, mtype, 9)
            elif self.streaming:
                resp = pmd.encode_control_response(op, mtype, 6)
            else:
                self.fs = float(s[0][0])
                self.range_g = int(s.get(2, [self.range_g])[0])
                resp = pmd.encode_control_response(op, mtype, 0, pmd.encode_settings({5: [1.0]}))
                self._start_streaming()
        elif op == pmd.Op.STOP:
            self._stop_streaming()
            resp = pmd.encode_control_response(op, mtype, 0)
        else:
            resp = pmd.encode_control_response(op, mtype, 1)
        self._spawn(self.device.notify_subscribers(self._cp_char, resp))

    def _on_reboot(self) -> None:
        self.clock_base_ns = POLAR_DEFAULT_TIME_NS

    def sensor_ns_of(self, k: int) -> int:
        """Sensor time (ns since 2000-01-01, sensor clock) of sample ``k`` since boot."""
        return self.clock_base_ns + int(round(k * 1e9 / self.fs))

    def _per_notification(self) -> int:
        mtu = self.connection.att_mtu if self.connection else 23
        return max(1, (mtu - 3 - pmd.DATA_HEADER_LEN) // 6)

    def _build_notification(self, first: int, n: int) -> bytes:
        mg = np.round(self.samples_g(first, n) * 1000.0).astype(np.int64)
        ts = self.sensor_ns_of(first + n - 1)
        if not self.compressed:
            return pmd.encode_acc_frame(ts, mg, frame_type=0x01)
        return pmd.encode_acc_frame(ts, mg, frame_type=0x81, block=n)


class MovesensePeripheral(_Peripheral):
    """A Movesense sensor running the GATT SensorData sample firmware (accelerometer).

    Parameters
    ----------
    world : BumbleWorld
        The emulated radio environment.
    name : str
        Advertised name, e.g. ``"Movesense 2140"``.
    clock : SimClock
        Simulation clock.
    signal : ndarray (N, 3), optional
        Signal in g (sent in m/s^2); default :func:`demo_signal`.
    per_packet : int
        Samples per data packet (the firmware sends 8 at 104 Hz); a packet longer than a
        notification goes out as DATA + DATA_PART2, as the firmware does.
    skew_ppm : float
        Sensor clock error (ppm).
    """

    def __init__(
        self,
        world: BumbleWorld,
        name: str = "Movesense 2140",
        address: str | None = None,
        clock: SimClock | None = None,
        signal: np.ndarray | None = None,
        per_packet: int = 8,
        skew_ppm: float = 0.0,
    ) -> None:
        super().__init__(world, name, address, clock or SimClock(), signal, 104.0, skew_ppm)
        self.per_packet = per_packet
        self.ref: int | None = None
        self.ms_base = 12_345  # the sensor's ms clock at boot (arbitrary)
        props = Characteristic.Properties
        self._write_char = Characteristic(
            mv.WRITE,
            props.WRITE | props.WRITE_WITHOUT_RESPONSE,
            Characteristic.WRITEABLE,
            CharacteristicValue(write=self._on_write),
        )
        self._data_char = Characteristic(mv.NOTIFY, props.NOTIFY, Characteristic.READABLE, b"")
        self.device.add_services([Service(mv.SERVICE, [self._write_char, self._data_char])])

    def _advertising_data(self) -> bytes:
        return bytes(
            AdvertisingData(
                [
                    (AdvertisingData.FLAGS, bytes([0x06])),
                    (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()),
                ]
            )
        )

    def _on_write(self, connection: Connection, value: bytes) -> None:
        try:
            cmd, ref, path = mv.parse_command(bytes(value))
        except mv.MovesenseError:
            return
        status = 200
        if cmd == mv.CMD_SUBSCRIBE:
            parts = path.strip("/").split("/")
            if len(parts) == 3 and parts[:2] == ["Meas", "Acc"] and parts[2].isdigit():
                rate = int(parts[2])
                if rate in mv.ACC_RATES and not self.streaming:
                    self.fs = float(rate)
                    self.ref = ref
                    self._start_streaming()
                else:
                    status = 400
            else:
                status = 404
        elif cmd == mv.CMD_UNSUBSCRIBE:
            self._stop_streaming()
        self._spawn(
            self.device.notify_subscribers(self._data_char, mv.encode_response(ref, status))
        )

    def _on_reboot(self) -> None:
        self.ms_base = 0

    def _per_notification(self) -> int:
        return self.per_packet

    def ms_of(self, k: int) -> int:
        """Sensor time (ms since boot + base, sensor clock) of sample ``k``."""
        return self.ms_base + int(k * 1000.0 / self.fs)

    def _build_notification(self, first: int, n: int) -> bytes:
        acc = self.samples_g(first, n) * mv.G
        parts = mv.encode_acc(self.ref or 0, self.ms_of(first), acc)
        return parts[0]

    async def _send(self, value: bytes) -> None:
        """Notify one data packet; longer than a notification: DATA + DATA_PART2."""
        room = (self.connection.att_mtu if self.connection else 23) - 3
        if value[0] == mv.TYPE_DATA and len(value) > room:
            await self.device.notify_subscribers(self._data_char, value[:room])
            rest = bytes([mv.TYPE_DATA_PART2, value[1]]) + value[room:]
            await self.device.notify_subscribers(self._data_char, rest)
        else:
            await self.device.notify_subscribers(self._data_char, value)


class BleDemo:
    """Emulated sensors for ``sms-detect record --demo --ble``: a world, a clock, peripherals.

    Attributes
    ----------
    world : BumbleWorld
        The emulated radio; pass :attr:`scanner_backend` / :attr:`client_backend` to bleak.
    clock : SimClock
        Host clock of the simulation (pass ``clock.now`` to ``BleSource(now=...)``).
    peripherals : list
        The running peripherals, in the order asked.
    """

    def __init__(self, world: BumbleWorld, clock: SimClock, peripherals: list[_Peripheral]):
        self.world = world
        self.clock = clock
        self.peripherals = peripherals
        self.scanner_backend = world.scanner_backend()
        self.client_backend = world.client_backend()

    @property
    def names(self) -> list[str]:
        """Advertised names of the peripherals."""
        return [p.name for p in self.peripherals]

    async def stop(self) -> None:
        """Stop every peripheral."""
        for p in self.peripherals:
            await p.stop()


async def start_demo(
    kinds: list[str] | tuple[str, ...] = ("sms",),
    speed: float = 1.0,
    signals: list[np.ndarray | None] | None = None,
) -> BleDemo:
    """Start emulated sensors, one per entry of ``kinds`` (``"sms"``, ``"polar"``,
    ``"movesense"``).

    Must be awaited in the event loop that will run the BLE sources. Names are ``SMS-0001``,
    ``SMS-0002``... and ``Polar H10 0000000N``. ``signals`` (g, one per sensor, sampled at
    the streaming rate) default to :func:`demo_signal` with a different seed per sensor.
    """
    world, clock = BumbleWorld(), SimClock(speed)
    peripherals: list[_Peripheral] = []
    for i, kind in enumerate(kinds, start=1):
        sig = signals[i - 1] if signals else None
        if kind == "sms":
            p: _Peripheral = SmsPeripheral(world, f"SMS-{i:04d}", clock=clock, signal=sig)
        elif kind == "polar":
            p = PolarPeripheral(world, f"Polar H10 {i:08d}", clock=clock, signal=sig)
        elif kind == "movesense":
            p = MovesensePeripheral(world, f"Movesense {i:04d}", clock=clock, signal=sig)
        else:
            raise ValueError(f"unknown emulated sensor kind {kind!r}")
        p.seed = i
        await p.start()
        peripherals.append(p)
    return BleDemo(world, clock, peripherals)


async def measure_latency(
    kind: str = "sms", seconds: float = 10.0, rate_hz: float = 100.0, speed: float = 1.0
) -> dict[str, np.ndarray]:
    """End-to-end latency through the BLE emulation (for ``benchmarks/latency.py``).

    Streams ``seconds`` of simulated time from one emulated sensor through the real host
    path (bleak over bumble, decoding, clock mapping) and returns, per delivered block,
    the host time at delivery minus the true host time at which its first and its last
    sample were taken (s): ``{"first": ..., "last": ...}``. Use ``speed=1`` for figures.
    """
    from sms_detect.devices.ble import BleSource
    from sms_detect.types import SampleBlock

    demo = await start_demo([kind], speed=speed)
    per = demo.peripherals[0]
    first: list[float] = []
    last: list[float] = []
    done = asyncio.Event()
    received = 0

    def on_item(item: object) -> None:
        nonlocal received
        if not isinstance(item, SampleBlock):
            return
        now = demo.clock.now()
        # the block's samples are the next `len(item)` samples the sensor sent
        idx = _sent_indices(per, received, len(item))
        received += len(item)
        t_true = per.host_time_of(idx)
        first.append(now - float(t_true[0]))
        last.append(now - float(t_true[-1]))
        if received >= seconds * rate_hz:
            done.set()

    src = BleSource(
        demo.names[0],
        rate_hz=rate_hz,
        scanner_backend=demo.scanner_backend,
        client_backend=demo.client_backend,
        now=demo.clock.now,
        time_origin=demo.clock.start,
    )
    task = asyncio.create_task(src.run(on_item))
    await asyncio.wait_for(done.wait(), timeout=seconds / speed + 30.0)
    src.stop()
    await task
    await demo.stop()
    return {"first": np.array(first), "last": np.array(last)}


def _sent_indices(per: _Peripheral, start: int, n: int) -> np.ndarray:
    """Sample indices (since boot) of received samples ``start .. start + n - 1``."""
    idx = np.concatenate([np.arange(f, f + k) for _b, f, k in per.sent])
    return idx[start : start + n]
