"""The synthetic demo record that `liquid-ecg` opens without a path."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import wfdb

from model import demo
from model.records import AAMI_CLASSES, load_record


@pytest.fixture(scope="module")
def demo_signal(demo_header_path: Path) -> wfdb.Record:
    return wfdb.rdrecord(str(demo_header_path.with_suffix("")))


@pytest.fixture(scope="module")
def demo_annotation(demo_header_path: Path) -> wfdb.Annotation:
    return wfdb.rdann(str(demo_header_path.with_suffix("")), "atr")


def _rr_around(annotation: wfdb.Annotation, beat: int) -> tuple[float, float, float]:
    """Return (RR before, RR after, median RR of the 8 intervals before) in seconds."""
    rr_s = np.diff(annotation.sample) / annotation.fs
    local_rr_s = float(np.median(rr_s[max(beat - 9, 0) : beat - 1]))
    return float(rr_s[beat - 1]), float(rr_s[beat]), local_rr_s


def test_demo_header_describes_two_leads(demo_signal):
    assert demo_signal.record_name == "synthetic_demo"
    assert demo_signal.fs == 360
    assert demo_signal.sig_name == ["MLII", "V1"]
    assert demo_signal.units == ["mV", "mV"]
    assert demo_signal.fmt == ["212", "212"]
    assert demo_signal.sig_len == 300 * 360
    assert np.isfinite(demo_signal.p_signal).all()


def test_demo_header_says_synthetic(demo_signal):
    text = " ".join(demo_signal.comments).lower()
    assert "synthetic" in text
    assert "not a recording of a patient" in text
    assert f"generator version {demo.GENERATOR_VERSION}" in text


def test_demo_has_both_ectopic_classes(demo_annotation):
    symbols = list(demo_annotation.symbol)
    assert set(symbols) == {"N", "A", "V"}
    assert symbols.count("A") >= 3
    assert symbols.count("V") >= 3
    assert symbols.count("N") > 0.9 * len(symbols)


def test_demo_heart_rate_is_plausible(demo_annotation):
    rr_s = np.diff(demo_annotation.sample) / demo_annotation.fs
    normal_pairs = np.array(
        [a == "N" and b == "N" for a, b in zip(demo_annotation.symbol[:-1], demo_annotation.symbol[1:])]
    )
    sinus_rr_s = rr_s[normal_pairs]
    assert 0.6 < sinus_rr_s.mean() < 1.1
    # Heart-rate variability: neither a metronome nor chaos.
    assert 0.01 < sinus_rr_s.std() < 0.1


def test_normal_beats_sit_on_r_peaks(demo_signal, demo_annotation):
    mlii_mv = demo_signal.p_signal[:, 0]
    half_window = int(0.1 * demo_signal.fs)
    tolerance = int(0.03 * demo_signal.fs)

    for sample, symbol in zip(demo_annotation.sample, demo_annotation.symbol):
        if symbol != "N":
            continue
        window = mlii_mv[sample - half_window : sample + half_window + 1]
        peak = sample - half_window + int(np.argmax(window))
        assert abs(peak - sample) <= tolerance, f"N beat at sample {sample}: MLII peak at {peak}"


def test_premature_ventricular_beats_have_compensatory_pause(demo_annotation):
    for beat, symbol in enumerate(demo_annotation.symbol):
        if symbol != "V":
            continue
        before_s, after_s, local_rr_s = _rr_around(demo_annotation, beat)
        assert before_s < 0.8 * local_rr_s, f"V beat {beat} is not premature"
        assert before_s + after_s == pytest.approx(2 * local_rr_s, rel=0.12)


def test_supraventricular_beats_are_premature_and_reset(demo_annotation):
    for beat, symbol in enumerate(demo_annotation.symbol):
        if symbol != "A":
            continue
        before_s, after_s, local_rr_s = _rr_around(demo_annotation, beat)
        assert before_s < 0.8 * local_rr_s, f"A beat {beat} is not premature"
        # The sinus node is reset, so the pause is shorter than compensatory.
        assert before_s + after_s < 1.9 * local_rr_s


def _median_qrs_width_s(record: wfdb.Record, annotation: wfdb.Annotation, symbol: str) -> float:
    """Median width of the MLII deflection at half its height around beats of `symbol`."""
    mlii_mv = record.p_signal[:, 0]
    half_window = int(0.12 * record.fs)
    widths = []
    for sample, beat_symbol in zip(annotation.sample, annotation.symbol):
        if beat_symbol != symbol:
            continue
        window = mlii_mv[sample - half_window : sample + half_window + 1]
        window = window - np.median(window)
        widths.append(np.count_nonzero(window > 0.5 * window[half_window]) / record.fs)
    return float(np.median(widths))


def test_ventricular_qrs_is_wide(demo_signal, demo_annotation):
    normal_s = _median_qrs_width_s(demo_signal, demo_annotation, "N")
    ventricular_s = _median_qrs_width_s(demo_signal, demo_annotation, "V")
    assert normal_s < 0.04
    assert ventricular_s > 2 * normal_s


def test_demo_loads_as_synthetic_record(demo_header_path):
    record = load_record(demo_header_path)

    assert record.is_synthetic
    assert record.record_name == "synthetic_demo"
    assert record.beats.source == "reference"
    assert record.sig_name[record.model_channel] == "MLII"
    classes = {AAMI_CLASSES[index] for index in record.beats.aami}
    assert classes == {"N", "S", "V"}


def test_demo_is_deterministic(tmp_path):
    first = demo.write_demo_record(tmp_path / "first")
    second = demo.write_demo_record(tmp_path / "second")
    for suffix in (".hea", ".dat", ".atr"):
        assert first.with_suffix(suffix).read_bytes() == second.with_suffix(suffix).read_bytes()


def test_demo_is_reused_from_cache(tmp_path):
    header_path = demo.demo_record_path(tmp_path)
    written_ns = header_path.with_suffix(".dat").stat().st_mtime_ns

    assert demo.demo_record_path(tmp_path) == header_path
    assert header_path.with_suffix(".dat").stat().st_mtime_ns == written_ns
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "synthetic_demo.atr",
        "synthetic_demo.dat",
        "synthetic_demo.hea",
    ]


def test_demo_from_older_generator_is_rewritten(tmp_path):
    header_path = demo.demo_record_path(tmp_path)
    current = f"generator version {demo.GENERATOR_VERSION}"
    old_text = header_path.read_text().replace(current, "generator version 0")
    header_path.write_text(old_text)
    assert not demo.is_current_demo_record(header_path)

    assert demo.demo_record_path(tmp_path) == header_path
    assert current in header_path.read_text()


def test_truncated_demo_signal_is_rewritten(tmp_path):
    header_path = demo.demo_record_path(tmp_path)
    signal_path = header_path.with_suffix(".dat")
    full_size = signal_path.stat().st_size
    signal_path.write_bytes(signal_path.read_bytes()[:1000])

    demo.demo_record_path(tmp_path)
    assert signal_path.stat().st_size == full_size


def test_missing_annotation_file_is_rewritten(tmp_path):
    header_path = demo.demo_record_path(tmp_path)
    header_path.with_suffix(".atr").unlink()

    demo.demo_record_path(tmp_path)
    assert header_path.with_suffix(".atr").is_file()


def test_unwritable_cache_falls_back_to_temporary_folder(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")

    header_path = demo.demo_record_path(blocker / "demo")
    assert header_path.is_file()
    assert blocker not in header_path.parents


def test_cache_folder_honours_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert demo.default_cache_dir() == tmp_path / "liquid-ecg" / "demo"


def test_relative_xdg_cache_home_is_ignored(monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert demo.default_cache_dir() == Path.home() / ".cache" / "liquid-ecg" / "demo"


def test_default_cache_is_under_home(monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert demo.default_cache_dir() == Path(os.path.expanduser("~")) / ".cache" / "liquid-ecg" / "demo"
