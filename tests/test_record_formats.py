"""Storage formats and record layouts: every format wfdb reads, multi-segment and multi-frequency records, skew and byte offsets."""

from __future__ import annotations

import numpy as np
import pytest
import wfdb

from model.record_files import read_header, read_signals
from model.records import load_record


def record_100_digital(mitdb_dir, n_samples: int) -> np.ndarray:
    """The first `n_samples` of record 100 as digital values (format 212, baseline 1024, 200 adu/mV)."""
    raw = wfdb.rdrecord(str(mitdb_dir / "100"), sampto=n_samples, physical=False)
    return raw.d_signal.astype(np.int64) - 1024


def test_binformats_every_storage_format(data_dir):
    path = data_dir / "formats" / "binformats.hea"
    record = load_record(path)
    expected = wfdb.rdrecord(str(path.with_suffix(""))).p_signal

    assert wfdb.rdheader(str(path.with_suffix(""))).fmt == [
        "8", "16", "61", "80", "160", "212", "310", "311", "24", "32",
    ]
    assert record.signal.shape == expected.shape
    relative_error = np.abs(record.signal - expected) / np.maximum(1.0, np.abs(expected))
    assert relative_error.max() < 1e-6


def test_chunked_read_matches_whole_read(data_dir):
    path = data_dir / "formats" / "binformats.hea"
    header = read_header(path)
    whole = read_signals(path, header).signal
    chunked = read_signals(path, header, chunk_samples=37).signal
    assert np.array_equal(whole, chunked, equal_nan=True)


@pytest.mark.parametrize("fmt, divisor", [("508", 8), ("516", 1), ("524", 1)])
def test_flac_formats(mitdb_dir, tmp_path, fmt, divisor):
    digital = record_100_digital(mitdb_dir, 3600) // divisor
    wfdb.wrsamp(
        "flac_record", fs=360, units=["mV", "mV"], sig_name=["MLII", "V5"],
        d_signal=digital.astype(np.int32), fmt=[fmt, fmt], adc_gain=[200.0 / divisor] * 2,
        baseline=[0, 0], write_dir=str(tmp_path),
    )

    record = load_record(tmp_path / "flac_record.hea")

    assert record.signal.shape == (3600, 2)
    assert np.allclose(record.signal, digital / (200.0 / divisor), atol=1e-5)
    assert record.model_channel == 0
    assert record.beats.source == "detected"
    assert 8 <= len(record.beats) <= 16


def test_skew_and_byte_offset(mitdb_dir, tmp_path):
    digital = record_100_digital(mitdb_dir, 3600).astype(np.int16)
    skew, offset = 3, 512
    frames = np.zeros((3600 + skew, 2), dtype="<i2")
    frames[:3600, 0] = digital[:, 0]
    # Sample t of the skewed signal is stored in frame t + skew.
    frames[skew:, 1] = digital[:, 1]
    (tmp_path / "skewed.dat").write_bytes(b"\xa5" * offset + frames.tobytes())
    (tmp_path / "skewed.hea").write_text(
        "skewed 2 360 3600\n"
        f"skewed.dat 16+{offset} 200 16 0 0 0 0 MLII\n"
        f"skewed.dat 16:{skew}+{offset} 200 16 0 0 0 0 V5\n"
    )

    record = load_record(tmp_path / "skewed.hea")

    assert record.signal.shape == (3600, 2)
    assert np.allclose(record.signal[:, 0], digital[:, 0] / 200.0, atol=1e-6)
    assert np.allclose(record.signal[: 3600 - skew, 1], digital[: 3600 - skew, 1] / 200.0, atol=1e-6)
    # wfdb 4.3.1 reads no frame past the signal length, so the skewed signal's last samples are gaps.
    assert np.isnan(record.signal[3600 - skew :, 1]).all()


def test_samples_per_frame_above_one(mitdb_dir, tmp_path):
    digital = record_100_digital(mitdb_dir, 3600)
    ecg = digital[:, 0].astype(np.int16)
    slow = digital[::2, 1].astype(np.int16)
    wfdb.wrsamp(
        "multi_rate", fs=180, units=["mV", "mV"], sig_name=["MLII", "RESP"],
        e_d_signal=[ecg, slow], samps_per_frame=[2, 1], fmt=["16", "16"],
        adc_gain=[200.0, 200.0], baseline=[0, 0], write_dir=str(tmp_path),
    )

    record = load_record(tmp_path / "multi_rate.hea")

    assert record.fs == 360.0
    assert record.signal.shape == (3600, 2)
    assert np.allclose(record.signal[:, 0], ecg / 200.0, atol=1e-6)
    # The slower signal repeats each sample onto the 360 Hz axis.
    assert np.allclose(record.signal[:, 1], np.repeat(slow, 2) / 200.0, atol=1e-6)
    assert record.ecg_channels == [0]


def test_multi_segment_multi_frequency(data_dir):
    record = load_record(data_dir / "formats" / "multi-segment-041s" / "041s.hea")

    # Two segments of 1000 frames at 125 Hz; the ECG leads have 4 samples per frame.
    assert record.fs == 500.0
    assert record.signal.shape == (8000, 7)
    assert record.sig_name == ["III", "I", "V", "ABP", "PAP", "PLETH", "RESP"]
    assert record.ecg_channels == [0, 1, 2]
    assert record.sig_name[record.model_channel] == "I"
    assert record.beats.source == "detected"
    assert len(record.beats) > 10


def test_missing_signal_file_leaves_others(data_dir):
    record = load_record(data_dir / "formats" / "s0010_re.hea")

    # s0010_re.xyz (vx, vy, vz) is absent from the data folder; the 12 standard leads remain.
    assert record.signal.shape == (38400, 12)
    assert record.fs == 1000.0
    assert record.sig_name[record.model_channel] == "ii"
    assert any("vx, vy, vz" in note for note in record.notes)
    assert record.beats.source == "detected"
    heart_rate_bpm = 60 * len(record.beats) / record.duration_s
    assert 50 < heart_rate_bpm < 120


def test_ecg_named_leads_at_500_hz(data_dir):
    record = load_record(data_dir / "formats" / "test01_00s.hea")

    assert record.fs == 500.0
    assert record.ecg_channels == [0, 1, 2, 3]
    assert 8 <= len(record.beats) <= 16
