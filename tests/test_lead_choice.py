"""Which lead the network reads: found by name and units, chosen by the user, never a non-ECG signal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb
from PySide6 import QtCore

from desktop_app.main_window import MainWindow
from model.records import RecordError, load_record, with_model_channel

CLASSIFY_TIMEOUT_MS = 120_000


def write_mixed_record(mitdb_dir: Path, folder: Path, sig_name: list[str], units: list[str]) -> Path:
    """Write 20 s of record 100's two leads plus a copy of MLII, under the given names and units."""
    raw = wfdb.rdrecord(str(mitdb_dir / "100"), sampto=7200, physical=False)
    digital = raw.d_signal.astype(np.int16) - 1024
    digital = np.column_stack([digital[:, 1], digital[:, 0], digital[:, 0]])
    wfdb.wrsamp(
        "mixed", fs=360, units=units, sig_name=sig_name, d_signal=digital, fmt=["16"] * 3,
        adc_gain=[200.0] * 3, baseline=[0] * 3, write_dir=str(folder),
    )
    return folder / "mixed.hea"


def test_mlii_preferred_among_other_signals(mitdb_dir, tmp_path):
    path = write_mixed_record(mitdb_dir, tmp_path, ["ABP", "MLII", "RESP"], ["mmHg", "mV", "mV"])
    record = load_record(path)

    assert record.ecg_channels == [1]
    assert record.model_channel == 1
    assert record.beats.source == "detected"


def test_ecg_found_by_voltage_units(mitdb_dir, tmp_path):
    path = write_mixed_record(mitdb_dir, tmp_path, ["chan A", "chan B", "Pleth"], ["uV", "mV", "NU"])
    record = load_record(path)

    assert record.ecg_channels == [0, 1]
    assert record.units[:2] == ["mV", "mV"]
    # 200 adu per uV read as mV: values are 1000 times smaller than record 100's.
    assert np.nanmax(np.abs(record.signal[:, 0])) < 0.01


def test_record_without_ecg_is_rejected(mitdb_dir, tmp_path):
    path = write_mixed_record(mitdb_dir, tmp_path, ["ABP", "PAP", "RESP"], ["mmHg", "mmHg", "mV"])
    with pytest.raises(RecordError, match=r"mixed\.hea: no ECG lead among the signals ABP \(mmHg\)"):
        load_record(path)


def test_chosen_lead_detects_beats_again(data_dir):
    record = load_record(data_dir / "formats" / "test01_00s.hea")
    chosen = with_model_channel(record, 2)

    assert chosen.model_channel == 2
    assert chosen.beats.source == "detected"
    assert chosen.signal is record.signal
    assert record.model_channel == 0


def test_non_ecg_lead_cannot_be_chosen(mitdb_dir, tmp_path):
    path = write_mixed_record(mitdb_dir, tmp_path, ["ABP", "MLII", "RESP"], ["mmHg", "mV", "mV"])
    record = load_record(path)
    with pytest.raises(ValueError, match="not an ECG lead"):
        with_model_channel(record, 0)


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    main_window = MainWindow(settings=settings)
    qtbot.addWidget(main_window)
    main_window.show()
    return main_window


def test_combo_lists_only_ecg_leads(qtbot, window, data_dir, open_and_wait):
    with qtbot.waitSignal(window.classification_started, timeout=10_000):
        assert open_and_wait(window, data_dir / "formats" / "multi-segment-041s" / "041s.hea")
    window.cancel_classification()
    combo = window.model_lead_combo

    assert [combo.itemText(index) for index in range(combo.count())] == [
        "Model lead: III", "Model lead: I", "Model lead: V",
    ]
    assert combo.currentText() == "Model lead: I"
    assert combo.isEnabled()


@pytest.mark.slow
def test_choosing_lead_classifies_again(qtbot, window, data_dir, open_and_wait):
    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        assert open_and_wait(window, data_dir / "formats" / "test01_00s.hea")
    assert ended.args == ["finished"], window.last_error
    first_prediction = window.prediction

    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        window.model_lead_combo.choose_channel(3)
    assert ended.args == ["finished"], window.last_error

    assert window.record.model_channel == 3
    assert window.model_lead_combo.currentText() == "Model lead: ECG 4"
    assert window.prediction is not first_prediction
    assert np.array_equal(window.prediction.sample, window.record.beats.sample)
    assert "detected" in window.record_label.text()
    assert window.review_controller.review.record is window.record


def test_no_ecg_record_shows_error(qtbot, window, data_dir, open_and_wait):
    with qtbot.waitSignal(window.error_shown, timeout=5_000) as blocker:
        assert not open_and_wait(window, data_dir / "nstdb-noise" / "bw.hea")
    assert "bw.hea: no ECG lead" in blocker.args[0]
