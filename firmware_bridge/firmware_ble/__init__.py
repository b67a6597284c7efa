"""BLE side of the reference firmware (MicroPython ``aioble``); ``smsble`` is pure logic."""
