"""The sampling loop of the reference firmware, free of hardware (MicroPython and CPython).

``run_loop`` polls an IMU driver on a fixed schedule kept by a microsecond clock, packs
``samples_per_frame`` samples per SAMPLES frame and sends HELLO and STATUS frames
periodically. The clock is passed in: MicroPython's ``time`` module on a board
(``ticks_us``, ``ticks_add``, ``ticks_diff``, ``sleep_us``), a simulated clock in the tests.
If the loop falls behind by more than one sample period (a long garbage collection, a slow
write), the missed samples are skipped: the frame in progress is sent short, the sample index
jumps (the host records a gap) and the skipped samples are counted as overflow.
"""

import smsproto


def run_loop(
    dev,
    enc,
    clock,
    write,
    rate_hz,
    samples_per_frame,
    hello,
    battery_mv=None,
    status_every_s=10,
    hello_every_s=2,
    max_samples=None,
):
    """Stream frames until ``max_samples`` samples were taken (forever if None).

    Parameters
    ----------
    dev : IMU driver
        Has ``read_into(buf)`` filling 6 bytes of little-endian x, y, z counts.
    enc : smsproto.Encoder
        Frame builder (its ``tick_hz`` must be 1000000: ticks are microseconds).
    clock : module or object
        ``ticks_us()``, ``ticks_add(t, dt)``, ``ticks_diff(a, b)``, ``sleep_us(us)``.
    write : callable
        Sends bytes to the host (e.g. ``sys.stdout.buffer.write``).
    rate_hz : float
        Sample rate (Hz).
    samples_per_frame : int
        Samples per SAMPLES frame.
    hello : tuple of (boot_id, model, device_id, firmware, imu)
        Contents of the HELLO frames.
    battery_mv : callable or None
        Returns the battery voltage in mV (0 if unknown).
    status_every_s, hello_every_s : float
        Periods of the STATUS and HELLO frames (s).
    max_samples : int or None
        Stop after this many samples (tests); None runs forever.

    Returns
    -------
    int
        Samples skipped because the loop fell behind (overflow).
    """
    n = samples_per_frame
    ticks = smsproto.TickCounter(clock.ticks_us, clock.ticks_diff)
    buf = bytearray(6 * n)
    mv = memoryview(buf)
    boot_id, model, device_id, firmware, imu = hello

    write(b"\x00")
    write(enc.hello(ticks.now(), boot_id, model, device_id, firmware, imu))
    status_every = int(status_every_s * 1000000)
    hello_every = int(hello_every_s * 1000000)
    last_status = last_hello = ticks.value
    overflow = 0
    index = 0  # sample index of buf[0] (of the next sample when buf is empty)
    k = 0  # samples in buf
    first_tick = 0
    taken = 0
    start = clock.ticks_us()
    i = 0  # schedule index since start
    period = 1000000 / rate_hz
    while max_samples is None or taken < max_samples:
        due = clock.ticks_add(start, int(i * period))
        wait = clock.ticks_diff(due, clock.ticks_us())
        if wait > 0:
            clock.sleep_us(wait)
        elif wait < -period:  # fell behind by more than a sample: skip, count
            behind = int(-wait / period)
            if k:  # the frame in progress would not be contiguous: send what we have
                write(enc.samples(index, first_tick, mv[: 6 * k], k))
                index += k
                k = 0
            i += behind
            index += behind
            overflow += behind
            continue
        # label the sample with its scheduled time: the host assumes a uniform grid
        late = max(0, clock.ticks_diff(clock.ticks_us(), due))
        t = (ticks.now() - late) & 0xFFFFFFFF
        dev.read_into(mv[6 * k : 6 * k + 6])
        if k == 0:
            first_tick = t
        k += 1
        i += 1
        taken += 1
        if k == n:
            write(enc.samples(index, first_tick, buf, n))
            index += n
            k = 0
            if (ticks.value - last_status) & 0xFFFFFFFF >= status_every:
                last_status = ticks.value
                mv_batt = battery_mv() if battery_mv is not None else 0
                write(enc.status(ticks.value, mv_batt, smsproto.BATTERY_PCT_UNKNOWN, overflow))
            if (ticks.value - last_hello) & 0xFFFFFFFF >= hello_every:
                last_hello = ticks.value
                write(enc.hello(ticks.value, boot_id, model, device_id, firmware, imu))
    if k:  # stopping: send the samples in hand
        write(enc.samples(index, first_tick, mv[: 6 * k], k))
    return overflow
