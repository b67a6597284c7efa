"""MicroPython reference firmware (copy the modules of this folder, not this file, to a board).

Importable under CPython so the test suite can run the pure parts (``smsproto``, ``imu``).
"""
