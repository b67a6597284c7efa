"""SerialSource through real pseudo-terminals fed by the emulator (no mocks)."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import numpy as np
import pytest

from firmware_bridge.emulator import Emulator, Stream, synthetic_stream
from sms_detect.devices.serial_source import DeviceInfo, Gap, SerialSource, open_port
from sms_detect.errors import InputError
from sms_detect.types import SampleBlock


def collect(src: SerialSource, emu: Emulator, extra_s: float = 0.5, limit_s: float = 30.0):
    """Poll until the emulator is done (plus ``extra_s``); return blocks, gaps, infos."""
    items: list = []
    t_end = None
    t_limit = time.monotonic() + limit_s
    while time.monotonic() < t_limit:
        items += src.poll(0.05)
        if emu.done.is_set():
            t_end = t_end or time.monotonic() + extra_s
            if time.monotonic() > t_end:
                break
    assert emu.error is None
    blocks = [i for i in items if isinstance(i, SampleBlock)]
    gaps = [i for i in items if isinstance(i, Gap)]
    infos = [i for i in items if isinstance(i, DeviceInfo)]
    return items, blocks, gaps, infos


def started(emu: Emulator, **kw) -> SerialSource:
    """Open the pty and the source first, then start streaming (no frame is missed)."""
    emu.open()
    src = SerialSource(emu.port, **kw)
    src.open()
    emu.start()
    return src


def joined(blocks: list[SampleBlock]) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([b.time for b in blocks]), np.concatenate([b.acc for b in blocks])


def test_clean_stream_all_samples_in_order() -> None:
    stream = synthetic_stream(20.0, 100.0, jerk_every=6.0)
    emu = Emulator(stream, speed=20.0, start_tick=2**32 - 3_000_000)  # wraps at 3 s
    try:
        with started(emu, time_base="device") as src:
            items, blocks, gaps, infos = collect(src, emu)
    finally:
        emu.stop()
    assert isinstance(items[0], DeviceInfo) and items[0].model == "emulator"
    assert gaps == [] and src.stats.crc_errors == 0 and src.stats.lost_frames == 0
    t, acc = joined(blocks)
    assert len(t) == len(stream.time) == src.stats.samples
    assert np.all(np.diff(t) > 0)
    np.testing.assert_allclose(np.diff(t), 0.01, atol=1e-6)  # device clock: exact spacing
    np.testing.assert_allclose(acc, stream.acc, atol=8 / 32768)
    assert src.stats.rate_hz == 100.0 and src.stats.range_g == 8


def test_host_time_base_tracks_the_wall_clock() -> None:
    """At real-time pace, sample times are host times: the newest sample is just behind now."""
    stream = synthetic_stream(3.0, 200.0)
    t0 = time.monotonic()
    emu = Emulator(stream, speed=1.0, drift_ppm=300.0)
    lags = []
    try:
        with started(emu, time_origin=t0) as src:
            deadline = time.monotonic() + 10
            while not emu.done.is_set() and time.monotonic() < deadline:
                for it in src.poll(0.05):
                    if isinstance(it, SampleBlock):
                        lags.append(time.monotonic() - t0 - it.time[-1])
                        assert np.all(np.diff(it.time) > 0)
    finally:
        emu.stop()
    assert len(lags) > 20
    # a sample can show up ahead of now by the first frame's extra latency (the mapping is
    # anchored on its arrival), less 2 % of the time since (ClockMapper's catch-up rate, the
    # serial default): a few ms on an idle machine; 50 ms allows a first frame that a busy
    # machine delayed that much (the median still checks the tracking)
    assert 0 <= np.median(lags) < 0.1 and min(lags) > -0.05


def test_corrupted_and_dropped_frames_become_counted_gaps() -> None:
    rng = np.random.default_rng(7)  # every sample distinct, so it can be identified
    stream = Stream(np.arange(6000) / 100.0, rng.uniform(-2, 2, (6000, 3)), 100.0)
    emu = Emulator(stream, speed=60.0, corrupt_rate=2e-4, drop_rate=0.02, seed=3)
    try:
        with started(emu, time_base="device") as src:
            _, blocks, gaps, _ = collect(src, emu)
    finally:
        emu.stop()
    st = src.stats
    t, acc = joined(blocks)
    assert np.all(np.diff(t) > 0)
    assert st.crc_errors > 0 and st.lost_frames > 0 and gaps
    assert {g.reason for g in gaps} == {"dropped"}
    assert all(g.end > g.start for g in gaps)
    # nothing invented: every received sample is a source sample at its own time
    k = np.round((t - t[0]) * 100).astype(int)
    first = int(np.argmin(np.abs(stream.acc - acc[0]).sum(axis=1)))
    np.testing.assert_allclose(acc, stream.acc[first + k], atol=8 / 32768)
    assert len(t) + st.lost_samples <= len(stream.time)
    assert len(t) + st.lost_samples >= len(stream.time) - 20  # only trailing losses unknown


def test_unplug_replug_records_gap_and_resumes(tmp_path: Path) -> None:
    link = tmp_path / "ttySMS0"
    stream = synthetic_stream(40.0, 100.0)
    emu = Emulator(stream, link=link, speed=20.0, unplug=[(10.0, 1.0)])
    try:
        with started(emu, time_base="device", backoff=(0.05, 0.2)) as src:
            items, blocks, gaps, infos = collect(src, emu)
            assert src.stats.connected
    finally:
        emu.stop()
    assert src.stats.reconnects == 1
    assert [g.reason for g in gaps] == ["disconnected"]
    gap = gaps[0]
    assert 9.0 < gap.start - blocks[0].time[0] < 10.5
    assert gap.end - gap.start >= 1.0  # at least the wall-clock outage
    assert len(infos) == 2 and infos[0].boot_id != infos[1].boot_id  # the board rebooted
    t, _ = joined(blocks)
    assert np.all(np.diff(t) > 0)
    after = t[t >= gap.end]
    assert len(after) > 100 * 15  # resumed and streamed to the end (~29 s of 40 s sent)


def test_no_reconnect_means_one_line_error(tmp_path: Path) -> None:
    link = tmp_path / "ttySMS1"
    emu = Emulator(synthetic_stream(30.0), link=link, speed=20.0, unplug=[(5.0, 5.0)]).start()
    try:
        with SerialSource(str(link), time_base="device", reconnect=False) as src:
            with pytest.raises(InputError, match="disconnected"):
                for _ in range(200):
                    src.poll(0.05)
    finally:
        emu.stop()


def test_bad_port_names(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such serial port") as e:
        open_port(str(tmp_path / "ttyNOPE"))
    assert "\n" not in str(e.value)
    regular = tmp_path / "file.txt"
    regular.write_text("hello")
    with pytest.raises(InputError, match="not a serial port"):
        open_port(str(regular))
    with pytest.raises(InputError, match="cannot open serial port"):
        open_port(str(tmp_path))  # a directory


@contextlib.contextmanager
def unprivileged():
    """Drop the effective uid to nobody when running as root (restored afterwards)."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(65534)
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


def test_permission_denied_is_one_line() -> None:
    master, slave = os.openpty()
    try:
        path = os.ttyname(slave)
        os.chmod(path, 0o600 if os.geteuid() == 0 else 0o000)
        with unprivileged(), pytest.raises(InputError, match="permission denied") as e:
            open_port(path)
        assert "dialout" in str(e.value) and "\n" not in str(e.value)
    finally:
        os.close(slave)
        os.close(master)


def test_emulator_gapped_source_keeps_sample_indices() -> None:
    """A recording with a hole: the emulator skips indices, the source reports the gap."""
    base = synthetic_stream(10.0, 50.0)
    keep = (base.time < 4.0) | (base.time >= 5.0)
    stream = Stream(base.time[keep], base.acc[keep], 50.0)
    emu = Emulator(stream, speed=20.0)
    try:
        with started(emu, time_base="device") as src:
            _, blocks, gaps, _ = collect(src, emu)
    finally:
        emu.stop()
    assert len(gaps) == 1 and gaps[0].reason == "dropped"
    assert gaps[0].end - gaps[0].start == pytest.approx(1.02, abs=1e-6)
    assert src.stats.lost_samples == 50
