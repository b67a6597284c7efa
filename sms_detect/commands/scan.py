"""``sms-detect scan``: list nearby supported BLE sensors (ours, Polar, Movesense)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from sms_detect.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``scan`` subcommand."""
    p = subparsers.add_parser(
        "scan",
        help="list nearby Bluetooth LE sensors that sms-detect can record from",
        description="Scan for Bluetooth LE sensors (sms-detect firmware, Polar, Movesense) "
        "and list name, address, signal strength and kind, strongest first.",
    )
    p.add_argument("--timeout", type=float, default=5.0, help="scan duration in s (default 5)")
    p.add_argument("--json", action="store_true", help="one JSON object per sensor on stdout")
    # Scan emulated sensors (bumble, no hardware): for tests and demos.
    p.add_argument("--emulate", action="store_true", help=argparse.SUPPRESS)
    return p


async def _scan_emulated(timeout: float) -> list:
    from firmware_bridge.ble_emulator import (
        MovesensePeripheral,
        PolarPeripheral,
        SimClock,
        SmsPeripheral,
    )
    from firmware_bridge.bumble_bleak_backend import BumbleWorld
    from sms_detect.devices.ble import scan

    world, clock = BumbleWorld(), SimClock()
    peripherals = [
        SmsPeripheral(world, "SMS-0001", clock=clock),
        PolarPeripheral(world, "Polar H10 0A1B2C3D", clock=clock),
        MovesensePeripheral(world, "Movesense 2140", clock=clock),
    ]
    for p in peripherals:
        await p.start()
    try:
        return await scan(timeout, backend=world.scanner_backend())
    finally:
        for p in peripherals:
            await p.stop()


_NO_ADAPTER = "cannot scan for Bluetooth LE devices (no adapter or BlueZ?)"


async def _scan_real(timeout: float) -> list:
    from bleak.exc import BleakError

    from sms_detect.devices.ble import scan

    try:
        return await scan(timeout)
    except (BleakError, OSError, FileNotFoundError) as exc:
        raise InputError(f"{_NO_ADAPTER}: {exc}") from exc
    except Exception as exc:  # e.g. no D-Bus / BlueZ on this machine
        if type(exc).__module__.startswith(("dbus", "bleak")):
            raise InputError(f"{_NO_ADAPTER}: {exc}") from exc
        raise


def run(args: argparse.Namespace) -> int:
    """Scan and print the sensors found; 0 even when none is found."""
    if not args.timeout > 0:
        raise InputError(f"--timeout must be positive, got {args.timeout}")
    coro = _scan_emulated(args.timeout) if args.emulate else _scan_real(args.timeout)
    found = asyncio.run(coro)
    if args.json:
        for s in found:
            obj = {"name": s.name, "address": s.address, "rssi": s.rssi, "kind": s.kind}
            print(json.dumps(obj), flush=True)
        return 0
    if not found:
        print("no supported sensors found", file=sys.stderr)
        return 0
    print(f"{'NAME':<22} {'ADDRESS':<19} {'RSSI':>5}  KIND")
    for s in found:
        print(f"{s.name:<22} {s.address:<19} {s.rssi:>5}  {s.description}")
    return 0
