"""End-to-end live latency and recorder CPU use, through the emulator and a real pty.

Latency: the emulator (in this process) streams a synthetic limb with a clear jerk every
``--jerk-every`` s at real-time pace into a pseudo-terminal; a real ``sms-detect record
--serial`` subprocess (with ``--early`` and an HDF5 output) reads it. For each jerk, latency =
time its JSON line appeared on the recorder's stdout - time the frame holding the jerk's onset
sample was written to the pty. Reported for the early judgement (``"final": false``) and the
confirmed event (``"final": true``): p50, p95, max.

CPU: the recorder's user+system CPU time (from /proc) over ``--cpu-seconds`` of real-time
streaming at 100 Hz and 1 kHz, after a 5-s warm-up, as % of one core.

BLE (``--ble``): the same through the bumble BLE emulation, in this process: an emulated
sensor running our GATT service streams the synthetic limb at real-time pace; bleak (over
the bumble backend) and the recorder (``LiveSession`` with ``--early``, HDF5 output) receive
it. Latency = time the early JSON line is printed - time the notification holding the jerk's
onset sample left the emulated peripheral. CPU: two emulated sensors at 100 Hz recorded into
one file, split by thread (recorder; BLE thread, which also runs the emulated peripherals).

Usage: ``python benchmarks/latency.py [--jerks 30] [--cpu-seconds 60] [--skip-cpu]
[--ble [--skip-serial]]``.
Prints tables; not a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from firmware_bridge.emulator import Emulator, synthetic_stream

RECORD = [sys.executable, "-m", "sms_detect", "record", "-q"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time (s) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Run:
    """An emulator streaming into a recorder subprocess, with both sides time-stamped."""

    def __init__(self, seconds: float, fs: float, jerk_every: float, extra: list[str]) -> None:
        self.stream = synthetic_stream(seconds, fs, jerk_every, seed=42)
        self.frames: list[tuple[int, int, float]] = []
        self.lines: list[tuple[float, dict]] = []
        self.tmp = Path(tempfile.mkdtemp(prefix="sms-latency-"))
        link = self.tmp / "ttySMS"
        self.emu = Emulator(self.stream, link=link, speed=1.0, on_frame=self._frame)
        self.emu.open()
        self.proc = subprocess.Popen(
            RECORD + ["--serial", str(link), "-o", str(self.tmp / "night.h5"), *extra],
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _frame(self, first: int, n: int, _t: float, wall: float) -> None:
        self.frames.append((first, n, wall))

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), json.loads(line)))

    def start(self) -> None:
        time.sleep(2.0)  # the recorder imports and opens the port
        self.emu.start()

    def stop(self) -> None:
        self.proc.send_signal(2)
        try:
            self.proc.wait(30)
        finally:
            self.proc.kill()
            self.emu.stop()
            self.reader.join(5)


def latency(n_jerks: int, jerk_every: float, fs: float) -> None:
    seconds = 40.0 + n_jerks * jerk_every + 8.0
    print(f"latency: {n_jerks} jerks, one every {jerk_every:g} s, {fs:g} Hz, "
          f"{seconds / 60:.1f} min at real-time pace ...", flush=True)  # fmt: skip
    # The test night is still except for the jerks: past max_quiet_s (10 min) of stillness
    # the detector would call the later ones established sleep (`sleep_burst`). The limit
    # is raised past the run's length: the latency does not depend on it.
    quiet = f"max_quiet_s={seconds + 60:.0f}"
    run = Run(seconds, fs, jerk_every, ["--early", "--param", quiet])
    run.start()
    run.emu.done.wait(seconds + 60)
    time.sleep(6.0)  # confirmations of the last jerk
    run.stop()
    onsets = run.stream.jerk_onsets
    onset_idx = np.round(onsets * fs).astype(int)
    fr = np.array(run.frames)
    sent_at = {}
    for k, i in enumerate(onset_idx):
        j = np.flatnonzero((fr[:, 0] <= i) & (i < fr[:, 0] + fr[:, 1]))
        if j.size:
            sent_at[k] = fr[j[0], 2]
    results = {}
    for final in (False, True):
        evs = [(w, e) for w, e in run.lines if e["final"] is final and e["label"] == "hypnic_jerk"]
        if not evs:
            results[final] = np.array([])
            continue
        ev_on = np.array([e["onset"] for _, e in evs])
        # the recorder's time axis vs stream time: a constant offset; estimate it robustly
        # (the offset that lines up the most events with a jerk within 0.15 s: a vote over
        # every pairwise difference, not a histogram, whose bin edges can split the true
        # offset's votes and let a multiple of the jerk spacing win)
        cand = (ev_on[:, None] - onsets[None, :]).ravel()
        votes = (np.abs(cand[:, None] - cand[None, :]) < 0.15).sum(axis=1)
        off0 = float(np.median(cand[np.abs(cand - cand[np.argmax(votes)]) < 0.15]))
        lat = []
        for (wall, _), on in zip(evs, ev_on, strict=True):
            k = int(np.argmin(np.abs(on - off0 - onsets)))
            if abs(on - off0 - onsets[k]) < 0.3 and k in sent_at:
                lat.append(wall - sent_at[k])
        results[final] = np.array(lat)
    print(f"  jerks sent: {len(sent_at)}")
    det = detector_lag(run.stream, run.emu.n)
    print(f"  detector alone (same frames, no I/O): needs data up to onset + "
          f"p50 {np.percentile(det, 50):.3f} s, p95 {np.percentile(det, 95):.3f} s, "
          f"max {det.max():.3f} s before its early judgement")  # fmt: skip
    print(f"  {'output':<22}{'n':>4}{'p50 s':>9}{'p95 s':>9}{'max s':>9}")
    for final, name in ((False, "early (final=false)"), (True, "confirmed (final=true)")):
        lat = results[final]
        if lat.size:
            p50, p95, mx = np.percentile(lat, 50), np.percentile(lat, 95), lat.max()
            print(f"  {name:<22}{lat.size:>4}{p50:>9.3f}{p95:>9.3f}{mx:>9.3f}")
        else:
            print(f"  {name:<22}{0:>4}{'-':>9}{'-':>9}{'-':>9}")


def detector_lag(stream, n: int) -> np.ndarray:
    """Stream time after each jerk onset at which the detector, fed frame by frame offline,
    gives its early judgement (s): the part of the latency that is the detector's own."""
    from sms_detect.core import StreamingDetector

    det = StreamingDetector(stream.fs)
    lags = []
    for i in range(0, len(stream.time), n):
        det.push(stream.time[i : i + n], stream.acc[i : i + n])
        t_now = stream.time[min(i + n, len(stream.time)) - 1]
        for ev in det.take_provisional():
            k = np.argmin(np.abs(stream.jerk_onsets - ev.onset))
            if abs(stream.jerk_onsets[k] - ev.onset) < 0.3:
                lags.append(t_now - stream.jerk_onsets[k])
    return np.array(lags)


def cpu(fs: float, seconds: float) -> float:
    run = Run(seconds + 10.0, fs, 25.0, [])
    run.start()
    time.sleep(5.0)
    c0, w0 = cpu_seconds(run.proc.pid), time.monotonic()
    time.sleep(seconds)
    c1, w1 = cpu_seconds(run.proc.pid), time.monotonic()
    run.stop()
    return 100.0 * (c1 - c0) / (w1 - w0)


# ----------------------------------------------------------------------------- BLE
def _thread_cpu(native_id: int) -> float:
    """User + system CPU time (s) of one thread of this process, from /proc."""
    stat = Path(f"/proc/self/task/{native_id}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class BleRun:
    """Emulated BLE sensors (bumble) streaming at real-time pace into a LiveSession.

    Everything runs in this process: the emulated peripherals, the virtual controllers and
    the host side (bleak over the bumble backend, decoding, clock mapping) in the BLE
    runner's thread; the recorder (:class:`~sms_detect.record.LiveSession`: detector, HDF5
    writer, JSON lines) in a thread of its own, as ``sms-detect record --ble`` runs it.
    """

    def __init__(self, streams: list, early: bool) -> None:
        import io

        from sms_detect.devices.ble import BleRunner, BleSpec
        from sms_detect.record import LiveSession

        self.streams = streams
        self.tmp = Path(tempfile.mkdtemp(prefix="sms-ble-latency-"))
        names = ["wrist", "ankle"][: len(streams)]
        seconds = min(len(s.time) / s.fs for s in streams)
        self.runner = BleRunner(
            [
                BleSpec(f"demo-{i}", n, s.fs)
                for i, (n, s) in enumerate(zip(names, streams, strict=True))
            ],
            demo=True,
            demo_speed=1.0,
            demo_signals=[s.acc for s in streams],
            demo_seconds=seconds,
        )
        self.lines: list[tuple[float, dict]] = []
        self.sends: list[tuple[int, int, float]] = []
        self.runner.start()
        per = self.runner.emulation.peripherals[0]
        orig = per._send

        async def timed_send(value: bytes) -> None:  # the moment a notification leaves
            _boot, first, n = per.sent[-1]
            self.sends.append((first, n, time.monotonic()))
            await orig(value)

        per._send = timed_send
        self.peripheral = per
        self.session = LiveSession(
            self.runner,
            output=self.tmp / "night.h5",
            early=early,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
            status_every=0.0,
            on_event=lambda obj, wall: self.lines.append((wall, obj)),
            device_wait_s=10.0,
            batch_s=0.1,  # as the CLI's default --batch
        )
        self.thread = threading.Thread(target=self.session.run, name="recorder", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.session.request_stop()
        self.thread.join(30)


def ble_latency(n_jerks: int, jerk_every: float, fs: float) -> float:
    """Print early-alert latency through the BLE emulation; return the run's duration (s)."""
    seconds = 40.0 + n_jerks * jerk_every + 10.0
    print(f"BLE latency: {n_jerks} jerks, one every {jerk_every:g} s, {fs:g} Hz, one emulated "
          f"sensor (our GATT service), {seconds / 60:.1f} min at real-time pace ...",
          flush=True)  # fmt: skip
    t_run = time.monotonic()
    stream = synthetic_stream(seconds, fs, jerk_every, seed=42)
    run = BleRun([stream], early=True)
    run.thread.join(seconds + 120)
    run.stop()
    per = run.peripheral
    offset = per._signal_offset()  # signal index of the peripheral's sample 0
    onsets = stream.jerk_onsets
    k_onset = np.round(onsets * fs).astype(int) - offset
    fr = np.array(run.sends)
    sent_at = {}
    for k, i in enumerate(k_onset):
        j = np.flatnonzero((fr[:, 0] <= i) & (i < fr[:, 0] + fr[:, 1]))
        if j.size:
            sent_at[k] = fr[j[0], 2]
    print(
        f"  jerks sent: {len(sent_at)} of {len(onsets)} (any missing fell before the link was up)"
    )
    det = detector_lag(stream, per._per_notification())
    print(f"  detector alone (same notifications, no I/O): needs data up to onset + "
          f"p50 {np.percentile(det, 50):.3f} s, p95 {np.percentile(det, 95):.3f} s, "
          f"max {det.max():.3f} s before its early judgement")  # fmt: skip
    print(f"  {'output':<22}{'n':>4}{'p50 s':>9}{'p95 s':>9}{'max s':>9}")
    for final, name in ((False, "early (final=false)"), (True, "confirmed (final=true)")):
        lat = []
        done = set()  # one line per jerk: the first
        for wall, e in run.lines:
            if e["final"] is not final or e["label"] != "hypnic_jerk":
                continue
            k = int(np.argmin(np.abs(e["onset"] - onsets)))
            if abs(e["onset"] - onsets[k]) < 0.3 and k in sent_at and k not in done:
                done.add(k)
                lat.append(wall - sent_at[k])
        _row(name, np.array(lat))
    took = time.monotonic() - t_run
    print(f"  (BLE latency run took {took / 60:.1f} min)")
    return took


def _row(name: str, lat: np.ndarray) -> None:
    if lat.size:
        p50, p95, mx = np.percentile(lat, 50), np.percentile(lat, 95), lat.max()
        print(f"  {name:<22}{lat.size:>4}{p50:>9.3f}{p95:>9.3f}{mx:>9.3f}", flush=True)
    else:
        print(f"  {name:<22}{0:>4}{'-':>9}{'-':>9}{'-':>9}", flush=True)


def ble_cpu(seconds: float, fs: float = 100.0) -> None:
    """Print the CPU use of recording two emulated BLE sensors at ``fs`` (real-time pace)."""
    streams = [synthetic_stream(seconds + 30.0, fs, 25.0, seed=s) for s in (1, 2)]
    run = BleRun(streams, early=False)
    time.sleep(5.0)  # connected and streaming
    ids = {"recorder": run.thread.native_id, "ble": run.runner._thread.native_id}
    c0 = {k: _thread_cpu(v) for k, v in ids.items()}
    p0, w0 = cpu_seconds(os.getpid()), time.monotonic()
    time.sleep(seconds)
    c1 = {k: _thread_cpu(v) for k, v in ids.items()}
    p1, w1 = cpu_seconds(os.getpid()), time.monotonic()
    samples = run.runner.stats.samples
    run.stop()
    dt = w1 - w0
    print(f"BLE recorder CPU, two emulated sensors at {fs:g} Hz, {seconds:g} s real time "
          f"(with HDF5 file; {samples} samples received):")  # fmt: skip
    print(f"  recorder thread (detector, merge, HDF5, JSON): "
          f"{100 * (c1['recorder'] - c0['recorder']) / dt:6.2f} % of one core")  # fmt: skip
    print(f"  BLE thread (bleak + bumble host AND the emulated peripherals/controllers): "
          f"{100 * (c1['ble'] - c0['ble']) / dt:6.2f} % of one core")  # fmt: skip
    print(f"  whole process: {100 * (p1 - p0) / dt:6.2f} % of one core", flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jerks", type=int, default=30)
    p.add_argument("--jerk-every", type=float, default=25.0)
    p.add_argument("--rate", type=float, default=100.0)
    p.add_argument("--cpu-seconds", type=float, default=60.0)
    p.add_argument("--skip-latency", action="store_true")
    p.add_argument("--skip-cpu", action="store_true")
    p.add_argument("--ble", action="store_true",
                   help="also the BLE figures (latency through the bumble emulation in real "
                   "time, about 40 + jerks x --ble-jerk-every s; CPU of two sensors)")  # fmt: skip
    p.add_argument("--ble-jerk-every", type=float, default=8.0)
    p.add_argument("--skip-serial", action="store_true", help="only the BLE figures")
    args = p.parse_args()
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    if args.ble:
        if not args.skip_latency:
            ble_latency(args.jerks, args.ble_jerk_every, args.rate)
        if not args.skip_cpu:
            ble_cpu(args.cpu_seconds, args.rate)
    if args.skip_serial:
        return 0
    if not args.skip_latency:
        latency(args.jerks, args.jerk_every, args.rate)
    if not args.skip_cpu:
        print(f"recorder CPU over {args.cpu_seconds:g} s of real-time streaming (with HDF5 file):")
        for fs in (100.0, 1000.0):
            print(f"  {fs:>6g} Hz: {cpu(fs, args.cpu_seconds):6.2f} % of one core", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
