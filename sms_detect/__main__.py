"""Allow ``python -m sms_detect``."""

from sms_detect.cli import main

raise SystemExit(main())
