"""Live BLE streaming through real bleak code over emulated peripherals (bumble LocalLink).

No mocks: ``BleSource`` runs bleak and bleak-retry-connector unmodified with the bumble
backend; the peripherals are real GATT servers (our firmware's service driven by the
firmware's own logic, and Polar PMD) on a simulated clock running faster than real time.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from bumble.core import AdvertisingData

from firmware_bridge.ble_emulator import (
    MovesensePeripheral,
    PolarPeripheral,
    SimClock,
    SmsPeripheral,
)
from firmware_bridge.bumble_bleak_backend import BumbleWorld
from sms_detect.devices import ble
from sms_detect.devices.serial_source import DeviceInfo
from sms_detect.types import SampleBlock
from tests.support.ble_helpers import (
    assert_segments_match_sent,
    expected_acc,
    joined,
    make_source,
    wait_for,
)

SPEED = 30.0  # simulated seconds per real second


def _peripheral(kind: str, world: BumbleWorld, clock: SimClock):
    if kind == "sms":
        return SmsPeripheral(world, "SMS-0001", clock=clock, skew_ppm=40.0)
    if kind == "movesense":
        return MovesensePeripheral(world, "Movesense 2140", clock=clock, per_packet=24)  # split
    if kind == "h10":
        return PolarPeripheral(world, "Polar H10 0A1B2C3D", clock=clock, skew_ppm=-30.0)
    return PolarPeripheral(
        world,
        "Polar Sense 0A1B2C3D",
        clock=clock,
        rates=(26, 52, 104, 208, 416),
        ranges=(2, 4, 8, 16),
        compressed=True,
    )


@pytest.mark.parametrize(
    ("kind", "rate", "tol"),
    [
        ("sms", 100, 2.5e-4),
        ("sms", 400, 2.5e-4),
        ("h10", 100, 6e-4),
        ("sense", 416, 6e-4),
        ("movesense", 104, 1e-6),
    ],
)
def test_stream_30_simulated_seconds_no_sample_lost(kind: str, rate: int, tol: float) -> None:
    async def main() -> None:
        world, clock = BumbleWorld(), SimClock(SPEED)
        per = _peripheral(kind, world, clock)
        await per.start()
        blocks: list[SampleBlock] = []
        src = make_source(world, clock, per.name, rate_hz=rate)
        task = asyncio.create_task(src.run(blocks.append))
        await wait_for(lambda: src.stats.samples >= 30 * rate)
        src.stop()
        await task
        await per.stop()

        st = src.stats
        assert st.mtu == 247
        assert st.rate_hz == rate
        assert st.state == "stopped"
        assert (st.corrupted, st.short, st.lost_samples, st.reconnects) == (0, 0, 0, 0)
        assert src.gaps == []
        # many samples per notification (MTU used), none lost, values bit-exact to quantisation
        assert st.samples / st.notifications >= (8 if kind == "movesense" else 10)
        t, acc = joined(blocks)
        exp = expected_acc(per)
        assert len(t) >= 30 * rate
        np.testing.assert_allclose(acc, exp[: len(acc)], atol=tol)
        assert len(exp) - len(acc) <= 2 * st.samples / st.notifications  # only the tail
        dt = np.diff(t)
        assert dt.min() > 0
        assert np.median(dt) == pytest.approx(1 / rate, rel=1e-3)
        first = [b for b in blocks if isinstance(b, SampleBlock)][0]
        assert first.sensor == "wrist" and first.acc.dtype == np.float64
        assert 0 < first.time[0] < 15  # time 0 = when the source began (scan + connect)
        infos = [b for b in blocks if isinstance(b, DeviceInfo)]
        assert len(infos) == 1 and infos[0].device_id == per.address

    asyncio.run(main())


@pytest.mark.parametrize("kind", ["sms", "h10", "movesense"])
def test_disconnect_reconnects_and_records_gap(kind: str) -> None:
    async def main() -> None:
        world, clock = BumbleWorld(), SimClock(SPEED)
        per = _peripheral(kind, world, clock)
        await per.start()
        blocks: list[SampleBlock] = []
        src = make_source(world, clock, per.name, rate_hz=100, sensor="ankle")
        task = asyncio.create_task(src.run(blocks.append))
        await wait_for(lambda: src.stats.samples >= 300)
        await per.drop_link()
        await wait_for(lambda: src.stats.reconnects == 1 and src.stats.state == "streaming")
        n = src.stats.samples
        await wait_for(lambda: src.stats.samples >= n + 300)
        src.stop()
        await task
        await per.stop()

        assert len(src.gaps) == 1
        gap = src.gaps[0]
        assert gap in blocks and gap.sensor == "ankle"  # handed out in order, too
        k = blocks.index(gap)
        assert isinstance(blocks[k + 1], SampleBlock) and blocks[k + 1].time[0] == gap.end
        assert gap.reason == "disconnected" and gap.end - gap.start > 0.02
        t, acc = joined(blocks)
        dt = np.diff(t)
        assert dt.min() > 0
        big = np.flatnonzero(dt > 1.5 / 100)
        assert len(big) == 1  # exactly one hole, where the gap says
        assert t[big[0]] == gap.start and t[big[0] + 1] == gap.end
        # each side is a contiguous run of what the sensor sent
        assert assert_segments_match_sent(per, blocks) == 2

    asyncio.run(main())


@pytest.mark.parametrize(
    ("kind", "faults", "corrupted", "short"),
    [
        ("sms", ["flip", "flip", "short"], 2, 1),
        ("h10", ["header", "short", "header"], 2, 1),
        ("movesense", ["header", "short"], 1, 1),
    ],
)
def test_corrupted_and_short_notifications_counted_and_skipped(
    kind: str, faults: list[str], corrupted: int, short: int
) -> None:
    async def main() -> None:
        world, clock = BumbleWorld(), SimClock(SPEED)
        per = _peripheral(kind, world, clock)
        await per.start()
        blocks: list[SampleBlock] = []
        src = make_source(world, clock, per.name, rate_hz=100)
        task = asyncio.create_task(src.run(blocks.append))
        await wait_for(lambda: src.stats.samples >= 200)
        for f in faults:
            per.corrupt_next(f)
        await wait_for(lambda: per._corrupt == [])
        n = src.stats.samples
        await wait_for(lambda: src.stats.samples >= n + 200)
        src.stop()
        await task
        await per.stop()

        assert src.stats.corrupted == corrupted
        assert src.stats.short == short
        assert src.stats.reconnects == 0
        assert src.gaps and all(g.reason == "dropped" for g in src.gaps)
        assert src.stats.lost_samples > 0
        t, acc = joined(blocks)
        assert np.diff(t).min() > 0
        # what was delivered is exactly what the sensor sent intact, in order
        np.testing.assert_allclose(acc, expected_acc(per)[: len(acc)], atol=6e-4)
        assert assert_segments_match_sent(per, blocks) == len(src.gaps) + 1

    asyncio.run(main())


@pytest.mark.parametrize("kind", ["sms", "h10", "movesense"])
def test_sensor_reboot_is_a_device_reset_gap(kind: str) -> None:
    async def main() -> None:
        world, clock = BumbleWorld(), SimClock(SPEED)
        per = _peripheral(kind, world, clock)
        await per.start()
        blocks: list[SampleBlock] = []
        src = make_source(world, clock, per.name, rate_hz=100)
        task = asyncio.create_task(src.run(blocks.append))
        await wait_for(lambda: src.stats.samples >= 1500)  # 15 s: the clock is well past boot
        await per.reboot(down_s=2.0)
        await wait_for(lambda: src.stats.resets == 1 and src.stats.state == "streaming")
        n = src.stats.samples
        await wait_for(lambda: src.stats.samples >= n + 300)
        src.stop()
        await task
        await per.stop()

        assert src.stats.resets == 1 and src.stats.reconnects == 1
        assert [g.reason for g in src.gaps] == ["device_reset"]
        gap = src.gaps[0]
        assert gap.end - gap.start >= 2.0  # at least the time the sensor was off
        t, _ = joined(blocks)
        assert np.diff(t).min() > 0
        # host time keeps going: the sensor clock restarted but the mapping re-anchored
        assert t[-1] - t[0] == pytest.approx(src.stats.samples / 100 + (gap.end - gap.start), abs=3)

    asyncio.run(main())


def test_unsupported_target_kind_is_a_clear_error() -> None:
    async def main() -> None:
        world, clock = BumbleWorld(), SimClock(SPEED)
        per = SmsPeripheral(world, "SMS-0002", clock=clock)
        await per.start()
        other = world.new_device("speaker")
        await other.power_on()
        await other.start_advertising(
            advertising_data=bytes(
                AdvertisingData([(AdvertisingData.COMPLETE_LOCAL_NAME, b"JBL Flip")])
            ),
            advertising_interval_min=20,
            advertising_interval_max=20,
        )
        src = make_source(world, clock, "JBL Flip")
        with pytest.raises(ble.InputError, match="cannot be streamed"):
            await src.run(lambda b: None)
        await per.stop()

    asyncio.run(main())


def test_runner_streams_two_sensors_at_once_from_a_thread() -> None:
    """The recorder's entry point: a background loop, one emulated sms and one Polar."""
    runner = ble.BleRunner(
        [ble.BleSpec("x", "wrist"), ble.BleSpec("y", "ankle")],
        demo=True,
        demo_kinds=["sms", "polar"],
        demo_speed=SPEED,
    )
    runner.start()
    got: dict[str, list[SampleBlock]] = {"wrist": [], "ankle": []}
    try:
        for _ in range(500):
            for b in runner.poll(0.05):
                if isinstance(b, SampleBlock):
                    got[b.sensor].append(b)
            if all(sum(len(b) for b in v) >= 1000 for v in got.values()):
                break
        status = runner.status()
    finally:
        runner.stop()
    assert not runner.alive and runner.error is None
    for blocks in got.values():
        t, acc = joined(blocks)
        assert len(t) >= 1000 and np.diff(t).min() > 0
        # host times: while the clock mapping absorbs the first frame's latency, intervals
        # shrink by up to CLOCK_CATCHUP (10 %); otherwise they stretch by at most its slew
        # (0.5 %) plus the largest clock skew it believes (0.1 %). At SPEED x real time a
        # busy machine's scheduling delays are seconds of simulated time, so the catch-up
        # may last the whole test: only these bounds hold whatever the load.
        d = np.diff(t)
        assert d.min() >= 0.01 * (1 - ble.CLOCK_CATCHUP) - 1e-6  # 1 us: time rounding
        assert d.max() <= 0.01 * (1 + 0.005 + 1e-3) + 1e-6
        assert np.abs(acc[:, 2].mean() - 1.0) < 0.01  # the demo signal: gravity on z
    assert "wrist: streaming 100 Hz" in status and "ankle: streaming 100 Hz" in status
    assert [s.stats.state for s in runner.sources] == ["stopped", "stopped"]


def test_measure_latency_reports_plausible_figures() -> None:
    """The benchmark helper: every block's first sample waited at least as long as its last."""
    from firmware_bridge.ble_emulator import measure_latency

    r = asyncio.run(measure_latency("sms", seconds=20, rate_hz=100, speed=SPEED))
    assert len(r["first"]) == len(r["last"]) >= 150
    assert np.all(r["first"] >= r["last"]) and np.all(r["last"] > 0)
    # 10 samples per notification at 100 Hz: the first sample waited ~90 ms (simulated)
    assert np.median(r["first"] - r["last"]) == pytest.approx(0.09, abs=0.002)
