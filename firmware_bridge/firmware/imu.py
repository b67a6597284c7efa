"""Register-level I2C drivers for three common accelerometers (MicroPython; CPython in tests).

Each driver configures the accelerometer for a rate and range and reads one x, y, z sample
as 6 bytes of little-endian int16 counts (the wire format's sample layout), so the sampling
loop can copy them into a frame without any per-value work.

Register values come from the manufacturers' datasheets (check them against the revision
you hold before relying on a detail):

- STMicroelectronics LSM6DS3 (DocID026899) / LSM6DS3TR-C / LSM6DSL / LSM6DSO:
  WHO_AM_I 0x0F = 0x69 (LSM6DS3), 0x6A (DS3TR-C, DSL), 0x6C (DSO).
  CTRL1_XL 0x10: ODR_XL bits 7:4 (0x1 12.5 Hz, 0x2 26, 0x3 52, 0x4 104, 0x5 208, 0x6 416,
  0x7 833, 0x8 1660 Hz), FS_XL bits 3:2 (00 +-2 g, 10 +-4 g, 11 +-8 g, 01 +-16 g).
  CTRL3_C 0x12: BDU bit 6 (block data update), IF_INC bit 2 (address auto-increment).
  OUTX_L_XL 0x28 .. OUTZ_H_XL 0x2D, little-endian. Sensitivity 0.061 / 0.122 / 0.244 /
  0.488 mg per LSB for +-2 / 4 / 8 / 16 g. I2C address 0x6A (SDO low) or 0x6B.
- InvenSense MPU-6050 (PS-MPU-6000A, RM-MPU-6000A): WHO_AM_I 0x75 = 0x68.
  PWR_MGMT_1 0x6B: 0x01 = awake, clock from the X gyro PLL. CONFIG 0x1A: DLPF_CFG bits 2:0
  (1 = 184 Hz accel bandwidth; with the DLPF on, the sample-rate base is 1 kHz).
  SMPLRT_DIV 0x19: rate = 1 kHz / (1 + div). ACCEL_CONFIG 0x1C: AFS_SEL bits 4:3
  (0 +-2 g 16384 LSB/g, 1 +-4 g 8192, 2 +-8 g 4096, 3 +-16 g 2048).
  ACCEL_XOUT_H 0x3B .. ACCEL_ZOUT_L 0x40, big-endian (swapped here). Address 0x68 or 0x69.
- Bosch BMI160 (BST-BMI160-DS000): CHIP_ID 0x00 = 0xD1. CMD 0x7E: 0x11 = accelerometer to
  normal mode (then wait >= 4 ms), 0xB6 = soft reset. ACC_CONF 0x40: acc_odr bits 3:0
  (0x5 12.5 Hz, 0x6 25, 0x7 50, 0x8 100, 0x9 200, 0xA 400, 0xB 800, 0xC 1600 Hz),
  acc_bwp bits 6:4 (0x2 normal). ACC_RANGE 0x41: 0x3 +-2 g, 0x5 +-4 g, 0x8 +-8 g,
  0xC +-16 g (16384 / 8192 / 4096 / 2048 LSB/g). DATA_14 (ACC_X LSB) 0x12 .. 0x17,
  little-endian. Address 0x68 (SDO low) or 0x69.
"""

try:
    import time

    _sleep_ms = time.sleep_ms  # MicroPython
except AttributeError:  # CPython (tests)

    def _sleep_ms(ms):
        time.sleep(ms / 1000.0)


def _pick(table, want):
    """Smallest entry of ``table`` (sorted list of (value, code)) with value >= want."""
    for value, code in table:
        if value >= want:
            return value, code
    return table[-1]


class LSM6DS3:
    """STMicroelectronics LSM6DS3 family accelerometer."""

    NAME = "LSM6DS3"
    ADDRESSES = (0x6A, 0x6B)
    WHO_AM_I = 0x0F
    IDS = (0x69, 0x6A, 0x6C)
    _ODR = [(12.5, 0x1), (26, 0x2), (52, 0x3), (104, 0x4), (208, 0x5), (416, 0x6), (833, 0x7),
            (1660, 0x8)]  # fmt: skip
    _FS = [(2, 0b00, 0.061), (4, 0b10, 0.122), (8, 0b11, 0.244), (16, 0b01, 0.488)]

    def __init__(self, i2c, addr, rate_hz, range_g):
        self.i2c = i2c
        self.addr = addr
        # run the IMU at least twice as fast as we poll it, so no sample is read twice
        self.odr_hz, odr = _pick(self._ODR, 2 * rate_hz)
        fs = self._FS[-1]
        for entry in self._FS:
            if entry[0] >= range_g:
                fs = entry
                break
        self.range_g = fs[0]
        self.scale_g = fs[2] / 1000.0
        i2c.writeto_mem(addr, 0x12, bytes([0x44]))  # CTRL3_C: BDU | IF_INC
        i2c.writeto_mem(addr, 0x10, bytes([(odr << 4) | (fs[1] << 2)]))  # CTRL1_XL
        _sleep_ms(20)

    def read_into(self, buf):
        """Read one sample into ``buf`` (6 bytes, little-endian x, y, z counts)."""
        self.i2c.readfrom_mem_into(self.addr, 0x28, buf)


class MPU6050:
    """InvenSense MPU-6050 accelerometer (the gyro is left running but not read)."""

    NAME = "MPU-6050"
    ADDRESSES = (0x68, 0x69)
    WHO_AM_I = 0x75
    IDS = (0x68,)
    _FS = [(2, 0, 16384), (4, 1, 8192), (8, 2, 4096), (16, 3, 2048)]

    def __init__(self, i2c, addr, rate_hz, range_g):
        self.i2c = i2c
        self.addr = addr
        fs = self._FS[-1]
        for entry in self._FS:
            if entry[0] >= range_g:
                fs = entry
                break
        self.range_g = fs[0]
        self.scale_g = 1.0 / fs[2]
        div = max(0, min(255, int(1000 // (2 * rate_hz)) - 1))
        self.odr_hz = 1000.0 / (1 + div)
        self._be = bytearray(6)
        i2c.writeto_mem(addr, 0x6B, bytes([0x01]))  # PWR_MGMT_1: wake, PLL clock
        _sleep_ms(100)
        i2c.writeto_mem(addr, 0x1A, bytes([0x01]))  # CONFIG: DLPF 184 Hz, 1 kHz base
        i2c.writeto_mem(addr, 0x19, bytes([div]))  # SMPLRT_DIV
        i2c.writeto_mem(addr, 0x1C, bytes([fs[1] << 3]))  # ACCEL_CONFIG
        _sleep_ms(20)

    def read_into(self, buf):
        """Read one sample into ``buf`` (6 bytes, little-endian x, y, z counts)."""
        be = self._be
        self.i2c.readfrom_mem_into(self.addr, 0x3B, be)
        buf[0] = be[1]
        buf[1] = be[0]
        buf[2] = be[3]
        buf[3] = be[2]
        buf[4] = be[5]
        buf[5] = be[4]


class BMI160:
    """Bosch BMI160 accelerometer."""

    NAME = "BMI160"
    ADDRESSES = (0x68, 0x69)
    WHO_AM_I = 0x00
    IDS = (0xD1,)
    _ODR = [(12.5, 0x5), (25, 0x6), (50, 0x7), (100, 0x8), (200, 0x9), (400, 0xA), (800, 0xB),
            (1600, 0xC)]  # fmt: skip
    _FS = [(2, 0x3, 16384), (4, 0x5, 8192), (8, 0x8, 4096), (16, 0xC, 2048)]

    def __init__(self, i2c, addr, rate_hz, range_g):
        self.i2c = i2c
        self.addr = addr
        self.odr_hz, odr = _pick(self._ODR, 2 * rate_hz)
        fs = self._FS[-1]
        for entry in self._FS:
            if entry[0] >= range_g:
                fs = entry
                break
        self.range_g = fs[0]
        self.scale_g = 1.0 / fs[2]
        i2c.writeto_mem(addr, 0x7E, bytes([0x11]))  # CMD: accelerometer normal mode
        _sleep_ms(5)
        i2c.writeto_mem(addr, 0x40, bytes([(0x2 << 4) | odr]))  # ACC_CONF
        i2c.writeto_mem(addr, 0x41, bytes([fs[1]]))  # ACC_RANGE
        _sleep_ms(20)

    def read_into(self, buf):
        """Read one sample into ``buf`` (6 bytes, little-endian x, y, z counts)."""
        self.i2c.readfrom_mem_into(self.addr, 0x12, buf)


DRIVERS = (LSM6DS3, MPU6050, BMI160)


def detect(i2c, rate_hz, range_g):
    """Find the first supported accelerometer on the bus and configure it.

    Parameters
    ----------
    i2c : machine.I2C
        The bus.
    rate_hz : float
        Sample rate the firmware will poll at (Hz).
    range_g : int
        Wanted full-scale range (+-g); the next larger supported range is used.

    Returns
    -------
    driver instance, or None if nothing supported answers.
    """
    present = i2c.scan()
    for cls in DRIVERS:
        for addr in cls.ADDRESSES:
            if addr not in present:
                continue
            try:
                who = i2c.readfrom_mem(addr, cls.WHO_AM_I, 1)[0]
            except OSError:
                continue
            if who in cls.IDS:
                return cls(i2c, addr, rate_hz, range_g)
    return None
