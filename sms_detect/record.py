"""The live recording session: source -> detector -> HDF5 writer -> JSON lines + status line.

:class:`LiveSession` pulls items from a source (:class:`~sms_detect.devices.serial_source.
SerialSource`, :class:`~sms_detect.devices.stdin_source.LineSource`, ...: anything with
``poll(timeout) -> list[SampleBlock | Gap | DeviceInfo]``, ``stats`` and ``close()``), feeds
the samples to a :class:`~sms_detect.core.StreamingDetector`, appends samples, gaps and
events to a crash-safe :class:`~sms_detect.io.live_writer.LiveNightWriter` (optional), prints
each event as one JSON line on stdout (flushed at once) and a status line on stderr.

A source may stream several sensors at once (e.g. :class:`~sms_detect.devices.ble.BleRunner`):
it then has ``sensors`` (names), ``rate_of(name)`` (Hz) and optionally ``range_of(name)`` (g)
and ``status()`` (per-sensor text for the status line); its items carry their sensor name
(``SampleBlock.sensor``, ``Gap.sensor``, ``DeviceInfo.sensor``). The session then runs a
:class:`~sms_detect.core.MultiSensorDetector` (a jerk seen on several limbs is one
``wrist+ankle`` event) and writes one ``/sensors/<name>`` group per sensor into one file.
When one sensor's link is lost (its source reports the link down, or its data falls more than
``absent_after_s`` behind the others'), it is declared absent from its last sample on
(:meth:`~sms_detect.core.MultiSensorDetector.set_absent`): the other sensors' confirmed
events keep coming during the outage instead of waiting for it; its next samples make it
present again.
SIGINT and SIGTERM end the session cleanly: pending events are decided and written, the file
is closed and compacted.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TextIO

import numpy as np

from sms_detect import __version__
from sms_detect.core import DetectorConfig, StreamingDetector, detector_id
from sms_detect.core.merge import MultiSensorDetector
from sms_detect.devices.serial_source import DeviceInfo, Gap, SourceStats
from sms_detect.errors import InputError
from sms_detect.types import HYPNIC_JERK, Event, SampleBlock


class Source(Protocol):
    """What a live session reads from."""

    stats: SourceStats

    def poll(self, timeout: float = 0.1) -> list[Any]: ...

    def close(self) -> None: ...


class MultiSource(Source, Protocol):
    """A source of several sensors at once (items carry their sensor's name).

    Optionally ``link_up(sensor) -> bool`` (whether the sensor's link streams now); a
    source without it but with ``sources`` (objects with ``sensor`` and ``stats.state``,
    as :class:`~sms_detect.devices.ble.BleRunner`) is asked through those.
    """

    sensors: list[str]

    def rate_of(self, sensor: str) -> float: ...


#: Seconds between flushes of the live file (uncompressed SWMR, so cheap).
LIVE_FLUSH_S = 0.5
#: Default lag (s of stream time) behind the other sensors after which a silent sensor of a
#: multi-sensor session is declared absent even while its link looks up.
ABSENT_AFTER_S = 5.0


class LiveSession:
    """Run a live recording until the source ends, a stop is requested or ``duration`` passes.

    Parameters
    ----------
    source : Source or MultiSource
        Where samples come from.
    output : Path, optional
        HDF5 night file to write (crash-safe while recording, compacted on close); None
        records nothing to disk.
    sensor : str
        Sensor name (events and ``/sensors/<name>``) of a single-sensor source; a
        multi-sensor source names its sensors itself (``source.sensors``).
    config : DetectorConfig, optional
        Detector parameters.
    start_time : datetime, optional
        UTC wall time of time 0 of the source (``start_time`` attribute, ``onset_utc``).
    early : bool
        Also print each burst judged a hypnic jerk as soon as it is judged (``"final":
        false``), before the confirmed event (``"final": true``) that may come seconds later.
    stdout, stderr : text streams
        Where JSON lines and status go.
    status_every : float
        Seconds between status updates (0 = no status line).
    overwrite : bool
        Replace an existing output file.
    duration : float, optional
        Stop after this many seconds of wall time.
    on_event : callable, optional
        Called with each printed JSON object (dict) and the wall time it was printed.
    device_wait_s : float
        Wait up to this long (s, wall time) after the first samples for the board's HELLO
        before creating the file, so its identity lands in the sensor's attributes; samples
        are held in memory meanwhile (a crash in that first moment loses them). With several
        sensors: wait up to this long after the first samples for every sensor's first
        samples and identity (a sensor still missing then gets its nominal attributes).
    batch_s : float
        Handle input at most this often (s): data that arrives meanwhile is processed in one
        go. Fewer, larger blocks cost less CPU; each event may come up to this much later.
    absent_after_s : float
        Several sensors: a sensor whose newest sample is more than this many seconds (stream
        time) older than the newest of another sensor is declared absent (so are sensors
        whose source reports their link down); 0 = only on a reported link loss.
    """

    def __init__(
        self,
        source: Source,
        *,
        output: Path | None = None,
        sensor: str = "wrist",
        config: DetectorConfig | None = None,
        start_time: datetime | None = None,
        early: bool = False,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        status_every: float = 1.0,
        overwrite: bool = False,
        duration: float | None = None,
        on_event: Callable[[dict[str, Any], float], None] | None = None,
        device_wait_s: float = 0.0,
        batch_s: float = 0.0,
        absent_after_s: float = ABSENT_AFTER_S,
    ) -> None:
        self.source = source
        self.output = output
        self.sensors: list[str] = list(getattr(source, "sensors", None) or [sensor])
        self.sensor = self.sensors[0]
        #: Several sensors: items are routed by their sensor name, events merged across limbs.
        self.multi = len(self.sensors) > 1
        self.config = config or DetectorConfig()
        self.start_time = start_time
        self.early = early
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.status_every = status_every
        self.overwrite = overwrite
        self.duration = duration
        self.on_event = on_event
        self.detector: StreamingDetector | MultiSensorDetector | None = None
        self.writer: Any = None
        self.device: DeviceInfo | None = None
        self.devices: dict[str, DeviceInfo] = {}
        self._started: set[str] = set()  # sensors whose first samples have arrived
        self.events: list[Event] = []
        self.n_jerks = 0
        self.n_early = 0
        self.gaps: list[Gap] = []
        self.device_wait_s = device_wait_s
        self.batch_s = batch_s
        self.absent_after_s = absent_after_s
        self._last_t: dict[str, float] = {}  # newest sample time (s) of each sensor
        self._first_t: dict[str, float] = {}  # first sample time (s) of each sensor
        self._fresh: set[str] = set()  # sensors with samples since the last link check
        #: Outages of the multi-sensor session: (sensor, since s), in the order declared.
        self.outages: list[tuple[str, float]] = []
        self._held: list[tuple[str, Any]] = []  # writer calls waiting for the file
        self._first_block_at: float | None = None
        self._stop = False
        self._old_handlers: dict[int, Any] = {}
        self._last_status = 0.0
        self._tty = hasattr(self.stderr, "isatty") and self.stderr.isatty()
        self._status_width = 0
        if output is not None and output.exists() and not overwrite:
            raise InputError(f"{output}: already exists (use --overwrite to replace it)")

    # ------------------------------------------------------------------ control
    def request_stop(self, *_: object) -> None:
        """Ask the loop to finish (safe from a signal handler)."""
        self._stop = True

    def install_signal_handlers(self) -> None:
        """SIGINT and SIGTERM end the session cleanly (main thread only; restored at the end)."""
        self._old_handlers = {
            sig: signal.signal(sig, self.request_stop) for sig in (signal.SIGINT, signal.SIGTERM)
        }

    # ------------------------------------------------------------------ loop
    def run(self) -> int:
        """Record until the end; returns the number of confirmed events."""
        t_start = last = time.monotonic()
        try:
            while not self._stop:
                now = time.monotonic()
                if self.duration is not None and now - t_start >= self.duration:
                    break
                if self.batch_s > 0 and now - last < self.batch_s:
                    time.sleep(self.batch_s - (now - last))
                last = time.monotonic()
                for item in self.source.poll(0.1):
                    self._handle(item)
                self._check_links()
                if getattr(self.source, "ended", False):
                    break
                self._status()
        except BaseException:
            self._finish(aborted=True)
            raise
        self._finish()
        return len(self.events)

    def _sensor_of(self, item: SampleBlock | Gap | DeviceInfo) -> str | None:
        """Which sensor an item belongs to (a single-sensor session takes everything)."""
        if not self.multi:
            return self.sensor
        name = getattr(item, "sensor", None)
        if name is None and isinstance(item, DeviceInfo):
            return None  # an identity without a sensor name cannot be placed
        if name not in self.sensors:
            known = ", ".join(self.sensors)
            raise InputError(f"data from unknown sensor {name!r} (known: {known})")
        return name

    def _handle(self, item: SampleBlock | Gap | DeviceInfo) -> None:
        sensor = self._sensor_of(item)
        if sensor is None:
            return
        if isinstance(item, DeviceInfo):
            self.devices[sensor] = item
            if sensor == self.sensor:
                self.device = item
            self._maybe_open_file()
            return
        if isinstance(item, Gap):
            self.gaps.append(item)
            self._write("gap", (sensor, item.start, item.end, item.reason))
            return
        if len(item) == 0:
            return
        if self.detector is None:
            self._begin()
        assert self.detector is not None
        if sensor not in self._started:
            self._first_samples(sensor)
        self._write("samples", (sensor, item.time, item.acc))
        self._last_t[sensor] = float(item.time[-1])
        self._first_t.setdefault(sensor, float(item.time[0]))
        self._fresh.add(sensor)
        self._maybe_open_file()
        try:
            if isinstance(self.detector, MultiSensorDetector):
                events = self.detector.push(sensor, item.time, item.acc)
            else:
                events = self.detector.push(item.time, item.acc)
        except ValueError as exc:
            raise InputError(f"{sensor}: {exc}") from None
        self._print_early()
        self._emit(events)

    def _print_early(self) -> None:
        """With ``early``: print each new burst first judged a hypnic jerk (``final: false``)."""
        det = self.detector
        if not self.early or det is None:
            return
        new = det.take_provisional()
        for ev in sorted(new, key=lambda e: e.onset):
            if ev.label == HYPNIC_JERK:
                self.n_early += 1
                self._print(ev, final=False)

    # ------------------------------------------------------------------ lost sensors
    def _link_down(self, sensor: str) -> bool | None:
        """Whether the source reports ``sensor``'s link as down (None: it cannot tell)."""
        link_up = getattr(self.source, "link_up", None)
        if callable(link_up):
            return not link_up(sensor)
        for src in getattr(self.source, "sources", None) or []:
            if getattr(src, "sensor", None) == sensor:
                state = getattr(getattr(src, "stats", None), "state", None)
                return None if not isinstance(state, str) else state != "streaming"
        return None

    def _check_links(self) -> None:
        """Declare absent the sensors whose link is lost, so the others' events flow on.

        A sensor whose samples came in since the last check is not lost (its link state may
        lag behind its first samples after a reconnection).
        """
        det = self.detector
        fresh, self._fresh = self._fresh, set()
        if not isinstance(det, MultiSensorDetector) or not self._last_t:
            return
        newest = max(self._last_t.values())
        first = self._first_block_at or time.monotonic()
        waited = time.monotonic() - first >= self.device_wait_s
        for sensor in self.sensors:
            if sensor in det.absent or sensor in fresh:
                continue
            last = self._last_t.get(sensor)
            if last is None:  # not started yet: absent once the wait for it is over
                late = newest - min(self._first_t.values()) > self.absent_after_s > 0
                down = waited and (self._link_down(sensor) is True or late)
                since = -math.inf
            else:
                lag = newest - last
                down = self._link_down(sensor) is True or (
                    self.absent_after_s > 0 and lag > self.absent_after_s
                )
                since = last
            if down:
                self.outages.append((sensor, since))
                events = det.set_absent(sensor, since)
                self._print_early()
                self._emit(events)

    def _detectors(self) -> list[StreamingDetector]:
        det = self.detector
        if det is None:
            return []
        if isinstance(det, MultiSensorDetector):
            return list(det.detectors.values())
        return [det]

    def _rate(self, sensor: str) -> float:
        """Sample rate (Hz) of ``sensor``, from the source."""
        if self.multi:
            return float(self.source.rate_of(sensor))  # type: ignore[attr-defined]
        return float(self.source.stats.rate_hz)

    def _begin(self) -> None:
        """First samples: the rate is known, create the detector."""
        if not self.multi:
            fs = self._rate(self.sensor)
            if not math.isfinite(fs) or fs <= 0:
                raise InputError("sample rate unknown: give --rate")
            self.detector = StreamingDetector(fs, self.config, sensor=self.sensor)
        else:
            rates = {name: self._rate(name) for name in self.sensors}
            bad = [n for n, fs in rates.items() if not math.isfinite(fs) or fs <= 0]
            if bad:
                raise InputError(f"sample rate unknown for {', '.join(bad)}")
            self.detector = MultiSensorDetector(rates, self.config)
        self._first_block_at = time.monotonic()

    def _first_samples(self, sensor: str) -> None:
        """A sensor's first samples: its rate is now certain (e.g. a Polar picked another)."""
        self._started.add(sensor)
        det = self.detector
        if not isinstance(det, MultiSensorDetector):
            return
        fs = self._rate(sensor)
        old = det.detectors[sensor]
        if old.n_samples == 0 and math.isfinite(fs) and fs > 0 and fs != old.fs:
            det.detectors[sensor] = StreamingDetector(fs, self.config, sensor=sensor)

    def _write(self, kind: str, args: Any) -> None:
        """Send one append to the writer, or hold it until the file exists."""
        if self.writer is None:
            if self.output is not None:
                self._held.append((kind, args))
            return
        if kind == "samples":
            self.writer.append_samples(*args)
        elif kind == "gap":
            self.writer.append_gap(*args)
        else:
            self.writer.append_events(args)

    def _maybe_open_file(self, force: bool = False) -> None:
        if self.output is None or self.writer is not None or self.detector is None:
            return
        waited = time.monotonic() - (self._first_block_at or 0.0)
        ready = all(n in self.devices and (n in self._started or not self.multi)
                    for n in self.sensors)  # fmt: skip
        if not ready and waited < self.device_wait_s and not force:
            return
        self._open_file()
        held, self._held = self._held, []
        for kind, args in held:
            self._write(kind, args)
        self.writer.flush()  # what was held in memory goes to disk at once

    def _open_file(self) -> None:
        """Create the crash-safe night file with each sensor's attributes."""
        from sms_detect.io.live_writer import LiveNightWriter

        assert self.detector is not None and self.output is not None
        rates = {d.sensor: d.fs for d in self._detectors()}
        sensors: dict[str, dict[str, Any]] = {}
        for name in self.sensors:
            attrs: dict[str, Any] = {"location": name, "nominal_rate_hz": rates[name], "units": "g"}
            if self.multi and hasattr(self.source, "range_of"):
                attrs["range_g"] = float(self.source.range_of(name))
            elif self.source.stats.range_g:
                attrs["range_g"] = float(self.source.stats.range_g)
            dev = self.devices.get(name)
            if dev is not None:
                attrs["device"] = f"{dev.model} ({dev.imu}, {dev.firmware})"
                attrs["device_id"] = dev.device_id
            if self.start_time is not None:
                attrs["start_time"] = self.start_time.isoformat().replace("+00:00", "Z")
            sensors[name] = attrs
        self.writer = LiveNightWriter(
            self.output,
            sensors,
            detector=detector_id(),
            params=self.config.to_dict(),
            extra_attrs={"software": f"sms-detect {__version__}"},
            overwrite=self.overwrite,
            # twice a second: with up to a few hundred ms of read and batch lag on a loaded
            # machine, everything received more than 1 s before a crash is still on disk
            flush_interval=LIVE_FLUSH_S,
        )

    def _emit(self, events: list[Event]) -> None:
        if not events:
            return
        self._write("events", events)
        for ev in events:
            self.events.append(ev)
            if ev.label == HYPNIC_JERK:
                self.n_jerks += 1
            self._print(ev, final=True)

    def _print(self, ev: Event, final: bool) -> None:
        obj: dict[str, Any] = ev.to_dict()
        for k, v in obj.items():
            if isinstance(v, float):
                obj[k] = round(v, 6) if math.isfinite(v) else None
        obj["final"] = final
        if self.start_time is not None:
            t = self.start_time + timedelta(seconds=ev.onset)
            obj["onset_utc"] = t.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        line = json.dumps(obj, separators=(", ", ": "))
        self._clear_status()
        self.stdout.write(line + "\n")
        self.stdout.flush()
        if self.on_event is not None:
            self.on_event(obj, time.monotonic())

    def _finish(self, aborted: bool = False) -> None:
        """Decide pending events, close the source and the file.

        After an error the file keeps what was recorded but is marked
        ``recording_state = "aborted"`` (it must not look like a complete night).
        """
        closed = False
        try:
            drain = getattr(self.source, "drain", None)
            if not aborted and callable(drain):
                # a source that can hand out what arrived after the last poll: stop it first,
                # then record the rest, so nothing received is left out of the file
                closed = True
                self.source.close()
                for item in drain():
                    self._handle(item)
            if self.detector is not None and not aborted:
                try:
                    self._emit(self.detector.flush())
                except ValueError as exc:
                    raise InputError(f"{'+'.join(self.sensors)}: {exc}") from None
        finally:
            try:
                if not closed:
                    self.source.close()
            finally:
                self._maybe_open_file(force=True)
                if self.writer is not None:
                    if aborted:
                        from sms_detect.io.live_writer import recover

                        self.writer.close(compact=False)
                        recover(self.output, self.output, state="aborted")
                    else:
                        self.writer.close()
                self._status(force=True, final=True)
                for sig, handler in self._old_handlers.items():
                    signal.signal(sig, handler)

    # ------------------------------------------------------------------ status
    def status_text(self) -> str:
        """One line: connection, rate, counts of lost frames, CRC errors and events.

        A source with a ``status()`` method (several sensors, BLE) gives its own per-sensor
        part (state, rate, RSSI, dropped frames); the session adds gaps and events.
        """
        st = self.source.stats
        per_sensor = getattr(self.source, "status", None)
        if callable(per_sensor):
            parts = [
                per_sensor(),
                f"{st.samples} samples",
                f"gaps {len(self.gaps)}",
                f"events {len(self.events)} ({self.n_jerks} jerks)",
            ]
            det = self.detector
            if isinstance(det, MultiSensorDetector) and det.absent:
                parts.insert(1, f"absent {', '.join(det.absent)}")
            return "record: " + " | ".join(parts)
        parts = [
            "connected" if st.connected else "DISCONNECTED",
            f"{st.rate_hz:g} Hz" if np.isfinite(st.rate_hz) else "rate ?",
            f"{st.samples} samples",
            f"lost {st.lost_frames} frames",
            f"CRC errors {st.crc_errors}",
            f"gaps {len(self.gaps)}",
            f"events {len(self.events)} ({self.n_jerks} jerks)",
        ]
        if st.reconnects:
            parts.append(f"reconnects {st.reconnects}")
        if st.battery_mv:
            parts.append(f"battery {st.battery_mv / 1000:.2f} V")
        return "record: " + " | ".join(parts)

    def _clear_status(self) -> None:
        if self._tty and self._status_width:
            self.stderr.write("\r" + " " * self._status_width + "\r")
            self.stderr.flush()

    def _status(self, force: bool = False, final: bool = False) -> None:
        if not self.status_every:
            return
        now = time.monotonic()
        interval = self.status_every if self._tty else max(self.status_every, 10.0)
        if not force and now - self._last_status < interval:
            return
        self._last_status = now
        text = self.status_text()
        if self._tty:
            self.stderr.write("\r" + text.ljust(self._status_width) + ("\n" if final else ""))
            self._status_width = 0 if final else len(text)
        else:
            self.stderr.write(text + "\n")
        self.stderr.flush()


def utc_now() -> datetime:
    """Current wall time, UTC."""
    return datetime.now(UTC)
