"""Damaged or mistaken input: each case raises RecordError naming the file and the problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import wfdb

from model.records import RecordError, load_record


@pytest.fixture
def record_100_copy(mitdb_dir, tmp_path) -> Path:
    """A writable copy of record 100 (header, signal, annotations) in a temporary folder."""
    for suffix in (".hea", ".dat", ".atr"):
        shutil.copy(mitdb_dir / f"100{suffix}", tmp_path / f"100{suffix}")
    return tmp_path / "100.hea"


def test_missing_signal_file(record_100_copy):
    record_100_copy.with_suffix(".dat").unlink()
    with pytest.raises(RecordError, match=r"100\.dat: signal file not found"):
        load_record(record_100_copy)


def test_truncated_signal_file(record_100_copy):
    signal_path = record_100_copy.with_suffix(".dat")
    content = signal_path.read_bytes()
    signal_path.write_bytes(content[: len(content) // 3])

    with pytest.raises(RecordError, match=r"100\.dat: the signal file is truncated") as error:
        load_record(record_100_copy)
    assert "650000 samples" in str(error.value)


def test_empty_signal_file(record_100_copy):
    record_100_copy.with_suffix(".dat").write_bytes(b"")
    with pytest.raises(RecordError, match=r"100\.dat: the signal file is empty"):
        load_record(record_100_copy)


@pytest.mark.parametrize(
    "first_line, problem",
    [
        ("100 2 zero 650000", "line 1: invalid sampling frequency 'zero'"),
        ("100 2 0 650000", "invalid sampling frequency"),
        ("100 2 5 650000", "invalid sampling frequency 5"),
        ("100 0 360 650000", "lists no signals"),
        ("100 2 360 -5", "line 1: invalid number of samples '-5'"),
        ("100 3 360 650000", "announces 3 signal or segment lines, but the header has 2"),
    ],
)
def test_header_bad_record_line(record_100_copy, first_line, problem):
    lines = record_100_copy.read_text().splitlines()
    lines[0] = first_line
    record_100_copy.write_text("\n".join(lines) + "\n")

    with pytest.raises(RecordError, match="100.hea") as error:
        load_record(record_100_copy)
    assert problem in str(error.value)


def test_header_bad_signal_line(record_100_copy):
    lines = record_100_copy.read_text().splitlines()
    lines[1] = "100.dat 212 gain? 11 1024 995 -22131 0 MLII"
    record_100_copy.write_text("\n".join(lines) + "\n")

    with pytest.raises(RecordError, match=r"100\.hea: line 2: invalid gain 'gain\?'"):
        load_record(record_100_copy)


def test_unknown_storage_format(record_100_copy):
    text = record_100_copy.read_text().replace("100.dat 212", "100.dat 999", 1)
    record_100_copy.write_text(text)

    with pytest.raises(RecordError, match=r"100\.hea") as error:
        load_record(record_100_copy)
    assert "999" in str(error.value)


def test_non_ascii_header_bytes(record_100_copy):
    content = record_100_copy.read_bytes()
    record_100_copy.write_bytes(content + b"# Patient: M\xfcller\n")

    with pytest.raises(RecordError, match=r"100\.hea: line \d+ contains the non-ASCII byte 0xfc"):
        load_record(record_100_copy)


def test_zero_length_record(tmp_path):
    (tmp_path / "empty.hea").write_text("empty 1 360 0\nempty.dat 16 200 16 0 0 0 0 MLII\n")
    (tmp_path / "empty.dat").write_bytes(b"")

    with pytest.raises(RecordError, match=r"empty\.hea: the record has no samples"):
        load_record(tmp_path / "empty.hea")


def test_empty_header_file(tmp_path):
    (tmp_path / "blank.hea").write_text("\n\n")
    with pytest.raises(RecordError, match=r"blank\.hea: the header file is empty"):
        load_record(tmp_path / "blank.hea")


def test_folder_chosen(tmp_path):
    folder = tmp_path / "records folder"
    folder.mkdir()
    with pytest.raises(RecordError, match="records folder: is a folder"):
        load_record(folder)


def test_image_file_chosen(tmp_path):
    image = tmp_path / "scan.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(64))
    with pytest.raises(RecordError, match=r"scan\.png: not a WFDB header file"):
        load_record(image)


def test_image_renamed_to_header(tmp_path):
    image = tmp_path / "scan.hea"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(64))
    with pytest.raises(RecordError, match=r"scan\.hea: not a WFDB header \(binary content\)"):
        load_record(image)


def test_annotation_file_does_not_parse(record_100_copy):
    record_100_copy.with_suffix(".atr").write_bytes(b"\xff" * 7)
    with pytest.raises(RecordError, match=r"100\.atr: cannot read the annotations"):
        load_record(record_100_copy)


def test_unicode_and_spaces_in_path(mitdb_dir, tmp_path):
    folder = tmp_path / "Patient Müller ß 心电图"
    folder.mkdir()
    for suffix in (".hea", ".dat", ".atr"):
        shutil.copy(mitdb_dir / f"100{suffix}", folder / f"100{suffix}")

    record = load_record(folder / "100.hea")

    assert record.header_path == folder / "100.hea"
    assert len(record.beats) == 2273


def test_invalid_samples_become_nan(mitdb_dir, tmp_path):
    raw = wfdb.rdrecord(str(mitdb_dir / "100"), sampto=3600, physical=False)
    digital = raw.d_signal.astype(np.int16) - 1024
    # -32768 is format 16's invalid-sample value.
    digital[1000:1100, 0] = -32768
    wfdb.wrsamp(
        "gappy", fs=360, units=["mV", "mV"], sig_name=["MLII", "V5"], d_signal=digital,
        fmt=["16", "16"], adc_gain=[200.0, 200.0], baseline=[0, 0], write_dir=str(tmp_path),
    )

    record = load_record(tmp_path / "gappy.hea")

    assert np.isnan(record.signal[1000:1100, 0]).all()
    assert np.isfinite(record.signal[:1000]).all()
    assert np.isfinite(record.signal[1100:]).all()
