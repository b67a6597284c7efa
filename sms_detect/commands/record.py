"""``sms-detect record``: live detection from a serial board, BLE sensors, stdin or a demo."""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from sms_detect.commands.params import add_param_options, config_from_args
from sms_detect.errors import InputError

_DATA = Path(__file__).resolve().parents[2] / "data"
#: The bundled sample night streamed by ``--demo`` (a short synthetic signal if absent).
DEMO_NIGHT = _DATA / "demo_night.csv.gz"
#: Wrist and ankle of one night (one time base), streamed by ``--demo --ble`` with two sensors.
DEMO_TWO_SENSORS = (
    _DATA / "sample_two_sensor.wrist.csv.gz",
    _DATA / "sample_two_sensor.ankle.csv.gz",
)
#: Names of BLE sensors given without --sensor, in order.
DEFAULT_SENSORS = ("wrist", "ankle")


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``record`` subcommand."""
    p = sub.add_parser(
        "record",
        help="record live: detect jerks as they happen (serial board, BLE sensors, stdin CSV "
        "or --demo)",
        description="Record live from a sensor board speaking the sms-detect wire protocol "
        "(firmware_bridge/PROTOCOL.md) on a serial port, from one or more Bluetooth LE sensors "
        "at once (--ble; ours, Polar, Movesense), from CSV lines time,x,y,z on standard input, "
        "or from the built-in emulators (--demo, --demo --ble). Every confirmed event is "
        "printed as one JSON line on stdout; a status line goes to stderr. With -o the raw "
        "samples, gaps and events are written crash-safely to an HDF5 night file (one "
        "/sensors/<name> group per sensor). Ctrl-C (or SIGTERM) ends the recording cleanly.",
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument("--serial", metavar="PORT", help="serial port, e.g. /dev/ttyACM0")
    src.add_argument(
        "--source",
        choices=["stdin"],
        help="'stdin': read CSV lines time,x,y,z (s, g; header optional)",
    )
    src.add_argument("--demo", action="store_true",
                     help="stream the bundled sample night through the emulator on a "
                     "pseudo-terminal and record it; with --ble through emulated BLE "
                     "sensors")  # fmt: skip
    p.add_argument("--ble", action="append", nargs="?", const="", metavar="NAME|ADDRESS",
                   help="a BLE sensor (advertised name or address; see 'sms-detect scan'); "
                   "repeat it for several sensors at once; --demo --ble: no value")  # fmt: skip
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        help="HDF5 night file to write (default: none, JSON lines only)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("--sensor", action="append",
                   help="sensor name (default: wrist); with --ble repeat it, one per sensor in "
                   "the same order (default: wrist, then ankle)")  # fmt: skip
    p.add_argument("--rate", type=float,
                   help="stdin: sample rate in Hz (default: inferred); BLE: rate to ask the "
                   "sensors for (default 100; a Polar takes the nearest it offers)")  # fmt: skip
    p.add_argument("--adapter", metavar="NAME",
                   help="BLE: Bluetooth adapter to use, e.g. hci1 (Linux; default: the first "
                   "powered one)")  # fmt: skip
    p.add_argument("--range", type=int, default=8, dest="range_g", metavar="G",
                   help="BLE: full-scale range to ask for, +-G g (default 8)")  # fmt: skip
    p.add_argument("--baudrate", type=int, default=921600, help="serial: line speed (baud)")
    p.add_argument("--time-base", choices=["host", "device"], default=None,
                   help="serial: sample times on the host clock, drift-corrected (default), "
                   "or the board's clock")  # fmt: skip
    p.add_argument(
        "--no-reconnect",
        action="store_true",
        help="serial: stop with an error when the port disappears",
    )
    p.add_argument(
        "--speed", type=float, default=10.0, help="--demo: replay speed vs real time (default 10)"
    )
    p.add_argument("--early", action="store_true",
                   help="also print each hypnic jerk as soon as it is judged (\"final\": false), "
                   "before its confirmation")  # fmt: skip
    p.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    p.add_argument("--batch", type=float, default=0.1, metavar="S",
                   help="handle input at most every S seconds (default 0.1; 0 = at once; "
                   "larger saves CPU, delays events by up to S)")  # fmt: skip
    p.add_argument("--absent-after", type=float, default=None, metavar="S",
                   help="several sensors: declare a sensor absent once its newest sample is S "
                   "seconds behind another's (default 5; 0 = only when its link is "
                   "reported down); the others' events then flow without it")  # fmt: skip
    p.add_argument("-q", "--quiet", action="store_true", help="no status line on stderr")
    add_param_options(p)
    return p


class _DemoSource:
    """A SerialSource reading the emulator; ends when the emulator has sent everything."""

    def __init__(self, emu: Any, inner: Any) -> None:
        self.emu = emu
        self.inner = inner
        self.stats = inner.stats
        self.ended = False
        self._idle_since: float | None = None

    def poll(self, timeout: float = 0.1) -> list[Any]:
        items = self.inner.poll(timeout)
        if self.emu.error is not None:
            raise InputError(f"emulator failed: {self.emu.error}")
        if items or not self.emu.done.is_set():
            self._idle_since = None
        elif self._idle_since is None:
            self._idle_since = time.monotonic()
        elif time.monotonic() - self._idle_since > 0.5:
            self.ended = True
        return items

    def close(self) -> None:
        self.inner.close()
        self.emu.stop()


def _demo_source(args: argparse.Namespace, t0: float, sensor: str) -> _DemoSource:
    from firmware_bridge.emulator import Emulator, load_source, synthetic_stream
    from sms_detect.devices.serial_source import SerialSource

    if args.speed <= 0:
        raise InputError("--speed must be positive")
    if DEMO_NIGHT.exists():
        stream = load_source(str(DEMO_NIGHT))
    else:
        print(f"record: {DEMO_NIGHT.name} not found, streaming a short synthetic signal",
              file=sys.stderr)  # fmt: skip
        stream = synthetic_stream(300.0, 100.0)
    link = Path(tempfile.mkdtemp(prefix="sms-demo-")) / "ttySMS"
    emu = Emulator(stream, link=link, speed=args.speed)
    emu.open()
    base = args.time_base or ("host" if args.speed == 1 else "device")
    inner = SerialSource(
        emu.port, sensor=sensor, time_origin=t0, time_base=base, baudrate=args.baudrate
    )
    inner.open()
    emu.start()
    print(f"record: demo: {stream.name} at {args.speed:g}x on {emu.slave_path}", file=sys.stderr)
    return _DemoSource(emu, inner)


def _sensor_names(args: argparse.Namespace, n: int) -> list[str]:
    """Names of ``n`` sensors from the repeated ``--sensor`` (default wrist, ankle)."""
    names = list(args.sensor or [])
    if not names:
        if n > len(DEFAULT_SENSORS):
            raise InputError(f"{n} BLE sensors: name each with --sensor (one per --ble)")
        return list(DEFAULT_SENSORS[:n])
    if len(names) != n:
        raise InputError(f"{n} sensor(s) but {len(names)} --sensor name(s): give one per sensor")
    if len(set(names)) != n:
        raise InputError(f"sensor names must differ: {', '.join(names)}")
    return names


def _uniform(stream: Any, t0: float, fs: float) -> np.ndarray:
    """A stream's samples (g) on a gap-free grid from ``t0`` (s) at ``fs`` (Hz); a hole holds
    the sample before it."""
    t = np.asarray(stream.time, dtype=np.float64)
    grid = t0 + np.arange(int((t[-1] - t0) * fs) + 1) / fs
    idx = np.clip(np.searchsorted(t, grid + 0.5 / fs) - 1, 0, len(t) - 1)
    return np.asarray(stream.acc, dtype=np.float64)[idx]


def _ble_demo_signals(names: list[str]) -> tuple[list[np.ndarray], float, str]:
    """Signals (g, on one time base), their rate (Hz) and a description for ``--demo --ble``."""
    from firmware_bridge.emulator import load_source, synthetic_stream

    if len(names) > 2:
        raise InputError("--demo --ble emulates at most two sensors")
    files = [DEMO_NIGHT] if len(names) == 1 else list(DEMO_TWO_SENSORS)
    if all(f.exists() for f in files):
        streams = [load_source(str(f)) for f in files]
    else:
        print("record: bundled sample nights not found, streaming a synthetic signal",
              file=sys.stderr)  # fmt: skip
        base = synthetic_stream(300.0, 100.0)
        streams = [base] * len(names)
    fs = float(round(streams[0].fs))
    if any(abs(s.fs - fs) > 0.01 * fs for s in streams):
        raise InputError("demo sensors differ in rate")
    t0 = min(float(s.time[0]) for s in streams)
    sigs = [_uniform(s, t0, fs) for s in streams]
    n = min(len(x) for x in sigs)
    what = " + ".join(Path(s.name).name for s in streams)
    return [x[:n] for x in sigs], fs, what


def _ble_source(args: argparse.Namespace, t0: float) -> Any:
    """A started :class:`~sms_detect.devices.ble.BleRunner` for ``--ble`` (or ``--demo --ble``)."""
    from sms_detect.devices.ble import BleRunner, BleSpec

    targets = list(args.ble)
    if args.demo:
        if any(targets):
            raise InputError("--demo --ble takes no sensor address (the sensors are emulated)")
        if args.speed <= 0:
            raise InputError("--speed must be positive")
        names = _sensor_names(args, len(args.sensor or []) or len(targets))
        sigs, fs, what = _ble_demo_signals(names)
        specs = [BleSpec(f"demo-{i}", name, fs, args.range_g) for i, name in enumerate(names)]
        runner = BleRunner(
            specs,
            demo=True,
            demo_speed=args.speed,
            demo_signals=list(sigs),
            demo_seconds=len(sigs[0]) / fs,
        )
        print(f"record: demo: {what} at {args.speed:g}x through emulated BLE sensors "
              f"({', '.join(names)})", file=sys.stderr)  # fmt: skip
    else:
        if not all(targets):
            raise InputError("--ble needs a sensor name or address (see 'sms-detect scan')")
        names = _sensor_names(args, len(targets))
        rate = 100.0 if args.rate is None else args.rate
        if rate <= 0:
            raise InputError("--rate must be positive")
        specs = [
            BleSpec(t, name, rate, args.range_g, args.adapter)
            for t, name in zip(targets, names, strict=True)
        ]
        runner = BleRunner(specs, time_origin=t0)
    runner.start()
    return runner


def run(args: argparse.Namespace) -> int:
    """Run ``record``; returns the exit status."""
    from sms_detect.record import ABSENT_AFTER_S, LiveSession, utc_now

    if args.ble is not None:
        if args.serial or args.source:
            raise InputError("--ble cannot be combined with --serial or --source")
    elif not (args.serial or args.source or args.demo):
        raise InputError(
            "give a sensor: --serial PORT, --ble NAME|ADDRESS, --source stdin or --demo"
        )
    elif args.sensor and len(args.sensor) > 1:
        raise InputError("several --sensor names need several sensors (--ble)")
    sensor = args.sensor[0] if args.sensor else "wrist"
    absent_after = ABSENT_AFTER_S if args.absent_after is None else args.absent_after
    if not absent_after >= 0:  # also NaN
        raise InputError(f"--absent-after must be >= 0 s, got {args.absent_after}")
    config = config_from_args(args)
    if args.output is not None and args.output.exists() and not args.overwrite:
        raise InputError(f"{args.output}: already exists (use --overwrite to replace it)")
    t0 = time.monotonic()
    start = utc_now()
    source: Any
    if args.ble is not None:
        source = _ble_source(args, t0)
        if args.demo and args.speed != 1:
            start = None  # the simulation's clock, not wall time
    elif args.serial:
        from sms_detect.devices.serial_source import SerialSource

        source = SerialSource(
            args.serial,
            sensor=sensor,
            baudrate=args.baudrate,
            time_origin=t0,
            time_base=args.time_base or "host",
            reconnect=not args.no_reconnect,
        )
        source.open()
        if (args.time_base or "host") == "device":
            start = None
    elif args.source == "stdin":
        from sms_detect.devices.stdin_source import LineSource

        source = LineSource(sys.stdin.fileno(), sensor=sensor, rate_hz=args.rate)
        start = None  # the input's own time base
    else:
        source = _demo_source(args, t0, sensor)
        if source.inner.time_base == "device":
            start = None
    try:
        session = LiveSession(
            source,
            output=args.output,
            sensor=sensor,
            config=config,
            start_time=start,
            early=args.early,
            status_every=0.0 if args.quiet else 1.0,
            overwrite=args.overwrite,
            duration=args.duration,
            device_wait_s=0.0 if args.source == "stdin" else (10.0 if args.ble else 2.5),
            batch_s=max(0.0, args.batch),
            absent_after_s=absent_after,
        )
    except BaseException:
        source.close()
        raise
    if threading.current_thread() is threading.main_thread():
        session.install_signal_handlers()
    session.run()
    return 0
