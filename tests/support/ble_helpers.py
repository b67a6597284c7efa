"""Helpers for BLE tests: an emulated world with peripherals, driven by the real bleak code.

Nothing of bleak is mocked: ``sms_detect.devices.ble`` runs unmodified bleak (and
bleak-retry-connector) over the bumble backend of ``firmware_bridge.bumble_bleak_backend``;
the peripherals are bumble GATT servers on the same ``LocalLink``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import numpy as np

from firmware_bridge.ble_emulator import SimClock, _Peripheral
from firmware_bridge.bumble_bleak_backend import BumbleWorld
from sms_detect.devices.ble import BleSource
from sms_detect.devices.serial_source import Gap
from sms_detect.types import SampleBlock

# bumble logs a warning for every notification still queued when a link drops
logging.getLogger("bumble").setLevel(logging.ERROR)


def make_source(world: BumbleWorld, clock: SimClock, target: str, **kw: object) -> BleSource:
    """A :class:`BleSource` on the emulated world, with short real-time backoffs."""
    return BleSource(
        target,
        scanner_backend=world.scanner_backend(),
        client_backend=world.client_backend(),
        now=clock.now,
        scan_timeout=3.0,
        backoff=(0.05, 0.5),
        **kw,  # type: ignore[arg-type]
    )


async def wait_for(cond: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll ``cond`` every 10 ms until true; fail the test after ``timeout`` real s."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def wait_samples(sources: list[BleSource], n: int, timeout: float = 20.0) -> bool:
    """From another thread: poll until every source has received ``n`` samples.

    Returns False if ``timeout`` real seconds pass first.
    """
    deadline = time.monotonic() + timeout
    while any(src.stats.samples < n for src in sources):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def joined(items: list[object]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate the sample blocks among ``items`` into (time (N,), acc (N, 3))."""
    blocks = [b for b in items if isinstance(b, SampleBlock)]
    return np.concatenate([b.time for b in blocks]), np.concatenate([b.acc for b in blocks])


def expected_acc(per: _Peripheral, boot: int | None = None) -> np.ndarray:
    """What the peripheral sent, in order, from its own signal (g)."""
    parts = [per.samples_g(first, n) for b, first, n in per.sent if boot is None or b == boot]
    return np.concatenate(parts) if parts else np.empty((0, 3))


def assert_segments_match_sent(per: _Peripheral, items: list[object], atol: float = 6e-4) -> int:
    """Check every stretch between gaps is a contiguous run of what the sensor sent.

    A notification in flight when a link drops is sent but never received, so each segment
    is located in the peripheral's send log by its first samples, then compared sample by
    sample. Returns the number of segments.
    """
    segments: list[list[np.ndarray]] = [[]]
    for it in items:
        if isinstance(it, Gap):
            segments.append([])
        elif isinstance(it, SampleBlock):
            segments[-1].append(it.acc)
    for seg in segments:
        acc = np.concatenate(seg)
        chunks = [(first, n) for _b, first, n in per.sent]
        start = next(
            j
            for j, (first, n) in enumerate(chunks)
            if n <= len(acc) and np.allclose(per.samples_g(first, n), acc[:n], atol=atol)
        )
        first0 = chunks[start][0]
        exp = per.samples_g(first0, len(acc))  # contiguous sample indices from there
        np.testing.assert_allclose(acc, exp, atol=atol)
    return len(segments)
