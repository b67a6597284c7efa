"""``sms-detect record``: live detection from a serial sensor board, standard input or a demo."""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sms_detect.commands.params import add_param_options, config_from_args
from sms_detect.errors import InputError

#: The bundled sample night streamed by ``--demo`` (a short synthetic signal if absent).
DEMO_NIGHT = Path(__file__).resolve().parents[2] / "data" / "demo_night.csv.gz"


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``record`` subcommand."""
    p = sub.add_parser(
        "record",
        help="record live: detect jerks as they happen (serial board, stdin CSV or --demo)",
        description="Record live from a sensor board speaking the sms-detect wire protocol "
        "(firmware_bridge/PROTOCOL.md) on a serial port, from CSV lines time,x,y,z on "
        "standard input, or from the built-in board emulator (--demo). Every confirmed event "
        "is printed as one JSON line on stdout; a status line goes to stderr. With -o the raw "
        "samples, gaps and events are written crash-safely to an HDF5 night file. Ctrl-C "
        "(or SIGTERM) ends the recording cleanly.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--serial", metavar="PORT", help="serial port, e.g. /dev/ttyACM0")
    src.add_argument(
        "--source",
        choices=["stdin"],
        help="'stdin': read CSV lines time,x,y,z (s, g; header optional)",
    )
    src.add_argument("--demo", action="store_true",
                     help="stream the bundled sample night through the emulator on a "
                     "pseudo-terminal and record it")  # fmt: skip
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        help="HDF5 night file to write (default: none, JSON lines only)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("--sensor", default="wrist", help="sensor name (default: wrist)")
    p.add_argument("--rate", type=float, help="stdin: sample rate in Hz (default: inferred)")
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


def _demo_source(args: argparse.Namespace, t0: float) -> _DemoSource:
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
        emu.port, sensor=args.sensor, time_origin=t0, time_base=base, baudrate=args.baudrate
    )
    inner.open()
    emu.start()
    print(f"record: demo: {stream.name} at {args.speed:g}x on {emu.slave_path}", file=sys.stderr)
    return _DemoSource(emu, inner)


def run(args: argparse.Namespace) -> int:
    """Run ``record``; returns the exit status."""
    from sms_detect.record import LiveSession, utc_now

    config = config_from_args(args)
    if args.output is not None and args.output.exists() and not args.overwrite:
        raise InputError(f"{args.output}: already exists (use --overwrite to replace it)")
    t0 = time.monotonic()
    start = utc_now()
    source: Any
    if args.serial:
        from sms_detect.devices.serial_source import SerialSource

        source = SerialSource(
            args.serial,
            sensor=args.sensor,
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

        source = LineSource(sys.stdin.fileno(), sensor=args.sensor, rate_hz=args.rate)
        start = None  # the input's own time base
    else:
        source = _demo_source(args, t0)
        if source.inner.time_base == "device":
            start = None
    try:
        session = LiveSession(
            source,
            output=args.output,
            sensor=args.sensor,
            config=config,
            start_time=start,
            early=args.early,
            status_every=0.0 if args.quiet else 1.0,
            overwrite=args.overwrite,
            duration=args.duration,
            device_wait_s=0.0 if args.source == "stdin" else 2.5,
            batch_s=max(0.0, args.batch),
        )
    except BaseException:
        source.close()
        raise
    if threading.current_thread() is threading.main_thread():
        session.install_signal_handlers()
    session.run()
    return 0
