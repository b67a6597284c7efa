"""Two BLE sensors whose first notifications reach the host with different delays.

Regression for a rare failure of ``test_ble_multi.py::test_two_sensors_one_file_nothing_lost_
and_one_whole_body_event`` under CPU load: the host stamped one sensor's first notification
~30 ms (wall) late, 0.3 s of the 10x-emulated clock; its clock mapping is anchored on that
arrival, so all its sample times were 0.3 s late, corrected at only 0.005 s/s. At the jerk
(40 s) the two limbs' onsets were still ~0.19 s apart, beyond ``merge_sensor_tol_s`` (0.1 s),
and the whole-body jerk came out as two one-limb jerks.

No BLE link here (nothing to schedule, so the delay is exact): the notifications our firmware
would send are built with its own encoder and handed to :class:`BleSource` with chosen arrival
times, and the source's blocks go through the recorder's multi-sensor detector.
"""

from __future__ import annotations

import numpy as np

from firmware_bridge.firmware_ble.smsble import BleService
from sms_detect.core.merge import MultiSensorDetector
from sms_detect.devices.ble import BleSource, SmsProtocol
from sms_detect.types import HYPNIC_JERK, SampleBlock
from tests.signals import add_jerk, quiet_night

FS = 100.0
SECONDS = 30.0
JERK_AT = 20.0  # s
LATENCY = 0.002  # s, every notification
FIRST_LATE = 0.3  # s more for the ankle's first one


def _notifications(acc: np.ndarray) -> list[tuple[float, bytes]]:
    """(true host time of the last sample, bytes) of each data notification of ``acc`` (g)."""
    fw = BleService(tick_hz=1_000_000, rate_hz=int(FS), range_g=8)
    fw.mtu = 247
    n = fw.per_notification()
    out = []
    for k0 in range(0, acc.shape[0] - n + 1, n):
        counts = np.round(acc[k0 : k0 + n] / (8 / 32768.0)).astype("<i2")
        tick = round(k0 * 1_000_000 / FS)
        out.append(((k0 + n - 1) / FS, fw.encoder.samples(k0, tick, counts.tobytes(), n)))
    return out


def _source(sensor: str) -> BleSource:
    src = BleSource(sensor, sensor, FS, now=lambda: 0.0, time_origin=0.0)
    src._proto = SmsProtocol(src.stats, FS, 8)  # as after START on a new link
    return src


def _stream() -> tuple[dict[str, np.ndarray], list]:
    """Both sensors' notifications in arrival order through their sources, into the
    recorder's detector; returns each sensor's sample times and the merged events."""
    t, wrist = quiet_night(FS, SECONDS, seed=1, noise_g=0.001)
    _, ankle = quiet_night(FS, SECONDS, seed=2, noise_g=0.001)
    add_jerk(t, wrist, JERK_AT, peak_g=1.0)
    add_jerk(t, ankle, JERK_AT + 0.02, peak_g=1.0, axis=(0.2, 1.0, 0.4))
    arrivals = []
    for sensor, acc in (("wrist", wrist), ("ankle", ankle)):
        prev = -np.inf
        for i, (t_last, data) in enumerate(_notifications(acc)):
            late = FIRST_LATE if sensor == "ankle" and i == 0 else 0.0
            prev = max(prev, t_last + LATENCY + late)  # in order: the next ones queue behind
            arrivals.append((prev, sensor, data))
    arrivals.sort(key=lambda a: a[0])
    sources = {name: _source(name) for name in ("wrist", "ankle")}
    det = MultiSensorDetector({"wrist": FS, "ankle": FS})
    times: dict[str, list[np.ndarray]] = {"wrist": [], "ankle": []}
    events = []

    def on_item(item: object) -> None:
        if isinstance(item, SampleBlock):
            times[item.sensor].append(item.time)
            events.extend(det.push(item.sensor, item.time, item.acc))

    for arrival, sensor, data in arrivals:
        sources[sensor]._emit(on_item, arrival, data)
    events += det.flush()
    return {s: np.concatenate(v) for s, v in times.items()}, events


def test_a_late_first_notification_does_not_split_a_whole_body_jerk() -> None:
    times, events = _stream()
    jerks = [e for e in events if e.label == HYPNIC_JERK]
    assert [e.sensor for e in jerks] == ["wrist+ankle"], jerks
    assert abs(jerks[0].onset - JERK_AT) < 0.1
    n = int(SECONDS * FS)
    for sensor, t in times.items():
        assert t.size == n, sensor  # nothing dropped: times kept increasing
        assert np.all(np.diff(t) > 0.5 / FS), sensor
        err = t - np.arange(n) / FS
        assert np.max(np.abs(err[t >= 5.0])) < 0.02, sensor  # on time soon after the start
    assert times["ankle"][0] - times["wrist"][0] > FIRST_LATE - 0.01  # the delay was there
