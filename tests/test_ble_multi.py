"""Two BLE sensors recorded at once into one night file, through the real recorder.

No mocks: ``BleRunner`` drives unmodified bleak (and bleak-retry-connector) over the bumble
backend; the two sensors are emulated peripherals running our firmware's GATT service on a
simulated clock faster than real time; ``LiveSession`` writes a real HDF5 file.
"""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import h5py
import numpy as np

from sms_detect.devices.ble import BleRunner, BleSpec
from sms_detect.record import LiveSession
from tests.signals import add_jerk, quiet_night
from tests.support.ble_helpers import expected_acc, wait_samples

FS = 100.0
SPEED = 10.0  # simulated seconds per real second
JERK_AT = 40.0  # s of simulated time


def _signals(seconds: float, jerk: bool) -> list[np.ndarray]:
    """Wrist and ankle at rest (g); with ``jerk``, one whole-body jerk on both at once."""
    t, wrist = quiet_night(FS, seconds, seed=1, noise_g=0.001)
    _, ankle = quiet_night(FS, seconds, seed=2, noise_g=0.001)
    if jerk:
        add_jerk(t, wrist, JERK_AT, peak_g=1.0)
        add_jerk(t, ankle, JERK_AT + 0.02, peak_g=1.0, axis=(0.2, 1.0, 0.4))
    return [wrist, ankle]


def _runner(signals: list[np.ndarray], seconds: float | None) -> BleRunner:
    runner = BleRunner(
        [BleSpec("a", "wrist", FS), BleSpec("b", "ankle", FS)],
        demo=True,
        demo_speed=SPEED,
        demo_signals=list(signals),
        demo_seconds=seconds,
    )
    runner.start()
    return runner


def _session(runner: BleRunner, out: Path, **kw: object) -> tuple[LiveSession, io.StringIO]:
    stdout = io.StringIO()
    session = LiveSession(
        runner,
        output=out,
        stdout=stdout,
        stderr=io.StringIO(),
        device_wait_s=5.0,
        **kw,  # type: ignore[arg-type]
    )
    return session, stdout


def test_two_sensors_one_file_nothing_lost_and_one_whole_body_event(tmp_path: Path) -> None:
    out = tmp_path / "night.h5"
    seconds = 60.0
    runner = _runner(_signals(seconds, jerk=True), seconds)
    session, stdout = _session(runner, out, duration=30.0)
    status = session.status_text()
    session.run()
    assert not runner.alive
    assert runner.ended  # stopped because the simulated span was over, not by the time limit

    # every sensor has its group, with what its emulated peripheral sent, in order
    with h5py.File(out, "r") as f:
        assert sorted(f["sensors"]) == ["ankle", "wrist"]
        got = {s: (f[f"sensors/{s}/time"][:], f[f"sensors/{s}/acc"][:]) for s in ("wrist", "ankle")}
        gaps = {s: f[f"sensors/{s}/gaps"].shape[0] for s in ("wrist", "ankle")}
        assert f["sensors/ankle"].attrs["device"].startswith("emulated-esp32")
        assert f["sensors/wrist"].attrs["device_id"] != f["sensors/ankle"].attrs["device_id"]
        file_events = f["events"][:]
    assert gaps == {"wrist": 0, "ankle": 0}
    for src, per in zip(runner.sources, runner.emulation.peripherals, strict=True):
        t, acc = got[src.sensor]
        assert len(t) == src.stats.samples  # everything received is in the file
        assert src.stats.lost_samples == 0 and src.stats.corrupted == 0
        sent = expected_acc(per)
        assert len(t) > 30 * FS  # most of the 60 simulated s (the link takes a moment)
        # at most the one notification in flight when the link was closed is missing
        assert len(sent) - len(t) <= per._per_notification()
        np.testing.assert_allclose(acc, sent[: len(t)], atol=2.5e-4)
        assert np.all(np.diff(t) > 0)
        np.testing.assert_allclose(np.diff(t), 1 / FS, atol=0.02)  # no hole, mapped clock

    # the jerk seen on both limbs is one event, named after both
    lines = [json.loads(x) for x in stdout.getvalue().splitlines()]
    jerks = [x for x in lines if x["label"] == "hypnic_jerk"]
    assert len(jerks) == 1, lines
    assert jerks[0]["sensor"] == "wrist+ankle"
    assert abs(jerks[0]["onset"] - JERK_AT) < 0.2
    assert not [x for x in lines if x["sensor"] in ("wrist", "ankle") and "jerk" in x["label"]]
    assert b"wrist+ankle" in file_events["sensor"].tolist()
    # per-sensor state in the status line
    assert "wrist:" in status and "ankle:" in status
    final = session.status_text()
    assert "wrist: stopped 100 Hz" in final and "ankle: stopped 100 Hz" in final
    assert "dropped 0 frames" in final


def test_one_sensor_drops_out_its_gap_is_recorded_the_other_continues(tmp_path: Path) -> None:
    out = tmp_path / "night.h5"
    runner = _runner(_signals(60.0, jerk=False), None)
    session, _ = _session(runner, out, duration=30.0)
    wrist, ankle = runner.sources
    seen: dict[str, object] = {}

    def script() -> None:
        deadline = time.monotonic() + 20.0
        if not wait_samples([wrist, ankle], int(5 * FS)):
            session.request_stop()
            return
        seen["wrist_before"] = wrist.stats.samples
        runner.run_coroutine(runner.emulation.peripherals[1].drop_link()).result(5.0)
        while ankle.stats.reconnects < 1 or ankle.stats.state != "streaming":
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        seen["ankle_after"] = ankle.stats.samples
        time.sleep(0.5)  # 5 simulated s more of both
        session.request_stop()

    th = threading.Thread(target=script)
    th.start()
    session.run()
    th.join()
    assert ankle.stats.reconnects == 1 and wrist.stats.reconnects == 0
    with h5py.File(out, "r") as f:
        wt = f["sensors/wrist/time"][:]
        at = f["sensors/ankle/time"][:]
        wgaps = f["sensors/wrist/gaps"][:]
        agaps = f["sensors/ankle/gaps"][:]
    assert len(wgaps) == 0
    assert len(agaps) == 1 and agaps["reason"][0] == b"disconnected"
    g0, g1 = float(agaps["start"][0]), float(agaps["end"][0])
    assert g1 - g0 > 0.1  # the link was down a while (simulated s)
    # the ankle has nothing inside its gap, samples on both sides
    assert not np.any((at > g0) & (at < g1))
    assert at[0] <= g0 and at[-1] >= g1
    # the wrist went on recording through the ankle's gap, without a hole
    assert np.sum((wt > g0) & (wt < g1)) >= int((g1 - g0) * FS) - 2
    assert np.max(np.diff(wt)) < 1.5 / FS
    assert len(wt) == wrist.stats.samples and len(at) == ankle.stats.samples
