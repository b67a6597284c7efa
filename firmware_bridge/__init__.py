"""Device side of sms-detect: the open wire protocol, reference firmware and a device emulator.

- ``PROTOCOL.md``: the serial wire format (v1).
- ``firmware/``: MicroPython reference firmware; ``firmware/smsproto.py`` is the pure encoder.
- ``emulator``: ``python -m firmware_bridge.emulator`` streams a recording through a
  pseudo-terminal in the wire format, with fault injection.
"""
