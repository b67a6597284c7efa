"""The signal core: sample blocks in, labelled events out. Knows nothing of devices or files."""

from sms_detect.core.config import DetectorConfig
from sms_detect.core.detector import StreamingDetector, detect
from sms_detect.core.merge import MultiSensorDetector, merge_sensor_events

#: Detector name and version written into ``/events`` attrs.
DETECTOR_NAME = "sms-detect-hysteresis"
DETECTOR_VERSION = "2"

__all__ = [
    "DETECTOR_NAME",
    "DETECTOR_VERSION",
    "DetectorConfig",
    "MultiSensorDetector",
    "StreamingDetector",
    "detect",
    "merge_sensor_events",
]
