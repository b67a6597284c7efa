"""A sensor board in software: streams a recording through a pseudo-terminal in the wire format.

``python -m firmware_bridge.emulator SOURCE [--link PATH] [--speed X] [faults...]`` opens a
pseudo-terminal, prints the path a recorder should open (the slave, or ``--link``, a symlink
kept pointing at the current slave), and streams frames exactly as the reference firmware
would (``PROTOCOL.md`` v1) at real-time pace or ``--speed`` times faster, with injectable
faults: corrupted bytes, dropped frames, a drifting crystal and unplugging (the pty is closed
and the link removed for a while, then the "board" boots again on a new pty at the same link).

SOURCE is a CSV file (``time,x,y,z``, via :func:`sms_detect.io.csv_reader.read_csv`), an HDF5
night (``night.h5`` or ``night.h5:ankle``), ``sim:SEED[:HOURS[:RATE]]`` (a night from
:mod:`sms_detect.sim`) or ``synthetic[:SECONDS[:RATE]]`` (a quiet limb with a clear jerk every
``--jerk-every`` s; the onsets are known, used by tests and the latency benchmark).

Also a library: :class:`Emulator` runs in a thread (``start``/``stop``) for tests and for
``sms-detect record --demo``.
"""

from __future__ import annotations

import argparse
import errno
import os
import select
import signal
import sys
import threading
import time
import tty
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sms_detect.devices import wire

TICK_HZ = 1_000_000


# ----------------------------------------------------------------------------- sources


@dataclass
class Stream:
    """Samples to emulate.

    Attributes
    ----------
    time : ndarray (N,)
        Sample times in s (any origin; gaps allowed).
    acc : ndarray (N, 3)
        Acceleration in g.
    fs : float
        Nominal sample rate in Hz.
    jerk_onsets : ndarray
        Known jerk onsets in s of ``time`` (empty when unknown).
    name : str
        Where the samples came from.
    """

    time: np.ndarray
    acc: np.ndarray
    fs: float
    jerk_onsets: np.ndarray = field(default_factory=lambda: np.empty(0))
    name: str = ""


def synthetic_stream(
    seconds: float = 600.0, fs: float = 100.0, jerk_every: float = 25.0, seed: int = 0
) -> Stream:
    """A still limb (gravity + 0.8 mg noise) with a sharp jerk every ``jerk_every`` s.

    Each jerk is a biphasic 5 Hz limb movement under a 50-ms Gaussian (about 1 g peak on a
    random axis mix, ~0.3 s long), the first one after 40 s of stillness. It integrates to
    zero, so the limb is at rest again afterwards, as a real limb is (no slow drift that
    would read as a slow movement). Times in s, acceleration in g.
    """
    rng = np.random.default_rng(seed)
    n = int(round(seconds * fs))
    t = np.arange(n) / fs
    acc = np.zeros((n, 3))
    acc[:, 2] = 1.0
    acc += rng.normal(0.0, 0.0008, (n, 3))
    onsets = np.arange(40.0, seconds - 5.0, jerk_every) + rng.uniform(0, 2.0, 1)[0]
    onsets = onsets[onsets < seconds - 5.0]
    sigma = 0.05
    u = np.arange(int(0.4 * fs)) / fs - 2.0 * sigma
    shape = np.sin(2 * np.pi * 5.0 * u) * np.exp(-0.5 * (u / sigma) ** 2)
    shape /= np.abs(shape).max()
    for t0 in onsets:
        i0 = int(round(t0 * fs))
        direction = rng.normal(0, 1, 3)
        direction /= np.linalg.norm(direction)
        seg = acc[i0 : i0 + len(shape)]
        seg += (rng.uniform(0.8, 1.5) * shape[: len(seg), None]) * direction[None, :]
    return Stream(t, acc, fs, np.round(onsets * fs) / fs, f"synthetic:{seconds:g}:{fs:g}")


def load_source(spec: str, sensor: str = "wrist", jerk_every: float = 25.0) -> Stream:
    """Load the samples named by ``spec`` (see the module docstring)."""
    from sms_detect.errors import InputError

    if spec.startswith("synthetic"):
        parts = spec.split(":")[1:]
        seconds = float(parts[0]) if parts else 600.0
        fs = float(parts[1]) if len(parts) > 1 else 100.0
        return synthetic_stream(seconds, fs, jerk_every)
    if spec.startswith("sim:"):
        from sms_detect.sim import simulate_night

        parts = spec.split(":")[1:]
        seed = int(parts[0]) if parts and parts[0] else 0
        hours = float(parts[1]) if len(parts) > 1 else 8.0
        rate = float(parts[2]) if len(parts) > 2 else 100.0
        night = simulate_night(seed, rate, sensors=[sensor], hours=hours)
        tr = night.sensors[sensor]
        onsets = np.array(
            [e.onset for e in night.events if getattr(e, "kind", "") == "hypnic_jerk"], float
        )
        return Stream(tr.time, tr.acc, rate, onsets, spec)
    path, _, name = spec.partition(".h5:")
    if name or spec.endswith((".h5", ".hdf5")):
        from sms_detect.io.h5_recording import read_sensor
        from sms_detect.timebase import infer_rate

        data = read_sensor(path + ".h5" if name else spec, name or sensor)
        return Stream(data.time, data.acc, infer_rate(data.time), name=spec)
    if not Path(spec).exists():
        raise InputError(f"{spec}: no such file (give a CSV, an HDF5 night, sim:SEED or synthetic)")
    from sms_detect.io.csv_reader import read_csv

    rec = read_csv(spec)
    return Stream(rec.time, rec.acc, rec.fs, name=spec)


# ----------------------------------------------------------------------------- emulator


@dataclass
class EmulatorStats:
    """What the emulator did (counts since start)."""

    frames_sent: int = 0
    frames_dropped: int = 0  # injected losses
    frames_unsent: int = 0  # pty buffer full (nobody reading) or unplugged
    bytes_corrupted: int = 0
    unplugs: int = 0
    samples_sent: int = 0


class Emulator:
    """Stream a :class:`Stream` through a pseudo-terminal in the wire format.

    Parameters
    ----------
    stream : Stream
        Samples to send.
    link : str or Path, optional
        Keep a symlink here pointing at the current pty slave (needed for ``unplug``).
    speed : float
        Pace relative to real time (1 = real time).
    samples_per_frame : int, optional
        Samples per frame; default about 50 ms worth (5 at 100 Hz, at least 1).
    range_g : int
        Full-scale range (+-g) of the emulated IMU; counts are clipped to int16.
    drift_ppm : float
        The emulated crystal runs this much fast (positive) or slow: samples and ticks come
        ``1 + drift_ppm * 1e-6`` times faster than real time.
    corrupt_rate : float
        Probability per byte of flipping it (after framing).
    drop_rate : float
        Probability per frame of losing it (its sequence number is used up).
    unplug : list of (at_s, duration_s)
        At ``at_s`` s of stream time, close the pty and remove the link for ``duration_s``
        s of wall time; the board then boots again (new boot id, counters restart).
    seed : int
        Seed of the fault injection.
    start_tick : int
        Initial device tick counter (u32), e.g. close to 2**32 to exercise wrap-around.
    on_frame : callable, optional
        ``on_frame(first_index, n, t_first, wall_time)`` after each frame is written
        (``t_first`` in s of stream time, ``wall_time`` from ``time.monotonic()``).
    """

    def __init__(
        self,
        stream: Stream,
        *,
        link: str | os.PathLike[str] | None = None,
        speed: float = 1.0,
        samples_per_frame: int | None = None,
        range_g: int = 8,
        drift_ppm: float = 0.0,
        corrupt_rate: float = 0.0,
        drop_rate: float = 0.0,
        unplug: list[tuple[float, float]] | None = None,
        seed: int = 0,
        start_tick: int = 0,
        hello_every_s: float = 2.0,
        on_frame: Callable[[int, int, float, float], None] | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        if unplug and link is None:
            raise ValueError("unplugging needs a --link path to follow the board")
        self.stream = stream
        self.link = Path(link) if link is not None else None
        self.speed = float(speed)
        self.n = samples_per_frame or max(1, round(stream.fs * 0.05))
        self.range_g = int(range_g)
        self.scale = self.range_g / 32768.0
        self.drift = 1.0 + drift_ppm * 1e-6
        self.corrupt_rate = float(corrupt_rate)
        self.drop_rate = float(drop_rate)
        self.unplug = sorted(unplug or [])
        self.hello_every = hello_every_s
        self.on_frame = on_frame
        self.rng = np.random.default_rng(seed)
        self.stats = EmulatorStats()
        self._start_tick = int(start_tick)
        self._master: int | None = None
        self._slave: int | None = None
        self.slave_path: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.done = threading.Event()
        self.error: BaseException | None = None
        t = np.asarray(stream.time, float)
        self._rel = t - t[0]
        self._counts = np.clip(np.round(np.asarray(stream.acc) / self.scale), -32768, 32767)
        self._counts = self._counts.astype(np.int16)
        idx = np.round(self._rel * stream.fs).astype(np.int64)
        # frames: runs of consecutive sample indices, cut every n samples
        breaks = np.flatnonzero(np.diff(idx) != 1) + 1
        starts: list[int] = []
        for a, b in zip(np.r_[0, breaks], np.r_[breaks, len(idx)], strict=True):
            starts.extend(range(int(a), int(b), self.n))
        self._starts = np.array(starts, dtype=np.int64)
        self._ends = np.minimum(np.r_[self._starts[1:], len(idx)], self._starts + self.n)
        self._idx = idx

    # -- pty -------------------------------------------------------------------------------
    @property
    def port(self) -> str:
        """Path a recorder should open (the link if any, else the slave)."""
        if self.link is not None:
            return str(self.link)
        if self.slave_path is None:
            raise RuntimeError("emulator not opened")
        return self.slave_path

    def open(self) -> str:
        """Create the pseudo-terminal (and the link); return :attr:`port`."""
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self.slave_path = os.ttyname(slave)
        if self.link is not None:
            tmp = self.link.with_name(self.link.name + ".tmp")
            tmp.unlink(missing_ok=True)
            os.symlink(self.slave_path, tmp)
            os.replace(tmp, self.link)
        return self.port

    def _close_pty(self) -> None:
        if self.link is not None:
            self.link.unlink(missing_ok=True)
        for fd in (self._master, self._slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._master = self._slave = None

    def _write(self, data: bytes) -> bool:
        """Write all of ``data`` to the master within 0.2 s; False if it could not."""
        if self._master is None:
            return False
        view = memoryview(data)
        deadline = time.monotonic() + 0.2
        while view:
            try:
                k = os.write(self._master, view)
                view = view[k:]
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                select.select([], [self._master], [], min(left, 0.02))
            except OSError as exc:
                if exc.errno in (errno.EIO, errno.EBADF):
                    return False
                raise
        return True

    # -- running ---------------------------------------------------------------------------
    def start(self) -> Emulator:
        """Open (if needed) and stream in a daemon thread; returns self."""
        if self._master is None:
            self.open()
        self._thread = threading.Thread(target=self._guarded_run, name="emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop streaming and close the pty."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._close_pty()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _guarded_run(self) -> None:
        try:
            self.run()
        except BaseException as exc:  # reported to the caller through .error
            self.error = exc
        finally:
            self.done.set()

    def _boot(self, tick: int) -> _Board:
        """A freshly booted board: random boot id, tick counter at ``tick``, seq 0."""
        return _Board(int(self.rng.integers(0, 2**32)), tick)

    def run(self) -> None:
        """Stream everything (blocking), then return; the pty stays open until :meth:`stop`."""
        if self._master is None:
            self.open()
        st = self.stats
        fs = self.stream.fs
        state = self._boot(self._start_tick)
        self._write(b"\x00")
        t_wall0 = time.monotonic()
        boot_rel = 0.0  # stream time of the current boot
        idx0 = 0  # sample index at the current boot
        next_hello = next_status = 0.0
        unplugs = list(self.unplug)
        for k in range(len(self._starts)):
            a, b = int(self._starts[k]), int(self._ends[k])
            rel_last = self._rel[b - 1]
            if unplugs and rel_last >= unplugs[0][0]:
                _, dur = unplugs.pop(0)
                st.unplugs += 1
                self._close_pty()
                if self._stop.wait(dur):
                    return
                self.open()
                # the board boots again: counters restart, the stream goes on in real time
                t_wall0 += dur
                now_rel = (time.monotonic() - t_wall0) * self.speed * self.drift
                state = self._boot(int(self.rng.integers(0, 2**32)))
                boot_rel, idx0 = now_rel, int(round(now_rel * fs))
                self._write(b"\x00")
                next_hello = next_status = now_rel
            if rel_last < boot_rel:
                continue  # samples taken while the board was off
            due = t_wall0 + rel_last / (self.speed * self.drift)
            wait = due - time.monotonic()
            if wait > 0 and self._stop.wait(wait):
                return
            if self._stop.is_set():
                return
            tick_of = state.tick + round((self._rel[a] - boot_rel) * TICK_HZ)
            if rel_last >= next_hello:
                next_hello = rel_last + self.hello_every
                self._send(state, wire.encode_hello(
                    state.next_seq(), tick_of, TICK_HZ, state.boot_id, "emulator",
                    f"emu-{state.boot_id:08x}", "firmware_bridge.emulator 1", "virtual",
                ))  # fmt: skip
            if rel_last >= next_status:
                next_status = rel_last + 10.0
                self._send(state, wire.encode_status(
                    state.next_seq(), tick_of, TICK_HZ, 4100 - int(rel_last / 36), 90, 0, 30.0,
                ))  # fmt: skip
            frame = wire.encode_samples(
                state.next_seq(),
                int(self._idx[a]) - idx0,
                tick_of,
                TICK_HZ,
                fs,
                self.range_g,
                self._counts[a:b],
            )
            if self._send(state, frame):
                st.samples_sent += b - a
                if self.on_frame is not None:
                    self.on_frame(int(self._idx[a]), b - a, float(self._rel[a]), time.monotonic())

    def _send(self, state: _Board, frame: bytes) -> bool:
        st = self.stats
        if self.drop_rate and self.rng.random() < self.drop_rate:
            st.frames_dropped += 1
            return False
        if self.corrupt_rate:
            hit = np.flatnonzero(self.rng.random(len(frame)) < self.corrupt_rate)
            if hit.size:
                buf = np.frombuffer(frame, np.uint8).copy()
                buf[hit] ^= self.rng.integers(1, 256, hit.size).astype(np.uint8)
                frame = buf.tobytes()
                st.bytes_corrupted += hit.size
        if self._write(frame):
            st.frames_sent += 1
            return True
        st.frames_unsent += 1
        return False


class _Board:
    """Per-boot counters of the emulated board."""

    def __init__(self, boot_id: int, tick: int) -> None:
        self.boot_id = int(boot_id)
        self.tick = int(tick)
        self.seq = 0

    def next_seq(self) -> int:
        s = self.seq
        self.seq = (self.seq + 1) & 0xFFFF
        return s


# ----------------------------------------------------------------------------- CLI


def _unplug_arg(text: str) -> tuple[float, float]:
    at, _, dur = text.partition(":")
    try:
        return float(at), float(dur or 3.0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected AT:SECONDS, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """Argument parser of ``python -m firmware_bridge.emulator``."""
    p = argparse.ArgumentParser(
        prog="python -m firmware_bridge.emulator",
        description="Emulate an sms-detect sensor board on a pseudo-terminal.",
    )
    p.add_argument("source", nargs="?", default="synthetic",
                   help="CSV, night.h5[:sensor], sim:SEED[:HOURS[:RATE]] or "
                        "synthetic[:SECONDS[:RATE]] (default)")  # fmt: skip
    p.add_argument("--link", help="keep a symlink to the pty here (needed with --unplug)")
    p.add_argument("--speed", type=float, default=1.0, help="pace vs real time (default 1)")
    p.add_argument("--sensor", default="wrist", help="sensor to take from an HDF5/sim night")
    p.add_argument("--samples-per-frame", type=int, default=None)
    p.add_argument("--range-g", type=int, default=8, choices=[2, 4, 8, 16])
    p.add_argument("--drift-ppm", type=float, default=0.0, help="crystal error (ppm)")
    p.add_argument("--corrupt-rate", type=float, default=0.0, help="probability per byte")
    p.add_argument("--drop-rate", type=float, default=0.0, help="probability per frame")
    p.add_argument("--unplug", type=_unplug_arg, action="append", default=[],
                   metavar="AT:SECONDS",
                   help="at AT s of stream time, unplug for SECONDS s (repeatable)")  # fmt: skip
    p.add_argument("--jerk-every", type=float, default=25.0, help="synthetic source only (s)")
    p.add_argument("--start-tick", type=int, default=0, help="initial u32 tick counter")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--loop", action="store_true", help="start over at the end")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until the stream ends (or Ctrl-C / SIGTERM)."""
    from sms_detect.errors import InputError

    args = build_parser().parse_args(argv)
    try:
        stream = load_source(args.source, args.sensor, args.jerk_every)
        emu = Emulator(
            stream, link=args.link, speed=args.speed, samples_per_frame=args.samples_per_frame,
            range_g=args.range_g, drift_ppm=args.drift_ppm, corrupt_rate=args.corrupt_rate,
            drop_rate=args.drop_rate, unplug=args.unplug, seed=args.seed,
            start_tick=args.start_tick,
        )  # fmt: skip
    except (InputError, ValueError) as exc:
        print(f"emulator: error: {exc}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, lambda *_: emu._stop.set())
    print(emu.open(), flush=True)
    print(
        f"emulator: {stream.name}: {len(stream.time)} samples at {stream.fs:g} Hz, "
        f"{emu.n} per frame, speed {args.speed:g}",
        file=sys.stderr,
        flush=True,
    )
    try:
        while True:
            emu.run()
            if not args.loop or emu._stop.is_set():
                break
    except KeyboardInterrupt:
        pass
    finally:
        s = emu.stats
        print(
            f"emulator: sent {s.frames_sent} frames ({s.samples_sent} samples), dropped "
            f"{s.frames_dropped}, unsent {s.frames_unsent}, corrupted {s.bytes_corrupted} "
            f"bytes, {s.unplugs} unplugs",
            file=sys.stderr,
        )
        emu._close_pty()
    return 0


if __name__ == "__main__":
    sys.exit(main())
