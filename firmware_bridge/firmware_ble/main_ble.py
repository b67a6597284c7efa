"""sms-detect reference firmware, Bluetooth LE variant (MicroPython with ``aioble``).

Copy ``../firmware/smsproto.py``, ``../firmware/imu.py``, ``smsble.py`` and this file (as
``main.py``) to a board with BLE (ESP32, ESP32-C3/S3, nRF52840), and install aioble
(``mpremote mip install aioble``). The board advertises the sms-detect GATT service
(``../GATT.md``); ``sms-detect scan`` lists it and ``sms-detect record --ble NAME`` streams it.

The service logic (commands, MTU-sized frames) is ``smsble.BleService``, tested under CPython
and also driving the emulator (``firmware_bridge/ble_emulator.py``). This file is only the
glue to the radio and the IMU; it needs hardware and is not run by the test suite.
"""

import asyncio
import struct
import time

import aioble
import bluetooth
import imu
import machine
import smsble
import smsproto

FIRMWARE = "smsfw-ble 1.0.0"
NAME = "SMS-" + "".join(f"{b:02X}" for b in machine.unique_id()[-2:])  # 8 chars max
CONFIG = {"i2c_id": 0, "scl": 22, "sda": 21, "i2c_freq": 400000, "battery_adc_pin": None}

_SERVICE = bluetooth.UUID(smsble.SERVICE_UUID)
_DIS = bluetooth.UUID(0x180A)
_BAS = bluetooth.UUID(0x180F)

aioble.config(mtu=247)
service = aioble.Service(_SERVICE)
data_char = aioble.Characteristic(service, bluetooth.UUID(smsble.DATA_UUID), notify=True)
control_char = aioble.Characteristic(
    service, bluetooth.UUID(smsble.CONTROL_UUID), write=True, notify=True, capture=True
)
dis = aioble.Service(_DIS)
for uuid16, text in (
    (0x2A29, "sms-detect"),
    (0x2A24, "esp32-imu"),
    (0x2A25, "".join(f"{b:02x}" for b in machine.unique_id())),
    (0x2A26, FIRMWARE),
):
    aioble.Characteristic(dis, bluetooth.UUID(uuid16), read=True, initial=text.encode())
bas = aioble.Service(_BAS)
battery_char = aioble.Characteristic(bas, bluetooth.UUID(0x2A19), read=True, notify=True)
battery_char.write(struct.pack("<B", 100))
aioble.register_services(service, dis, bas)


async def control_task(state, connection):
    """Answer control writes; START/STOP switch streaming."""
    while connection.is_connected():
        conn, data = await control_char.written()
        state.mtu = getattr(conn, "mtu", None) or state.mtu
        control_char.notify(conn, state.handle_control(data))


# Kept across connections: the tick counter, the boot id and the sample index only restart
# at boot, so a host that reconnects can tell a dropout from a device restart.
ticks = smsproto.TickCounter(time.ticks_us, time.ticks_diff)
boot_id = int.from_bytes(machine.unique_id()[-4:], "little") ^ time.ticks_us()
index = 0


async def stream_task(state, connection, dev):
    """Read the IMU on schedule and notify MTU-sized frames while streaming."""
    global index
    while connection.is_connected():
        if not state.streaming:
            await asyncio.sleep_ms(20)
            continue
        rate = state.rate_hz
        n = state.per_notification()
        buf = bytearray(6 * n)
        mv = memoryview(buf)
        data_char.notify(
            connection,
            state.encoder.hello(ticks.now(), boot_id, "esp32", NAME, FIRMWARE, dev.NAME),
        )
        start = time.ticks_us()
        i = 0
        while state.streaming and connection.is_connected() and state.rate_hz == rate:
            first_tick = 0
            for k in range(n):
                due = time.ticks_add(start, int(i * 1000000 / rate))
                wait = time.ticks_diff(due, time.ticks_us())
                if wait > 0:
                    await asyncio.sleep_ms(wait // 1000) if wait > 2000 else time.sleep_us(wait)
                t = ticks.now()
                if k == 0:
                    first_tick = t
                dev.read_into(mv[6 * k : 6 * k + 6])
                i += 1
            data_char.notify(connection, state.encoder.samples(index, first_tick, buf, n))
            index += n


async def main():
    """Advertise, serve one host at a time, forever."""
    i2c = machine.I2C(
        CONFIG["i2c_id"],
        scl=machine.Pin(CONFIG["scl"]),
        sda=machine.Pin(CONFIG["sda"]),
        freq=CONFIG["i2c_freq"],
    )
    state = smsble.BleService()
    dev = imu.detect(i2c, state.rate_hz, state.range_g)
    if dev is None:
        raise OSError("no supported accelerometer found on I2C")
    while True:
        connection = await aioble.advertise(50000, name=NAME, services=[_SERVICE])
        try:
            await connection.exchange_mtu(247)
        except Exception:
            pass
        state.mtu = getattr(connection, "mtu", 23) or 23
        tasks = [
            asyncio.create_task(control_task(state, connection)),
            asyncio.create_task(stream_task(state, connection, dev)),
        ]
        await connection.disconnected(timeout_ms=None)
        state.disconnected()
        for t in tasks:
            t.cancel()


asyncio.run(main())
