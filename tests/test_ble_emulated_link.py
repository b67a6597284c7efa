"""The emulated radio itself: connection set-up and cancel behave as a real controller's.

These are tests of ``firmware_bridge.bumble_bleak_backend`` (our test bench), run through
unmodified bleak: if the bench misbehaves, every BLE test above it becomes flaky.
"""

from __future__ import annotations

import asyncio

import pytest
from bleak import BleakClient
from bleak.exc import BleakError

from firmware_bridge.ble_emulator import SimClock, SmsPeripheral
from firmware_bridge.bumble_bleak_backend import BumbleWorld
from sms_detect.devices import gatt
from tests.support.ble_helpers import wait_for


def test_connect_timeout_cancels_cleanly_and_a_retry_connects() -> None:
    """A connect that times out leaves no pending connection behind in the controller.

    This is what a reconnect after a dropout does when the sensor is not advertising yet.
    The timed-out attempt must not come up later behind the host's back: the host would not
    know the link, the peripheral would stay connected to nobody and never advertise again.
    """

    async def main() -> None:
        world = BumbleWorld()
        per = SmsPeripheral(world, "SMS-0001", clock=SimClock(speed=10.0))
        await per.device.power_on()  # powered, not advertising yet
        client = BleakClient(per.address, backend=world.client_backend(), timeout=0.3)
        with pytest.raises(BleakError, match="not found or not connectable"):
            await client.connect()
        central = await world.central()

        await per.start()  # now it advertises: the cancelled attempt must not connect
        await asyncio.sleep(0.3)
        assert per.connection is None and not central.connections

        # a new attempt connects, and the GATT service is there
        client = BleakClient(per.address, backend=world.client_backend(), timeout=5.0)
        await client.connect()
        try:
            assert client.is_connected and per.connection is not None
            assert client.services.get_service(gatt.SERVICE) is not None
        finally:
            await client.disconnect()
        await wait_for(lambda: per.connection is None, 5.0)
        await per.stop()

    asyncio.run(main())


def test_two_sensors_connecting_at_once_both_connect() -> None:
    """Two connection attempts at the same moment (two sensors at start-up, or one
    reconnecting while another starts) both succeed: the bench queues them, as BlueZ does.
    """

    async def main() -> None:
        world = BumbleWorld()
        clock = SimClock(speed=10.0)
        pers = [SmsPeripheral(world, f"SMS-000{i}", clock=clock) for i in (1, 2)]
        for per in pers:
            await per.start()
        clients = [
            BleakClient(per.address, backend=world.client_backend(), timeout=5.0) for per in pers
        ]
        await asyncio.gather(*(c.connect() for c in clients))
        central = await world.central()
        assert all(c.is_connected for c in clients)
        assert all(per.connection is not None for per in pers)
        assert len(central.connections) == 2
        for c in clients:
            await c.disconnect()
        for per in pers:
            await per.stop()

    asyncio.run(main())
