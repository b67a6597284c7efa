"""The signal core: sample blocks in, labelled events out. Knows nothing of devices or files."""

from sms_detect.core.config import DetectorConfig
from sms_detect.core.detector import StreamingDetector, detect
from sms_detect.core.learned import shipped_model_digest
from sms_detect.core.merge import MultiSensorDetector, merge_sensor_events

#: Detector name and version written into ``/events`` attrs.
DETECTOR_NAME = "sms-detect-hysteresis"
DETECTOR_VERSION = "4"


def detector_id(*details: str) -> str:
    """The ``detector`` attribute of an events file: name, version and, in parentheses,
    ``details`` followed by the jerk model's digest (the shipped file's SHA-256 prefix)."""
    inside = ", ".join([*details, f"jerk model {shipped_model_digest()}"])
    return f"{DETECTOR_NAME} {DETECTOR_VERSION} ({inside})"


__all__ = [
    "DETECTOR_NAME",
    "DETECTOR_VERSION",
    "DetectorConfig",
    "MultiSensorDetector",
    "StreamingDetector",
    "detect",
    "detector_id",
    "merge_sensor_events",
]
