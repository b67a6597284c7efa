"""File input and output of sms-detect: CSV nights in, HDF5 night files out (and live).

- :mod:`sms_detect.io.csv_reader`: :func:`read_csv` (``time,x,y,z`` in s and g, ``.csv[.gz]``).
- :mod:`sms_detect.io.h5_events`: :func:`write_events_file`, :func:`read_events`.
- :mod:`sms_detect.io.h5_recording`: raw samples per sensor (:func:`write_recording`,
  :func:`list_sensors`, :func:`read_sensor`, :func:`iter_sensor_blocks`, :func:`open_night`).
- :mod:`sms_detect.io.live_writer`: :class:`LiveNightWriter` (SWMR, crash-safe) and
  :func:`recover`.
"""

from sms_detect.io.csv_reader import CsvRecording, read_csv
from sms_detect.io.h5_events import read_events, write_events_file
from sms_detect.io.h5_recording import (
    SensorData,
    iter_sensor_blocks,
    list_sensors,
    open_night,
    read_sensor,
    write_recording,
)
from sms_detect.io.live_writer import LiveNightWriter, recover

__all__ = [
    "CsvRecording",
    "LiveNightWriter",
    "SensorData",
    "iter_sensor_blocks",
    "list_sensors",
    "open_night",
    "read_csv",
    "read_events",
    "read_sensor",
    "recover",
    "write_events_file",
    "write_recording",
]
