"""Scanning: real bleak scanner over the bumble backend, and the ``sms-detect scan`` CLI."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

from bumble.core import AdvertisingData

from firmware_bridge.ble_emulator import PolarPeripheral, SimClock, SmsPeripheral
from firmware_bridge.bumble_bleak_backend import BumbleWorld
from sms_detect.devices import ble, gatt
from sms_detect.devices import polar_pmd as pmd


def test_classify() -> None:
    assert ble.classify("x", [gatt.SERVICE.upper()]) == "sms"
    assert ble.classify("Polar H10 1234", []) == "polar"
    assert ble.classify(None, [pmd.PMD_SERVICE]) == "polar"
    assert ble.classify("Movesense 1234", []) == "movesense"
    assert ble.classify(None, [ble.MOVESENSE_SERVICE]) == "movesense"
    assert ble.classify("Polarized speaker", ["0000180f-0000-1000-8000-00805f9b34fb"]) is None


def test_scan_lists_supported_sensors_only() -> None:
    async def main() -> list[ble.FoundSensor]:
        world, clock = BumbleWorld(), SimClock()
        ours = SmsPeripheral(world, "SMS-0042", clock=clock)
        polar = PolarPeripheral(world, "Polar H10 0A1B2C3D", clock=clock)
        await ours.start()
        await polar.start()
        other = world.new_device("speaker")
        await other.power_on()
        await other.start_advertising(
            advertising_data=bytes(
                AdvertisingData([(AdvertisingData.COMPLETE_LOCAL_NAME, b"JBL Flip")])
            ),
            advertising_interval_min=20,
            advertising_interval_max=20,
        )
        found = await ble.scan(0.4, backend=world.scanner_backend())
        for p in (ours, polar):
            await p.stop()
        assert {s.address for s in found} == {ours.address, polar.address}
        return found

    found = asyncio.run(main())
    by_kind = {s.kind: s for s in found}
    assert by_kind["sms"].name == "SMS-0042"
    assert by_kind["polar"].name == "Polar H10 0A1B2C3D"
    assert all(-127 < s.rssi < 20 for s in found)
    assert by_kind["polar"].description.startswith("Polar")


def test_cli_scan_emulated_json() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sms_detect", "scan", "--emulate", "--json", "--timeout", "0.3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert sorted(r["kind"] for r in rows) == ["movesense", "polar", "sms"]
    assert all(set(r) == {"name", "address", "rssi", "kind"} for r in rows)


def test_cli_scan_bad_timeout_is_one_line_error() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sms_detect", "scan", "--timeout", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0 and "timeout" in out.stderr
