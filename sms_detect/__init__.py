"""sms-detect: hypnic jerk (sleep start) detection in wrist and ankle accelerometry."""

__version__ = "0.1.0"

__all__ = ["__version__"]
