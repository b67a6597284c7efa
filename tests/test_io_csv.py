"""Tests of sms_detect.io.csv_reader on real files written to tmp_path."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sms_detect.errors import InputError
from sms_detect.io.csv_reader import read_csv


def _night(n: int = 500, fs: float = 100.0, t0: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    t = t0 + np.arange(n) / fs
    acc = rng.normal(0.0, 0.05, (n, 3))
    acc[:, 2] += 1.0
    return t, acc


def _write(path: Path, t: np.ndarray, acc: np.ndarray, header: str = "time,x,y,z") -> Path:
    with open(path, "w") as f:
        f.write(header + "\n")
        np.savetxt(f, np.column_stack([t, acc]), fmt="%.4f", delimiter=",")
    return path


def _text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _rows(n: int, fs: float = 100.0) -> list[str]:
    return [f"{i / fs:.4f},0.0100,-0.0200,1.0000" for i in range(n)]


def test_read_basic(tmp_path: Path) -> None:
    t, acc = _night()
    rec = read_csv(_write(tmp_path / "n.csv", t, acc))
    assert rec.fs == 100.0
    assert rec.time.dtype == np.float64 and rec.time.shape == (500,)
    assert rec.acc.dtype == np.float64 and rec.acc.shape == (500, 3)
    assert rec.acc.flags.c_contiguous and rec.time.flags.c_contiguous
    np.testing.assert_allclose(rec.time, t, atol=1e-9)
    np.testing.assert_allclose(rec.acc, acc, atol=6e-5)
    assert rec.gaps.shape == (0, 2)
    assert len(rec) == 500
    block = rec.block("ankle")
    assert block.sensor == "ankle" and len(block) == 500


def test_read_gzip_and_unix_time_and_gaps(tmp_path: Path) -> None:
    t, acc = _night(2000, 50.0, t0=1.7e9)
    t[1000:] += 7.5
    plain = _write(tmp_path / "n.csv", t, acc)
    gz = tmp_path / "n.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    rec = read_csv(gz)
    assert rec.fs == 50.0
    np.testing.assert_allclose(rec.time, t, rtol=0, atol=1e-4)
    np.testing.assert_allclose(rec.gaps, [[t[999], t[1000]]], atol=1e-4)


def test_column_order_case_and_extra_columns(tmp_path: Path) -> None:
    lines = [' "Z" , time,label,X,y']
    for i in range(20):
        lines.append(f"{1.0 + i / 1000:.4f},{i / 25:.4f},sleep stage,{i * 0.01:.4f},0.5")
    lines.append("")  # trailing blank line
    rec = read_csv(_text(tmp_path / "o.csv", "\n".join(lines) + "\n"))
    assert rec.fs == 25.0
    np.testing.assert_allclose(rec.time, np.arange(20) / 25)
    np.testing.assert_allclose(rec.acc[:, 0], np.arange(20) * 0.01)
    np.testing.assert_allclose(rec.acc[:, 1], 0.5)
    np.testing.assert_allclose(rec.acc[:, 2], 1.0 + np.arange(20) / 1000)


def test_crlf_and_bom(tmp_path: Path) -> None:
    text = "\ufefftime,x,y,z\r\n" + "\r\n".join(_rows(30)) + "\r\n"
    p = tmp_path / "w.csv"
    p.write_bytes(text.encode("utf-8"))
    assert read_csv(p).fs == 100.0


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fs=st.sampled_from([25.0, 52.0, 100.0, 416.0, 1000.0]),
    n=st.integers(10, 400),
    scale=st.floats(0.0, 3.0),
)
def test_round_trip_property(tmp_path: Path, fs: float, n: int, scale: float) -> None:
    rng = np.random.default_rng(n)
    t = 100.0 + np.arange(n) / fs
    acc = rng.uniform(-scale, scale, (n, 3))
    acc[:, 0] += 1.0
    p = tmp_path / "p.csv"
    with open(p, "w") as f:
        f.write("time,x,y,z\n")
        np.savetxt(f, np.column_stack([t, acc]), fmt="%.17g", delimiter=",")
    rec = read_csv(p)
    assert rec.fs == fs
    np.testing.assert_array_equal(rec.time, t)
    np.testing.assert_array_equal(rec.acc, acc)


BAD_CASES = [
    # (file text, expected pieces of the message)
    ("", ["empty file"]),
    ("\n", ["empty file"]),
    ("time,x,y,z\n", ["no data rows"]),
    ("t,x,y,z\n" + "\n".join(_rows(20)), ["line 1", "missing time"]),
    ("time,x,y\n" + "\n".join(_rows(20)), ["line 1", "missing z"]),
    ("0.0,0.0,0.0,1.0\n" + "\n".join(_rows(20)), ["line 1", "header must name"]),
    ("time;x;y;z\n" + "\n".join(r.replace(",", ";") for r in _rows(20)), ["line 1"]),
    ("time,x,y,x,z\n" + "\n".join(r + ",1" for r in _rows(20)), ["line 1", "'x' more than once"]),
    (
        "time,x,y,z\n" + "\n".join(_rows(5) + ["0.0500,0.1,abc,1.0"] + _rows(20)[6:]),
        ["line 7", "column 'y'", "'abc'"],
    ),
    (
        "time,x,y,z\n" + "\n".join(_rows(3) + ["", "0.0300,0.1,,1.0"] + _rows(20)[4:]),
        ["line 6", "column 'y'", "''"],
    ),
    (
        "time,x,y,z\n" + "\n".join(_rows(8) + ["0.0800,0.1,1.0"] + _rows(20)[9:]),
        ["line 10", "3 columns"],
    ),
    (
        "time,x,y,z\n" + "\n".join(_rows(4) + ["0.0400,nan,0.0,1.0"] + _rows(20)[5:]),
        ["line 6", "NaN or infinite"],
    ),
    (
        "time,x,y,z\n" + "\n".join(_rows(12) + ["0.1200,0.0,0.0,inf"] + _rows(20)[13:]),
        ["line 14", "NaN or infinite"],
    ),
    (
        "time,x,y,z\n" + "\n".join(_rows(3) + ["", ""] + _rows(20)[3:9] + ["0.0100,0,0,1"]),
        ["line 13", "backwards", "(0.01 s after 0.08 s)"],
    ),
    (
        "time,x,y,z\n" + "\n".join(_rows(10) + [_rows(10)[-1]] + _rows(20)[10:]),
        ["line 12", "repeats"],
    ),
    (
        "time,x,y,z\n" + "\n".join(f"{i / 100:.4f},0.1,0.2,9.81" for i in range(50)),
        ["median |acc| is 9.81", "m/s^2", "in g"],
    ),
    (
        "time,x,y,z\n" + "\n".join(f"{i / 100:.4f},10,20,1000" for i in range(50)),
        ["does not look like g"],
    ),
    ("time,x,y,z\n" + "\n".join(_rows(5)), ["only 5 data rows"]),
    ("time,x,y,z\n" + "\n".join(_rows(50, fs=12.5)), ["12.5 Hz", "outside 25-1000 Hz"]),
    ("time,x,y,z\n" + "\n".join(_rows(50, fs=1600.0)), ["1600 Hz", "outside"]),
    ("time,x,y,z\n" + "\n".join(f"{i * 10},0,0,1" for i in range(50)), ["milliseconds"]),
]


@pytest.mark.parametrize(("text", "pieces"), BAD_CASES)
def test_bad_input(tmp_path: Path, text: str, pieces: list[str]) -> None:
    p = _text(tmp_path / "bad.csv", text)
    with pytest.raises(InputError) as info:
        read_csv(p)
    msg = str(info.value)
    assert "\n" not in msg
    assert str(p) in msg
    for piece in pieces:
        assert piece in msg


def test_bad_input_in_gzip_names_line(tmp_path: Path) -> None:
    text = "time,x,y,z\n" + "\n".join(_rows(5) + ["0.0500,0.1,x,1.0"] + _rows(20)[6:])
    p = tmp_path / "bad.csv.gz"
    p.write_bytes(gzip.compress(text.encode()))
    with pytest.raises(InputError, match=r"line 7: column 'y' is not a number"):
        read_csv(p)


def test_missing_file_directory_binary_and_broken_gzip(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_csv(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="directory"):
        read_csv(tmp_path)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"time,x,y,z\n\xff\xfe\x00\x81garbage\n")
    with pytest.raises(InputError, match="UTF-8"):
        read_csv(binary)
    broken = tmp_path / "t.csv.gz"
    broken.write_bytes(gzip.compress(("time,x,y,z\n" + "\n".join(_rows(200))).encode())[:300])
    with pytest.raises(InputError, match="gzip"):
        read_csv(broken)
