"""sms-detect reference firmware: stream an I2C accelerometer over USB serial (MicroPython).

Copy ``smsproto.py``, ``imu.py``, ``sampler.py`` and this file (as ``main.py``) to the
board, e.g. ``mpremote cp smsproto.py imu.py sampler.py main.py :``. Edit ``CONFIG`` for
your board. The board then streams wire-protocol v1 frames (``../PROTOCOL.md``) on its
USB serial port at boot; record with ``sms-detect record --serial /dev/ttyACM0``.

Timing: the loop polls the IMU on a schedule kept by the microcontroller's microsecond
counter (the IMU runs at twice the polling rate or more so no sample is read twice). Sample
times on the wire are that counter; the host maps them to its own clock and corrects drift.
"""

import sys
import time

import imu
import machine
import micropython
import sampler
import smsproto

FIRMWARE = "smsfw 1.0.0"

# Pins of common boards (SCL, SDA); the key is matched against os.uname().machine.
BOARD_PINS = {
    "ESP32C3": (9, 8),  # Seeed XIAO ESP32C3
    "ESP32S3": (6, 5),  # Seeed XIAO ESP32S3
    "ESP32": (22, 21),  # ESP32-DevKitC, most ESP32 boards
    "nRF52840": ("SCL", "SDA"),  # Seeed XIAO nRF52840 (Sense has an LSM6DS3 on the I2C bus)
}

CONFIG = {
    "rate_hz": 100,  # sample rate (Hz)
    "range_g": 8,  # full-scale range (+-g)
    "samples_per_frame": 5,  # 50 ms of samples per frame at 100 Hz
    "i2c_id": 0,
    "i2c_freq": 400000,
    "pins": None,  # (scl, sda) to override BOARD_PINS
    "battery_adc_pin": None,  # ADC pin on a 1:2 divider, or None
    "status_every_s": 10,
    "hello_every_s": 2,
}


def board_pins():
    """(scl, sda) for this board."""
    if CONFIG["pins"]:
        return CONFIG["pins"]
    import os

    machine_name = os.uname().machine
    for key in BOARD_PINS:
        if key in machine_name:
            return BOARD_PINS[key]
    return BOARD_PINS["ESP32"]


def device_id():
    """Unique id of the chip as hex text."""
    import binascii

    return binascii.hexlify(machine.unique_id()).decode()


def boot_id():
    """A random 32-bit number drawn at boot."""
    try:
        import os

        return int.from_bytes(os.urandom(4), "little")
    except (ImportError, AttributeError, OSError):
        import random

        return random.getrandbits(32)


def battery_mv(adc):
    """Battery voltage (mV) through a 1:2 divider, or 0 if not wired."""
    if adc is None:
        return 0
    return int(adc.read_uv() * 2 // 1000)


def run():
    """Configure the IMU and stream frames forever."""
    micropython.kbd_intr(-1)  # bytes from the host must not interrupt the loop
    out = getattr(sys.stdout, "buffer", sys.stdout)
    scl, sda = board_pins()
    i2c = machine.I2C(
        CONFIG["i2c_id"], scl=machine.Pin(scl), sda=machine.Pin(sda), freq=CONFIG["i2c_freq"]
    )
    dev = imu.detect(i2c, CONFIG["rate_hz"], CONFIG["range_g"])
    if dev is None:
        raise OSError("no supported accelerometer found on I2C")
    adc = None
    if CONFIG["battery_adc_pin"] is not None:
        adc = machine.ADC(machine.Pin(CONFIG["battery_adc_pin"]))

    import os

    enc = smsproto.Encoder(1000000, CONFIG["rate_hz"], dev.range_g, scale_g=dev.scale_g)
    hello = (boot_id(), os.uname().machine, device_id(), FIRMWARE, dev.NAME)
    sampler.run_loop(
        dev,
        enc,
        time,
        out.write,
        CONFIG["rate_hz"],
        CONFIG["samples_per_frame"],
        hello,
        battery_mv=lambda: battery_mv(adc),
        status_every_s=CONFIG["status_every_s"],
        hello_every_s=CONFIG["hello_every_s"],
    )


run()
