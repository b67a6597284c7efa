"""A bleak backend over Google's bumble: unmodified bleak code talks to emulated peripherals.

There is no Bluetooth hardware (or kernel support) on a build machine, but bumble runs a
complete BLE stack in Python, and ``bumble.link.LocalLink`` joins several virtual
controllers in one process. This module gives bleak a backend on top of that:

- :class:`BumbleWorld` owns one ``LocalLink`` (the "air") and one central device (the
  host's adapter); peripherals (see ``firmware_bridge.ble_emulator``) join the same link.
- :meth:`BumbleWorld.scanner_backend` and :meth:`BumbleWorld.client_backend` return backend
  classes to pass as ``BleakScanner(..., backend=...)`` / ``BleakClient(..., backend=...)``.

Everything runs in the caller's asyncio loop. Written for this project against bleak's
documented backend interfaces (``BaseBleakScanner``, ``BaseBleakClient``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid as _uuid
from collections.abc import Callable
from typing import Any

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError
from bumble import hci
from bumble.controller import Controller
from bumble.core import UUID as BumbleUUID
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.gatt import Characteristic
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

log = logging.getLogger(__name__)

# AD types (Bluetooth Core Supplement, part A)
_AD_UUID16 = (0x02, 0x03)
_AD_UUID128 = (0x06, 0x07)
_AD_NAME = (0x08, 0x09)
_AD_TX_POWER = 0x0A
_AD_SERVICE_DATA16 = 0x16
_AD_MANUFACTURER = 0xFF

_PROPERTY_NAMES = {
    Characteristic.Properties.BROADCAST: "broadcast",
    Characteristic.Properties.READ: "read",
    Characteristic.Properties.WRITE_WITHOUT_RESPONSE: "write-without-response",
    Characteristic.Properties.WRITE: "write",
    Characteristic.Properties.NOTIFY: "notify",
    Characteristic.Properties.INDICATE: "indicate",
    Characteristic.Properties.AUTHENTICATED_SIGNED_WRITES: "authenticated-signed-writes",
    Characteristic.Properties.EXTENDED_PROPERTIES: "extended-properties",
}

#: ATT MTU the central asks for after connecting (what BlueZ and most phones ask).
DEFAULT_MTU = 247


def uuid_str(u: BumbleUUID) -> str:
    """Return a bumble UUID as bleak's lower-case 128-bit string."""
    return str(_uuid.UUID(bytes=bytes(u.to_bytes(force_128=True))[::-1]))


def _uuid16_str(v: int) -> str:
    return f"0000{v:04x}-0000-1000-8000-00805f9b34fb"


def parse_advertising(data_structures: list[tuple[int, bytes]], rssi: int) -> AdvertisementData:
    """Build bleak's :class:`AdvertisementData` from (AD type, bytes) structures."""
    name: str | None = None
    uuids: list[str] = []
    manufacturer: dict[int, bytes] = {}
    service_data: dict[str, bytes] = {}
    tx_power: int | None = None
    for ad_type, raw in data_structures:
        raw = bytes(raw)
        if ad_type in _AD_NAME:
            name = raw.decode("utf-8", "replace")
        elif ad_type in _AD_UUID16:
            uuids += [
                _uuid16_str(int.from_bytes(raw[i : i + 2], "little"))
                for i in range(0, len(raw) - 1, 2)
            ]
        elif ad_type in _AD_UUID128:
            uuids += [
                str(_uuid.UUID(bytes=raw[i : i + 16][::-1])) for i in range(0, len(raw) - 15, 16)
            ]
        elif ad_type == _AD_MANUFACTURER and len(raw) >= 2:
            manufacturer[int.from_bytes(raw[:2], "little")] = raw[2:]
        elif ad_type == _AD_SERVICE_DATA16 and len(raw) >= 2:
            service_data[_uuid16_str(int.from_bytes(raw[:2], "little"))] = raw[2:]
        elif ad_type == _AD_TX_POWER and raw:
            tx_power = int.from_bytes(raw[:1], "little", signed=True)
    return AdvertisementData(
        local_name=name,
        manufacturer_data=manufacturer,
        service_data=service_data,
        service_uuids=uuids,
        tx_power=tx_power,
        rssi=rssi,
        platform_data=(),
    )


class _Controller(Controller):
    """bumble's emulated controller, with LE Create Connection Cancel as the Core spec has it.

    bumble 0.0.236's controller acknowledges the cancel but keeps the pending connection, so
    the link comes up later behind the host's back (the host then fails an assertion and the
    peripheral, connected to nobody, stops advertising). A real controller (Core spec Vol 4,
    Part E, 7.8.13) drops the pending connection and reports an LE Connection Complete event
    with status Unknown Connection Identifier; when nothing is pending it answers Command
    Disallowed.
    """

    def on_hci_le_create_connection_cancel_command(
        self, _command: hci.HCI_LE_Create_Connection_Cancel_Command
    ) -> hci.HCI_StatusReturnParameters:
        pending = self.pending_le_connection
        if pending is None:
            return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR)
        self.pending_le_connection = None
        event = hci.HCI_LE_Connection_Complete_Event(
            status=hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR,
            connection_handle=0,
            role=hci.Role.CENTRAL,
            peer_address_type=pending.peer_address.address_type,
            peer_address=pending.peer_address,
            connection_interval=0,
            peripheral_latency=0,
            supervision_timeout=0,
            central_clock_accuracy=0,
        )
        # after the Command Complete this handler's return value becomes (both go by call_soon)
        asyncio.get_running_loop().call_soon(self.send_hci_packet, event)
        return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)


class BumbleWorld:
    """One emulated radio environment: a ``LocalLink`` plus the host's central device.

    Parameters
    ----------
    central_address : str
        Bluetooth address of the host's (emulated) adapter.
    """

    def __init__(self, central_address: str = "C0:00:00:00:00:01") -> None:
        self.link = LocalLink()
        self._central_address = central_address
        self._central: Device | None = None
        self._central_lock = asyncio.Lock()
        #: one LE connection set-up at a time: a controller has one Create Connection pending
        #: at most (BlueZ queues them in the kernel; bumble's host does not)
        self._connect_lock = asyncio.Lock()
        self._scan_users = 0
        self._addr_counter = itertools.count(1)

    def new_device(self, name: str, address: str | None = None) -> Device:
        """Create a bumble device with its own controller on this world's link (not powered)."""
        if address is None:
            n = next(self._addr_counter)
            address = f"D0:00:00:00:{n >> 8 & 0xFF:02X}:{n & 0xFF:02X}"
        controller = _Controller(name, link=self.link, public_address=address)
        return Device(
            name=name, address=Address(address), host=Host(controller, AsyncPipeSink(controller))
        )

    async def central(self) -> Device:
        """The host's central device, created and powered on at first use."""
        async with self._central_lock:
            if self._central is None:
                dev = self.new_device("host", self._central_address)
                await dev.power_on()
                self._central = dev
        return self._central

    async def _abandon_connect(self, address: Address) -> None:
        """Leave nothing of a failed or cancelled connection attempt to ``address`` behind.

        Cancels a Create Connection the controller may still hold, and drops a link that came
        up just as the attempt was given up (otherwise the peripheral would stay connected to
        nobody and never advertise again).
        """
        central = await self.central()
        with contextlib.suppress(Exception):  # Command Disallowed: nothing was pending
            await central.send_sync_command(hci.HCI_LE_Create_Connection_Cancel_Command())
        stray = central.find_connection_by_bd_addr(address)
        if stray is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(stray.disconnect(), 5.0)

    async def _scan_acquire(self) -> Device:
        dev = await self.central()
        self._scan_users += 1
        if self._scan_users == 1:
            await dev.start_scanning(filter_duplicates=False)
        return dev

    async def _scan_release(self) -> None:
        dev = await self.central()
        self._scan_users = max(0, self._scan_users - 1)
        if self._scan_users == 0 and dev.is_scanning:
            await dev.stop_scanning()

    def scanner_backend(self) -> type[BaseBleakScanner]:
        """A :class:`BaseBleakScanner` subclass bound to this world."""
        return type("BumbleScanner", (_BumbleScanner,), {"world": self})

    def client_backend(self) -> type[BaseBleakClient]:
        """A :class:`BaseBleakClient` subclass bound to this world."""
        return type("BumbleClient", (_BumbleClient,), {"world": self})


class _BumbleScanner(BaseBleakScanner):
    """bleak scanner backend over the world's central device."""

    world: BumbleWorld

    def __init__(
        self,
        detection_callback: Any,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._device: Device | None = None

    def _on_advertisement(self, adv: Advertisement) -> None:
        data = parse_advertising(list(adv.data.ad_structures), int(adv.rssi))
        if not self.is_allowed_uuid(data.service_uuids):
            return
        address = str(adv.address).split("/")[0]
        device = self.create_or_update_device(address, address, data.local_name, adv, data)
        self.call_detection_callbacks(device, data)

    async def start(self) -> None:
        """Start scanning (clears :attr:`seen_devices`)."""
        self.seen_devices = {}
        self._device = await self.world._scan_acquire()
        self._device.on("advertisement", self._on_advertisement)

    async def stop(self) -> None:
        """Stop scanning."""
        if self._device is not None:
            self._device.remove_listener("advertisement", self._on_advertisement)
            self._device = None
            await self.world._scan_release()


class _BumbleClient(BaseBleakClient):
    """bleak client backend: one connection from the world's central to a peripheral."""

    world: BumbleWorld

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        services: set[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._requested_disconnect = False
        self._notify: dict[int, Callable[[bytes], None]] = {}
        self._name = (
            address_or_ble_device.name if isinstance(address_or_ble_device, BLEDevice) else None
        )

    # ------------------------------------------------------------------ connection
    @property
    def name(self) -> str:
        """Name of the peripheral (from its advertisement), else its address."""
        return self._name or self.address

    @property
    def mtu_size(self) -> int:
        """Negotiated ATT MTU in bytes."""
        return int(self._connection.att_mtu) if self._connection else 23

    @property
    def is_connected(self) -> bool:
        """Whether the link is up."""
        return self._connection is not None

    async def connect(self, pair: bool = False, **kwargs: Any) -> None:
        """Connect, negotiate the MTU and discover all services."""
        timeout = float(kwargs.get("timeout", self._timeout))
        central = await self.world.central()
        address = Address(self.address)
        async with self.world._connect_lock:
            try:
                # bumble's own timeout path: cancel, then wait for the controller's answer
                conn = await central.connect(address, timeout=timeout)
            except asyncio.CancelledError:
                await asyncio.shield(self.world._abandon_connect(address))
                raise
            except Exception as exc:  # bumble's timeout, connection and HCI errors
                await self.world._abandon_connect(address)
                msg = f"device {self.address} not found or not connectable: {exc}"
                raise BleakError(msg) from exc
        self._connection = conn
        self._requested_disconnect = False
        conn.on("disconnection", self._on_disconnection)
        try:
            peer = Peer(conn)
            self._peer = peer
            await asyncio.wait_for(peer.request_mtu(DEFAULT_MTU), timeout)
            await asyncio.wait_for(peer.discover_all(), timeout)
            self.services = self._build_services(peer)
        except Exception as exc:
            await self.disconnect()
            raise BleakError(f"GATT setup with {self.address} failed: {exc}") from exc

    def _on_disconnection(self, reason: int) -> None:
        self._connection = None
        self._peer = None
        self._notify.clear()
        if not self._requested_disconnect and self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        """Disconnect (a no-op when not connected)."""
        conn = self._connection
        if conn is None:
            return
        self._requested_disconnect = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.disconnect(), 5.0)
        self._connection = None
        self._peer = None

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Pairing is not emulated (our sensors and Polar PMD do not need it)."""

    async def unpair(self) -> None:
        """Pairing is not emulated."""

    # ------------------------------------------------------------------ GATT model
    def _build_services(self, peer: Peer) -> BleakGATTServiceCollection:
        coll = BleakGATTServiceCollection()
        for svc in peer.services:
            bsvc = BleakGATTService(svc, svc.handle, uuid_str(svc.uuid))
            coll.add_service(bsvc)
            for ch in svc.characteristics:
                props = [n for flag, n in _PROPERTY_NAMES.items() if ch.properties & flag]
                bch = BleakGATTCharacteristic(
                    ch, ch.handle, uuid_str(ch.uuid), props, lambda: self.mtu_size - 3, bsvc
                )
                coll.add_characteristic(bch)
                for d in ch.descriptors:
                    coll.add_descriptor(BleakGATTDescriptor(d, d.handle, uuid_str(d.type), bch))
        return coll

    def _require(self) -> Peer:
        if self._peer is None or self._connection is None:
            raise BleakError(f"not connected to {self.address}")
        return self._peer

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a characteristic value."""
        self._require()
        return bytearray(await asyncio.wait_for(characteristic.obj.read_value(), self._timeout))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a descriptor value."""
        self._require()
        return bytearray(await asyncio.wait_for(descriptor.obj.read_value(), self._timeout))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: Any, response: bool
    ) -> None:
        """Write a characteristic value (with or without response)."""
        self._require()
        await asyncio.wait_for(
            characteristic.obj.write_value(bytes(data), with_response=response), self._timeout
        )

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        """Write a descriptor value."""
        self._require()
        await asyncio.wait_for(
            descriptor.obj.write_value(bytes(data), with_response=True), self._timeout
        )

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        """Subscribe to notifications; ``callback`` gets each value as a bytearray."""
        peer = self._require()

        def on_value(value: bytes) -> None:
            callback(bytearray(value))

        self._notify[characteristic.handle] = on_value
        await asyncio.wait_for(peer.subscribe(characteristic.obj, on_value), self._timeout)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        """Unsubscribe from notifications."""
        peer = self._require()
        fn = self._notify.pop(characteristic.handle, None)
        await asyncio.wait_for(peer.unsubscribe(characteristic.obj, fn), self._timeout)
