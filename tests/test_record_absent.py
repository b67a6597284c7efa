"""Live recording of two BLE sensors while one is away: the other's events keep flowing.

No mocks: ``BleRunner`` drives unmodified bleak over the bumble backend; the two sensors are
emulated peripherals (our firmware's GATT service) on a simulated clock faster than real
time; ``LiveSession`` writes a real HDF5 file. The ankle is switched off for a while
(``reboot`` with a long down time: no advertising, no link).
"""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from sms_detect.core import DetectorConfig
from sms_detect.devices.ble import BleRunner, BleSpec
from sms_detect.record import LiveSession
from tests.signals import add_jerk, quiet_night
from tests.support.ble_helpers import wait_samples

FS = 100.0
SPEED = 10.0  # simulated seconds per real second
SECONDS = 60.0  # simulated span of the demo
#: A lone burst is confirmed once a burst 10 s later has been seen (default: 90 s).
#: A one-limb jerk needs a probability of 1 here, so each wrist jerk below would be a
#: ``limb_jerk`` were the ankle recording: it stays a jerk only through the absence path.
CFG = DetectorConfig().with_overrides({"plm_max_interval_s": 10.0,
                                       "jerk_model_single_limb_p": 1.0})
WRIST_JERKS = (20.0, 35.0, 50.0)  # s; the ankle is off from ~5 s to ~45 s


def _runner() -> BleRunner:
    t, wrist = quiet_night(FS, SECONDS, seed=1, noise_g=0.001)
    _, ankle = quiet_night(FS, SECONDS, seed=2, noise_g=0.001)
    for on in WRIST_JERKS:
        add_jerk(t, wrist, on, peak_g=0.3)  # probability ~0.95-0.98: below the limit
    runner = BleRunner(
        [BleSpec("a", "wrist", FS), BleSpec("b", "ankle", FS)],
        demo=True,
        demo_speed=SPEED,
        demo_signals=[wrist, ankle],
        demo_seconds=SECONDS,
    )
    runner.start()
    return runner


def test_events_of_the_present_sensor_flow_while_the_other_is_down(tmp_path: Path) -> None:
    out = tmp_path / "night.h5"
    runner = _runner()
    wrist, ankle = runner.sources
    printed: list[tuple[dict[str, Any], str, int]] = []

    def on_event(obj: dict[str, Any], _wall: float) -> None:
        printed.append((obj, ankle.stats.state, ankle.stats.samples))

    stdout = io.StringIO()
    session = LiveSession(
        runner,
        output=out,
        config=CFG,
        stdout=stdout,
        stderr=io.StringIO(),
        device_wait_s=5.0,
        duration=30.0,
        on_event=on_event,
    )
    seen: dict[str, Any] = {}

    def script() -> None:
        if not wait_samples([wrist, ankle], int(3 * FS)):
            session.request_stop()
            return
        per = runner.emulation.peripherals[1]
        runner.run_coroutine(per.reboot(down_s=40.0)).result(5.0)  # off for 40 simulated s
        seen["ankle_off_samples"] = ankle.stats.samples

    th = threading.Thread(target=script)
    th.start()
    session.run()
    th.join()
    assert runner.ended  # the whole simulated span was recorded

    with h5py.File(out, "r") as f:
        at = f["sensors/ankle/time"][:]
        agaps = f["sensors/ankle/gaps"][:]
        file_events = f["events"][:]
    assert len(agaps) == 1  # the ankle's outage, with samples on both sides
    g0, g1 = float(agaps["start"][0]), float(agaps["end"][0])
    assert g1 - g0 > 30.0 and at[0] < g0 and at[-1] > g1
    # the session declared the ankle absent from its last sample before the outage
    assert [(s, round(t, 6)) for s, t in session.outages] == [("ankle", round(g0, 6))]

    finals = [(obj, state, n) for obj, state, n in printed if obj["final"]]
    during = [
        obj for obj, state, n in finals if state != "streaming" and n == seen["ankle_off_samples"]
    ]
    # confirmed while the ankle was down (before: held until it came back or the end)
    assert [round(o["onset"]) for o in during if o["sensor"] == "wrist"][:1] == [20]
    (j20,) = [o for o, _, _ in finals if abs(o["onset"] - 20.0) < 0.2]
    # the ankle was not recording: judged as in a one-sensor night, not a limb_jerk
    assert j20["label"] == "hypnic_jerk" and j20["sensor"] == "wrist"
    # ... while the same jerk with the ankle back (50 s) needs the one-limb limit
    (j50,) = [o for o, _, _ in finals if abs(o["onset"] - 50.0) < 0.2]
    assert j50["label"] == "limb_jerk" and j50["sensor"] == "wrist"
    # every jerk once; the JSON lines, the events list and the file agree
    lines = [json.loads(x) for x in stdout.getvalue().splitlines()]
    assert [o for o, _, _ in finals] == lines
    for on in WRIST_JERKS:
        assert len([o for o in lines if abs(o["onset"] - on) < 0.2]) == 1, (on, lines)
    assert [o["onset"] for o in lines] == sorted(o["onset"] for o in lines)
    assert len(file_events) == len(lines)
    np.testing.assert_allclose(file_events["onset"], [o["onset"] for o in lines], atol=1e-6)
