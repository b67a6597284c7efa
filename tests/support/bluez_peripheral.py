"""Our firmware's GATT service as a BlueZ D-Bus peripheral (for the bluezoo test tier).

Run as ``python -m tests.support.bluez_peripheral --name SMS-B001 --adapter hci1`` with
``DBUS_SYSTEM_BUS_ADDRESS`` pointing at a private bus where ``bluezoo`` imitates BlueZ. It
registers a GATT application (our service: data notify, control write + notify) and an LE
advertisement on ``--adapter`` through BlueZ's documented D-Bus API, then, after a START on
the control characteristic, notifies wire frames at real-time pace, encoded by the
firmware's own logic (``firmware_bridge.firmware_ble.smsble``).

The signal is a ramp that makes losses visible: x counts samples (``k mod 30000`` counts of
``range / 32768`` g), y = 0, z = 1 g.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

import numpy as np
import sdbus

from firmware_bridge.firmware_ble.smsble import BleService
from sms_detect.devices import gatt

APP = "/org/smsdetect/app"


class _GattService(sdbus.DbusInterfaceCommonAsync, interface_name="org.bluez.GattService1"):
    def __init__(self, uuid: str) -> None:
        super().__init__()
        self._uuid = uuid

    @sdbus.dbus_property_async("s")
    def UUID(self) -> str:  # noqa: N802 (D-Bus names)
        return self._uuid

    @sdbus.dbus_property_async("b")
    def Primary(self) -> bool:  # noqa: N802
        return True


class _GattChar(sdbus.DbusInterfaceCommonAsync, interface_name="org.bluez.GattCharacteristic1"):
    def __init__(self, uuid: str, service: str, flags: list[str], on_write: Any = None) -> None:
        super().__init__()
        self._uuid = uuid
        self._service = service
        self._flags = flags
        self._value = b""
        self._notifying = False
        self._on_write = on_write

    @sdbus.dbus_property_async("s")
    def UUID(self) -> str:  # noqa: N802
        return self._uuid

    @sdbus.dbus_property_async("o")
    def Service(self) -> str:  # noqa: N802
        return self._service

    @sdbus.dbus_property_async("as")
    def Flags(self) -> list[str]:  # noqa: N802
        return self._flags

    @sdbus.dbus_property_async("ay", flags=sdbus.DbusPropertyEmitsChangeFlag)
    def Value(self) -> bytes:  # noqa: N802
        return self._value

    @Value.setter_private
    def _value_setter(self, value: bytes) -> None:
        self._value = bytes(value)

    @sdbus.dbus_property_async("b")
    def Notifying(self) -> bool:  # noqa: N802
        return self._notifying

    @sdbus.dbus_method_async("a{sv}", "ay")
    async def ReadValue(self, options: dict[str, tuple[str, Any]]) -> bytes:  # noqa: N802
        return self._value

    @sdbus.dbus_method_async("aya{sv}", "")
    async def WriteValue(self, value: bytes, options: dict[str, tuple[str, Any]]) -> None:  # noqa: N802
        if self._on_write is not None:
            mtu = int(options.get("mtu", ("q", 247))[1])
            await self._on_write(bytes(value), mtu)

    @sdbus.dbus_method_async("", "")
    async def StartNotify(self) -> None:  # noqa: N802
        self._notifying = True

    @sdbus.dbus_method_async("", "")
    async def StopNotify(self) -> None:  # noqa: N802
        self._notifying = False

    @sdbus.dbus_method_async("", "")
    async def Confirm(self) -> None:  # noqa: N802
        return None

    async def notify(self, value: bytes) -> None:
        """Send ``value`` to subscribers (BlueZ: a PropertiesChanged of ``Value``)."""
        await self.Value.set_async(value)


class _Advertisement(sdbus.DbusInterfaceCommonAsync, interface_name="org.bluez.LEAdvertisement1"):
    def __init__(self, name: str, uuids: list[str]) -> None:
        super().__init__()
        self._name = name
        self._uuids = uuids

    @sdbus.dbus_method_async("", "")
    async def Release(self) -> None:  # noqa: N802
        return None

    @sdbus.dbus_property_async("s")
    def Type(self) -> str:  # noqa: N802
        return "peripheral"

    @sdbus.dbus_property_async("as")
    def ServiceUUIDs(self) -> list[str]:  # noqa: N802
        return self._uuids

    @sdbus.dbus_property_async("s")
    def LocalName(self) -> str:  # noqa: N802
        return self._name

    @sdbus.dbus_property_async("b")
    def Discoverable(self) -> bool:  # noqa: N802
        return True


class _AdvertisingManager(
    sdbus.DbusInterfaceCommonAsync, interface_name="org.bluez.LEAdvertisingManager1"
):
    @sdbus.dbus_method_async("oa{sv}", "")
    async def RegisterAdvertisement(self, path: str, options: dict) -> None:  # noqa: N802
        raise NotImplementedError


class _GattManager(sdbus.DbusInterfaceCommonAsync, interface_name="org.bluez.GattManager1"):
    @sdbus.dbus_method_async("oa{sv}", "")
    async def RegisterApplication(self, path: str, options: dict) -> None:  # noqa: N802
        raise NotImplementedError


class _Adapter(sdbus.DbusInterfaceCommonAsync, interface_name="org.bluez.Adapter1"):
    @sdbus.dbus_property_async("b")
    def Discovering(self) -> bool:  # noqa: N802
        raise NotImplementedError


class BluezSmsPeripheral:
    """Our GATT service on a (bluezoo) BlueZ adapter, streaming the ramp signal."""

    def __init__(self, name: str, adapter: str) -> None:
        self.name = name
        self.adapter = f"/org/bluez/{adapter}"
        self.fw = BleService(tick_hz=1_000_000, rate_hz=100, range_g=8)
        self.boot = time.monotonic()
        self.boot_id = int.from_bytes(os.urandom(4), "little")
        self._task: asyncio.Task[None] | None = None
        svc = f"{APP}/service0"
        self.service = _GattService(gatt.SERVICE)
        self.data = _GattChar(gatt.DATA, svc, ["notify"])
        self.control = _GattChar(gatt.CONTROL, svc, ["write", "notify"], self._on_control)
        self.manager = sdbus.DbusObjectManagerInterfaceAsync()
        self.adv = _Advertisement(name, [gatt.SERVICE])

    async def start(self, advertise_after: float = 0.0, when_discovering: str = "") -> None:
        """Export the application and advertisement and register them with the adapter; start
        advertising (in the background) ``advertise_after`` s later, and not before adapter
        ``when_discovering`` (e.g. ``hci0``; empty: do not wait) is discovering."""
        self.manager.export_to_dbus(APP)
        self.manager.export_with_manager(f"{APP}/service0", self.service)
        self.manager.export_with_manager(f"{APP}/service0/char0", self.data)
        self.manager.export_with_manager(f"{APP}/service0/char1", self.control)
        self.adv.export_to_dbus(f"{APP}/adv0")
        await _GattManager.new_proxy("org.bluez", self.adapter).RegisterApplication(APP, {})
        self._adv_task = asyncio.create_task(self._advertise(advertise_after, when_discovering))

    async def _advertise(self, delay: float, when_discovering: str) -> None:
        await asyncio.sleep(delay)
        if when_discovering:
            host = _Adapter.new_proxy("org.bluez", f"/org/bluez/{when_discovering}")
            while not await host.Discovering:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)  # the scanner watches for devices once discovering
        await _AdvertisingManager.new_proxy("org.bluez", self.adapter).RegisterAdvertisement(
            f"{APP}/adv0", {}
        )

    async def _on_control(self, value: bytes, mtu: int) -> None:
        self.fw.mtu = mtu
        was = self.fw.streaming
        response = self.fw.handle_control(value)
        await self.control.notify(response)
        if self.fw.streaming and not was:
            self._task = asyncio.create_task(self._stream())
        elif was and not self.fw.streaming and self._task is not None:
            self._task.cancel()

    async def _stream(self) -> None:
        fs = float(self.fw.rate_hz)
        k = int((time.monotonic() - self.boot) * fs) + 1
        tick0 = int(round(k * 1e6 / fs))
        enc = self.fw.encoder
        fw_version = "smsfw 1.0.0-emu"
        hello = enc.hello(
            tick0 & 0xFFFFFFFF, self.boot_id, "bluez-emu", self.name, fw_version, "ramp"
        )
        await self.data.notify(hello)
        while self.fw.streaming:
            n = self.fw.per_notification()
            due = self.boot + (k + n - 1) / fs
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            idx = np.arange(k, k + n)
            counts = np.zeros((n, 3), dtype="<i2")
            counts[:, 0] = idx % 30000
            counts[:, 2] = int(round(32768 / self.fw.range_g))
            tick = int(round(k * 1e6 / fs)) & 0xFFFFFFFF
            await self.data.notify(self.fw.encoder.samples(k, tick, counts.tobytes(), n))
            k += n


async def _main(name: str, adapter: str, advertise_after: float, when_discovering: str) -> None:
    sdbus.set_default_bus(sdbus.sd_bus_open_system())
    per = BluezSmsPeripheral(name, adapter)
    await per.start(advertise_after, when_discovering)
    print("ready", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    """Run the peripheral until killed."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--name", default="SMS-B001")
    p.add_argument("--adapter", default="hci1")
    p.add_argument("--advertise-after", type=float, default=0.0, metavar="S",
                   help="advertise S seconds after start-up (switched on late)")  # fmt: skip
    p.add_argument("--advertise-when-discovering", default="", metavar="ADAPTER",
                   help="advertise once ADAPTER (the host's) is discovering")  # fmt: skip
    args = p.parse_args()
    asyncio.run(
        _main(args.name, args.adapter, args.advertise_after, args.advertise_when_discovering)
    )


if __name__ == "__main__":
    main()
